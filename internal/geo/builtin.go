package geo

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/csv"
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
