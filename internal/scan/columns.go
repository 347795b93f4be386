package scan

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/xborder/xborder/internal/scan/detect"
)

// colKind is what a column was decided to hold.
type colKind uint8

const (
	kText colKind = iota
	kNumber
	kVIN
	kPlate
	kCNID
	kPhone
	kLat
	kLon
	kTime
	kDate
	kClock
	kDevice
	kVehicleID
	kPersonID
	kID
)

var kindNames = [...]string{"text", "number", "vin", "plate", "cn_id", "phone", "lat", "lon", "time", "date", "clock", "device_id", "vehicle_id", "person_id", "id"}

func (k colKind) String() string { return kindNames[k] }

// colStats are the sampled facts about one column.
type colStats struct {
	nonEmpty                                int
	vin, plate, cnid, phone                 int
	float, fracDigits, fracVals, absOver90  int
	fracNonZero                             int // decimals with a non-zero fraction
	inLat, inLon                            int
	big                                     int // numbers of 10,000 and more in magnitude (projected metres)
	zero                                    int // numbers that are exactly 0 (0,0: no GPS fix)
	epochS, epochMs, dateTime, zoned, clock int
	dateOnly                                int
	idLike                                  int
	distinct                                map[string]struct{}
}

const sampleDistinctCap = 4096

func (s *colStats) add(v []byte) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return
	}
	s.nonEmpty++
	if s.distinct == nil {
		s.distinct = map[string]struct{}{}
	}
	if len(s.distinct) < sampleDistinctCap {
		s.distinct[string(v)] = struct{}{}
	}
	if detect.CheckVIN(v) != detect.VINInvalid {
		s.vin++
	}
	var key [16]byte
	if detect.PlateKey(v, &key) > 0 {
		s.plate++
	}
	if detect.CheckCNID(v) {
		s.cnid++
	}
	var d [11]byte
	if detect.NormalizeMobile(v, &d) {
		s.phone++
	}
	if f, ok := detect.ParseFloat(v); ok {
		s.float++
		if dot := bytes.IndexByte(v, '.'); dot >= 0 {
			s.fracVals++
			s.fracDigits += len(v) - dot - 1
			if len(bytes.Trim(v[dot+1:], "0")) > 0 {
				s.fracNonZero++
			}
		}
		if f >= -90 && f <= 90 {
			s.inLat++
		}
		if f >= projectedMin || f <= -projectedMin {
			s.big++
		}
		if f == 0 {
			s.zero++
		}
		if f >= -180 && f <= 180 {
			s.inLon++
			if f > 90 || f < -90 {
				s.absOver90++
			}
		}
	}
	if _, unit, ok := detect.Epoch(v); ok {
		if unit == detect.EpochMillis {
			s.epochMs++
		} else {
			s.epochS++
		}
	}
	if _, zoned, ok := detect.ParseDateTime(v); ok {
		s.dateTime++
		if zoned {
			s.zoned++
		}
		if len(v) <= 10 {
			s.dateOnly++
		}
	}
	if isClock(v) {
		s.clock++
	}
	if idLike(v) {
		s.idLike++
	}
}

// isClock: hh:mm:ss.
func isClock(v []byte) bool {
	if len(v) != 8 || v[2] != ':' || v[5] != ':' {
		return false
	}
	return detect.AllDigits(v[0:2]) && detect.AllDigits(v[3:5]) && detect.AllDigits(v[6:8])
}

// idLike: a token of 6-64 letters, digits, '-' or '_' with at least one
// digit and not a plain decimal number (hashes, UUIDs, serials, IMEIs).
func idLike(v []byte) bool {
	if len(v) < 6 || len(v) > 64 {
		return false
	}
	digits, letters := 0, 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letters++
		case c == '-' || c == '_':
		default:
			return false
		}
	}
	return digits > 0 && (letters > 0 || len(v) >= 15)
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// maxPairs is how many coordinate pairs a record may hold (each a point).
const maxPairs = 32

// coordPair is a latitude and a longitude column (-1: not seen yet, JSON).
type coordPair struct{ lat, lon int }

// schema is the per-column plan for a tabular file.
type schema struct {
	// tentative names x/y pairs read on an assumption alone (blank in the
	// sample, or no sampled row in mainland China either way round): if no
	// point of the file then falls in mainland China, its points do not
	// make contains_coordinates true (see FileReport.TentativePoints).
	tentative []string
	names     []string
	kinds     []colKind
	why       []string
	// pairs are the coordinate pairs of a record; slot maps a column to
	// 2*pair (latitude) or 2*pair+1 (longitude), -1 for other columns.
	pairs []coordPair
	slot  []int8
	// scale per pair: a divisor for integer degrees (1e6, 1e7), 0 for
	// degrees (scaledDegrees).
	scale []float64
	// Coordinate problems found while deciding (header swapped, order
	// assumed, possible coordinates not used).
	notes []string
	// unused counts those of the notes that report possible coordinates
	// not used (unusedNote): when a file has some and no valid coordinate,
	// contains_coordinates is undetermined, not false.
	unused int
	// vehKey / perKey are the columns whose values key distinct vehicles and
	// people (-1: none).
	vehKey, perKey int
	// timeUTC: zone-less times in this file are UTC (GeoLife PLT says GMT).
	timeUTC bool
	// timeUnit per time column: epoch seconds/millis or date-time text.
	epoch []detect.EpochUnit
}

