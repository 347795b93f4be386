package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// xyRows makes n sampled records of an id, an x and a y column.
func xyRows(n int, f func(i int) (x, y string)) [][][]byte {
	var out [][][]byte
	for i := 0; i < n; i++ {
		x, y := f(i)
		out = append(out, [][]byte{[]byte(fmt.Sprint(i)), []byte(x), []byte(y)})
	}
	return out
}

// Beijing (Tiananmen 116.397,39.908) with 6 decimals.
func beijing(i int) (string, string) {
	return fmt.Sprintf("116.%06d", 397000+i*37), fmt.Sprintf("39.%06d", 908000+i*29)
}

// Columns named x and y: degrees (in degree range, with fractions) are
// coordinates wherever they fall, the mainland deciding only the order;
// projected metres and whole numbers in degree range are possible
// coordinates not used (contains_coordinates undetermined); beyond degree
// range and below 10,000 they are planar positions. Never silently read,
// never silently dropped. Each threshold is tested at, below and above its
// value.
func TestDecideSchema_PlanarXY(t *testing.T) {
	const (
		read      = "read"      // a pair, x the longitude
		swapped   = "swapped"   // a pair, x the latitude, and said
		planar    = "planar"    // "look like planar positions": not coordinates
		projected = "projected" // "projected coordinate system": undetermined
		ambiguous = "ambiguous" // "within degree range but whole numbers": undetermined
		possible  = "possible"  // other "possible coordinates ... not used": undetermined
		silent    = "silent"    // not numbers: neither read nor reported
	)
	bj := beijing
	paris := func(i int) (string, string) { return fmt.Sprintf("2.%04d", 3522+i), fmt.Sprintf("48.%04d", 8566+i) }
	tokyo := func(i int) (string, string) { return fmt.Sprintf("139.%04d", 6917+i), fmt.Sprintf("35.%04d", 6895+i) }
	xyh := []string{"id", "x", "y"}
	cases := []struct {
		name   string
		header []string
		rows   [][][]byte
		want   string
		text   string // in the note, when one is wanted
	}{
		// Degrees, wherever they fall.
		{"wgs84 6 decimals", xyh, xyRows(100, bj), read, ""},
		{"upper case X,Y", []string{"id", "X", "Y"}, xyRows(100, bj), read, ""},
		{"tiananmen 3 decimals", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("116.%03d", 397+i%3), fmt.Sprintf("39.%03d", 908+i%5)
		}), read, ""},
		{"one decimal", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("116.%d", 1+i%9), fmt.Sprintf("39.%d", 1+i%9)
		}), read, ""},
		{"1.99 decimals on average", xyh, xyRows(100, func(i int) (string, string) {
			x := fmt.Sprintf("116.%02d", 11+i%80)
			if i == 0 {
				x = "116.4"
			}
			return x, fmt.Sprintf("39.%02d", 11+i%80)
		}), read, ""},
		{"kashgar both within 90", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("75.%04d", 9910+i), fmt.Sprintf("39.%04d", 4710+i)
		}), read, ""},
		{"header swapped", xyh, xyRows(100, func(i int) (string, string) { y, x := bj(i); return x, y }), swapped, "holds latitudes in x"},
		{"kashgar swapped", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("39.%04d", 4710+i), fmt.Sprintf("75.%04d", 9910+i)
		}), swapped, "holds latitudes in x"},
		{"paris: the usual order, said", xyh, xyRows(100, paris), read, "the usual order"},
		{"tokyo: y within 90 only as the latitude", xyh, xyRows(100, tokyo), read, ""},
		{"tokyo swapped: x the latitude by range", xyh, xyRows(100, func(i int) (string, string) { x, y := tokyo(i); return y, x }),
			swapped, "which a latitude cannot be"},
		{"sensor offsets in metres are in degree range", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.3f", float64(i)*0.731-30), fmt.Sprintf("%.3f", float64(i%20)*0.417-4)
		}), read, "the usual order"},
		{"one-decimal pixels in the box are read", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%d.5", 80+i%50), fmt.Sprintf("%d.5", 20+i%30)
		}), read, ""},

		// The mainland decides the order only: any share of rows there.
		{"half in mainland", xyh, xyRows(100, func(i int) (string, string) {
			if i < 50 {
				return bj(i)
			}
			return paris(i)
		}), read, ""},
		{"1 of 100 in mainland", xyh, xyRows(100, func(i int) (string, string) {
			if i < 1 {
				return bj(i)
			}
			return paris(i)
		}), read, ""},
		{"1 of 100 in mainland, swapped", xyh, xyRows(100, func(i int) (string, string) {
			x, y := paris(i)
			if i < 1 {
				x, y = bj(i)
			}
			return y, x
		}), swapped, "read that way 1 of 100"},
		{"hong kong and mainland", xyh, xyRows(100, func(i int) (string, string) {
			if i%3 == 0 {
				return bj(i)
			}
			return fmt.Sprintf("114.1%04d", 5000+i), fmt.Sprintf("22.3%04d", 2000+i)
		}), read, ""},

		// Fractions: half of the non-zero values of each column.
		{"fraction 50 of 100", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 50 {
				x = "116"
			}
			return x, y
		}), read, ""},
		{"fraction 49 of 100", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 51 {
				x = "116"
			}
			return x, y
		}), ambiguous, "only 49 of 100 non-zero sampled values in x have a fraction"},
		{"0,0 every 5th row", xyh, xyRows(100, func(i int) (string, string) {
			if i%5 == 0 {
				return "0", "0"
			}
			return bj(i)
		}), read, ""},
		{"0,0 in half the rows", xyh, xyRows(100, func(i int) (string, string) {
			if i%2 == 0 {
				return "0.000000", "0.000000"
			}
			return bj(i)
		}), read, ""},
		{"zeros left out: 40 of 80 non-zero", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			switch {
			case i < 20:
				return "0", "0"
			case i < 60:
				x = "116"
			}
			return x, y
		}), read, ""},
		{"zeros left out: 39 of 80 non-zero", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			switch {
			case i < 20:
				return "0", "0"
			case i < 61:
				x = "116"
			}
			return x, y
		}), ambiguous, "only 39 of 80 non-zero sampled values in x"},
		{"printf %f pixels", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%d.000000", 80+i%50), fmt.Sprintf("%d.000000", 20+i%30)
		}), ambiguous, "only 0 of 100 non-zero sampled values in x have a fraction"},
		{"pixel boxes within 180", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprint(i % 170), fmt.Sprint(i % 89)
		}), ambiguous, "whole numbers"},
		{"pixels in the mainland box", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprint(80 + i%50), fmt.Sprint(20 + i%30)
		}), ambiguous, "integer degrees"},
		{"integer degrees in y only", xyh, xyRows(100, func(i int) (string, string) {
			x, _ := bj(i)
			return x, fmt.Sprint(39 + i%2)
		}), ambiguous, "in y have a fraction"},

		// Nothing to judge in the sample: the header decides.
		{"empty in the sample", xyh, xyRows(100, func(i int) (string, string) { return "", "" }), read, ""},
		{"only 0,0 in the sample", xyh, xyRows(100, func(i int) (string, string) { return "0", "0" }), read, ""},
		{"x empty, y degrees", xyh, xyRows(100, func(i int) (string, string) { _, y := bj(i); return "", y }), read, "the usual order"},

		// Degree range: 90% of each column within its side's range.
		{"beyond 180: 10 of 100", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 10 {
				x = "200.123456"
			}
			return x, y
		}), read, ""},
		{"beyond 180: 11 of 100", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 11 {
				x = "200.123456"
			}
			return x, y
		}), planar, "11 of 100 sampled values in x are beyond ±180"},
		{"y beyond 90: 10 of 100", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 10 {
				y = "95.5"
			}
			return x, y
		}), read, ""},
		{"y beyond 90: 11 of 100", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 11 {
				y = "95.5"
			}
			return x, y
		}), read, "rows with the columns the other way round are counted invalid"}, // within ±180 with fractions: read, the 11 rows invalid
		{"y beyond 180: 11 of 100", xyh, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 11 {
				y = "195.5"
			}
			return x, y
		}), planar, "11 of 100 sampled values in y are beyond ±180"},
		{"ccpd-sized pixels", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprint(154 + 5*i), fmt.Sprint(383 + 7*i)
		}), planar, "beyond ±180"},
		{"just below 10000", xyh, xyRows(100, func(i int) (string, string) {
			return "9999.99", "20000"
		}), planar, "beyond ±180"},

		// Projected metres: 90% of the non-zero numbers of each column
		// 10,000 or more.
		{"utm 50N", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.2f", 448000+float64(i)*13.1), fmt.Sprintf("%.2f", 4419000+float64(i)*7.3)
		}), projected, "projected coordinate system (100 of 100 and 100 of 100 non-zero"},
		{"cgcs2000 gauss-kruger with zone", []string{"id", "X", "Y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.3f", 39500000+float64(i)*11.7), fmt.Sprintf("%.3f", 4420000+float64(i)*5.9)
		}), projected, "left undetermined"},
		{"web mercator", xyh, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.1f", 12957000+float64(i)*9), fmt.Sprintf("%.1f", 4852000+float64(i)*3)
		}), projected, "projected"},
		{"projected at 10000", xyh, xyRows(100, func(i int) (string, string) {
			if i < 10 {
				return "1.5", "2.5"
			}
			return "10000", "10000.0"
		}), projected, "90 of 100 and 90 of 100"},
		{"projected 89 of 100", xyh, xyRows(100, func(i int) (string, string) {
			if i < 11 {
				return "1.5", "2.5"
			}
			return "10000", "10000.0"
		}), planar, "89 of 100 sampled values in x are beyond ±180"},
		{"utm with 0,0 rows", xyh, xyRows(100, func(i int) (string, string) {
			if i%4 == 0 {
				return "0", "0"
			}
			return fmt.Sprintf("%.2f", 448000+float64(i)*13.1), fmt.Sprintf("%.2f", 4419000+float64(i)*7.3)
		}), projected, "(75 of 75 and 75 of 75 non-zero"},

		// A lone x (no y) is no pair, but degree-like values beside it are
		// still reported as possible coordinates.
		{"lone x beside a latitude", []string{"id", "a", "x"}, xyRows(100, func(i int) (string, string) { x, y := bj(i); return y, x }),
			possible, "possible coordinates in columns a,x not used"},

		// A share of the rows swapped, all within ±180 with fractions:
		// read in the order the mainland tells (9% swapped fits the range
		// as it is; 10%, 20% and half do not).
		{"9% of rows swapped", xyh, xyRows(100, func(i int) (string, string) {
			if i%100 < 9 {
				y, x := bj(i)
				return x, y
			}
			return bj(i)
		}), read, ""},
		{"11% of rows swapped", xyh, xyRows(100, func(i int) (string, string) {
			if i%100 < 11 {
				y, x := bj(i)
				return x, y
			}
			return bj(i)
		}), read, "rows with the columns the other way round are counted invalid"},
		{"20% of rows swapped", xyh, xyRows(100, func(i int) (string, string) {
			if i%5 == 0 {
				y, x := bj(i)
				return x, y
			}
			return bj(i)
		}), read, "rows with the columns the other way round are counted invalid"},
		{"80% of rows swapped", xyh, xyRows(100, func(i int) (string, string) {
			if i%5 != 0 {
				y, x := bj(i)
				return x, y
			}
			return bj(i)
		}), swapped, "rows with the columns the other way round are counted invalid"},
		{"half the rows swapped", xyh, xyRows(100, func(i int) (string, string) {
			if i%2 == 0 {
				y, x := bj(i)
				return x, y
			}
			return bj(i)
		}), read, "50 of 100 sampled rows in mainland China that way, 50 the other way round"},
		{"swapped rows, whole numbers", xyh, xyRows(100, func(i int) (string, string) {
			if i%5 == 0 {
				return "39", "116"
			}
			return "116", "39"
		}), planar, ""},
		// A repeated no-fix sentinel beyond the range is a placeholder.
		{"14% -999 sentinel", xyh, xyRows(100, func(i int) (string, string) {
			if i%7 == 0 {
				return "-999", "-999"
			}
			return bj(i)
		}), read, ""},
		{"14% 9999 sentinel", xyh, xyRows(100, func(i int) (string, string) {
			if i%7 == 0 {
				return "9999", "9999"
			}
			return bj(i)
		}), read, ""},
		{"14% -888: no sentinel", xyh, xyRows(100, func(i int) (string, string) {
			if i%7 == 0 {
				return "-888", "-888"
			}
			return bj(i)
		}), planar, ""},

		// Not numbers: a column named x may hold anything.
		{"text", xyh, xyRows(100, func(i int) (string, string) { return "left", "top" }), silent, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := decideSchema(c.header, 3, c.rows, nil)
			notes := strings.Join(sc.notes, "\n")
			got := silent
			switch {
			case len(sc.pairs) == 1 && sc.pairs[0] == (coordPair{lat: 2, lon: 1}):
				got = read
			case len(sc.pairs) == 1 && sc.pairs[0] == (coordPair{lat: 1, lon: 2}):
				got = swapped
			case len(sc.pairs) > 0:
				got = fmt.Sprint(sc.pairs)
			case strings.Contains(notes, "look like planar positions"):
				got = planar
			case strings.Contains(notes, "projected coordinate system"):
				got = projected
			case strings.Contains(notes, "within degree range but whole numbers"):
				got = ambiguous
			case strings.Contains(notes, "possible coordinates in columns"):
				got = possible
			}
			if got != c.want {
				t.Fatalf("got %s, want %s; kinds %v why %q notes %q", got, c.want, sc.kinds, sc.why, sc.notes)
			}
			// One note at most, and only one per pair: possibleCoordinates
			// must not report the columns again.
			wantNotes := 1
			if c.text == "" && (c.want == read || c.want == silent) {
				wantNotes = 0
			}
			if len(sc.notes) != wantNotes || (c.text != "" && !strings.Contains(notes, c.text)) {
				t.Fatalf("notes %q, want %d holding %q", sc.notes, wantNotes, c.text)
			}
			// Possible coordinates not used (undetermined) are counted;
			// planar positions, pairs read and silence are not.
			wantUnused := 0
			if c.want == projected || c.want == ambiguous || c.want == possible {
				wantUnused = 1
			}
			if sc.unused != wantUnused {
				t.Fatalf("unused %d, want %d; notes %q", sc.unused, wantUnused, sc.notes)
			}
			if got == read || got == swapped {
				if !strings.Contains(sc.why[1], "header x/y") {
					t.Fatalf("why %q", sc.why)
				}
			} else if sc.kinds[1] == kLat || sc.kinds[1] == kLon || sc.kinds[2] == kLat || sc.kinds[2] == kLon {
				t.Fatalf("kinds %v", sc.kinds)
			}
		})
	}
}

