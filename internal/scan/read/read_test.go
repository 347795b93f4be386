package read

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/scan/shareddata"
)

func TestSplitFields(t *testing.T) {
	cases := []struct {
		in    string
		delim byte
		want  []string
		ok    bool
	}{
		{"a,b,c", ',', []string{"a", "b", "c"}, true},
		{"a,,c,", ',', []string{"a", "", "c", ""}, true},
		{`"a,b",c`, ',', []string{"a,b", "c"}, true},
		{`"say ""hi""",x`, ',', []string{`say "hi"`, "x"}, true},
		{"\"multi\nline\",y", ',', []string{"multi\nline", "y"}, true},
		{`"open,x`, ',', []string{"open,x"}, false},
		{`ab"c,d`, ',', []string{`ab"c`, "d"}, false},
		{`"a"b,c`, ',', []string{"ab", "c"}, false},
		{"a;b;c", ';', []string{"a", "b", "c"}, true},
		{"", ',', []string{""}, true},
		{`"",""`, ',', []string{"", ""}, true},
		{`x,""`, ',', []string{"x", ""}, true},
		{`"x",`, ',', []string{"x", ""}, true},
	}
	for _, c := range cases {
		got, _, ok := SplitFields([]byte(c.in), c.delim, nil, nil)
		var gs []string
		for _, f := range got {
			gs = append(gs, string(f))
		}
		if fmt.Sprint(gs) != fmt.Sprint(c.want) || len(gs) != len(c.want) || ok != c.ok {
			t.Errorf("SplitFields(%q) = %q,%v want %q,%v", c.in, gs, ok, c.want, c.ok)
		}
	}
}

// records reassembles every record from a chunker and returns them with the
// line each started on.
func records(t testing.TB, data string, quotes bool, size int) ([]string, []int) {
	var delim byte
	if quotes {
		delim = ','
	}
	c := NewChunkerSize(strings.NewReader(data), delim, 0, size)
	var out []string
	var lines []int
	seq := 0
	for {
		ch, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ch.Seq != seq {
			t.Fatalf("chunk seq %d, want %d", ch.Seq, seq)
		}
		seq++
		line := ch.Line
		for pos := 0; pos < len(ch.Data); {
			rec, next, n, _ := NextRecord(ch.Data, pos, delim)
			out = append(out, string(rec))
			lines = append(lines, line)
			line += n
			pos = next
		}
		c.Release(ch)
	}
	return out, lines
}

// No record is lost or cut at chunk edges, whatever the chunk size, with
// quoted newlines, CRLF and a missing final newline.
func TestChunker_NeverSplitsARecord(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 200; trial++ {
		var want []string
		var wantLines []int
		var sb strings.Builder
		line := 1
		n := rng.Intn(60) + 1
		for i := 0; i < n; i++ {
			var rec string
			nl := 0
			switch rng.Intn(4) {
			case 0:
				rec = fmt.Sprintf("%d,plain,%d", i, rng.Intn(1e6))
			case 1:
				rec = fmt.Sprintf("%d,\"quoted\nnewline %d\",x", i, rng.Intn(100))
				nl = 1
			case 2:
				rec = fmt.Sprintf("%d,\"a \"\"b\"\" c\",%s", i, strings.Repeat("z", rng.Intn(50)))
			default:
				rec = fmt.Sprintf("%d,\"two\n\nbreaks\",y", i)
				nl = 2
			}
			want = append(want, rec)
			wantLines = append(wantLines, line)
			line += nl + 1
			sb.WriteString(rec)
			if i < n-1 || rng.Intn(2) == 0 {
				if rng.Intn(2) == 0 {
					sb.WriteString("\r")
				}
				sb.WriteString("\n")
			}
		}
		size := 16 + rng.Intn(100)
		got, gotLines := records(t, sb.String(), true, size)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("trial %d size %d:\n got %q\nwant %q", trial, size, got, want)
		}
		if fmt.Sprint(gotLines) != fmt.Sprint(wantLines) {
			t.Fatalf("trial %d: lines %v want %v", trial, gotLines, wantLines)
		}
	}
}

func TestChunker_SkipLinesKeepsLineNumbers(t *testing.T) {
	data := "h1\nh2\nh3\na\nb\n"
	c := NewChunkerSize(strings.NewReader(data), 0, 3, 16)
	ch, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ch.Line != 4 || !bytes.HasPrefix(ch.Data, []byte("a\n")) {
		t.Fatalf("line %d data %q", ch.Line, ch.Data)
	}
}

