// Package rulepack holds the law as data: versioned packs of facts, scenarios,
// data items, identification criteria (CEL expressions over facts) and the
// transfer-mechanism parameters. Packs are embedded (packs/*.yaml) and a user
// may add or patch one with --pack FILE, so a new edition changes data, not code.
package rulepack

import "github.com/xborder/xborder/internal/model"

// Pack is one rule pack file as written. A pack is either an edition (a base
// pack of a family, e.g. the automotive Guidelines) or a patch that extends
// loaded packs: adding facts, items and criteria, attaching criteria to items,
// removing them, or overriding parameters.
type Pack struct {
	ID      string `yaml:"pack"`
	Version string `yaml:"version"`
	Title   string `yaml:"title"`
	// Family groups editions of the same instrument. Loading an edition of a
	// family that is already loaded replaces it (draft-2025 replaces
	// guidelines-2026 when asked for).
	Family string `yaml:"family"`
	// Extends names packs this patch applies to; a patch has no family.
	Extends []string `yaml:"extends"`
	// Issued and Effective are dates (YYYY-MM-DD). InForce false marks a
	// draft that never had legal effect.
	Issued    string   `yaml:"issued"`
	Effective string   `yaml:"effective"`
	InForce   *bool    `yaml:"in_force"`
	Source    string   `yaml:"source"`
	Notes     []string `yaml:"notes"`
	// Coverage tells users how much of the official text the pack holds.
	Coverage *PackCoverage `yaml:"coverage"`

	Facts      []*Fact      `yaml:"facts"`
	Scenarios  []*Scenario  `yaml:"scenarios"`
	Criteria   []*Criterion `yaml:"criteria"`
	Items      []*Item      `yaml:"items"`
	Attach     []*Attach    `yaml:"attach"`
	Remove     *Removal     `yaml:"remove"`
	Mechanism  *Mechanism   `yaml:"mechanism"`
	Exemptions []*Exemption `yaml:"exemptions"`
	// Parameters overrides named parameters of loaded packs (mechanism
	// thresholds, validity periods, interpretation switches).
	Parameters map[string]any `yaml:"parameters"`
}

// PackCoverage states how much of the official instrument the pack encodes.
type PackCoverage struct {
	OfficialItems      int    `yaml:"official_items"`
	OfficialCategories int    `yaml:"official_categories"`
	Note               string `yaml:"note"`
}

// Fact is one entry of the fact vocabulary (SPEC §4).
type Fact struct {
	Name     string   `yaml:"name"`
	Type     string   `yaml:"type"`
	Unit     string   `yaml:"unit"`
	Values   []string `yaml:"values"`
	Question string   `yaml:"question"`
	Meaning  string   `yaml:"meaning"`
	// Scan names the scan measurement that can supply this fact.
	Scan string `yaml:"scan"`
	// Derived facts are computed by the engine and may never be declared.
	Derived bool `yaml:"derived"`
	// Monotone "increasing" lets the engine decide a criterion from a lower
	// bound (e.g. yearly totals when some counts are unknown).
	Monotone   string `yaml:"monotone"`
	Provenance string `yaml:"provenance"`
	Override   bool   `yaml:"override"`
}

// Scenario is one of the five scenarios with its sub-scenarios.
type Scenario struct {
	ID           string         `yaml:"id"`
	Name         string         `yaml:"name"`
	NameZH       string         `yaml:"name_zh"`
	Subscenarios []*Subscenario `yaml:"subscenarios"`
}

// Subscenario groups items inside a scenario.
type Subscenario struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	NameZH string `yaml:"name_zh"`
}

// Threshold documents a numeric boundary inside a criterion: which fact, which
// operator, which value, the Chinese number word it comes from where known,
// and whether the operator is our reading. Tests derive at/below/above cases
// from it, and the loader checks that the expression uses it.
type Threshold struct {
	Fact       string  `yaml:"fact"`
	Op         string  `yaml:"op"`
	Value      float64 `yaml:"value"`
	Word       string  `yaml:"word"`
	Provenance string  `yaml:"provenance"`
	Note       string  `yaml:"note"`
}

