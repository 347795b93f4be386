package rulepack_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/xerr"
)

// badPacks maps each testdata/NAME.bad.yaml patch pack, loaded after the
// default packs, to the exact error text it must produce (Prometheus
// config-test style): every message names file:line:column. Rows with `bug`
// describe a known defect: they are skipped (run them with
// XBORDER_PACK_BUGS=1) and state only what the fixed error must contain.
var badPacks = []struct {
	name     string
	want     string
	bug      string
	contains []string
}{
	{name: "attach-remove", want: `testdata/attach-remove.bad.yaml:7:11: cannot remove item no.such.item: not loaded
testdata/attach-remove.bad.yaml:8:14: cannot remove criterion no_such_criterion: not loaded
testdata/attach-remove.bad.yaml:5:47: cannot attach to item no.such.item: not loaded`},
	{name: "attach-unknown-criterion", want: `testdata/attach-unknown-criterion.bad.yaml:5:17: cannot attach unknown criterion "no_such_criterion"`},
	{name: "bad-cel", want: `testdata/bad-cel.bad.yaml:7:11: criterion unbalanced: does not compile: ERROR: <input>:1:24: Syntax error: missing ')' at '<EOF>' | (vehicles_in_china >= 5 | .......................^`},
	{name: "bad-date", want: `testdata/bad-date.bad.yaml:4:9: invalid date "2026-02-30": want YYYY-MM-DD
testdata/bad-date.bad.yaml:5:12: invalid date "30/01/2026": want YYYY-MM-DD`},
	{name: "bad-id", want: `testdata/bad-id.bad.yaml:1:7: pack id "Bad Pack": use lower-case letters, digits, '.', '_' and '-'
testdata/bad-id.bad.yaml:9:12: fact name "CamelCase": use lower_snake_case
testdata/bad-id.bad.yaml:5:10: criterion id "Has Spaces": use lower-case letters, digits, '.', '_' and '-'
testdata/bad-id.bad.yaml:7:10: item id "-leading": use lower-case letters, digits, '.', '_' and '-'`},
	{name: "bad-provenance", want: `testdata/bad-provenance.bad.yaml:5:7: criterion c1: provenance "official" is not one of commentary, secondary, inferred
testdata/bad-provenance.bad.yaml:9:18: criterion c1 threshold: provenance "Commentary" is not one of commentary, secondary, inferred
testdata/bad-provenance.bad.yaml:11:5: item custom.item: provenance "" is not one of commentary, secondary, inferred`},
	{name: "derived-fact", want: `testdata/derived-fact.bad.yaml:5:55: fact outbound_vehicles_ytd: only facts xborder computes may be derived (outbound_individuals_ytd); declare it as an ordinary fact`},
	{name: "duplicate-ids", want: "testdata/duplicate-ids.bad.yaml:5:12: fact vehicles_in_china is already defined in builtin:guidelines-2026 (a patch may set `override: true`)\ntestdata/duplicate-ids.bad.yaml:13:10: scenario rd is already defined\ntestdata/duplicate-ids.bad.yaml:7:10: criterion infers_sensitive_geo is already defined in builtin:guidelines-2026 (a patch may set `override: true`)\ntestdata/duplicate-ids.bad.yaml:9:10: criterion fresh is already defined in testdata/duplicate-ids.bad.yaml (a patch may set `override: true`)\ntestdata/duplicate-ids.bad.yaml:11:10: item rd.simulation.scenario is already defined in builtin:guidelines-2026 (a patch may set `override: true`)"},
	{name: "duplicate-key", want: `testdata/duplicate-key.bad.yaml:4:1: mapping key "version" already defined at [2:1]`},
	{name: "edition-and-patch", want: `testdata/edition-and-patch.bad.yaml:4:10: a pack is either an edition (family) or a patch (extends), not both`},
	{name: "exemption-defs", want: `testdata/exemption-defs.bad.yaml:5:10: exemption id "Bad-Id": use lower_snake_case
testdata/exemption-defs.bad.yaml:6:5: exemption fine_id: provenance "official" is not one of commentary, secondary, inferred`},
	{name: "exemption-param", want: "testdata/exemption-param.bad.yaml:5:65: exemption my_exemption: important_data names unknown parameter \"no_such_parameter\"\ntestdata/exemption-param.bad.yaml:6:61: exemption my_other: parameter sa_individuals must be true or false"},
	{name: "exemption-redefined", want: "testdata/exemption-redefined.bad.yaml:5:10: exemption small_volume is already defined in builtin:provisions-2024 (a patch may set `override: true`)"},
	{name: "extends-unloaded", want: `testdata/extends-unloaded.bad.yaml:3:11: pack "extends-unloaded" extends "guidelines-2027", which is not loaded (loaded: guidelines-2026, provisions-2024)`},
	{name: "fact-defs", want: "testdata/fact-defs.bad.yaml:5:26: fact f_type: type \"integer\" is not one of int, number, bool, enum, list, string\ntestdata/fact-defs.bad.yaml:6:5: fact f_enum: an enum needs `values:`\ntestdata/fact-defs.bad.yaml:7:5: fact f_question: needs a `question:` to ask when it is missing\ntestdata/fact-defs.bad.yaml:8:45: fact f_monotone: monotone must be \"increasing\""},
	{name: "in-force", want: `testdata/in-force.bad.yaml:4:11: want true or false, got string`},
	{name: "item-criteria", want: "testdata/item-criteria.bad.yaml:5:5: item custom.none: needs `criteria:`, or `criteria_unknown: true` when the sources do not give them, or `no_criteria: true` for data that is never important\ntestdata/item-criteria.bad.yaml:6:5: item custom.both: `no_criteria: true` contradicts its criteria\ntestdata/item-criteria.bad.yaml:7:5: item custom.nameless: needs `name:`"},
	{name: "item-scenario", want: `testdata/item-scenario.bad.yaml:5:45: item custom.lost: unknown scenario "nowhere"
testdata/item-scenario.bad.yaml:6:64: item custom.mixed: sub-scenario connected.platform belongs to scenario connected, not rd
testdata/item-scenario.bad.yaml:7:60: item custom.sub: unknown sub-scenario "rd.nowhere"`},
	{name: "loaded-twice", want: `testdata/loaded-twice.bad.yaml:1:7: pack "guidelines-2026" is loaded twice (also from builtin:guidelines-2026)`},
	{name: "multi-document", want: `testdata/multi-document.bad.yaml:1:1: a pack file holds one YAML document`},
	{name: "neither", want: "testdata/neither.bad.yaml:1:7: pack \"neither\" needs `family:` (an edition) or `extends:` (a patch)"},
	{name: "no-id", want: "testdata/no-id.bad.yaml:1:1: missing `pack:` (the pack id)"},
	{name: "no-version", want: "testdata/no-version.bad.yaml:1:7: pack \"no-version\" needs a `version:`"},
	{name: "non-boolean", want: `testdata/non-boolean.bad.yaml:7:11: criterion a_number: must be true or false, but is int
testdata/non-boolean.bad.yaml:11:11: criterion a_string: must be true or false, but is string`},
	{name: "number-edition", want: `testdata/number-edition.bad.yaml:5:19: coverage.official_items: 051 has a leading zero, which YAML 1.1 reads as octal (41): write the number in decimal without leading zeros
testdata/number-edition.bad.yaml:6:24: coverage.official_categories: 2_7 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (27)
testdata/number-edition.bad.yaml:9:29: parameter sa_individuals: 0x0F4240 is hexadecimal: write the number in decimal (1000000)
testdata/number-edition.bad.yaml:10:50: parameter extension_window_working_days: 010 has a leading zero, which YAML 1.1 reads as octal (8): write the number in decimal without leading zeros`},
	{name: "number-exponent", want: `testdata/number-exponent.bad.yaml:5:19: parameter sa_individuals: 1e6 has an exponent: write the number in decimal without an exponent (1000000)
testdata/number-exponent.bad.yaml:6:33: parameter contract_individuals: 1.0e5 has an exponent: write the number in decimal without an exponent (100000)
testdata/number-exponent.bad.yaml:13:52: criterion vehicles_exponent threshold: 1e5 has an exponent: write the number in decimal without an exponent (100000)
testdata/number-exponent.bad.yaml:14:52: criterion vehicles_exponent threshold: .inf is not a finite number: write the number in decimal`},
	{name: "number-hex", want: `testdata/number-hex.bad.yaml:5:19: parameter sa_individuals: 0xF4240 is hexadecimal: write the number in decimal (1000000)
testdata/number-hex.bad.yaml:6:33: parameter contract_individuals: 0x186a0 is hexadecimal: write the number in decimal (100000)
testdata/number-hex.bad.yaml:7:29: parameter sa_sensitive_individuals: 0o23420 is octal: write the number in decimal (10000)
testdata/number-hex.bad.yaml:8:33: parameter contract_filing_working_days: 0b1010 is binary: write the number in decimal (10)
testdata/number-hex.bad.yaml:14:61: criterion vehicles_hex threshold: 0x186A0 is hexadecimal: write the number in decimal (100000)`},
	{name: "number-octal", want: `testdata/number-octal.bad.yaml:5:25: parameter contract_individuals: 0100000 has a leading zero, which YAML 1.1 reads as octal (32768): write the number in decimal without leading zeros
testdata/number-octal.bad.yaml:6:27: parameter sa_individuals: 01000000 has a leading zero, which YAML 1.1 reads as octal (262144): write the number in decimal without leading zeros
testdata/number-octal.bad.yaml:7:35: parameter contract_sensitive_individuals: 010000 has a leading zero, which YAML 1.1 reads as octal (4096): write the number in decimal without leading zeros
testdata/number-octal.bad.yaml:13:61: criterion vehicles_octal threshold: 0100000 has a leading zero, which YAML 1.1 reads as octal (32768): write the number in decimal without leading zeros
testdata/number-octal.bad.yaml:19:49: criterion days_leading_zero threshold: 09 has a leading zero: write the number in decimal without leading zeros`},
	{name: "number-tag", want: `testdata/number-tag.bad.yaml:5:27: parameter sa_individuals: the tag !!int is not allowed on a number: write the number in decimal without a tag
testdata/number-tag.bad.yaml:6:25: parameter contract_individuals: the tag !!int is not allowed on a number: write the number in decimal without a tag
testdata/number-tag.bad.yaml:7:35: parameter contract_sensitive_individuals: the tag !!float is not allowed on a number: write the number in decimal without a tag
testdata/number-tag.bad.yaml:13:60: criterion vehicles_tagged threshold: the tag !!int is not allowed on a number: write the number in decimal without a tag`},
	{name: "text-number", want: `testdata/text-number.bad.yaml:2:10: version: 1.10 would be read as the number 1.1: quote it ("1.10") to keep it as written`},
	{name: "number-quoted", want: `testdata/number-quoted.bad.yaml:10:52: criterion vehicles_quoted threshold: "100_000" is quoted, which makes it text: write the number without quotes
testdata/number-quoted.bad.yaml:11:52: criterion vehicles_quoted threshold: '0100000' is quoted, which makes it text: write the number without quotes`},
	{name: "number-sign", want: `testdata/number-sign.bad.yaml:5:19: parameter sa_individuals: +1000000 has a "+" sign: write the number in decimal without a sign (1000000)
testdata/number-sign.bad.yaml:6:25: parameter contract_individuals: want a non-negative number, got -0
testdata/number-sign.bad.yaml:7:22: parameter sa_validity_years: want a non-negative number, got -3
testdata/number-sign.bad.yaml:13:61: criterion vehicles_signed threshold: +100000 has a "+" sign: write the number in decimal without a sign (100000)`},
	{name: "number-underscore", want: `testdata/number-underscore.bad.yaml:5:19: parameter sa_individuals: 1_000_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1000000)
testdata/number-underscore.bad.yaml:6:33: parameter contract_individuals: 100_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (100000)
testdata/number-underscore.bad.yaml:12:61: criterion vehicles_grouped threshold: 100_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (100000)
testdata/number-underscore.bad.yaml:17:58: criterion days_grouped threshold: 0_0.5 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators`},
	{name: "override-breaks", want: `builtin:guidelines-2026:300:11: criterion sensitive_areas: must be true or false, but is int`},
	{name: "param-unknown-field", want: `testdata/param-unknown-field.bad.yaml:5:46: parameter sa_individuals: unknown key "operator" (want value, op, word, text, provenance)`},
	{name: "param-unknown", want: `testdata/param-unknown.bad.yaml:6:25: parameter contract_individuals: needs a value
testdata/param-unknown.bad.yaml:5:18: parameter sa_individual is not defined by any loaded pack (known: assessment_covers_contract_need, automotive_exemptions_cover_important_data, certification_validity_years, ciio_any_pi, claimed_exemptions_count, contract_filing_working_days, contract_individuals, contract_sensitive_individuals, extension_window_working_days, geo_processing_required_before_transfer, sa_individuals, sa_sensitive_individuals, sa_validity_cutoff, sa_validity_years, sa_validity_years_before_2024)`},
	{name: "param-wrong-type", want: `testdata/param-wrong-type.bad.yaml:6:47: parameter automotive_exemptions_cover_important_data: want a value like false (true or false), got yes
testdata/param-wrong-type.bad.yaml:9:29: parameter claimed_exemptions_count: want a value like false (true or false), got 1
testdata/param-wrong-type.bad.yaml:8:25: parameter contract_individuals: want a value like 100000 (an integer), got 100000.5
testdata/param-wrong-type.bad.yaml:5:19: parameter sa_individuals: want a value like 1000000 (an integer), got many
testdata/param-wrong-type.bad.yaml:7:23: parameter sa_validity_cutoff: want a value like 2024-03-22 (a date), got 2024-13-01`},
	{name: "patch-sections-in-edition", want: "testdata/patch-sections-in-edition.bad.yaml:1:7: pack \"patch-sections-in-edition\": attach, remove and parameters belong in a patch (a pack with `extends:`)"},
	{name: "threshold-bool", want: `testdata/threshold-bool.bad.yaml:9:18: criterion c1: threshold fact sensitive_areas is bool, not a number`},
	{name: "threshold-not-in-expr", want: "testdata/threshold-not-in-expr.bad.yaml:10:9: criterion c1: threshold `vehicles_in_china > 100000` does not appear in the expression \"vehicles_in_china >= 100000\"\ntestdata/threshold-not-in-expr.bad.yaml:11:9: criterion c1: threshold `vehicles_in_china >= 10000` does not appear in the expression \"vehicles_in_china >= 100000\"\ntestdata/threshold-not-in-expr.bad.yaml:12:9: criterion c1: threshold fact sensitive_areas is bool, not a number\ntestdata/threshold-not-in-expr.bad.yaml:13:9: criterion c1: threshold names unknown fact \"nope\""},
	{name: "threshold-op", want: `testdata/threshold-op.bad.yaml:9:48: criterion c1: threshold operator "=>" is not one of >, >=, <, <=, ==`},
	{name: "too-costly", want: `testdata/too-costly.bad.yaml:7:11: criterion cubic: estimated cost is unbounded, over the limit of 10000`},
	{name: "too-deep", want: `testdata/too-deep.bad.yaml:7:11: criterion deep: does not compile: ERROR: <input>:-1:0: expression recursion limit exceeded: 32`},
	{name: "too-long", want: `testdata/too-long.bad.yaml:7:11: criterion long: expression is 3246 characters, over the limit of 2000`},
	{name: "type-mismatch", want: `testdata/type-mismatch.bad.yaml:7:11: criterion bool_as_number: does not compile: ERROR: <input>:1:17: found no matching overload for '_>=_' applied to '(bool, int)' | sensitive_areas >= 1 | ................^`},
	{name: "unknown-criterion-on-item", want: `testdata/unknown-criterion-on-item.bad.yaml:8:15: item custom.item: unknown criterion "no_such_criterion"`},
	{name: "unknown-fact", want: `testdata/unknown-fact.bad.yaml:7:11: criterion vehicle_count: does not compile: ERROR: <input>:1:1: undeclared reference to 'vehicle_count' | vehicle_count >= 100000 | ^`},
	{name: "unknown-key", want: `testdata/unknown-key.bad.yaml:4:1: unknown field "critera"`},
	{name: "unknown-nested-key", want: `testdata/unknown-nested-key.bad.yaml:9:5: unknown field "threshold"`},
	{name: "wrong-shape", want: `testdata/wrong-shape.bad.yaml:3:10: string was used where sequence is expected`},
	{name: "wrong-type", want: `testdata/wrong-type.bad.yaml:9:61: want a number, got string`},
}

