package scan

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/scan/distinct"
)

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (s *Scanner) addFile(fr FileReport) {
	s.mu.Lock()
	s.files = append(s.files, fr)
	s.mu.Unlock()
}

// finishFile merges the workers of a file into the scanner's totals and
// appends the file's report.
func (s *Scanner) finishFile(fr *FileReport, fs *fileState, ws []*worker, notes []string, readErr error) {
	var probs problems
	probs.max = s.opt.MaxProblems
	for _, n := range notes {
		probs.add(0, "%s", n)
	}
	var points int64
	s.mu.Lock()
	defer s.mu.Unlock()
	vehKey, perKey := "", ""
	for _, w := range ws {
		w.flush()
		fr.Records += w.records
		fr.Malformed += w.malformed
		fr.Points += w.points
		for d := range w.det {
			if n := w.det[d].count; n > 0 {
				if fr.Found == nil {
					fr.Found = map[string]int64{}
					fr.FirstLine = map[string]int64{}
				}
				fr.Found[detNames[d]] += n
				if l := w.firstLine[d]; l > 0 && (fr.FirstLine[detNames[d]] == 0 || l < fr.FirstLine[detNames[d]]) {
					fr.FirstLine[detNames[d]] = l
				}
			}
		}
		for d := range w.det {
			s.det[d].count += w.det[d].count
			s.det[d].invalid += w.det[d].invalid
			s.det[d].unverified += w.det[d].unverified
			s.samples[d] = append(s.samples[d], w.samples[d]...)
		}
		if w.times > 0 {
			s.times += w.times
			s.tmin = min(s.tmin, w.tmin)
			s.tmax = max(s.tmax, w.tmax)
		}
		s.timeBad += w.timeBad
		s.assumed = s.assumed || w.assumed
		g := &s.geo
		g.points += w.points
		g.outside += w.outside
		g.invalid += w.invalid
		g.swapped += w.swapped
		g.inChina += w.inChina
		g.hkmotw += w.hkmotw
		w.places.each(func(p Place, n int64) {
			if p.Province != "" {
				g.provinces[p.Province] += n
			}
			if p.Prefecture != "" {
				g.prefectures[p.Prefecture] += n
			}
		})
		g.coastal += w.places.coastal
		points += w.points + w.invalid
		probs.count += w.probs.count
		probs.list = append(probs.list, w.probs.list...)
		if w.sch != nil {
			if w.sch.vehKey >= 0 && vehKey == "" {
				vehKey = keyLabel(w.sch, w.sch.vehKey)
			}
			if w.sch.perKey >= 0 && perKey == "" {
				perKey = keyLabel(w.sch, w.sch.perKey)
			}
			if fs.format == "jsonl" && len(fr.Columns) == 0 {
				for i, k := range w.sch.kinds {
					fr.Columns = append(fr.Columns, ColumnReport{Index: i + 1, Name: w.sch.names[i], Kind: k.String(), Why: w.sch.why[i]})
				}
			}
		}
	}
	if fs.perConst != 0 {
		perKey = "GeoLife user folder"
	}
	// Fold this file's vehicle keys into the totals (see fileState.veh).
	s.mu.Unlock()
	_ = s.vehicles.Merge(fs.veh)
	if perKey == "" {
		_ = s.people.Merge(fs.veh)
	}
	if fs.keyDet >= 0 {
		_ = fs.veh.KeysInto(s.det[fs.keyDet].counter)
	}
	s.mu.Lock()
	if vehKey != "" {
		s.vehKeys[vehKey]++
		if perKey == "" {
			s.perInfer = true
			s.perKeys[vehKey+" (one person per vehicle, inferred)"]++
		}
	}
	if perKey != "" {
		s.perKeys[perKey]++
	}
	var times int64
	for _, w := range ws {
		times += w.times
	}
	if vehKey == "" && perKey == "" && points > 0 && times > 0 {
		// Timed positions with no key at all: the file is at least one
		// person's trajectory. (Positions without times are places, such
		// as charging stations, not a person's movements.)
		s.mu.Unlock()
		s.people.AddMany([]uint64{hashPath(fs.path)}, []uint8{flagPoint | flagSensitive})
		s.mu.Lock()
		s.perKeys["file (one trajectory per file, inferred)"]++
	}
	if points > 0 {
		fr.CRS = fs.crs
	} else {
		fr.CRSSource = ""
	}
	if readErr != nil && !errors.Is(readErr, errStopped) {
		probs.add(1<<62, "reading stopped: %v", readErr)
	}
	probs.trim()
	for i := range probs.list {
		if probs.list[i].Line == 1<<62 {
			probs.list[i].Line = 0
		}
	}
	fr.Problems = append(fr.Problems, probs.list...)
	fr.ProblemCount = probs.count
	// unused adds a problem reporting possible coordinates not used: with
	// no valid coordinate anywhere they leave contains_coordinates
	// undetermined.
	unused := func(line int64, text string) {
		fr.Problems = append(fr.Problems, Problem{Line: line, Text: text})
		fr.ProblemCount++
		if fs.unused == 0 || line < fs.unusedLine {
			fs.unusedLine = line
		}
		fs.unused++
	}
	if fr.Points == 0 {
		// Coordinate columns (or keys) that yielded only values out of
		// range, not (0,0) or empty placeholders: possible coordinates in
		// another unit or format, so contains_coordinates is not false.
		var oor, jxy sighting
		for _, w := range ws {
			oor.merge(w.oor)
			jxy.merge(w.jxy)
		}
		if oor.n > 0 {
			unused(oor.line, outOfRangeNote(oor.n, oor.a, oor.b))
		}
		if jxy.n > 0 {
			unused(jxy.line, fmt.Sprintf("possible coordinates not used: %d record(s) hold keys x and y with values that may be a position (in degree range, or 10,000 or more as projected metres; the first x=%s, y=%s); JSON keys x/y are not read as coordinates (they are as often pixels): contains_coordinates is left undetermined; name them lon and lat if they are degrees", jxy.n, trimFloat(jxy.a), trimFloat(jxy.b)))
		}
	}
	var tentative []string
	var fileInChina int64
	for _, w := range ws {
		if w.sch != nil && len(tentative) == 0 {
			tentative = w.sch.tentative
		}
		fileInChina += w.inChina
	}
	if len(tentative) > 0 && fr.Points > 0 && fileInChina == 0 {
		fr.TentativePoints = fr.Points
		unused(0, fmt.Sprintf("possible coordinates: columns %s were read as longitude and latitude by assumption, and none of the file's %d points fell in mainland China; they may be planar positions (metres, normalised boxes) as well as positions abroad, so they do not make contains_coordinates true: it is left undetermined unless other files settle it; name the columns lon and lat if they are degrees",
			strings.Join(tentative, "; "), fr.Points))
	}
	fr.PossibleCoordinates, fr.PossibleLine = fs.unused, fs.unusedLine
	fr.Status = StatusScanned
	if fr.Malformed > 0 || readErr != nil {
		fr.Status = StatusPartial
	}
	s.files = append(s.files, *fr)
}