// unusedNote adds a note that the scan saw values that may be coordinates
// (or positions it does not convert) and did not use them.
func (sc *schema) unusedNote(format string, args ...any) {
	sc.notes = append(sc.notes, fmt.Sprintf(format, args...))
	sc.unused++
}

func colName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("column %d", i+1)
}

// decideSchema classifies columns from sampled records. A header hint
// needs more than half of the sampled values to validate; without a hint
// 90% must. So a column named "vin" whose values are mostly not VINs is
// scanned as text, and a column of valid VINs is found without a header.
func decideSchema(header []string, n int, sample [][][]byte, mainland func(lat, lon float64) bool) *schema {
	if len(header) > n {
		n = len(header)
	}
	st := make([]colStats, n)
	for _, rec := range sample {
		for i, f := range rec {
			if i < n {
				st[i].add(f)
			}
		}
	}
	sc := &schema{names: header, kinds: make([]colKind, n), why: make([]string, n), epoch: make([]detect.EpochUnit, n),
		slot: make([]int8, n), vehKey: -1, perKey: -1}
	for i := range sc.slot {
		sc.slot[i] = -1
	}
	hints := make([]detect.Hint, n)
	for i := 0; i < n; i++ {
		if i < len(header) {
			hints[i] = detect.HeaderHint(header[i])
		}
	}
	for i := 0; i < n; i++ {
		s := &st[i]
		h := hints[i]
		// bar is the share of sampled values that must validate: more than
		// half with a header hint for the kind, 90% without any hint.
		bar := func(hinted bool) float64 {
			if hinted {
				return 0.5 + 1e-9
			}
			return 0.9
		}
		ok := func(c int, hinted detect.Hint) bool {
			if s.nonEmpty == 0 {
				return false
			}
			if h == hinted {
				return share(c, s.nonEmpty) >= 0.5+1e-9
			}
			return h == detect.HintNone && share(c, s.nonEmpty) >= 0.9
		}
		why := func(c int) string {
			p := fmt.Sprintf("%d of %d sampled values valid", c, s.nonEmpty)
			if h != detect.HintNone {
				return "header; " + p
			}
			return p
		}
		switch {
		case ok(s.vin, detect.HintVIN):
			sc.kinds[i], sc.why[i] = kVIN, why(s.vin)
		case ok(s.plate, detect.HintPlate):
			sc.kinds[i], sc.why[i] = kPlate, why(s.plate)
		case ok(s.cnid, detect.HintCNID):
			sc.kinds[i], sc.why[i] = kCNID, why(s.cnid)
		case ok(s.phone, detect.HintPhone):
			sc.kinds[i], sc.why[i] = kPhone, why(s.phone)
		case h == detect.HintDate && ok(s.dateTime, detect.HintDate):
			sc.kinds[i], sc.why[i] = kDate, why(s.dateTime)
		case h == detect.HintClock || (h == detect.HintNone && s.nonEmpty > 0 && share(s.clock, s.nonEmpty) >= 0.9):
			sc.kinds[i], sc.why[i] = kClock, why(s.clock)
		case (h == detect.HintTime || h == detect.HintDate || h == detect.HintNone) && s.nonEmpty > 0 &&
			share(s.dateTime, s.nonEmpty) >= bar(h != detect.HintNone):
			sc.kinds[i], sc.why[i] = kTime, why(s.dateTime)
		case (h == detect.HintTime || h == detect.HintNone) && s.nonEmpty > 0 &&
			share(s.epochS+s.epochMs, s.nonEmpty) >= bar(h != detect.HintNone) &&
			(h != detect.HintNone || len(s.distinct) > 1):
			sc.kinds[i], sc.why[i] = kTime, why(s.epochS+s.epochMs)
			sc.epoch[i] = detect.EpochSeconds
			if s.epochMs > s.epochS {
				sc.epoch[i] = detect.EpochMillis
			}
		case h == detect.HintDevice:
			sc.kinds[i], sc.why[i] = kDevice, "header"
		case h == detect.HintVehicle:
			sc.kinds[i], sc.why[i] = kVehicleID, "header"
		case h == detect.HintPerson:
			sc.kinds[i], sc.why[i] = kPersonID, "header"
		case h == detect.HintID && (detect.NormalizeHeader(header[i]) == "id"):
			sc.kinds[i], sc.why[i] = kID, "header"
		case s.nonEmpty > 0 && share(s.float, s.nonEmpty) >= 0.9:
			sc.kinds[i], sc.why[i] = kNumber, fmt.Sprintf("%d of %d sampled values are numbers", s.float, s.nonEmpty)
		case h == detect.HintNone && s.nonEmpty > 0 && share(s.idLike, s.nonEmpty) >= 0.9 && len(s.distinct) < s.nonEmpty:
			sc.kinds[i], sc.why[i] = kID, fmt.Sprintf("identifier-like values (%d of %d), repeated", s.idLike, s.nonEmpty)
		default:
			sc.kinds[i] = kText
			if h != detect.HintNone && h != detect.HintID {
				sc.why[i] = fmt.Sprintf("header says %s but only %s; scanned as text", h, why(validFor(s, h)))
			}
		}
	}
	if mainland == nil {
		mainland = mainlandBox
	}
	sc.decideCoordinates(header, hints, st, sample, mainland)
	sc.decideKeys()
	return sc
}

