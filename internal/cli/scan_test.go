package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/gen"
	"github.com/xborder/xborder/internal/scan"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Now:    func() time.Time { return time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC) },
		Getenv: func(string) string { return "" }}
	code := Run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestGenThenScan_MatchesTruth(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "tel.csv")
	code, out, errs := runCLI(t, "gen", "telemetry", "--rows", "3000", "--fleet", "400", "--seed", "9", "-o", data)
	if code != 0 || !strings.Contains(out, "3000 rows") {
		t.Fatalf("gen: %d %s %s", code, out, errs)
	}
	var tr gen.Truth
	b, err := os.ReadFile(data + ".truth.json")
	if err != nil || json.Unmarshal(b, &tr) != nil {
		t.Fatalf("truth: %v", err)
	}
	report := filepath.Join(dir, "r.json")
	code, _, errs = runCLI(t, "scan", data, "--format", "json", "-o", report)
	if code != 0 || errs != "" {
		t.Fatalf("scan: %d %s", code, errs)
	}
	var r scan.Report
	b, _ = os.ReadFile(report)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Schema != scan.Schema || int(r.Detectors.VIN.Distinct) != tr.DistinctVINs || int(*r.Facts.VehiclesInChina) != tr.VehiclesInChina ||
		*r.Time.First != tr.First || r.Files[0].Records != tr.Rows || len(r.Geo.Prefectures) != len(tr.Prefectures) {
		t.Fatalf("report %+v\ntruth %+v", r.Facts, tr)
	}
	// The table and SARIF forms come out too.
	if code, out, _ := runCLI(t, "scan", data); code != 0 || !strings.Contains(out, "vehicles_in_china") {
		t.Fatalf("table: %d %s", code, out)
	}
	if code, out, _ := runCLI(t, "scan", data, "--format", "sarif"); code != 0 || !strings.Contains(out, `"version": "2.1.0"`) {
		t.Fatalf("sarif: %d", code)
	}
}

func TestScanSketchMerge(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	runCLI(t, "gen", "telemetry", "--rows", "2000", "--fleet", "300", "--seed", "1", "-o", a)
	runCLI(t, "gen", "telemetry", "--rows", "2000", "--fleet", "300", "--seed", "2", "-o", b)
	key := testKeyFile(t)
	for _, p := range []string{a, b} {
		if code, _, errs := runCLI(t, "scan", p, "--sketch-out", p+".sketch", "--sketch-key-file", key, "-o", p+".json", "--format", "json"); code != 0 {
			t.Fatalf("scan %s: %s", p, errs)
		}
	}
	code, merged, errs := runCLI(t, "sketch", "merge", a+".sketch", b+".sketch", "--format", "json")
	if code != 0 {
		t.Fatalf("merge: %s", errs)
	}
	_, whole, _ := runCLI(t, "scan", a, b, "--format", "json")
	var m, w scan.Report
	json.Unmarshal([]byte(merged), &m)
	json.Unmarshal([]byte(whole), &w)
	if m.Detectors.VIN.Distinct != w.Detectors.VIN.Distinct || *m.Facts.VehiclesInChina != *w.Facts.VehiclesInChina ||
		m.Geo.Points != w.Geo.Points || len(m.Files) != 2 || *m.Time.Last != *w.Time.Last {
		t.Fatalf("merged %+v vs whole %+v", m.Facts, w.Facts)
	}
	bad := filepath.Join(dir, "bad.sketch")
	os.WriteFile(bad, []byte(`{"schema":"nope"}`), 0o644)
	if code, _, errs := runCLI(t, "sketch", "merge", bad); code != 2 || !strings.Contains(errs, "bad.sketch") {
		t.Fatalf("bad sketch: %d %s", code, errs)
	}
}

func TestScanAndGen_BadInput(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.csv")
	os.WriteFile(f, []byte("a,b\n1,2\n"), 0o644)
	cases := [][]string{
		{"scan", filepath.Join(dir, "missing.csv")},
		{"scan", f, "--format", "xml"},
		{"scan", f, "--crs", "mars2"},
		{"scan", f, "--boundaries", filepath.Join(dir, "none.geojson")},
		{"scan"},
		{"gen", "telemetry", "--rows", "10"},
		{"gen", "telemetry", "--rows", "10", "--size", "1MB", "-o", filepath.Join(dir, "t.csv")},
		{"gen", "telemetry", "--size", "lots", "-o", filepath.Join(dir, "t.csv")},
	}
	for _, args := range cases {
		code, out, errs := runCLI(t, args...)
		if code != 2 || out != "" || errs == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "t.csv")); err == nil {
		t.Error("a refused gen left a file behind")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1GB": 1e9, "1GiB": 1 << 30, "200MB": 200e6, "64kB": 64000, "1000": 1000, "1.5 MB": 1500000} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-1MB", "MB", "1XB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(300e6, 1e9, 1.0)
	if got != "\r\033[Kscanning 300.0 MB / 1.0 GB (30%)  300.0 MB/s" {
		t.Fatalf("%q", got)
	}
	if got := progressLine(0, 0, 0); got != "\r\033[Kscanning 0 B / 0 B  0 B/s" {
		t.Fatalf("%q", got)
	}
}
