package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/xborder/xborder/internal/xerr"
)

// point is a lon/lat position in degrees.
type point struct{ x, y float64 }

// ring is a closed ring: first and last positions are equal.
type ring []point

// feature is one GeoJSON feature reduced to what the locator needs.
type feature struct {
	index     int // position in the features array
	line, col int // where the feature starts in the file
	props     map[string]any
	polygons  [][]ring // polygon -> rings (exterior first, then holes)
	// skip says why a well-formed feature is not an area (null or
	// non-polygon geometry); polygons is nil then.
	skip string
}

// describe names a feature for error messages: features[3] (adcode "510100").
func (f *feature) describe() string {
	s := fmt.Sprintf("features[%d]", f.index)
	for _, k := range []string{"adcode", "code"} {
		if v, ok := f.props[k]; ok {
			if c, ok := codeFromJSON(v); ok {
				return fmt.Sprintf("%s (%s %q)", s, k, c)
			}
		}
	}
	if v, ok := f.props["name"].(string); ok && v != "" {
		return fmt.Sprintf("%s (name %q)", s, v)
	}
	return s
}

// posError builds a positioned input error for file name at byte offset off.
func posError(name string, data []byte, off int64, format string, args ...any) error {
	line, col := lineCol(data, off)
	return xerr.BadInput(&xerr.PosError{File: name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

// featureError is an input error about one feature, positioned at its start.
func featureError(name string, f *feature, format string, args ...any) error {
	return xerr.BadInput(&xerr.PosError{
		File: name, Line: f.line, Col: f.col,
		Msg: f.describe() + ": " + fmt.Sprintf(format, args...),
	})
}

// lineCol converts a byte offset to a 1-based line and column (in bytes).
func lineCol(data []byte, off int64) (int, int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	prefix := data[:off]
	line := bytes.Count(prefix, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(prefix, '\n') + 1) + 1
	return line, col
}

// maxFeatures bounds the work a hostile file can ask for; GB/T 2260 has about
// 3,200 county-level units.
const maxFeatures = 100000

// readFeatureCollection parses a GeoJSON FeatureCollection of Polygon and
// MultiPolygon features. Errors name the file, the line and column, and the
// feature. It is strict about form: anything malformed is an error. A
// well-formed feature that is not an area (null geometry, a point or a line,
// such as DataV's nine-dash line) is returned with skip set, for the caller
// to skip and say so.
func readFeatureCollection(name string, data []byte) ([]*feature, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	syntax := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return posError(name, data, se.Offset, "invalid JSON: %v", se)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return posError(name, data, int64(len(data)), "invalid JSON: unexpected end of input")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return posError(name, data, te.Offset, "invalid GeoJSON: %v", te)
		}
		return posError(name, data, dec.InputOffset(), "invalid JSON: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, posError(name, data, 0, "not a GeoJSON FeatureCollection: the file must be a JSON object")
	}
	var feats []*feature
	sawFeatures := false
	for dec.More() {
		keyOff := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			var t string
			if err := dec.Decode(&t); err != nil {
				return nil, syntax(err)
			}
			if t != "FeatureCollection" {
				return nil, posError(name, data, skipSpace(data, keyOff), "GeoJSON type is %q; want \"FeatureCollection\"", t)
			}
		case "features":
			if sawFeatures {
				return nil, posError(name, data, skipSpace(data, keyOff), "duplicate \"features\" member")
			}
			sawFeatures = true
			tok, err := dec.Token()
			if err != nil {
				return nil, syntax(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return nil, posError(name, data, skipSpace(data, keyOff), "\"features\" must be an array")
			}
			for dec.More() {
				start := skipSpace(data, dec.InputOffset())
				if len(feats) >= maxFeatures {
					return nil, posError(name, data, start, "more than %d features", maxFeatures)
				}
				var raw rawFeature
				if err := dec.Decode(&raw); err != nil {
					return nil, syntax(err)
				}
				line, col := lineCol(data, start)
				f := &feature{index: len(feats), line: line, col: col, props: raw.Properties}
				if err := raw.convert(name, f); err != nil {
					return nil, err
				}
				feats = append(feats, f)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, syntax(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntax(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, syntax(err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, posError(name, data, skipSpace(data, end), "unexpected data after the FeatureCollection")
	}
	// A missing "type" is tolerated when "features" is there: exports such
	// as DataV's omit it, and the members say what the object is.
	if !sawFeatures {
		return nil, posError(name, data, 0, "missing \"features\" array")
	}
	return feats, nil
}

// skipSpace advances off past JSON whitespace and the separators the decoder
// leaves behind, so positions point at the value itself.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

type rawFeature struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
	Geometry   *struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

// convert checks a decoded feature and fills f.polygons.
func (r *rawFeature) convert(name string, f *feature) error {
	if r.Type != "Feature" {
		return featureError(name, f, "type is %q; want \"Feature\"", r.Type)
	}
	if r.Geometry == nil {
		f.skip = "geometry is null, not an area"
		return nil
	}
	var depth int
	switch r.Geometry.Type {
	case "Polygon":
		depth = 3
	case "MultiPolygon":
		depth = 4
	case "Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection":
		f.skip = fmt.Sprintf("geometry is a %s, not an area", r.Geometry.Type)
		return nil
	default:
		return featureError(name, f, "geometry type %q is not a GeoJSON geometry; a boundary needs a Polygon or MultiPolygon", r.Geometry.Type)
	}
	polys, err := parseCoords(r.Geometry.Coordinates, depth)
	if err != nil {
		var ce *coordError
		if errors.As(err, &ce) {
			return featureError(name, f, "%v", err)
		}
		return featureError(name, f, "%s coordinates: %v", r.Geometry.Type, err)
	}
	if len(polys) == 0 {
		return featureError(name, f, "geometry has no polygons")
	}
	for pi, rings := range polys {
		if len(rings) == 0 {
			return featureError(name, f, "polygon %d has no rings", pi)
		}
		for ri, rg := range rings {
			if len(rg) < 4 {
				return featureError(name, f, "polygon %d ring %d has %d positions; a closed ring needs at least 4", pi, ri, len(rg))
			}
			if rg[0] != rg[len(rg)-1] {
				return featureError(name, f, "polygon %d ring %d is not closed: the first and last positions differ", pi, ri)
			}
		}
	}
	f.polygons = polys
	return nil
}

// coordError is a problem with one position, located by polygon, ring and
// position index.
type coordError struct {
	poly, ring, pos int
	msg             string
}

func (e *coordError) Error() string {
	return fmt.Sprintf("polygon %d ring %d position %d %s", e.poly, e.ring, e.pos, e.msg)
}

// parseCoords reads GeoJSON polygon coordinates nested depth arrays deep
// (3 for a Polygon, 4 for a MultiPolygon) straight into rings of points,
// checking each position. It is a small hand-written reader because
// encoding/json's reflection-driven decoding of nested float arrays was half
// of Default()'s load time. raw has already been checked as JSON by the
// decoder, so only the shape needs checking here.
func parseCoords(raw []byte, depth int) ([][]ring, error) {
	p := coordParser{b: raw}
	var polys [][]ring
	var err error
	p.space()
	if depth == 4 {
		err = p.array("an array of polygons", func() error {
			rings, err := p.polygon(len(polys))
			polys = append(polys, rings)
			return err
		})
	} else {
		var rings []ring
		rings, err = p.polygon(0)
		polys = [][]ring{rings}
	}
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, fmt.Errorf("unexpected %q after the coordinates", p.b[p.i])
	}
	return polys, nil
}

type coordParser struct {
	b []byte
	i int
}

func (p *coordParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
			continue
		}
		return
	}
}

// array reads "[ elem, elem, ... ]", calling elem for each element.
func (p *coordParser) array(what string, elem func() error) error {
	p.space()
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		return fmt.Errorf("found %s where %s was expected", p.found(), what)
	}
	p.i++
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		p.space()
		if p.i >= len(p.b) {
			return errors.New("unexpected end of coordinates")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return fmt.Errorf("found %s inside %s", p.found(), what)
		}
	}
}

// found names what is at the cursor, for error messages.
func (p *coordParser) found() string {
	if p.i >= len(p.b) {
		return "the end"
	}
	switch c := p.b[p.i]; {
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == '"':
		return "a string"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	case c == 'n':
		return "null"
	case c == 't' || c == 'f':
		return "a boolean"
	default:
		return fmt.Sprintf("%q", c)
	}
}

func (p *coordParser) polygon(pi int) ([]ring, error) {
	var rings []ring
	err := p.array("a polygon (array of rings)", func() error {
		ri := len(rings)
		var r ring
		err := p.array("a ring (array of positions)", func() error {
			pt, err := p.position(pi, ri, len(r))
			r = append(r, pt)
			return err
		})
		rings = append(rings, r)
		return err
	})
	return rings, err
}

// position reads [lon, lat] (further numbers, such as altitude, are read and
// ignored) and checks it is a position in degrees.
func (p *coordParser) position(pi, ri, k int) (point, error) {
	var v [2]float64
	n := 0
	err := p.array("a position [longitude, latitude]", func() error {
		p.space()
		start := p.i
		for p.i < len(p.b) {
			c := p.b[p.i]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
				p.i++
				continue
			}
			break
		}
		if start == p.i {
			return fmt.Errorf("found %s where a number was expected", p.found())
		}
		x, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
		if err != nil {
			return fmt.Errorf("number %s is out of range", p.b[start:p.i])
		}
		if n < 2 {
			v[n] = x
		}
		n++
		return nil
	})
	if err != nil {
		return point{}, err
	}
	if n < 2 {
		return point{}, &coordError{pi, ri, k, fmt.Sprintf("has %d numbers; want [longitude, latitude]", n)}
	}
	lon, lat := v[0], v[1]
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return point{}, &coordError{pi, ri, k, fmt.Sprintf("[%g, %g] is not a longitude, latitude pair in degrees", lon, lat)}
	}
	return point{lon, lat}, nil
}
