package scan

import (
	"fmt"
	"strings"
	"testing"
)

// Coordinate columns whose values are all out of range, but not (0,0) or
// empty placeholders, leave contains_coordinates undetermined (possible
// coordinates in another unit or format), never false; integer degrees
// scaled by 1e6 (GB/T 32960) or 1e7 (E7) in coordinate-named columns are
// read as such when a sampled row then falls in mainland China. The
// reviewer's probe files, generated.
func TestScan_CoordinatesInOtherUnits(t *testing.T) {
	g := defaultGeo(t)
	bjLat := func(i int) float64 { return 39.85 + float64(i%89)*0.0015 }
	bjLon := func(i int) float64 { return 116.30 + float64(i%97)*0.002 }
	const vin = "LSVAU2180N2183294"
	cases := []struct {
		name, data string
		want       string // "true", "false" or "undetermined"
		points     int64
		inChina    int64
		text       string // in the file's problems
	}{
		{"gbt32960.csv", "vin,longitude,latitude\n" + rowsOf(600, func(i int) string {
			return fmt.Sprintf("%s,%d,%d", vin, int(bjLon(i)*1e6), int(bjLat(i)*1e6))
		}), "true", 600, 600, "values read as millionths of a degree (GB/T 32960)"},
		{"e7.csv", "lat,lon\n" + rowsOf(600, func(i int) string {
			return fmt.Sprintf("%d,%d", int(bjLat(i)*1e7), int(bjLon(i)*1e7))
		}), "true", 600, 600, "ten-millionths of a degree (E7)"},
		// Scaled integers with 0,0 no-fix rows: the zeros are left out.
		{"gbt_zeros.csv", "vin,lon,lat\n" + rowsOf(600, func(i int) string {
			if i%4 == 0 {
				return vin + ",0,0"
			}
			return fmt.Sprintf("%s,%d,%d", vin, int(bjLon(i)*1e6), int(bjLat(i)*1e6))
		}), "true", 450, 450, "GB/T 32960"},
		// Millionths of a degree in Germany: not read (no sampled row in
		// the mainland), out of range, so undetermined.
		{"gbt_munich.csv", "lat,lon\n" + rowsOf(300, func(i int) string {
			return fmt.Sprintf("%d,%d", 48080000+i*37, 11500000+i*41)
		}), "undetermined", 0, 0, "looks like millionths of a degree (GB/T 32960)"},
		{"nmea_latlon.csv", "ts,lat,lon\n" + rowsOf(600, func(i int) string {
			return fmt.Sprintf("%d,39%02d.%03d1,116%02d.%03d7", 1767196800+i, 50+i%9, i%1000, 10+i%40, (i*7)%1000)
		}), "undetermined", 0, 0, "NMEA degrees and minutes (ddmm.mmmm)"},
		{"gbt.jsonl", rowsOf(600, func(i int) string {
			return fmt.Sprintf(`{"lng": %d, "lat": %d}`, int(bjLon(i)*1e6), int(bjLat(i)*1e6))
		}), "undetermined", 0, 0, "looks like millionths of a degree (GB/T 32960)"},
		{"merc.geojson", `{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}, "features": [` +
			strings.TrimSuffix(rowsOf(200, func(i int) string {
				return fmt.Sprintf(`{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [%.4f, %.4f]}},`, 12951712.1+float64(i)*31, 4839911.3+float64(i)*17)
			}), ",\n") + "]}", "undetermined", 0, 0, "metres in a projected coordinate system"},
		// Placeholders only: nothing coordinate-like, false.
		{"zeros.csv", "id,lat,lon\n" + rowsOf(100, func(i int) string { return fmt.Sprintf("%d,0,0", i) }), "false", 0, 0, "placeholder"},
		// One valid coordinate: true, out-of-range values only counted invalid.
		{"mixed.csv", "id,lat,lon\n" + rowsOf(100, func(i int) string {
			if i == 50 {
				return "50,39.9,116.4"
			}
			return fmt.Sprintf("%d,%d.5,%d.5", i, 3000+i, 11000+i)
		}), "true", 1, 1, "out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scanPaths(t, Options{Geo: g}, writeTemp(t, c.name, c.data))
			f := r.Files[0]
			got := "undetermined"
			if r.Facts.ContainsCoordinates != nil {
				got = fmt.Sprint(*r.Facts.ContainsCoordinates)
			}
			if got != c.want || r.Geo.Points != c.points || r.Geo.InChina != c.inChina ||
				!strings.Contains(fmt.Sprint(f.Problems), c.text) || (c.want == "undetermined") != (f.PossibleCoordinates > 0) {
				t.Fatalf("contains_coordinates %s, geo %+v, possible %d, problems %+v", got, r.Geo, f.PossibleCoordinates, f.Problems)
			}
		})
	}
}