// In a scan: an annotation export with pixel boxes beyond degree range
// holds no coordinates (contains_coordinates false, and says why); whole
// numbers in degree range and projected metres leave contains_coordinates
// undetermined, so assess asks for it; degrees in x and y are positions.
func TestScan_PlanarXYFacts(t *testing.T) {
	// CCPD images are 720x1160: boxes mostly beyond ±180.
	pixels := "filename,x,y,w,h,plate\n" + rowsOf(300, func(i int) string {
		x, y := 150+i%500, 300+i%800
		return fmt.Sprintf("0%03d-90_85-%d&%d_%d&%d.jpg,%d,%d,%d,%d,皖A%05d", i, x, y, x+40, y+12, x, y, 40, 12, 10000+i)
	})
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "ccpd_boxes.csv", pixels))
	f := r.Files[0]
	if !isFalse(r.Facts.ContainsCoordinates) || r.Geo.Points != 0 || r.Geo.Invalid != 0 || f.CRS != "none" || f.PossibleCoordinates != 0 {
		t.Fatalf("pixels read as positions: geo %+v facts %+v columns %+v", r.Geo, r.Facts, f.Columns)
	}
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Text, "columns x,y look like planar positions") || f.Status != StatusScanned {
		t.Fatalf("problems %+v status %s", f.Problems, f.Status)
	}
	if r.Detectors.Plate.Distinct != 300 {
		t.Fatalf("plates %+v", r.Detectors.Plate)
	}
	if v, ok := FactsOf(r, "scan:x")[FactContainsCoordinates]; !ok || v.Value != false {
		t.Fatalf("facts %+v", FactsOf(r, "scan:x"))
	}

	// Whole numbers in degree range: pixels or integer degrees.
	inRange := "filename,x,y,w,h\n" + rowsOf(300, func(i int) string {
		return fmt.Sprintf("f%d.jpg,%d,%d,40,12", i, i%170, i%89)
	})
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "boxes_in_range.csv", inRange))
	f = r.Files[0]
	if r.Facts.ContainsCoordinates != nil || r.Geo.Points != 0 || f.PossibleCoordinates != 1 || len(f.Problems) != 1 ||
		!strings.Contains(f.Problems[0].Text, "within degree range but whole numbers") {
		t.Fatalf("in range: facts %+v problems %+v", r.Facts, f.Problems)
	}
	if _, ok := FactsOf(r, "scan:x")[FactContainsCoordinates]; ok {
		t.Fatalf("an undetermined contains_coordinates must be left out of the facts: %+v", FactsOf(r, "scan:x"))
	}
	if !strings.Contains(strings.Join(r.Notes, " "), "contains_coordinates is not measured") {
		t.Fatalf("notes %q", r.Notes)
	}

	degrees := "vin,x,y,time\n" + rowsOf(300, func(i int) string {
		return fmt.Sprintf("LRW3E7EB6RC101571,116.%06d,39.%06d,%d", 397000+i*37, 908000+i*29, 1714521600+i)
	})
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "xy.csv", degrees))
	if !isTrue(r.Facts.ContainsCoordinates) || r.Geo.Points != 300 || r.Geo.InChina != 300 || *r.Facts.VehiclesInChina != 1 || len(r.Files[0].Problems) != 0 {
		t.Fatalf("degrees: geo %+v facts %+v problems %+v", r.Geo, r.Facts, r.Files[0].Problems)
	}
	// Degrees in x and y beyond the sample are still points: the columns
	// were decided on the sample, then every record is read.
	late := degrees + rowsOf(3000, func(i int) string {
		return fmt.Sprintf("LRW3E7EB8RC101362,121.%06d,31.%06d,%d", 470000+i, 230000+i, 1714600000+i)
	})
	r = scanPaths(t, Options{Geo: fakeGeo, chunkSize: 4096}, writeTemp(t, "xy_long.csv", late))
	if r.Geo.Points != 3300 || *r.Facts.VehiclesInChina != 2 {
		t.Fatalf("long: geo %+v", r.Geo)
	}

	utm := "id,x,y\n" + rowsOf(300, func(i int) string {
		return fmt.Sprintf("%d,%.2f,%.2f", i, 448000+float64(i)*13.1, 4419000+float64(i)*7.3)
	})
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "utm.csv", utm))
	if r.Facts.ContainsCoordinates != nil || len(r.Files[0].Problems) != 1 || !strings.Contains(r.Files[0].Problems[0].Text, "projected coordinate system") {
		t.Fatalf("utm: facts %+v problems %+v", r.Facts, r.Files[0].Problems)
	}
	// No long number of a coordinate field is echoed.
	if strings.Contains(r.Files[0].Problems[0].Text, "448") || strings.Contains(r.Files[0].Problems[0].Text, "4419") {
		t.Fatalf("values echoed: %q", r.Files[0].Problems[0].Text)
	}
	// With a valid coordinate in another file, the fact is true.
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "utm.csv", utm), writeTemp(t, "xy.csv", degrees))
	if !isTrue(r.Facts.ContainsCoordinates) || !strings.Contains(FactsOf(r, "scan:x")[FactContainsCoordinates].Evidence, "1 file(s) also hold possible coordinates not used") {
		t.Fatalf("utm + degrees: facts %+v evidence %+v", r.Facts, FactsOf(r, "scan:x")[FactContainsCoordinates])
	}
}

