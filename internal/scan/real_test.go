package scan

import (
	"context"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/scan/shareddata"
)

var testGeo *Geo

func defaultGeo(t testing.TB) *Geo {
	t.Helper()
	if testGeo == nil {
		g, err := LoadGeo("")
		if err != nil {
			t.Fatalf("default boundaries: %v", err)
		}
		testGeo = g
	}
	return testGeo
}

func scanPaths(t testing.TB, opt Options, paths ...string) *Report {
	t.Helper()
	files, err := ExpandPaths(paths)
	if err != nil {
		t.Fatal(err)
	}
	s := NewScanner(opt)
	if err := s.ScanFiles(context.Background(), files); err != nil {
		t.Fatal(err)
	}
	return s.Report()
}

func chinaTime(sec int64) string { return time.Unix(sec, 0).In(model.ChinaTZ).Format(time.RFC3339) }

// isTrue and isFalse: contains_coordinates measured true, measured false
// (nil is not measured).
func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func has(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// The Jinan charger list in its three forms. Counted independently with
// Python over the GeoJSON: 992 stations; 41 at (0,0) and 1 at (10.99,10.99);
// 4 with longitude and latitude swapped; 3 with a number in the longitude
// field (2 rows carry the mobile 15610383000, 1 the hotline 4001661200);
// 943 plausible, of which 941 lie in the Jinan box.
func TestReal_JinanChargers(t *testing.T) {
	for _, c := range []struct{ rel, enc, format string }{
		{"charging/jinan_charging_stations.geojson", "utf-8", "geojson"},
		{"derived/jinan_charging_stations_gbk_crlf.csv", "gb18030", "csv"},
		{"derived/jinan_charging_stations_utf8bom_crlf.csv", "utf-8-bom", "csv"},
	} {
		t.Run(c.format+"-"+c.enc, func(t *testing.T) {
			r := scanPaths(t, Options{Geo: defaultGeo(t)}, shareddata.Path(t, c.rel))
			f := r.Files[0]
			if f.Records != 992 || f.Encoding != c.enc || f.Format != c.format || f.Status != StatusScanned {
				t.Fatalf("file %+v", f)
			}
			g := r.Geo
			if g.Points != 944 || g.Invalid != 48 || g.Swapped != 4 || g.InChina != 943 || g.OutsideChina != 1 {
				t.Fatalf("geo %+v", g)
			}
			if r.Detectors.Phone.Count != 2 || r.Detectors.Phone.Distinct != 1 || r.Detectors.Phone.Samples[0] != "156******00" {
				t.Fatalf("phone %+v", r.Detectors.Phone)
			}
			if !has(g.Provinces, "37") || !has(g.Prefectures, "370100") || !g.PrefecturesApproximate {
				t.Fatalf("places %v %v", g.Provinces, g.Prefectures)
			}
			// Stations are places, not people: no individuals, no vehicles.
			if *r.Facts.Individuals != 0 || r.Facts.VehiclesInChina != nil || !isTrue(r.Facts.ContainsCoordinates) {
				t.Fatalf("facts %+v", r.Facts)
			}
			if f.ProblemCount != 48 || len(f.Problems) != 20 {
				t.Fatalf("problems %d listed %d", f.ProblemCount, len(f.Problems))
			}
			if c.format == "csv" && (f.Columns[2].Kind != "lon" || f.Columns[3].Kind != "lat") {
				t.Fatalf("columns %+v", f.Columns)
			}
		})
	}
}

// DiDi Chengdu, GCJ-02 by file name, no header: 8,245 rows, 491 drivers
// (awk: distinct column 1), epochs 1477955400..1477957459.
func TestReal_DiDiChengdu(t *testing.T) {
	r := scanPaths(t, Options{Geo: defaultGeo(t)}, shareddata.Path(t, "trajectories/didi_chengdu_gps_20161101_0710_gcj02.csv"))
	f := r.Files[0]
	if f.Records != 8245 || f.CRS != "gcj02" || f.CRSSource != "file" || f.Header {
		t.Fatalf("file %+v", f)
	}
	if r.Subjects.Vehicles.Distinct != 491 || *r.Facts.VehiclesInChina != 491 || r.Subjects.Vehicles.Key != "column 1" {
		t.Fatalf("subjects %+v facts %+v", r.Subjects, r.Facts)
	}
	if *r.Time.First != chinaTime(1477955400) || *r.Time.Last != chinaTime(1477957459) || r.Time.AssumedZone != "" {
		t.Fatalf("time %+v", r.Time)
	}
	if r.Geo.Points != 8245 || r.Geo.InChina != 8245 || len(r.Geo.Prefectures) != 1 || r.Geo.Prefectures[0] != "510100" {
		t.Fatalf("geo %+v", r.Geo)
	}
	if *r.Facts.Individuals != 491 || *r.Facts.SensitiveIndividuals != 491 {
		t.Fatalf("facts %+v", r.Facts)
	}
}

// Xiamen: latitude before longitude, no header; one vehicle, 1,824 rows,
// one Beijing-time day (epochs 1559750405..1559836792 by awk).
func TestReal_XiamenLatFirst(t *testing.T) {
	r := scanPaths(t, Options{Geo: defaultGeo(t)}, shareddata.Path(t, "trajectories/xiamen_vehicle_0a1c60b6_latlon.txt"))
	f := r.Files[0]
	if f.Columns[2].Kind != "lat" || f.Columns[3].Kind != "lon" || f.Columns[6].Kind != "time" {
		t.Fatalf("columns %+v", f.Columns)
	}
	// Thirteen points on Xiamen's bridges and shore fall off the 1 km OSM
	// land outline: in coastal waters, still in mainland China.
	if r.Geo.Points != 1824 || r.Geo.InChina != 1824 || r.Geo.OutsideChina != 0 || r.Geo.Coastal != 13 ||
		!has(r.Geo.Prefectures, "350200") || r.Subjects.Vehicles.Distinct != 1 || *r.Facts.VehiclesInChina != 1 {
		t.Fatalf("geo %+v subjects %+v", r.Geo, r.Subjects)
	}
	if *r.Time.First != chinaTime(1559750405) || *r.Time.Last != chinaTime(1559836792) {
		t.Fatalf("time %+v", r.Time)
	}
}

// GeoLife: the semicolon CSV (one user, ISO times with Z) and the four raw
// PLT files of two user folders (4,241 points, times in GMT).
func TestReal_GeoLife(t *testing.T) {
	r := scanPaths(t, Options{Geo: defaultGeo(t)}, shareddata.Path(t, "trajectories/geolife_trajectory_trackintel.csv"))
	if r.Files[0].Delimiter != ";" || r.Geo.Points != 2293 || *r.Facts.Individuals != 1 || r.Subjects.Individuals.Key != "user_id" {
		t.Fatalf("csv: %+v %+v", r.Files[0], r.Subjects)
	}
	if *r.Time.First != "2008-10-26T13:59:34+08:00" || *r.Time.Last != "2008-10-26T21:22:30+08:00" || r.Time.AssumedZone != "" {
		t.Fatalf("time %+v", r.Time)
	}
	if !has(r.Geo.Prefectures, "110100") || r.Facts.VehiclesInChina != nil {
		t.Fatalf("geo %+v facts %+v", r.Geo, r.Facts)
	}
	r = scanPaths(t, Options{Geo: defaultGeo(t)}, shareddata.Path(t, "trajectories/geolife_raw_plt_trackintel"))
	if len(r.Files) != 4 || r.Geo.Points != 4241 || *r.Facts.Individuals != 2 || *r.Facts.SensitiveIndividuals != 2 {
		t.Fatalf("plt: files %d points %d facts %+v", len(r.Files), r.Geo.Points, r.Facts)
	}
	if *r.Time.First != "2008-10-23T10:53:04+08:00" || *r.Time.Last != "2008-10-24T14:35:50+08:00" || r.Time.AssumedZone != "" {
		t.Fatalf("plt time %+v", r.Time)
	}
	for _, f := range r.Files {
		if f.Format != "plt" || f.CRS != "wgs84" || f.CRSSource != "file" {
			t.Fatalf("plt file %+v", f)
		}
	}
}

// Negative controls: the mislabeled "T-Drive" file has no point in China;
// the OBD log has no identifier, position or timestamp at all.
func TestReal_NegativeControls(t *testing.T) {
	r := scanPaths(t, Options{Geo: defaultGeo(t)}, shareddata.Path(t, "trajectories/orlando_mislabeled_tdrive_cost_40x.csv"))
	if r.Files[0].Records != 10561 || r.Geo.Points != 10561 || r.Geo.InChina != 0 || r.Geo.OutsideChina != 10561 || len(r.Geo.Provinces) != 0 {
		t.Fatalf("orlando geo %+v", r.Geo)
	}
	if r.Time.AssumedZone != "+08:00" {
		t.Fatal("zone-less times must be reported as read in China time")
	}
	r = scanPaths(t, Options{Geo: defaultGeo(t)}, shareddata.Path(t, "obd_can/carobd_toyota_etios_drive1.csv"))
	d := r.Detectors
	if r.Files[0].Records != 2709 || r.Files[0].Status != StatusScanned || d.VIN.Count+d.Plate.Count+d.CNID.Count+d.Phone.Count+d.DeviceID.Count != 0 {
		t.Fatalf("obd %+v %+v", r.Files[0], d)
	}
	if r.Geo.Points != 0 || r.Time.Count != 0 || !isFalse(r.Facts.ContainsCoordinates) || *r.Facts.Individuals != 0 || r.Facts.TimeSpanDays != nil {
		t.Fatalf("obd facts %+v geo %+v time %+v", r.Facts, r.Geo, r.Time)
	}
	for _, c := range r.Files[0].Columns {
		if c.Kind != "number" && c.Kind != "text" {
			t.Fatalf("obd column %+v", c)
		}
	}
}

// VIN lists (expected figures from an independent Python check-digit count):
// 8,239 US VINs, one unverified (Italian WMI); 280 by-make VINs with 276
// distinct, one unverified; the 35 vectors: 16 valid, 6 unverified, 13
// invalid (Chinese WMI with a failing check digit), 22 distinct counted.
func TestReal_VINLists(t *testing.T) {
	cases := []struct {
		rel                              string
		count, distinct, unverified, bad int64
	}{
		{"vins/reliability_ranker_vins.csv", 8239, 8239, 1, 0},
		{"vins/vin_ocr_vins_by_make.csv", 280, 276, 1, 0},
		{"vins/libvin_test_vins.csv", 84, 84, 0, 0},
		{"vins/vin_test_vectors.csv", 22, 22, 6, 13},
	}
	for _, c := range cases {
		r := scanPaths(t, Options{}, shareddata.Path(t, c.rel))
		v := r.Detectors.VIN
		if v.Count != c.count || int64(v.Distinct) != c.distinct || v.Unverified != c.unverified || v.Invalid != c.bad || !v.DistinctExact {
			t.Errorf("%s: %+v", c.rel, v)
		}
		for _, s := range v.Samples {
			if len(s) != 17 || s[7:] != "**********" {
				t.Errorf("%s: sample %q not masked", c.rel, s)
			}
		}
	}
}

// CCPD: 91,979 plates, 66,873 distinct (sort -u).
func TestReal_CCPDPlates(t *testing.T) {
	r := scanPaths(t, Options{}, shareddata.Path(t, "plates/ccpd2019_plates.csv"))
	p := r.Detectors.Plate
	if p.Count != 91979 || p.Distinct != 66873 || p.Invalid != 0 || r.Subjects.Vehicles.Distinct != 66873 {
		t.Fatalf("plates %+v subjects %+v", p, r.Subjects)
	}
}

// Measure over real files maps to facts with scan sources and evidence,
// and never sets region_level.
func TestMeasure_RealTrajectories(t *testing.T) {
	dir := shareddata.Path(t, "trajectories")
	fs, rep, err := Measure(context.Background(), dir, []string{"didi_*.csv", "shenzhen_*.csv"}, Options{Geo: defaultGeo(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 2 {
		t.Fatalf("files %d", len(rep.Files))
	}
	v := fs[FactVehiclesInChina]
	if v.Value != int64(492) || v.Source != "scan:didi_*.csv,shenzhen_*.csv" || v.Evidence == "" {
		t.Fatalf("vehicles_in_china %+v", v)
	}
	if fs[FactContainsCoordinates].Value != true || fs[FactTimeSpanDays].Value == nil {
		t.Fatalf("facts %+v", fs)
	}
	if _, ok := fs["region_level"]; ok {
		t.Fatal("region_level must never be measured")
	}
	if fs[FactIndividuals].Provenance != model.ProvInferred {
		t.Fatalf("individuals from vehicle keys must be marked inferred: %+v", fs[FactIndividuals])
	}
	if _, _, err := Measure(context.Background(), dir, []string{"nothing-*.csv"}, Options{}); err == nil {
		t.Fatal("a glob matching nothing must be an error")
	}
}