func loadWith(t testing.TB, extra ...string) (*rulepack.Set, error) {
	t.Helper()
	return rulepack.Load(append([]string{"guidelines-2026", "provisions-2024"}, extra...), rulepack.Limits{})
}

func mustLoad(t testing.TB, specs ...string) *rulepack.Set {
	t.Helper()
	set, err := rulepack.Load(specs, rulepack.Limits{})
	if err != nil {
		t.Fatalf("load %v: %v", specs, err)
	}
	return set
}

func TestLoad_BadPacks(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, c := range badPacks {
		rows[c.name] = true
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".bad.yaml"); !rows[name] {
			t.Errorf("%s has no row in badPacks", f)
		}
	}
	for _, c := range badPacks {
		t.Run(c.name, func(t *testing.T) {
			file := "testdata/" + c.name + ".bad.yaml"
			if _, err := os.Stat(file); err != nil {
				t.Fatalf("row without file: %v", err)
			}
			if c.bug != "" && os.Getenv("XBORDER_PACK_BUGS") == "" {
				t.Skip("bug: " + c.bug)
			}
			_, err := loadWith(t, file)
			if err == nil {
				t.Fatalf("loaded without error")
			}
			if code := xerr.ExitCode(err); code != xerr.ExitBadInput {
				t.Errorf("exit code %d, want %d (bad input)", code, xerr.ExitBadInput)
			}
			if c.want != "" && err.Error() != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, c.want)
			}
			for _, s := range c.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not contain %q:\n%s", s, err)
				}
			}
			var pe *xerr.PosError
			if !errors.As(err, &pe) || pe.File == "" {
				t.Errorf("error carries no file position: %#v", err)
			}
		})
	}
}

