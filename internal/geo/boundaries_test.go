package geo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/xerr"
)

func loadTestdata(t *testing.T, name string, crs CRS) *Locator {
	t.Helper()
	l, err := LoadBoundariesCRS(filepath.Join("testdata", name), crs)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return l
}

func cn(pref string) Location {
	return Location{InChina: true, Region: "CN", Province: pref[:2], Prefecture: pref}
}

func TestLoadBoundariesPrefecturePolygons(t *testing.T) {
	l := loadTestdata(t, "prefectures.geojson", WGS84)
	if l.PrefectureApproximate() {
		t.Error("prefecture polygons must not be reported approximate")
	}
	if !strings.Contains(l.Description(), "1 province, 4 prefecture/county features") ||
		!strings.Contains(l.Description(), "in or out of mainland China from the built-in outlines") {
		t.Errorf("description %q", l.Description())
	}
	if n := l.Notes(); len(n) != 1 || !strings.Contains(n[0], "1 Hong Kong, Macao or Taiwan feature(s) not used") {
		t.Errorf("notes %q", n)
	}
	cases := []struct {
		name     string
		lon, lat float64
		want     Location
	}{
		{"in the Chengdu square", 104.0, 30.6, cn("510100")},
		{"code given as a number", 104.2, 31.3, cn("510700")},
		{"in Mianyang's hole: Sichuan, no prefecture", 104.5, 31.6, Location{InChina: true, Region: "CN", Province: "51"}},
		{"Sichuan outside both squares", 102.5, 29.5, Location{InChina: true, Region: "CN", Province: "51"}},
		{"county code reported as its municipality", 116.5, 39.95, cn("110100")},
		{"second part of the multipolygon", 116.65, 39.95, cn("110100")},
		{"on the edge the two parts share", 116.6, 39.95, cn("110100")},
		{"directly administered county keeps its code", 113.4, 30.3, cn("429004")},
		// In or out of mainland China follows the built-in outlines, not
		// the file's Hong Kong square.
		{"Kowloon", 114.1694, 22.3193, Location{Region: "HK"}},
		{"Shekou (Shenzhen) inside the file's Hong Kong square", 113.93, 22.495, Location{InChina: true, Region: "CN"}},
		{"mainland but outside every feature: unplaced", 110.0, 35.0, Location{InChina: true, Region: "CN"}},
		{"far away", -81.4, 28.5, Location{}},
	}
	for _, c := range cases {
		if got := l.Locate(c.lon, c.lat); got != c.want {
			t.Errorf("%s: Locate(%v, %v) = %+v, want %+v", c.name, c.lon, c.lat, got, c.want)
		}
	}
}

// Squares straddling level-1 and subcell edges, checked against the exact
// test at many points, including on and next to their edges.
func TestUserGridMatchesExact(t *testing.T) {
	for _, name := range []string{"prefectures.geojson", "provinces.geojson"} {
		l := loadTestdata(t, name, WGS84)
		l.fineAfter = 1
		rng := rand.New(rand.NewPCG(11, 12))
		for range 50000 {
			lon, lat := 101+rng.Float64()*21, 21+rng.Float64()*21
			if rng.IntN(4) == 0 { // snap to the 0.1-degree lines the squares use
				lon = float64(int(lon*10)) / 10
			}
			if got, want := l.Locate(lon, lat), l.locateExact(lon, lat); got != want {
				t.Fatalf("%s: Locate(%v, %v) = %+v, exact %+v", name, lon, lat, got, want)
			}
		}
	}
}

func TestLoadBoundariesProvincesOnly(t *testing.T) {
	l := loadTestdata(t, "provinces.geojson", WGS84)
	if !l.PrefectureApproximate() {
		t.Error("provinces-only boundaries use the nearest-place method and must say so")
	}
	cases := []struct {
		lon, lat float64
		want     Location
	}{
		{104.0657, 30.6570, cn("510100")}, // Chengdu centre, nearest place
		{116.3974, 39.9087, cn("110100")}, // municipality: one code
		{121.5654, 25.0330, Location{Region: "TW"}},
		{108.9398, 34.3416, Location{InChina: true, Region: "CN"}}, // Xi'an: in China, not covered by this file
	}
	for _, c := range cases {
		if got := l.Locate(c.lon, c.lat); got != c.want {
			t.Errorf("Locate(%v, %v) = %+v, want %+v", c.lon, c.lat, got, c.want)
		}
	}
}

