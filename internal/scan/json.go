package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/scan/detect"
	"github.com/xborder/xborder/internal/scan/read"
)

// JSON Lines and GeoJSON records are flattened to (key, value) fields; a
// key's kind is decided by its name (the last path segment, like a CSV
// header) and each value is validated on its own. Unknown keys are scanned
// as free text.

type jfield struct {
	key string
	val []byte
	// coord: a [lon, lat] pair found in an array
	pair    bool
	lon, lt float64
}

func flattenJSON(prefix string, v any, out []jfield) []jfield {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			out = flattenJSON(key, e, out)
		}
	case []any:
		if len(x) >= 2 && len(x) <= 3 && coordKey(prefix) {
			a, ok1 := x[0].(json.Number)
			b, ok2 := x[1].(json.Number)
			if ok1 && ok2 {
				fa, e1 := a.Float64()
				fb, e2 := b.Float64()
				if e1 == nil && e2 == nil {
					return append(out, jfield{key: prefix, pair: true, lon: fa, lt: fb})
				}
			}
		}
		for _, e := range x {
			out = flattenJSON(prefix, e, out)
		}
	case string:
		out = append(out, jfield{key: prefix, val: []byte(x)})
	case json.Number:
		out = append(out, jfield{key: prefix, val: []byte(x.String())})
	}
	return out
}

// coordKey: arrays under these keys are [lon, lat] positions.
func coordKey(key string) bool {
	last := key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		last = key[i+1:]
	}
	switch detect.NormalizeHeader(last) {
	case "coordinates", "coordinate", "coords", "coord", "center", "centroid", "location", "loc", "position", "pos",
		"lnglat", "lonlat", "point", "gps", "geometry", "lnglats", "path", "track", "trajectory":
		return true
	}
	return false
}

// jsonKind decides a key's kind from its last path segment.
func jsonKind(key string) colKind {
	last := key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		last = key[i+1:]
	}
	switch detect.NormalizeHeader(last) {
	case "x", "y", "wd", "jd":
		// Weak coordinate names are taken from CSV headers only, where the
		// sampled values confirm them; JSON keys x/y are as often pixels.
		return kText
	}
	switch detect.HeaderHint(last) {
	case detect.HintVIN:
		return kVIN
	case detect.HintPlate:
		return kPlate
	case detect.HintCNID:
		return kCNID
	case detect.HintPhone:
		return kPhone
	case detect.HintLat:
		return kLat
	case detect.HintLon:
		return kLon
	case detect.HintTime, detect.HintDate:
		return kTime
	case detect.HintDevice:
		return kDevice
	case detect.HintVehicle:
		return kVehicleID
	case detect.HintPerson:
		return kPersonID
	}
	if detect.NormalizeHeader(last) == "id" {
		return kID
	}
	return kText
}

// jsonRow maps flattened fields onto the worker's growing schema and
// processes them as a row. Array pairs under a coordinate-ish key are
// [lon, lat] (GeoJSON order).
func (w *worker) jsonRow(fl []jfield) {
	if w.sch == nil {
		w.sch = &schema{vehKey: -1, perKey: -1}
		w.jcols = map[string]int{}
	}
	sc := w.sch
	fields := w.fields[:0]
	for range sc.kinds {
		fields = append(fields, nil)
	}
	w.rowNPts = 0
	var pairs [][2]float64
	var newCoords []int
	for _, f := range fl {
		if f.pair {
			pairs = append(pairs, [2]float64{f.lt, f.lon})
			continue
		}
		i, ok := w.jcols[f.key]
		if !ok {
			i = len(sc.kinds)
			w.jcols[f.key] = i
			k := jsonKind(f.key)
			sc.names = append(sc.names, f.key)
			sc.kinds = append(sc.kinds, k)
			sc.why = append(sc.why, "key name")
			sc.epoch = append(sc.epoch, detect.EpochNone)
			sc.slot = append(sc.slot, -1)
			if k == kLat || k == kLon {
				newCoords = append(newCoords, i)
			}
			sc.decideKeys()
			fields = append(fields, nil)
		}
		if sc.kinds[i] == kTime {
			if _, _, ok := detect.Epoch(f.val); ok {
				sc.epoch[i] = detect.EpochSeconds
			} else {
				sc.epoch[i] = detect.EpochNone
			}
		}
		fields[i] = f.val
	}
	if len(newCoords) > 0 {
		if msg := sc.pairJSON(newCoords); msg != "" {
			w.problem("%s", msg)
		}
	}
	w.noteJSONXY(fl)
	w.fields = fields
	w.rowPending = pairs
	w.row(fields)
}