func TestLoad_GoodPacks(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no good packs")
	}
	for _, f := range files {
		if _, err := loadWith(t, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestLoad_PatchAddsFactCriterionItemAndAttaches(t *testing.T) {
	set, err := loadWith(t, "testdata/notified.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f := set.Facts["notified_important"]; f == nil || f.Type != model.TypeBool || f.Pack != "notified" {
		t.Errorf("fact notified_important: %+v", f)
	}
	it := set.Items["connected.platform.notified"]
	if it == nil || critIDs(it) != "notified_important" {
		t.Fatalf("new item: %+v", it)
	}
	if got := critIDs(set.Items["rd.simulation.scenario"]); got != "infers_sensitive_geo,notified_important" {
		t.Errorf("attached criteria of rd.simulation.scenario: %s", got)
	}
	sa := set.Items["connected.platform.security_assurance"]
	if critIDs(sa) != "notified_important" || sa.CriteriaUnknown {
		t.Errorf("attaching to an item of unknown criteria: criteria %s, criteria_unknown %v", critIDs(sa), sa.CriteriaUnknown)
	}
	var refs []string
	for _, r := range set.Refs() {
		refs = append(refs, r.ID+"@"+r.Version)
	}
	if got := strings.Join(refs, ","); got != "guidelines-2026@2026.1.0,provisions-2024@2024.1.0,notified@2026.1" {
		t.Errorf("refs %s", got)
	}
}

func TestLoad_PatchOverridesParametersCriteriaAndRemoves(t *testing.T) {
	set, err := loadWith(t, "testdata/overrides.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c := set.Criteria["vehicles_100k_testing"]; c.Expr != "vehicles_in_china > 100000" || c.Pack != "overrides" {
		t.Errorf("override of vehicles_100k_testing: %q from %s", c.Expr, c.Pack)
	}
	p := set.Param("contract_individuals")
	if set.Int("contract_individuals") != 50000 || p.OverriddenBy != "overrides" || p.Provenance != model.ProvInferred || p.Text != "Internal policy." || p.Op != ">=" {
		t.Errorf("contract_individuals: %+v", p)
	}
	if !set.Bool("automotive_exemptions_cover_important_data") {
		t.Error("automotive_exemptions_cover_important_data not switched")
	}
	if set.Date("sa_validity_cutoff") != model.MustDate("2024-01-01") {
		t.Errorf("sa_validity_cutoff %v", set.Date("sa_validity_cutoff"))
	}
	if _, ok := set.Items["connected.platform.security_assurance"]; ok {
		t.Error("removed item still loaded")
	}
	for _, id := range set.ItemOrder {
		if id == "connected.platform.security_assurance" {
			t.Error("removed item still in ItemOrder")
		}
		if strings.Contains(","+critIDs(set.Items[id])+",", ",dual_use_item,") {
			t.Errorf("item %s still uses the removed criterion dual_use_item", id)
		}
	}
	if got := critIDs(set.Items["production.manufacturing.bom"]); got != "national_major_project,export_control_tech_point" {
		t.Errorf("bom criteria after removal: %s", got)
	}
}

func TestLoad_EditionReplacesItsFamily(t *testing.T) {
	set, err := loadWith(t, "testdata/edition.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range set.Packs {
		ids = append(ids, p.ID)
	}
	if got := strings.Join(ids, ","); got != "my-guidelines,provisions-2024" {
		t.Errorf("packs %s, want my-guidelines to replace guidelines-2026", got)
	}
	if _, ok := set.Items["rd.testing.road_test"]; ok {
		t.Error("items of the replaced edition are still loaded")
	}
	if _, ok := set.Items["general.personal_information"]; !ok {
		t.Error("items of the other family were dropped")
	}
	if _, ok := set.Exemptions["vulnerability_report"]; ok {
		t.Error("exemptions of the replaced edition are still loaded")
	}
}

func TestLoad_EmbeddedPacks(t *testing.T) {
	got := strings.Join(rulepack.Embedded(), ",")
	if got != "auto-provisions-2021,draft-2025,guidelines-2026,provisions-2024" {
		t.Errorf("embedded packs %s", got)
	}
	if strings.Join(rulepack.Defaults, ",") != "guidelines-2026,provisions-2024" {
		t.Errorf("defaults %v: SPEC §4b keeps the 2021 rule out of them", rulepack.Defaults)
	}
	for _, specs := range [][]string{rulepack.Defaults, {"draft-2025", "provisions-2024"}, {"guidelines-2026", "provisions-2024", "auto-provisions-2021"}} {
		mustLoad(t, specs...)
	}
	if _, err := rulepack.Load([]string{"guidelines-2025"}, rulepack.Limits{}); err == nil || xerr.ExitCode(err) != xerr.ExitBadInput || !strings.Contains(err.Error(), "built in: auto-provisions-2021, draft-2025") {
		t.Errorf("unknown built-in pack: %v", err)
	}
	if _, err := rulepack.Load([]string{"testdata/no-such-file.yaml"}, rulepack.Limits{}); err == nil || xerr.ExitCode(err) != xerr.ExitBadInput || !strings.Contains(err.Error(), "no-such-file.yaml") {
		t.Errorf("missing pack file: %v", err)
	}
}

// The packs say how many of the official items they hold ("invent
// nothing"); the statement must match what they hold.
func TestLoad_CoverageStatementsMatchTheItems(t *testing.T) {
	cases := []struct {
		specs    []string
		pack     string
		official int
	}{
		{[]string{"guidelines-2026", "provisions-2024"}, "guidelines-2026", 51},
		{[]string{"draft-2025", "provisions-2024"}, "draft-2025", 49},
	}
	for _, c := range cases {
		set := mustLoad(t, c.specs...)
		var l *rulepack.Loaded
		for _, p := range set.Packs {
			if p.ID == c.pack {
				l = p
			}
		}
		if l == nil || l.Coverage == nil {
			t.Fatalf("%s: no coverage statement", c.pack)
		}
		n := 0
		for _, id := range set.ItemOrder {
			if set.Items[id].Pack == c.pack {
				n++
			}
		}
		if l.Coverage.OfficialItems != c.official {
			t.Errorf("%s: official_items %d, want %d", c.pack, l.Coverage.OfficialItems, c.official)
		}
		if want := "Holds " + itoa(n) + " of the"; !strings.Contains(l.Coverage.Note, want) {
			t.Errorf("%s holds %d items but its coverage note says: %s", c.pack, n, l.Coverage.Note)
		}
	}
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Replace(model.Count(int64(n)), ",", "", -1))
}

func critIDs(it *rulepack.ItemDef) string {
	if it == nil {
		return "<nil>"
	}
	var ids []string
	for _, c := range it.Criteria {
		ids = append(ids, c.ID)
	}
	return strings.Join(ids, ",")
}

func TestParse_Strict(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"empty", "", "x.yaml:1:1: missing `pack:` (the pack id)"},
		{"not a mapping", "- a\n- b\n", "x.yaml:"},
		{"unknown key", "pack: a\nversion: \"1\"\nextends: [b]\ncolour: red\n", "x.yaml:4:1: unknown field \"colour\""},
		{"tab indentation", "pack: a\n\tversion: 1\n", "x.yaml:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rulepack.Parse("x.yaml", []byte(c.src))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error %v, want prefix %q", err, c.want)
			}
		})
	}
	p, err := rulepack.Parse("x.yaml", []byte("pack: a\nversion: \"1\"\nextends: [b]\n"))
	if err != nil || p.ID != "a" || p.Version != "1" || strings.Join(p.Extends, ",") != "b" {
		t.Fatalf("minimal patch: %+v %v", p, err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
