package identify_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/identify"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

// packSets are the combinations of packs whose thresholds are tested: the
// defaults, the draft edition, and the optional 2021 PI rule.
var packSets = [][]string{
	{"guidelines-2026", "provisions-2024"},
	{"draft-2025", "provisions-2024"},
	{"guidelines-2026", "provisions-2024", "auto-provisions-2021"},
}

func load(t testing.TB, specs ...string) *rulepack.Set {
	t.Helper()
	set, err := rulepack.Load(specs, rulepack.Limits{})
	if err != nil {
		t.Fatalf("load %v: %v", specs, err)
	}
	return set
}

// holds applies a threshold operator.
func holds(v float64, op string, th float64) bool {
	switch op {
	case ">":
		return v > th
	case ">=":
		return v >= th
	case "<":
		return v < th
	case "<=":
		return v <= th
	case "==":
		return v == th
	}
	panic("unknown operator " + op)
}

// probes are the values tested around a threshold: one unit either side for
// integer facts, half a unit for number facts.
func probes(typ string, th float64) []any {
	if typ == model.TypeNumber {
		return []any{th - 0.5, th, th + 0.5}
	}
	n := int64(th)
	return []any{n - 1, n, n + 1}
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("not a number: %T", v))
}

// candidates are values tried for the other facts of an item when looking for
// a context in which only the threshold under test decides.
func candidates(set *rulepack.Set, fact string) []any {
	d := set.Facts[fact]
	switch d.Type {
	case model.TypeBool:
		return []any{false, true}
	case model.TypeEnum:
		out := []any{}
		for _, v := range d.Values {
			out = append(out, v)
		}
		return out
	case model.TypeList:
		if len(d.Values) == 0 {
			return []any{[]string{}, []string{"x"}}
		}
		return []any{[]string{}, []string{d.Values[0]}}
	case model.TypeInt, model.TypeNumber:
		seen := map[float64]bool{0: true, 1e9: true}
		vals := []float64{0, 1e9}
		for _, c := range set.Criteria {
			for _, th := range c.Thresholds {
				if th.Fact != fact {
					continue
				}
				for _, p := range probes(d.Type, th.Value) {
					f := asFloat(p)
					if !seen[f] && f >= 0 {
						seen[f] = true
						vals = append(vals, f)
					}
				}
			}
		}
		sort.Float64s(vals)
		out := []any{}
		for _, f := range vals {
			if d.Type == model.TypeInt {
				out = append(out, int64(f))
			} else {
				out = append(out, f)
			}
		}
		return out
	default:
		return []any{""}
	}
}

type vars map[string]any

func (v vars) Get(name string) (any, bool) { x, ok := v[name]; return x, ok }

func factSet(v vars) model.FactSet {
	fs := model.FactSet{}
	for k, x := range v {
		fs[k] = model.FactValue{Value: x, Source: model.SourceDeclared}
	}
	return fs
}

// isolate finds values for the item's other facts such that, for every probe
// of the threshold fact, the criterion's other conditions hold (it is true at
// a value far on its true side) and every other criterion of the item is
// false. It returns nil when no such context exists.
func isolate(t *testing.T, set *rulepack.Set, it *rulepack.ItemDef, c *rulepack.CriterionDef, th *rulepack.Threshold) vars {
	t.Helper()
	var others []string
	seen := map[string]bool{th.Fact: true}
	for _, ic := range it.Criteria {
		for _, f := range ic.Facts {
			if !seen[f] {
				seen[f] = true
				others = append(others, f)
			}
		}
	}
	sort.Strings(others)
	typ := set.Facts[th.Fact].Type
	far := th.Value + 1e6
	if th.Op == "<" || th.Op == "<=" {
		far = th.Value - 1e6
	}
	farV := any(far)
	if typ == model.TypeInt {
		farV = int64(far)
	}
	lim := set.Limits()
	ctx := context.Background()
	var found vars
	var try func(i int, cur vars) bool
	try = func(i int, cur vars) bool {
		if i < len(others) {
			for _, v := range candidates(set, others[i]) {
				cur[others[i]] = v
				if try(i+1, cur) {
					return true
				}
			}
			delete(cur, others[i])
			return false
		}
		cur[th.Fact] = farV
		if tr, _, err := c.Eval(ctx, cur, lim); err != nil || tr != rulepack.True {
			return false
		}
		for _, p := range probes(typ, th.Value) {
			cur[th.Fact] = p
			for _, oc := range it.Criteria {
				if oc == c {
					continue
				}
				if tr, _, err := oc.Eval(ctx, cur, lim); err != nil || tr != rulepack.False {
					return false
				}
			}
		}
		found = vars{}
		for k, v := range cur {
			found[k] = v
		}
		return true
	}
	try(0, vars{})
	return found
}