func keyLabel(sc *schema, i int) string {
	// SPEC §6: the detector name for identifier keys, else the column name.
	switch sc.kinds[i] {
	case kVIN:
		return "vin"
	case kPlate:
		return "plate"
	case kCNID:
		return "cn_id"
	case kPhone:
		return "phone"
	}
	return colName(sc.names, i)
}

// hashPath keys a file's one inferred person with the sketch key, like
// every other value counted.
func hashPath(p string) uint64 { return distinct.Hash([]byte("file-trajectory:"+p)) | 1 }

// placedCounts returns the points in coastal waters and those placed in a
// province.
func (g *geoTotals) placedCounts() (coastal, placed int64) {
	for _, n := range g.provinces {
		placed += n
	}
	return g.coastal, placed
}

// geoNotes are the notes of the boundaries themselves (features skipped or
// not used), however the scanner got them.
func geoNotes(g *Geo) []string {
	switch {
	case g == nil:
		return nil
	case g.direct != nil:
		return g.direct.Notes()
	}
	if m, ok := g.Locator.(mergedOnly); ok {
		return m.notes
	}
	return nil
}

// thousands formats n with comma separators: 1,048,576.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func joinKeys(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if len(ks) == 1 {
		return ks[0]
	}
	for i, k := range ks {
		ks[i] = fmt.Sprintf("%s in %d file(s)", k, m[k])
	}
	return strings.Join(ks, "; ")
}

