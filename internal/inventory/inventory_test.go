package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

// badFiles maps each testdata/NAME.bad.yaml (or directory NAME) to the exact
// error text the loader must produce, like Prometheus' config tests.
var badFiles = []struct {
	name string
	want string
}{
	{"anchor-alias", `testdata/anchor-alias.bad.yaml:2:5: processors[0]: anchors (&) are not supported: write the value out
testdata/anchor-alias.bad.yaml:3:5: processors[1]: aliases (*) are not supported: write the value out`},
	{"approval-both", `testdata/approval-both.bad.yaml:3:55: approvals[0].group: give processor or group, not both`},
	{"approval-dates", `testdata/approval-dates.bad.yaml:3:84: approvals[0].expires: 2025-12-31 is before issued 2026-01-01
testdata/approval-dates.bad.yaml:4:80: approvals[1].effective: applies to a standard_contract only, not a certification
testdata/approval-dates.bad.yaml:4:99: approvals[1].filed: applies to a standard_contract only, not a certification
testdata/approval-dates.bad.yaml:5:85: approvals[2].expires: 2026-02-28 is before effective 2026-03-01`},
	{"approval-neither", `testdata/approval-neither.bad.yaml:3:5: approvals[0]: processor or group required`},
	{"bool-word", `testdata/bool-word.bad.yaml:2:19: processors[0].ciio: want true or false, got "yes"
testdata/bool-word.bad.yaml:2:47: processors[0].legal_entity_in_china: want true or false, got "true"`},
	{"count-float", `testdata/count-float.bad.yaml:4:93: transfers[0].individuals: want a non-negative integer, got 1.5
testdata/count-float.bad.yaml:4:121: transfers[0].sensitive_individuals: want a non-negative integer, got "1e3"`},
	{"count-negative", `testdata/count-negative.bad.yaml:4:103: transfers[0].sensitive_individuals: want a non-negative integer, got -1
testdata/count-negative.bad.yaml:6:99: approvals[0].scope.max_individuals: want a non-negative integer, got -5`},
	{"count-string", `testdata/count-string.bad.yaml:9:18: transfers[0].individuals: want a non-negative integer, got "many"`},
	{"country", `testdata/country.bad.yaml:4:89: transfers[0].recipient.country: want an ISO 3166-1 alpha-2 country code such as DE, got "Germany"
testdata/country.bad.yaml:5:89: transfers[1].recipient.country: want an ISO 3166-1 alpha-2 country code such as DE, got "de"
testdata/country.bad.yaml:6:89: transfers[2].recipient.country: CN is mainland China: a recipient there is not a cross-border transfer
testdata/country.bad.yaml:7:89: transfers[3].recipient.country: want an ISO 3166-1 alpha-2 country code such as DE, got "QQ"
testdata/country.bad.yaml:7:93: transfers[3].recipient.city: unknown field (known: country, name)`},
	{"date-format", `testdata/date-format.bad.yaml:4:34: transfers[0].date: want a date YYYY-MM-DD, got "2026/03/01"
testdata/date-format.bad.yaml:5:34: transfers[1].date: want a date YYYY-MM-DD, got "2026-3-1"
testdata/date-format.bad.yaml:6:34: transfers[2].date: want a date YYYY-MM-DD, got "2026-03-01T10:00:00+08:00"
testdata/date-format.bad.yaml:7:34: transfers[3].date: want a date YYYY-MM-DD, got 20260301`},
	{"date-not-a-day", `testdata/date-not-a-day.bad.yaml:4:34: transfers[0].date: 2026-02-30 is not a day of the calendar
testdata/date-not-a-day.bad.yaml:5:34: transfers[1].date: 2026-13-01 is not a day of the calendar
testdata/date-not-a-day.bad.yaml:6:34: transfers[2].date: 2025-02-29 is not a day of the calendar`},
	{"derived-fact", `testdata/derived-fact.bad.yaml:6:13: assets[0].facts.outbound_individuals_ytd: derived by xborder from the transfers, cannot be declared`},
	{"duplicate-ids", `testdata/duplicate-ids.bad.yaml:3:9: processors[1].id: duplicate processor id "p" (first at testdata/duplicate-ids.bad.yaml:2:9)
testdata/duplicate-ids.bad.yaml:6:10: assets[1].id: duplicate asset id "a" (first at testdata/duplicate-ids.bad.yaml:5:10)
testdata/duplicate-ids.bad.yaml:9:10: transfers[1].id: duplicate transfer id "t" (first at testdata/duplicate-ids.bad.yaml:8:10)
testdata/duplicate-ids.bad.yaml:12:10: approvals[1].id: duplicate approval id "s" (first at testdata/duplicate-ids.bad.yaml:11:10)`},
	{"duplicate-key", `testdata/duplicate-key.bad.yaml:4:5: processors[0].name: duplicate key (first at 3:5)`},
	{"empty-entry", `testdata/empty-entry.bad.yaml:3:5: processors[1]: empty entry`},
	{"enum-approval-kind", `testdata/enum-approval-kind.bad.yaml:3:19: approvals[0].kind: want one of security_assessment, standard_contract, certification; got "contract"`},
	{"enum-ftz", `testdata/enum-ftz.bad.yaml:2:18: processors[0].ftz: want one of none, beijing, chongqing, hainan, shanghai_lingang, tianjin; got "shanghai"`},
	{"enum-kind", `testdata/enum-kind.bad.yaml:3:13: processors[0].kinds[0]: want one of oem, supplier, telecom_operator, ad_service_provider, platform_operator, dealer, maintenance, mobility_service; got "oems" (did you mean "oem"?)
testdata/enum-kind.bad.yaml:3:27: processors[0].kinds[2]: kind "dealer" listed twice`},
	{"exemption-computed", `testdata/exemption-computed.bad.yaml:4:92: transfers[0].exemption: small_volume is decided by xborder, not claimed: remove it
testdata/exemption-computed.bad.yaml:5:92: transfers[1].exemption: no_pi_no_important_data is decided by xborder, not claimed: remove it`},
	{"exemption-ftz", `testdata/exemption-ftz.bad.yaml:4:91: transfers[0].exemption: ftz_negative_list needs processor "p" to name its free trade zone (ftz)`},
	{"exemption-ref-alone", `testdata/exemption-ref-alone.bad.yaml:4:95: transfers[0].exemption_ref: given without exemption
testdata/exemption-ref-alone.bad.yaml:4:120: transfers[0].exemption_filed: given without exemption`},
	{"exemption-unknown", `testdata/exemption-unknown.bad.yaml:4:91: transfers[0].exemption: want one of trade_academic_no_pi, transit_abroad_collected, contract_necessity, hr_management, emergency, ftz_negative_list, vulnerability_report, incident_report, ota_recall_source_code; got "vulnerability"`},
	{"fact-types", `testdata/fact-types.bad.yaml:7:26: assets[0].facts.vehicles_in_china: want a non-negative integer, got 120000.0
testdata/fact-types.bad.yaml:8:20: assets[0].facts.individuals: want a non-negative integer, got "5"
testdata/fact-types.bad.yaml:9:29: assets[0].facts.infers_sensitive_geo: want true or false, got "false"
testdata/fact-types.bad.yaml:10:21: assets[0].facts.region_level: want one of none, county, prefecture, province, national; got "city"
testdata/fact-types.bad.yaml:11:40: assets[0].facts.safety_functions[1]: want one of start_operation, power_loss, emergency_braking, cruise_control, lane_keeping, charge_discharge_control, battery_temperature_control; got "braking"
testdata/fact-types.bad.yaml:12:23: assets[0].facts.time_span_days: want a non-negative number, got -1
testdata/fact-types.bad.yaml:13:29: assets[0].facts.contains_coordinates: want true or false, got 1
testdata/fact-types.bad.yaml:14:24: assets[0].facts.vehicles_served: want a non-negative integer, got .inf
testdata/fact-types.bad.yaml:16:7: assets[0].facts.sensitive_areas: duplicate key (first at 15:7)`},
	{"facts-shape", `testdata/facts-shape.bad.yaml:3:62: assets[0].facts: want a mapping of fact names to values, got a list`},
	{"foreign-asset", `testdata/foreign-asset.bad.yaml:6:54: transfers[0].assets[0]: asset "qa" belongs to processor "q", not "p"
testdata/foreign-asset.bad.yaml:8:86: approvals[0].scope.assets[0]: asset "qa" belongs to processor "q", not "p"
testdata/foreign-asset.bad.yaml:9:86: approvals[1].scope.assets[1]: asset "ra" belongs to processor "r", outside group "g"`},
	{"glob", `testdata/glob.bad.yaml:3:65: assets[0].sources[0]: bad glob pattern "data/[abc.csv"
testdata/glob.bad.yaml:3:82: assets[0].sources[1]: must not be empty`},
	{"id-spaces", `testdata/id-spaces.bad.yaml:2:10: processors[0].id: id "acme cn" must not contain spaces or control characters`},
	{"invalid-utf8", `testdata/invalid-utf8.bad.yaml:3:14: not valid UTF-8 text: save the file as UTF-8`},
	{"list-repeats", `testdata/list-repeats.bad.yaml:4:57: transfers[0].assets[1]: "a" listed twice`},
	{"merge-key", `testdata/merge-key.bad.yaml:3:5: processors[0]: merge keys (<<) are not supported: write the fields out`},
	{"multi-document", `testdata/multi-document.bad.yaml:2:1: more than one YAML document in a file: put each in its own file`},
	{"number-not-decimal", `testdata/number-not-decimal.bad.yaml:7:26: assets[0].facts.vehicles_in_china: 0x186A0 is hexadecimal: write the number in decimal (100000)
testdata/number-not-decimal.bad.yaml:8:20: assets[0].facts.individuals: 0o777 is octal: write the number in decimal (511)
testdata/number-not-decimal.bad.yaml:9:30: assets[0].facts.sensitive_individuals: 010 has a leading zero, which YAML 1.1 reads as octal (8): write the number in decimal without leading zeros
testdata/number-not-decimal.bad.yaml:10:31: assets[0].facts.complete_intersections: 1_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1000)
testdata/number-not-decimal.bad.yaml:11:23: assets[0].facts.time_span_days: +30.5 has a "+" sign: write the number in decimal without a sign (30.5)
testdata/number-not-decimal.bad.yaml:13:93: transfers[0].individuals: 1_000_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1000000)
testdata/number-not-decimal.bad.yaml:13:127: transfers[0].sensitive_individuals: 0b1 is binary: write the number in decimal (1)
testdata/number-not-decimal.bad.yaml:14:94: transfers[1].individuals: +5000 has a "+" sign: write the number in decimal without a sign (5000)
testdata/number-not-decimal.bad.yaml:14:124: transfers[1].sensitive_individuals: 09 has a leading zero: write the number in decimal without leading zeros
testdata/number-not-decimal.bad.yaml:16:99: approvals[0].scope.max_individuals: 0500000 has a leading zero, which YAML 1.1 reads as octal (163840): write the number in decimal without leading zeros`},
	{"required-approval", `testdata/required-approval.bad.yaml:3:5: approvals[0].kind: required
testdata/required-approval.bad.yaml:5:5: approvals[1].issued: required
testdata/required-approval.bad.yaml:8:5: approvals[2].effective: required`},
	{"required-asset", `testdata/required-asset.bad.yaml:3:5: assets[0].processor: required
testdata/required-asset.bad.yaml:3:5: assets[0].item: required`},
	{"required-processor", `testdata/required-processor.bad.yaml:2:5: processors[0].id: required
testdata/required-processor.bad.yaml:3:9: processors[1].id: must not be empty
testdata/required-processor.bad.yaml:4:9: processors[2].id: must not be empty`},
	{"required-transfer", `testdata/required-transfer.bad.yaml:2:5: transfers[0].id: required
testdata/required-transfer.bad.yaml:2:5: transfers[0].processor: required
testdata/required-transfer.bad.yaml:2:5: transfers[0].date: required
testdata/required-transfer.bad.yaml:2:5: transfers[0].assets: required
testdata/required-transfer.bad.yaml:2:5: transfers[0].recipient: required
testdata/required-transfer.bad.yaml:3:24: transfers[1].processor: unknown processor "p"
testdata/required-transfer.bad.yaml:3:53: transfers[1].assets: must list at least one
testdata/required-transfer.bad.yaml:3:68: transfers[1].recipient.name: required`},
	{"syntax", `testdata/syntax.bad.yaml:2:19: yaml: sequence end token ']' not found`},
	{"tag", `testdata/tag.bad.yaml:2:9: processors[0].id: tags !!str are not supported: quote the value instead`},
	{"top-list", `testdata/top-list.bad.yaml:1:1: want a mapping of processors, assets, transfers and approvals at the top level, got a list`},
	{"top-scalar", `testdata/top-scalar.bad.yaml:1:1: want a mapping of processors, assets, transfers and approvals at the top level, got "just some text"`},
	{"unknown-asset", `testdata/unknown-asset.bad.yaml:3:54: transfers[0].assets[0]: unknown asset "nowhere"
testdata/unknown-asset.bad.yaml:5:85: approvals[0].scope.assets[0]: unknown asset "nowhere"`},
	{"unknown-fact", `testdata/unknown-fact.bad.yaml:7:7: assets[0].facts.vehicles_in_chna: unknown fact (did you mean "vehicles_in_china"?)
testdata/unknown-fact.bad.yaml:8:7: assets[0].facts.colour: unknown fact`},
	{"unknown-group", `testdata/unknown-group.bad.yaml:3:47: approvals[0].group: unknown group "acme-group": no processor has it as group or id`},
	{"unknown-item", `testdata/unknown-item.bad.yaml:3:33: assets[0].item: unknown data item "rd.testing.road_tests" (see xborder rules list)`},
	{"unknown-key", `testdata/unknown-key.bad.yaml:3:5: processors[0].nmae: unknown field (did you mean "name"?)
testdata/unknown-key.bad.yaml:4:5: processors[0].colour: unknown field (known: ciio, ftz, group, id, kinds, legal_entity_in_china, name)`},
	{"unknown-processor", `testdata/unknown-processor.bad.yaml:2:24: assets[0].processor: unknown processor "ghost"
testdata/unknown-processor.bad.yaml:4:24: transfers[0].processor: unknown processor "ghost"
testdata/unknown-processor.bad.yaml:6:45: approvals[0].processor: unknown processor "ghost"`},
	{"unknown-top", `testdata/unknown-top.bad.yaml:1:1: processor: unknown field (did you mean "processors"?)`},
	{"wrong-shapes", `testdata/wrong-shapes.bad.yaml:1:13: processors: want a list, got a mapping
testdata/wrong-shapes.bad.yaml:3:5: assets[0]: want a mapping, got "just-a-string"
testdata/wrong-shapes.bad.yaml:4:12: transfers: want a list, got 3`},
	{"xref", `testdata/xref/b/two.yaml:2:10: processors[0].id: duplicate processor id "acme-cn" (first at testdata/xref/a/one.yaml:2:10)
testdata/xref/b/two.yaml:5:10: assets[0].id: duplicate asset id "vins" (first at testdata/xref/a/one.yaml:4:10)
testdata/xref/b/two.yaml:8:66: transfers[0].assets[1]: asset "keys" belongs to processor "other", not "acme-cn"
testdata/xref/b/two.yaml:10:90: approvals[0].scope.assets[0]: asset "keys" belongs to processor "other", outside group "acme"
testdata/xref/b/two.yaml:10:96: approvals[0].scope.assets[1]: unknown asset "trips"`},
}