func TestChunker_UnclosedQuoteIsReset(t *testing.T) {
	data := "a,\"never closed\n" + strings.Repeat("x,y\n", 200)
	got, _ := records(t, data, true, 64)
	if len(got) == 0 {
		t.Fatal("no records")
	}
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "x,y") {
		t.Fatal("data after a broken quote was lost")
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpen_EncodingsAndGzip(t *testing.T) {
	gbk := []byte{0xbe, 0xad, 0xb6, 0xc8, ',', 0xce, 0xb3, 0xb6, 0xc8, '\n', '1', ',', '2', '\n'} // 经度,纬度
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("\xef\xbb\xbfvin\nLRW3E7EB6RC101571\n"))
	zw.Close()
	cases := []struct {
		name, enc, head string
		data            []byte
		gzip            bool
	}{
		{"a.csv", EncUTF8, "lon,lat\n", []byte("lon,lat\n"), false},
		{"b.csv", EncUTF8BOM, "车牌\n", []byte("\xef\xbb\xbf车牌\n"), false},
		{"c.csv", EncGB18030, "经度,纬度\n1,2\n", gbk, false},
		{"d.csv.gz", EncUTF8BOM, "vin\nLRW3E7EB6RC101571\n", gz.Bytes(), true},
	}
	for _, c := range cases {
		f, err := Open(writeFile(t, c.name, c.data))
		if err != nil {
			t.Fatal(err)
		}
		all, _ := io.ReadAll(f.Reader())
		if f.Encoding != c.enc || f.Gzip != c.gzip || string(all) != c.head || string(f.Head) != c.head {
			t.Errorf("%s: enc %s gzip %v data %q head %q", c.name, f.Encoding, f.Gzip, all, f.Head)
		}
		f.Close()
	}
	f, err := Open(writeFile(t, "bin", []byte("abc\x00def")))
	if err != nil || !f.Binary {
		t.Fatalf("binary not flagged: %v", err)
	}
	// A broken gzip header is not an open error: the file is there, its
	// content is not readable, and Err says so.
	if f, err := Open(writeFile(t, "bad.gz", []byte{0x1f, 0x8b, 0, 0})); err != nil || f.Err == nil || !f.Gzip {
		t.Fatalf("broken gzip header: %v %+v", err, f)
	} else if _, err := io.ReadAll(f.Reader()); err == nil || !strings.Contains(err.Error(), "header") {
		t.Fatalf("reading a broken gzip: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file opened")
	}
}

func TestSniff(t *testing.T) {
	cases := []struct {
		name, head string
		format     string
		delim      byte
		header     bool
		fields     int
	}{
		{"t.csv", "user_id;tracked_at;latitude;longitude\n1;2008-10-26T05:59:34Z;39.97;116.32\n1;2008-10-26T05:59:36Z;39.97;116.32\n", FormatCSV, ';', true, 4},
		{"t.csv", "c3d3,0aba,1477955400,104.08,30.65\nc3d4,0abb,1477955401,104.08,30.66\n", FormatCSV, ',', false, 5},
		{"t.tsv", "vin\tplate\nLRW3E7EB6RC101571\t京A12345\n", FormatCSV, '\t', true, 2},
		{"t.txt", "a|b|c\n1|2|3\n4|5|6\n", FormatCSV, '|', true, 3},
		{"v.csv", "19UDE2F73HA004506\n19UDE2F31KA002614\n", FormatCSV, ',', false, 1},
		{"x.log", "this is a log line with words\nanother line, with a comma here\nthird line\n", FormatText, 0, false, 0},
		{"x.json", "{\"vin\":\"LRW3E7EB6RC101571\"}\n{\"vin\":\"LRW3E7EB6RC101571\"}\n", FormatJSONL, 0, false, 0},
		{"x.json", "{\"type\": \"FeatureCollection\", \"features\": []}", FormatGeoJSON, 0, false, 0},
		{"20081023025304.plt", "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n39.98,116.31,0,492,39744.12,2008-10-23,02:53:04\n", FormatPLT, ',', true, 7},
		{"n.csv", "name,city\n张三,北京\n李四,上海\n", FormatCSV, ',', true, 2},
		{"l.log", "2024-05-01 08:00:00 INFO at lat=30.6586,lon=104.0647 ok\n2024-05-02 09:30:00 WARN at lat=31.2304, lon=121.4737 ok\nts=1 at lat=1.1,lon=2.2 x\n", FormatText, 0, false, 0},
		{"t.csv", "start,end\n2024-05-01 08:00:00,2024-05-01 09:00:00\n2024-05-02 08:00:00,2024-05-02 09:00:00\n", FormatCSV, ',', true, 2},
	}
	for _, c := range cases {
		d := Sniff(c.name, []byte(c.head), true)
		if d.Format != c.format || d.Delim != c.delim || (d.Header != nil) != c.header || d.NumFields != c.fields {
			t.Errorf("Sniff(%s): %+v", c.name, d)
		}
	}
}

