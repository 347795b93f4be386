package scan

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/gen"
)

// fakeLocator: mainland is lon 73-135 and lat 18-54 except a Hong Kong box;
// province "11", prefecture "110100" everywhere inside.
type fakeLocator struct{}

func (fakeLocator) Locate(lon, lat float64) Place {
	if lon > 113.8 && lon < 114.5 && lat > 22.1 && lat < 22.56 {
		return Place{Region: "HK"}
	}
	if lon >= 73 && lon <= 135 && lat >= 18 && lat <= 54 {
		return Place{InChina: true, Region: "CN", Province: "11", Prefecture: "110100"}
	}
	return Place{}
}

var fakeGeo = &Geo{Locator: fakeLocator{}, ToWGS84: func(_ string, lon, lat float64) (float64, float64) { return lon, lat }}

func writeTemp(t testing.TB, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Synthetic telemetry against its truth, with tiny chunks so that thousands
// of records sit on chunk edges, scanned by several workers.
func TestScan_SyntheticMatchesTruth(t *testing.T) {
	var buf bytes.Buffer
	tr, err := gen.Telemetry(&buf, gen.TelemetryOptions{Seed: 11, Rows: 30000, Fleet: 3000, HKShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, "t.csv", buf.String())
	for _, cs := range []int{0, 4096, 333} {
		r := scanPaths(t, Options{Geo: fakeGeo, Workers: 3, chunkSize: cs}, p)
		f := r.Files[0]
		if f.Records != tr.Rows || f.Status != StatusScanned || f.ProblemCount != 0 {
			t.Fatalf("chunk %d: file %+v", cs, f)
		}
		if r.Detectors.VIN.Count != tr.Rows || int(r.Detectors.VIN.Distinct) != tr.DistinctVINs || r.Detectors.VIN.Invalid != 0 {
			t.Fatalf("chunk %d: vin %+v truth %d", cs, r.Detectors.VIN, tr.DistinctVINs)
		}
		if int(r.Detectors.Plate.Distinct) != tr.DistinctPlates || int(*r.Facts.VehiclesInChina) != tr.VehiclesInChina {
			t.Fatalf("chunk %d: plates %d vic %d truth %+v", cs, r.Detectors.Plate.Distinct, *r.Facts.VehiclesInChina, tr)
		}
		if r.Geo.InChina != tr.PointsMainland || r.Geo.HKMOTW != tr.PointsOutside {
			t.Fatalf("chunk %d: geo %+v", cs, r.Geo)
		}
		if *r.Time.First != tr.First || *r.Time.Last != tr.Last || r.Time.AssumedZone != "" {
			t.Fatalf("chunk %d: time %+v truth %s %s", cs, r.Time, tr.First, tr.Last)
		}
		if r.Subjects.Vehicles.Key != "vin" || *r.Facts.Individuals != int64(tr.DistinctVINs) {
			t.Fatalf("chunk %d: subjects %+v", cs, r.Subjects)
		}
	}
}

// Above the exact limit the counts switch to HyperLogLog and say so.
func TestScan_ExactLimitSwitchesToEstimate(t *testing.T) {
	var buf bytes.Buffer
	tr, _ := gen.Telemetry(&buf, gen.TelemetryOptions{Seed: 5, Rows: 20000, Fleet: 4000})
	p := writeTemp(t, "t.csv", buf.String())
	for _, c := range []struct {
		limit int
		exact bool
	}{{tr.DistinctVINs, true}, {tr.DistinctVINs - 1, false}} {
		r := scanPaths(t, Options{ExactLimit: c.limit}, p)
		v := r.Detectors.VIN
		if v.DistinctExact != c.exact || r.Subjects.Vehicles.Exact != c.exact {
			t.Fatalf("limit %d: %+v", c.limit, v)
		}
		if d := float64(v.Distinct) - float64(tr.DistinctVINs); d > 0.02*float64(tr.DistinctVINs) || d < -0.02*float64(tr.DistinctVINs) {
			t.Fatalf("limit %d: distinct %d truth %d", c.limit, v.Distinct, tr.DistinctVINs)
		}
	}
}

// Two shards scanned apart and merged through their sketches give the same
// report as one scan of both.
func TestSketch_MergeEqualsSingleScan(t *testing.T) {
	useTestKey(t)
	var a, b bytes.Buffer
	gen.Telemetry(&a, gen.TelemetryOptions{Seed: 1, Rows: 5000, Fleet: 800})
	gen.Telemetry(&b, gen.TelemetryOptions{Seed: 2, Rows: 5000, Fleet: 800})
	pa, pb := writeTemp(t, "a.csv", a.String()), writeTemp(t, "b.csv", b.String())
	whole := scanPaths(t, Options{Geo: fakeGeo}, pa, pb)
	merged := NewScanner(Options{})
	for _, p := range []string{pa, pb} {
		s := NewScanner(Options{Geo: fakeGeo})
		if err := s.ScanFiles(context.Background(), []string{p}); err != nil {
			t.Fatal(err)
		}
		var sk bytes.Buffer
		if err := s.WriteSketch(&sk); err != nil {
			t.Fatal(err)
		}
		k, err := ReadSketch(&sk)
		if err != nil {
			t.Fatal(err)
		}
		if err := merged.MergeSketch(k); err != nil {
			t.Fatal(err)
		}
	}
	m := merged.Report()
	norm := func(r *Report) string {
		r.Geo.Boundaries = ""
		b, _ := json.Marshal(r)
		return string(b)
	}
	if norm(m) != norm(whole) {
		t.Fatalf("merged report differs:\n%s\n%s", norm(m), norm(whole))
	}
	if _, err := ReadSketch(strings.NewReader(`{"schema":"other"}`)); err == nil {
		t.Fatal("wrong schema accepted")
	}
}

func TestScan_ColumnDecisionsAndProblems(t *testing.T) {
	cases := []struct {
		name, data string
		check      func(t *testing.T, r *Report)
	}{
		{"swapped-header.csv", "id,lat,lon\n1,116.40,39.90\n2,116.41,39.91\n3,116.42,39.92\n", func(t *testing.T, r *Report) {
			f := r.Files[0]
			if f.Columns[1].Kind != "lon" || f.Columns[2].Kind != "lat" || r.Geo.InChina != 3 || !strings.Contains(f.Problems[0].Text, "swapped in the header") {
				t.Fatalf("%+v %+v", f.Columns, f.Problems)
			}
		}},
		{"vin-header-not-vins.csv", "vin,n\nhello world,1\nnot a vin,2\nLRW3E7EB6RC101571,3\n", func(t *testing.T, r *Report) {
			// 1 of 3 values valid: the column is text, and the real VIN is
			// still found inside it.
			if r.Files[0].Columns[0].Kind != "text" || r.Detectors.VIN.Count != 1 {
				t.Fatalf("%+v %+v", r.Files[0].Columns, r.Detectors.VIN)
			}
		}},
		{"vins-no-header.csv", "LRW3E7EB6RC101571\nLRW3E7EB8RC101362\nLRW3E7EA1KC100001\n", func(t *testing.T, r *Report) {
			// 2 of 3 verify (67% < 90%): not decided a VIN column, but each
			// value is still checked as text.
			v := r.Detectors.VIN
			if v.Count != 2 || v.Invalid != 1 {
				t.Fatalf("%+v", v)
			}
		}},
		{"malformed.csv", "vin,plate\nLRW3E7EB6RC101571,京A12345\nLRW3E7EB8RC101362,京A12346,extra\nLRW3E7EB6RC102901,京A12349\n\"broken,京A12347\nLRW3E7EBXMC418780,京A12348\n", func(t *testing.T, r *Report) {
			// The unclosed quote swallows the last line into one broken
			// record, which is scanned as text.
			f := r.Files[0]
			if f.Status != StatusPartial || f.Malformed != 2 || f.Problems[0].Line != 3 || f.Problems[1].Line != 5 {
				t.Fatalf("%+v", f)
			}
			// Nothing is lost: identifiers of malformed rows are still counted.
			if r.Detectors.VIN.Count != 4 || r.Detectors.Plate.Count != 5 {
				t.Fatalf("vin %+v plate %+v", r.Detectors.VIN, r.Detectors.Plate)
			}
		}},
		{"phones-and-times.csv", "ts,user_phone,note\n1477955400123,13812345678,call 139-1234-5678\n1477955401123,+86 138 1234 5678,id 11010519491231002X\n", func(t *testing.T, r *Report) {
			if r.Detectors.Phone.Count != 3 || r.Detectors.Phone.Distinct != 2 || r.Detectors.CNID.Count != 1 {
				t.Fatalf("phone %+v id %+v", r.Detectors.Phone, r.Detectors.CNID)
			}
			// Both rows hold the same person (+86 138 1234 5678 is 13812345678).
			if r.Files[0].Columns[0].Kind != "time" || *r.Facts.Individuals != 1 || *r.Facts.SensitiveIndividuals != 1 {
				t.Fatalf("%+v facts %+v", r.Files[0].Columns, r.Facts)
			}
			for _, s := range r.Detectors.Phone.Samples {
				if strings.Contains(s, "12345678") {
					t.Fatalf("sample %q not masked", s)
				}
			}
		}},
		{"log.txt", "2026-01-02 03:04:05 vehicle LRW3E7EB6RC101571 at lat=39.9,lon=116.4 driver 13812345678\nplain line\n", func(t *testing.T, r *Report) {
			if r.Files[0].Format != "text" || r.Detectors.VIN.Count != 1 || r.Geo.Points != 1 || r.Time.AssumedZone != "+08:00" {
				t.Fatalf("%+v %+v %+v", r.Files[0], r.Geo, r.Time)
			}
		}},
		{"events.jsonl", `{"vin":"LRW3E7EB6RC101571","pos":{"lat":39.9,"lng":116.4},"ts":"2026-01-02T03:04:05Z"}` + "\n" +
			`{"vin":"LRW3E7EB8RC101362","location":[116.5,39.8],"ts":"2026-01-03T03:04:05Z"}` + "\n{broken\n", func(t *testing.T, r *Report) {
			f := r.Files[0]
			if f.Format != "jsonl" || f.Records != 3 || f.Malformed != 1 || r.Geo.InChina != 2 || *r.Facts.VehiclesInChina != 2 || r.Time.SpanDays != 1 {
				t.Fatalf("%+v geo %+v facts %+v", f, r.Geo, r.Facts)
			}
		}},
		{"zero-and-swap.csv", "vin,lon,lat\nLRW3E7EB6RC101571,0,0\nLRW3E7EB6RC101571,39.9,116.4\nLRW3E7EB6RC101571,116.4,39.9\n", func(t *testing.T, r *Report) {
			if r.Geo.Points != 1 || r.Geo.Invalid != 2 || r.Geo.Swapped != 1 || r.Files[0].Status != StatusScanned {
				t.Fatalf("%+v", r.Geo)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, c.name, c.data)))
		})
	}
}

