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
		{"individuals", "1_000_000", true, func(tr *model.Transfer) bool { return *tr.Individuals == 1000000 }},
		{"individuals", "9223372036854775807", true, func(tr *model.Transfer) bool { return *tr.Individuals == 1<<63-1 }},
		{"individuals", "9223372036854775808", false, nil},
		{"individuals", "18446744073709551616", false, nil},
		{"individuals", "0.0", false, nil},
		{"individuals", "0x10", true, func(tr *model.Transfer) bool { return *tr.Individuals == 16 }},
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