// Columns x and y empty throughout the sample are read by their header, as
// other coordinate names are: degrees turning up later are placed.
func TestScan_PlanarXYEmptyInTheSample(t *testing.T) {
	data := "id,x,y\n" + rowsOf(5100, func(i int) string {
		if i < 5000 {
			return fmt.Sprintf("%d,,", i)
		}
		return fmt.Sprintf("%d,116.%06d,39.%06d", i, 397000+i, 908000+i)
	})
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "late_xy.csv", data))
	f := r.Files[0]
	if r.Geo.Points != 100 || r.Geo.InChina != 100 || len(f.Problems) != 0 || !isTrue(r.Facts.ContainsCoordinates) {
		t.Fatalf("geo %+v problems %+v", r.Geo, f.Problems)
	}
}

// The reviewer's files (issue: real coordinates under x/y gave
// contains_coordinates false), generated here: every one holds coordinates
// and is placed with the built-in boundaries.
func TestScan_ReviewerXYFiles(t *testing.T) {
	g := defaultGeo(t)
	row := func(i int, x, y string) string {
		return fmt.Sprintf("2026-01-01T%02d:%02d:00+08:00,LRW3E7EB6RC101571,%s,%s", i/60%24, i%60, x, y)
	}
	file := func(n int, f func(i int) (string, string)) string {
		return "time,vin,x,y\n" + rowsOf(n, func(i int) string { x, y := f(i); return row(i, x, y) })
	}
	// Places on land, each with 6 decimals (the scan's sample spans them).
	bj := func(i int) (string, string) {
		return fmt.Sprintf("%.6f", 116.30+float64(i%97)*0.002), fmt.Sprintf("%.6f", 39.85+float64(i%89)*0.0015)
	}
	hk := func(i int) (string, string) { // Kowloon and Sha Tin
		return fmt.Sprintf("%.6f", 114.170+float64(i%23)*0.0008), fmt.Sprintf("%.6f", 22.320+float64(i%19)*0.0008)
	}
	tokyo := func(i int) (string, string) {
		return fmt.Sprintf("%.6f", 139.60+float64(i%31)*0.004), fmt.Sprintf("%.6f", 35.62+float64(i%29)*0.002)
	}
	munich := func(i int) (string, string) {
		return fmt.Sprintf("%.6f", 11.50+float64(i%37)*0.004), fmt.Sprintf("%.6f", 48.08+float64(i%41)*0.002)
	}
	cases := []struct {
		name                         string
		data                         string
		points, inChina, hk, invalid int64
		outside                      int64
		problemText                  string
	}{
		{"zeros.csv", file(1000, func(i int) (string, string) {
			if i%5 == 0 {
				return "0", "0"
			}
			return bj(i)
		}), 800, 800, 0, 200, 0, "placeholder"},
		{"onedec.csv", file(1000, func(i int) (string, string) {
			return fmt.Sprintf("116.%d", 3+i%2), fmt.Sprintf("39.%d", 8+i%2)
		}), 1000, 1000, 0, 0, 0, ""},
		{"hk_mix.csv", file(999, func(i int) (string, string) {
			if i%3 == 0 {
				return bj(i)
			}
			return hk(i)
		}), 999, 333, 666, 0, 666, ""},
		{"jp_cn.csv", file(1000, func(i int) (string, string) {
			if i%5 < 2 {
				return bj(i)
			}
			return tokyo(i)
		}), 1000, 400, 0, 0, 600, ""},
		{"de_then_cn.csv", file(2000, func(i int) (string, string) {
			if i < 600 {
				return munich(i)
			}
			return bj(i)
		}), 2000, 1400, 0, 0, 600, ""},
		{"late.csv", file(5000, func(i int) (string, string) {
			if i < 2500 {
				return "", ""
			}
			return bj(i)
		}), 2500, 2500, 0, 0, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scanPaths(t, Options{Geo: g, chunkSize: 16 << 10}, writeTemp(t, c.name, c.data))
			f, geo := r.Files[0], r.Geo
			if !isTrue(r.Facts.ContainsCoordinates) || geo.Points != c.points || geo.InChina != c.inChina || geo.HKMOTW != c.hk ||
				geo.Invalid != c.invalid || geo.OutsideChina != c.outside || f.PossibleCoordinates != 0 {
				t.Fatalf("facts %+v geo %+v columns %+v problems %+v", r.Facts, geo, f.Columns, f.Problems)
			}
			if c.problemText == "" && len(f.Problems) != 0 || c.problemText != "" && !strings.Contains(f.Problems[0].Text, c.problemText) {
				t.Fatalf("problems %+v", f.Problems)
			}
			if v := FactsOf(r, "scan:"+c.name)[FactContainsCoordinates]; v.Value != true {
				t.Fatalf("fact %+v", v)
			}
			if r.Facts.VehiclesInChina == nil || *r.Facts.VehiclesInChina != 1 {
				t.Fatalf("vehicles_in_china %v", r.Facts.VehiclesInChina)
			}
		})
	}
}