// scaledDegrees: at, below and above 90% whole numbers; 1e6 against 1e7;
// a row in the mainland needed; the columns' order told by the mainland.
func TestScaledDegrees(t *testing.T) {
	rows := func(n, whole int, lat, lon func(i int) float64) [][][]byte {
		var out [][][]byte
		for i := 0; i < n; i++ {
			a, b := fmt.Sprintf("%d", int64(lat(i))), fmt.Sprintf("%d", int64(lon(i)))
			if i >= whole {
				a, b = fmt.Sprintf("%.6f", lat(i)/1e6), fmt.Sprintf("%.6f", lon(i)/1e6)
			}
			out = append(out, [][]byte{[]byte(a), []byte(b)})
		}
		return out
	}
	lat6 := func(i int) float64 { return 39908823 + float64(i*31) }
	lon6 := func(i int) float64 { return 116397128 + float64(i*37) }
	cases := []struct {
		name     string
		sample   [][][]byte
		lat, lon int
		div      float64
		swap, ok bool
	}{
		{"1e6 all whole", rows(100, 100, lat6, lon6), 0, 1, 1e6, false, true},
		{"1e6 at 90% whole", rows(100, 90, lat6, lon6), 0, 1, 1e6, false, true},
		{"1e6 below 90% whole", rows(100, 89, lat6, lon6), 0, 1, 0, false, false},
		{"1e7", rows(100, 100, func(i int) float64 { return lat6(i) * 10 }, func(i int) float64 { return lon6(i) * 10 }), 0, 1, 1e7, false, true},
		{"1e6 swapped header", rows(100, 100, lat6, lon6), 1, 0, 1e6, true, true},
		{"1e6 outside the mainland", rows(100, 100, func(i int) float64 { return 48080000 + float64(i) }, func(i int) float64 { return 11500000 + float64(i) }), 0, 1, 0, false, false},
		{"degrees", rows(100, 0, lat6, lon6), 0, 1, 0, false, false},
		{"small integers", rows(100, 100, func(i int) float64 { return 39 }, func(i int) float64 { return 116 }), 0, 1, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			div, _, swap, ok := scaledDegrees(c.sample, c.lat, c.lon, mainlandBox)
			if div != c.div || swap != c.swap || ok != c.ok {
				t.Fatalf("got %v %v %v", div, swap, ok)
			}
		})
	}
}

func TestLikelyFormat(t *testing.T) {
	for _, c := range []struct {
		lat, lon float64
		want     string
	}{
		{39908823, 116397128, "GB/T 32960"},
		{399088230, 1163971280, "E7"},
		{3954.5123, 11623.8, "NMEA"},
		{4839911.3, 12951712.1, "projected"},
		{116.4, 39.9, "swapped"},
		{3970.5, 11623.8, "projected"}, // 70 minutes: not NMEA
		{95, 200, ""},
	} {
		if got := likelyFormat(c.lat, c.lon); c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("likelyFormat(%v, %v) = %q, want %q", c.lat, c.lon, got, c.want)
		}
	}
}

// x/y within ±180 with fractions, a share of the rows swapped, or with a
// repeated no-fix sentinel: read, the rows invalid in the order read
// counted invalid (the reviewer's xy_swap20, xy_halfswap, xy_sentinel).
func TestScan_XYSwappedRowsAndSentinels(t *testing.T) {
	g := defaultGeo(t)
	bj := func(i int) (string, string) {
		return fmt.Sprintf("%.6f", 116.30+float64(i%97)*0.002), fmt.Sprintf("%.6f", 39.85+float64(i%89)*0.0015)
	}
	file := func(f func(i int) (string, string)) string {
		return "id,x,y\n" + rowsOf(600, func(i int) string { x, y := f(i); return fmt.Sprintf("%d,%s,%s", i, x, y) })
	}
	cases := []struct {
		name            string
		data            string
		points, invalid int64
	}{
		{"xy_swap20.csv", file(func(i int) (string, string) {
			x, y := bj(i)
			if i%5 == 0 {
				return y, x
			}
			return x, y
		}), 480, 120},
		{"xy_halfswap.csv", file(func(i int) (string, string) {
			x, y := bj(i)
			if i%2 == 0 {
				return y, x
			}
			return x, y
		}), 300, 300},
		{"xy_sentinel.csv", file(func(i int) (string, string) {
			if i%7 == 0 {
				return "-999", "-999"
			}
			return bj(i)
		}), 514, 86},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scanPaths(t, Options{Geo: g}, writeTemp(t, c.name, c.data))
			if !isTrue(r.Facts.ContainsCoordinates) || r.Geo.Points != c.points || r.Geo.InChina != c.points || r.Geo.Invalid != c.invalid {
				t.Fatalf("facts %+v geo %+v problems %+v", r.Facts, r.Geo, r.Files[0].Problems)
			}
		})
	}
}
