package scan

import (
	"bytes"
	"fmt"

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
	inLat, inLon                            int
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
		}
		if f >= -90 && f <= 90 {
			s.inLat++
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

// schema is the per-column plan for a tabular file.
type schema struct {
	names  []string
	kinds  []colKind
	why    []string
	latCol int
	lonCol int
	// Coordinate problems found while deciding (header swapped, order assumed).
	notes []string
	// vehKey / perKey are the columns whose values key distinct vehicles and
	// people (-1: none).
	vehKey, perKey int
	// timeUTC: zone-less times in this file are UTC (GeoLife PLT says GMT).
	timeUTC bool
	// timeUnit per time column: epoch seconds/millis or date-time text.
	epoch []detect.EpochUnit
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
func decideSchema(header []string, n int, sample [][][]byte) *schema {
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
		latCol: -1, lonCol: -1, vehKey: -1, perKey: -1}
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
	sc.decideCoordinates(header, hints, st)
	sc.decideKeys()
	return sc
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

// decideCoordinates picks one latitude and one longitude column. Headers
// decide first; when the header's lat column holds values beyond ±90 and the
// lon column does not, the header is swapped: that is reported and the
// columns are read by their values. Without headers, a column of decimals
// (3+ fraction digits on average) mostly beyond ±90 is a longitude and the
// nearest such column within ±90 its latitude. Two columns both within ±90
// without headers are not taken as coordinates (the order cannot be told).
func (sc *schema) decideCoordinates(header []string, hints []detect.Hint, st []colStats) {
	lat, lon := -1, -1
	for i, h := range hints {
		switch {
		case h == detect.HintLat && lat < 0 && st[i].nonEmpty > 0 && share(st[i].float, st[i].nonEmpty) > 0.5:
			lat = i
		case h == detect.HintLon && lon < 0 && st[i].nonEmpty > 0 && share(st[i].float, st[i].nonEmpty) > 0.5:
			lon = i
		}
	}
	if lat >= 0 && lon >= 0 {
		la, lo := &st[lat], &st[lon]
		if share(la.absOver90, la.float) > 0.5 && share(lo.absOver90, lo.float) < 0.5 {
			sc.notes = append(sc.notes, fmt.Sprintf("header %q holds longitudes and %q latitudes (columns swapped in the header); coordinates read by value range",
				colName(header, lat), colName(header, lon)))
			lat, lon = lon, lat
		}
		sc.setCoords(lat, lon, "header")
		return
	}
	coordish := func(i int) bool {
		s := &st[i]
		return sc.kinds[i] == kNumber && s.nonEmpty > 0 && share(s.float, s.nonEmpty) >= 0.9 &&
			share(s.fracVals, s.nonEmpty) >= 0.9 && float64(s.fracDigits)/float64(max(s.fracVals, 1)) >= 3 &&
			share(s.inLon, s.float) >= 0.9
	}
	if lat >= 0 || lon >= 0 {
		// One side named: find the other among unnamed decimal columns.
		for d := 1; d < len(st); d++ {
			for _, j := range []int{max(lat, lon) + d, max(lat, lon) - d} {
				if j < 0 || j >= len(st) || hints[j] != detect.HintNone || !coordish(j) {
					continue
				}
				if lat >= 0 && share(st[j].absOver90, st[j].float) > 0.5 {
					sc.setCoords(lat, j, "header and value range")
					return
				}
				if lon >= 0 && share(st[j].inLat, st[j].float) >= 0.9 {
					sc.setCoords(j, lon, "header and value range")
					return
				}
			}
		}
		return
	}
	if len(header) > 0 {
		// A header that names no coordinate column: numbers with decimals
		// there are measurements (pressure, fuel trim), not positions.
		return
	}
	for i := range st {
		if !coordish(i) || share(st[i].absOver90, st[i].float) <= 0.5 {
			continue
		}
		best := -1
		for d := 1; d < len(st) && best < 0; d++ {
			for _, j := range []int{i - d, i + d} {
				if j >= 0 && j < len(st) && j != i && coordish(j) && share(st[j].inLat, st[j].float) >= 0.9 {
					best = j
					break
				}
			}
		}
		if best >= 0 {
			sc.setCoords(best, i, "value range")
			return
		}
	}
}

func (sc *schema) setCoords(lat, lon int, why string) {
	sc.latCol, sc.lonCol = lat, lon
	sc.kinds[lat], sc.kinds[lon] = kLat, kLon
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