// Possible coordinates of every kind leave contains_coordinates
// undetermined when no valid coordinate is found: the lone latitude column,
// the headerless pair whose order cannot be told, unnamed number columns
// that fit a pair, coordinate-like values turning up late in text columns.
func TestScan_PossibleCoordinatesLeaveTheFactUndetermined(t *testing.T) {
	cases := []struct{ name, data, text string }{
		{"lone.csv", "id,lat,speed\n" + rowsOf(100, func(i int) string { return fmt.Sprintf("%d,39.%04d,%d", i, 9000+i, i%90) }),
			"possible coordinates in column \"lat\" not used"},
		{"headerless.csv", rowsOf(100, func(i int) string { return fmt.Sprintf("2.%04d,48.%04d", 3522+i, 8566+i) }),
			"possible coordinates in columns 1,2 not used"},
		{"unnamed.csv", "id,a,b\n" + rowsOf(100, func(i int) string { return fmt.Sprintf("%d,116.%04d,39.%04d", i, 3970+i, 9080+i) }),
			"possible coordinates in columns a,b not used"},
		{"late_text.csv", "id,p,q\n" + rowsOf(2500, func(i int) string {
			if i < 2100 {
				return fmt.Sprintf("%d,n/a,n/a", i)
			}
			return fmt.Sprintf("%d,116.%06d,39.%06d", i, 397000+i, 908000+i)
		}), "coordinate-like values appear from here on"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, c.name, c.data))
			f := r.Files[0]
			if r.Geo.Points != 0 || r.Facts.ContainsCoordinates != nil || f.PossibleCoordinates != 1 ||
				!strings.Contains(fmt.Sprint(f.Problems), c.text) {
				t.Fatalf("facts %+v geo %+v problems %+v", r.Facts, r.Geo, f.Problems)
			}
			if _, ok := FactsOf(r, "scan:x")[FactContainsCoordinates]; ok {
				t.Fatal("fact measured")
			}
		})
	}
}