// Criterion is one identification criterion.
type Criterion struct {
	ID         string       `yaml:"id"`
	Text       string       `yaml:"text"`
	Expr       string       `yaml:"expr"`
	Provenance string       `yaml:"provenance"`
	Thresholds []*Threshold `yaml:"thresholds"`
	Note       string       `yaml:"note"`
	Override   bool         `yaml:"override"`
}

// EffectiveProvenance is how firm a match of the criterion is: its own
// provenance, weakened by any threshold whose count or operator is our
// reading (a criterion stated in the commentary with an inferred operator
// decides by an inferred reading).
func (c *Criterion) EffectiveProvenance() string {
	p := c.Provenance
	for _, t := range c.Thresholds {
		if t.Provenance != "" {
			p = model.WeakerProvenance(p, t.Provenance)
		}
	}
	return p
}

// Item is one data item of the Guidelines' annex.
type Item struct {
	ID          string   `yaml:"id"`
	Scenario    string   `yaml:"scenario"`
	Subscenario string   `yaml:"subscenario"`
	Category    string   `yaml:"category"`
	Name        string   `yaml:"name"`
	NameZH      string   `yaml:"name_zh"`
	Description string   `yaml:"description"`
	NewIn       string   `yaml:"new_in"`
	Provenance  string   `yaml:"provenance"`
	Criteria    []string `yaml:"criteria"`
	// CriteriaUnknown marks an item the sources name without its criteria:
	// its assets stay undetermined rather than being guessed not important.
	CriteriaUnknown bool `yaml:"criteria_unknown"`
	// NoCriteria marks an item that is by definition not important data
	// (personal information that falls under no important-data item).
	NoCriteria bool     `yaml:"no_criteria"`
	Notes      []string `yaml:"notes"`
	Override   bool     `yaml:"override"`
}

// Attach adds criteria to items of loaded packs ("*" means every item).
type Attach struct {
	Criteria []string `yaml:"criteria"`
	Items    []string `yaml:"items"`
}

// Removal removes items or criteria of loaded packs.
type Removal struct {
	Items    []string `yaml:"items"`
	Criteria []string `yaml:"criteria"`
}

// Mechanism holds the transfer-mechanism rules of the Provisions as parameters.
type Mechanism struct {
	Effective  string                `yaml:"effective"`
	Parameters map[string]*Parameter `yaml:"parameters"`
	Rules      []*MechanismRule      `yaml:"rules"`
}

// Parameter is a named value with its provenance.
type Parameter struct {
	Value      any    `yaml:"value"`
	Op         string `yaml:"op"`
	Word       string `yaml:"word"`
	Text       string `yaml:"text"`
	Provenance string `yaml:"provenance"`
}

// MechanismRule documents a step of the mechanism decision (its text and
// provenance appear in each transfer's reasons). The decision procedure itself
// is in internal/transfer; the thresholds it uses are Parameters.
type MechanismRule struct {
	ID         string `yaml:"id"`
	Text       string `yaml:"text"`
	Provenance string `yaml:"provenance"`
}

// Exemption is a claimable or computed exemption (SPEC §5).
type Exemption struct {
	ID   string `yaml:"id"`
	Text string `yaml:"text"`
	// Claimed exemptions are named in a transfer's `exemption`; computed
	// ones are decided by the engine and may not be claimed.
	Claimed bool `yaml:"claimed"`
	// Automotive exemptions need a prior report or filing: exemption_ref and
	// exemption_filed on or before the transfer date.
	Automotive bool `yaml:"automotive"`
	// RequiresNoPI: applies only when the transfer carries no PI.
	RequiresNoPI bool `yaml:"requires_no_pi"`
	// RequiresFTZ: applies only for a processor in a free trade zone.
	RequiresFTZ bool `yaml:"requires_ftz"`
	// ImportantData: never, or a parameter name whose boolean value decides.
	ImportantData string `yaml:"important_data"`
	Effective     string `yaml:"effective"`
	Provenance    string `yaml:"provenance"`
	Source        string `yaml:"source"`
	Override      bool   `yaml:"override"`
}
