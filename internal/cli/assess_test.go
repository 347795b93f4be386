package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/model"
)

// run executes the CLI in-process and returns the exit code and streams.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Now:    func() time.Time { return time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC) },
		Getenv: func(string) string { return "" }}
	code := Run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func repoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..")
}

func example() string { return filepath.Join(repoRoot(), "examples", "acme-motors") }

func TestAssessExampleJSON(t *testing.T) {
	code, out, stderr := run(t, "assess", example(), "--format", "json", "--as-of", "2026-12-03")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var a model.Assessment
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.Schema != model.AssessmentSchema || a.AsOf.String() != "2026-12-03" {
		t.Errorf("schema %q as_of %s", a.Schema, a.AsOf)
	}
	if len(a.Assets) < 15 || len(a.Transfers) < 8 {
		t.Errorf("example has %d assets and %d transfers; the issue asks for at least 15 and 8", len(a.Assets), len(a.Transfers))
	}
	// The bundled sample is scanned: vehicles_in_china comes from the data.
	for _, r := range a.Assets {
		if r.ID == "road-test-2026" {
			f := r.Facts["vehicles_in_china"]
			if !strings.HasPrefix(f.Source, "scan:") || f.Value != float64(118) && f.Value != int64(118) {
				t.Errorf("road-test-2026 vehicles_in_china = %v from %q, want 118 from the scan (the generator's truth file)", f.Value, f.Source)
			}
		}
	}
	scenarios := map[string]bool{}
	for _, r := range a.Assets {
		scenarios[strings.SplitN(r.Item, ".", 2)[0]] = true
	}
	for _, s := range []string{"rd", "production", "driving_automation", "ota", "connected"} {
		if !scenarios[s] {
			t.Errorf("example lacks an asset in scenario %s", s)
		}
	}
}

func TestAssessTodayIsChinaTime(t *testing.T) {
	// 2026-12-03 20:00 UTC is 2026-12-04 in China.
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" },
		Now: func() time.Time { return time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC) }}
	if code := Run(context.Background(), env, []string{"assess", example(), "--format", "json", "--no-scan"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `"as_of": "2026-12-04"`) {
		t.Errorf("as_of is not today in China time: %s", out.String()[:200])
	}
}

func TestAssessFailOn(t *testing.T) {
	cases := []struct {
		cond     string
		code     int
		contains string
	}{
		{"not_covered", 1, "t-2026-008"},
		{"undetermined", 1, "cell-production-records"},
		{"important", 1, "plc-line-control"},
		{"security_assessment", 1, "t-2026-002"},
		{"bogus", 2, "--fail-on"},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			code, _, stderr := run(t, "assess", example(), "--as-of", "2026-12-03", "--no-scan", "--fail-on", c.cond)
			if code != c.code || !strings.Contains(stderr, c.contains) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.contains)
			}
		})
	}
}

func TestAssessBadInputExit2NothingWritten(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "inv.yaml")
	os.WriteFile(bad, []byte("processors:\n  - id: p1\n    colour: red\n"), 0o644)
	out := filepath.Join(dir, "report.json")
	code, _, stderr := run(t, "assess", bad, "--format", "json", "-o", out)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr, bad+":3:5:") {
		t.Errorf("stderr %q does not name file:line:column", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an output file was written despite the error")
	}
	for _, args := range [][]string{
		{"assess", example(), "--as-of", "2026-02-30"},
		{"assess", filepath.Join(dir, "missing.yaml")},
		{"assess", example(), "--format", "pdf"},
		{"assess", example(), "--pack", "no-such-pack"},
		{"assess", example(), "--holidays", filepath.Join(dir, "missing.txt")},
		{"assess"},
		{"assess", example(), "--bogus-flag"},
	} {
		if code, _, stderr := run(t, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d (stderr %q), want 2 with a message", args, code, stderr)
		}
	}
}

func TestAssessHTMLToFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	code, stdout, stderr := run(t, "assess", example(), "--format", "html", "-o", out, "--no-scan", "--as-of", "2026-12-03")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(b, []byte("<!DOCTYPE html>")) || !bytes.Contains(b, []byte("</html>")) {
		t.Errorf("HTML report incomplete (%v)", err)
	}
}

func TestAssessHolidaysChangeDeadlines(t *testing.T) {
	dir := t.TempDir()
	h := filepath.Join(dir, "holidays.txt")
	// Golden week-style days off inside sc-2025-01's filing window make the
	// filing on time: 2025-11-03 + 10 working days with five more days off.
	os.WriteFile(h, []byte("# test calendar\n2025-11-10\n2025-11-11\n2025-11-12\n2025-11-13\n2025-11-14\n"), 0o644)
	_, base, _ := run(t, "assess", example(), "--format", "json", "--no-scan", "--as-of", "2026-12-03")
	code, withH, stderr := run(t, "assess", example(), "--format", "json", "--no-scan", "--as-of", "2026-12-03", "--holidays", h)
	if code != 0 {
		t.Fatal(stderr)
	}
	if !strings.Contains(base, "contract_filing_late") || strings.Contains(withH, "contract_filing_late") {
		t.Errorf("holidays did not move the filing deadline")
	}
	if !strings.Contains(withH, "holidays from") {
		t.Errorf("output does not say which calendar was used")
	}
	os.WriteFile(h, []byte("2025-11-10\n2025-13-01\n"), 0o644)
	if code, _, stderr := run(t, "assess", example(), "--holidays", h); code != 2 || !strings.Contains(stderr, h+":2:1") {
		t.Errorf("bad holiday file: exit %d, stderr %q", code, stderr)
	}
}