// The outputs of an undetermined contains_coordinates: absent from the
// JSON facts, "undetermined" in the table with a pointer to the problems,
// a possible-coordinates result in SARIF, and kept through a sketch.
func TestOutput_UndeterminedContainsCoordinates(t *testing.T) {
	utm := "id,x,y\n" + rowsOf(300, func(i int) string {
		return fmt.Sprintf("%d,%.2f,%.2f", i, 448000+float64(i)*13.1, 4419000+float64(i)*7.3)
	})
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "utm.csv", utm))
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Facts map[string]any `json:"facts"`
		Files []struct {
			Possible int `json:"possible_coordinates"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Facts["contains_coordinates"]; ok || j.Files[0].Possible != 1 {
		t.Fatalf("json facts %v files %+v", j.Facts, j.Files)
	}
	b.Reset()
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	table := b.String()
	if !strings.Contains(table, "contains_coordinates   undetermined: possible coordinates not used in 1 file(s)") ||
		!strings.Contains(table, "see their problems above and NOTES") {
		t.Fatalf("table:\n%s", table)
	}
	for _, l := range strings.Split(table, "\n") {
		if n := len([]rune(l)); n > 100 {
			t.Fatalf("line of %d columns: %q", n, l)
		}
	}
	b.Reset()
	if err := WriteSARIF(&b, r); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, res := range log.Runs[0].Results {
		if res.RuleID == "possible-coordinates" && res.Level == "warning" && strings.Contains(res.Message.Text, "contains_coordinates is not measured") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no possible-coordinates result: %+v", log.Runs[0].Results)
	}
	// A sketch keeps the count, so a merged report is undetermined too;
	// merged with a shard holding degrees, it is true.
	useTestKey(t)
	utmPath := writeTemp(t, "utm.csv", utm)
	degrees := writeTemp(t, "xy.csv", "id,x,y\n"+rowsOf(10, func(i int) string { x, y := beijing(i); return fmt.Sprintf("%d,%s,%s", i, x, y) }))
	m := NewScanner(Options{})
	if err := m.MergeSketch(sketchOf(t, Options{Geo: fakeGeo}, "a", utmPath)); err != nil {
		t.Fatal(err)
	}
	if mr := m.Report(); mr.Facts.ContainsCoordinates != nil || mr.Files[0].PossibleCoordinates != 1 {
		t.Fatalf("merged: facts %+v files %+v", mr.Facts, mr.Files)
	}
	if err := m.MergeSketch(sketchOf(t, Options{Geo: fakeGeo}, "b", degrees)); err != nil {
		t.Fatal(err)
	}
	if mr := m.Report(); !isTrue(mr.Facts.ContainsCoordinates) {
		t.Fatalf("merged with degrees: facts %+v", mr.Facts)
	}
}

// x/y read on an assumption alone (blank in the sample, or no sampled row
// in mainland China either way round) whose points then all fall outside
// mainland China are tentative: radar offsets in metres and normalised
// image boxes look like degrees somewhere abroad. They are counted and
// placed but leave contains_coordinates undetermined, not true; one point
// in the mainland confirms them (a German head then China, values after a
// blank sample), and another file's confirmed points settle the fact.
func TestScan_TentativeXY(t *testing.T) {
	g := defaultGeo(t)
	rows := func(header string, n int, f func(i int) string) string { return header + "\n" + rowsOf(n, f) }
	radar := rows("t,obj,x,y,vx", 600, func(i int) string {
		return fmt.Sprintf("%.2f,%d,%.2f,%.2f,1.5", float64(i)*0.05, i%7, 30+float64(i%50)*0.37, float64(i%40)*0.31-6)
	})
	yolo := rows("img,cls,x,y,w,h", 600, func(i int) string {
		return fmt.Sprintf("img%d.jpg,1,%.4f,%.4f,0.1,0.2", i, 0.05+float64(i%90)/100, 0.05+float64(i%80)/100)
	})
	zeroThenPixels := rows("t,x,y", 3000, func(i int) string {
		if i < 2500 {
			return fmt.Sprintf("%d,0,0", i)
		}
		return fmt.Sprintf("%d,%d,%d", i, 150+i%500, 200+i%700)
	})
	zeroThenStray := rows("t,x,y", 3000, func(i int) string {
		switch {
		case i < 2500:
			return fmt.Sprintf("%d,0,0", i)
		case i == 2600:
			return fmt.Sprintf("%d,10,5", i) // a pixel pair that is also a place (in Nigeria)
		}
		return fmt.Sprintf("%d,%d,%d", i, 200+i%500, 200+i%700)
	})
	blankThenBeijing := rows("t,x,y", 3000, func(i int) string {
		if i < 2500 {
			return fmt.Sprintf("%d,,", i)
		}
		return fmt.Sprintf("%d,116.%06d,39.%06d", i, 300000+i, 900000+i)
	})
	munichThenBeijing := rows("t,x,y", 2000, func(i int) string {
		if i < 600 {
			return fmt.Sprintf("%d,11.%06d,48.%06d", i, 500000+i, 100000+i)
		}
		return fmt.Sprintf("%d,116.%06d,39.%06d", i, 300000+i, 900000+i)
	})
	for _, c := range []struct {
		name, data string
		want       string // true, false, undetermined
		tentative  int64
	}{
		{"radar.csv", radar, "undetermined", 600},
		{"yolo.csv", yolo, "undetermined", 600},
		{"zero_then_pixels.csv", zeroThenPixels, "undetermined", 0}, // pixels beyond degree range: undetermined by the out-of-range rule
		{"zero_then_stray.csv", zeroThenStray, "undetermined", 1},
		{"blank_then_beijing.csv", blankThenBeijing, "true", 0},
		{"munich_then_beijing.csv", munichThenBeijing, "true", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := scanPaths(t, Options{Geo: g}, writeTemp(t, c.name, c.data))
			f := r.Files[0]
			got := "undetermined"
			if v := r.Facts.ContainsCoordinates; v != nil {
				got = fmt.Sprint(*v)
			}
			if got != c.want || f.TentativePoints != c.tentative {
				t.Fatalf("contains_coordinates %s (want %s), tentative %d (want %d), geo %+v problems %+v", got, c.want, f.TentativePoints, c.tentative, r.Geo, f.Problems)
			}
			if c.want == "undetermined" {
				if f.PossibleCoordinates == 0 || UnsettledFacts(r)[FactContainsCoordinates] == "" {
					t.Fatalf("not reported as possible coordinates: %+v", f)
				}
				if r.Geo.Points != c.tentative {
					t.Fatalf("tentative points not counted: %+v", r.Geo)
				}
			}
		})
	}
	// With a file of confirmed points beside it, the fact is true.
	r := scanPaths(t, Options{Geo: g}, writeTemp(t, "radar.csv", radar), writeTemp(t, "bj.csv", blankThenBeijing))
	if !isTrue(r.Facts.ContainsCoordinates) {
		t.Fatalf("radar beside Beijing: %+v", r.Facts)
	}
}
