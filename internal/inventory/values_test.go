package inventory

import (
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/model"
)

// transferWith builds a one-transfer inventory with field set to the YAML
// text value.
func transferWith(field, value string) string {
	return "processors: [{id: p}]\nassets: [{id: a, processor: p, item: rd.testing.road_test}]\n" +
		"transfers:\n  - id: t\n    processor: p\n    date: 2026-03-01\n    assets: [a]\n    recipient: {name: R}\n" +
		"    " + field + ": " + value + "\n"
}

// Counts, dates and numbers at, below and above the edges of what is valid.
func TestParse_ScalarBoundaries(t *testing.T) {
	cases := []struct {
		field, value string
		ok           bool
		check        func(tr *model.Transfer) bool
	}{
		{"individuals", "0", true, func(tr *model.Transfer) bool { return *tr.Individuals == 0 }},
		{"individuals", "-1", false, nil},
		{"individuals", "1", true, func(tr *model.Transfer) bool { return *tr.Individuals == 1 }},
		{"individuals", "1000000", true, func(tr *model.Transfer) bool { return *tr.Individuals == 1000000 }},
		{"individuals", "1_000_000", false, nil}, // only plain decimal: see TestParse_NumbersMustBeDecimal
		{"individuals", "9223372036854775807", true, func(tr *model.Transfer) bool { return *tr.Individuals == 1<<63-1 }},
		{"individuals", "9223372036854775808", false, nil},
		{"individuals", "18446744073709551616", false, nil},
		{"individuals", "0.0", false, nil},
		{"individuals", "0x10", false, nil},
		{"individuals", "'0x10'", false, nil},
		{"individuals", "-0", false, nil},
		{"date", "2024-02-29", true, func(tr *model.Transfer) bool { return tr.Date == model.NewDate(2024, 2, 29) }},
		{"date", "2025-02-28", true, func(tr *model.Transfer) bool { return tr.Date == model.NewDate(2025, 2, 28) }},
		{"date", "2025-02-29", false, nil},
		{"date", "2026-12-31", true, func(tr *model.Transfer) bool { return tr.Date.Year() == 2026 }},
		{"date", "2026-12-32", false, nil},
		{"date", "2026-00-10", false, nil},
		{"date", "0000-01-01", true, func(tr *model.Transfer) bool { return tr.Date.Year() == 0 }},
		{"date", "'2026-01-01 '", false, nil},
		{"date", "null", false, nil}, // required
		{"recipient", "{name: R, country: HK}", true, func(tr *model.Transfer) bool { return tr.Recipient.Country == "HK" }},
		{"recipient", "{name: R, country: NO}", true, func(tr *model.Transfer) bool { return tr.Recipient.Country == "NO" }},
		{"recipient", "{name: R, country: DEU}", false, nil},
		{"recipient", "{name: R, country: D}", false, nil},
		{"recipient", "{name: R, country: EU}", false, nil},
		{"recipient", "{name: '', country: DE}", false, nil},
	}
	for _, tc := range cases {
		body := transferWith(tc.field, tc.value)
		if tc.field == "date" {
			body = strings.Replace(body, "    date: 2026-03-01\n", "", 1)
		}
		if tc.field == "recipient" {
			body = strings.Replace(body, "    recipient: {name: R}\n", "", 1)
		}
		inv, err := Parse("v.yaml", []byte(body), testOpts)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %s: ok=%v, err=%v", tc.field, tc.value, err == nil, err)
			continue
		}
		if err == nil && !tc.check(inv.Transfers[0]) {
			t.Errorf("%s: %s: loaded %+v", tc.field, tc.value, inv.Transfers[0])
		}
	}
}

