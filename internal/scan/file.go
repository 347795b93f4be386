package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/xborder/xborder/internal/scan/detect"
	"github.com/xborder/xborder/internal/scan/distinct"
	"github.com/xborder/xborder/internal/scan/read"
)

// Flags carried by vehicle and person keys.
const (
	flagPoint   = 1 << 0 // the key's record had a valid coordinate
	flagInChina = 1 << 1 // ... in mainland China
	flagCNID    = 1 << 2 // the record held a resident ID number
	// flagSensitive: the record held sensitive PI (a position or an ID number).
	flagSensitive = 1 << 3
)

// fileState is what every worker shares about the file being scanned.
type fileState struct {
	index    int
	path     string
	format   string
	dialect  read.Dialect
	sch      *schema
	quotes   bool
	crs      string
	checkUTF bool
	// perConst is a person key fixed for the whole file (GeoLife user
	// folder), 0 if none.
	perConst uint64
	// veh holds this file's vehicle keys with their flags; merged into the
	// scanner's vehicles at the end of the file, and into its people when
	// the file has no person key (one person per vehicle). When the key
	// column is the VIN (or plate) column, the detector's distinct set is
	// filled from it too, so each record costs one table update, not three.
	veh *distinct.Flagged
	// keyDet is the detector whose distinct set comes from veh (-1: none).
	keyDet int
	// txt holds identifiers found in free text (VINs, plates, resident
	// IDs, phones) with their records' flags: the subjects of a file that
	// has no key column (a log), chosen at the end of the file.
	txt [numTxt]*distinct.Flagged
	// unused counts the problems that report possible coordinates not used
	// (the schema's unusedNote, coordinate-like values turning up late in
	// text columns), first at unusedLine: without a valid coordinate they
	// leave contains_coordinates undetermined.
	unused     int64
	unusedLine int64
}

// chunkProblems collects problems with a bound.
type problems struct {
	list  []Problem
	count int64
	max   int
}

func (p *problems) add(line int64, format string, args ...any) {
	p.count++
	if len(p.list) < 4*p.max {
		p.list = append(p.list, Problem{Line: line, Text: fmt.Sprintf(format, args...)})
		return
	}
	p.trim()
	if line < p.list[len(p.list)-1].Line {
		p.list[len(p.list)-1] = Problem{Line: line, Text: fmt.Sprintf(format, args...)}
	}
}

func (p *problems) trim() {
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].Line < p.list[j].Line })
	if len(p.list) > p.max {
		p.list = p.list[:p.max]
	}
}

// worker parses chunks of one file; it keeps local totals merged at the end.
type worker struct {
	s   *Scanner
	fs  *fileState
	sch *schema // fs.sch, or the worker's own growing schema for JSON
	// json: column index of each flattened key
	jcols map[string]int

	det       [numDet]struct{ count, invalid, unverified int64 }
	batches   [numDet]*distinct.Batch
	veh, per  *distinct.FlagBatch
	samples   [numDet][]sample
	chunkSmp  [numDet]int
	firstLine [numDet]int64

	records, malformed                int64
	tmin, tmax, times, timeBad        int64
	assumed                           bool
	points, outside, invalid, swapped int64
	inChina, hkmotw                   int64
	// oor: coordinates out of range that are not placeholders (a: lat,
	// b: lon). jxy: JSON records whose sibling keys x and y hold values
	// that may be a position (a: x, b: y); JSON x/y are not read as
	// coordinates, so they leave contains_coordinates undetermined.
	oor, jxy  sighting
	places    placeTab
	probs     problems
	line, seq int64

	fields  [][]byte
	scratch []byte

	jbuf        []jfield
	memos       []memo
	badUTFChunk bool
	prefix      string // "feature 12: " for GeoJSON problems
	stopLine    int64  // where reading stopped on a broken stream
	rowPending  [][2]float64

	// per-row state
	cv      [2 * maxPairs]float64 // coordinate values by slot
	rowPts  [8][2]float64
	rowNPts int
	rowCNID bool
	rowTxt  [8]txtKey
	rowNTxt int
	noKeys  bool // identifiers found now do not key subjects

	txt [numTxt]*distinct.FlagBatch
	// numText: text columns (by index < 64) where a coordinate-like value
	// turned up, with the first line.
	numText uint64
	numLine [64]int64
}

