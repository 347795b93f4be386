package scan

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/scan/detect"
	"github.com/xborder/xborder/internal/scan/distinct"
)

const chinaOffsetMs = 8 * 3600 * 1000

// row processes the fields of a well-formed tabular record.
func (w *worker) row(fields [][]byte) {
	sc := w.sch
	w.rowNPts, w.rowCNID = 0, false
	for _, p := range w.rowPending {
		w.FoundPoint(p[0], p[1])
	}
	w.rowPending = nil
	var vehH, perH uint64
	haveVeh, havePer := false, false
	// Coordinate slots seen in this row (bit 2p: pair p's latitude, 2p+1
	// its longitude; values in w.cv) and pairs with an unreadable value.
	var have, bad uint64
	var dateMs, clockMs int64
	haveDate, haveClock := false, false
	var pk [16]byte
	for i, f := range fields {
		if len(f) == 0 {
			continue
		}
		switch sc.kinds[i] {
		case kNumber:
			if len(f) >= detect.MinTextLen {
				detect.ScanText(f, detect.TextOptions{Points: true}, w)
			}
		case kText:
			if c := f[0]; (c-'0' <= 9 || c == '-') && i < 64 && w.numText&(1<<i) == 0 && looksCoordinate(f) {
				// A coordinate-like value in a column the sample decided
				// holds text: said at the end of the file (once per column).
				w.numText |= 1 << i
				w.numLine[i] = w.line
			}
			if len(f) >= detect.MinTextLen {
				detect.ScanText(f, detect.TextOptions{Points: true}, w)
			} else if hasHigh(f) && w.fs.checkUTF && !utf8.Valid(f) {
				// Too short to hold an identifier, but a sign of a
				// misread encoding all the same.
				w.InvalidUTF8()
			}
		case kVIN:
			if m := w.memoAt(i); m.same(f) {
				// Exports are often ordered by vehicle: the same VIN as this
				// worker's previous record is counted again without being
				// validated, hashed or inserted again.
				w.det[dVIN].count++
				if m.st == detect.VINUnverified {
					w.det[dVIN].unverified++
				}
				if i == sc.vehKey {
					vehH, haveVeh = m.h, true
				}
				continue
			}
			st := detect.CheckVIN(f)
			if st == detect.VINInvalid {
				f = bytes.TrimSpace(f)
				if st = detect.CheckVIN(f); st == detect.VINInvalid {
					w.det[dVIN].invalid++
					if len(f) >= detect.MinTextLen {
						detect.ScanText(f, allText, &noVIN{w})
					} else if w.fs.checkUTF && hasHigh(f) && !utf8.Valid(f) {
						w.InvalidUTF8()
					}
					continue
				}
			}
			h := w.addVINKey(f, st, i == sc.vehKey && w.fs.keyDet == dVIN)
			w.memoAt(i).set(f, h, st)
			if i == sc.vehKey {
				vehH, haveVeh = h, true
			}
		case kPlate:
			if m := w.memoAt(i); m.same(f) {
				w.det[dPlate].count++
				if i == sc.vehKey {
					vehH, haveVeh = m.h, true
				}
				continue
			}
			n := detect.PlateKey(f, &pk)
			if n == 0 {
				if n = detect.PlateKey(bytes.TrimSpace(f), &pk); n == 0 {
					w.det[dPlate].invalid++
					detect.ScanText(f, allText, w)
					continue
				}
			}
			h := w.addPlateKey(pk[:n], i == sc.vehKey && w.fs.keyDet == dPlate)
			w.memoAt(i).set(f, h, 0)
			if i == sc.vehKey {
				vehH, haveVeh = h, true
			}
		case kCNID:
			v := bytes.TrimSpace(f)
			if !detect.CheckCNID(v) {
				w.det[dCNID].invalid++
				detect.ScanText(f, allText, w)
				continue
			}
			h := w.addCNID(v)
			w.rowCNID = true
			if i == sc.perKey {
				perH, havePer = h, true
			}
		case kPhone:
			var d [11]byte
			if !detect.NormalizeMobile(bytes.TrimSpace(f), &d) {
				w.det[dPhone].invalid++
				detect.ScanText(f, allText, w)
				continue
			}
			h := w.addPhone(d[:])
			if i == sc.perKey {
				perH, havePer = h, true
			}
		case kDevice, kVehicleID, kID, kPersonID:
			v := bytes.TrimSpace(f)
			if len(v) == 0 {
				continue
			}
			if w.fs.checkUTF && hasHigh(v) && !utf8.Valid(v) {
				w.InvalidUTF8()
			}
			h := distinct.Hash(v)
			if sc.kinds[i] != kPersonID {
				w.addDevice(v, h)
			}
			if i == sc.vehKey {
				vehH, haveVeh = h, true
			}
			if i == sc.perKey {
				perH, havePer = h, true
			}
		case kLat, kLon:
			sl := uint(sc.slot[i]) & (2*maxPairs - 1)
			v, ok := detect.ParseFloat(bytes.TrimSpace(f))
			if !ok {
				bad |= 1 << (sl >> 1)
				// Identifiers typed into a coordinate field are counted,
				// but never key a subject (a station's hotline is not a
				// person of the data).
				w.noKeys = true
				detect.ScanText(f, allText, w)
				w.noKeys = false
				continue
			}
			if p := int(sl >> 1); p < len(sc.scale) && sc.scale[p] != 0 {
				v /= sc.scale[p]
			}
			w.cv[sl] = v
			have |= 1 << sl
			if v > 1000 || v < -1000 {
				// A long number in a coordinate field (a hotline, a phone,
				// often exported as a float "15610383000.0"): look at its
				// integer digits as text too.
				w.noKeys = true
				detect.ScanText(trimZeroFraction(bytes.TrimSpace(f)), detect.TextOptions{}, w)
				w.noKeys = false
			}
		case kTime:
			var ms int64
			var ok, zoned bool
			if sc.epoch[i] != detect.EpochNone {
				ms, _, ok = detect.Epoch(f)
				zoned = true
			} else {
				ms, zoned, ok = detect.ParseDateTime(bytes.TrimSpace(f))
				if ok && !zoned && sc.timeUTC {
					ms += chinaOffsetMs
					zoned = true
				}
			}
			if !ok {
				w.badTime(f)
				continue
			}
			w.time(ms, zoned)
		case kDate:
			ms, _, ok := detect.ParseDateTime(bytes.TrimSpace(f))
			if !ok {
				w.badTime(f)
				continue
			}
			dateMs, haveDate = ms, true
		case kClock:
			v := bytes.TrimSpace(f)
			if !isClock(v) {
				w.badTime(f)
				continue
			}
			clockMs = int64((int(v[0]-'0')*10+int(v[1]-'0'))*3600+(int(v[3]-'0')*10+int(v[4]-'0'))*60+int(v[6]-'0')*10+int(v[7]-'0')) * 1000
			haveClock = true
		}
	}
	if haveDate {
		ms := dateMs + clockMs
		zoned := false
		if sc.timeUTC {
			ms += chinaOffsetMs
			zoned = true
		}
		_ = haveClock
		w.time(ms, zoned)
	}
	var fl uint8
	switch {
	case have == 3 && bad == 0 && len(sc.pairs) == 1:
		fl = w.point(w.cv[0], w.cv[1])
	case have|bad != 0:
		fl = w.rowPoints(have, bad)
	}
	for i := 0; i < w.rowNPts; i++ {
		fl |= w.point(w.rowPts[i][0], w.rowPts[i][1])
	}
	if w.rowCNID {
		fl |= flagCNID
	}
	if fl&(flagPoint|flagCNID) != 0 {
		fl |= flagSensitive
	}
	if w.rowNTxt > 0 {
		w.textKeys(fl)
	}
	if w.fs.perConst != 0 && !havePer {
		perH, havePer = w.fs.perConst, true
	}
	if haveVeh {
		// Without a person key each vehicle stands for at least one person
		// (its driver or keeper): finishFile copies this file's vehicles to
		// the people, an inference stated in the report.
		w.veh.Add(vehH, fl)
	}
	if havePer {
		w.per.Add(perH, fl)
	}
}