// mainlandBox stands in for the boundaries when none are loaded: only to
// tell the order of a headerless pair, never to place a point.
func mainlandBox(lat, lon float64) bool {
	return lon >= 73.4 && lon <= 135.1 && lat >= 18.1 && lat <= 53.6
}

func validFor(s *colStats, h detect.Hint) int {
	switch h {
	case detect.HintVIN:
		return s.vin
	case detect.HintPlate:
		return s.plate
	case detect.HintCNID:
		return s.cnid
	case detect.HintPhone:
		return s.phone
	case detect.HintTime, detect.HintDate:
		return s.dateTime + s.epochS + s.epochMs
	case detect.HintLat:
		return s.inLat
	case detect.HintLon:
		return s.inLon
	}
	return 0
}

// decideCoordinates picks the coordinate pairs of a record.
//
// Headers decide first: a column named like a latitude or longitude (exact
// names such as lat or 纬度, or the word as a token: pickup_lat, center_lon,
// lat_gcj02, wd/jd) is a coordinate column; token and weak names need
// coordinate-like values, exact names a majority of numbers, and a column
// empty throughout the sample keeps its header's word. Columns named x and
// y are a pair when their values are degrees (in degree range, with
// fractions) wherever they fall, or when they are empty in the sample; what
// may be coordinates but cannot be told (projected metres, whole numbers in
// degree range) is reported and leaves contains_coordinates undetermined,
// and planar positions beyond degree range are reported (planarPair).
// Latitudes pair with the longitude of the same stem (pickup_lat with
// pickup_lon), then with the nearest unpaired one. When a pair's latitude
// column holds values beyond ±90 and its longitude column does not, the
// header is swapped: that is reported and the columns are read by their
// values.
//
// Without a header, values decide: a column of decimals (3+ fraction digits)
// mostly beyond ±90 is a longitude and the nearest such column within ±90
// its latitude; two adjacent such columns both within ±90 are taken in the
// order that places most sampled rows in mainland China (neither: not
// taken, and said). A header naming no coordinate column never gets one
// from values alone (measurements look like coordinates), but unused
// columns that look like coordinates are reported.
func (sc *schema) decideCoordinates(header []string, hints []detect.Hint, st []colStats, sample [][][]byte, mainland func(lat, lon float64) bool) {
	n := len(st)
	type cand struct {
		col  int
		stem string
		why  string
		weak bool // y, x, wd, jd: coordinates only as a pair
	}
	var lats, lons []cand
	var xs, ys []int // columns named x and y: coordinates only if their values allow (planarPair)
	for i := 0; i < n && i < len(header); i++ {
		h, stem, exact := detect.CoordHeader(header[i])
		weak := detect.WeakCoordName(header[i])
		if h == detect.HintNone || (hints[i] != h && !(weak && hints[i] == detect.HintNone)) {
			continue
		}
		if weak && planarName(header[i]) {
			if h == detect.HintLon {
				xs = append(xs, i)
			} else {
				ys = append(ys, i)
			}
			continue
		}
		s := &st[i]
		why := "header"
		switch {
		case s.nonEmpty == 0:
			why = "header; no value in the sample"
		case exact && share(s.float, s.nonEmpty) > 0.5:
		case !exact && share(s.float, s.nonEmpty) >= 0.9 && share(s.inLon, s.float) >= 0.9:
		case weak:
			continue // a column named x that holds something else
		default:
			sc.unusedNote("column %q is named like a %s but only %d of %d sampled values are coordinates; not used as coordinates",
				colName(header, i), h, min(s.float, s.inLon), s.nonEmpty)
			continue
		}
		c := cand{col: i, stem: stem, why: why, weak: weak}
		if h == detect.HintLat {
			lats = append(lats, c)
		} else {
			lons = append(lons, c)
		}
	}
	// The k-th x column goes with the k-th y column, and with nothing else
	// (a stem of their own).
	for k := 0; k < len(xs) && k < len(ys); k++ {
		if lat, lon, why, ok := sc.planarPair(header, st, sample, mainland, xs[k], ys[k]); ok {
			stem := fmt.Sprintf("\x00xy%d", k)
			lats = append(lats, cand{col: lat, stem: stem, why: why, weak: true})
			lons = append(lons, cand{col: lon, stem: stem, why: why, weak: true})
		}
	}
	// Pair latitudes and longitudes: same stem first, then nearest.
	latUsed, lonUsed := make([]bool, len(lats)), make([]bool, len(lons))
	type pairCand struct{ la, lo cand }
	var pairs []pairCand
	for a, la := range lats {
		for b, lo := range lons {
			if !lonUsed[b] && lo.stem == la.stem && lo.weak == la.weak {
				latUsed[a], lonUsed[b] = true, true
				pairs = append(pairs, pairCand{la, lo})
				break
			}
		}
	}
	for a, la := range lats {
		if latUsed[a] {
			continue
		}
		best := -1
		for b, lo := range lons {
			if !lonUsed[b] && (best < 0 || abs(lo.col-la.col) < abs(lons[best].col-la.col)) {
				best = b
			}
		}
		if best >= 0 && !la.weak && !lons[best].weak {
			latUsed[a], lonUsed[best] = true, true
			pairs = append(pairs, pairCand{la, lons[best]})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		return min(pairs[i].la.col, pairs[i].lo.col) < min(pairs[j].la.col, pairs[j].lo.col)
	})
	for _, p := range pairs {
		lat, lon := p.la.col, p.lo.col
		la, lo := &st[lat], &st[lon]
		if la.float > 0 && lo.float > 0 && share(la.absOver90, la.float) > 0.5 && share(lo.absOver90, lo.float) < 0.5 {
			sc.notes = append(sc.notes, fmt.Sprintf("header %q holds longitudes and %q latitudes (columns swapped in the header); coordinates read by value range",
				colName(header, lat), colName(header, lon)))
			lat, lon = lon, lat
		}
		why := p.la.why
		if p.lo.why != why {
			why = p.la.why + " / " + p.lo.why
		}
		if d, name, swap, ok := scaledDegrees(sample, lat, lon, mainland); ok {
			if swap {
				lat, lon = lon, lat
			}
			sc.notes = append(sc.notes, fmt.Sprintf("columns %s,%s: values read as %s (integers divided by %s)",
				colName(header, lat), colName(header, lon), name, trimFloat(d)))
			why += "; " + name
			k := len(sc.pairs)
			if sc.addPair(lat, lon, why); len(sc.pairs) > k {
				sc.scale[k] = d
			}
			continue
		}
		sc.addPair(lat, lon, why)
	}
	coordish := func(i int) bool {
		s := &st[i]
		return sc.kinds[i] == kNumber && sc.slot[i] < 0 && s.nonEmpty > 0 && share(s.float, s.nonEmpty) >= 0.9 &&
			share(s.fracVals, s.nonEmpty) >= 0.9 && float64(s.fracDigits)/float64(max(s.fracVals, 1)) >= 3 &&
			share(s.inLon, s.float) >= 0.9
	}
	// One side named: find the other among unnamed decimal columns.
	single := func(col int, isLat bool) {
		for d := 1; d < n; d++ {
			for _, j := range []int{col + d, col - d} {
				if j < 0 || j >= n || hints[j] != detect.HintNone || !coordish(j) {
					continue
				}
				if isLat && share(st[j].absOver90, st[j].float) > 0.5 {
					sc.addPair(col, j, "header and value range")
					return
				}
				if !isLat && share(st[j].inLat, st[j].float) >= 0.9 {
					sc.addPair(j, col, "header and value range")
					return
				}
			}
		}
		side, other := "latitude", "longitude"
		if !isLat {
			side, other = other, side
		}
		sc.unusedNote("possible coordinates in column %q not used: named like a %s, but no %s column goes with it",
			colName(header, col), side, other)
	}
	for a, la := range lats {
		if !latUsed[a] && !la.weak {
			single(la.col, true)
		}
	}
	for b, lo := range lons {
		if !lonUsed[b] && !lo.weak {
			single(lo.col, false)
		}
	}
	if len(header) == 0 {
		sc.valuePairs(st, sample, mainland, coordish)
	}
	// Paired columns x and y were reported by planarPair if at all; a lone
	// x or y is looked at with the other numbers.
	xy := map[int]bool{}
	for k := 0; k < len(xs) && k < len(ys); k++ {
		xy[xs[k]], xy[ys[k]] = true, true
	}
	sc.possibleCoordinates(header, st, sample, mainland, xy)
	if len(sc.pairs) > 1 {
		for k, p := range sc.pairs {
			sc.why[p.lat] += fmt.Sprintf("; pair %d (with column %d)", k+1, p.lon+1)
			sc.why[p.lon] += fmt.Sprintf("; pair %d (with column %d)", k+1, p.lat+1)
		}
	}
}