// Boundaries digitised in GCJ-02 are converted once at load; Locate still
// takes WGS-84. A square whose GCJ-02 edge is at 104.0 has its WGS-84 edge
// a few hundred metres west, so a WGS-84 point just inside the GCJ edge
// value is actually outside.
func TestLoadBoundariesGCJ02(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gcj.geojson")
	sq := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"adcode":"510100"},
	"geometry":{"type":"Polygon","coordinates":[[[104.0,30.0],[105.0,30.0],[105.0,31.0],[104.0,31.0],[104.0,30.0]]]}}]}`
	if err := os.WriteFile(path, []byte(sq), 0o644); err != nil {
		t.Fatal(err)
	}
	wgs, err := LoadBoundaries(path)
	if err != nil {
		t.Fatal(err)
	}
	gcj, err := LoadBoundariesCRS(path, GCJ02)
	if err != nil {
		t.Fatal(err)
	}
	// The WGS-84 position whose GCJ-02 image is (104.001, 30.5): inside the
	// GCJ square, but with a WGS-84 longitude below 104.
	lon, lat := GCJ02ToWGS84(104.001, 30.5)
	if lon >= 104 {
		t.Fatalf("test assumption broken: GCJ02ToWGS84 gave lon %v", lon)
	}
	if got := gcj.Locate(lon, lat); got != cn("510100") {
		t.Errorf("GCJ-02 boundaries: Locate(%v, %v) = %+v, want 510100", lon, lat, got)
	}
	if got := wgs.Locate(lon, lat); got != (Location{InChina: true, Region: "CN"}) {
		t.Errorf("same file read as WGS-84: Locate(%v, %v) = %+v, want in China but unplaced", lon, lat, got)
	}
	if !strings.Contains(gcj.Description(), "gcj02") {
		t.Errorf("description does not name the CRS: %q", gcj.Description())
	}
}

func TestLoadBoundariesMissingFile(t *testing.T) {
	_, err := LoadBoundaries(filepath.Join(t.TempDir(), "nope.geojson"))
	if err == nil || xerr.ExitCode(err) != xerr.ExitBadInput || !strings.Contains(err.Error(), "nope.geojson") {
		t.Fatalf("err = %v (exit %d), want a bad-input error naming the file", err, xerr.ExitCode(err))
	}
}

func feat(props, geom string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":%s,"geometry":%s}`, props, geom)
}

func fc(feats ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(feats, ",\n") + "]}"
}

const okSquare = `{"type":"Polygon","coordinates":[[[104,30],[105,30],[105,31],[104,31],[104,30]]]}`