// jsonStem is what pairs a latitude key with its longitude: the parent
// path and the key's name without its coordinate word ("gps.lat" and
// "gps.lng": "gps."; "pickup_lat" and "pickup_lon": ".pickup").
func jsonStem(key string) string {
	last, parent := key, ""
	if j := strings.LastIndexByte(key, '.'); j >= 0 {
		parent, last = key[:j], key[j+1:]
	}
	_, stem, _ := detect.CoordHeader(last)
	return detect.NormalizeHeader(parent) + "." + stem
}

// pairJSON pairs the coordinate keys first seen in a record: with a pair
// of earlier records still missing that side and of the same stem, then
// with each other by stem, then (one latitude and one longitude left) with
// each other whatever their names; a key left alone waits for its partner
// in later records (until then its values are incomplete coordinates).
// Several pairs make several points per record.
func (sc *schema) pairJSON(cols []int) string {
	sort.Slice(cols, func(a, b int) bool { return sc.names[cols[a]] < sc.names[cols[b]] })
	stems := make([]string, len(cols))
	for n, c := range cols {
		stems[n] = jsonStem(sc.names[c])
	}
	done := make([]bool, len(cols))
	partner := func(p coordPair) int {
		if p.lat >= 0 {
			return p.lat
		}
		return p.lon
	}
	// 1. Pending pairs of earlier records.
	for n, c := range cols {
		isLat := sc.kinds[c] == kLat
		for p := range sc.pairs {
			q := &sc.pairs[p]
			if (isLat && q.lat < 0 || !isLat && q.lon < 0) && jsonStem(sc.names[partner(*q)]) == stems[n] {
				sc.setSide(p, c, isLat)
				done[n] = true
				break
			}
		}
	}
	// 2. Each other, by stem.
	var lat, lon []int
	for n, c := range cols {
		if done[n] || sc.kinds[c] != kLat {
			continue
		}
		for m, d := range cols {
			if !done[m] && sc.kinds[d] == kLon && stems[m] == stems[n] {
				if msg := sc.newPair(c, d); msg != "" {
					return msg
				}
				done[n], done[m] = true, true
				break
			}
		}
	}
	for n, c := range cols {
		if !done[n] {
			if sc.kinds[c] == kLat {
				lat = append(lat, c)
			} else {
				lon = append(lon, c)
			}
		}
	}
	// 3. One of each left: a pair whatever the names.
	if len(lat) == 1 && len(lon) == 1 {
		return sc.newPair(lat[0], lon[0])
	}
	// 4. Alone: wait for a partner.
	for _, c := range lat {
		if msg := sc.newPair(c, -1); msg != "" {
			return msg
		}
	}
	for _, c := range lon {
		if msg := sc.newPair(-1, c); msg != "" {
			return msg
		}
	}
	return ""
}

func (sc *schema) setSide(p, col int, isLat bool) {
	if isLat {
		sc.pairs[p].lat = col
		sc.slot[col] = int8(2 * p)
	} else {
		sc.pairs[p].lon = col
		sc.slot[col] = int8(2*p + 1)
	}
}

// newPair adds a pair (a side may be -1: not seen yet).
func (sc *schema) newPair(lat, lon int) string {
	if len(sc.pairs) >= maxPairs {
		msg := fmt.Sprintf("more than %d coordinate pairs in a record: key(s)", maxPairs)
		for _, c := range []int{lat, lon} {
			if c >= 0 {
				sc.kinds[c] = kNumber
				msg += " " + sc.names[c]
			}
		}
		return msg + " not used as coordinates"
	}
	p := len(sc.pairs)
	sc.pairs = append(sc.pairs, coordPair{-1, -1})
	if lat >= 0 {
		sc.setSide(p, lat, true)
	}
	if lon >= 0 {
		sc.setSide(p, lon, false)
	}
	return ""
}