// planarName: the header is x or y (any case), names as often given to
// pixel positions, bounding boxes or sensor-frame offsets in metres as to
// longitudes and latitudes.
func planarName(h string) bool {
	n := detect.NormalizeHeader(h)
	return n == "x" || n == "y"
}

// Thresholds for reading columns named x and y.
const (
	// degreeRange is the share of a column's sampled numbers that must be
	// within the range of its side (±180 for the longitude, ±90 for the
	// latitude) for x and y to be in degree range.
	degreeRange = 0.9
	// fractionShare of a column's non-zero sampled numbers must carry a
	// non-zero fraction for degrees (GPS positions have 5 or 6 decimals,
	// coarse exports 1): exact zeros (0,0 rows, no GPS fix) are left out
	// of the share. Whole numbers in degree range may be pixels or integer
	// degrees: which cannot be told.
	fractionShare = 0.5
	// projectedMin: x and y of this magnitude and more (90% of the
	// non-zero numbers of each column) are metres in a projected system
	// (UTM, CGCS2000 Gauss-Krüger, Web Mercator), far beyond degrees and
	// beyond most images.
	projectedMin = 10000
)

// planarPair decides whether columns named x and y hold longitudes and
// latitudes, and if so which is which. A missed coordinate is far worse
// than a position read from pixels, so degrees are read wherever they fall,
// and what cannot be told apart from coordinates leaves the file's
// contains_coordinates undetermined (unusedNote), never false. Both columns
// must be numbers (90% of the sampled values); then:
//
//   - empty throughout the sample (or holding only exact zeros, 0,0 rows
//     without a GPS fix): read as coordinates by the header, x the
//     longitude, as other coordinate names are; values arriving later are
//     placed.
//   - projected: 90% of the non-zero numbers of each column are 10,000 or
//     more in magnitude: positions in a projected system (UTM, CGCS2000,
//     Web Mercator) that the scan does not convert. Not read; reported,
//     and contains_coordinates is undetermined.
//   - in degree range (x within ±180 and y within ±90 for 90% of the
//     numbers, or the other way round) and carrying fractions (in each
//     column at least half of the NON-ZERO values have a non-zero fraction;
//     one decimal is enough): coordinates, whatever place they fall in.
//     The mainland only decides the order: the one that puts more of up to
//     500 sampled rows in mainland China (x as the latitude is reported as
//     a swapped header); when neither does, x is the longitude and y the
//     latitude (the convention, said when both would fit as latitudes) and
//     the geography counts the points where they fall, abroad too; x is
//     the latitude by range alone when only that order fits.
//   - in degree range but whole numbers (fewer than half of the non-zero
//     values of a column with a fraction): pixels in range or integer
//     degrees, which cannot be told: not read; reported, and
//     contains_coordinates is undetermined.
//   - beyond degree range and below 10,000 (pixel boxes such as CCPD's,
//     sensor-frame metres): planar positions, reported, not coordinates;
//     contains_coordinates is not made undetermined by them.
//
// Columns that are not numbers are neither read nor reported here.
func (sc *schema) planarPair(header []string, st []colStats, sample [][][]byte, mainland func(lat, lon float64) bool, x, y int) (lat, lon int, why string, ok bool) {
	sx, sy := &st[x], &st[y]
	// blank: nothing in the sample to judge (empty, or exact zeros only).
	blank := func(s *colStats) bool { return s.nonEmpty == 0 || s.zero == s.nonEmpty }
	numbers := func(s *colStats) bool { return blank(s) || share(s.float, s.nonEmpty) >= 0.9 }
	if !numbers(sx) || !numbers(sy) {
		return 0, 0, "", false
	}
	names := colName(header, x) + "," + colName(header, y)
	xn, yn := colName(header, x), colName(header, y)
	if blank(sx) && blank(sy) {
		sc.tentative = append(sc.tentative, names+" (no value but 0 in the sample)")
		return y, x, "header x/y; no value but 0 in the sample", true
	}
	nonZero := func(s *colStats) int { return s.float - s.zero }
	type side struct {
		name string
		s    *colStats
	}
	judged := []side{}
	for _, c := range []side{{xn, sx}, {yn, sy}} {
		if !blank(c.s) {
			judged = append(judged, c)
		}
	}
	projected := true
	for _, c := range judged {
		projected = projected && share(c.s.big, nonZero(c.s)) >= 0.9
	}
	if projected {
		var counts []string
		for _, c := range judged {
			counts = append(counts, fmt.Sprintf("%d of %d", c.s.big, nonZero(c.s)))
		}
		sc.unusedNote("columns %s may hold positions in a projected coordinate system (%s non-zero sampled values are 10,000 or more, as metres in UTM or CGCS2000 Gauss-Krüger are), which the scan does not convert: not counted as positions, and contains_coordinates is left undetermined; convert them to longitude and latitude to place them",
			names, strings.Join(counts, " and "))
		return 0, 0, "", false
	}
	// A sentinel repeated in the sample (-999, 9999: no fix) beyond a
	// side's range is a placeholder, left out of the range share.
	sent := map[int][2]int{x: sentinels(sample, x), y: sentinels(sample, y)}
	fits := func(s *colStats, limit int) bool {
		in, c := s.inLon, sent[x][1]
		if s == sy {
			c = sent[y][1]
		}
		if limit == 90 {
			in = s.inLat
			c = sent[x][0]
			if s == sy {
				c = sent[y][0]
			}
		}
		return blank(s) || share(in, s.float-c) >= degreeRange
	}
	fractions := func() bool {
		for _, c := range judged {
			if share(c.s.fracNonZero, nonZero(c.s)) < fractionShare {
				return false
			}
		}
		return true
	}
	xLon := fits(sx, 180) && fits(sy, 90) // x the longitude, y the latitude
	xLat := fits(sx, 90) && fits(sy, 180) // the other way round
	if !xLon && !xLat && fits(sx, 180) && fits(sy, 180) && fractions() {
		// Both within ±180 with fractions, but neither column within ±90
		// for 90% of its numbers: degrees with a share of the rows
		// swapped. Read in the order that puts more sampled rows in
		// mainland China (x the longitude when neither does); rows
		// invalid in that order are counted invalid.
		yx, xy, tested := orderInChina(sample, y, x, mainland)
		lat, lon, la, lo := y, x, yn, xn
		if xy > yx {
			lat, lon, la, lo = x, y, xn, yn
		}
		sc.notes = append(sc.notes, fmt.Sprintf("columns %s read as degrees with %s as the latitude and %s as the longitude (%d of %d sampled rows in mainland China that way, %d the other way round), though neither column is within ±90 for %.0f%% of its sampled values: rows with the columns the other way round are counted invalid",
			names, la, lo, max(yx, xy), tested, min(yx, xy), degreeRange*100))
		return lat, lon, fmt.Sprintf("header x/y and degree-like values, mixed order; %d of %d sampled rows in mainland China", max(yx, xy), tested), true
	}
	if !xLon && !xLat {
		reason := ""
		for _, c := range judged {
			if out := c.s.float - c.s.inLon; share(out, c.s.float) > 1-degreeRange {
				reason = fmt.Sprintf("%d of %d sampled values in %s are beyond ±180", out, c.s.float, c.name)
				break
			}
		}
		if reason == "" {
			reason = fmt.Sprintf("%d of %d sampled values in %s and %d of %d in %s are beyond ±90, so neither can be the latitude",
				sx.float-sx.inLat, sx.float, xn, sy.float-sy.inLat, sy.float, yn)
		}
		sc.notes = append(sc.notes, fmt.Sprintf("columns %s look like planar positions (pixels or metres), not used as coordinates: %s; name them lat and lon if they are degrees", names, reason))
		return 0, 0, "", false
	}
	for _, c := range judged {
		if nz := nonZero(c.s); share(c.s.fracNonZero, nz) < fractionShare {
			sc.unusedNote("possible coordinates in columns %s not used: within degree range but whole numbers (only %d of %d non-zero sampled values in %s have a fraction), as pixel positions and integer degrees both are, so whether they are coordinates cannot be told: contains_coordinates is left undetermined; name them lat and lon if they are degrees",
				names, c.s.fracNonZero, nz, c.name)
			return 0, 0, "", false
		}
	}
	yx, xy, tested := orderInChina(sample, y, x, mainland) // yx: y the latitude
	switch {
	case yx > xy || (yx == xy && xLon):
		why := fmt.Sprintf("header x/y and degree-like values; %d of %d sampled rows in mainland China", yx, tested)
		if yx == 0 {
			sc.tentative = append(sc.tentative, names+" (no sampled row in mainland China either way round)")
		}
		if yx == xy && xLat {
			sc.notes = append(sc.notes, fmt.Sprintf("columns %s read with %s as the longitude and %s as the latitude (the usual order): both fit as latitudes and neither order puts more sampled rows in mainland China (%d of %d either way)",
				names, xn, yn, yx, tested))
			why += "; order assumed"
		}
		return y, x, why, true
	case xy > yx:
		sc.notes = append(sc.notes, fmt.Sprintf("header %s holds latitudes in %s and longitudes in %s (read that way %d of %d sampled rows fall in mainland China, the other way round %d); coordinates read that way",
			names, xn, yn, xy, tested, yx))
		return x, y, fmt.Sprintf("header x/y swapped and degree-like values; %d of %d sampled rows in mainland China", xy, tested), true
	}
	// Only x as the latitude fits the ranges.
	if xy == 0 {
		sc.tentative = append(sc.tentative, names+" (no sampled row in mainland China)")
	}
	sc.notes = append(sc.notes, fmt.Sprintf("header %s holds latitudes in %s and longitudes in %s (%d of %d sampled values in %s are beyond ±90, which a latitude cannot be); coordinates read that way",
		names, xn, yn, sy.float-sy.inLat, sy.float, yn))
	return x, y, fmt.Sprintf("header x/y swapped and degree-like values (by value range); %d of %d sampled rows in mainland China", xy, tested), true
}