func badPath(name string) string {
	if st, err := os.Stat(filepath.Join("testdata", name)); err == nil && st.IsDir() {
		return filepath.Join("testdata", name)
	}
	return filepath.Join("testdata", name+".bad.yaml")
}

func TestLoad_BadFilesReportExactErrors(t *testing.T) {
	for _, tc := range badFiles {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := Load([]string{badPath(tc.name)}, testOpts)
			if err == nil {
				t.Fatalf("loaded without error, want:\n%s", tc.want)
			}
			if inv != nil {
				t.Errorf("got an inventory along with the error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error text:\n got: %s\nwant: %s", got, tc.want)
			}
			if code := xerr.ExitCode(err); code != xerr.ExitBadInput {
				t.Errorf("exit code %d, want %d", code, xerr.ExitBadInput)
			}
			var list xerr.List
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want an xerr.List inside", err)
			}
			for _, e := range list {
				var pe *xerr.PosError
				if !errors.As(e, &pe) || pe.File == "" || pe.Line == 0 || pe.Col == 0 {
					t.Errorf("error without full position: %#v", e)
				}
			}
		})
	}
}

// Every bad file in testdata must have its expected text in the table, so a
// new case cannot be added without saying what it must produce.
func TestLoad_EveryBadFileIsInTheTable(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range badFiles {
		listed[badPath(tc.name)] = true
	}
	for _, f := range files {
		if !listed[f] {
			t.Errorf("%s has no entry in badFiles", f)
		}
	}
	if len(badFiles) < 25 {
		t.Errorf("only %d bad cases", len(badFiles))
	}
}

