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
		if c.min == 0 && f.Encoding != "unknown" {
			t.Fatalf("%s: encoding %s", c.name, f.Encoding)
		}
	}
}

func rowsOf(n int, f func(i int) string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(f(i))
		b.WriteByte('\n')
	}
	return b.String()
}

// Coordinate columns named with the word anywhere (center_lon, pickup_lat,
// lat_gcj02, wd/jd, y/x, 纬度/经度), several pairs a record, each a point.
func TestScan_CoordinateHeadersAndPairs(t *testing.T) {
	cases := []struct {
		name, header string
		row          func(i int) string
		points       int64
		crs          string
	}{
		{"centroids.csv", "adcode,name,center_lon,center_lat,centroid_lon,centroid_lat",
			func(i int) string {
				return fmt.Sprintf("%d,城市,116.%06d,39.%06d,117.%06d,40.%06d", 110000+i, i, i, i, i)
			}, 740, "wgs84"},
		{"trips.csv", "vin,pickup_lat,pickup_lon,dropoff_lat,dropoff_lon",
			func(i int) string { return fmt.Sprintf("LRW3E7EB6RC101571,31.%04d,121.47,30.%04d,120.15", i, i) }, 740, "wgs84"},
		{"gcj.csv", "id,lat_gcj02,lng_gcj02", func(i int) string { return fmt.Sprintf("%d,30.%04d,104.06", i, i) }, 370, "gcj02"},
		{"pinyin.csv", "id,wd,jd", func(i int) string { return fmt.Sprintf("%d,30.%04d,104.06", i, i) }, 370, "wgs84"},
		{"yx.csv", "id,y,x", func(i int) string { return fmt.Sprintf("%d,30.%04d,104.06", i, i) }, 370, "wgs84"},
		{"cn.csv", "编号,GPS纬度,GPS经度", func(i int) string { return fmt.Sprintf("%d,30.%04d,104.06", i, i) }, 370, "wgs84"},
		{"camel.csv", "tripId,startLatitude,startLongitude,endLat,endLng",
			func(i int) string { return fmt.Sprintf("t%d,30.%04d,104.06,31.%04d,121.4", i, i, i) }, 740, "wgs84"},
	}
	for _, c := range cases {
		r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, c.name, c.header+"\n"+rowsOf(370, c.row)))
		f := r.Files[0]
		if r.Geo.Points != c.points || !isTrue(r.Facts.ContainsCoordinates) || f.CRS != c.crs {
			t.Errorf("%s: points %d crs %s columns %+v problems %+v", c.name, r.Geo.Points, f.CRS, f.Columns, f.Problems)
		}
	}
}

// A header-named coordinate column empty throughout the sample is still
// read as coordinates.
func TestScan_CoordinatesEmptyInTheSample(t *testing.T) {
	data := "id,plate,lat,lon\n" + rowsOf(5100, func(i int) string {
		if i < 5000 {
			return fmt.Sprintf("%d,,,", i)
		}
		return fmt.Sprintf("%d,京A1%04d,39.9,116.4", i, i)
	})
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "late.csv", data))
	if r.Geo.Points != 100 || r.Geo.InChina != 100 || *r.Facts.VehiclesInChina != 100 {
		t.Fatalf("geo %+v facts %+v columns %+v", r.Geo, r.Facts, r.Files[0].Columns)
	}
}

// Without a header, longitudes below 90°E (Kashgar) are told from the
// latitudes by the mainland test, either order; a pair that fits neither
// order is reported, not silently dropped.
func TestScan_HeaderlessWesternChina(t *testing.T) {
	latFirst := rowsOf(50, func(i int) string {
		return fmt.Sprintf("LRW3E7EB6RC101571,39.%04d,75.%04d,%d", 4710+i, 9910+i, 1714521610+i)
	})
	lonFirst := rowsOf(50, func(i int) string {
		return fmt.Sprintf("LRW3E7EB6RC101571,75.%04d,39.%04d,%d", 9910+i, 4710+i, 1714521610+i)
	})
	for _, data := range []string{latFirst, lonFirst} {
		r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "xj.csv", data))
		if r.Geo.Points != 50 || r.Geo.InChina != 50 || r.Facts.VehiclesInChina == nil || *r.Facts.VehiclesInChina != 1 {
			t.Fatalf("geo %+v columns %+v", r.Geo, r.Files[0].Columns)
		}
	}
	// Without boundaries a rough box still tells the order.
	if r := scanPaths(t, Options{}, writeTemp(t, "xj.csv", latFirst)); r.Geo.Points != 50 {
		t.Fatalf("no geo: %+v", r.Geo)
	}
	paris := rowsOf(50, func(i int) string { return fmt.Sprintf("x%d,48.%04d,2.%04d", i, 8566+i, 3522+i) })
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "paris.csv", paris))
	if r.Geo.Points != 0 || !strings.Contains(fmt.Sprint(r.Files[0].Problems), "possible coordinates in columns 2,3 not used") {
		t.Fatalf("paris: %+v", r.Files[0])
	}
}

