package model

import "fmt"

// Pos is where a value was read from, so every later error can name file:line:column.
type Pos struct {
	File string `json:"-"`
	Line int    `json:"-"`
	Col  int    `json:"-"`
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Processor kinds named by the Guidelines (DOMAIN §2).
var ProcessorKinds = []string{
	"oem", "supplier", "telecom_operator", "ad_service_provider",
	"platform_operator", "dealer", "maintenance", "mobility_service",
}

// Processor is an automotive data processor: the legal entity whose yearly
// totals decide the mechanism.
type Processor struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name,omitempty"`
	Group              string   `json:"group,omitempty"`
	CIIO               bool     `json:"ciio"`
	LegalEntityInChina *bool    `json:"legal_entity_in_china,omitempty"`
	Kinds              []string `json:"kinds,omitempty"`
	FTZ                string   `json:"ftz,omitempty"`
	Pos                Pos      `json:"-"`
}

// GroupID is the group whose totals include this processor: its group, or
// itself when it declares none (a stand-alone entity is its own group).
func (p *Processor) GroupID() string {
	if p.Group != "" {
		return p.Group
	}
	return p.ID
}

// Asset is one data asset held by a processor and classified by a pack item.
type Asset struct {
	ID        string   `json:"id"`
	Processor string   `json:"processor"`
	Item      string   `json:"item"`
	Name      string   `json:"name,omitempty"`
	Sources   []string `json:"sources,omitempty"`
	Facts     FactSet  `json:"facts,omitempty"`
	Pos       Pos      `json:"-"`
	// BaseDir is the directory of the file that declared the asset; `sources`
	// globs are relative to it.
	BaseDir string `json:"-"`
	// FactPos records where each declared fact was written.
	FactPos map[string]Pos `json:"-"`
}

// Recipient is the party abroad that receives a transfer.
type Recipient struct {
	Name    string `json:"name"`
	Country string `json:"country,omitempty"`
}

// Transfer is one cross-border provision of data.
type Transfer struct {
	ID                   string    `json:"id"`
	Processor            string    `json:"processor"`
	Date                 Date      `json:"date"`
	Assets               []string  `json:"assets"`
	Recipient            Recipient `json:"recipient"`
	Purpose              string    `json:"purpose,omitempty"`
	Individuals          *int64    `json:"individuals"`
	SensitiveIndividuals *int64    `json:"sensitive_individuals"`
	Exemption            string    `json:"exemption,omitempty"`
	ExemptionRef         string    `json:"exemption_ref,omitempty"`
	ExemptionFiled       Date      `json:"exemption_filed,omitempty"`
	Pos                  Pos       `json:"-"`
}

// Approval kinds.
const (
	SecurityAssessment = "security_assessment"
	StandardContract   = "standard_contract"
	Certification      = "certification"
)

// ApprovalKinds lists the approval kinds in a stable order.
var ApprovalKinds = []string{SecurityAssessment, StandardContract, Certification}

// Scope limits what an approval covers. Empty lists mean "not limited".
type Scope struct {
	Assets         []string `json:"assets,omitempty"`
	Recipients     []string `json:"recipients,omitempty"`
	MaxIndividuals *int64   `json:"max_individuals,omitempty"`
}

// Approval is a security assessment result, a filed standard contract or a
// PI export certificate.
type Approval struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Processor string `json:"processor,omitempty"`
	Group     string `json:"group,omitempty"`
	Issued    Date   `json:"issued,omitempty"`
	Expires   Date   `json:"expires,omitempty"`
	Effective Date   `json:"effective,omitempty"`
	Filed     Date   `json:"filed,omitempty"`
	Reference string `json:"reference,omitempty"`
	Scope     Scope  `json:"scope"`
	Pos       Pos    `json:"-"`
}

// Inventory is everything loaded from inventory files, in file order.
type Inventory struct {
	Processors []*Processor `json:"processors"`
	Assets     []*Asset     `json:"assets"`
	Transfers  []*Transfer  `json:"transfers"`
	Approvals  []*Approval  `json:"approvals"`
}

// ProcessorByID indexes processors. Callers that look up often should keep the map.
func (inv *Inventory) ProcessorByID() map[string]*Processor {
	m := make(map[string]*Processor, len(inv.Processors))
	for _, p := range inv.Processors {
		m[p.ID] = p
	}
	return m
}

// AssetByID indexes assets.
func (inv *Inventory) AssetByID() map[string]*Asset {
	m := make(map[string]*Asset, len(inv.Assets))
	for _, a := range inv.Assets {
		m[a.ID] = a
	}
	return m
}
