package scan

import (
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

// Columns named x and y are longitudes and latitudes only when their values
// look like degrees in mainland China; else they are reported as planar
// positions, projected positions, or possible coordinates: never silently
// read, never silently dropped. Each threshold is tested at, below and
// above its value.
func TestDecideSchema_PlanarXY(t *testing.T) {
	const (
		read      = "read"      // a pair, x the longitude
		swapped   = "swapped"   // a pair, x the latitude, and said
		planar    = "planar"    // "look like planar positions"
		projected = "projected" // "projected coordinate system"
		possible  = "possible"  // "possible coordinates ... not used"
		silent    = "silent"    // not numbers: neither read nor reported
	)
	// Beijing (Tiananmen 116.397,39.908) with 6 decimals.
	bj := func(i int) (string, string) {
		return fmt.Sprintf("116.%06d", 397000+i*37), fmt.Sprintf("39.%06d", 908000+i*29)
	}
	cases := []struct {
		name   string
		header []string
		rows   [][][]byte
		want   string
		text   string // in the note, when one is wanted
	}{
		// Degrees.
		{"wgs84 6 decimals", []string{"id", "x", "y"}, xyRows(100, bj), read, ""},
		{"upper case X,Y", []string{"id", "X", "Y"}, xyRows(100, bj), read, ""},
		{"tiananmen 3 decimals", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("116.%03d", 397+i%3), fmt.Sprintf("39.%03d", 908+i%5)
		}), read, ""},
		{"kashgar both within 90", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("75.%04d", 9910+i), fmt.Sprintf("39.%04d", 4710+i)
		}), read, ""},
		{"header swapped", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) { y, x := bj(i); return x, y }), swapped, "holds latitudes in x"},
		{"kashgar swapped", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("39.%04d", 4710+i), fmt.Sprintf("75.%04d", 9910+i)
		}), swapped, "holds latitudes in x"},

		// Non-zero fraction: 90% needed (116 is a whole number).
		{"fraction 90 of 100", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 10 {
				x = "116"
			}
			return x, y
		}), read, ""},
		{"fraction 89 of 100", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 11 {
				x = "116"
			}
			return x, y
		}), planar, "only 89 of 100 sampled values in x have a fraction"},
		{"printf %f pixels", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%d.000000", 80+i%50), fmt.Sprintf("%d.000000", 20+i%30)
		}), planar, "only 0 of 100 sampled values in x have a fraction"},

		// Fraction digits: 2 on average needed.
		{"decimals 2.00", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("116.%02d", 11+i%80), fmt.Sprintf("39.%02d", 11+i%80)
		}), read, ""},
		{"decimals 1.99", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			x := fmt.Sprintf("116.%02d", 11+i%80)
			if i == 0 {
				x = "116.4"
			}
			return x, fmt.Sprintf("39.%02d", 11+i%80)
		}), planar, "values in x have 1.99 decimals on average, fewer than 2"},
		{"one-decimal pixels in the box", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%d.5", 80+i%50), fmt.Sprintf("%d.5", 20+i%30)
		}), planar, "1.00 decimals on average"},

		// Range: at most 10% of a column beyond ±180.
		{"beyond 180: 10 of 100", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 10 {
				x = "200.123456"
			}
			return x, y
		}), read, ""},
		{"beyond 180: 11 of 100", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			x, y := bj(i)
			if i < 11 {
				x = "200.123456"
			}
			return x, y
		}), planar, "11 of 100 sampled values in x are beyond ±180"},

		// Place: at least half of the sampled rows in mainland China.
		{"half in mainland", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			if i < 50 {
				return bj(i)
			}
			return fmt.Sprintf("2.%04d", 3522+i), fmt.Sprintf("48.%04d", 8566+i)
		}), read, ""},
		{"49 of 100 in mainland", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			if i < 49 {
				return bj(i)
			}
			return fmt.Sprintf("2.%04d", 3522+i), fmt.Sprintf("48.%04d", 8566+i)
		}), possible, "(49 and 0 of 100)"},
		{"paris degrees", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("2.%04d", 3522+i), fmt.Sprintf("48.%04d", 8566+i)
		}), possible, "possible coordinates in columns x,y not used"},

		// Pixels and metres.
		{"pixel boxes within 180", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprint(i % 170), fmt.Sprint(i % 89)
		}), planar, "whole numbers"},
		{"pixels in the mainland box", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprint(80 + i%50), fmt.Sprint(20 + i%30)
		}), planar, "whole numbers"},
		{"ccpd-sized pixels", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprint(154 + 5*i), fmt.Sprint(383 + 7*i)
		}), planar, "beyond ±180"},
		{"sensor offsets in metres", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.3f", float64(i)*0.731-30), fmt.Sprintf("%.3f", float64(i%20)*0.417-4)
		}), possible, "planar positions (metres)"},

		// Projected metres: 90% of each column 10,000 or more.
		{"utm 50N", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.2f", 448000+float64(i)*13.1), fmt.Sprintf("%.2f", 4419000+float64(i)*7.3)
		}), projected, "projected coordinate system (100 of 100 and 100 of 100"},
		{"cgcs2000 gauss-kruger with zone", []string{"id", "X", "Y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.3f", 39500000+float64(i)*11.7), fmt.Sprintf("%.3f", 4420000+float64(i)*5.9)
		}), projected, "projected"},
		{"web mercator", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return fmt.Sprintf("%.1f", 12957000+float64(i)*9), fmt.Sprintf("%.1f", 4852000+float64(i)*3)
		}), projected, "projected"},
		{"projected at 10000", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			if i < 10 {
				return "1.5", "2.5"
			}
			return "10000", "10000.0"
		}), projected, "90 of 100 and 90 of 100"},
		{"projected 89 of 100", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			if i < 11 {
				return "1.5", "2.5"
			}
			return "10000", "10000.0"
		}), planar, "89 of 100 sampled values in x are beyond ±180"},
		{"just below 10000", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) {
			return "9999.99", "20000"
		}), planar, "beyond ±180"},

		// A lone x (no y) is no pair, but degree-like values beside it are
		// still reported as possible coordinates.
		{"lone x beside a latitude", []string{"id", "a", "x"}, xyRows(100, func(i int) (string, string) { x, y := bj(i); return y, x }),
			possible, "possible coordinates in columns a,x not used"},

		// Not numbers: a column named x may hold anything.
		{"text", []string{"id", "x", "y"}, xyRows(100, func(i int) (string, string) { return "left", "top" }), silent, ""},
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
			case strings.Contains(notes, "possible coordinates in columns"):
				got = possible
			}
			if got != c.want {
				t.Fatalf("got %s, want %s; kinds %v why %q notes %q", got, c.want, sc.kinds, sc.why, sc.notes)
			}
			// One note at most, and only one per pair: possibleCoordinates
			// must not report the columns again.
			wantNotes := 1
			if c.want == read || c.want == silent {
				wantNotes = 0
			}
			if len(sc.notes) != wantNotes || (c.text != "" && !strings.Contains(notes, c.text)) {
				t.Fatalf("notes %q, want %d holding %q", sc.notes, wantNotes, c.text)
			}
			if got == read || got == swapped {
				if !strings.Contains(sc.why[1], "degree-like values") {
					t.Fatalf("why %q", sc.why)
				}
			} else if sc.kinds[1] == kLat || sc.kinds[1] == kLon || sc.kinds[2] == kLat || sc.kinds[2] == kLon {
				t.Fatalf("kinds %v", sc.kinds)
			}
		})
	}
}