func (w *worker) jsonRecord(rec []byte) {
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		w.malformed++
		msg := "not a JSON value"
		if err != nil {
			msg = jsonErrText(err)
		}
		w.problem("invalid JSON (%s); line scanned as free text", msg)
		w.textRecord(rec)
		return
	}
	w.jsonRow(flattenJSON("", v, w.jbuf[:0]))
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}

// geojson streams a FeatureCollection (or a single Feature): each feature
// is a record; Point, MultiPoint, LineString and MultiLineString coordinates
// are points; polygons are reported, not counted as points.
func (w *worker) geojson(ctx context.Context, r io.Reader) error {
	lt := newLineTracker(r)
	dec := json.NewDecoder(lt)
	dec.UseNumber()
	// Walk to the "features" array, or treat the document as one feature.
	tok, err := dec.Token()
	if err != nil {
		return w.geojsonErr(lt, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return w.geojsonErr(lt, dec, errors.New("a GeoJSON document must be an object"))
	}
	polygons := 0
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return w.geojsonErr(lt, dec, err)
		}
		key, _ := kt.(string)
		if key != "features" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return w.geojsonErr(lt, dec, err)
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return w.geojsonErr(lt, dec, fmt.Errorf("\"features\" must be an array"))
		}
		n := 0
		for dec.More() {
			if n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			n++
			w.line = lt.lineAt(dec.InputOffset())
			w.prefix = fmt.Sprintf("feature %d: ", n)
			var feat struct {
				Geometry *struct {
					Type        string          `json:"type"`
					Coordinates json.RawMessage `json:"coordinates"`
				} `json:"geometry"`
				Properties map[string]any `json:"properties"`
			}
			if err := dec.Decode(&feat); err != nil {
				return w.geojsonErr(lt, dec, err)
			}
			w.records++
			var fl []jfield
			if feat.Properties != nil {
				fl = flattenJSON("properties", map[string]any(feat.Properties), w.jbuf[:0])
			}
			if g := feat.Geometry; g != nil {
				switch g.Type {
				case "Point":
					var c []json.Number
					if err := json.Unmarshal(g.Coordinates, &c); err != nil || len(c) < 2 {
						w.invalid++
						w.problem("Point without two numeric coordinates; not used")
					} else {
						fl = append(fl, jfield{key: "geometry.lon", val: []byte(c[0].String())}, jfield{key: "geometry.lat", val: []byte(c[1].String())})
					}
				case "MultiPoint", "LineString", "MultiLineString":
					var pts [][]float64
					var lines [][][]float64
					if g.Type == "MultiLineString" {
						if json.Unmarshal(g.Coordinates, &lines) == nil {
							for _, l := range lines {
								pts = append(pts, l...)
							}
						}
					} else {
						_ = json.Unmarshal(g.Coordinates, &pts)
					}
					for _, p := range pts {
						if len(p) >= 2 {
							fl = append(fl, jfield{key: "geometry", pair: true, lon: p[0], lt: p[1]})
						}
					}
				case "Polygon", "MultiPolygon":
					polygons++
					if polygons == 1 {
						w.problem("polygon geometries are areas, not positions; their vertices are not counted as points (further polygons not listed)")
					}
				}
			}
			w.jsonRow(fl)
		}
		if _, err := dec.Token(); err != nil {
			return w.geojsonErr(lt, dec, err)
		}
	}
	w.flush()
	return nil
}