// rowPoints places every complete coordinate pair of a row; a pair with
// one side missing or unreadable is an invalid coordinate.
func (w *worker) rowPoints(have, bad uint64) uint8 {
	var fl uint8
	for p := range w.sch.pairs {
		m := have >> (2 * p) & 3
		switch {
		case m == 3 && bad>>p&1 == 0:
			fl |= w.point(w.cv[2*p], w.cv[2*p+1])
		case m != 0 || bad>>p&1 != 0:
			w.invalid++
			w.problem("incomplete or unreadable coordinate; not used")
		}
	}
	return fl
}

// noVIN forwards findings except VINs (an invalid VIN-column value was
// already counted as an invalid VIN).
type noVIN struct{ *worker }

func (n *noVIN) FoundVIN([]byte, detect.VINStatus) {}

func (w *worker) sample(d int, text string) {
	if w.chunkSmp[d] >= 3 {
		return
	}
	if w.firstLine[d] == 0 || w.line < w.firstLine[d] {
		w.firstLine[d] = w.line
	}
	w.chunkSmp[d]++
	w.samples[d] = append(w.samples[d], sample{file: w.fs.index, seq: int(w.seq), text: text})
}

func (w *worker) addVIN(v []byte, st detect.VINStatus) uint64 { return w.addVINKey(v, st, false) }

