package report

import (
	"slices"
	"strings"
	"testing"
)

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":                  0,
		"vehicles_in_china": 17,
		"华东智行":              8,
		"出境-2026-001":       13,
		"（德国）":              8, // fullwidth parentheses
		"ＡＢ":                4, // fullwidth Latin
		"e\u0301":           1, // combining acute accent
		"a\u00a0(inferred)": 12,
		"ｶﾀｶﾅ":              4, // halfwidth katakana: 1 column each
		"路测轨迹-长三角城市道路采集 ok": 30,
	} {
		if got := DisplayWidth(s); got != want {
			t.Errorf("DisplayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestWrapText(t *testing.T) {
	cases := []struct {
		s    string
		w    int
		want []string
	}{
		{"needs vehicles_in_china", 24, []string{"needs vehicles_in_china"}},
		{"no criterion holds", 10, []string{"no", "criterion", "holds"}},
		// A word wider than the column breaks after an id separator.
		{"export_control_tech_point", 24, []string{"export_control_tech_", "point"}},
		{"ota-infotainment-campaigns", 23, []string{"ota-infotainment-", "campaigns"}},
		// A criterion and its provenance stay together when they fit...
		{"a_criterion\u00a0(inferred), other", 24, []string{"a_criterion (inferred),", "other"}},
		// ...and part at the glue, never dropping the marker, when they do not.
		{"vehicles_100k_testing\u00a0(inferred)", 24, []string{"vehicles_100k_testing", "(inferred)"}},
		// A glued group that fits a line moves to the next line whole.
		{"x vehicles_100k_testing\u00a0(inferred)", 32, []string{"x", "vehicles_100k_testing (inferred)"}},
		// Chinese text has no spaces: it breaks between characters, by columns.
		{"华东智行汽车科技有限公司", 16, []string{"华东智行汽车科技", "有限公司"}},
		{"华东智行汽车科技有限公司", 15, []string{"华东智行汽车科", "技有限公司"}},
		{"", 10, []string{""}},
	}
	for _, c := range cases {
		if got := wrapText(c.s, c.w); !slices.Equal(got, c.want) {
			t.Errorf("wrapText(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
	// Nothing is lost, and no line is wider than asked, whatever the text.
	long := strings.Repeat("华东智行汽车科技有限公司", 7) + " " + strings.Repeat("x", 150) + " end"
	for _, w := range []int{1, 2, 3, 7, 24, 100} {
		lines := wrapText(long, w)
		for _, l := range lines {
			if DisplayWidth(l) > max(w, 2) {
				t.Errorf("w=%d: line %q is %d columns", w, l, DisplayWidth(l))
			}
		}
		if strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(long, " ", "") {
			t.Errorf("w=%d: wrapping lost or changed text", w)
		}
	}
}

func TestWrapWithIndent(t *testing.T) {
	var b strings.Builder
	wrapWith(&b, "  [ ] ", strings.Repeat("word ", 40)+strings.Repeat("长", 120), "      ")
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if DisplayWidth(l) > Width {
			t.Errorf("line of %d columns: %q", DisplayWidth(l), l)
		}
		if !strings.HasPrefix(l, "  [ ] ") && !strings.HasPrefix(l, "      ") {
			t.Errorf("line without head or indent: %q", l)
		}
	}
}