// Dialects of the real files, checked by eye against SOURCES.md.
func TestSniff_RealFiles(t *testing.T) {
	cases := []struct {
		rel    string
		enc    string
		format string
		delim  byte
		header bool
		fields int
	}{
		{"trajectories/didi_chengdu_gps_20161101_0710_gcj02.csv", EncUTF8, FormatCSV, ',', false, 5},
		{"trajectories/xiamen_vehicle_0a1c60b6_latlon.txt", EncUTF8, FormatCSV, ',', false, 8},
		{"trajectories/geolife_trajectory_trackintel.csv", EncUTF8, FormatCSV, ';', true, 6},
		{"trajectories/orlando_mislabeled_tdrive_cost_40x.csv", EncUTF8, FormatCSV, ',', true, 4},
		{"trajectories/shenzhen_taxi_traj2_transbigdata.csv", EncUTF8, FormatCSV, ',', true, 6},
		{"derived/jinan_charging_stations_gbk_crlf.csv", EncGB18030, FormatCSV, ',', true, 5},
		{"derived/jinan_charging_stations_utf8bom_crlf.csv", EncUTF8BOM, FormatCSV, ',', true, 5},
		{"obd_can/carobd_toyota_etios_drive1.csv", EncUTF8, FormatCSV, ',', true, 28},
		{"vins/reliability_ranker_vins.csv", EncUTF8, FormatCSV, ',', false, 1},
		{"vins/vin_ocr_vins_by_make.csv", EncUTF8, FormatCSV, ',', true, 3},
		{"plates/ccpd2019_plates.csv", EncUTF8, FormatCSV, ',', true, 2},
		{"charging/jinan_charging_stations.geojson", EncUTF8, FormatGeoJSON, 0, false, 0},
		{"trajectories/geolife_raw_plt_trackintel/000/Trajectory/20081023025304.plt", EncUTF8, FormatPLT, ',', true, 7},
	}
	for _, c := range cases {
		p := shareddata.Path(t, c.rel)
		f, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		d := Sniff(p, f.Head, len(f.Head) < HeadSize)
		f.Close()
		if f.Encoding != c.enc || d.Format != c.format || d.Delim != c.delim || (d.Header != nil) != c.header || d.NumFields != c.fields {
			t.Errorf("%s: enc %s dialect %+v", c.rel, f.Encoding, d)
		}
	}
}

func FuzzSplitFields(f *testing.F) {
	for _, s := range []string{`a,"b,c",d`, `"x""y",`, "\"open", `a"b`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, _, _ := SplitFields(b, ',', nil, nil)
		total := 0
		for _, x := range fields {
			total += len(x)
		}
		if total > len(b) {
			t.Fatalf("fields hold %d bytes from %d", total, len(b))
		}
	})
}

func FuzzChunker(f *testing.F) {
	for _, s := range []string{"a,b\n\"c\nd\",e\n", "x\r\ny", "\"\"\"\n\n"} {
		f.Add([]byte(s), uint8(20))
	}
	f.Fuzz(func(t *testing.T, b []byte, size uint8) {
		c := NewChunkerSize(bytes.NewReader(b), ',', 0, int(size)+16)
		total := 0
		for {
			ch, err := c.Next()
			if err != nil {
				break
			}
			total += len(ch.Data)
			c.Release(ch)
		}
		if total != len(b) {
			t.Fatalf("chunks hold %d bytes of %d", total, len(b))
		}
	})
}

func FuzzSniff(f *testing.F) {
	for _, s := range []string{"a;b\n1;2\n", "{\"a\":1}\n", "Geolife trajectory\nWGS 84\n", "x\ty\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := Sniff("f", b, true)
		if d.Format == FormatCSV && d.NumFields < 1 {
			t.Fatalf("csv with %d fields", d.NumFields)
		}
	})
}

