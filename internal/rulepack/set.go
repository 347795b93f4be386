package rulepack

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

// Set is the merged, compiled view of the loaded packs that the engine uses.
type Set struct {
	Packs      []*Loaded
	Facts      map[string]*FactDef
	FactOrder  []string
	Scenarios  []*Scenario
	Items      map[string]*ItemDef
	ItemOrder  []string
	Criteria   map[string]*CriterionDef
	Exemptions map[string]*ExemptionDef
	Params     map[string]*ParamDef
	Rules      map[string]*RuleDef
	// MechanismEffective is the latest date any loaded mechanism rules took
	// effect; transfers before it raise before_rules.
	MechanismEffective model.Date
	// IdentificationEffective is when the loaded identification edition took effect.
	IdentificationEffective model.Date
	env                     *cel.Env
	limits                  Limits
}

// Loaded is one pack as loaded.
type Loaded struct {
	ID        string
	Version   string
	Title     string
	Family    string
	Source    string
	File      string
	Issued    model.Date
	Effective model.Date
	InForce   bool
	Coverage  *PackCoverage
	Notes     []string
	Patch     bool
	// SHA256 is the hex digest of the pack file's bytes: a version string
	// need not change when a patch is edited, the digest does. Decisions
	// logged by the service name it, so a decision can be re-derived later
	// with exactly the rules it was made under.
	SHA256 string
}

// Ref names a loaded pack for the record: id@version#sha256-prefix.
func (l *Loaded) Ref() string {
	d := l.SHA256
	if len(d) > 12 {
		d = d[:12]
	}
	return l.ID + "@" + l.Version + "#" + d
}

// FactDef is a fact of the vocabulary with the pack that defined it.
type FactDef struct {
	*Fact
	Pack string
}

// ItemDef is a data item with its compiled criteria.
type ItemDef struct {
	*Item
	Pack     string
	Criteria []*CriterionDef
}

// CriterionDef is a compiled criterion.
type CriterionDef struct {
	*Criterion
	Pack string
	// Facts are the facts the expression reads, sorted.
	Facts []string
	// LowerBoundSafe marks monotone facts that the expression only compares
	// upwards, so a lower bound may decide it.
	LowerBoundSafe map[string]bool
	program        cel.Program
	tracked        cel.Program // with state tracking, for residuals
	ast            *cel.Ast
}

// ExemptionDef is an exemption with its pack.
type ExemptionDef struct {
	*Exemption
	Pack          string
	EffectiveDate model.Date
}

// ParamDef is a mechanism parameter with its pack.
type ParamDef struct {
	Parameter
	Name string
	Pack string
	// OverriddenBy names the patch that changed the value, if any.
	OverriddenBy string
}

// RuleDef is a documented mechanism rule.
type RuleDef struct {
	*MechanismRule
	Pack string
}

// Refs lists the loaded packs for output.
func (s *Set) Refs() []model.PackRef {
	out := make([]model.PackRef, 0, len(s.Packs))
	for _, p := range s.Packs {
		out = append(out, model.PackRef{ID: p.ID, Version: p.Version, Source: p.File})
	}
	return out
}

// Fact implements the inventory's fact catalog.
func (s *Set) Fact(name string) (typ string, enum []string, ok bool) {
	f, ok := s.Facts[name]
	if !ok {
		return "", nil, false
	}
	return f.Type, f.Values, true
}

// Derived reports whether a fact is computed by the engine and may not be declared.
func (s *Set) Derived(name string) bool {
	f, ok := s.Facts[name]
	return ok && f.Derived
}

// Item reports whether an item id exists.
func (s *Set) Item(id string) bool { _, ok := s.Items[id]; return ok }

// Exemption reports whether id is an exemption that may be claimed.
func (s *Set) Claimable(id string) (exists, claimable bool) {
	e, ok := s.Exemptions[id]
	if !ok {
		return false, false
	}
	return true, e.Claimed
}

// Int returns an integer parameter, or def when absent.
func (s *Set) Int(name string) int64 {
	p, ok := s.Params[name]
	if !ok {
		panic("rulepack: unknown parameter " + name)
	}
	switch v := p.Value.(type) {
	case int64:
		return v
	case uint64:
		return int64(v)
	case int:
		return int64(v)
	case float64:
		return int64(v)
	}
	panic(fmt.Sprintf("rulepack: parameter %s is %T, not an integer", name, p.Value))
}

