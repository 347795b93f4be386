package geo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/xborder/xborder/internal/xerr"
)

// LoadBoundaries builds a locator from a GeoJSON FeatureCollection in WGS-84
// whose features carry GB/T 2260 codes (property "adcode" or "code", string
// or number). The level follows the code: XX0000 is a province, XXXX00 a
// prefecture, XX90XX a county-level unit the province administers directly,
// anything else a county reported under its prefecture. When the file has
// prefecture- or county-level features, prefectures come from those polygons
// (exact); with provinces only, from the built-in nearest-place method
// (approximate). Where features overlap, prefecture-level features win over
// provinces, and within a level the earlier feature wins.
//
// The file places points in provinces and prefectures only: in or out of
// mainland China (Hong Kong, Macao, Taiwan, coastal waters) always follows
// the built-in outlines, so a file covering part of China does not make the
// rest of it abroad. A mainland point in none of the file's features is in
// China with no province (Location{InChina: true, Region: "CN"}). The file's
// own 71, 81 and 82 features are not used, and features that are not areas
// (null or non-polygon geometry; no or an unknown "level" with a code that is
// not a region's, such as DataV's 100000_JD nine-dash line) are skipped;
// Notes says which.
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
	return readBoundaries(name, data, crs, false)
}

// areaLevels are the "level" values (DataV's and similar exports') of
// features that are areas a point can be placed in.
var areaLevels = map[string]bool{"province": true, "city": true, "prefecture": true, "district": true, "county": true}

// notAnArea says why a feature whose code is not a region's is not meant as
// a region at all, so that it is skipped rather than an error: its level
// names something else ("country"), or it has no level and a code with a
// suffix, as DataV marks its nine-dash line (100000_JD). A code that is
// merely wrong (5101, 990100) is an error: the user meant a region.
func notAnArea(f *feature, code string) (string, bool) {
	v, ok := f.props["level"]
	if lv, isStr := v.(string); ok && isStr {
		if !areaLevels[strings.ToLower(lv)] {
			return fmt.Sprintf("level %q", lv), true
		}
		return "", false
	}
	if ok && v != nil {
		return "", false
	}
	if len(code) > 7 && code[6] == '_' && strings.Trim(code[:6], "0123456789") == "" {
		return "no level", true
	}
	return "", false
}

// readBoundaries builds the locator. standalone makes the file the whole
// truth instead (its own Hong Kong, Macao and Taiwan, nothing outside its
// features in China, no coastal waters), for tests that take a reference
// file as ground truth.
func readBoundaries(name string, data []byte, crs CRS, standalone bool) (*Locator, error) {
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
	var skipped []string
	for _, f := range feats {
		if f.skip != "" {
			skipped = append(skipped, f.describe()+": "+f.skip)
			continue
		}
		code, err := featureCode(name, f)
		if err != nil {
			return nil, err
		}
		lvl, pref, err := parseCode(code)
		if err != nil {
			if why, ok := notAnArea(f, code); ok {
				skipped = append(skipped, fmt.Sprintf("%s: %s and %v", f.describe(), why, err))
				continue
			}
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
		msg := "no mainland China feature: every code is empty or Taiwan (71), Hong Kong (81) or Macao (82)"
		if len(skipped) > 0 {
			msg += fmt.Sprintf("; %d feature(s) skipped as not areas: %s", len(skipped), listSome(skipped, 3))
		}
		return nil, xerr.BadInput(&xerr.PosError{File: name, Line: 1, Col: 1, Msg: msg})
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
	var o *outline
	gate := -1
	if standalone {
		if err := addStep(sars, func(fi featInfo) (uint16, error) {
			return b.result(Location{Region: regionOfProvince(fi.code[:2])})
		}); err != nil {
			return nil, err
		}
	} else {
		if o, err = builtinOutline(); err != nil {
			return nil, fmt.Errorf("built-in outline: %w", err)
		}
		if gate, err = b.addOutline(o); err != nil {
			return nil, err
		}
		allSegs = o.segments()
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
	how := "prefecture polygons (exact)"
	if l.approx {
		how = "nearest GeoNames place in the province (approximate)"
	}
	sum := sha256.Sum256(data)
	l.id = "file:" + hex.EncodeToString(sum[:])[:32] + ":" + crs.String()
	if standalone {
		l.fallback = 0
		l.id += ":standalone"
		l.desc = fmt.Sprintf("boundaries from %s (%s), alone: %d province, %d prefecture/county, %d Hong Kong/Macao/Taiwan features; prefecture from %s",
			name, crs, len(provs), len(prefs), len(sars), how)
	} else {
		// In mainland China (by the built-in outline) but in no feature.
		if l.fallback, err = b.result(Location{InChina: true, Region: "CN"}); err != nil {
			return nil, err
		}
		if err := b.addCoast(o.waters, o.coast, gate); err != nil {
			return nil, err
		}
		l.desc = fmt.Sprintf("boundaries from %s (%s): %d province, %d prefecture/county features; prefecture from %s; "+
			"in or out of mainland China from the built-in outlines (OpenStreetMap, with coastal waters)",
			name, crs, len(provs), len(prefs), how)
		l.credit = creditOSM
		if l.approx {
			l.credit += "; " + creditGeoNames
		}
		if len(sars) > 0 {
			l.notes = append(l.notes, fmt.Sprintf("%s: %d Hong Kong, Macao or Taiwan feature(s) not used: in or out of mainland China follows the built-in outlines.", name, len(sars)))
		}
	}
	if len(skipped) > 0 {
		l.notes = append(l.notes, fmt.Sprintf("%s: %d feature(s) skipped, not province or prefecture areas: %s.", name, len(skipped), listSome(skipped, 5)))
	}
	l.buildGrid(allSegs)
	return l, nil
}

// listSome joins the first n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:n], "; ") + fmt.Sprintf("; and %d more", len(items)-n)
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
