package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulepack"
)

func TestRulesList(t *testing.T) {
	code, out, stderr := run(t, "rules", "list")
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, want := range []string{"holds 21 of the official 51 data items", "rd.testing.road_test", "connected.platform.charging", "vehicles_100k_testing*", "(criteria not in our sources)"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules list lacks %q", want)
		}
	}
	code, out, _ = run(t, "rules", "list", "--format", "json")
	var doc struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Items) != 22 {
		t.Errorf("rules list --format json: exit %d, %d items (want 21 Guidelines items + general.personal_information)", code, len(doc.Items))
	}
}

func TestRulesShow(t *testing.T) {
	cases := map[string]string{
		"rd.testing.road_test":          "vehicles_in_china >= 100000",
		"vin_individuals_1m":            "outbound_individuals_ytd > 1000000",
		"region_level":                  "none, county, prefecture, province, national",
		"sa_individuals":                "100万人以上",
		"vulnerability_report":          "open interpretation",
		"guidelines-2026":               "Holds 21 of the official 51",
		"small_volume":                  "computed by xborder, never claimed",
		"sa_validity_years_before_2024": "inferred",
	}
	for id, want := range cases {
		code, out, stderr := run(t, "rules", "show", id)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("rules show %s: exit %d (%s); output lacks %q:\n%s", id, code, stderr, want, out)
		}
	}
	if code, _, stderr := run(t, "rules", "show", "nope"); code != 2 || !strings.Contains(stderr, "nope") {
		t.Errorf("unknown id: exit %d, %q", code, stderr)
	}
}