// TestThresholds_FromPacks evaluates, for every threshold recorded in the
// packs' criteria metadata, every item owning that criterion at value-1,
// value and value+1 (±0.5 for number facts), with the other facts chosen so
// that only this threshold decides, and asserts the result follows the
// threshold's operator. A threshold added to a pack is tested automatically.
func TestThresholds_FromPacks(t *testing.T) {
	for _, specs := range packSets {
		set := load(t, specs...)
		tested := 0
		for _, itemID := range set.ItemOrder {
			it := set.Items[itemID]
			for _, c := range it.Criteria {
				for _, th := range c.Thresholds {
					name := fmt.Sprintf("%s/%s/%s/%s%s%v", strings.Join(specs, "+"), itemID, c.ID, th.Fact, th.Op, th.Value)
					t.Run(name, func(t *testing.T) {
						ctxVars := isolate(t, set, it, c, th)
						if ctxVars == nil {
							t.Fatalf("no fact values make %s decide alone on %s %s %v in item %s: the threshold cannot be tested (or cannot matter)", c.ID, th.Fact, th.Op, th.Value, itemID)
						}
						for _, p := range probes(set.Facts[th.Fact].Type, th.Value) {
							v := vars{}
							for k, x := range ctxVars {
								v[k] = x
							}
							v[th.Fact] = p
							res := identify.Item(context.Background(), set, itemID, factSet(v), identify.Options{})
							want := model.NotImportant
							if holds(asFloat(p), th.Op, th.Value) {
								want = model.Important
							}
							if res.Result != want {
								t.Errorf("%s = %v (context %v): %s, want %s by %s %s %v (errors %v)", th.Fact, p, ctxVars, res.Result, want, th.Fact, th.Op, th.Value, res.Errors)
							}
							if want == model.Important && (len(res.Matched) != 1 || res.Matched[0].Criterion != c.ID) {
								t.Errorf("%s = %v: matched %v, want only %s", th.Fact, p, res.Matched, c.ID)
							}
						}
					})
					tested++
				}
			}
		}
		if tested == 0 {
			t.Errorf("%v: no thresholds found in the packs", specs)
		}
		t.Logf("%v: %d item thresholds tested", specs, tested)
	}
}

// expThreshold is one threshold as SPEC §4b fixes it.
type expThreshold struct {
	fact     string
	op       string
	value    float64
	inferred bool // SPEC or DOMAIN §5 require the `inferred` mark
}