// Columns that look like coordinates but are not used say so: under a
// header naming none, or turning up late in columns the sample decided
// were text.
func TestScan_PossibleCoordinatesAreReported(t *testing.T) {
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "abc.csv", "a,b,c\n"+rowsOf(100, func(i int) string { return fmt.Sprintf("%d,39.9%03d,116.4%03d", i, i, i) })))
	if r.Geo.Points != 0 || !strings.Contains(fmt.Sprint(r.Files[0].Problems), "possible coordinates in columns b,c not used") {
		t.Fatalf("%+v", r.Files[0])
	}
	late := "a,b,c,d\n" + rowsOf(5100, func(i int) string {
		if i < 5000 {
			return fmt.Sprintf("%d,x,y,z", i)
		}
		return fmt.Sprintf("%d,LRW3E7EB6RC101571,39.9%02d,116.4%02d", i, i%100, i%100)
	})
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "late2.csv", late))
	f := r.Files[0]
	if len(f.Problems) != 1 || f.Problems[0].Line != 5002 || !strings.Contains(f.Problems[0].Text, "possible coordinates in columns c,d") {
		t.Fatalf("%+v", f.Problems)
	}
	// ... and the VINs of its text column are its vehicles.
	if r.Subjects.Vehicles.Distinct != 1 || !strings.Contains(r.Subjects.Vehicles.Key, "found in text") {
		t.Fatalf("subjects %+v", r.Subjects)
	}
	// Measurements named as such are not reported.
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "obd.csv", "pressure,temp\n"+rowsOf(100, func(i int) string { return fmt.Sprintf("101.3%02d,35.2%02d", i, i) })))
	if len(r.Files[0].Problems) != 0 {
		t.Fatalf("obd: %+v", r.Files[0].Problems)
	}
}

// JSON records with several coordinate pairs: each a point.
func TestScan_JSONSeveralPairs(t *testing.T) {
	data := rowsOf(10, func(int) string { return `{"vin": "LRW3E7EB6RC101571", "gps": {"lat": 31.23, "lng": 121.47}}` }) +
		rowsOf(10, func(int) string { return `{"vin": "5YJ3E7EBXKF220882", "latitude": 22.54, "longitude": 114.05}` }) +
		rowsOf(10, func(int) string {
			return `{"vin": "LRW3E7EB8RC101362", "pickup": {"lat": 30.1, "lon": 104.1}, "dropoff": {"lat": 30.2, "lon": 104.2}, "lat": 30.3, "location": {"lng": 104.3}}`
		})
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "t3.jsonl", data))
	if r.Geo.Points != 50 || r.Geo.Invalid != 0 || *r.Facts.VehiclesInChina != 2 {
		t.Fatalf("geo %+v facts %+v columns %+v problems %+v", r.Geo, r.Facts, r.Files[0].Columns, r.Files[0].Problems)
	}
}