// splitPlain agrees with a byte-by-byte split on every length and
// delimiter position around the 8-byte words.
func TestSplitPlain_MatchesByteSplit(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for n := 0; n < 20000; n++ {
		l := rng.Intn(40)
		b := make([]byte, l)
		for i := range b {
			b[i] = "ab,;\x00\xff"[rng.Intn(6)]
		}
		got, quoted := splitPlain(b, ',', nil)
		want := bytes.Split(b, []byte{','})
		if quoted || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: %q want %q", b, got, want)
		}
		b = append(b, '"')
		if _, q := splitPlain(b, ',', nil); !q {
			t.Fatalf("%q: quote not seen", b)
		}
	}
}

func BenchmarkSplitFields(b *testing.B) {
	rec := []byte("1767196800315,LGXG24KB1RA040614,豫GSBX0K,34.750690,113.614698,55.1,77,park")
	var fields [][]byte
	b.SetBytes(int64(len(rec)))
	for i := 0; i < b.N; i++ {
		fields, _, _ = SplitFields(rec, ',', fields, nil)
	}
	if len(fields) != 8 {
		b.Fatal(len(fields))
	}
}

// A stray quote opens a field that never closes: only its own line is a
// broken record, and parsing resumes on the next line (it used to swallow
// the rest of the chunk, up to 16 MiB of rows).
func TestChunker_StrayQuoteResyncsOnNextLine(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("vin,lat,lon,time\n")
	for i := 0; i < 20000; i++ {
		if i == 99 {
			sb.WriteString("LRW3E7EB6RC101571,\"30.1,104.06,1700000000\n")
			continue
		}
		fmt.Fprintf(&sb, "LRW3E7EB6RC101571,30.%04d,104.06,%d\n", i, 1700000000+i)
	}
	for _, size := range []int{ChunkSize, 4096, 100} {
		c := NewChunkerSize(strings.NewReader(sb.String()), ',', 0, size)
		recs, broken, line := 0, 0, 0
		for {
			ch, err := c.Next()
			if err != nil {
				break
			}
			if ch.Cut {
				t.Fatalf("size %d: a chunk was cut inside a line", size)
			}
			l := ch.Line
			for pos := 0; pos < len(ch.Data); {
				_, next, n, ok := NextRecord(ch.Data, pos, ',')
				recs++
				if !ok {
					broken++
					line = l
				}
				l += n
				pos = next
			}
			c.Release(ch)
		}
		if recs != 20001 || broken != 1 || line != 101 {
			t.Fatalf("size %d: %d records, %d broken at line %d", size, recs, broken, line)
		}
	}
}

// A quoted field may span lines (up to MaxQuotedLines); a quote inside an
// unquoted field is a literal character, not the start of a quoted field.
func TestNextRecord_QuoteRules(t *testing.T) {
	cases := []struct {
		data string
		recs []string
		ok   []bool
	}{
		{"a,\"x\ny\",b\nc\n", []string{"a,\"x\ny\",b", "c"}, []bool{true, true}},
		{"5\" tire,x\nnext,y\n", []string{"5\" tire,x", "next,y"}, []bool{true, true}},
		{"a,\"open\nb\nc\n", []string{"a,\"open", "b", "c"}, []bool{false, true, true}},
		{"\"a\"\"b\",c\r\nd\n", []string{"\"a\"\"b\",c", "d"}, []bool{true, true}},
		{"a,\"" + strings.Repeat("l\n", MaxQuotedLines+2) + "\"\nz\n", nil, nil},
	}
	for _, c := range cases {
		var recs []string
		var oks []bool
		data := []byte(c.data)
		for pos := 0; pos < len(data); {
			rec, next, _, ok := NextRecord(data, pos, ',')
			recs = append(recs, string(rec))
			oks = append(oks, ok)
			pos = next
		}
		if c.recs == nil {
			// Too many lines inside quotes: the opening line is broken, and
			// every later line is a record of its own.
			if oks[0] || recs[0] != "a,\"l" || len(recs) != MaxQuotedLines+4 {
				t.Errorf("%q: %q %v", c.data, recs[:3], oks[:3])
			}
			continue
		}
		if fmt.Sprint(recs) != fmt.Sprint(c.recs) || fmt.Sprint(oks) != fmt.Sprint(c.ok) {
			t.Errorf("%q: %q %v, want %q %v", c.data, recs, oks, c.recs, c.ok)
		}
	}
}