func TestLoad_SpecExample(t *testing.T) {
	inv, err := Load([]string{"testdata/spec.good.yaml"}, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Processors) != 1 || len(inv.Assets) != 1 || len(inv.Transfers) != 1 || len(inv.Approvals) != 1 {
		t.Fatalf("counts: %d processors, %d assets, %d transfers, %d approvals",
			len(inv.Processors), len(inv.Assets), len(inv.Transfers), len(inv.Approvals))
	}
	p := inv.Processors[0]
	if p.ID != "acme-cn" || p.Name != "ACME Motors (China) Co., Ltd." || p.Group != "acme" || p.CIIO ||
		p.LegalEntityInChina == nil || !*p.LegalEntityInChina || len(p.Kinds) != 1 || p.Kinds[0] != "oem" || p.FTZ != "none" {
		t.Errorf("processor: %+v", p)
	}
	if p.Pos != (model.Pos{File: "testdata/spec.good.yaml", Line: 3, Col: 5}) {
		t.Errorf("processor pos %v", p.Pos)
	}
	a := inv.Assets[0]
	if a.ID != "road-test-2026" || a.Processor != "acme-cn" || a.Item != "rd.testing.road_test" || a.Name != "Road test logs 2026" {
		t.Errorf("asset: %+v", a)
	}
	if len(a.Sources) != 1 || a.Sources[0] != "data/road-test/*.csv" || a.BaseDir != "testdata" {
		t.Errorf("asset sources %v base %q", a.Sources, a.BaseDir)
	}
	fv, ok := a.Facts["vehicles_in_china"]
	if !ok || fv.Value != int64(120000) || fv.Source != model.SourceDeclared {
		t.Errorf("fact vehicles_in_china = %#v", fv)
	}
	if a.FactPos["vehicles_in_china"] != (model.Pos{File: "testdata/spec.good.yaml", Line: 17, Col: 7}) {
		t.Errorf("fact pos %v", a.FactPos["vehicles_in_china"])
	}
	tr := inv.Transfers[0]
	if tr.ID != "t-001" || tr.Processor != "acme-cn" || tr.Date != model.MustDate("2026-03-01") ||
		len(tr.Assets) != 1 || tr.Assets[0] != "road-test-2026" ||
		tr.Recipient != (model.Recipient{Name: "ACME GmbH", Country: "DE"}) ||
		tr.Purpose != "joint validation of driver assistance" {
		t.Errorf("transfer: %+v", tr)
	}
	if tr.Individuals == nil || *tr.Individuals != 50000 || tr.SensitiveIndividuals == nil || *tr.SensitiveIndividuals != 0 {
		t.Errorf("transfer counts %v %v", tr.Individuals, tr.SensitiveIndividuals)
	}
	if tr.Exemption != "vulnerability_report" || tr.ExemptionRef != "MIIT-VR-2026-0042" || tr.ExemptionFiled != model.MustDate("2026-02-20") {
		t.Errorf("transfer exemption %q %q %v", tr.Exemption, tr.ExemptionRef, tr.ExemptionFiled)
	}
	ap := inv.Approvals[0]
	if ap.ID != "sa-2026-01" || ap.Kind != model.SecurityAssessment || ap.Processor != "acme-cn" || ap.Group != "" ||
		ap.Issued != model.MustDate("2026-02-01") || ap.Expires != model.MustDate("2029-02-01") ||
		ap.Effective.Valid() || ap.Filed.Valid() || ap.Reference != "CAC-SA-2026-0001" {
		t.Errorf("approval: %+v", ap)
	}
	if strings.Join(ap.Scope.Assets, ",") != "road-test-2026" || strings.Join(ap.Scope.Recipients, ",") != "ACME GmbH" ||
		ap.Scope.MaxIndividuals == nil || *ap.Scope.MaxIndividuals != 500000 {
		t.Errorf("approval scope: %+v", ap.Scope)
	}
}