// Each bad file and the exact error a user sees: file, line, column, feature.
func TestReadBoundariesErrors(t *testing.T) {
	cases := []struct {
		name, data, want string
	}{
		{"truncated", `{"type":`, "bad.geojson:1:9: invalid JSON: unexpected end of input"},
		{"syntax", "{\"type\": \"FeatureCollection\",\n \"features\": [}", "bad.geojson:2:15: invalid JSON: invalid character '}' looking for beginning of value"},
		{"not an object", `[1,2]`, "bad.geojson:1:1: not a GeoJSON FeatureCollection: the file must be a JSON object"},
		{"wrong type", `{"type":"Feature","features":[]}`, `bad.geojson:1:2: GeoJSON type is "Feature"; want "FeatureCollection"`},
		{"no features", `{"type":"FeatureCollection"}`, `bad.geojson:1:1: missing "features" array`},
		{"no type and no features", `{"name":"x"}`, `bad.geojson:1:1: missing "features" array`},
		{"no type is tolerated", `{"features":[]}`, "bad.geojson:1:1: no mainland China feature: every code is empty or Taiwan (71), Hong Kong (81) or Macao (82)"},
		{"features not array", `{"type":"FeatureCollection","features":{}}`, `bad.geojson:1:29: "features" must be an array`},
		{"trailing data", fc() + ` {}`, "bad.geojson:1:44: unexpected data after the FeatureCollection"},
		{"empty", fc(), "bad.geojson:1:1: no mainland China feature: every code is empty or Taiwan (71), Hong Kong (81) or Macao (82)"},
		{"only Hong Kong", fc(feat(`{"adcode":"810000"}`, okSquare)), "bad.geojson:1:1: no mainland China feature: every code is empty or Taiwan (71), Hong Kong (81) or Macao (82)"},
		{"feature type", fc(`{"type":"Point","properties":{"adcode":"510100"},"geometry":` + okSquare + `}`),
			`bad.geojson:1:41: features[0] (adcode "510100"): type is "Point"; want "Feature"`},
		{"no code", fc(feat(`{"name":"Chengdu"}`, okSquare)),
			`bad.geojson:1:41: features[0] (name "Chengdu"): no GB/T 2260 code: add an "adcode" or "code" property`},
		{"null properties", fc(feat(`null`, okSquare)),
			`bad.geojson:1:41: features[0]: no GB/T 2260 code: add an "adcode" or "code" property`},
		{"short code", fc(feat(`{"adcode":"5101"}`, okSquare)),
			`bad.geojson:1:41: features[0] (adcode "5101"): adcode "5101" is not a 6-digit GB/T 2260 code`},
		{"float code", fc(feat(`{"adcode":510100.5}`, okSquare)),
			`bad.geojson:1:41: features[0] (adcode "510100.5"): adcode "510100.5" is not a 6-digit GB/T 2260 code`},
		{"code as bool", fc(feat(`{"adcode":true}`, okSquare)),
			`bad.geojson:1:41: features[0]: property "adcode" must be a string or a number`},
		{"only a DataV nine-dash feature", fc(feat(`{"adcode":"100000_JD","adchar":"JD"}`, okSquare)),
			`bad.geojson:1:1: no mainland China feature: every code is empty or Taiwan (71), Hong Kong (81) or Macao (82); 1 feature(s) skipped as not areas: features[0] (adcode "100000_JD"): no level and adcode "100000_JD" is not a 6-digit GB/T 2260 code`},
		{"suffixed code with an area level", fc(feat(`{"adcode":"100000_JD","level":"city"}`, okSquare)),
			`bad.geojson:1:41: features[0] (adcode "100000_JD"): adcode "100000_JD" is not a 6-digit GB/T 2260 code`},
		{"geometry type that GeoJSON lacks", fc(feat(`{"adcode":"510100"}`, `{"type":"Circle","coordinates":[104,30]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): geometry type "Circle" is not a GeoJSON geometry; a boundary needs a Polygon or MultiPolygon`},
		{"unknown province", fc(feat(`{"adcode":"990100"}`, okSquare)),
			`bad.geojson:1:41: features[0] (adcode "990100"): adcode "990100": 99 is not a GB/T 2260 province code`},
		{"county group code", fc(feat(`{"adcode":"429000"}`, okSquare)),
			`bad.geojson:1:41: features[0] (adcode "429000"): adcode "429000": 4290 groups directly administered counties and is not itself a region; use the county codes`},
		{"codes disagree", fc(feat(`{"adcode":"510100","code":"510700"}`, okSquare)),
			`bad.geojson:1:41: features[0] (adcode "510100"): properties "adcode" (510100) and "code" (510700) disagree`},
		{"only a null geometry", fc(feat(`{"adcode":"510100"}`, `null`)),
			`bad.geojson:1:1: no mainland China feature: every code is empty or Taiwan (71), Hong Kong (81) or Macao (82); 1 feature(s) skipped as not areas: features[0] (adcode "510100"): geometry is null, not an area`},
		{"open ring", fc(feat(`{"adcode":"510100"}`, `{"type":"Polygon","coordinates":[[[104,30],[105,30],[105,31],[104,31],[104,30.5]]]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): polygon 0 ring 0 is not closed: the first and last positions differ`},
		{"short ring", fc(feat(`{"adcode":"510100"}`, `{"type":"Polygon","coordinates":[[[104,30],[105,30],[104,30]]]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): polygon 0 ring 0 has 3 positions; a closed ring needs at least 4`},
		{"latitude out of range", fc(feat(`{"adcode":"510100"}`, `{"type":"Polygon","coordinates":[[[104,30],[105,30],[105,91],[104,30]]]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): polygon 0 ring 0 position 2 [105, 91] is not a longitude, latitude pair in degrees`},
		{"one number", fc(feat(`{"adcode":"510100"}`, `{"type":"Polygon","coordinates":[[[104,30],[105],[105,31],[104,30]]]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): polygon 0 ring 0 position 1 has 1 numbers; want [longitude, latitude]`},
		{"string coordinate", fc(feat(`{"adcode":"510100"}`, `{"type":"Polygon","coordinates":[[[104,"30"],[105,30],[105,31],[104,30]]]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): Polygon coordinates: found a string where a number was expected`},
		{"polygon given to MultiPolygon", fc(feat(`{"adcode":"510100"}`, `{"type":"MultiPolygon","coordinates":[[[104,30],[105,30],[105,31],[104,30]]]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): MultiPolygon coordinates: found a number where a position [longitude, latitude] was expected`},
		{"no rings", fc(feat(`{"adcode":"510100"}`, `{"type":"Polygon","coordinates":[]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): polygon 0 has no rings`},
		{"no polygons", fc(feat(`{"adcode":"510100"}`, `{"type":"MultiPolygon","coordinates":[]}`)),
			`bad.geojson:1:41: features[0] (adcode "510100"): geometry has no polygons`},
		{"second feature on line 2", fc(feat(`{"adcode":"510100"}`, okSquare), feat(`{"adcode":"510700"}`, `{"type":"Polygon","coordinates":[]}`)),
			`bad.geojson:2:1: features[1] (adcode "510700"): polygon 0 has no rings`},
		{"malformed after a skipped feature", fc(feat(`{"adcode":"100000_JD"}`, okSquare), feat(`{"adcode":"510700"}`, `{"type":"Polygon","coordinates":[[[104,30],[105,30],[104,30]]]}`)),
			`bad.geojson:2:1: features[1] (adcode "510700"): polygon 0 ring 0 has 3 positions; a closed ring needs at least 4`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadBoundaries("bad.geojson", []byte(c.data), WGS84)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Error() != c.want {
				t.Errorf("error\n got: %s\nwant: %s", err, c.want)
			}
			if xerr.ExitCode(err) != xerr.ExitBadInput {
				t.Errorf("exit code %d, want %d", xerr.ExitCode(err), xerr.ExitBadInput)
			}
			var pe *xerr.PosError
			if !errors.As(err, &pe) || pe.File != "bad.geojson" || pe.Line == 0 {
				t.Errorf("not a positioned error: %#v", err)
			}
		})
	}
}

// Features that are not areas of a province or prefecture are skipped, and
// the locator's notes list them: DataV's nine-dash line (no level, suffixed
// code), a country outline (level "country"), null and line geometries.
func TestReadBoundariesSkipsNonAreas(t *testing.T) {
	line := `{"type":"LineString","coordinates":[[104,30],[105,31]]}`
	data := fc(
		feat(`{"adcode":"510100"}`, okSquare),
		feat(`{"adcode":"100000_JD","adchar":"JD","name":""}`, okSquare),
		feat(`{"adcode":100000,"level":"country"}`, okSquare),
		feat(`{"adcode":"510700"}`, `null`),
		feat(`{"adcode":"510800","level":"city"}`, line),
	)
	l, err := ReadBoundaries("b.geojson", []byte(data), WGS84)
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(l.Notes(), " ")
	for _, want := range []string{"b.geojson: 4 feature(s) skipped", `features[1] (adcode "100000_JD"): no level`,
		`features[2] (adcode "100000"): level "country"`, `features[3] (adcode "510700"): geometry is null`,
		`features[4] (adcode "510800"): geometry is a LineString`} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q: %s", want, notes)
		}
	}
	if got := l.Locate(104.5, 30.5); got != cn("510100") {
		t.Errorf("the kept feature: %+v", got)
	}
}

// User boundaries decide province and prefecture only. A file covering
// part of China (here one square in Chengdu) leaves every other mainland
// point in China, unplaced, and every point abroad outside, exactly as the
// built-in boundaries say.
func TestUserBoundariesKeepBuiltInInOut(t *testing.T) {
	l, err := ReadBoundaries("b.geojson", []byte(fc(feat(`{"adcode":"510100"}`, okSquare))), WGS84)
	if err != nil {
		t.Fatal(err)
	}
	def := mustDefault(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		lon, lat := 72+rng.Float64()*65, 15+rng.Float64()*40
		got, want := l.Locate(lon, lat), def.Locate(lon, lat)
		if got.InChina != want.InChina || got.Region != want.Region || got.Coastal != want.Coastal {
			t.Fatalf("Locate(%v, %v) = %+v, built-in %+v: in/out must not depend on user boundaries", lon, lat, got, want)
		}
		if got.InChina && (got.Province != "") != (lon >= 104 && lon < 105 && lat >= 30 && lat < 31) {
			t.Fatalf("Locate(%v, %v) = %+v: placed outside the file's feature, or unplaced inside it", lon, lat, got)
		}
	}
	if got := l.Locate(117.1205, 36.6510); got != (Location{InChina: true, Region: "CN"}) { // Jinan
		t.Errorf("Jinan with Chengdu-only boundaries = %+v, want in China, unplaced", got)
	}
}

func TestParseCode(t *testing.T) {
	cases := []struct {
		code  string
		level codeLevel
		pref  string
		ok    bool
	}{
		{"510000", levelProvince, "", true},
		{"510100", levelPrefecture, "510100", true},
		{"510104", levelCounty, "510100", true},
		{"110105", levelCounty, "110100", true},
		{"110100", levelPrefecture, "110100", true},
		{"500200", levelPrefecture, "500100", true}, // Chongqing's county group: still one code
		{"500236", levelCounty, "500100", true},
		{"429004", levelPrefecture, "429004", true},
		{"659001", levelPrefecture, "659001", true},
		{"810000", levelProvince, "", true},
		{"820001", levelCounty, "820000", true},
		{"419000", 0, "", false},
		{"000000", 0, "", false},
		{"51010", 0, "", false},
		{"5101000", 0, "", false},
		{"51010a", 0, "", false},
		{"１10000", 0, "", false},
	}
	for _, c := range cases {
		lvl, pref, err := parseCode(c.code)
		if (err == nil) != c.ok || (c.ok && (lvl != c.level || pref != c.pref)) {
			t.Errorf("parseCode(%q) = %v, %q, %v; want %v, %q, ok=%v", c.code, lvl, pref, err, c.level, c.pref, c.ok)
		}
	}
}

// FuzzReadBoundaries: any input gives a locator or a positioned bad-input
// error, never a panic; a locator's grid agrees with its exact test.
func FuzzReadBoundaries(f *testing.F) {
	for _, name := range []string{"prefectures.geojson", "provinces.geojson"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(fc(feat(`{"adcode":"510100"}`, okSquare))))
	f.Add([]byte(fc(feat(`{"adcode":"510100"}`, `{"type":"MultiPolygon","coordinates":[[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]]}`))))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadBoundaries("fuzz.geojson", data, WGS84)
		if err != nil {
			var pe *xerr.PosError
			if xerr.ExitCode(err) != xerr.ExitBadInput || !errors.As(err, &pe) {
				t.Fatalf("error is not a positioned bad-input error: %v", err)
			}
			return
		}
		l.fineAfter = 1
		rng := rand.New(rand.NewPCG(uint64(len(data)), 1))
		g := &l.grid
		for range 200 {
			lon := g.ox + rng.Float64()*g.fnx*g.cell
			lat := g.oy + rng.Float64()*g.fny*g.cell
			if got, want := l.Locate(lon, lat), l.locateExact(lon, lat); got != want {
				t.Fatalf("Locate(%v, %v) = %+v, exact %+v", lon, lat, got, want)
			}
		}
	})
}