func (s *Scanner) newWorker(fs *fileState) *worker {
	w := &worker{s: s, fs: fs, sch: fs.sch, tmin: 1<<63 - 1, tmax: -1 << 63}
	w.probs.max = s.opt.MaxProblems
	for i := range w.batches {
		w.batches[i] = distinct.NewBatch(s.det[i].counter)
	}
	w.veh = distinct.NewFlagBatch(fs.veh)
	w.per = distinct.NewFlagBatch(s.people)
	return w
}

// scanFile scans one file and appends its report.
func (s *Scanner) scanFile(ctx context.Context, path string) error {
	s.mu.Lock()
	idx := s.fileIndex
	s.fileIndex++
	s.mu.Unlock()
	fr := FileReport{Path: path, Problems: []Problem{}, CRS: "none"}
	f, err := read.Open(path)
	if err != nil {
		fr.Status = StatusSkipped
		fr.Format = "unknown"
		fr.Encoding = "unknown"
		fr.Problems = append(fr.Problems, Problem{Line: 0, Text: "not read: " + err.Error()})
		fr.ProblemCount = 1
		s.addFile(fr)
		return nil
	}
	defer f.Close()
	fr.Bytes, fr.Encoding, fr.Gzip = f.Size, f.Encoding, f.Gzip
	if f.Binary {
		fr.Status, fr.Format = StatusSkipped, "binary"
		fr.Problems = append(fr.Problems, Problem{Line: 0, Text: "binary or UTF-16 content: not scanned"})
		fr.ProblemCount = 1
		s.bytesDone.Add(f.Size)
		s.addFile(fr)
		return nil
	}
	s.curFile.Store(&fileProgress{f: f})
	defer func() {
		s.curFile.Store(nil)
		s.bytesDone.Add(f.Size)
	}()
	complete := f.HeadComplete
	d := read.Sniff(path, f.Head, complete)
	fr.Format = d.Format
	fs := &fileState{index: idx, path: path, format: d.Format, dialect: d, checkUTF: f.Encoding != read.EncGB18030,
		veh: distinct.NewFlagged(s.opt.ExactLimit), keyDet: -1}
	for i := range fs.txt {
		fs.txt[i] = distinct.NewFlagged(s.opt.ExactLimit)
	}
	fs.crs, fr.CRSSource = s.fileCRS(path, d)
	var notes []string
	switch d.Format {
	case read.FormatCSV, read.FormatPLT:
		fs.quotes = true
		fr.Delimiter = string(d.Delim)
		fr.Header = d.Header != nil && d.Format == read.FormatCSV
		sample := sampleRecords(f.Head, complete, d)
		fs.sch = decideSchema(d.Header, d.NumFields, sample, s.mainland(fs.crs))
		if fr.CRSSource == "assumed" {
			// A coordinate column may name its system (lat_gcj02).
			for _, p := range fs.sch.pairs {
				if c := detect.HeaderCRS(colName(d.Header, p.lat) + " " + colName(d.Header, p.lon)); c != "" {
					fs.crs, fr.CRSSource = c, "file"
					break
				}
			}
		}
		if d.Format == read.FormatPLT {
			fs.sch.timeUTC = true
			fs.perConst = geolifeUser(path)
		}
		notes = fs.sch.notes
		fs.unused = int64(fs.sch.unused)
		if k := fs.sch.vehKey; k >= 0 {
			switch fs.sch.kinds[k] {
			case kVIN:
				fs.keyDet = dVIN
			case kPlate:
				fs.keyDet = dPlate
			}
		}
		for i, k := range fs.sch.kinds {
			fr.Columns = append(fr.Columns, ColumnReport{Index: i + 1, Name: colName(d.Header, i), Kind: k.String(), Why: fs.sch.why[i]})
		}
	}
	var workers []*worker
	var err2 error
	switch d.Format {
	case read.FormatGeoJSON:
		w := s.newWorker(fs)
		workers = []*worker{w}
		err2 = w.geojson(ctx, f.Reader())
	case read.FormatJSON:
		w := s.newWorker(fs)
		workers = []*worker{w}
		err2 = w.jsonDoc(ctx, f.Reader())
	default:
		workers, err2 = s.runChunks(ctx, f, fs)
	}
	if err2 != nil && (ctx.Err() != nil) {
		return ctx.Err()
	}
	if ok, off, line := f.Switched(); ok {
		fr.Encoding = read.EncGB18030
		workers[0].probs.add(line, "the first %d bytes are ASCII and the bytes from byte %d on are GB18030, not UTF-8: the file was decoded as GB18030 (ASCII is the same in both)", off, off)
	}
	var se *read.StreamError
	if err2 != nil && errors.As(err2, &se) {
		// A corrupt or truncated compressed stream: what came before the
		// break was scanned; the problem says where it broke.
		w := workers[0]
		what := "the records before it were scanned"
		if se.Offset == 0 {
			what = "nothing before it could be read"
		}
		w.probs.add(w.stopLine, "reading stopped: %v; %s", err2, what)
		err2 = errStopped
	}
	s.textColumns(fs, workers)
	if fs.format == read.FormatJSONL {
		fr.Columns = jsonColumns(workers)
	}
	s.textSubjects(fs, workers)
	s.finishFile(&fr, fs, workers, notes, err2)
	return nil
}