// Fact values at the edges of their types.
func TestParse_FactBoundaries(t *testing.T) {
	cases := []struct {
		fact, value string
		want        any // nil: an error is expected
	}{
		{"vehicles_in_china", "0", int64(0)},
		{"vehicles_in_china", "-1", nil},
		{"vehicles_in_china", "99999", int64(99999)},
		{"vehicles_in_china", "100000", int64(100000)},
		{"vehicles_in_china", "100000.0", nil},
		{"time_span_days", "0", 0.0},
		{"time_span_days", "30", 30.0},
		{"time_span_days", "30.000001", 30.000001},
		{"time_span_days", "-0.5", nil},
		{"time_span_days", ".nan", nil},
		{"time_span_days", "-0.0", nil},
		{"time_span_days", ".5", 0.5},
		{"time_span_days", "1.5e3", 1500.0},
		{"time_span_days", "0x1F", nil},
		{"time_span_days", "3_0.5", nil},
		{"vehicles_in_china", "0x186A0", nil},
		{"vehicles_in_china", "0o777", nil},
		{"vehicles_in_china", "0777", nil},
		{"vehicles_in_china", "1_000", nil},
		{"vehicles_in_china", "+5", nil},
		{"region_level", "prefecture", "prefecture"},
		{"region_level", "Prefecture", nil},
		{"region_level", "[prefecture]", nil},
		{"safety_functions", "[]", []string{}},
		{"safety_functions", "lane_keeping", nil},
		{"infers_sensitive_geo", "false", false},
		{"infers_sensitive_geo", "no", nil},
		{"note", "123", "123"},
		{"note", "true", nil},
	}
	for _, tc := range cases {
		body := "processors: [{id: p}]\nassets:\n  - id: a\n    processor: p\n    item: rd.testing.road_test\n    facts:\n      " + tc.fact + ": " + tc.value + "\n"
		inv, err := Parse("f.yaml", []byte(body), testOpts)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: %s: accepted as %#v", tc.fact, tc.value, inv.Assets[0].Facts[tc.fact].Value)
			} else if !strings.HasPrefix(err.Error(), "f.yaml:7:") {
				t.Errorf("%s: %s: error not at the value's line: %v", tc.fact, tc.value, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %s: %v", tc.fact, tc.value, err)
			continue
		}
		got := inv.Assets[0].Facts[tc.fact].Value
		if l, ok := tc.want.([]string); ok {
			if gl, ok := got.([]string); !ok || len(gl) != len(l) {
				t.Errorf("%s: %s: got %#v", tc.fact, tc.value, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: %s: got %#v, want %#v", tc.fact, tc.value, got, tc.want)
		}
	}
}

// Every count and number of the inventory is plain decimal: the parser reads
// 0x186A0, 0o777, 0b101, 010 (as octal 8), 1_000 and +5 as integers (YAML
// 1.1), and a figure written so is refused with the decimal to write.
func TestParse_NumbersMustBeDecimal(t *testing.T) {
	msg := map[string]string{
		"0x186A0":   `0x186A0 is hexadecimal: write the number in decimal (100000)`,
		"0o777":     `0o777 is octal: write the number in decimal (511)`,
		"0b101":     `0b101 is binary: write the number in decimal (5)`,
		"0x_1_0":    `0x_1_0 is hexadecimal: write the number in decimal (16)`,
		"010":       `010 has a leading zero, which YAML 1.1 reads as octal (8): write the number in decimal without leading zeros`,
		"0777":      `0777 has a leading zero, which YAML 1.1 reads as octal (511): write the number in decimal without leading zeros`,
		"00":        `00 has a leading zero, which YAML 1.1 reads as octal (0): write the number in decimal without leading zeros`,
		"09":        `09 has a leading zero: write the number in decimal without leading zeros`,
		"1_000":     `1_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1000)`,
		"1_000_000": `1_000_000 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1000000)`,
		"1_":        `1_ groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1)`,
		"0_9":       `0_9 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators`,
		"+5":        `+5 has a "+" sign: write the number in decimal without a sign (5)`,
		"+0":        `+0 has a "+" sign: write the number in decimal without a sign (0)`,
	}
	floats := map[string]string{
		"1_000.5": `1_000.5 groups digits with "_", which YAML 1.2 readers take as text: write the number in decimal without separators (1000.5)`,
		"+0.5":    `+0.5 has a "+" sign: write the number in decimal without a sign (0.5)`,
		"01.5":    `01.5 has a leading zero: write the number in decimal without leading zeros`,
	}
	check := func(t *testing.T, body, path, value, want string) {
		t.Helper()
		_, err := Parse("n.yaml", []byte(body), testOpts)
		if err == nil {
			t.Fatalf("%s: %s accepted", path, value)
		}
		if got := err.Error(); !strings.HasSuffix(got, ": "+path+": "+want) || !strings.HasPrefix(got, "n.yaml:") || strings.Count(got, "\n") != 0 {
			t.Errorf("%s: %s:\n got: %s\nwant: n.yaml:L:C: %s: %s", path, value, got, path, want)
		}
	}
	for value, want := range msg {
		// A count field of each kind of record, and an int and a number fact.
		check(t, transferWith("individuals", value), "transfers[0].individuals", value, want)
		check(t, transferWith("sensitive_individuals", value), "transfers[0].sensitive_individuals", value, want)
		check(t, "processors: [{id: p}]\napprovals:\n  - {id: s, kind: security_assessment, processor: p, issued: 2026-01-01, scope: {max_individuals: "+value+"}}\n",
			"approvals[0].scope.max_individuals", value, want)
		for _, fact := range []string{"vehicles_in_china", "individuals", "complete_intersections", "time_span_days"} {
			check(t, "processors: [{id: p}]\nassets:\n  - id: a\n    processor: p\n    item: rd.testing.road_test\n    facts:\n      "+fact+": "+value+"\n",
				"assets[0].facts."+fact, value, want)
		}
	}
	for value, want := range floats {
		check(t, "processors: [{id: p}]\nassets:\n  - id: a\n    processor: p\n    item: rd.testing.road_test\n    facts:\n      time_span_days: "+value+"\n",
			"assets[0].facts.time_span_days", value, want)
	}
	// Without a fact catalog, a number is still refused; text that only
	// looks like one stays text, since the fact's type is not known.
	for value, want := range msg {
		body := "processors: [{id: p}]\nassets:\n  - id: a\n    processor: p\n    item: rd.testing.road_test\n    facts:\n      anything: " + value + "\n"
		_, err := Parse("n.yaml", []byte(body), Options{})
		if value == "09" || value == "0_9" {
			if err != nil {
				t.Errorf("untyped %s: %v", value, err)
			}
			continue
		}
		if err == nil || !strings.HasSuffix(err.Error(), ": assets[0].facts.anything: "+want) {
			t.Errorf("untyped %s: got %v, want %s", value, err, want)
		}
	}
	// Ids written as numbers keep their text: 0x10 is the id "0x10".
	inv, err := Parse("n.yaml", []byte("processors: [{id: 0x10}, {id: 007}, {id: 1_000}]\n"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Processors[0].ID + " " + inv.Processors[1].ID + " " + inv.Processors[2].ID; got != "0x10 007 1_000" {
		t.Errorf("ids %q", got)
	}
}