// addVINKey counts a VIN; viaKey: its distinct set is filled from the
// file's vehicle keys at the end of the file instead of here.
func (w *worker) addVINKey(v []byte, st detect.VINStatus, viaKey bool) uint64 {
	h := distinct.Hash(v)
	w.det[dVIN].count++
	if st == detect.VINUnverified {
		w.det[dVIN].unverified++
	}
	if !viaKey {
		w.batches[dVIN].Add(h)
	}
	if w.chunkSmp[dVIN] < 3 {
		w.sample(dVIN, detect.MaskVIN(v))
	}
	return h
}

func (w *worker) addPlate(key []byte) uint64 { return w.addPlateKey(key, false) }

func (w *worker) addPlateKey(key []byte, viaKey bool) uint64 {
	h := distinct.Hash(key)
	w.det[dPlate].count++
	if !viaKey {
		w.batches[dPlate].Add(h)
	}
	if w.chunkSmp[dPlate] < 3 {
		w.sample(dPlate, detect.MaskPlate(key))
	}
	return h
}

func (w *worker) addCNID(v []byte) uint64 {
	var up [18]byte
	copy(up[:], v)
	if up[17] == 'x' {
		up[17] = 'X'
	}
	h := distinct.Hash(up[:])
	w.det[dCNID].count++
	w.batches[dCNID].Add(h)
	if w.chunkSmp[dCNID] < 3 {
		w.sample(dCNID, detect.MaskCNID(v))
	}
	return h
}

func (w *worker) addPhone(d []byte) uint64 {
	h := distinct.Hash(d)
	w.det[dPhone].count++
	w.batches[dPhone].Add(h)
	if w.chunkSmp[dPhone] < 3 {
		w.sample(dPhone, detect.MaskPhone(d))
	}
	return h
}

func (w *worker) addDevice(v []byte, h uint64) {
	w.det[dDevice].count++
	w.batches[dDevice].Add(h)
	if w.chunkSmp[dDevice] < 3 {
		w.sample(dDevice, detect.MaskID(v))
	}
}

// Sink methods: identifiers found inside free text.

func (w *worker) FoundVIN(v []byte, st detect.VINStatus) {
	if st == detect.VINInvalid {
		w.det[dVIN].invalid++
		return
	}
	h := w.addVIN(v, st)
	if w.sch == nil || w.sch.vehKey < 0 {
		w.textKey(tVIN, h)
	}
}

func (w *worker) FoundPlate(key []byte, _ detect.PlateKind) {
	h := w.addPlate(key)
	if w.sch == nil || w.sch.vehKey < 0 {
		w.textKey(tPlate, h)
	}
}

func (w *worker) FoundCNID(v []byte, valid bool) {
	if !valid {
		w.det[dCNID].invalid++
		return
	}
	h := w.addCNID(v)
	w.rowCNID = true
	if w.sch == nil || w.sch.perKey < 0 {
		w.textKey(tCNID, h)
	}
}

func (w *worker) FoundPhone(v []byte, valid bool) {
	if !valid {
		w.det[dPhone].invalid++
		return
	}
	h := w.addPhone(v)
	if w.sch == nil || w.sch.perKey < 0 {
		w.textKey(tPhone, h)
	}
}

// Kinds of identifiers found in free text that may key subjects.
const (
	tVIN = iota
	tPlate
	tCNID
	tPhone
	numTxt
)

var txtNames = [numTxt]string{"vin", "plate", "cn_id", "phone"}

// textKey remembers an identifier found in free text until the end of its
// record, whose flags (a position in China, a resident ID) it then takes:
// in a file without a key column, such identifiers are the subjects.
func (w *worker) textKey(kind int, h uint64) {
	if w.noKeys {
		return
	}
	if w.rowNTxt < len(w.rowTxt) {
		w.rowTxt[w.rowNTxt] = txtKey{h: h, kind: uint8(kind)}
		w.rowNTxt++
		return
	}
	w.txtAdd(kind, h, 0)
}

type txtKey struct {
	h    uint64
	kind uint8
}

// textKeys files the record's text identifiers with the record's flags.
func (w *worker) textKeys(fl uint8) {
	for _, k := range w.rowTxt[:w.rowNTxt] {
		f := fl
		if k.kind == tCNID {
			f |= flagCNID | flagSensitive
		}
		if f&(flagPoint|flagCNID) != 0 {
			f |= flagSensitive
		}
		w.txtAdd(int(k.kind), k.h, f)
	}
	w.rowNTxt = 0
}

func (w *worker) txtAdd(kind int, h uint64, fl uint8) {
	if w.txt[kind] == nil {
		w.txt[kind] = distinct.NewFlagBatch(w.fs.txt[kind])
	}
	w.txt[kind].Add(h, fl)
}

