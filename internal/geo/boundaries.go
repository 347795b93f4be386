package geo

import (
	"fmt"
	"os"

	"github.com/xborder/xborder/internal/xerr"
)

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
