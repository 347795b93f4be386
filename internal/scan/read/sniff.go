package read

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"

	"github.com/xborder/xborder/internal/scan/detect"
)

// Formats reported per file (SPEC §6; geojson and json are additions).
const (
	FormatCSV     = "csv"
	FormatJSONL   = "jsonl"
	FormatPLT     = "plt"
	FormatText    = "text"
	FormatGeoJSON = "geojson"
	FormatJSON    = "json"
)

// Dialect is what the head of a file says about its layout.
type Dialect struct {
	Format    string
	Delim     byte     // csv: , ; \t or |
	Header    []string // csv: the header row, nil when there is none
	NumFields int      // csv: fields per record (mode of the head)
	SkipLines int      // lines before the first record (PLT header)
	// CRSHint is a coordinate system named by the file itself (PLT says
	// "WGS 84"), or "".
	CRSHint string
}

var delims = []byte{',', ';', '\t', '|'}

// headLines returns the complete lines of head (the last one only when
// complete is true), without line ends.
func headLines(head []byte, complete bool, max int) [][]byte {
	var out [][]byte
	for len(head) > 0 && len(out) < max {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			if complete {
				out = append(out, bytes.TrimSuffix(head, []byte{'\r'}))
			}
			break
		}
		out = append(out, bytes.TrimSuffix(head[:i], []byte{'\r'}))
		head = head[i+1:]
	}
	return out
}

// Sniff decides the format and dialect from the file name and head.
// complete says the head holds the whole file.
func Sniff(path string, head []byte, complete bool) Dialect {
	name := strings.ToLower(path)
	name = strings.TrimSuffix(name, ".gz")
	ext := filepath.Ext(name)
	lines := headLines(head, complete, 400)
	if ext == ".plt" || (len(lines) > 0 && bytes.HasPrefix(lines[0], []byte("Geolife trajectory"))) {
		d := Dialect{Format: FormatPLT, Delim: ',', SkipLines: 6, NumFields: 7,
			Header: []string{"latitude", "longitude", "zero", "altitude_ft", "days", "date", "clock"}}
		if len(lines) > 1 && bytes.Contains(bytes.ToUpper(lines[1]), []byte("WGS 84")) {
			d.CRSHint = "wgs84"
		}
		return d
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if ext == ".geojson" || (bytes.HasPrefix(trimmed, []byte("{")) && isGeoJSONHead(trimmed)) {
		return Dialect{Format: FormatGeoJSON}
	}
	if ext == ".jsonl" || ext == ".ndjson" || looksJSONL(lines) {
		return Dialect{Format: FormatJSONL}
	}
	if ext == ".json" || (len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')) {
		return Dialect{Format: FormatJSON}
	}
	d, ok := sniffCSV(lines)
	if ok {
		return d
	}
	return Dialect{Format: FormatText}
}

func isGeoJSONHead(b []byte) bool {
	if len(b) > 4096 {
		b = b[:4096]
	}
	return bytes.Contains(b, []byte(`"FeatureCollection"`)) || bytes.Contains(b, []byte(`"Feature"`))
}

func looksJSONL(lines [][]byte) bool {
	n, good := 0, 0
	for _, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		n++
		if l[0] == '{' && l[len(l)-1] == '}' && json.Valid(l) {
			good++
		}
		if n >= 20 {
			break
		}
	}
	return n > 0 && good*10 >= n*8
}

