package rulepack_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/rulepack"
)

func changeKeys(cs []rulepack.Change, what string) []string {
	var out []string
	for _, c := range cs {
		if what == "" || c.What == what {
			out = append(out, c.Kind+" "+c.What+" "+c.ID)
		}
	}
	sort.Strings(out)
	return out
}

func TestDiff_Draft2025To2026(t *testing.T) {
	draft := mustLoad(t, "draft-2025", "provisions-2024")
	final := mustLoad(t, "guidelines-2026", "provisions-2024")
	cs := rulepack.Diff(draft, final)

	// The battery items are new in 2026; the export-control and dual-use
	// criteria are new and attached to the R&D and production items.
	wantItems := []string{
		"added item ota.upgrade.battery",
		"added item production.battery.manufacturing",
		"added item rd.product_rd.battery",
		// The 2026 footnote on coordinate-bearing data is a note of these three.
		"changed item connected.perception.flow",
		"changed item driving_automation.feature.map",
		"changed item driving_automation.training.scene",
		"changed item production.manufacturing.bom",
		"changed item production.manufacturing.control_code",
		"changed item rd.product_rd.design",
	}
	if got := changeKeys(cs, "item"); strings.Join(got, "\n") != strings.Join(wantItems, "\n") {
		t.Errorf("item changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantItems, "\n"))
	}
	for _, c := range cs {
		if c.What == "item" && c.ID == "rd.product_rd.design" {
			want := "criteria national_major_project, infers_sensitive_geo -> national_major_project, export_control_tech_point, dual_use_item, infers_sensitive_geo"
			if c.Detail != want {
				t.Errorf("rd.product_rd.design detail %q, want %q", c.Detail, want)
			}
		}
		if c.Kind == "removed" {
			t.Errorf("nothing of the draft was removed in 2026 by our sources, got %+v", c)
		}
	}
	var addedCrit []string
	for _, c := range cs {
		if c.What == "criterion" && c.Kind == "added" {
			addedCrit = append(addedCrit, c.ID)
		}
	}
	sort.Strings(addedCrit)
	if got := strings.Join(addedCrit, ","); got != "dual_use_item,export_control_tech_point" {
		t.Errorf("added criteria %s", got)
	}
	// Criteria carried over from the draft on the commentary's word are
	// marked inferred there and commentary in 2026: the diff shows it.
	found := false
	for _, c := range cs {
		if c.What == "criterion" && c.ID == "vehicles_100k_or_more" {
			found = c.Kind == "changed" && strings.Contains(c.Detail, "provenance inferred -> commentary")
		}
	}
	if !found {
		t.Error("the provenance change of vehicles_100k_or_more is not reported")
	}
	// The automotive exemptions are carried into the draft as inferred (our
	// sources do not say whether it had them), with the draft's date.
	wantEx := []string{"changed exemption incident_report", "changed exemption ota_recall_source_code", "changed exemption vulnerability_report"}
	if got := changeKeys(cs, "exemption"); strings.Join(got, ",") != strings.Join(wantEx, ",") {
		t.Errorf("exemption changes %v", got)
	}
	for _, c := range cs {
		if c.What == "exemption" && (c.ProvenanceOnly || c.Detail != "effective 2025-06-13 -> 2026-01-30; provenance inferred -> commentary") {
			t.Errorf("exemption %s: %q (provenance only %v)", c.ID, c.Detail, c.ProvenanceOnly)
		}
	}
	if got := changeKeys(cs, "parameter"); strings.Join(got, ",") != "added parameter geo_processing_required_before_transfer" {
		t.Errorf("parameter changes %v", got)
	}
	// Provenance-only changes are marked so they can be listed apart.
	var provOnly, other int
	for _, c := range cs {
		if c.ProvenanceOnly {
			provOnly++
			if !strings.HasPrefix(c.Detail, "provenance ") || strings.Contains(c.Detail, ";") {
				t.Errorf("%s %s marked provenance only: %q", c.What, c.ID, c.Detail)
			}
		} else {
			other++
		}
	}
	if provOnly == 0 || other == 0 {
		t.Errorf("%d provenance-only and %d other changes: want both", provOnly, other)
	}
}

func TestDiff_IsEmptyForTheSameEditionAndMirrorsWhenSwapped(t *testing.T) {
	a := mustLoad(t, "draft-2025", "provisions-2024")
	b := mustLoad(t, "guidelines-2026", "provisions-2024")
	if cs := rulepack.Diff(b, mustLoad(t, "guidelines-2026", "provisions-2024")); len(cs) != 0 {
		t.Errorf("diff of an edition with itself: %v", cs)
	}
	fwd, back := rulepack.Diff(a, b), rulepack.Diff(b, a)
	if len(fwd) != len(back) {
		t.Fatalf("%d changes forward, %d back", len(fwd), len(back))
	}
	swap := map[string]string{"added": "removed", "removed": "added", "changed": "changed"}
	bk := map[string]bool{}
	for _, c := range back {
		bk[c.Kind+" "+c.What+" "+c.ID] = true
	}
	for _, c := range fwd {
		if k := swap[c.Kind] + " " + c.What + " " + c.ID; !bk[k] {
			t.Errorf("forward %s %s %s has no mirror %q", c.Kind, c.What, c.ID, k)
		}
	}
}

func TestDiff_PatchParametersAndSorting(t *testing.T) {
	base := mustLoad(t, "guidelines-2026", "provisions-2024")
	patched := mustLoad(t, "guidelines-2026", "provisions-2024", "testdata/overrides.good.yaml")
	cs := rulepack.Diff(base, patched)
	want := map[string]bool{
		"changed parameter contract_individuals":                       true,
		"changed parameter automotive_exemptions_cover_important_data": true,
		"changed parameter sa_validity_cutoff":                         true,
		"changed criterion vehicles_100k_testing":                      true,
		"removed item connected.platform.security_assurance":           true,
		"removed criterion dual_use_item":                              true,
	}
	got := map[string]bool{}
	for _, k := range changeKeys(cs, "") {
		got[k] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing change %q in %v", k, changeKeys(cs, ""))
		}
	}
	rulepack.SortChanges(cs)
	rank := map[string]int{"item": 0, "criterion": 1, "fact": 2, "parameter": 3, "exemption": 4}
	for i := 1; i < len(cs); i++ {
		if rank[cs[i-1].What] > rank[cs[i].What] {
			t.Fatalf("SortChanges: %s before %s", cs[i-1].What, cs[i].What)
		}
	}
}