func TestRulesDiffDraftTo2026(t *testing.T) {
	code, out, stderr := run(t, "rules", "diff", "draft-2025", "guidelines-2026", "--format", "json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var d struct {
		Changes []struct{ Kind, What, ID, Detail string } `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	has := func(kind, what, id string) bool {
		for _, c := range d.Changes {
			if c.Kind == kind && c.What == what && c.ID == id {
				return true
			}
		}
		return false
	}
	for _, w := range [][3]string{
		{"added", "item", "rd.product_rd.battery"}, {"added", "item", "production.battery.manufacturing"}, {"added", "item", "ota.upgrade.battery"},
		{"added", "criterion", "export_control_tech_point"}, {"added", "criterion", "dual_use_item"},
		{"changed", "item", "rd.product_rd.design"}, {"changed", "exemption", "vulnerability_report"},
	} {
		if !has(w[0], w[1], w[2]) {
			t.Errorf("diff lacks %s %s %s", w[0], w[1], w[2])
		}
	}
	if has("removed", "item", "rd.testing.road_test") {
		t.Errorf("road test item wrongly reported removed")
	}
	// The table lists provenance-only changes apart, after the others.
	_, table, _ := run(t, "rules", "diff", "draft-2025", "guidelines-2026")
	i, j := strings.Index(table, "export_control_tech_point"), strings.Index(table, "provenance only (the rule reads the same):")
	if i < 0 || j < 0 || i > j || !strings.Contains(table[j:], "vehicles_100k_or_more") {
		t.Errorf("diff table: substantive changes, then provenance-only ones, expected:\n%s", table)
	}
	if code, _, _ := run(t, "rules", "diff", "draft-2025"); code != 2 {
		t.Errorf("diff with one argument: exit %d, want 2", code)
	}
}

// TestRulesDiffEditionAgainstPatch: a patch is compared with the defaults it
// extends, so the diff shows what the patch changes and nothing else.
func TestRulesDiffEditionAgainstPatch(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(p, []byte("pack: mine\nversion: \"1\"\nextends: [provisions-2024]\nparameters:\n  sa_individuals: 500000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "rules", "diff", "provisions-2024", p, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d struct {
		Changes []rulepack.Change `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 || d.Changes[0].ID != "sa_individuals" || d.Changes[0].Detail != ">= 1000000 -> >= 500000; provenance secondary -> inferred" {
		t.Fatalf("changes %+v, want only sa_individuals", d.Changes)
	}
}

// rules list reads well in a 100-column terminal with every bundled pack
// (and the example patch, and a patch with Chinese names and a long id): no
// line wider than report.Width display columns (a Chinese character takes
// two), and nothing cut (every item and criterion id is printed whole).
func TestRulesList_FitsIn100Columns(t *testing.T) {
	cjk := filepath.Join(t.TempDir(), "cjk.yaml")
	if err := os.WriteFile(cjk, []byte(`pack: cjk-layout
version: "1"
extends: [guidelines-2026]
items:
  - id: rd.testing.cjk_layout_example_with_a_rather_long_identifier
    scenario: rd
    subscenario: rd.testing
    name: 道路测试数据（含高精度定位轨迹、车辆传感器原始数据以及标注后的场景片段，覆盖全国多个省份的长期道路测试）
    provenance: inferred
    criteria: [infers_sensitive_geo, vehicles_100k_testing]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	specs := [][]string{nil} // the defaults
	for _, id := range rulepack.Embedded() {
		if !slices.Contains(rulepack.Defaults, id) {
			specs = append(specs, []string{id})
		}
	}
	examples, _ := filepath.Glob(filepath.Join(repoRoot(), "examples", "packs", "*.yaml"))
	if len(examples) == 0 || len(specs) < 3 {
		t.Fatalf("packs to list: %v and examples %v", specs, examples)
	}
	for _, e := range examples {
		specs = append(specs, []string{e})
	}
	specs = append(specs, []string{cjk})
	for _, spec := range specs {
		args := []string{"rules", "list"}
		for _, s := range spec {
			args = append(args, "--pack", s)
		}
		code, out, stderr := run(t, args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
			continue
		}
		for i, line := range strings.Split(out, "\n") {
			if n := report.DisplayWidth(line); n > report.Width {
				t.Errorf("%v: line %d is %d columns, over %d: %q", spec, i+1, n, report.Width, line)
			}
		}
		if strings.Contains(out, "…") {
			t.Errorf("%v: a cell is cut (…)", spec)
		}
		set, err := rulepack.LoadWithDefaults(spec, rulepack.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		words := map[string]bool{}
		for _, w := range strings.FieldsFunc(out, func(r rune) bool { return r == ' ' || r == '\n' || r == ',' }) {
			words[strings.TrimSuffix(w, "*")] = true
		}
		for _, id := range set.ItemOrder {
			if !words[id] {
				t.Errorf("%v: item %s not printed whole", spec, id)
			}
			for _, c := range set.Items[id].Criteria {
				if !words[c.ID] {
					t.Errorf("%v: criterion %s of %s not printed whole", spec, c.ID, id)
				}
			}
		}
		for _, p := range set.Packs {
			if !strings.Contains(strings.Join(strings.Fields(out), " "), p.Title) {
				t.Errorf("%v: title of pack %s not printed in full", spec, p.ID)
			}
		}
	}
	// The Chinese name wraps by display columns: its lines fill the text
	// column (a count of bytes or runes would leave them short or too long).
	_, out, _ := run(t, "rules", "list", "--pack", cjk)
	var cjkLines []string
	for _, line := range strings.Split(out, "\n") {
		if strings.ContainsRune(line, '测') || strings.ContainsRune(line, '省') {
			cjkLines = append(cjkLines, line)
		}
	}
	if len(cjkLines) != 2 || report.DisplayWidth(cjkLines[0]) < report.Width-2 {
		t.Errorf("Chinese name in %d lines, first %d columns: %q", len(cjkLines), report.DisplayWidth(cjkLines[0]), cjkLines)
	}
	name := strings.TrimSpace(cjkLines[0]) + strings.TrimSpace(cjkLines[1])
	if name != "道路测试数据（含高精度定位轨迹、车辆传感器原始数据以及标注后的场景片段，覆盖全国多个省份的长期道路测试）" {
		t.Errorf("Chinese name not kept whole: %q", name)
	}
	// The glued "[new in 2026]" marker stays on one line.
	if !strings.Contains(out, "[new in 2026]") {
		t.Errorf("[new in 2026] split across lines:\n%s", out)
	}
}