// Identifiers in a plain log are its subjects: distinct VINs its vehicles
// (placed by the positions on their lines), resident IDs its people; VINs
// joined by underscores and epoch times after ts= count too.
func TestScan_TextIdentifiersAreSubjects(t *testing.T) {
	log := "2024-05-01 08:00:00 INFO user 11010519491231002X logged in from lat=30.6586,lon=104.0647 phone 13800138000\n" +
		"2024-05-02 09:30:00 WARN vehicle LRW3E7EB6RC101571 at lat=31.2304, lon=121.4737 plate 沪AD12345\n" +
		"ts=1717000000000 id 510100199001011235 upload LRW3E7EB8RC101362_20240501.bin\n" +
		"unknown-county 510199199001011237 call 13800138001\n" +
		"hk point lat=22.3193,lon=114.1694\n"
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "log.txt", log))
	if r.Subjects.Vehicles.Distinct != 2 || r.Facts.VehiclesInChina == nil || *r.Facts.VehiclesInChina != 1 ||
		r.Subjects.Vehicles.Key != "vin (found in text)" {
		t.Fatalf("vehicles %+v facts %+v", r.Subjects.Vehicles, r.Facts)
	}
	if *r.Facts.Individuals != 3 || *r.Facts.SensitiveIndividuals != 3 || r.Subjects.Individuals.Key != "cn_id (found in text)" {
		t.Fatalf("individuals %+v facts %+v", r.Subjects.Individuals, r.Facts)
	}
	if r.Time.Count != 3 || *r.Time.Last != "2024-05-30T00:26:40+08:00" {
		t.Fatalf("time %+v", r.Time)
	}
	// A file keyed by a VIN column keeps its key; phones in its notes do
	// not replace one person per vehicle when they are fewer.
	vins := []string{"LRW3E7EB6RC101571", "LRW3E7EB8RC101362", "LRW3E7EBXMC418780", "LRW3E7EB6RC102901", "5YJ3E7EBXKF220882", "1HGCM82633A004352"}
	data := "vin,note\n" + rowsOf(30, func(i int) string { return vins[i%6] + ",hotline 13800138000" })
	r = scanPaths(t, Options{}, writeTemp(t, "v.csv", data))
	if r.Subjects.Vehicles.Key != "vin" || *r.Facts.Individuals != 6 || !strings.Contains(r.Subjects.Individuals.Key, "one person per vehicle") {
		t.Fatalf("subjects %+v", r.Subjects)
	}
}

// The same file named twice (log.txt ./log.txt, or through a link) is
// scanned once.
func TestExpandPaths_SameFileOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.txt")
	os.WriteFile(p, []byte("LRW3E7EB6RC101571\n"), 0o644)
	os.Symlink(p, filepath.Join(dir, "link.txt"))
	got, err := ExpandPaths([]string{p, filepath.Join(dir, ".", "log.txt"), dir + "/../" + filepath.Base(dir) + "/log.txt", filepath.Join(dir, "link.txt")})
	if err != nil || len(got) != 1 || got[0] != p {
		t.Fatalf("%v %v", got, err)
	}
	r := scanPaths(t, Options{}, p, p)
	if len(r.Files) != 1 || r.Detectors.VIN.Count != 1 {
		t.Fatalf("%+v", r.Files)
	}
}

// Weak coordinate names (y, x, wd, jd) count only as a pair: a lone column
// named x is not a header hint and gets no coordinate note, and x next to
// lat/lng does not steal a side.
func TestScan_WeakCoordinateNames(t *testing.T) {
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "x.csv", "x\n"))
	if f := r.Files[0]; f.Records != 1 || len(f.Problems) != 0 {
		t.Fatalf("%+v", f)
	}
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "xv.csv", "x,n\n"+rowsOf(20, func(i int) string { return "LRW3E7EB6RC101571," + fmt.Sprint(i) })))
	if r.Files[0].Columns[0].Kind != "vin" {
		t.Fatalf("%+v", r.Files[0].Columns)
	}
	r = scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, "xll.csv", "x,lat,lng\n"+rowsOf(20, func(i int) string { return fmt.Sprintf("%d,39.9,116.4", i) })))
	if c := r.Files[0].Columns; c[0].Kind == "lon" || c[1].Kind != "lat" || c[2].Kind != "lon" || r.Geo.Points != 20 {
		t.Fatalf("%+v", c)
	}
}

func TestHasHigh(t *testing.T) {
	buf := []byte("abcdefgh\xffijklmnop\xe4")
	for i := 0; i <= len(buf); i++ {
		for j := i; j <= len(buf) && j-i <= 10; j++ {
			want := bytes.IndexFunc(buf[i:j], func(r rune) bool { return r >= 0x80 }) >= 0
			if got := hasHigh(buf[i:j]); got != want {
				t.Fatalf("hasHigh(%q) = %v", buf[i:j], got)
			}
		}
	}
}