// sniffCSV picks the delimiter whose field count is most consistent over
// the head lines (at least 2 fields in at least 60% of the lines: dirty
// files still read as tables, their odd rows reported as malformed), then
// decides whether the first line is a header.
func sniffCSV(lines [][]byte) (Dialect, bool) {
	var nonEmpty [][]byte
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			nonEmpty = append(nonEmpty, l)
		}
	}
	if len(nonEmpty) == 0 {
		return Dialect{}, false
	}
	bestScore := 0.0
	var best Dialect
	var fields [][]byte
	var scratch []byte
	for _, d := range delims {
		counts := map[int]int{}
		for _, l := range nonEmpty {
			fields, scratch, _ = SplitFields(l, d, fields, scratch)
			counts[len(fields)]++
		}
		mode, freq := 0, 0
		for n, f := range counts {
			if f > freq || (f == freq && n > mode) {
				mode, freq = n, f
			}
		}
		if mode < 2 {
			continue
		}
		consistency := float64(freq) / float64(len(nonEmpty))
		if consistency < 0.6 {
			continue
		}
		// Prefer consistency, then more fields.
		score := consistency*100 + float64(mode)/100
		if score > bestScore {
			bestScore = score
			best = Dialect{Format: FormatCSV, Delim: d, NumFields: mode}
		}
	}
	if best.Format != "" && best.NumFields <= 4 && proseLines(nonEmpty, best.Delim) {
		// Log lines that happen to hold the same number of commas
		// ("... lat=30.1,lon=104.1 ..."): free text, so that inline pairs
		// are not split into fields.
		return Dialect{}, false
	}
	if best.Format == "" {
		// One value per line (a VIN list): a one-column CSV when the lines
		// have no spaces and look like values rather than prose.
		single := 0
		for _, l := range nonEmpty {
			if bytes.IndexAny(l, " \t") < 0 && len(l) <= 64 {
				single++
			}
		}
		if single*10 < len(nonEmpty)*9 {
			return Dialect{}, false
		}
		best = Dialect{Format: FormatCSV, Delim: ',', NumFields: 1}
	}
	first, _, _ := SplitFields(nonEmpty[0], best.Delim, nil, nil)
	if isHeader(first, nonEmpty[1:], best.Delim) {
		best.Header = make([]string, len(first))
		for i, f := range first {
			best.Header[i] = strings.TrimSpace(string(f))
		}
	}
	return best, true
}

// isHeader: no cell of the first row is a number, a timestamp or an
// identifier, and either a cell names a known kind of column, or some column
// holds numbers below a non-numeric first cell, or the first row's cells all
// differ from every value below them in the head.
func isHeader(first [][]byte, rest [][]byte, delim byte) bool {
	hint := false
	for _, c := range first {
		c = bytes.TrimSpace(c)
		if len(c) == 0 {
			continue
		}
		if _, ok := detect.ParseFloat(c); ok {
			return false
		}
		if _, _, ok := detect.ParseDateTime(c); ok {
			return false
		}
		if detect.CheckVIN(c) != detect.VINInvalid || detect.CheckPlate(c) != detect.PlateNone || detect.CheckCNID(c) || detect.CheckMobile(c) {
			return false
		}
		if detect.HeaderHint(string(c)) != detect.HintNone {
			hint = true
		}
	}
	if hint || len(rest) == 0 {
		return hint
	}
	numericBelow := make([]int, len(first))
	same := false
	var fields [][]byte
	var scratch []byte
	for _, l := range rest {
		fields, scratch, _ = SplitFields(l, delim, fields, scratch)
		for i, f := range fields {
			if i >= len(first) {
				break
			}
			if _, ok := detect.ParseFloat(bytes.TrimSpace(f)); ok {
				numericBelow[i]++
			}
			if bytes.Equal(bytes.TrimSpace(f), bytes.TrimSpace(first[i])) && len(f) > 0 {
				same = true
			}
		}
	}
	for i := range first {
		if numericBelow[i]*10 >= len(rest)*9 && len(bytes.TrimSpace(first[i])) > 0 {
			return true
		}
	}
	return !same && len(rest) >= 2 && allWordLike(first)
}

// allWordLike: every cell is short and made of letters, digits, spaces,
// underscores, brackets or CJK characters (what headers are made of).
func allWordLike(cells [][]byte) bool {
	for _, c := range cells {
		s := strings.TrimSpace(string(c))
		if s == "" || len(s) > 64 {
			return false
		}
		for _, r := range s {
			if !(r == '_' || r == ' ' || r == '(' || r == ')' || r == '-' || r == '.' ||
				(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r >= 0x3000) {
				return false
			}
		}
	}
	return true
}

// proseLines: at least 80% of the lines are prose in every field (three or
// more words, or a key=value), as log lines are and table rows are not.
func proseLines(lines [][]byte, delim byte) bool {
	var fields [][]byte
	var scratch []byte
	prose := 0
	for _, l := range lines {
		fields, scratch, _ = SplitFields(l, delim, fields, scratch)
		all := true
		for _, f := range fields {
			f = bytes.TrimSpace(f)
			if bytes.IndexByte(f, '=') < 0 && len(bytes.Fields(f)) < 3 {
				all = false
				break
			}
		}
		if all {
			prose++
		}
	}
	return prose*10 >= len(lines)*8
}