func rfc3339(ms int64) *string {
	t := time.UnixMilli(ms).In(model.ChinaTZ).Format(time.RFC3339)
	return &t
}

// Report builds the result of everything scanned so far.
func (s *Scanner) Report() *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &Report{Schema: Schema, Files: append([]FileReport(nil), s.files...), Notes: []string{}}
	sort.SliceStable(r.Files, func(i, j int) bool { return r.Files[i].Path < r.Files[j].Path })
	for i := range r.Files {
		r.Files[i].Fingerprint = "" // sketches only
	}
	dets := []*DetectorReport{&r.Detectors.VIN, &r.Detectors.Plate, &r.Detectors.CNID, &r.Detectors.Phone, &r.Detectors.DeviceID}
	for d, dr := range dets {
		t := &s.det[d]
		dr.Count, dr.Invalid, dr.Unverified = t.count, t.invalid, t.unverified
		dr.Distinct, dr.DistinctExact = t.counter.Count(), t.counter.Exact()
		smp := append([]sample(nil), s.samples[d]...)
		sort.SliceStable(smp, func(i, j int) bool {
			if smp[i].file != smp[j].file {
				return smp[i].file < smp[j].file
			}
			return smp[i].seq < smp[j].seq
		})
		dr.Samples = []string{}
		seen := map[string]bool{}
		for _, x := range smp {
			if !seen[x.text] && len(dr.Samples) < 3 {
				seen[x.text] = true
				dr.Samples = append(dr.Samples, x.text)
			}
		}
	}
	r.Time.Count, r.Time.Invalid = s.times, s.timeBad
	if s.times > 0 {
		r.Time.First, r.Time.Last = rfc3339(s.tmin), rfc3339(s.tmax)
		r.Time.SpanDays = round(float64(s.tmax-s.tmin)/86400000, 6)
		if s.assumed {
			r.Time.AssumedZone = "+08:00"
			r.Notes = append(r.Notes, "Timestamps without a zone were read as China time (UTC+8).")
		}
	}
	g := &s.geo
	coastal, placed := g.placedCounts()
	provinces := sortedKeys(g.provinces)
	r.Geo = GeoReport{Points: g.points, OutsideChina: g.outside, Invalid: g.invalid, Swapped: g.swapped,
		InChina: g.inChina, HKMOTW: g.hkmotw, Provinces: provinces, Prefectures: sortedKeys(g.prefectures),
		Coastal: coastal, Unplaced: max(g.inChina-placed, 0)}
	if s.opt.Geo != nil && s.opt.Geo.Locator != nil {
		r.Geo.Located = true
		r.Geo.PrefecturesApproximate = s.opt.Geo.Approximate
		r.Geo.Boundaries = s.opt.Geo.Description
		if s.opt.Geo.Approximate && g.points > 0 {
			r.Notes = append(r.Notes, "Prefectures are approximate: the default boundaries assign a point to the prefecture of the nearest labelled place in its province (right for about 87% of China's area); load licensed boundaries with --boundaries for exact answers.")
		}
		if r.Geo.Coastal > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%d point(s) lie off the mainland's land outline but in coastal waters (within 12 nautical miles, 22.2 km, of the 1 km OpenStreetMap coastline and nearer to it than to Hong Kong, Macao or Taiwan, or in the Bohai): counted in mainland China. An approximation: the territorial sea is measured from China's baselines, further out in places.", r.Geo.Coastal))
		}
		if r.Geo.Unplaced > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%d point(s) in mainland China fall in no feature of the boundaries loaded: counted in China (the built-in outline decides in or out), not placed in a province or prefecture.", r.Geo.Unplaced))
		}
		r.Notes = append(r.Notes, geoNotes(s.opt.Geo)...)
		if s.opt.Geo.Attribution != "" && g.points > 0 {
			r.Notes = append(r.Notes, s.opt.Geo.Attribution+".")
		}
	} else if g.points > 0 {
		r.Notes = append(r.Notes, "No boundaries were available: points were counted but not placed in or out of mainland China, so vehicles_in_china is not measured.")
	}
	// Subjects.
	vd, vexact := s.vehicles.Count(-1)
	r.Subjects.Vehicles = Subject{Distinct: vd, Exact: vexact, Key: joinKeys(s.vehKeys)}
	pd, pexact := s.people.Count(-1)
	r.Subjects.Individuals = Subject{Distinct: pd, Exact: pexact, Key: joinKeys(s.perKeys)}
	if s.perInfer {
		r.Subjects.Individuals.Inferred = "no person key in some files: each distinct vehicle counted as one individual"
	}
	// Facts. contains_coordinates is true with a valid coordinate, false
	// when nothing coordinate-like was seen, and not measured (nil) when
	// the scan saw possible coordinates it did not use and found no valid
	// one: the user is asked rather than told false.
	unusedFiles := possibleFiles(r)
	var tentative int64
	for _, f := range r.Files {
		tentative += f.TentativePoints
	}
	switch {
	case g.points > tentative:
		r.Facts.ContainsCoordinates = ptr(true)
	case unusedFiles > 0:
		r.Notes = append(r.Notes, fmt.Sprintf("contains_coordinates is not measured: no valid coordinate was found, but %d file(s) hold possible coordinates the scan did not use (values that may be positions it cannot read or convert: see those files' problems). Declare contains_coordinates for the asset, or name the columns lat and lon (in degrees) and scan again.", unusedFiles))
	default:
		r.Facts.ContainsCoordinates = ptr(false)
	}
	if s.times > 0 {
		v := r.Time.SpanDays
		r.Facts.TimeSpanDays = &v
	}
	if r.Geo.Located && g.points > 0 && len(s.vehKeys) > 0 {
		vc, _ := s.vehicles.Count(1) // flagInChina is bit 1
		n := uint64(vc)
		r.Subjects.Vehicles.InChina = &n
		v := int64(vc)
		r.Facts.VehiclesInChina = &v
	}
	ind := int64(pd)
	r.Facts.Individuals = &ind
	sens, _ := s.people.Count(3) // flagSensitive
	sv := int64(sens)
	r.Facts.SensitiveIndividuals = &sv
	if !vexact || !pexact || !r.Detectors.VIN.DistinctExact {
		r.Notes = append(r.Notes, fmt.Sprintf("Some distinct counts exceeded %s values and are HyperLogLog estimates (standard error 0.41%%).", thousands(s.opt.ExactLimit)))
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// outOfRangeNote reports the coordinates of a file with no valid one that
// are out of range (placeholders left out): possible coordinates in
// another unit or format, named when the first value suggests one.
func outOfRangeNote(n int64, lat, lon float64) string {
	likely := ""
	if f := likelyFormat(lat, lon); f != "" {
		likely = " (the first, " + trimFloat(lat) + "," + trimFloat(lon) + ", looks like " + f + ")"
	}
	return fmt.Sprintf("possible coordinates not used: %d value pair(s) in coordinate columns are out of degree range and no valid coordinate was found%s; they may be positions in another unit or format, which the scan does not convert: contains_coordinates is left undetermined; convert them to degrees to place them", n, likely)
}

// likelyFormat names the unit or format an out-of-range coordinate pair
// looks like ("" when none fits): integer millionths of a degree (GB/T
// 32960) or ten-millionths (E7), NMEA degrees and minutes (ddmm.mmmm),
// metres in a projected system, or a latitude and longitude swapped.
func likelyFormat(lat, lon float64) string {
	al, ao := math.Abs(lat), math.Abs(lon)
	whole := lat == math.Trunc(lat) && lon == math.Trunc(lon)
	inRange := func(s float64) bool { return al/s <= 90 && ao/s <= 180 }
	nmea := func(v float64) bool { return math.Mod(v, 100) < 60 }
	switch {
	case whole && max(al, ao) >= 1e6 && inRange(1e6) && !inRange(1e5):
		return "millionths of a degree (GB/T 32960)"
	case whole && max(al, ao) >= 1e7 && inRange(1e7):
		return "ten-millionths of a degree (E7)"
	case al <= 180 && ao <= 90:
		return "a latitude and a longitude swapped"
	case al <= 9000 && ao <= 18000 && nmea(al) && nmea(ao) && !whole:
		return "NMEA degrees and minutes (ddmm.mmmm)"
	case max(al, ao) >= projectedMin:
		return "metres in a projected coordinate system (Web Mercator, UTM, CGCS2000)"
	}
	return ""
}

func sortedKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func round(v float64, places int) float64 {
	p := 1.0
	for i := 0; i < places; i++ {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}
