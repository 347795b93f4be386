package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/cli"
	"github.com/xborder/xborder/internal/model"
)

// assessJSON runs `xborder assess INV --format json` in-process over an
// inventory whose one asset a1 sources data.csv (written beside it) and
// declares facts, with one transfer t1 of it abroad.
func assessJSON(t *testing.T, data, facts string) model.Assessment {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.csv"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := `processors:
  - {id: p1, name: P1, ciio: false, legal_entity_in_china: true, kinds: [oem]}
assets:
  - id: a1
    processor: p1
    item: rd.testing.road_test
    sources: [data.csv]
    facts: {` + facts + `}
transfers:
  - {id: t1, processor: p1, date: 2026-03-01, assets: [a1], recipient: {name: X, country: DE}, purpose: x, individuals: 10, sensitive_individuals: 0}
`
	p := filepath.Join(dir, "inv.yaml")
	if err := os.WriteFile(p, []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Now:    func() time.Time { return time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC) },
		Getenv: func(string) string { return "" }}
	if code := cli.Run(context.Background(), env, []string{"assess", p, "--format", "json", "--as-of", "2026-12-03"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var a model.Assessment
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	return a
}

func xyFile(n int, f func(i int) (x, y string)) string {
	var b strings.Builder
	b.WriteString("time,vin,x,y\n")
	for i := 0; i < n; i++ {
		x, y := f(i)
		fmt.Fprintf(&b, "2026-01-01T%02d:%02d:00+08:00,LRW3E7EB6RC101571,%s,%s\n", i/60%24, i%60, x, y)
	}
	return b.String()
}

func geoUnprocessed(a model.Assessment) bool {
	for _, f := range a.Findings {
		if f.Kind == model.FindGeoUnprocessed && f.Subject == "t1" && f.Blocking {
			return true
		}
	}
	return false
}

// The reviewer's zeros.csv: Beijing in x/y with 6 decimals, every 5th row
// 0,0 (no GPS fix), in an asset not processed for geographic
// confidentiality. The scan measures contains_coordinates true, so the
// transfer is blocked (geo_unprocessed). Under 0f1405e it measured false
// and the transfer went ahead.
func TestAssess_XYCoordinatesRaiseGeoUnprocessed(t *testing.T) {
	data := xyFile(1000, func(i int) (string, string) {
		if i%5 == 0 {
			return "0", "0"
		}
		return fmt.Sprintf("%.6f", 116.30+float64(i%97)*0.002), fmt.Sprintf("%.6f", 39.85+float64(i%89)*0.0015)
	})
	a := assessJSON(t, data, "vehicles_in_china: 5, geo_confidentiality_processed: false, infers_sensitive_geo: false")
	cc := a.Assets[0].Facts["contains_coordinates"]
	if cc.Value != true || !strings.HasPrefix(cc.Source, "scan:") {
		t.Fatalf("contains_coordinates %+v", cc)
	}
	if !geoUnprocessed(a) {
		t.Fatalf("no blocking geo_unprocessed: findings %+v", a.Findings)
	}
}

// Possible coordinates the scan did not use (whole numbers in degree
// range: pixels or integer degrees) and no valid one: contains_coordinates
// is not measured, so it is absent from the asset's facts instead of false.
// Declared, the user's value decides (true: the transfer is blocked).
func TestAssess_PossibleCoordinatesLeaveTheFactMissing(t *testing.T) {
	data := xyFile(300, func(i int) (string, string) { return fmt.Sprint(80 + i%50), fmt.Sprint(20 + i%30) })
	a := assessJSON(t, data, "vehicles_in_china: 5, geo_confidentiality_processed: false, infers_sensitive_geo: false")
	if v, ok := a.Assets[0].Facts["contains_coordinates"]; ok {
		t.Fatalf("contains_coordinates measured from possible coordinates: %+v", v)
	}
	if _, ok := a.Assets[0].Facts["vehicles_in_china"]; !ok {
		t.Fatalf("facts %+v", a.Assets[0].Facts)
	}
	if geoUnprocessed(a) {
		t.Fatalf("geo_unprocessed without coordinates: %+v", a.Findings)
	}
	declared := assessJSON(t, data, "contains_coordinates: true, vehicles_in_china: 5, geo_confidentiality_processed: false, infers_sensitive_geo: false")
	if cc := declared.Assets[0].Facts["contains_coordinates"]; cc.Value != true || !geoUnprocessed(declared) {
		t.Fatalf("declared true: %+v findings %+v", cc, declared.Findings)
	}
	needed := false
	for _, m := range a.Assets[0].Missing {
		needed = needed || m.Fact == "contains_coordinates"
	}
	for _, tr := range a.Transfers {
		for _, m := range tr.Missing {
			needed = needed || m.Fact == "contains_coordinates"
		}
	}
	if !needed {
		t.Fatalf("contains_coordinates not asked for: assets %+v transfers %+v", a.Assets, a.Transfers)
	}
	// The transfer cannot be let through on a guess: its coverage waits
	// for the answer (the service denies it, --fail-on undetermined stops it).
	if cov := a.Transfers[0].Coverage.Status; cov != model.CovUndetermined {
		t.Errorf("transfer coverage %q with coordinates unsettled, want undetermined", cov)
	}
	// Declared processed: nothing to wait for.
	processed := assessJSON(t, data, "vehicles_in_china: 5, geo_confidentiality_processed: true, infers_sensitive_geo: false")
	if cov := processed.Transfers[0].Coverage.Status; cov == model.CovUndetermined {
		t.Errorf("declared processed: coverage still undetermined: %+v", processed.Transfers[0].Coverage)
	}
	// Declared without coordinates: the user's answer decides.
	none := assessJSON(t, data, "contains_coordinates: false, vehicles_in_china: 5, geo_confidentiality_processed: false, infers_sensitive_geo: false")
	if cov := none.Transfers[0].Coverage.Status; cov == model.CovUndetermined {
		t.Errorf("declared false: coverage still undetermined: %+v", none.Transfers[0].Coverage)
	}
}
