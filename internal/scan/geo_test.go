package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/scan/shareddata"
)

// userGeo is a --boundaries file covering one square of Chengdu only.
func userGeo(t testing.TB) *Geo {
	t.Helper()
	b := filepath.Join(t.TempDir(), "chengdu.geojson")
	if err := os.WriteFile(b, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"adcode":"510100","level":"city"},
"geometry":{"type":"Polygon","coordinates":[[[103.9,30.5],[104.3,30.5],[104.3,30.8],[103.9,30.8],[103.9,30.5]]]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := LoadGeo(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Chengdu, Beijing, the sea between Xiamen island and Haicang (off the 1 km
// land outline), Hong Kong, Orlando.
const coastalCSV = "vehicle_id,lat,lon\n" +
	"veh-0a1c60b6,30.6570,104.0657\n" +
	"veh-1b2d71c7,39.9087,116.3974\n" +
	"veh-2c3e82d8,24.4432,118.0723\n" +
	"veh-2c3e82d8,22.3193,114.1694\n" +
	"veh-3d4f93e9,28.5383,-81.3792\n"

// Boundaries covering part of China place points there and nowhere else;
// in or out of mainland China still follows the built-in outline, so a
// point in China outside the file is in China, unplaced, and counted so.
func TestScan_PartialBoundariesKeepInOut(t *testing.T) {
	p := writeTemp(t, "pts.csv", coastalCSV)
	for _, c := range []struct {
		name                string
		geo                 *Geo
		unplaced            int64
		provinces           []string
		exact               bool
		notesHave, notesNot string
	}{
		{"built-in", defaultGeo(t), 0, []string{"11", "35", "51"}, false, "coastal waters", "no feature"},
		{"Chengdu only", userGeo(t), 2, []string{"51"}, true, "2 point(s) in mainland China fall in no feature", "Prefectures are approximate"},
	} {
		r := scanPaths(t, Options{Geo: c.geo}, p)
		g := r.Geo
		if g.Points != 5 || g.InChina != 3 || g.OutsideChina != 2 || g.HKMOTW != 1 || g.Coastal != 1 || g.Unplaced != c.unplaced {
			t.Errorf("%s: geo %+v", c.name, g)
		}
		if strings.Join(g.Provinces, " ") != strings.Join(c.provinces, " ") || g.PrefecturesApproximate == c.exact {
			t.Errorf("%s: provinces %v approximate %v", c.name, g.Provinces, g.PrefecturesApproximate)
		}
		if *r.Facts.VehiclesInChina != 3 {
			t.Errorf("%s: vehicles_in_china %d, want 3 (Chengdu, Beijing, Xiamen)", c.name, *r.Facts.VehiclesInChina)
		}
		notes := strings.Join(r.Notes, " ")
		if !strings.Contains(notes, c.notesHave) || strings.Contains(notes, c.notesNot) || !strings.Contains(notes, "OpenStreetMap contributors (ODbL") {
			t.Errorf("%s: notes %s", c.name, notes)
		}
	}
}

// The Xiamen vehicle never leaves mainland China: its 13 (read as WGS-84)
// or 43 (read as GCJ-02) points on bridges and the harbour lie off the 1 km
// land outline, in coastal waters.
func TestReal_XiamenNoneOutside(t *testing.T) {
	path := shareddata.Path(t, "trajectories/xiamen_vehicle_0a1c60b6_latlon.txt")
	for _, crs := range []string{"", "gcj02"} {
		r := scanPaths(t, Options{Geo: defaultGeo(t), CRS: crs}, path)
		if g := r.Geo; g.Points != 1824 || g.InChina != 1824 || g.OutsideChina != 0 || g.Coastal == 0 || g.Coastal > 60 {
			t.Errorf("crs %q: geo %+v", crs, g)
		}
	}
}