// In a scan: an annotation export with pixel boxes holds no coordinates (the
// transfer is not blocked for geographic data on its account), and says why;
// the same file with degrees in x and y does; projected metres are reported.
func TestScan_PlanarXYFacts(t *testing.T) {
	pixels := "filename,x,y,w,h,plate\n" + rowsOf(300, func(i int) string {
		return fmt.Sprintf("0%03d-90_85-%d&%d_%d&%d.jpg,%d,%d,%d,%d,皖A%05d", i, i%170, i%89, i%170+40, i%89+12, i%170, i%89, 40, 12, 10000+i)
	})
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "ccpd_boxes.csv", pixels))
	f := r.Files[0]
	if r.Facts.ContainsCoordinates || r.Geo.Points != 0 || r.Geo.Invalid != 0 || f.CRS != "none" {
		t.Fatalf("pixels read as positions: geo %+v facts %+v columns %+v", r.Geo, r.Facts, f.Columns)
	}
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Text, "columns x,y look like planar positions") || f.Status != StatusScanned {
		t.Fatalf("problems %+v status %s", f.Problems, f.Status)
	}
	if r.Detectors.Plate.Distinct != 300 {
		t.Fatalf("plates %+v", r.Detectors.Plate)
	}

	degrees := "vin,x,y,time\n" + rowsOf(300, func(i int) string {
		return fmt.Sprintf("LRW3E7EB6RC101571,116.%06d,39.%06d,%d", 397000+i*37, 908000+i*29, 1714521600+i)
	})
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "xy.csv", degrees))
	if !r.Facts.ContainsCoordinates || r.Geo.Points != 300 || r.Geo.InChina != 300 || *r.Facts.VehiclesInChina != 1 || len(r.Files[0].Problems) != 0 {
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
	if r.Facts.ContainsCoordinates || len(r.Files[0].Problems) != 1 || !strings.Contains(r.Files[0].Problems[0].Text, "projected coordinate system") {
		t.Fatalf("utm: facts %+v problems %+v", r.Facts, r.Files[0].Problems)
	}
	// No long number of a coordinate field is echoed.
	if strings.Contains(r.Files[0].Problems[0].Text, "448") || strings.Contains(r.Files[0].Problems[0].Text, "4419") {
		t.Fatalf("values echoed: %q", r.Files[0].Problems[0].Text)
	}
}

// Columns x and y empty throughout the sample are not taken on their name
// (they might be pixels); degrees turning up later are reported where they
// start, not dropped silently.
func TestScan_PlanarXYEmptyInTheSample(t *testing.T) {
	data := "id,x,y\n" + rowsOf(5100, func(i int) string {
		if i < 5000 {
			return fmt.Sprintf("%d,,", i)
		}
		return fmt.Sprintf("%d,116.%06d,39.%06d", i, 397000+i, 908000+i)
	})
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "late_xy.csv", data))
	f := r.Files[0]
	if r.Geo.Points != 0 || len(f.Problems) != 1 || f.Problems[0].Line != 5002 || !strings.Contains(f.Problems[0].Text, "possible coordinates in columns x,y") {
		t.Fatalf("geo %+v problems %+v", r.Geo, f.Problems)
	}
}