// textColumns reports text columns where coordinate-like values turned up
// after the sample had decided them (so positions are never missed
// silently: the columns were scanned as text).
func (s *Scanner) textColumns(fs *fileState, ws []*worker) {
	if fs.sch == nil {
		return
	}
	var cols uint64
	var first [64]int64
	for _, w := range ws {
		cols |= w.numText
		for i := range first {
			if w.numText&(1<<i) != 0 && (first[i] == 0 || w.numLine[i] < first[i]) {
				first[i] = w.numLine[i]
			}
		}
	}
	if cols&(cols-1) == 0 {
		return // none, or a single column: a pair needs two
	}
	var names []string
	line := int64(0)
	for i := 0; i < 64; i++ {
		if cols&(1<<i) != 0 {
			names = append(names, colName(fs.sch.names, i))
			if line == 0 || first[i] < line {
				line = first[i]
			}
		}
	}
	ws[0].probs.add(line, "possible coordinates in columns %s not used: coordinate-like values appear from here on in columns the first %d records decided hold text; name them lat and lon, or check the file", strings.Join(names, ","), sampleRows)
	if fs.unused == 0 {
		fs.unusedLine = line
	}
	fs.unused++
}

// jsonColumns lists the keys of a JSON Lines file over every worker's
// schema (each worker saw some of the records), in order of first sight.
func jsonColumns(ws []*worker) []ColumnReport {
	var out []ColumnReport
	seen := map[string]bool{}
	for _, w := range ws {
		if w.sch == nil {
			continue
		}
		for i, k := range w.sch.kinds {
			if n := w.sch.names[i]; !seen[n] {
				seen[n] = true
				out = append(out, ColumnReport{Index: len(out) + 1, Name: n, Kind: k.String(), Why: w.sch.why[i]})
			}
		}
	}
	return out
}

// textSubjects: in a file without a vehicle key column, the VINs found in
// its free text (else its plates) are its vehicles; without a person key
// column, its resident ID numbers (else phone numbers) found in text are
// its people, when there are at least as many of them as vehicles (else
// one person per vehicle stands, as for any file with vehicles only). The
// key is reported as "vin (found in text)" and so on.
func (s *Scanner) textSubjects(fs *fileState, ws []*worker) {
	hasVeh, hasPer := false, fs.perConst != 0
	for _, w := range ws {
		w.flush()
		if w.sch != nil {
			hasVeh = hasVeh || w.sch.vehKey >= 0
			hasPer = hasPer || w.sch.perKey >= 0
		}
	}
	vehLabel, perLabel := "", ""
	if !hasVeh {
		for _, k := range []int{tVIN, tPlate} {
			if n, _ := fs.txt[k].Count(-1); n > 0 {
				_ = fs.veh.Merge(fs.txt[k])
				vehLabel = txtNames[k] + " (found in text)"
				break
			}
		}
	}
	if !hasPer {
		nv, _ := fs.veh.Count(-1)
		for _, k := range []int{tCNID, tPhone} {
			n, _ := fs.txt[k].Count(-1)
			if n == 0 {
				continue
			}
			if n >= nv {
				_ = s.people.Merge(fs.txt[k])
				perLabel = txtNames[k] + " (found in text)"
			}
			break
		}
	}
	if vehLabel == "" && perLabel == "" {
		return
	}
	// The report takes its key names from the first worker's schema: give
	// it one with the text keys as columns of their own (never listed for
	// CSV files; for JSON Lines the columns are listed already).
	w := ws[0]
	var ls schema
	if b := w.sch; b != nil {
		ls = *b
		ls.kinds = append([]colKind(nil), b.kinds...)
		ls.why = append([]string(nil), b.why...)
		ls.names = make([]string, len(b.kinds))
		copy(ls.names, b.names)
	} else {
		ls.vehKey, ls.perKey = -1, -1
	}
	n := len(ls.kinds)
	ls.kinds = append(ls.kinds, kText, kText)
	ls.names = append(ls.names, vehLabel, perLabel)
	ls.why = append(ls.why, "not a column: identifiers found in free text", "not a column: identifiers found in free text")
	if vehLabel != "" {
		ls.vehKey = n
	}
	if perLabel != "" {
		ls.perKey = n + 1
	}
	w.sch = &ls
}

