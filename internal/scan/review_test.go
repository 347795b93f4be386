package scan

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One stray quote costs one row, reported at its line; the rows after it
// are read as rows (it used to swallow the rest of the file).
func TestScan_StrayQuoteCostsOneRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("vin,lat,lon,time\n")
	for i := 0; i < 20000; i++ {
		if i == 99 {
			b.WriteString("LRW3E7EB6RC101571,\"30.1,104.06,1700000000\n")
			continue
		}
		fmt.Fprintf(&b, "LRW3E7EB6RC101571,30.%04d,104.06,%d\n", i, 1700000000+i)
	}
	for _, cs := range []int{0, 4096} {
		r := scanPaths(t, Options{Geo: fakeGeo, chunkSize: cs}, writeTemp(t, "q.csv", b.String()))
		f := r.Files[0]
		if f.Records != 20000 || f.Malformed != 1 || f.Status != StatusPartial || r.Geo.Points != 19999 {
			t.Fatalf("chunk %d: %+v geo %+v", cs, f, r.Geo)
		}
		if len(f.Problems) != 1 || f.Problems[0].Line != 101 || !strings.Contains(f.Problems[0].Text, "did not close") {
			t.Fatalf("chunk %d: problems %+v", cs, f.Problems)
		}
	}
}

// A very long line in a file without quotes is reported as a long line, not
// as a quote that did not close.
func TestScan_LongLineIsNotAQuoteProblem(t *testing.T) {
	data := "note\n" + strings.Repeat("word ", 60<<10) + "\nLRW3E7EB6RC101571\n"
	r := scanPaths(t, Options{chunkSize: 1024}, writeTemp(t, "long.txt", data))
	f := r.Files[0]
	text := fmt.Sprint(f.Problems)
	if f.Status != StatusPartial || strings.Contains(text, "quote") || !strings.Contains(text, "line longer than") || r.Detectors.VIN.Count != 1 {
		t.Fatalf("%+v", f)
	}
}

// ASCII for the whole sniffed head, GBK after it: decoded as GB18030 from
// there, the plates found, and the switch reported with its line.
func TestScan_GBKAfterTheHead(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("vin,plate,note\n")
	n := 0
	for b.Len() < 300<<10 {
		fmt.Fprintf(&b, "LRW3E7EB6RC101571,,ascii only note %d\n", n)
		n++
	}
	for i := 0; i < 100; i++ {
		// 京A100xx,中文备注 in GBK
		b.Write([]byte("LRW3E7EB6RC101571,\xbe\xa9A100"))
		fmt.Fprintf(&b, "%02d,\xd6\xd0\xce\xc4\xb1\xb8\xd7\xa2\n", i)
	}
	r := scanPaths(t, Options{}, writeTemp(t, "gbk_late.csv", b.String()))
	f := r.Files[0]
	if f.Encoding != "gb18030" || f.Status != StatusScanned || r.Detectors.Plate.Distinct != 100 {
		t.Fatalf("%+v plates %+v", f, r.Detectors.Plate)
	}
	if len(f.Problems) != 1 || f.Problems[0].Line != int64(n+2) || !strings.Contains(f.Problems[0].Text, "GB18030") {
		t.Fatalf("problems %+v", f.Problems)
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	return gz.Bytes()
}

// A gzip cut off (inside the sniffed head or after it) is partial with what
// was readable; a corrupt one is partial too, never skipped, and the problem
// names the offset.
func TestScan_BrokenGzipIsPartial(t *testing.T) {
	var b strings.Builder
	rows := 0
	for b.Len() < 800<<10 {
		fmt.Fprintf(&b, "%032x,%032x,%d,104.0%04d,30.6%04d\n", rows*7919, rows*104729, 1477955400+rows, rows%9999, rows%7777)
		rows++
	}
	gz := gzipped(t, []byte(b.String()))
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		data []byte
		min  int64
	}{
		{"head.csv.gz", gz[:len(gz)/10], 100},
		{"tail.csv.gz", gz[:len(gz)*3/4], int64(rows / 2)},
		{"corrupt.csv.gz", []byte{0x1f, 0x8b, 0, 0, 1, 2, 3}, 0},
	} {
		p := filepath.Join(dir, c.name)
		os.WriteFile(p, c.data, 0o644)
		r := scanPaths(t, Options{Geo: fakeGeo}, p)
		f := r.Files[0]
		text := fmt.Sprint(f.Problems)
		if f.Status != StatusPartial || f.Records < c.min || !f.Gzip || !strings.Contains(text, "byte ") || !strings.Contains(text, "gzip") {
			t.Fatalf("%s: %+v", c.name, f)
		}
		if c.min > 0 && r.Geo.Points < c.min-1 {
			t.Fatalf("%s: points %d", c.name, r.Geo.Points)
		}
	}
}