// jsonDoc streams a JSON document: the elements of a top-level array, or
// the values of a top-level object's keys, are the records (each decoded
// whole, so memory is bounded by the largest element, not the file).
func (w *worker) jsonDoc(ctx context.Context, r io.Reader) error {
	lt := newLineTracker(r)
	dec := json.NewDecoder(lt)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return w.geojsonErr(lt, dec, err)
	}
	d, ok := tok.(json.Delim)
	if !ok || (d != '[' && d != '{') {
		w.records++
		w.flush()
		return nil
	}
	n := 0
	for dec.More() {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		n++
		prefix := ""
		if d == '{' {
			kt, err := dec.Token()
			if err != nil {
				return w.geojsonErr(lt, dec, err)
			}
			prefix, _ = kt.(string)
		}
		w.line = lt.lineAt(dec.InputOffset())
		w.prefix = fmt.Sprintf("element %d: ", n)
		var v any
		if err := dec.Decode(&v); err != nil {
			return w.geojsonErr(lt, dec, err)
		}
		w.records++
		if prefix != "" {
			// The key itself may be an identifier (a VIN-keyed map).
			detect.ScanText([]byte(prefix), allText, w)
		}
		w.jsonRow(flattenJSON(prefix, v, w.jbuf[:0]))
	}
	if _, err := dec.Token(); err != nil {
		return w.geojsonErr(lt, dec, err)
	}
	w.flush()
	return nil
}

func (w *worker) geojsonErr(lt *lineTracker, dec *json.Decoder, err error) error {
	w.prefix = ""
	var se *read.StreamError
	if errors.As(err, &se) {
		// The stream broke (a truncated gzip): the JSON itself was fine
		// up to there.
		w.stopLine = lt.lines
		w.flush()
		return err
	}
	w.malformed++
	w.probs.add(lt.lineAt(dec.InputOffset()), "invalid JSON (%s); the rest of the file was not scanned", jsonErrText(err))
	w.flush()
	return errStopped
}

var errStopped = errors.New("file not scanned to the end")

// lineTracker counts newlines of a stream and answers the line number of a
// recent byte offset, keeping only the last few blocks (bounded memory).
type lineTracker struct {
	r      io.Reader
	blocks []ltBlock
	off    int64
	lines  int64
}

type ltBlock struct {
	off, line int64
	data      []byte
}

func newLineTracker(r io.Reader) *lineTracker { return &lineTracker{r: r, lines: 1} }

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		b := ltBlock{off: t.off, line: t.lines, data: append([]byte(nil), p[:n]...)}
		t.blocks = append(t.blocks, b)
		if len(t.blocks) > 16 {
			t.blocks = t.blocks[1:]
		}
		t.off += int64(n)
		t.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
	}
	return n, err
}

func (t *lineTracker) lineAt(off int64) int64 {
	for i := len(t.blocks) - 1; i >= 0; i-- {
		b := t.blocks[i]
		if off >= b.off {
			k := off - b.off
			if k > int64(len(b.data)) {
				k = int64(len(b.data))
			}
			return b.line + int64(bytes.Count(b.data[:k], []byte{'\n'}))
		}
	}
	if len(t.blocks) > 0 {
		return t.blocks[0].line
	}
	return 1
}

// noteJSONXY counts a record whose sibling keys x and y (same parent) both
// hold numbers that may be a position: within degree range (±180 and ±90,
// either way round; with a fraction or whole, as in CSV whole numbers in
// range cannot be told from pixels), or both 10,000 or more (projected
// metres). JSON keys x/y are not read as coordinates (they are as often
// pixels), so such records make contains_coordinates undetermined when no
// valid coordinate is found; pixel boxes beyond degree range do not.
func (w *worker) noteJSONXY(fl []jfield) {
	var xs, ys map[string]float64
	for _, f := range fl {
		if f.pair {
			continue
		}
		parent, last := "", f.key
		if i := strings.LastIndexByte(f.key, '.'); i >= 0 {
			parent, last = f.key[:i], f.key[i+1:]
		}
		n := detect.NormalizeHeader(last)
		if n != "x" && n != "y" {
			continue
		}
		v, err := strconv.ParseFloat(string(bytes.TrimSpace(f.val)), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
			continue
		}
		if n == "x" {
			if xs == nil {
				xs = map[string]float64{}
			}
			xs[parent] = v
		} else {
			if ys == nil {
				ys = map[string]float64{}
			}
			ys[parent] = v
		}
	}
	for parent, x := range xs {
		y, ok := ys[parent]
		if !ok {
			continue
		}
		ax, ay := math.Abs(x), math.Abs(y)
		degrees := ax <= 180 && ay <= 180 && (ay <= 90 || ax <= 90)
		projected := ax >= projectedMin && ay >= projectedMin
		if !degrees && !projected {
			continue
		}
		w.jxy.see(w.line, x, y)
		return
	}
}