// fileCRS decides the coordinate system of a file: the --crs flag, else a
// system the file names (PLT header, "gcj02"/"bd09" in its name), else
// WGS-84 assumed.
func (s *Scanner) fileCRS(path string, d read.Dialect) (string, string) {
	if s.opt.CRS != "" {
		return s.opt.CRS, "flag"
	}
	if d.CRSHint != "" {
		return d.CRSHint, "file"
	}
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.Contains(base, "gcj02") || strings.Contains(base, "gcj-02") || strings.Contains(base, "gcj_02"):
		return "gcj02", "file"
	case strings.Contains(base, "bd09") || strings.Contains(base, "bd-09"):
		return "bd09", "file"
	case strings.Contains(base, "wgs84") || strings.Contains(base, "wgs-84"):
		return "wgs84", "file"
	}
	return "wgs84", "assumed"
}

// mainland tells whether a point (in the file's coordinate system) is in
// mainland China, for deciding the order of a headerless coordinate pair;
// nil without boundaries (a rough box is used then).
func (s *Scanner) mainland(crs string) func(lat, lon float64) bool {
	g := s.opt.Geo
	if g == nil || g.Locator == nil {
		return nil
	}
	return func(lat, lon float64) bool {
		if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return false
		}
		x, y := lon, lat
		if crs != "wgs84" && g.ToWGS84 != nil {
			x, y = g.ToWGS84(crs, lon, lat)
		}
		return g.Locator.Locate(x, y).InChina
	}
}

// geolifeUser keys a GeoLife PLT file by its user folder
// (.../<user>/Trajectory/<file>.plt): one person per folder.
func geolifeUser(path string) uint64 {
	dir := filepath.Dir(path)
	if strings.EqualFold(filepath.Base(dir), "Trajectory") {
		dir = filepath.Dir(dir)
	}
	return distinct.Hash([]byte("geolife-user:" + filepath.Base(dir)))
}

// sampleRows is how many records decide the columns.
const sampleRows = 2000

// sampleRecords parses the records in the head for column decisions.
func sampleRecords(head []byte, complete bool, d read.Dialect) [][][]byte {
	data := head
	if !complete {
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		}
	}
	skip := d.SkipLines
	if d.Header != nil && d.Format == read.FormatCSV {
		skip = 1
	}
	var out [][][]byte
	pos, line := 0, 0
	for pos < len(data) && len(out) < sampleRows {
		rec, next, _, _ := read.NextRecord(data, pos, d.Delim)
		pos = next
		line++
		if line <= skip || len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		fields, _, _ := read.SplitFields(rec, d.Delim, nil, nil)
		cp := make([][]byte, len(fields))
		for i, f := range fields {
			cp[i] = append([]byte(nil), f...)
		}
		out = append(out, cp)
	}
	return out
}

// runChunks feeds the file's chunks to the workers.
func (s *Scanner) runChunks(ctx context.Context, f *read.File, fs *fileState) ([]*worker, error) {
	skip := fs.dialect.SkipLines
	if fs.dialect.Header != nil && fs.format == read.FormatCSV {
		skip = 1
	}
	size := s.opt.chunkSize
	if size <= 0 {
		size = read.ChunkSize
	}
	var delim byte
	if fs.quotes {
		delim = fs.dialect.Delim
	}
	ck := read.NewChunkerSize(f.Reader(), delim, skip, size)
	jobs := make(chan *read.Chunk, s.opt.Workers)
	workers := make([]*worker, s.opt.Workers)
	var wg sync.WaitGroup
	for i := range workers {
		w := s.newWorker(fs)
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				w.chunk(c)
				ck.Release(c)
			}
		}()
	}
	var readErr error
	for {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		c, err := ck.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			workers[0].stopLine = int64(ck.Line())
			break
		}
		jobs <- c
	}
	close(jobs)
	wg.Wait()
	return workers, readErr
}

var allText = detect.TextOptions{Times: true, Points: true}