func TestLoad_EveryFactTypeAndNulls(t *testing.T) {
	inv, err := Load([]string{"testdata/facts.good.yaml"}, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Processors[1].ID; got != "2026" {
		t.Errorf("numeric id kept as %q, want the text written", got)
	}
	if !inv.Processors[0].CIIO || inv.Processors[0].LegalEntityInChina != nil {
		t.Errorf("processor flags: %+v", inv.Processors[0])
	}
	f := inv.Assets[0].Facts
	want := map[string]any{
		"upgrades_vehicles_in_china": true,
		"remote_control_non_nfc":     false,
		"time_span_days":             30.5,
		"region_level":               "prefecture",
		"complete_intersections":     int64(0),
		"note":                       "free text",
	}
	for k, v := range want {
		if f[k].Value != v {
			t.Errorf("fact %s = %#v, want %#v", k, f[k].Value, v)
		}
	}
	if sf, ok := f["safety_functions"].Value.([]string); !ok || strings.Join(sf, ",") != "battery_temperature_control,charge_discharge_control" {
		t.Errorf("safety_functions = %#v", f["safety_functions"].Value)
	}
	if _, ok := f["vehicles_in_china"]; ok {
		t.Errorf("a null fact must be left unknown, got %#v", f["vehicles_in_china"])
	}
	if len(f) != len(want)+1 {
		t.Errorf("got %d facts: %v", len(f), f.Names())
	}
	if v := inv.Assets[1].Facts["time_span_days"].Value; v != 31.0 {
		t.Errorf("an integer for a number fact = %#v, want float64 31", v)
	}
	if got := strings.Join(inv.Assets[1].Sources, "|"); got != "data/flow/*.csv|data/flow/2026-0[1-6]/*.jsonl" {
		t.Errorf("sources kept as %q", got)
	}
	tr := inv.Transfers[0]
	if tr.Date != model.MustDate("2026-01-01") || tr.Recipient.Name != "  ACME HK Ltd. " || tr.Recipient.Country != "HK" {
		t.Errorf("transfer: %+v", tr)
	}
	if tr.Individuals != nil || tr.SensitiveIndividuals == nil || *tr.SensitiveIndividuals != 9999 {
		t.Errorf("absent individuals must stay nil (unknown): %v %v", tr.Individuals, tr.SensitiveIndividuals)
	}
	if tr.ExemptionRef != "" || tr.ExemptionFiled != model.MustDate("2025-12-31") {
		t.Errorf("exemption fields: %q %v", tr.ExemptionRef, tr.ExemptionFiled)
	}
	cert := inv.Approvals[0]
	if cert.Group != "battery-jv" || cert.Processor != "" || cert.Issued != model.MustDate("2024-02-29") || cert.Expires.Valid() {
		t.Errorf("certification: %+v (expires must be left for the pack's default term)", cert)
	}
	if cert.Scope.MaxIndividuals == nil || *cert.Scope.MaxIndividuals != 0 || cert.Scope.Assets != nil {
		t.Errorf("certification scope: %+v", cert.Scope)
	}
	sc := inv.Approvals[1]
	if sc.Effective != model.MustDate("2026-01-01") || sc.Expires != sc.Effective || sc.Filed.Valid() {
		t.Errorf("standard contract: %+v", sc)
	}
}

func TestParse_JSONBody(t *testing.T) {
	data, err := os.ReadFile("testdata/flow.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Parse("body.json", data, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Processors[0]
	if !p.CIIO || p.FTZ != "shanghai_lingang" || strings.Join(p.Kinds, ",") != "oem,platform_operator" ||
		p.LegalEntityInChina == nil || *p.LegalEntityInChina {
		t.Errorf("processor: %+v", p)
	}
	if inv.Processors[1].FTZ != "none" {
		t.Errorf("ftz default = %q, want none", inv.Processors[1].FTZ)
	}
	a := inv.Assets[0]
	if a.Name != "" || a.BaseDir != "." || a.Facts["individuals"].Value != int64(2000000) {
		t.Errorf("asset: %+v", a)
	}
	if sf, ok := a.Facts["safety_functions"].Value.([]string); !ok || len(sf) != 0 {
		t.Errorf("empty list fact = %#v, want an empty []string", a.Facts["safety_functions"].Value)
	}
	if inv.Transfers[0].Individuals != nil || inv.Transfers[0].Exemption != "ftz_negative_list" {
		t.Errorf("transfer: %+v", inv.Transfers[0])
	}
	sc := inv.Approvals[0]
	if sc.Kind != model.StandardContract || sc.Group != "acme" || sc.Issued.Valid() ||
		sc.Effective != model.MustDate("2026-01-05") || sc.Filed != model.MustDate("2026-01-20") {
		t.Errorf("approval: %+v", sc)
	}
}

// Pretty-printed JSON often indents with tabs, which YAML forbids; the loader
// accepts it because tabs in valid JSON can only be whitespace.
func TestParse_TabIndentedJSON(t *testing.T) {
	body := "{\n\t\"processors\": [\n\t\t{\"id\": \"p\", \"name\": \"a\\tb\"}\n\t]\n}\n"
	inv, err := Parse("body", []byte(body), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Processors) != 1 || inv.Processors[0].Name != "a\tb" {
		t.Errorf("processors: %+v", inv.Processors)
	}
	// Invalid JSON with tabs is left to the YAML parser, which refuses it.
	if _, err := Parse("body", []byte("{\n\t\"processors\": [\n"), testOpts); err == nil {
		t.Error("broken JSON accepted")
	}
}

func TestParse_ByteOrderMarkIsIgnored(t *testing.T) {
	inv, err := Parse("bom.yaml", []byte("\xEF\xBB\xBFprocessors: [{id: p}]\n"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Processors) != 1 || inv.Processors[0].ID != "p" {
		t.Errorf("processors: %+v", inv.Processors)
	}
}

func TestLoad_EmptyFilesAreEmptyInventories(t *testing.T) {
	for _, f := range []string{"testdata/empty.good.yaml", "testdata/comments.good.yaml"} {
		inv, err := Load([]string{f}, testOpts)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(inv.Processors)+len(inv.Assets)+len(inv.Transfers)+len(inv.Approvals) != 0 {
			t.Errorf("%s: not empty: %+v", f, inv)
		}
		if inv.Processors == nil || inv.Assets == nil || inv.Transfers == nil || inv.Approvals == nil {
			t.Errorf("%s: nil lists would marshal as null", f)
		}
	}
	for _, body := range []string{"", "~\n", "null", "---\n...\n", "{}"} {
		if _, err := Parse("b", []byte(body), testOpts); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func TestParse_DocumentMarkersAndDirectives(t *testing.T) {
	for _, body := range []string{
		"%YAML 1.2\n---\nprocessors: [{id: p}]\n",
		"--- # start\nprocessors: [{id: p}]\n...\n",
		"processors: [{id: p}]\n...\n---\n",
	} {
		inv, err := Parse("d.yaml", []byte(body), testOpts)
		if err != nil || len(inv.Processors) != 1 {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func TestLoad_DirectoryRecursiveAcrossFiles(t *testing.T) {
	inv, err := Load([]string{"testdata/multi"}, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	// a.yaml, c.YAML, sub/b.yml in lexical order; notes.txt is not YAML.
	if len(inv.Processors) != 2 || len(inv.Approvals) != 1 || len(inv.Assets) != 1 || len(inv.Transfers) != 1 {
		t.Fatalf("loaded %+v", inv)
	}
	if got := inv.Approvals[0].Pos.File; got != filepath.Join("testdata", "multi", "c.YAML") {
		t.Errorf("approval from %q", got)
	}
	if got := inv.Assets[0].BaseDir; got != filepath.Join("testdata", "multi", "sub") {
		t.Errorf("asset BaseDir %q, want the declaring file's directory", got)
	}
	// The same file named twice (directly and through its directory) is read once.
	inv2, err := Load([]string{"testdata/multi/a.yaml", "testdata/multi"}, testOpts)
	if err != nil {
		t.Fatalf("overlapping paths: %v", err)
	}
	if len(inv2.Processors) != 2 {
		t.Errorf("processors %d, want 2", len(inv2.Processors))
	}
	if inv2.Processors[0].Pos.File != "testdata/multi/a.yaml" {
		t.Errorf("first file %q", inv2.Processors[0].Pos.File)
	}
}

func TestLoad_SymlinksInDirectories(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	target := filepath.Join(outside, "p.yaml")
	if err := os.WriteFile(target, []byte("processors: [{id: linked}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "q.yaml"), []byte("processors: [{id: q}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "link.yaml")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linked-dir.yaml")); err != nil {
		t.Fatal(err)
	}
	inv, err := Load([]string{dir}, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	// The file link is read; the directory link (even named *.yaml) is not followed.
	if len(inv.Processors) != 1 || inv.Processors[0].ID != "linked" {
		t.Errorf("processors %+v", inv.Processors)
	}
}

func TestLoad_MissingPathsAndEmptyDirectories(t *testing.T) {
	dir := t.TempDir()
	_, err := Load([]string{filepath.Join(dir, "nope.yaml"), dir}, testOpts)
	if err == nil {
		t.Fatal("no error")
	}
	want := filepath.Join(dir, "nope.yaml") + ": cannot read: no such file or directory\n" +
		dir + ": no *.yaml or *.yml files in this directory"
	if err.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", err, want)
	}
	if xerr.ExitCode(err) != xerr.ExitBadInput {
		t.Errorf("exit %d", xerr.ExitCode(err))
	}
}

func TestLoad_UnreadableFileNamesIt(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read a file without read permission")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(f, []byte("processors: []\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{f}, testOpts)
	if err == nil || !strings.HasPrefix(err.Error(), f+": cannot read:") {
		t.Errorf("got %v", err)
	}
}

func TestParse_RejectTransfersForTheAPI(t *testing.T) {
	body := []byte("processors: [{id: p}]\ntransfers:\n  - {id: t}\n")
	_, err := Parse("PUT /v1/inventory", body, Options{Facts: testFacts, Items: testItems, RejectTransfers: true})
	want := "PUT /v1/inventory:3:3: transfers: not accepted here: transfers are recorded by checks, not uploaded"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// Without the option, the same body is checked as a transfer.
	if _, err := Parse("b", body, testOpts); err == nil || !strings.Contains(err.Error(), "transfers[0].processor: required") {
		t.Errorf("got %v", err)
	}
}

// A transfers key is refused whatever its value, null included (SPEC §7: a
// body with transfers: is refused), at its value, or at the key when the
// null is implicit; chunked parsing of a large body refuses it too.
func TestParse_RejectTransfersWhateverTheValue(t *testing.T) {
	opts := Options{Facts: testFacts, Items: testItems, RejectTransfers: true}
	const msg = "transfers: not accepted here: transfers are recorded by checks, not uploaded"
	for _, tc := range []struct{ body, pos string }{
		{"transfers:\n  - {id: t}\n", "2:3"},
		{"transfers: []\n", "1:12"},
		{"transfers: ~\n", "1:12"},
		{"transfers: null\n", "1:12"},
		{"transfers:\n", "1:1"},
		{"processors: [{id: p}]\ntransfers:\n", "2:1"},
		{"transfers: # none\nprocessors: [{id: p}]\n", "1:1"},
		{`{"processors": [], "transfers": null}`, "1:33"},
	} {
		_, err := Parse("body", []byte(tc.body), opts)
		if want := "body:" + tc.pos + ": " + msg; err == nil || err.Error() != want {
			t.Errorf("%q: got %v\nwant %s", tc.body, err, want)
		}
	}
	// The chunked path (bodies of 1 MiB and more) with an empty transfers
	// section, which has no entry for a chunk to hold.
	data := []byte("processors:\n  - id: p1\n  - id: p2\ntransfers:\n")
	l, errs := newLoaded(), newErrList()
	parseFile(l, "body", data, opts, errs, true, 1)
	if err := errs.result(0); err == nil || err.Error() != "body:4:1: "+msg {
		t.Errorf("chunked: got %v", err)
	}
	// Without the option a null transfers is no transfers.
	if _, err := Parse("body", []byte("transfers: ~\n"), testOpts); err != nil {
		t.Errorf("without RejectTransfers: %v", err)
	}
}

func TestLoad_ErrorsAreCappedAndSorted(t *testing.T) {
	var b strings.Builder
	b.WriteString("processors:\n")
	for i := 0; i < 70; i++ {
		b.WriteString("  - {id: p, colour: red}\n")
	}
	_, err := Parse("many.yaml", []byte(b.String()), Options{MaxErrors: 10})
	var list xerr.List
	if !errors.As(err, &list) {
		t.Fatalf("got %T %v", err, err)
	}
	if len(list) != 11 {
		t.Fatalf("%d errors, want 10 and a summary", len(list))
	}
	if got := list[10].Error(); got != "129 more errors not shown" {
		t.Errorf("summary %q", got)
	}
	prev := 0
	for _, e := range list[:10] {
		pe := e.(*xerr.PosError)
		if pe.Line < prev {
			t.Errorf("not sorted: line %d after %d", pe.Line, prev)
		}
		prev = pe.Line
	}
	_, err = Parse("many.yaml", []byte(b.String()), Options{})
	if errors.As(err, &list); len(list) != DefaultMaxErrors+1 {
		t.Errorf("default cap: %d errors", len(list))
	}
}

func TestLoad_WithoutCatalogsKeepsYAMLTypes(t *testing.T) {
	body := []byte(`processors: [{id: p}]
assets:
  - id: a
    processor: p
    item: anything.goes
    facts: {n: 5, x: 2.5, b: true, s: text, l: [a, b]}
`)
	inv, err := Parse("b.yaml", body, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := inv.Assets[0].Facts
	if f["n"].Value != int64(5) || f["x"].Value != 2.5 || f["b"].Value != true || f["s"].Value != "text" {
		t.Errorf("facts %#v", f)
	}
	if l, ok := f["l"].Value.([]string); !ok || len(l) != 2 {
		t.Errorf("list %#v", f["l"].Value)
	}
	// The derived fact is refused even without a catalog.
	_, err = Parse("b.yaml", []byte("assets: [{id: a, processor: p, item: i, facts: {outbound_individuals_ytd: 1}}]\nprocessors: [{id: p}]\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "outbound_individuals_ytd: derived by xborder") {
		t.Errorf("got %v", err)
	}
}

func TestParse_ComplexKeysAndBadPositions(t *testing.T) {
	cases := []struct{ body, want string }{
		{"? [a, b]\n: 1\n", "k.yaml:2:1: yaml: found an invalid key for this map"},
		{"? a\n: 1\n", "k.yaml:1:1: want a plain text key, got an explicit key (?)"},
		{"processors: [{id: p, 5: x}]\n", `k.yaml:1:22: processors[0].5: unknown field (known: ciio, ftz, group, id, kinds, legal_entity_in_china, name)`},
		{"processors: [{id: p}]\nassets: [{id: a, processor: p, item: rd.testing.road_test, facts: {&x vehicles_in_china: 1}}]\n",
			"k.yaml:2:68: assets[0].facts: anchors (&) are not supported: write the value out"},
	}
	for _, tc := range cases {
		_, err := Parse("k.yaml", []byte(tc.body), testOpts)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.body, err, tc.want)
		}
	}
}