// A line longer than the record limit in a file without any quote is cut,
// and the chunk says so (not "a quoted field did not close").
func TestChunker_LongLineIsCutNotQuote(t *testing.T) {
	data := strings.Repeat("x", 3*MaxQuotedBytes) + "\nshort\n"
	c := NewChunkerSize(strings.NewReader(data), ',', 0, 16)
	cut := false
	total := 0
	for {
		ch, err := c.Next()
		if err != nil {
			break
		}
		cut = cut || ch.Cut
		total += len(ch.Data)
		c.Release(ch)
	}
	if !cut || total != len(data) {
		t.Fatalf("cut %v total %d", cut, total)
	}
}

// A gzip cut off inside the sniffed head: the head is what was readable,
// the stream ends with an error naming the content offset.
func TestOpen_TruncatedGzip(t *testing.T) {
	var plain strings.Builder
	for i := 0; plain.Len() < 600<<10; i++ {
		fmt.Fprintf(&plain, "%08x,%d,104.0%d,30.6%d\n", i*2654435761, 1477955400+i, i%10, i%7)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(plain.String()))
	zw.Close()
	for _, cut := range []int{gz.Len() / 8, gz.Len() / 2} {
		f, err := Open(writeFile(t, "t.csv.gz", gz.Bytes()[:cut]))
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		all, err := io.ReadAll(f.Reader())
		var se *StreamError
		if !errors.As(err, &se) || se.Offset != int64(len(all)) || len(all) == 0 || !strings.HasPrefix(plain.String(), string(all)) {
			t.Fatalf("cut %d: read %d bytes, err %v", cut, len(all), err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("byte %d", len(all))) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("error does not name the offset: %v", err)
		}
		if cut == gz.Len()/8 && (f.Err == nil || !f.HeadComplete || len(f.Head) != len(all)) {
			t.Fatalf("cut in the head: err %v complete %v head %d", f.Err, f.HeadComplete, len(f.Head))
		}
		f.Close()
	}
}

// A file that is ASCII for its first 256 KiB and GB18030 later is decoded
// as GB18030 from its first non-ASCII byte (the same as decoding all of it
// as GB18030); one that turns out to be UTF-8, or neither, stays UTF-8.
func TestOpen_LateEncodingDecides(t *testing.T) {
	ascii := strings.Repeat("LRW3E7EB6RC101571,,ascii only note\n", (300<<10)/36)
	gbk := []byte{0xbe, 0xa9, 'A', '1', '0', '0', '9', '7', ',', 0xd6, 0xd0, 0xce, 0xc4, '\n'} // 京A10097,中文
	cases := []struct {
		name, tail string
		gb         bool
		want       string
	}{
		{"gbk", string(gbk), true, "京A10097,中文\n"},
		{"utf8", "京A10097,中文\n", false, "京A10097,中文\n"},
		{"neither", "\x80\xff bad\n", false, "\x80\xff bad\n"},
	}
	for _, c := range cases {
		f, err := Open(writeFile(t, c.name+".csv", []byte(ascii+c.tail)))
		if err != nil {
			t.Fatal(err)
		}
		all, err := io.ReadAll(f.Reader())
		ok, off, line := f.Switched()
		if err != nil || f.Encoding != EncUTF8 || ok != c.gb || string(all) != ascii+c.want {
			t.Fatalf("%s: err %v enc %s switched %v tail %q", c.name, err, f.Encoding, ok, all[len(ascii):])
		}
		if c.gb && (off != int64(len(ascii)) || line != int64(strings.Count(ascii, "\n")+1)) {
			t.Fatalf("%s: switched at byte %d line %d", c.name, off, line)
		}
		f.Close()
	}
}

// The chunker and NextRecord agree on every record boundary: the records
// and their lines are the same whatever the chunk size, broken quotes and
// all.
func FuzzChunker_SameRecordsAnySize(f *testing.F) {
	for _, s := range []string{"a,\"b\nc\",d\ne\n", "x,\"open\n" + strings.Repeat("y\n", 70) + "z\"\n", "5\" tire,\"q\"\"\n\"\n", "\"\"\"\n\n"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, size uint8) {
		whole, wholeLines := records(t, string(b), true, 1<<20)
		got, gotLines := records(t, string(b), true, int(size)+16)
		if fmt.Sprint(got) != fmt.Sprint(whole) || fmt.Sprint(gotLines) != fmt.Sprint(wholeLines) {
			t.Fatalf("size %d:\n got %q %v\nwant %q %v", int(size)+16, got, gotLines, whole, wholeLines)
		}
	})
}