func TestScan_GzipDirectoriesAndSkips(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("vin\nLRW3E7EB6RC101571\n"))
	zw.Close()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "b", "v.csv.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "a", "bin.dat"), []byte("\x00\x01\x02"), 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("LRW3E7EB8RC101362"), 0o644)
	r := scanPaths(t, Options{}, dir)
	if len(r.Files) != 2 || r.Detectors.VIN.Count != 1 {
		t.Fatalf("files %+v vin %+v", r.Files, r.Detectors.VIN)
	}
	var sawGz, sawBin bool
	for _, f := range r.Files {
		if f.Gzip && f.Status == StatusScanned {
			sawGz = true
		}
		if f.Status == StatusSkipped && len(f.Problems) == 1 {
			sawBin = true
		}
	}
	if !sawGz || !sawBin {
		t.Fatalf("%+v", r.Files)
	}
	if _, err := ExpandPaths([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("missing path accepted")
	}
	m, err := Glob(filepath.Join(dir, "**", "*.gz"))
	if err != nil || len(m) != 1 {
		t.Fatalf("glob ** %v %v", m, err)
	}
}

func TestOutputs(t *testing.T) {
	long := strings.Repeat("d", 60) + ".csv"
	r := scanPaths(t, Options{Geo: fakeGeo}, writeTemp(t, long, "vin,lat,lon,ts\nLRW3E7EB6RC101571,39.9,116.4,2026-01-01 00:00:00\nbad,1\n"))
	r.Files[0].Bytes = 99999999999 // widest realistic figures
	r.Files[0].Records = 9999999999
	g := &r.Geo
	g.Points, g.InChina, g.OutsideChina, g.HKMOTW, g.Invalid, g.Swapped = 9999999999, 9999999999, 9999999999, 9999999999, 9999999999, 9999999999
	for i := 0; i < 333; i++ {
		g.Prefectures = append(g.Prefectures, fmt.Sprintf("%06d", 110100+i*100))
		g.Provinces = append(g.Provinces, fmt.Sprint(i))
	}
	r.Time.AssumedZone = "+08:00"
	r.Subjects.Vehicles.Key = strings.Repeat("column name; ", 20)
	r.Subjects.Vehicles.Distinct = 99999999999
	var js, tab, sarif bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["schema"] != Schema {
		t.Fatalf("json %v", err)
	}
	for _, k := range []string{"files", "detectors", "time", "geo", "subjects", "facts"} {
		if _, ok := back[k]; !ok {
			t.Fatalf("json lacks %s", k)
		}
	}
	WriteTable(&tab, r)
	for _, l := range strings.Split(tab.String(), "\n") {
		if n := len([]rune(l)); n > 100 {
			t.Fatalf("table line of %d columns: %q", n, l)
		}
	}
	if strings.Contains(tab.String()+js.String(), "LRW3E7EB6RC101571") {
		t.Fatal("a full VIN leaked into the output")
	}
	WriteSARIF(&sarif, r)
	var s sarifLog
	if err := json.Unmarshal(sarif.Bytes(), &s); err != nil || s.Version != "2.1.0" || len(s.Runs[0].Results) < 2 {
		t.Fatalf("sarif %v %+v", err, s)
	}
	if s.Runs[0].Results[0].RuleID != "vin" || s.Runs[0].Results[0].Locations[0].Physical.Region.StartLine != 2 {
		t.Fatalf("sarif result %+v", s.Runs[0].Results[0])
	}
}

