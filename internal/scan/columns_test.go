package scan

import (
	"fmt"
	"strings"
	"testing"
)

// Column decision thresholds: with a header hint more than half of the
// sampled values must validate; without one, at least 90%.
func TestDecideSchema_Thresholds(t *testing.T) {
	const good, bad = "LRW3E7EB6RC101571", "NOTAVIN"
	col := func(valid, total int) [][][]byte {
		var rows [][][]byte
		for i := 0; i < total; i++ {
			v := bad
			if i < valid {
				v = good
			}
			rows = append(rows, [][]byte{[]byte(v), []byte(fmt.Sprint(i))})
		}
		return rows
	}
	cases := []struct {
		header       []string
		valid, total int
		want         colKind
	}{
		{[]string{"vin", "n"}, 50, 100, kText}, // exactly half: not enough
		{[]string{"vin", "n"}, 51, 100, kVIN},  // just over half
		{[]string{"vin", "n"}, 100, 100, kVIN},
		{nil, 89, 100, kText}, // no header: 89% is not enough
		{nil, 90, 100, kVIN},  // 90% is
		{nil, 91, 100, kVIN},
		{[]string{"plate", "n"}, 100, 100, kText}, // a hint for another kind does not lower the bar
	}
	for _, c := range cases {
		sc := decideSchema(c.header, 2, col(c.valid, c.total), nil)
		if sc.kinds[0] != c.want {
			t.Errorf("header %v, %d/%d valid: %v, want %v (%s)", c.header, c.valid, c.total, sc.kinds[0], c.want, sc.why[0])
		}
	}
}

func TestDecideSchema_KeysAndCoordinates(t *testing.T) {
	rows := func(lines ...[]string) [][][]byte {
		var out [][][]byte
		for _, l := range lines {
			var r [][]byte
			for _, f := range l {
				r = append(r, []byte(f))
			}
			out = append(out, r)
		}
		return out
	}
	// Headerless: hash id, epoch, lat before lon, a speed with one decimal.
	sc := decideSchema(nil, 5, rows(
		[]string{"0a1c60b6ec3cf05f07479a9e64a3dc90", "1559750405", "24.489405", "118.112733", "26.4"},
		[]string{"0a1c60b6ec3cf05f07479a9e64a3dc90", "1559750411", "24.489355", "118.113178", "31.4"},
		[]string{"0b1c60b6ec3cf05f07479a9e64a3dc90", "1559750441", "24.486801", "118.114785", "36.6"},
	), nil)
	want := []colKind{kID, kTime, kLat, kLon, kNumber}
	for i, k := range want {
		if sc.kinds[i] != k {
			t.Fatalf("column %d: %v, want %v (%v)", i+1, sc.kinds[i], k, sc.kinds)
		}
	}
	if sc.vehKey != 0 || sc.perKey != -1 {
		t.Fatalf("keys %d %d", sc.vehKey, sc.perKey)
	}
	// With a header naming no coordinates, decimals are measurements.
	sc = decideSchema([]string{"pressure", "trim"}, 2, rows([]string{"101.325", "-3.125"}, []string{"101.300", "-3.250"}), nil)
	if len(sc.pairs) != 0 || len(sc.notes) != 0 {
		t.Fatalf("coordinates from a header naming none: %v", sc.kinds)
	}
	// Two headerless columns within ±90 and neither order in mainland
	// China: the order cannot be told, and that is said.
	sc = decideSchema(nil, 2, rows([]string{"48.8566", "2.3522"}, []string{"48.8570", "2.3530"}), nil)
	if len(sc.pairs) != 0 || len(sc.notes) != 1 || !strings.Contains(sc.notes[0], "possible coordinates in columns 1,2") {
		t.Fatalf("ambiguous pair taken: %v %q", sc.kinds, sc.notes)
	}
	// VIN key beats plate, resident ID beats phone.
	sc = decideSchema([]string{"plate", "vin", "phone", "idcard"}, 4, rows([]string{"京A12345", "LRW3E7EB6RC101571", "13812345678", "11010519491231002X"}), nil)
	if sc.vehKey != 1 || sc.perKey != 3 {
		t.Fatalf("keys %d %d", sc.vehKey, sc.perKey)
	}
}

func FuzzReadSketch(f *testing.F) {
	// A v1 sketch (unkeyed hashes) is refused; testdata/fuzz/FuzzReadSketch/seed-v2
	// is a real v2 sketch of a small synthetic scan, so merging is explored too.
	f.Add([]byte(`{"schema":"xborder.scan-sketch/v1","hash":"xxh3-64 seed 0","exact_limit":10}`))
	f.Add([]byte(`{"schema":"other"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ReadSketch(bytesReader(b))
		if err != nil {
			return
		}
		s := NewScanner(Options{ExactLimit: k.ExactLimit})
		_ = s.MergeSketch(k) // may refuse corrupt counters, never panic
		_ = s.Report()
	})
}
