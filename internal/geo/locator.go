// Package geo places WGS-84 positions in mainland China, its provinces and
// its prefecture-level regions (GB/T 2260 codes), and converts between the
// coordinate systems Chinese location data comes in (WGS-84, GCJ-02, BD-09).
//
// The built-in boundaries are derived from openly licensed data (see
// data/README.md): the mainland outline from OpenStreetMap, provinces from
// Natural Earth, and prefectures approximated by the nearest GeoNames place of
// the province, because no openly licensed prefecture polygons exist. Users
// with licensed boundaries load them with LoadBoundaries.
//
// Pure: nothing here reads the clock or the network; only LoadBoundaries reads
// the file it is given.
package geo

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/xborder/xborder/internal/xerr"
)

// Location is where a position falls. Hong Kong, Macao and Taiwan are outside
// mainland China ("abroad" for export law): they set Region but not InChina.
type Location struct {
	// InChina is true for mainland China.
	InChina bool `json:"in_china"`
	// Region is "CN" (mainland), "HK", "MO", "TW", or "" elsewhere.
	Region string `json:"region,omitempty"`
	// Province is the 2-digit GB/T 2260 province code, e.g. "51"; mainland only.
	Province string `json:"province,omitempty"`
	// Prefecture is the 6-digit prefecture-level code, e.g. "510100".
	// Municipalities report one code each (110100, 120100, 310100, 500100);
	// county-level units a province administers directly keep their own code
	// (e.g. 429004). Empty when unknown.
	Prefecture string `json:"prefecture,omitempty"`
}

func (l Location) String() string {
	switch {
	case l.InChina:
		return "CN/" + l.Province + "/" + l.Prefecture
	case l.Region != "":
		return l.Region
	}
	return "outside"
}

// Attribution is the credit the built-in boundary data requires wherever
// results derived from it are published.
const Attribution = "Boundaries © OpenStreetMap contributors (ODbL 1.0); provinces from Natural Earth (public domain); " +
	"contains data from GeoNames (geonames.org), CC BY 4.0, modified"

// step is one stage of the exact classification: the first feature of the
// layer containing the point decides (out), unless the step is a gate, which
// only lets points inside one of its features go on to later steps.
type step struct {
	layer *layer
	out   []uint16 // per feature: result index, or seedFlag|seed set
	gate  bool
}

// Locator answers Locate. It is immutable after construction apart from the
// lazily built grid blocks, which are published atomically, so one Locator is
// safe for concurrent use.
type Locator struct {
	steps    []step
	fallback uint16 // class when no step decides
	seedSets []*seedSet
	results  []Location
	grid     grid
	approx   bool
	desc     string
	// fineAfter is the grid's build threshold for fine blocks (see the
	// constant); tests set it to 1 to exercise fine blocks everywhere.
	fineAfter uint32
}

// Locate returns where a WGS-84 position (degrees) falls. Non-finite input is
// outside. Convert GCJ-02 or BD-09 input first (ToWGS84).
func (l *Locator) Locate(lon, lat float64) Location {
	g := &l.grid
	fx := (lon - g.ox) * g.inv
	fy := (lat - g.oy) * g.inv
	if !(fx >= 0 && fy >= 0 && fx < g.fnx && fy < g.fny) {
		return Location{}
	}
	ix, iy := int(fx), int(fy)
	e := g.l1[iy*g.nx+ix]
	if e&blockBit == 0 {
		return l.results[e]
	}
	b := g.blocks[e&^blockBit].Load()
	if b == nil {
		b = l.block(e &^ blockBit)
	}
	fx, fy = (fx-float64(ix))*subN, (fy-float64(iy))*subN
	sx, sy := min(int(fx), subN-1), min(int(fy), subN-1)
	v := b.cells[sy*subN+sx]
	if v < seedFlag {
		return l.results[v]
	}
	if v >= fineFlag {
		k := v &^ fineFlag
		fb := b.fine[k].Load()
		if fb == nil {
			fb = l.fineBlock(b, iy*g.nx+ix, k)
		}
		if fb == nil {
			return l.results[l.resolve(lon, lat, slowFull)]
		}
		fx := min(int((fx-float64(sx))*fineN), fineN-1)
		fy := min(int((fy-float64(sy))*fineN), fineN-1)
		v = fb[fy*fineN+fx]
		if v < seedFlag {
			return l.results[v]
		}
	}
	return l.results[l.resolve(lon, lat, v)]
}

