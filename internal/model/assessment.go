package model

import (
	"bytes"
	"encoding/json"
)

// Identification results.
const (
	Important    = "important"
	NotImportant = "not_important"
	Undetermined = "undetermined"
)

// Mechanisms.
const (
	MechSecurityAssessment = "security_assessment"
	MechContractOrCert     = "standard_contract_or_certification"
	MechExempt             = "exempt"
	MechUndetermined       = "undetermined"
)

// Coverage statuses.
const (
	CovCovered      = "covered"
	CovNotCovered   = "not_covered"
	CovNotRequired  = "not_required"
	CovUndetermined = "undetermined"
)

// Provenance labels (DOMAIN.md).
const (
	ProvCommentary = "commentary"
	ProvSecondary  = "secondary"
	ProvInferred   = "inferred"
)

// AssessmentSchema is the version tag of the assessment JSON (SPEC §3).
const AssessmentSchema = "xborder.assessment/v1"

// Assessment is the whole result of `xborder assess`, also served by
// GET /v1/assessment. Its JSON form is a contract (SPEC §3).
type Assessment struct {
	Schema    string           `json:"schema"`
	AsOf      Date             `json:"as_of"`
	Packs     []PackRef        `json:"packs"`
	Calendar  string           `json:"calendar"`
	Assets    []AssetResult    `json:"assets"`
	Transfers []TransferResult `json:"transfers"`
	Findings  []Finding        `json:"findings"`
}

// PackRef names a loaded pack and its version.
type PackRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Source  string `json:"source,omitempty"`
}

// Match is a criterion that held.
type Match struct {
	Criterion  string `json:"criterion"`
	Text       string `json:"text"`
	Provenance string `json:"provenance"`
	Pack       string `json:"pack,omitempty"`
}

// Missing is a fact whose absence keeps a result undetermined.
type Missing struct {
	Fact     string `json:"fact"`
	Question string `json:"question"`
	// Criteria are the criteria that could still decide once the fact is known.
	Criteria []string `json:"criteria,omitempty"`
}

// AssetResult is the identification of one asset.
type AssetResult struct {
	ID        string    `json:"id"`
	Processor string    `json:"processor"`
	Item      string    `json:"item"`
	Name      string    `json:"name,omitempty"`
	Result    string    `json:"result"`
	Matched   []Match   `json:"matched"`
	Missing   []Missing `json:"missing"`
	Facts     FactSet   `json:"facts"`
	// Pending lists the undecided criteria with what is left of each once the
	// known facts are put in (the CEL residual).
	Pending []Pending `json:"pending,omitempty"`
	Errors  []string  `json:"errors,omitempty"`
}

// Pending is an undecided criterion and its residual expression.
type Pending struct {
	Criterion string `json:"criterion"`
	Residual  string `json:"residual"`
}

// Reason explains one step of a decision.
type Reason struct {
	Rule       string `json:"rule"`
	Text       string `json:"text"`
	Provenance string `json:"provenance"`
}

// Counts are distinct-individual totals.
type Counts struct {
	Individuals          int64 `json:"individuals"`
	SensitiveIndividuals int64 `json:"sensitive_individuals"`
	// Unknown is true when an earlier or this transfer of the year did not
	// state a count, so the totals are lower bounds.
	Unknown bool `json:"unknown,omitempty"`
}

// Cumulative holds the yearly totals including this transfer.
type Cumulative struct {
	Year      int    `json:"year"`
	Counted   bool   `json:"counted"`
	Processor Counts `json:"processor"`
	Group     Counts `json:"group"`
}

// Coverage says whether an approval covers the transfer. In JSON, Approval
// is null when no approval applies (SPEC §3), like a transfer's exemption.
type Coverage struct {
	Status   string   `json:"status"`
	Approval string   `json:"approval"`
	Problems []string `json:"problems"`
}

// MarshalJSON writes "approval": null rather than "" when no approval applies.
func (c Coverage) MarshalJSON() ([]byte, error) {
	out := struct {
		Status   string   `json:"status"`
		Approval *string  `json:"approval"`
		Problems []string `json:"problems"`
	}{Status: c.Status, Problems: c.Problems}
	if c.Approval != "" {
		out.Approval = &c.Approval
	}
	// The caller's encoder applies its own HTML escaping when it copies these
	// bytes in; escaping here would override an encoder that turned it off.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// TransferAsset is an asset's identification at the transfer date.
type TransferAsset struct {
	ID      string    `json:"id"`
	Result  string    `json:"result"`
	Matched []Match   `json:"matched,omitempty"`
	Missing []Missing `json:"missing,omitempty"`
}

// TransferResult is the decision for one transfer.
type TransferResult struct {
	ID         string          `json:"id"`
	Processor  string          `json:"processor"`
	Date       Date            `json:"date"`
	Mechanism  string          `json:"mechanism"`
	Exemption  *string         `json:"exemption"`
	Reasons    []Reason        `json:"reasons"`
	Cumulative Cumulative      `json:"cumulative"`
	Coverage   Coverage        `json:"coverage"`
	Assets     []TransferAsset `json:"assets"`
	Missing    []Missing       `json:"missing"`
}

// Finding kinds (SPEC §3).
const (
	FindPossibleSplitting    = "possible_splitting"
	FindApprovalExpired      = "approval_expired"
	FindApprovalExpiring     = "approval_expiring"
	FindScopeExceeded        = "scope_exceeded"
	FindExemptionNoReference = "exemption_without_reference"
	FindContractFilingLate   = "contract_filing_late"
	FindGeoUnprocessed       = "geo_unprocessed"
	FindUndeterminedAsset    = "undetermined_asset"
	FindBeforeRules          = "before_rules"
	FindFactMismatch         = "fact_mismatch"
	FindExemptionFiledLate   = "exemption_filed_late"
	FindInterpretation       = "open_interpretation"
	FindSourceNotMeasured    = "source_not_measured"
)

// Finding is something that needs a person's attention.
type Finding struct {
	Kind     string `json:"kind"`
	Subject  string `json:"subject"`
	Text     string `json:"text"`
	Severity string `json:"severity,omitempty"`
	// Blocking findings stop a transfer at the gateway.
	Blocking bool `json:"blocking,omitempty"`
}

// WeakerProvenance returns the less reliable of two provenance labels
// (commentary < secondary < inferred): a result read through an inferred
// step is only as firm as that step. An unknown label counts as inferred.
func WeakerProvenance(a, b string) string {
	if provRank(b) > provRank(a) {
		return b
	}
	return a
}

func provRank(p string) int {
	switch p {
	case ProvCommentary:
		return 0
	case ProvSecondary:
		return 1
	}
	return 2
}