// Bool returns a boolean parameter.
func (s *Set) Bool(name string) bool {
	p, ok := s.Params[name]
	if !ok {
		panic("rulepack: unknown parameter " + name)
	}
	b, ok := p.Value.(bool)
	if !ok {
		panic(fmt.Sprintf("rulepack: parameter %s is %T, not a boolean", name, p.Value))
	}
	return b
}

// BoolOr returns a boolean parameter, or def when no loaded pack defines it
// (a rule that an edition does not have).
func (s *Set) BoolOr(name string, def bool) bool {
	p, ok := s.Params[name]
	if !ok {
		return def
	}
	b, ok := p.Value.(bool)
	if !ok {
		return def
	}
	return b
}

// Date returns a date parameter.
func (s *Set) Date(name string) model.Date {
	p, ok := s.Params[name]
	if !ok {
		panic("rulepack: unknown parameter " + name)
	}
	d, ok := p.Value.(model.Date)
	if !ok {
		panic(fmt.Sprintf("rulepack: parameter %s is %T, not a date", name, p.Value))
	}
	return d
}

// Param returns a parameter definition (nil when absent).
func (s *Set) Param(name string) *ParamDef { return s.Params[name] }

var (
	idRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// engineDerived are the facts the engine computes itself (SPEC §4).
var engineDerived = map[string]bool{"outbound_individuals_ytd": true}

var validTypes = map[string]bool{model.TypeInt: true, model.TypeNumber: true, model.TypeBool: true, model.TypeEnum: true, model.TypeList: true, model.TypeString: true}
var validProv = map[string]bool{model.ProvCommentary: true, model.ProvSecondary: true, model.ProvInferred: true}
var validOps = map[string]bool{">": true, ">=": true, "<": true, "<=": true, "==": true}

// builder accumulates packs into a Set, collecting every error.
type builder struct {
	set  *Set
	errs xerr.List
	// where each definition came from, to name both sides of a duplicate
	factSrc, critSrc, itemSrc, exSrc, paramSrc map[string]string
}

func (b *builder) fail(err error) {
	if len(b.errs) < 50 {
		b.errs = append(b.errs, err)
	}
}

// MechanismParams are the parameters the mechanism decision reads, with the
// kind of value each needs: an edition replacing the Provisions must give them.
var MechanismParams = map[string]string{
	"sa_individuals": "int", "sa_sensitive_individuals": "int", "contract_individuals": "int", "contract_sensitive_individuals": "int",
	"ciio_any_pi": "bool", "claimed_exemptions_count": "bool", "assessment_covers_contract_need": "bool",
	"sa_validity_years": "int", "sa_validity_years_before_2024": "int", "sa_validity_cutoff": "date", "certification_validity_years": "int",
	"extension_window_working_days": "int", "contract_filing_working_days": "int",
}

func (b *builder) requireMechanism() {
	for _, name := range sortedKeys(MechanismParams) {
		want := MechanismParams[name]
		p, ok := b.set.Params[name]
		if !ok {
			b.fail(fmt.Errorf("rule packs: no loaded pack defines the mechanism parameter %s (%s), which the transfer decision needs (packs: %s)", name, want, packIDs(b.set)))
			continue
		}
		got := kindName(p.Value)
		if (want == "int" && got != "an integer") || (want == "bool" && got != "true or false") || (want == "date" && got != "a date") {
			b.fail(fmt.Errorf("rule packs: mechanism parameter %s must be %s, but pack %s gives %v", name, map[string]string{"int": "an integer", "bool": "true or false", "date": "a date"}[want], p.Pack, p.Value))
		}
	}
}

func packIDs(s *Set) string {
	var ids []string
	for _, p := range s.Packs {
		ids = append(ids, p.ID)
	}
	return strings.Join(ids, ", ")
}

func buildSet(srcs []*source, lim Limits, needMechanism bool) (*Set, error) {
	if lim == (Limits{}) {
		lim = DefaultLimits()
	}
	b := &builder{
		set: &Set{
			Facts: map[string]*FactDef{}, Items: map[string]*ItemDef{}, Criteria: map[string]*CriterionDef{},
			Exemptions: map[string]*ExemptionDef{}, Params: map[string]*ParamDef{}, Rules: map[string]*RuleDef{},
			MechanismEffective: model.NoDate, IdentificationEffective: model.NoDate, limits: lim,
		},
		factSrc: map[string]string{}, critSrc: map[string]string{}, itemSrc: map[string]string{},
		exSrc: map[string]string{}, paramSrc: map[string]string{},
	}
	// Editions first, a later edition of a family replacing an earlier one;
	// then patches in the order given.
	var editions, patches []*source
	famIdx := map[string]int{}
	seen := map[string]string{}
	for _, s := range srcs {
		p := s.pack
		if prev, dup := seen[p.ID]; dup {
			b.fail(s.errAt("$.pack", "pack %q is loaded twice (also from %s)", p.ID, prev))
			continue
		}
		seen[p.ID] = s.name
		if !idRe.MatchString(p.ID) {
			b.fail(s.errAt("$.pack", "pack id %q: use lower-case letters, digits, '.', '_' and '-'", p.ID))
		}
		switch {
		case p.Family != "" && len(p.Extends) > 0:
			b.fail(s.errAt("$.extends", "a pack is either an edition (family) or a patch (extends), not both"))
		case p.Family != "":
			if i, ok := famIdx[p.Family]; ok {
				delete(seen, editions[i].pack.ID)
				editions[i] = s
			} else {
				famIdx[p.Family] = len(editions)
				editions = append(editions, s)
			}
		case len(p.Extends) > 0:
			patches = append(patches, s)
		default:
			b.fail(s.errAt("$.pack", "pack %q needs `family:` (an edition) or `extends:` (a patch)", p.ID))
		}
	}
	for _, s := range editions {
		b.add(s, false)
	}
	loaded := map[string]bool{}
	for _, l := range b.set.Packs {
		loaded[l.ID] = true
	}
	for _, s := range patches {
		for i, e := range s.pack.Extends {
			if !loaded[e] {
				b.fail(s.errAt(fmt.Sprintf("$.extends[%d]", i), "pack %q extends %q, which is not loaded (loaded: %s)", s.pack.ID, e, strings.Join(sortedKeys(loaded), ", ")))
			}
		}
		b.add(s, true)
		loaded[s.pack.ID] = true
	}
	if len(b.errs) == 0 {
		b.link(srcs)
	}
	if len(b.errs) == 0 && needMechanism {
		b.requireMechanism()
	}
	if len(b.errs) == 0 {
		b.compile(srcs)
	}
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	return b.set, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *builder) date(s *source, p, v string) model.Date {
	if v == "" {
		return model.NoDate
	}
	d, err := model.ParseDate(v)
	if err != nil {
		b.fail(s.errAt(p, "%v", err))
		return model.NoDate
	}
	return d
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// add merges one pack into the set.
func (b *builder) add(s *source, patch bool) {
	p := s.pack
	l := &Loaded{
		ID: p.ID, Version: p.Version, Title: p.Title, Family: p.Family, Source: p.Source, File: s.name,
		Issued: b.date(s, "$.issued", p.Issued), Effective: b.date(s, "$.effective", p.Effective),
		InForce: p.InForce == nil || *p.InForce, Coverage: p.Coverage, Notes: p.Notes, Patch: patch,
		SHA256: digest(s.data),
	}
	if p.Version == "" {
		b.fail(s.errAt("$.pack", "pack %q needs a `version:`", p.ID))
	}
	b.set.Packs = append(b.set.Packs, l)
	// Transfers before the newest identification edition took effect are
	// flagged before_rules: the items they are judged by were not yet law.
	if !patch && len(p.Items) > 0 && l.Effective.Valid() && l.Effective > b.set.IdentificationEffective {
		b.set.IdentificationEffective = l.Effective
	}

	for i, f := range p.Facts {
		at := fmt.Sprintf("$.facts[%d]", i)
		if !nameRe.MatchString(f.Name) {
			b.fail(s.errAt(at+".name", "fact name %q: use lower_snake_case", f.Name))
			continue
		}
		if !validTypes[f.Type] {
			b.fail(s.errAt(at+".type", "fact %s: type %q is not one of int, number, bool, enum, list, string", f.Name, f.Type))
		}
		if f.Type == model.TypeEnum && len(f.Values) == 0 {
			b.fail(s.errAt(at, "fact %s: an enum needs `values:`", f.Name))
		}
		if f.Question == "" {
			b.fail(s.errAt(at, "fact %s: needs a `question:` to ask when it is missing", f.Name))
		}
		b.checkProv(s, at, f.Provenance, "fact "+f.Name)
		if f.Derived && !engineDerived[f.Name] {
			b.fail(s.errAt(at+".derived", "fact %s: only facts xborder computes may be derived (%s); declare it as an ordinary fact", f.Name, strings.Join(sortedKeys(engineDerived), ", ")))
		}
		if f.Monotone != "" && f.Monotone != "increasing" {
			b.fail(s.errAt(at+".monotone", "fact %s: monotone must be \"increasing\"", f.Name))
		}
		if prev, ok := b.factSrc[f.Name]; ok && !(patch && f.Override) {
			b.fail(s.errAt(at+".name", "fact %s is already defined in %s (a patch may set `override: true`)", f.Name, prev))
			continue
		}
		b.factSrc[f.Name] = s.name
		if _, ok := b.set.Facts[f.Name]; !ok {
			b.set.FactOrder = append(b.set.FactOrder, f.Name)
		}
		b.set.Facts[f.Name] = &FactDef{Fact: f, Pack: p.ID}
	}

	scen := map[string]bool{}
	for _, sc := range b.set.Scenarios {
		scen[sc.ID] = true
	}
	for i, sc := range p.Scenarios {
		if scen[sc.ID] {
			b.fail(s.errAt(fmt.Sprintf("$.scenarios[%d].id", i), "scenario %s is already defined", sc.ID))
			continue
		}
		scen[sc.ID] = true
		b.set.Scenarios = append(b.set.Scenarios, sc)
	}

	for i, c := range p.Criteria {
		at := fmt.Sprintf("$.criteria[%d]", i)
		if !idRe.MatchString(c.ID) {
			b.fail(s.errAt(at+".id", "criterion id %q: use lower-case letters, digits, '.', '_' and '-'", c.ID))
			continue
		}
		if strings.TrimSpace(c.Text) == "" {
			b.fail(s.errAt(at, "criterion %s: needs `text:`", c.ID))
		}
		if strings.TrimSpace(c.Expr) == "" {
			b.fail(s.errAt(at, "criterion %s: needs `expr:` (a CEL expression over facts)", c.ID))
		}
		b.checkProv(s, at, c.Provenance, "criterion "+c.ID)
		for j, t := range c.Thresholds {
			tat := fmt.Sprintf("%s.thresholds[%d]", at, j)
			if !validOps[t.Op] {
				b.fail(s.errAt(tat+".op", "criterion %s: threshold operator %q is not one of >, >=, <, <=, ==", c.ID, t.Op))
			}
			b.checkProv(s, tat, t.Provenance, "criterion "+c.ID+" threshold")
		}
		if prev, ok := b.critSrc[c.ID]; ok && !(patch && c.Override) {
			b.fail(s.errAt(at+".id", "criterion %s is already defined in %s (a patch may set `override: true`)", c.ID, prev))
			continue
		}
		b.critSrc[c.ID] = s.name
		b.set.Criteria[c.ID] = &CriterionDef{Criterion: c, Pack: p.ID}
	}

	for i, it := range p.Items {
		at := fmt.Sprintf("$.items[%d]", i)
		if !idRe.MatchString(it.ID) {
			b.fail(s.errAt(at+".id", "item id %q: use lower-case letters, digits, '.', '_' and '-'", it.ID))
			continue
		}
		if it.Name == "" {
			b.fail(s.errAt(at, "item %s: needs `name:`", it.ID))
		}
		switch {
		case len(it.Criteria) == 0 && !it.CriteriaUnknown && !it.NoCriteria:
			b.fail(s.errAt(at, "item %s: needs `criteria:`, or `criteria_unknown: true` when the sources do not give them, or `no_criteria: true` for data that is never important", it.ID))
		case len(it.Criteria) > 0 && it.NoCriteria:
			b.fail(s.errAt(at, "item %s: `no_criteria: true` contradicts its criteria", it.ID))
		}
		b.checkProv(s, at, it.Provenance, "item "+it.ID)
		if prev, ok := b.itemSrc[it.ID]; ok && !(patch && it.Override) {
			b.fail(s.errAt(at+".id", "item %s is already defined in %s (a patch may set `override: true`)", it.ID, prev))
			continue
		}
		b.itemSrc[it.ID] = s.name
		if _, ok := b.set.Items[it.ID]; !ok {
			b.set.ItemOrder = append(b.set.ItemOrder, it.ID)
		}
		b.set.Items[it.ID] = &ItemDef{Item: it, Pack: p.ID}
	}

	for i, e := range p.Exemptions {
		at := fmt.Sprintf("$.exemptions[%d]", i)
		if !nameRe.MatchString(e.ID) {
			b.fail(s.errAt(at+".id", "exemption id %q: use lower_snake_case", e.ID))
			continue
		}
		b.checkProv(s, at, e.Provenance, "exemption "+e.ID)
		if prev, ok := b.exSrc[e.ID]; ok && !(patch && e.Override) {
			b.fail(s.errAt(at+".id", "exemption %s is already defined in %s (a patch may set `override: true`)", e.ID, prev))
			continue
		}
		b.exSrc[e.ID] = s.name
		b.set.Exemptions[e.ID] = &ExemptionDef{Exemption: e, Pack: p.ID, EffectiveDate: b.date(s, at+".effective", e.Effective)}
	}

	if m := p.Mechanism; m != nil {
		if d := b.date(s, "$.mechanism.effective", m.Effective); d.Valid() && (d > b.set.MechanismEffective || !b.set.MechanismEffective.Valid()) {
			b.set.MechanismEffective = d
		}
		for _, name := range sortedKeys(m.Parameters) {
			pp := m.Parameters[name]
			at := "$.mechanism.parameters." + name
			if pp == nil {
				b.fail(s.errAt(at, "parameter %s: needs `value:`", name))
				continue
			}
			b.checkProv(s, at, pp.Provenance, "parameter "+name)
			if prev, ok := b.paramSrc[name]; ok {
				b.fail(s.errAt(at, "parameter %s is already defined in %s (a patch overrides it under `parameters:`)", name, prev))
				continue
			}
			v, err := normaliseValue(pp.Value)
			if err != nil {
				b.fail(s.errAt(at+".value", "parameter %s: %v", name, err))
				continue
			}
			b.paramSrc[name] = s.name
			def := &ParamDef{Parameter: *pp, Name: name, Pack: p.ID}
			def.Value = v
			b.set.Params[name] = def
		}
		for i, r := range m.Rules {
			b.checkProv(s, fmt.Sprintf("$.mechanism.rules[%d]", i), r.Provenance, "rule "+r.ID)
			b.set.Rules[r.ID] = &RuleDef{MechanismRule: r, Pack: p.ID}
		}
	}

	// Patch-only sections.
	if !patch && (len(p.Attach) > 0 || p.Remove != nil || len(p.Parameters) > 0) {
		b.fail(s.errAt("$.pack", "pack %q: attach, remove and parameters belong in a patch (a pack with `extends:`)", p.ID))
		return
	}
	for _, name := range sortedKeys(p.Parameters) {
		at := "$.parameters." + name
		def, ok := b.set.Params[name]
		if !ok {
			b.fail(s.errAt(at, "parameter %s is not defined by any loaded pack (known: %s)", name, strings.Join(sortedKeys(b.set.Params), ", ")))
			continue
		}
		raw := p.Parameters[name]
		nd := *def
		// A bare value is the patch author's reading, not the source's: it
		// is inferred unless the patch states a provenance.
		nd.Provenance = model.ProvInferred
		if m, ok := raw.(map[string]any); ok {
			bad := false
			for _, k := range sortedKeys(m) {
				switch k {
				case "value":
				case "provenance":
					pv, _ := m[k].(string)
					if !validProv[pv] {
						b.fail(s.errAt(at+"."+k, "parameter %s: provenance %q is not one of commentary, secondary, inferred", name, m[k]))
						bad = true
					}
					nd.Provenance = pv
				case "text", "word":
					t, ok := m[k].(string)
					if !ok {
						b.fail(s.errAt(at+"."+k, "parameter %s: %s must be a string", name, k))
						bad = true
					}
					if k == "text" {
						nd.Text = t
					} else {
						nd.Word = t
					}
				case "op":
					op, _ := m[k].(string)
					if !validOps[op] {
						b.fail(s.errAt(at+"."+k, "parameter %s: operator %q is not one of >, >=, <, <=, ==", name, m[k]))
						bad = true
					}
					nd.Op = op
				default:
					b.fail(s.errAt(at+"."+k, "parameter %s: unknown key %q (want value, op, word, text, provenance)", name, k))
					bad = true
				}
			}
			if bad {
				continue
			}
			raw = m["value"]
		}
		v, err := normaliseValue(raw)
		if err != nil {
			b.fail(s.errAt(at, "parameter %s: %v", name, err))
			continue
		}
		if fmt.Sprintf("%T", v) != fmt.Sprintf("%T", def.Value) {
			b.fail(s.errAt(at, "parameter %s: want a value like %v (%s), got %v", name, def.Value, kindName(def.Value), v))
			continue
		}
		nd.Value = v
		nd.OverriddenBy = p.ID
		b.set.Params[name] = &nd
	}
	if r := p.Remove; r != nil {
		for i, id := range r.Items {
			if _, ok := b.set.Items[id]; !ok {
				b.fail(s.errAt(fmt.Sprintf("$.remove.items[%d]", i), "cannot remove item %s: not loaded", id))
				continue
			}
			delete(b.set.Items, id)
		}
		for i, id := range r.Criteria {
			if _, ok := b.set.Criteria[id]; !ok {
				b.fail(s.errAt(fmt.Sprintf("$.remove.criteria[%d]", i), "cannot remove criterion %s: not loaded", id))
				continue
			}
			delete(b.set.Criteria, id)
			for _, it := range b.set.Items {
				it.Item = withoutCriterion(it.Item, id)
			}
		}
	}
	for i, a := range p.Attach {
		at := fmt.Sprintf("$.attach[%d]", i)
		for j, cid := range a.Criteria {
			if _, ok := b.set.Criteria[cid]; !ok {
				b.fail(s.errAt(fmt.Sprintf("%s.criteria[%d]", at, j), "cannot attach unknown criterion %q", cid))
			}
		}
		targets := a.Items
		if len(targets) == 1 && targets[0] == "*" {
			targets = append([]string{}, b.set.ItemOrder...)
		}
		for _, id := range targets {
			it, ok := b.set.Items[id]
			if !ok {
				if _, removed := b.itemSrc[id]; !removed {
					b.fail(s.errAt(at+".items", "cannot attach to item %s: not loaded", id))
				}
				continue
			}
			cp := *it.Item
			cp.Criteria = append(append([]string{}, it.Item.Criteria...), a.Criteria...)
			if len(cp.Criteria) > 0 {
				cp.CriteriaUnknown = false
			}
			it.Item = &cp
		}
	}
}

func withoutCriterion(it *Item, id string) *Item {
	cp := *it
	cp.Criteria = nil
	for _, c := range it.Criteria {
		if c != id {
			cp.Criteria = append(cp.Criteria, c)
		}
	}
	return &cp
}

func kindName(v any) string {
	switch v.(type) {
	case int64:
		return "an integer"
	case bool:
		return "true or false"
	case model.Date:
		return "a date"
	case float64:
		return "a number"
	default:
		return "a string"
	}
}

// normaliseValue turns a decoded YAML scalar into int64, float64, bool,
// model.Date or string.
func normaliseValue(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("needs a value")
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x > 1<<62 {
			return nil, fmt.Errorf("%d is too large", x)
		}
		return int64(x), nil
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
		return x, nil
	case bool:
		return x, nil
	case time.Time:
		return model.NewDate(x.Year(), x.Month(), x.Day()), nil
	case string:
		if d, err := model.ParseDate(x); err == nil {
			return d, nil
		}
		return x, nil
	default:
		return nil, fmt.Errorf("want a number, true/false, a date or a string, got %T", v)
	}
}

func (b *builder) checkProv(s *source, at, prov, what string) {
	if !validProv[prov] {
		b.fail(s.errAt(at, "%s: provenance %q is not one of commentary, secondary, inferred", what, prov))
	}
}

// link resolves references between items, scenarios, criteria, exemptions and parameters.
func (b *builder) link(srcs []*source) {
	set := b.set
	scen := map[string]*Scenario{}
	sub := map[string]string{}
	for _, sc := range set.Scenarios {
		scen[sc.ID] = sc
		for _, ss := range sc.Subscenarios {
			sub[ss.ID] = sc.ID
		}
	}
	// Keep ItemOrder only for items still present.
	order := set.ItemOrder[:0]
	for _, id := range set.ItemOrder {
		if _, ok := set.Items[id]; ok {
			order = append(order, id)
		}
	}
	set.ItemOrder = order
	for _, id := range set.ItemOrder {
		it := set.Items[id]
		src := b.srcOf(srcs, it.Pack)
		at := b.itemPath(src, id)
		if it.Scenario != "" && scen[it.Scenario] == nil {
			b.fail(src.errAt(at+".scenario", "item %s: unknown scenario %q", id, it.Scenario))
		}
		if it.Subscenario != "" {
			if parent, ok := sub[it.Subscenario]; !ok {
				b.fail(src.errAt(at+".subscenario", "item %s: unknown sub-scenario %q", id, it.Subscenario))
			} else if parent != it.Scenario {
				b.fail(src.errAt(at+".subscenario", "item %s: sub-scenario %s belongs to scenario %s, not %s", id, it.Subscenario, parent, it.Scenario))
			}
		}
		it.Criteria = nil
		for _, cid := range it.Item.Criteria {
			c, ok := set.Criteria[cid]
			if !ok {
				b.fail(src.errAt(at+".criteria", "item %s: unknown criterion %q", id, cid))
				continue
			}
			it.Criteria = append(it.Criteria, c)
		}
		// A patch that removed an item's last criterion leaves it without a
		// way to decide: its assets become undetermined, never silently
		// not important.
		if len(it.Item.Criteria) == 0 && !it.NoCriteria && !it.CriteriaUnknown {
			cp := *it.Item
			cp.CriteriaUnknown = true
			it.Item = &cp
		}
	}
	for _, id := range sortedKeys(set.Exemptions) {
		e := set.Exemptions[id]
		switch e.ImportantData {
		case "", "never":
		default:
			src := b.srcOf(srcs, e.Pack)
			at := "$.exemptions"
			if src.pack != nil {
				for i, x := range src.pack.Exemptions {
					if x != nil && x.ID == id {
						at = fmt.Sprintf("$.exemptions[%d].important_data", i)
					}
				}
			}
			p, ok := set.Params[e.ImportantData]
			if !ok {
				b.fail(src.errAt(at, "exemption %s: important_data names unknown parameter %q", id, e.ImportantData))
			} else if _, isBool := p.Value.(bool); !isBool {
				b.fail(src.errAt(at, "exemption %s: parameter %s must be true or false", id, e.ImportantData))
			}
		}
	}
}

func (b *builder) srcOf(srcs []*source, packID string) *source {
	for _, s := range srcs {
		if s.pack.ID == packID {
			return s
		}
	}
	return &source{name: packID}
}

func (b *builder) itemPath(s *source, id string) string {
	if s.pack != nil {
		for i, it := range s.pack.Items {
			if it.ID == id {
				return fmt.Sprintf("$.items[%d]", i)
			}
		}
	}
	return "$.items"
}

func (b *builder) critPath(s *source, id string) string {
	if s.pack != nil {
		for i, c := range s.pack.Criteria {
			if c.ID == id {
				return fmt.Sprintf("$.criteria[%d]", i)
			}
		}
	}
	return "$.criteria"
}

// Meets compares v with an integer threshold parameter using its operator
// (">=" when none is given).
func (p *ParamDef) Meets(v int64) bool {
	var th int64
	switch x := p.Value.(type) {
	case int64:
		th = x
	case float64:
		th = int64(x)
	default:
		return false
	}
	switch p.Op {
	case ">":
		return v > th
	case "<":
		return v < th
	case "<=":
		return v <= th
	case "==":
		return v == th
	default:
		return v >= th
	}
}

// FactNames lists the fact vocabulary in pack order (for "did you mean").
func (s *Set) FactNames() []string { return append([]string{}, s.FactOrder...) }