// LocateIn is Locate for a position in crs. GCJ-02 and BD-09 positions are
// brought to WGS-84 with the one-step inverses (within 6 m, typically under
// 1 m; far below the boundaries' own accuracy), which cost one evaluation of
// the offset instead of the four or five the exact GCJ02ToWGS84 needs. Use ToWGS84
// when the converted position itself is wanted.
func (l *Locator) LocateIn(crs CRS, lon, lat float64) Location {
	switch crs {
	case GCJ02:
		lon, lat = gcj02ToWGS84Approx(lon, lat)
	case BD09:
		lon, lat = gcj02ToWGS84Approx(bd09ToGCJ02Approx(lon, lat))
	}
	return l.Locate(lon, lat)
}

// locateExact answers without the grid; tests compare it with Locate.
func (l *Locator) locateExact(lon, lat float64) Location {
	g := &l.grid
	fx := (lon - g.ox) * g.inv
	fy := (lat - g.oy) * g.inv
	if !(fx >= 0 && fy >= 0 && fx < g.fnx && fy < g.fny) {
		return Location{}
	}
	return l.results[l.resolve(lon, lat, slowFull)]
}

// resolve finishes a lookup the grid could not answer alone.
func (l *Locator) resolve(lon, lat float64, v uint16) uint16 {
	if v == slowFull {
		v = l.classify(lon, lat)
		if v < seedFlag {
			return v
		}
	}
	p := newProbe(lon, lat)
	return l.seedSets[v&^seedFlag].locate(&p)
}

// classify runs the exact polygon tests: a result index, or seedFlag|set when
// the prefecture is the nearest seed's.
func (l *Locator) classify(x, y float64) uint16 {
	for i := range l.steps {
		st := &l.steps[i]
		f := st.layer.find(x, y)
		if st.gate {
			if f < 0 {
				return 0
			}
			continue
		}
		if f >= 0 {
			return st.out[f]
		}
	}
	return l.fallback
}

// PrefectureApproximate reports whether prefectures come from the
// nearest-place method (the built-in data, or user boundaries with provinces
// only) rather than from prefecture polygons. Output must say so when true.
func (l *Locator) PrefectureApproximate() bool { return l.approx }

// Description says where the boundaries came from and how prefectures are
// assigned, for reports.
func (l *Locator) Description() string { return l.desc }

// builder collects results and seed sets while a Locator is put together.
type builder struct {
	l     *Locator
	index map[Location]uint16
}

func newBuilder() *builder {
	l := &Locator{results: []Location{{}}, fineAfter: fineAfter}
	return &builder{l: l, index: map[Location]uint16{{}: 0}}
}

func (b *builder) result(loc Location) (uint16, error) {
	if i, ok := b.index[loc]; ok {
		return i, nil
	}
	if len(b.l.results) >= int(seedFlag) {
		return 0, errors.New("too many distinct regions")
	}
	i := uint16(len(b.l.results))
	b.l.results = append(b.l.results, loc)
	b.index[loc] = i
	return i, nil
}

func (b *builder) seedSet(s []seed) (uint16, error) {
	if len(b.l.seedSets) >= maxSets {
		return 0, errors.New("too many seed sets")
	}
	b.l.seedSets = append(b.l.seedSets, newSeedSet(s))
	return seedFlag | uint16(len(b.l.seedSets)-1), nil
}

func mainlandLocation(code string) Location {
	return Location{InChina: true, Region: "CN", Province: code[:2], Prefecture: prefectureFor(code)}
}

// ---- built-in data ----

//go:embed data/outline.geojson.gz data/provinces.geojson.gz data/seeds.csv.gz data/names.csv
var dataFS embed.FS

var defaultLocator = sync.OnceValues(loadDefault)

// Default returns the locator built from the embedded boundaries. It is built
// once and shared; it is safe for concurrent use.
func Default() (*Locator, error) { return defaultLocator() }

func readEmbeddedGeoJSON(path string) ([]*feature, error) {
	raw, err := readEmbedded(path)
	if err != nil {
		return nil, err
	}
	return readFeatureCollection("embedded "+path, raw)
}

func readEmbedded(path string) ([]byte, error) {
	raw, err := dataFS.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// seedRow is a GeoNames place from data/seeds.csv.gz.
type seedRow struct {
	lon, lat float64
	code     string
}

var embeddedSeeds = sync.OnceValues(func() ([]seedRow, error) {
	raw, err := readEmbedded("data/seeds.csv.gz")
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(raw))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("seeds: %w", err)
	}
	if len(rows) < 2 || strings.Join(rows[0], ",") != "lat,lng,adcode,name" {
		return nil, errors.New("seeds: unexpected header")
	}
	out := make([]seedRow, 0, len(rows)-1)
	for i, row := range rows[1:] {
		lat, err1 := strconv.ParseFloat(row[0], 64)
		lon, err2 := strconv.ParseFloat(row[1], 64)
		lvl, _, err3 := parseCode(row[2])
		if err1 != nil || err2 != nil || err3 != nil || lvl == levelProvince {
			return nil, fmt.Errorf("seeds: line %d: bad row %q", i+2, row)
		}
		out = append(out, seedRow{lon: lon, lat: lat, code: row[2]})
	}
	return out, nil
})