// sharedData finds ../shared/data next to the repository.
func sharedData(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("XBORDER_SHARED_DATA"); d != "" {
		return d
	}
	d := filepath.Join(repoRoot(), "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		t.Skipf("shared data not found at %s (set XBORDER_SHARED_DATA): %v", d, err)
	}
	return d
}

// TestAssessOverRealFiles assesses an inventory whose sources are real public
// files: the DiDi Chengdu trajectories (491 drivers, verified with
// cut -d, -f1 | sort -u | wc -l) and the Orlando file with no point in China.
func TestAssessOverRealFiles(t *testing.T) {
	data := sharedData(t)
	dir := t.TempDir()
	inv := `processors: [{id: didi-like, group: g}]
assets:
  - id: chengdu-trips
    processor: didi-like
    item: connected.perception.flow
    sources: [` + filepath.Join(data, "trajectories", "didi_chengdu_gps_20161101_0710_gcj02.csv") + `]
    facts: {region_level: prefecture, infers_sensitive_geo: false}
  - id: orlando-traces
    processor: didi-like
    item: rd.testing.road_test
    sources: [` + filepath.Join(data, "trajectories", "orlando_mislabeled_tdrive_cost_40x.csv") + `]
    facts: {infers_sensitive_geo: false}
  - id: missing-source
    processor: didi-like
    item: rd.simulation.scenario
    sources: [no-such-dir/*.csv]
    facts: {infers_sensitive_geo: false}
`
	p := filepath.Join(dir, "inv.yaml")
	os.WriteFile(p, []byte(inv), 0o644)
	code, out, stderr := run(t, "assess", p, "--format", "json", "--crs", "gcj02", "--as-of", "2026-12-03")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var a model.Assessment
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	byID := map[string]model.AssetResult{}
	for _, r := range a.Assets {
		byID[r.ID] = r
	}
	ch := byID["chengdu-trips"]
	if v := ch.Facts["vehicles_in_china"]; v.Value != float64(491) && v.Value != int64(491) {
		t.Errorf("chengdu vehicles_in_china = %v (%s), want 491", v.Value, v.Source)
	}
	if v := ch.Facts["time_span_days"]; v.Value == nil || v.Value.(float64) > 0.03 || v.Value.(float64) < 0.02 {
		t.Errorf("chengdu time_span_days = %v, want about 0.024 (34 minutes)", v.Value)
	}
	if ch.Result != model.NotImportant {
		t.Errorf("chengdu: %s, want not_important (491 vehicles, 34 minutes)", ch.Result)
	}
	if !strings.Contains(ch.Facts["contains_coordinates"].Evidence, "510100") {
		t.Errorf("chengdu evidence does not name Chengdu 510100: %q", ch.Facts["contains_coordinates"].Evidence)
	}
	if byID["missing-source"].Result != model.NotImportant {
		t.Errorf("missing-source should still be assessed on its declared facts")
	}
	found := false
	for _, f := range a.Findings {
		if f.Kind == model.FindSourceNotMeasured && f.Subject == "missing-source" {
			found = true
		}
	}
	if !found {
		t.Errorf("an unmatched source glob must raise source_not_measured")
	}
}

// TestAssess_ShippedCounselPatch: the example patch the README tours loads on
// the defaults, decides by its parameters and names its pack.
func TestAssess_ShippedCounselPatch(t *testing.T) {
	patch := filepath.Join(repoRoot(), "examples", "packs", "acme-counsel-2026.yaml")
	code, out, errs := run(t, "assess", example(), "--as-of", "2026-12-04", "--pack", patch, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var a struct {
		Packs []struct {
			ID string `json:"id"`
		} `json:"packs"`
		Transfers []struct {
			ID      string `json:"id"`
			Reasons []struct {
				Rule string `json:"rule"`
				Text string `json:"text"`
			} `json:"reasons"`
		} `json:"transfers"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if n := len(a.Packs); n == 0 || a.Packs[n-1].ID != "acme-counsel-2026" {
		t.Errorf("packs %+v: want the patch last", a.Packs)
	}
	// Under the patch, PI under a claimed exemption counts: the reason says so.
	found := false
	for _, tr := range a.Transfers {
		for _, r := range tr.Reasons {
			if r.Rule == "parameter:claimed_exemptions_count" {
				found = true
			}
		}
	}
	if !found {
		t.Error("no transfer explains the claimed_exemptions_count parameter")
	}
}