// hasHigh: any byte that is not ASCII. A short field inside a chunk is
// tested with one 8-byte load (its capacity runs on into the chunk).
func hasHigh(b []byte) bool {
	if len(b) <= 8 && cap(b) >= 8 {
		return binary.LittleEndian.Uint64(b[:8])&(0x8080808080808080>>(64-8*uint(len(b)))) != 0
	}
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// looksCoordinate: a decimal with 3 or more fraction digits within ±180.
func looksCoordinate(f []byte) bool {
	f = bytes.TrimSpace(f)
	dot := bytes.IndexByte(f, '.')
	if dot < 1 || len(f)-dot-1 < 3 || len(f) > 16 {
		return false
	}
	v, ok := detect.ParseFloat(f)
	return ok && v >= -180 && v <= 180 && v != 0
}

func (w *worker) FoundPoint(lat, lon float64) {
	if w.rowNPts < len(w.rowPts) {
		w.rowPts[w.rowNPts] = [2]float64{lat, lon}
		w.rowNPts++
		return
	}
	w.point(lat, lon)
}

func (w *worker) FoundTime(ms int64, zoned bool) { w.time(ms, zoned) }

func (w *worker) time(ms int64, zoned bool) {
	w.times++
	if ms < w.tmin {
		w.tmin = ms
	}
	if ms > w.tmax {
		w.tmax = ms
	}
	if !zoned {
		w.assumed = true
	}
}

func (w *worker) badTime(f []byte) {
	w.timeBad++
	w.problem("value in a time column is not a timestamp")
	detect.ScanText(f, detect.TextOptions{NoPhone: true}, w)
}

// point validates and places one coordinate and returns the key flags it
// earns. Invalid points are counted and reported, never fixed: a swapped
// pair stays unused.
func (w *worker) point(lat, lon float64) uint8 {
	switch {
	case lat == 0 && lon == 0:
		w.invalid++
		w.problem("coordinate (0, 0) is a placeholder; not used")
		return 0
	case lat < -90 || lat > 90 || lon < -180 || lon > 180 || lat != lat || lon != lon:
		w.invalid++
		if lat == lat && lon == lon {
			// Out of range, not a placeholder: may be coordinates in
			// another unit or format (finishFile, outOfRangeNote).
			w.oor.see(w.line, lat, lon)
		}
		if (lat > 90 || lat < -90) && lat >= -180 && lat <= 180 && lon >= -90 && lon <= 90 {
			w.swapped++
			w.problem("latitude %.6f and longitude %.6f look swapped; not used (never silently fixed)", lat, lon)
		} else {
			w.problem("coordinate out of range (lat %s, lon %s); not used", showNum(lat), showNum(lon))
		}
		return 0
	}
	w.points++
	g := w.s.opt.Geo
	if g == nil || g.Locator == nil {
		return flagPoint
	}
	x, y := lon, lat
	if w.fs.crs != "wgs84" && g.ToWGS84 != nil {
		x, y = g.ToWGS84(w.fs.crs, lon, lat)
	}
	var p Place
	if g.direct != nil {
		p = g.direct.Locate(x, y)
	} else {
		p = g.Locator.Locate(x, y)
	}
	if !p.InChina {
		w.outside++
		if p.Region == "HK" || p.Region == "MO" || p.Region == "TW" {
			w.hkmotw++
		}
		return flagPoint
	}
	w.inChina++
	w.places.add(p)
	return flagPoint | flagInChina
}

// showNum prints a coordinate-sized number; anything longer (a phone number
// typed into a coordinate field) is not echoed.
func showNum(v float64) string {
	if v > -1000 && v < 1000 {
		return trimFloat(v)
	}
	return "<long number, not shown>"
}

// trimZeroFraction drops a ".0", ".00"... that a float export appends to an
// integer.
func trimZeroFraction(b []byte) []byte {
	i := bytes.IndexByte(b, '.')
	if i < 0 {
		return b
	}
	for _, c := range b[i+1:] {
		if c != '0' {
			return b
		}
	}
	return b[:i]
}

// memo remembers a column's previous valid value in this worker, so runs of
// the same identifier cost a comparison instead of a validation, a hash and
// a table insert.
type memo struct {
	n   int
	buf [24]byte
	h   uint64
	st  detect.VINStatus
}

func (m *memo) same(f []byte) bool {
	return m.n > 0 && len(f) == m.n && string(f) == string(m.buf[:m.n])
}

func (m *memo) set(f []byte, h uint64, st detect.VINStatus) {
	if len(f) > len(m.buf) {
		m.n = 0
		return
	}
	m.n = copy(m.buf[:], f)
	m.h, m.st = h, st
}

func (w *worker) memoAt(i int) *memo {
	if i >= len(w.memos) {
		w.memos = append(w.memos, make([]memo, i+1-len(w.memos))...)
	}
	return &w.memos[i]
}
