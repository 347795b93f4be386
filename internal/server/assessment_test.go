package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/cli"
)

// transferKeys are the inventory-format fields of a transfer (SPEC §2); GET
// /v1/transfers adds the decision, sequence and such, which assess refuses.
var transferKeys = []string{"id", "processor", "date", "assets", "recipient", "purpose", "individuals", "sensitive_individuals", "exemption", "exemption_ref", "exemption_filed"}

// GET /v1/assessment equals `xborder assess --format json --no-scan` over
// the same stored inventory and allowed transfers (counted or not: the
// assessment decides again what counts): the service and the command share
// one core and one output.
func TestAssessment_EqualsAssessCommand(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	// A year of checks: backfilled ones across the year, today's, a claimed
	// exemption with its reference, and denied ones (not counted).
	type chk struct {
		role, date string
		body       map[string]any
	}
	withDate := func(b map[string]any, d string) map[string]any { b["date"], b["backfill"] = d, true; return b }
	vuln := map[string]any{"id": "t-vuln", "processor": "acme-cn", "assets": []string{"ota-infotainment-campaigns"},
		"recipient": map[string]any{"name": "ACME GmbH", "country": "DE"}, "purpose": "patching a telematics vulnerability reported to MIIT",
		"individuals": 0, "sensitive_individuals": 0, "exemption": "vulnerability_report", "exemption_ref": "MIIT-VR-2026-0042", "exemption_filed": "2026-05-12"}
	mob := map[string]any{"id": "t-mob", "processor": "acme-mobility", "assets": []string{"mobility-trip-records"},
		"recipient": map[string]any{"name": "ACME Mobility Europe GmbH", "country": "DE"}, "individuals": 60000, "sensitive_individuals": 0}
	checks := []chk{
		{"admin", "2026-01-12", withDate(smallVolume("t-jan", 30000), "2026-01-12")},
		{"admin", "2026-03-10", withDate(allowedSA("t-mar"), "2026-03-10")},
		{"admin", "2026-05-20", withDate(vuln, "2026-05-20")},
		{"admin", "2026-06-01", withDate(mob, "2026-06-01")},
		{"engineer", "", smallVolume("t-today", 50000)},
		{"engineer", "", deniedNoApproval("t-denied")},
		{"officer", "", allowedSA("t-today-sa")},
	}
	allowed := 0
	for i, c := range checks {
		r, cr := h.check(c.role, fmt.Sprint("assess-", i), c.body)
		if r.status != 200 {
			t.Fatalf("check %v: %d %s", c.body["id"], r.status, r.body)
		}
		if cr.Decision == "allow" {
			allowed++
		}
	}
	if allowed < 4 {
		t.Fatalf("only %d checks allowed: the comparison would cover little", allowed)
	}

	// The stored inventory and allowed transfers as inventory files.
	dir := t.TempDir()
	var inv map[string]any
	h.req("GET", "/v1/inventory", "auditor", nil, nil).json(t, &inv)
	delete(inv, "version")
	writeJSONFile(t, filepath.Join(dir, "inventory.yaml"), inv)
	var list struct {
		Transfers []map[string]any `json:"transfers"`
	}
	h.req("GET", "/v1/transfers?limit=10000", "auditor", nil, nil).json(t, &list)
	var ts []map[string]any
	for _, tr := range list.Transfers {
		if tr["decision"] != "allow" {
			continue
		}
		m := map[string]any{}
		for _, k := range transferKeys {
			if v, ok := tr[k]; ok {
				m[k] = v
			}
		}
		ts = append(ts, m)
	}
	if len(ts) == 0 {
		t.Fatal("no allowed transfers")
	}
	writeJSONFile(t, filepath.Join(dir, "transfers.yaml"), map[string]any{"transfers": ts})

	for _, asOf := range []string{"2026-06-15", "2026-12-31", "2027-01-20"} {
		t.Run(asOf, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &cli.Env{Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: &errb, Now: h.clock.Now, Getenv: func(string) string { return "" }}
			code := cli.Run(context.Background(), env, []string{"assess", "--format", "json", "--no-scan", "--as-of", asOf, dir})
			if code != 0 {
				t.Fatalf("assess exited %d: %s", code, errb.String())
			}
			r := h.req("GET", "/v1/assessment?as_of="+asOf, "auditor", nil, nil)
			if r.status != 200 {
				t.Fatalf("GET /v1/assessment: %d %s", r.status, r.body)
			}
			var api, cmd any
			r.json(t, &api)
			if err := json.Unmarshal(out.Bytes(), &cmd); err != nil {
				t.Fatalf("assess output: %v", err)
			}
			a, c := canonical(t, api), canonical(t, cmd)
			if !bytes.Equal(a, c) {
				t.Errorf("GET /v1/assessment differs from assess --format json:\n%s", firstDiff(a, c))
			}
			var doc struct {
				AsOf      string `json:"as_of"`
				Transfers []any  `json:"transfers"`
				Assets    []any  `json:"assets"`
			}
			r.json(t, &doc)
			if doc.AsOf != asOf || len(doc.Transfers) != len(ts) || len(doc.Assets) != 20 {
				t.Errorf("as_of %s, %d transfers (want %d), %d assets (want 20)", doc.AsOf, len(doc.Transfers), len(ts), len(doc.Assets))
			}
		})
	}
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.WriteFile(path, mustJSON(t, v), 0o644); err != nil {
		t.Fatal(err)
	}
}

// canonical re-encodes decoded JSON with sorted keys and indentation.
func canonical(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstDiff shows the lines around the first difference.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) && i < len(bl); i++ {
		if !bytes.Equal(al[i], bl[i]) {
			lo := max(0, i-6)
			return fmt.Sprintf("line %d\nAPI:\n%s\nCLI:\n%s", i+1, bytes.Join(al[lo:min(len(al), i+4)], []byte("\n")), bytes.Join(bl[lo:min(len(bl), i+4)], []byte("\n")))
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}