// seedsByProvince turns the embedded places into seeds grouped by province.
func (b *builder) seedsByProvince() (map[string][]seed, error) {
	rows, err := embeddedSeeds()
	if err != nil {
		return nil, err
	}
	by := map[string][]seed{}
	for _, r := range rows {
		res, err := b.result(mainlandLocation(r.code))
		if err != nil {
			return nil, err
		}
		by[r.code[:2]] = append(by[r.code[:2]], seed{lon: r.lon, lat: r.lat, res: res})
	}
	return by, nil
}

func loadDefault() (*Locator, error) {
	outline, err := readEmbeddedGeoJSON("data/outline.geojson.gz")
	if err != nil {
		return nil, err
	}
	provinces, err := readEmbeddedGeoJSON("data/provinces.geojson.gz")
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	l := b.l

	// Hong Kong, Macao and Taiwan first, then the mainland outline as a gate.
	var sarSegs, cnSegs [][]seg
	var sarOut []uint16
	for _, f := range outline {
		region, _ := f.props["region"].(string)
		switch region {
		case "HK", "MO", "TW":
			res, err := b.result(Location{Region: region})
			if err != nil {
				return nil, err
			}
			sarSegs = append(sarSegs, featureSegments(f.polygons))
			sarOut = append(sarOut, res)
		case "CN":
			cnSegs = append(cnSegs, featureSegments(f.polygons))
		default:
			return nil, fmt.Errorf("outline: %s has unknown region %q", f.describe(), region)
		}
	}
	if len(cnSegs) != 1 || len(sarSegs) != 3 {
		return nil, errors.New("outline: want one mainland and three HK/MO/TW features")
	}

	seeds, err := b.seedsByProvince()
	if err != nil {
		return nil, err
	}
	var provSegs [][]seg
	var provOut []uint16
	var all []seed
	for _, f := range provinces {
		code, _ := codeFromJSON(f.props["adcode"])
		lvl, _, err := parseCode(code)
		if err != nil || lvl != levelProvince || regionOfProvince(code[:2]) != "CN" {
			return nil, fmt.Errorf("provinces: %s is not a mainland province", f.describe())
		}
		s := seeds[code[:2]]
		if len(s) == 0 {
			return nil, fmt.Errorf("provinces: no GeoNames place in province %s", code)
		}
		set, err := b.seedSet(s)
		if err != nil {
			return nil, err
		}
		provSegs = append(provSegs, featureSegments(f.polygons))
		provOut = append(provOut, set)
	}
	for _, p := range sortedKeys(seeds) {
		all = append(all, seeds[p]...)
	}
	// A point inside the outline but in no province polygon (the two sources
	// disagree along coasts and borders) takes the nearest place of any province.
	if l.fallback, err = b.seedSet(all); err != nil {
		return nil, err
	}
	l.steps = []step{
		{layer: buildLayer(sarSegs), out: sarOut},
		{layer: buildLayer(cnSegs), gate: true},
		{layer: buildLayer(provSegs), out: provOut},
	}
	l.approx = true
	l.desc = "built-in boundaries: OpenStreetMap mainland outline (1 km), Natural Earth 1:10m provinces; " +
		"prefecture = that of the nearest GeoNames place in the province (approximate)"
	l.buildGrid(append(append(sarSegs, cnSegs...), provSegs...))
	return l, nil
}

// ---- user boundaries ----

// LoadBoundaries builds a locator from a GeoJSON FeatureCollection in WGS-84
// whose features carry GB/T 2260 codes (property "adcode" or "code", string
// or number). The level follows the code: XX0000 is a province, XXXX00 a
// prefecture, XX90XX a county-level unit the province administers directly,
// anything else a county reported under its prefecture. 71, 81 and 82 codes
// mark Taiwan, Hong Kong and Macao. When the file has prefecture- or
// county-level features, prefectures come from those polygons (exact);
// with provinces only, from the built-in nearest-place method (approximate).
// Where features overlap, prefecture-level features win over provinces, and
// within a level the earlier feature wins.
func LoadBoundaries(path string) (*Locator, error) { return LoadBoundariesCRS(path, WGS84) }

// LoadBoundariesCRS is LoadBoundaries for a file whose coordinates are in crs
// (GCJ-02 for boundaries digitised on AMap or Tencent maps). Vertices are
// converted to WGS-84 once at load, so Locate still takes WGS-84.
func LoadBoundariesCRS(path string, crs CRS) (*Locator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, xerr.BadInput(fmt.Errorf("boundaries: %w", err))
	}
	return ReadBoundaries(path, data, crs)
}