// spec4b lists, per data item of SPEC §4b, its criteria as the sets of facts
// each reads, with the thresholds each must document. Criterion ids are the
// pack's to choose; what they test is fixed.
var spec4b = map[string][]struct {
	facts      []string
	thresholds []expThreshold
}{
	"rd.product_rd.design":                  {{facts: []string{"national_major_project"}}, {facts: []string{"export_control_tech_point"}}, {facts: []string{"dual_use_item"}}, {facts: []string{"infers_sensitive_geo"}}},
	"rd.product_rd.battery":                 {{facts: []string{"national_major_project"}}, {facts: []string{"export_control_tech_point"}}, {facts: []string{"dual_use_item"}}, {facts: []string{"infers_sensitive_geo"}}},
	"rd.testing.road_test":                  {{facts: []string{"vehicles_in_china"}, thresholds: []expThreshold{{"vehicles_in_china", ">=", 100000, true}}}, {facts: []string{"infers_sensitive_geo"}}},
	"rd.simulation.scenario":                {{facts: []string{"infers_sensitive_geo"}}},
	"production.manufacturing.bom":          {{facts: []string{"national_major_project"}}, {facts: []string{"export_control_tech_point"}}, {facts: []string{"dual_use_item"}}},
	"production.manufacturing.control_code": {{facts: []string{"national_major_project"}}, {facts: []string{"export_control_tech_point"}}, {facts: []string{"dual_use_item"}}},
	"production.battery.manufacturing":      {{facts: []string{"national_major_project"}}, {facts: []string{"export_control_tech_point"}}, {facts: []string{"dual_use_item"}}},
	"driving_automation.algorithm.model":    {{facts: []string{"award_provincial_or_higher"}}, {facts: []string{"affects_national_tech_security"}}},
	"driving_automation.training.scene":     {{facts: []string{"vehicles_in_china"}, thresholds: []expThreshold{{"vehicles_in_china", ">=", 100000, true}}}, {facts: []string{"infers_sensitive_geo"}}},
	"driving_automation.feature.map":        {{facts: []string{"infers_sensitive_geo"}}},
	"ota.upgrade.remote_control":            {{facts: []string{"remote_control_non_nfc", "safety_functions", "upgrades_vehicles_in_china"}}},
	"ota.upgrade.battery":                   {{facts: []string{"remote_control_non_nfc", "safety_functions", "upgrades_vehicles_in_china"}}},
	"connected.vehicle.vin":                 {{facts: []string{"outbound_individuals_ytd"}, thresholds: []expThreshold{{"outbound_individuals_ytd", ">", 1000000, true}}}},
	"connected.vehicle.keys":                {{facts: []string{"vehicles_in_china"}, thresholds: []expThreshold{{"vehicles_in_china", ">=", 100000, false}}}},
	"connected.vehicle.certificates":        {{facts: []string{"vehicles_in_china"}, thresholds: []expThreshold{{"vehicles_in_china", ">=", 100000, false}}}},
	"connected.vehicle.control_commands":    {{facts: []string{"vehicles_in_china"}, thresholds: []expThreshold{{"vehicles_in_china", ">=", 1, false}}}},
	"connected.perception.flow": {
		{facts: []string{"region_level", "time_span_days"}, thresholds: []expThreshold{{"time_span_days", ">=", 30, true}}},
		{facts: []string{"vehicles_in_china"}, thresholds: []expThreshold{{"vehicles_in_china", ">=", 100000, true}}},
		{facts: []string{"infers_sensitive_geo"}},
	},
	"connected.analysis.traffic_flow": {{facts: []string{"complete_intersections", "time_span_days"}, thresholds: []expThreshold{{"complete_intersections", ">=", 1, false}, {"time_span_days", ">", 30, true}}}},
	"connected.platform.network_planning": {
		{facts: []string{"vehicles_served"}, thresholds: []expThreshold{{"vehicles_served", ">=", 1000000, false}}},
		{facts: []string{"provides_ota", "vehicles_served"}, thresholds: []expThreshold{{"vehicles_served", ">=", 500000, false}}},
	},
	"connected.platform.charging": {
		{facts: []string{"sensitive_areas"}},
		// "over 100,000": only the English word is known, so DOMAIN §5 wants `inferred`.
		{facts: []string{"vehicles_in_china"}, thresholds: []expThreshold{{"vehicles_in_china", ">", 100000, true}}},
		{facts: []string{"outbound_individuals_ytd"}, thresholds: []expThreshold{{"outbound_individuals_ytd", ">", 1000000, true}}},
	},
}

// TestCriteria_MatchSpec4b checks that the 2026 pack holds every item of SPEC
// §4b with exactly its criteria, each threshold with the operator and value
// SPEC gives and the `inferred` mark where SPEC or DOMAIN §5 require it.
func TestCriteria_MatchSpec4b(t *testing.T) {
	set := load(t, "guidelines-2026", "provisions-2024")
	for _, itemID := range sortedKeys(spec4b) {
		want := spec4b[itemID]
		t.Run(itemID, func(t *testing.T) {
			it, ok := set.Items[itemID]
			if !ok {
				t.Fatalf("item %s of SPEC §4b is not in the 2026 pack", itemID)
			}
			if len(it.Criteria) != len(want) {
				var got []string
				for _, c := range it.Criteria {
					got = append(got, c.ID+fmt.Sprint(c.Facts))
				}
				t.Fatalf("%d criteria %v, want %d", len(it.Criteria), got, len(want))
			}
			used := map[*rulepack.CriterionDef]bool{}
			for _, w := range want {
				var c *rulepack.CriterionDef
				for _, cand := range it.Criteria {
					if !used[cand] && strings.Join(cand.Facts, ",") == strings.Join(w.facts, ",") {
						c = cand
						break
					}
				}
				if c == nil {
					t.Errorf("no criterion reads exactly %v", w.facts)
					continue
				}
				used[c] = true
				if len(c.Thresholds) != len(w.thresholds) {
					t.Errorf("criterion %s documents %d thresholds, want %d", c.ID, len(c.Thresholds), len(w.thresholds))
					continue
				}
				for _, wt := range w.thresholds {
					var got *rulepack.Threshold
					for _, th := range c.Thresholds {
						if th.Fact == wt.fact {
							got = th
						}
					}
					switch {
					case got == nil:
						t.Errorf("criterion %s: no threshold on %s", c.ID, wt.fact)
					case got.Op != wt.op || got.Value != wt.value:
						t.Errorf("criterion %s: threshold %s %s %v, want %s %v", c.ID, wt.fact, got.Op, got.Value, wt.op, wt.value)
					case wt.inferred && got.Provenance != model.ProvInferred:
						t.Errorf("criterion %s: threshold on %s has provenance %s, want inferred", c.ID, wt.fact, got.Provenance)
					}
				}
			}
		})
	}
	// The 2021 rule is not in the default packs (SPEC §4b).
	for id, c := range set.Criteria {
		if strings.Contains(c.Expr, "individuals >") || strings.Contains(c.Expr, "individuals>") {
			if !strings.Contains(c.Expr, "outbound_individuals_ytd") {
				t.Errorf("criterion %s (%s) looks like the 2021 PI rule, which must not be loaded by default", id, c.Expr)
			}
		}
	}
}

