package geo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

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
	feats, err := readFeatureCollection("embedded "+path, raw)
	if err != nil {
		return nil, err
	}
	for _, f := range feats {
		if f.skip != "" {
			return nil, fmt.Errorf("embedded %s: %s: %s", path, f.describe(), f.skip)
		}
	}
	return feats, nil
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

// outline is the built-in in/out data every locator shares: the Hong Kong,
// Macao and Taiwan outlines, the mainland outline and the coastal waters.
// It decides in or out of mainland China whatever boundaries place points
// in provinces. Immutable once built.
type outline struct {
	sarSegs   [][]seg
	sarRegion []string
	sar       *layer
	cnSegs    [][]seg
	cn        *layer
	watSegs   [][]seg
	waters    *layer
	coast     *coastIndex
	digest    string // of the embedded data
}

var builtinOutline = sync.OnceValues(loadOutline)

func loadOutline() (*outline, error) {
	feats, err := readEmbeddedGeoJSON("data/outline.geojson.gz")
	if err != nil {
		return nil, err
	}
	o := &outline{}
	for _, f := range feats {
		region, _ := f.props["region"].(string)
		switch region {
		case "HK", "MO", "TW":
			o.sarSegs = append(o.sarSegs, featureSegments(f.polygons))
			o.sarRegion = append(o.sarRegion, region)
		case "CN":
			o.cnSegs = append(o.cnSegs, featureSegments(f.polygons))
		default:
			return nil, fmt.Errorf("outline: %s has unknown region %q", f.describe(), region)
		}
	}
	if len(o.cnSegs) != 1 || len(o.sarSegs) != 3 {
		return nil, errors.New("outline: want one mainland and three HK/MO/TW features")
	}
	o.sar, o.cn = buildLayer(o.sarSegs), buildLayer(o.cnSegs)
	o.watSegs = watersSegments()
	o.waters = buildLayer(o.watSegs)
	o.coast = newCoastIndex(o.cnSegs[0], o.sarSegs)
	h := sha256.New()
	for _, name := range []string{"data/outline.geojson.gz", "data/provinces.geojson.gz", "data/seeds.csv.gz"} {
		raw, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		h.Write(raw)
	}
	fmt.Fprintf(h, "coast:%g:%v:%v", coastBuffer, seaMask, bohai)
	o.digest = hex.EncodeToString(h.Sum(nil))[:16]
	return o, nil
}

// addOutline puts the outline's steps first: Hong Kong, Macao and Taiwan,
// then the mainland gate. It returns the gate's step index.
func (b *builder) addOutline(o *outline) (int, error) {
	out := make([]uint16, len(o.sarRegion))
	for i, region := range o.sarRegion {
		res, err := b.result(Location{Region: region})
		if err != nil {
			return 0, err
		}
		out[i] = res
	}
	b.l.steps = append(b.l.steps, step{layer: o.sar, out: out}, step{layer: o.cn, gate: true})
	return len(b.l.steps) - 1, nil
}

// segments returns the outline's segments for the grid.
func (o *outline) segments() [][]seg {
	return append(append(append([][]seg(nil), o.sarSegs...), o.cnSegs...), o.watSegs...)
}

func loadDefault() (*Locator, error) {
	o, err := builtinOutline()
	if err != nil {
		return nil, err
	}
	provinces, err := readEmbeddedGeoJSON("data/provinces.geojson.gz")
	if err != nil {
		return nil, err
	}
	b := newBuilder()
	l := b.l
	gate, err := b.addOutline(o)
	if err != nil {
		return nil, err
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
	// disagree along coasts and borders), or in coastal waters off every
	// province polygon, takes the nearest place of any province.
	if l.fallback, err = b.seedSet(all); err != nil {
		return nil, err
	}
	l.steps = append(l.steps, step{layer: buildLayer(provSegs), out: provOut})
	if err := b.addCoast(o.waters, o.coast, gate); err != nil {
		return nil, err
	}
	l.approx = true
	l.desc = "built-in boundaries: OpenStreetMap mainland outline (1 km) and coastal waters (12 nautical miles), " +
		"Natural Earth 1:10m provinces; prefecture = that of the nearest GeoNames place in the province (approximate)"
	l.id = "built-in:" + o.digest
	l.credit = Attribution
	l.buildGrid(append(o.segments(), provSegs...))
	return l, nil
}
