package rulepack

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Change is one difference between two editions.
type Change struct {
	Kind   string `json:"kind"` // added | removed | changed
	What   string `json:"what"` // item | criterion | fact | parameter | exemption
	ID     string `json:"id"`
	Detail string `json:"detail,omitempty"`
	// ProvenanceOnly marks a change of provenance alone: the rule reads the
	// same, only how firmly we know it changed (e.g. a criterion carried
	// over into a draft as inferred and stated by the commentary in 2026).
	ProvenanceOnly bool `json:"provenance_only,omitempty"`
}

// Diff compares two sets item by item: items and their criteria, criteria
// expressions and provenance, facts, parameters and exemptions.
func Diff(a, b *Set) []Change {
	var out []Change
	for _, id := range union(a.ItemOrder, b.ItemOrder) {
		ia, ib := a.Items[id], b.Items[id]
		switch {
		case ia == nil:
			out = append(out, Change{"added", "item", id, fmt.Sprintf("%s; criteria: %s", ib.Name, critIDs(ib)), false})
		case ib == nil:
			out = append(out, Change{"removed", "item", id, ia.Name, false})
		default:
			var d []string
			if ia.Name != ib.Name {
				d = append(d, fmt.Sprintf("name %q -> %q", ia.Name, ib.Name))
			}
			ca, cb := critIDs(ia), critIDs(ib)
			if ca != cb {
				d = append(d, fmt.Sprintf("criteria %s -> %s", ca, cb))
			}
			if ia.CriteriaUnknown != ib.CriteriaUnknown {
				d = append(d, fmt.Sprintf("criteria_unknown %v -> %v", ia.CriteriaUnknown, ib.CriteriaUnknown))
			}
			if !reflect.DeepEqual(trimAll(ia.Notes), trimAll(ib.Notes)) {
				d = append(d, "notes changed")
			}
			prov := ia.Provenance != ib.Provenance
			if prov {
				d = append(d, fmt.Sprintf("provenance %s -> %s", ia.Provenance, ib.Provenance))
			}
			if len(d) > 0 {
				out = append(out, Change{Kind: "changed", What: "item", ID: id, Detail: strings.Join(d, "; "), ProvenanceOnly: prov && len(d) == 1})
			}
		}
	}
	for _, id := range union(sortedKeys(a.Criteria), sortedKeys(b.Criteria)) {
		ca, cb := a.Criteria[id], b.Criteria[id]
		switch {
		case ca == nil:
			out = append(out, Change{"added", "criterion", id, fmt.Sprintf("%s [%s] %s", cb.Expr, cb.Provenance, cb.Text), false})
		case cb == nil:
			out = append(out, Change{"removed", "criterion", id, fmt.Sprintf("%s [%s]", ca.Expr, ca.Provenance), false})
		default:
			var d []string
			if ca.Expr != cb.Expr {
				d = append(d, fmt.Sprintf("expr %q -> %q", ca.Expr, cb.Expr))
			}
			if strings.TrimSpace(ca.Text) != strings.TrimSpace(cb.Text) {
				d = append(d, "text changed")
			}
			if pa, pb := ca.EffectiveProvenance(), cb.EffectiveProvenance(); pa != pb || ca.Provenance != cb.Provenance {
				d = append(d, fmt.Sprintf("provenance %s -> %s", ca.Provenance, cb.Provenance))
				switch {
				case pa == pb && pa != cb.Provenance:
					d[len(d)-1] += fmt.Sprintf(" (a match stays %s: a threshold is %s)", pa, pa)
				case pa != ca.Provenance || pb != cb.Provenance:
					d[len(d)-1] += fmt.Sprintf(" (a match, with its thresholds: %s -> %s)", pa, pb)
				}
				if len(d) == 1 {
					out = append(out, Change{Kind: "changed", What: "criterion", ID: id, Detail: d[0], ProvenanceOnly: true})
					continue
				}
			}
			if len(d) > 0 {
				out = append(out, Change{"changed", "criterion", id, strings.Join(d, "; "), false})
			}
		}
	}
	for _, id := range union(a.FactOrder, b.FactOrder) {
		fa, fb := a.Facts[id], b.Facts[id]
		switch {
		case fa == nil:
			out = append(out, Change{"added", "fact", id, fb.Type, false})
		case fb == nil:
			out = append(out, Change{"removed", "fact", id, fa.Type, false})
		case fa.Type != fb.Type || !reflect.DeepEqual(fa.Values, fb.Values):
			out = append(out, Change{"changed", "fact", id, fmt.Sprintf("%s %v -> %s %v", fa.Type, fa.Values, fb.Type, fb.Values), false})
		}
	}
	for _, id := range union(sortedKeys(a.Params), sortedKeys(b.Params)) {
		pa, pb := a.Params[id], b.Params[id]
		switch {
		case pa == nil:
			out = append(out, Change{"added", "parameter", id, fmt.Sprint(pb.Value), false})
		case pb == nil:
			out = append(out, Change{"removed", "parameter", id, fmt.Sprint(pa.Value), false})
		case !reflect.DeepEqual(pa.Value, pb.Value) || pa.Op != pb.Op:
			d := fmt.Sprintf("%s %v -> %s %v", pa.Op, pa.Value, pb.Op, pb.Value)
			if pa.Provenance != pb.Provenance {
				d += fmt.Sprintf("; provenance %s -> %s", pa.Provenance, pb.Provenance)
			}
			out = append(out, Change{"changed", "parameter", id, d, false})
		case pa.Provenance != pb.Provenance:
			out = append(out, Change{Kind: "changed", What: "parameter", ID: id, Detail: fmt.Sprintf("provenance %s -> %s", pa.Provenance, pb.Provenance), ProvenanceOnly: true})
		}
	}
	for _, id := range union(sortedKeys(a.Exemptions), sortedKeys(b.Exemptions)) {
		ea, eb := a.Exemptions[id], b.Exemptions[id]
		switch {
		case ea == nil:
			out = append(out, Change{"added", "exemption", id, eb.Text, false})
		case eb == nil:
			out = append(out, Change{"removed", "exemption", id, ea.Text, false})
		default:
			var d []string
			if strings.TrimSpace(ea.Text) != strings.TrimSpace(eb.Text) {
				d = append(d, "text changed")
			}
			if ea.EffectiveDate != eb.EffectiveDate {
				d = append(d, fmt.Sprintf("effective %s -> %s", ea.EffectiveDate, eb.EffectiveDate))
			}
			if ea.ImportantData != eb.ImportantData {
				d = append(d, fmt.Sprintf("important_data %q -> %q", ea.ImportantData, eb.ImportantData))
			}
			prov := ea.Provenance != eb.Provenance
			if prov {
				d = append(d, fmt.Sprintf("provenance %s -> %s", ea.Provenance, eb.Provenance))
			}
			if len(d) > 0 {
				out = append(out, Change{Kind: "changed", What: "exemption", ID: id, Detail: strings.Join(d, "; "), ProvenanceOnly: prov && len(d) == 1})
			}
		}
	}
	return out
}

func critIDs(it *ItemDef) string {
	var ids []string
	for _, c := range it.Criteria {
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return "(none)"
	}
	return strings.Join(ids, ", ")
}

// union keeps a's order, then b's extras.
func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// SortChanges orders changes by what, then kind, then id.
func SortChanges(cs []Change) {
	rank := map[string]int{"item": 0, "criterion": 1, "fact": 2, "parameter": 3, "exemption": 4}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].What != cs[j].What {
			return rank[cs[i].What] < rank[cs[j].What]
		}
		return false
	})
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strings.Join(strings.Fields(s), " "))
	}
	return out
}