// TestThresholds_NumberWords checks DOMAIN §5 on every threshold of every
// embedded pack: 以上/以下/以内 include the number, 不满/超过 exclude it, and a
// threshold with no Chinese word known has its operator marked `inferred`
// unless the commentary states the comparison itself ("or more").
func TestThresholds_NumberWords(t *testing.T) {
	for _, specs := range packSets {
		set := load(t, specs...)
		for _, id := range sortedKeys(set.Criteria) {
			c := set.Criteria[id]
			for _, th := range c.Thresholds {
				w := th.Word
				switch {
				case strings.Contains(w, "超过") && th.Op != ">":
					t.Errorf("%s: %s comes from 超过 (excludes the number) but uses %s", id, th.Fact, th.Op)
				case strings.Contains(w, "以上") && th.Op != ">=":
					t.Errorf("%s: %s comes from 以上 (includes the number) but uses %s", id, th.Fact, th.Op)
				case strings.Contains(w, "不满") && th.Op != "<":
					t.Errorf("%s: %s comes from 不满 but uses %s", id, th.Fact, th.Op)
				}
				if th.Op == ">" && w == "" && th.Provenance != model.ProvInferred {
					t.Errorf("%s: %s > %v rests on an English \"over\" only and must be marked inferred, is %s", id, th.Fact, th.Value, th.Provenance)
				}
				if th.Provenance == "" {
					t.Errorf("%s: threshold on %s has no provenance", id, th.Fact)
				}
			}
		}
		// Mechanism thresholds too.
		for _, name := range sortedKeys(set.Params) {
			p := set.Params[name]
			if p.Op == "" {
				continue
			}
			if strings.Contains(p.Word, "以上") && !strings.Contains(p.Word, "不满") && p.Op != ">=" {
				t.Errorf("parameter %s: %s but op %s", name, p.Word, p.Op)
			}
		}
	}
}

// TestThresholds_EveryComparisonDocumented checks the converse of the
// loader's check: every numeric comparison written in a criterion is
// documented as a threshold, so the generated boundary tests miss none.
func TestThresholds_EveryComparisonDocumented(t *testing.T) {
	for _, specs := range packSets {
		set := load(t, specs...)
		for _, id := range sortedKeys(set.Criteria) {
			c := set.Criteria[id]
			for _, cmp := range comparisons(c.Expr) {
				d := set.Facts[cmp.fact]
				if d == nil || (d.Type != model.TypeInt && d.Type != model.TypeNumber) {
					continue
				}
				found := false
				for _, th := range c.Thresholds {
					if th.Fact == cmp.fact && th.Op == cmp.op && th.Value == cmp.value {
						found = true
					}
				}
				if !found {
					t.Errorf("%v: criterion %s compares %s %s %v without a documented threshold", specs, id, cmp.fact, cmp.op, cmp.value)
				}
			}
		}
	}
}

type comparison struct {
	fact  string
	op    string
	value float64
}

// comparisons finds `fact OP number` in an expression. The packs' criteria
// are plain comparisons joined by && and ||, which a scanner reads exactly.
func comparisons(expr string) []comparison {
	var out []comparison
	toks := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ", "&&", " && ", "||", " || ").Replace(expr))
	for i := 0; i+2 < len(toks); i++ {
		switch toks[i+1] {
		case ">", ">=", "<", "<=", "==":
			var v float64
			if _, err := fmt.Sscanf(toks[i+2], "%g", &v); err == nil && !math.IsNaN(v) {
				out = append(out, comparison{toks[i], toks[i+1], v})
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