// chunk processes every record of a chunk.
func (w *worker) chunk(c *read.Chunk) {
	w.seq = int64(c.Seq)
	for i := range w.memos {
		w.memos[i].n = 0
	}
	for i := range w.chunkSmp {
		w.chunkSmp[i] = 0
	}
	data := c.Data
	line := int64(c.Line)
	// Invalid UTF-8 is found where it matters, by the detectors that decode
	// text (free text, plates, and values that failed their column type):
	// a full pass over every chunk cost about 5% of the scan.
	w.badUTFChunk = false
	fs := w.fs
	// Most chunks hold no quote at all: then no record can span lines and
	// the per-record quote check is skipped.
	var delim byte
	if fs.quotes && bytes.IndexByte(data, '"') >= 0 {
		delim = fs.dialect.Delim
	}
	for pos := 0; pos < len(data); {
		rec, next, n, ok := read.NextRecord(data, pos, delim)
		pos = next
		w.line = line
		line += int64(n)
		if len(rec) == 0 || (len(rec) < 4 && len(bytes.TrimSpace(rec)) == 0) {
			continue
		}
		w.records++
		switch fs.format {
		case read.FormatCSV, read.FormatPLT:
			w.csvRecord(rec, ok)
		case read.FormatJSONL:
			w.jsonRecord(rec)
		default:
			w.textRecord(rec)
		}
	}
	if c.Cut {
		// The chunk ends inside a line longer than the longest kept whole:
		// its rest is read as the next record.
		w.malformed++
		w.probs.add(line, "a line longer than %d MiB was cut here; its two parts were read as separate records", read.MaxRecord>>20)
	}
	w.flush()
}

// textRecord scans a record as free text, then places the positions found
// in it (inline lat=/lon= pairs).
func (w *worker) textRecord(rec []byte) {
	w.rowNPts, w.rowCNID = 0, false
	detect.ScanText(rec, allText, w)
	var fl uint8
	for i := 0; i < w.rowNPts; i++ {
		fl |= w.point(w.rowPts[i][0], w.rowPts[i][1])
	}
	w.rowNPts = 0
	if w.rowCNID {
		fl |= flagCNID
	}
	if w.rowNTxt > 0 {
		w.textKeys(fl)
	}
}

// problem records an issue at the current line.
func (w *worker) problem(format string, args ...any) {
	if w.prefix != "" {
		format = w.prefix + format
	}
	w.probs.add(w.line, format, args...)
}

func (w *worker) flush() {
	for _, b := range w.batches {
		b.Flush()
	}
	w.veh.Flush()
	w.per.Flush()
	for _, b := range w.txt {
		if b != nil {
			b.Flush()
		}
	}
}

// InvalidUTF8 (detect.Sink): reported once per chunk; the file is partial
// since characters there may be misread. Only for files read as UTF-8:
// GB18030 decoding never yields invalid sequences.
func (w *worker) InvalidUTF8() {
	if w.badUTFChunk || !w.fs.checkUTF {
		return
	}
	w.badUTFChunk = true
	w.malformed++
	w.problem("invalid UTF-8 in a file sniffed as UTF-8: characters there may be misread")
}

func (w *worker) csvRecord(rec []byte, quoteOK bool) {
	fields, scratch, ok := read.SplitFields(rec, w.fs.dialect.Delim, w.fields, w.scratch)
	w.fields, w.scratch = fields, scratch
	n := w.fs.dialect.NumFields
	if len(fields) == n+1 && len(bytes.TrimSpace(fields[n])) == 0 {
		// A trailing delimiter (x,y,) is common in exports: not malformed.
		fields = fields[:n]
	}
	if !quoteOK || !ok || len(fields) != n {
		w.malformed++
		switch {
		case !quoteOK:
			w.problem("a quoted field opened on this line did not close within %d lines or %d KiB (or by the end of the file): the quote is taken as stray, this line was read as a malformed record (scanned as free text) and parsing resumed on the next line",
				read.MaxQuotedLines, read.MaxQuotedBytes>>10)
		case !ok:
			w.problem("broken quoting; record scanned as free text")
		default:
			w.problem("%d fields where %d were expected; record scanned as free text", len(fields), n)
		}
		w.textRecord(rec)
		return
	}
	w.row(fields)
}

// sighting counts occurrences of something worth one problem per file and
// keeps the first (its line and two values), for the problem's text.
type sighting struct {
	n, line int64
	a, b    float64
}

func (s *sighting) see(line int64, a, b float64) {
	if s.n == 0 {
		s.line, s.a, s.b = line, a, b
	}
	s.n++
}

// merge adds o (another worker's part of the same file), keeping the
// earliest first occurrence.
func (s *sighting) merge(o sighting) {
	if o.n > 0 && (s.n == 0 || o.line < s.line) {
		s.line, s.a, s.b = o.line, o.a, o.b
	}
	s.n += o.n
}