// sentinelValues are no-fix placeholders written into coordinate fields.
var sentinelValues = []float64{-999, 999, -9999, 9999, -99999, 99999}

// sentinels counts the sampled values of column c that are a sentinel
// repeated at least twice: [0] beyond ±90, [1] beyond ±180.
func sentinels(sample [][][]byte, c int) (n [2]int) {
	counts := map[float64]int{}
	for _, rec := range sample {
		if c >= len(rec) {
			continue
		}
		if v, ok := detect.ParseFloat(bytes.TrimSpace(rec[c])); ok {
			for _, s := range sentinelValues {
				if v == s {
					counts[v]++
				}
			}
		}
	}
	for v, k := range counts {
		if k >= 2 {
			n[0] += k
			if math.Abs(v) > 180 {
				n[1] += k
			}
		}
	}
	return n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// valuePairs takes coordinate pairs from the values of a headerless file.
func (sc *schema) valuePairs(st []colStats, sample [][][]byte, mainland func(lat, lon float64) bool, coordish func(int) bool) {
	n := len(st)
	for i := 0; i < n; i++ {
		if !coordish(i) || share(st[i].absOver90, st[i].float) <= 0.5 {
			continue
		}
		best := -1
		for d := 1; d < n && best < 0; d++ {
			for _, j := range []int{i - d, i + d} {
				if j >= 0 && j < n && j != i && coordish(j) && share(st[j].inLat, st[j].float) >= 0.9 {
					best = j
					break
				}
			}
		}
		if best >= 0 {
			sc.addPair(best, i, "value range")
		}
	}
	// Both within ±90 (western China, Europe): the mainland tells the order.
	for i := 0; i+1 < n; i++ {
		j := i + 1
		if !coordish(i) || !coordish(j) || share(st[i].inLat, st[i].float) < 0.9 || share(st[j].inLat, st[j].float) < 0.9 {
			continue
		}
		ij, ji, tested := orderInChina(sample, i, j, mainland)
		switch {
		case ij > ji && 2*ij >= tested:
			sc.addPair(i, j, fmt.Sprintf("value range; this order puts %d of %d sampled rows in mainland China, the other %d", ij, tested, ji))
		case ji > ij && 2*ji >= tested:
			sc.addPair(j, i, fmt.Sprintf("value range; this order puts %d of %d sampled rows in mainland China, the other %d", ji, tested, ij))
		default:
			sc.unusedNote("possible coordinates in columns %d,%d not used: both within ±90° and neither order puts most sampled rows in mainland China, so which is the latitude cannot be told",
				i+1, j+1)
			continue
		}
		i++
	}
}

// orderInChina counts sampled rows placed in mainland China reading column
// a as the latitude and b as the longitude, and the other way round.
func orderInChina(sample [][][]byte, a, b int, mainland func(lat, lon float64) bool) (ab, ba, tested int) {
	for _, rec := range sample {
		if tested >= 500 {
			break
		}
		if a >= len(rec) || b >= len(rec) {
			continue
		}
		x, ok1 := detect.ParseFloat(bytes.TrimSpace(rec[a]))
		y, ok2 := detect.ParseFloat(bytes.TrimSpace(rec[b]))
		if !ok1 || !ok2 {
			continue
		}
		tested++
		if mainland(x, y) {
			ab++
		}
		if mainland(y, x) {
			ba++
		}
	}
	return ab, ba, tested
}

// measureWords in a header say a numeric column is a measurement, not a
// coordinate, even when its values would fit one.
var measureWords = map[string]bool{
	"pressure": true, "temp": true, "temperature": true, "speed": true, "volt": true, "voltage": true,
	"current": true, "trim": true, "load": true, "rpm": true, "soc": true, "fuel": true, "throttle": true,
	"pedal": true, "torque": true, "angle": true, "heading": true, "altitude": true, "alt": true,
	"elevation": true, "distance": true, "odometer": true, "mileage": true, "battery": true, "power": true,
	"energy": true, "level": true, "ratio": true, "percent": true, "pct": true, "humidity": true,
	"advance": true, "timing": true, "accel": true, "acceleration": true, "gyro": true, "yaw": true,
	"pitch": true, "roll": true, "bearing": true, "course": true, "direction": true, "price": true,
	"cost": true, "amount": true, "fee": true, "weight": true, "rate": true, "score": true,
}

// possibleCoordinates reports unused numeric columns that look like a
// coordinate pair, so that a position is never missed silently.
func (sc *schema) possibleCoordinates(header []string, st []colStats, sample [][][]byte, mainland func(lat, lon float64) bool, skip map[int]bool) {
	n := len(st)
	looks := func(i int) bool {
		s := &st[i]
		if skip[i] || sc.kinds[i] != kNumber || sc.slot[i] >= 0 || s.nonEmpty == 0 || share(s.float, s.nonEmpty) < 0.9 ||
			share(s.fracNonZero, s.nonEmpty) < 0.5 || share(s.inLon, s.float) < 0.9 || len(s.distinct) < 2 {
			return false
		}
		if i < len(header) {
			for _, t := range detect.HeaderTokens(header[i]) {
				if measureWords[t] {
					return false
				}
			}
		}
		return true
	}
	why := "the header does not name them as coordinates (measurements can look like coordinates); name them lat and lon to read them as positions"
	if len(header) == 0 {
		why = "their values fit coordinates, but with fewer than 3 decimals"
	}
	for i := 0; i+1 < n; i++ {
		j := i + 1
		if !looks(i) || !looks(j) {
			continue
		}
		lonI, lonJ := share(st[i].absOver90, st[i].float) > 0.5, share(st[j].absOver90, st[j].float) > 0.5
		latI, latJ := share(st[i].inLat, st[i].float) >= 0.9, share(st[j].inLat, st[j].float) >= 0.9
		ok := (lonI && latJ) || (lonJ && latI)
		if !ok && latI && latJ {
			ij, ji, tested := orderInChina(sample, i, j, mainland)
			ok = tested > 0 && 2*max(ij, ji) >= tested
		}
		if ok {
			a, b := fmt.Sprint(i+1), fmt.Sprint(j+1)
			if len(header) > 0 {
				a, b = colName(header, i), colName(header, j)
			}
			sc.unusedNote("possible coordinates in columns %s,%s not used: %s", a, b, why)
			i++
		}
	}
}

// Scaled integer degrees in coordinate-named columns.
const (
	// scaledShare of a pair's sampled rows (both values present, not
	// both zero) must be whole numbers with one beyond ±180, and in
	// range once divided.
	scaledShare = 0.9
)

// scaledDegrees tells whether a named coordinate pair holds integer
// degrees scaled by 1e6 (millionths of a degree, as GB/T 32960 stores
// positions) or 1e7 (the E7 format): 90% of the sampled rows whose values
// are not both zero are whole numbers, at least one beyond ±180, within
// range once divided, and at least one sampled row falls in mainland China
// read so (the scale that puts more rows there wins, 1e6 on a tie; the
// order of the columns too, swap saying the header has them the other way
// round). Without a row in the mainland the pair is read as it is, its
// values out of range are counted invalid and, without a valid coordinate,
// leave contains_coordinates undetermined (outOfRangeNote).
func scaledDegrees(sample [][][]byte, lat, lon int, mainland func(lat, lon float64) bool) (div float64, name string, swap, ok bool) {
	type sc struct {
		d    float64
		name string
	}
	scales := []sc{{1e6, "millionths of a degree (GB/T 32960)"}, {1e7, "ten-millionths of a degree (E7)"}}
	var rows [][2]float64
	whole, big := 0, false
	for _, rec := range sample {
		if lat >= len(rec) || lon >= len(rec) {
			continue
		}
		a, ok1 := detect.ParseFloat(bytes.TrimSpace(rec[lat]))
		b, ok2 := detect.ParseFloat(bytes.TrimSpace(rec[lon]))
		if !ok1 || !ok2 || (a == 0 && b == 0) {
			continue
		}
		rows = append(rows, [2]float64{a, b})
		if a == math.Trunc(a) && b == math.Trunc(b) {
			whole++
			big = big || math.Abs(a) > 180 || math.Abs(b) > 180
		}
	}
	if len(rows) == 0 || !big || share(whole, len(rows)) < scaledShare {
		return 0, "", false, false
	}
	best := 0
	for _, c := range scales {
		in, ab, ba := 0, 0, 0
		for _, r := range rows {
			a, b := r[0]/c.d, r[1]/c.d
			if math.Abs(a) <= 180 && math.Abs(b) <= 180 && min(math.Abs(a), math.Abs(b)) <= 90 {
				in++
			}
			if mainland(a, b) {
				ab++
			}
			if mainland(b, a) {
				ba++
			}
		}
		if share(in, len(rows)) < scaledShare || max(ab, ba) <= best {
			continue
		}
		best, div, name, swap, ok = max(ab, ba), c.d, c.name, ba > ab, true
	}
	return div, name, swap, ok
}

// addPair makes lat and lon a coordinate pair (beyond maxPairs the columns
// stay numbers, and that is said).
func (sc *schema) addPair(lat, lon int, why string) {
	if len(sc.pairs) >= maxPairs {
		sc.unusedNote("more than %d coordinate pairs in a record: columns %s,%s not used as coordinates",
			maxPairs, colName(sc.names, lat), colName(sc.names, lon))
		return
	}
	p := len(sc.pairs)
	sc.pairs = append(sc.pairs, coordPair{lat, lon})
	sc.scale = append(sc.scale, 0)
	sc.kinds[lat], sc.kinds[lon] = kLat, kLon
	sc.slot[lat], sc.slot[lon] = int8(2*p), int8(2*p+1)
	sc.why[lat], sc.why[lon] = why, why
}

// decideKeys picks the vehicle key (VIN, else plate, else a vehicle or
// device id column, else a generic identifier column) and the person key
// (resident ID, else phone, else a person id column).
func (sc *schema) decideKeys() {
	first := func(kinds ...colKind) int {
		for _, k := range kinds {
			for i, c := range sc.kinds {
				if c == k {
					return i
				}
			}
		}
		return -1
	}
	sc.vehKey = first(kVIN, kPlate, kVehicleID, kDevice, kID)
	sc.perKey = first(kCNID, kPhone, kPersonID)
}
