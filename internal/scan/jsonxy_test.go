package scan

import (
	"fmt"
	"strings"
	"testing"
)

// JSON keys x and y are never read as coordinates (they are as often
// pixels), but values that may be a position leave contains_coordinates
// undetermined instead of false when no valid coordinate is found: degrees
// with or without a fraction, and projected metres; pixel boxes beyond
// degree range, a lone x, or a real lat/lon pair elsewhere decide it.
func TestScan_JSONXYLeaveCoordinatesUndetermined(t *testing.T) {
	lines := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(f(i))
			b.WriteByte('\n')
		}
		return b.String()
	}
	for _, c := range []struct {
		name, data string
		want       string // "undetermined", "false", "true"
	}{
		{"degrees with a fraction", lines(50, func(i int) string { return fmt.Sprintf(`{"x": %.5f, "y": %.5f}`, 116.3+float64(i)/1000, 39.9) }), "undetermined"},
		{"degrees swapped", lines(50, func(i int) string { return fmt.Sprintf(`{"y": %.5f, "x": %.5f}`, 116.3+float64(i)/1000, 39.9) }), "undetermined"},
		{"whole numbers in degree range", lines(50, func(i int) string { return fmt.Sprintf(`{"x": %d, "y": %d}`, 100+i, 30+i%20) }), "undetermined"},
		{"projected metres", lines(50, func(i int) string { return fmt.Sprintf(`{"x": %.2f, "y": %.2f}`, 440386.4+float64(i), 4420632.5) }), "undetermined"},
		{"nested under one parent", lines(50, func(i int) string { return fmt.Sprintf(`{"pos": {"x": %.4f, "y": %.4f}}`, 121.47, 31.23) }), "undetermined"},
		{"pixel boxes beyond degree range", lines(50, func(i int) string { return fmt.Sprintf(`{"box": {"x": %d, "y": %d, "w": 40}}`, 300+i, 200+i) }), "false"},
		{"x and y under different parents", lines(50, func(i int) string { return fmt.Sprintf(`{"a": {"x": 116.39}, "b": {"y": 39.9}}`) }), "false"},
		{"a lone x", lines(50, func(i int) string { return fmt.Sprintf(`{"x": %.4f}`, 116.39) }), "false"},
		{"zeros", lines(50, func(i int) string { return `{"x": 0, "y": 0}` }), "false"},
		{"a real lat/lon pair beside", lines(50, func(i int) string { return fmt.Sprintf(`{"lat": 39.9, "lon": 116.39, "x": %d, "y": %d}`, 10+i, 20) }), "true"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "d.jsonl", c.data))
			got := "undetermined"
			if v := r.Facts.ContainsCoordinates; v != nil {
				got = fmt.Sprint(*v)
			}
			if got != c.want {
				t.Fatalf("contains_coordinates %s, want %s; problems %+v", got, c.want, r.Files[0].Problems)
			}
			if c.want == "undetermined" {
				if r.Files[0].PossibleCoordinates != 1 || !strings.Contains(r.Files[0].Problems[len(r.Files[0].Problems)-1].Text, "hold keys x and y") {
					t.Fatalf("possible %d, problems %+v", r.Files[0].PossibleCoordinates, r.Files[0].Problems)
				}
				if _, ok := FactsOf(r, "scan:x")[FactContainsCoordinates]; ok {
					t.Fatalf("fact measured: %+v", FactsOf(r, "scan:x"))
				}
			}
		})
	}
}