// ReadBoundaries is LoadBoundariesCRS for data already in memory; name is
// used in error messages.
func ReadBoundaries(name string, data []byte, crs CRS) (*Locator, error) {
	feats, err := readFeatureCollection(name, data)
	if err != nil {
		return nil, err
	}
	type featInfo struct {
		f     *feature
		code  string
		level codeLevel
		pref  string
	}
	var sars, provs, prefs []featInfo
	for _, f := range feats {
		code, err := featureCode(name, f)
		if err != nil {
			return nil, err
		}
		lvl, pref, err := parseCode(code)
		if err != nil {
			return nil, featureError(name, f, "%v", err)
		}
		if crs != WGS84 {
			for _, rings := range f.polygons {
				for _, r := range rings {
					for i, p := range r {
						r[i].x, r[i].y = ToWGS84(crs, p.x, p.y)
					}
				}
			}
		}
		fi := featInfo{f: f, code: code, level: lvl, pref: pref}
		switch {
		case regionOfProvince(code[:2]) != "CN":
			sars = append(sars, fi)
		case lvl == levelProvince:
			provs = append(provs, fi)
		default:
			prefs = append(prefs, fi)
		}
	}
	if len(provs) == 0 && len(prefs) == 0 {
		return nil, xerr.BadInput(&xerr.PosError{File: name, Line: 1, Col: 1,
			Msg: "no mainland China feature: every code is empty or Taiwan (71), Hong Kong (81) or Macao (82)"})
	}

	b := newBuilder()
	l := b.l
	var allSegs [][]seg
	addStep := func(infos []featInfo, outFor func(featInfo) (uint16, error)) error {
		if len(infos) == 0 {
			return nil
		}
		var segs [][]seg
		var out []uint16
		for _, fi := range infos {
			o, err := outFor(fi)
			if err != nil {
				return featureError(name, fi.f, "%v", err)
			}
			segs = append(segs, featureSegments(fi.f.polygons))
			out = append(out, o)
		}
		l.steps = append(l.steps, step{layer: buildLayer(segs), out: out})
		allSegs = append(allSegs, segs...)
		return nil
	}
	if err := addStep(sars, func(fi featInfo) (uint16, error) {
		return b.result(Location{Region: regionOfProvince(fi.code[:2])})
	}); err != nil {
		return nil, err
	}
	if err := addStep(prefs, func(fi featInfo) (uint16, error) {
		return b.result(mainlandLocation(fi.pref))
	}); err != nil {
		return nil, err
	}
	var seeds map[string][]seed
	sets := map[string]uint16{}
	if len(prefs) == 0 {
		if seeds, err = b.seedsByProvince(); err != nil {
			return nil, err
		}
		l.approx = true
	}
	if err := addStep(provs, func(fi featInfo) (uint16, error) {
		p := fi.code[:2]
		if s, ok := sets[p]; ok {
			return s, nil
		}
		if s := seeds[p]; len(s) > 0 {
			set, err := b.seedSet(s)
			sets[p] = set
			return set, err
		}
		// With prefecture polygons present, a point in a province but in no
		// prefecture has no prefecture, except in a municipality, which is one.
		loc := Location{InChina: true, Region: "CN", Province: p}
		if municipalities[p] {
			loc.Prefecture = p + "0100"
		}
		return b.result(loc)
	}); err != nil {
		return nil, err
	}
	l.fallback = 0
	how := "prefecture polygons (exact)"
	if l.approx {
		how = "nearest GeoNames place in the province (approximate)"
	}
	l.desc = fmt.Sprintf("boundaries from %s (%s): %d province, %d prefecture/county, %d Hong Kong/Macao/Taiwan features; prefecture from %s",
		name, crs, len(provs), len(prefs), len(sars), how)
	l.buildGrid(allSegs)
	return l, nil
}

// featureCode reads a feature's GB/T 2260 code from "adcode" or "code".
func featureCode(name string, f *feature) (string, error) {
	var code string
	var from string
	for _, k := range []string{"adcode", "code"} {
		v, ok := f.props[k]
		if !ok || v == nil {
			continue
		}
		c, ok := codeFromJSON(v)
		if !ok {
			return "", featureError(name, f, "property %q must be a string or a number", k)
		}
		if code != "" && c != code {
			return "", featureError(name, f, "properties %q (%s) and %q (%s) disagree", from, code, k, c)
		}
		code, from = c, k
	}
	if code == "" {
		return "", featureError(name, f, "no GB/T 2260 code: add an \"adcode\" or \"code\" property")
	}
	return code, nil
}