func FuzzScanFile(f *testing.F) {
	for _, s := range []string{
		"vin,lat,lon\nLRW3E7EB6RC101571,39.9,116.4\n",
		"a;b\n\"x\ny\";2\n",
		`{"vin":"LRW3E7EB6RC101571","location":[116.5,39.8]}` + "\n",
		`{"type":"FeatureCollection","features":[{"geometry":{"type":"Point","coordinates":[116.4,39.9]}}]}`,
		"Geolife trajectory\nWGS 84\nx\nx\nx\nx\n39.9,116.4,0,1,2,2008-10-23,02:53:04\n",
		// Columns named x and y: pixels, degrees, swapped degrees, projected metres.
		"file,x,y,w,h\na.jpg,154,383,40,12\nb.jpg,12,80,40,12\n",
		"id,X,Y\n1,116.397128,39.908722\n2,116.397301,39.908911\n",
		"id,x,y\n1,39.908722,116.397128\n2,39.9,116.4\n",
		"id,x,y\n1,448123.25,4419876.5\n2,448130.0,4419880.75\n",
		// x/y with 0,0 no-fix rows, one decimal, empty, whole numbers in degree range.
		"id,x,y\n1,0,0\n2,116.397128,39.908722\n3,139.7,35.6\n",
		"id,x,y\n1,116.3,39.9\n2,,\n3,80,20\n",
		// Scaled integer degrees (GB/T 32960, E7), NMEA ddmm.mmmm.
		"vin,longitude,latitude\nLRW3E7EB6RC101571,116397128,39908823\n,0,0\n",
		"lat,lon\n399694867,1163268728\n1,2\n",
		"ts,lat,lon\n1767196800,3958.1692,11619.6124\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s := NewScanner(Options{Geo: fakeGeo, chunkSize: 64})
		if err := s.ScanFiles(context.Background(), []string{p}); err != nil {
			t.Fatal(err)
		}
		r := s.Report()
		lines := int64(bytes.Count(b, []byte{'\n'}) + 1)
		if len(r.Files) != 1 || (r.Files[0].Format != "geojson" && r.Files[0].Format != "json" && r.Files[0].Records > lines) {
			t.Fatalf("%d records from %d lines", r.Files[0].Records, lines)
		}
		if r.Geo.InChina+r.Geo.OutsideChina != r.Geo.Points {
			t.Fatalf("geo %+v", r.Geo)
		}
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// A UTF-8 file (by its first 256 KiB) with an invalid byte later: reported
// at its line, the file partial, the rest still scanned.
func TestScan_InvalidUTF8AfterTheHead(t *testing.T) {
	var b strings.Builder
	b.WriteString("note,vin\n")
	n := 0
	for b.Len() < 300<<10 {
		b.WriteString("ordinary text here,LRW3E7EB6RC101571\n")
		n++
	}
	b.WriteString("bad \xff byte in a note,LRW3E7EB8RC101362\n")
	r := scanPaths(t, Options{}, writeTemp(t, "u.csv", b.String()))
	f := r.Files[0]
	if f.Encoding != "utf-8" || f.Status != StatusPartial || len(f.Problems) != 1 || f.Problems[0].Line != int64(n+2) {
		t.Fatalf("%+v", f)
	}
	if r.Detectors.VIN.Distinct != 2 {
		t.Fatalf("%+v", r.Detectors.VIN)
	}
}

// The same data ordered by vehicle (runs of one VIN, where the memo skips
// work) and in time order give the same report figures.
func TestScan_SortedByVehicleSameAsShuffled(t *testing.T) {
	var buf bytes.Buffer
	if _, err := gen.Telemetry(&buf, gen.TelemetryOptions{Seed: 4, Rows: 8000, Fleet: 300, HKShare: 0.1}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	body := append([]string(nil), lines[1:]...)
	sortByVIN := func(a, b string) int { return strings.Compare(strings.Split(a, ",")[1], strings.Split(b, ",")[1]) }
	slices.SortFunc(body, sortByVIN)
	sorted := lines[0] + "\n" + strings.Join(body, "\n") + "\n"
	a := scanPaths(t, Options{Geo: fakeGeo, chunkSize: 2048}, writeTemp(t, "time.csv", buf.String()))
	b := scanPaths(t, Options{Geo: fakeGeo, chunkSize: 2048}, writeTemp(t, "vin.csv", sorted))
	norm := func(r *Report) string {
		r.Files = nil
		r.Detectors.VIN.Samples, r.Detectors.Plate.Samples = nil, nil
		r.Time = TimeReport{}
		j, _ := json.Marshal(r)
		return string(j)
	}
	if norm(a) != norm(b) {
		t.Fatalf("time order:\n%s\nvehicle order:\n%s", norm(a), norm(b))
	}
}
