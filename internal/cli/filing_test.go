package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestFilingExport(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "catalog.xlsx")
	if code, _, stderr := run(t, "filing", "export", example(), "--no-scan", "--as-of", "2026-12-03", "-o", x); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := excelize.OpenFile(x)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Important data")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || rows[0][0] != "asset_id" {
		t.Fatalf("important-data sheet has %d rows (want header + 6 important assets): %v", len(rows), rows)
	}
	ids := map[string][]string{}
	for _, r := range rows[1:] {
		ids[r[0]] = r
	}
	bms, ok := ids["rd-bms-algorithms"]
	if !ok || !strings.Contains(strings.Join(bms, "|"), "export_control_tech_point [commentary]") || !strings.Contains(strings.Join(bms, "|"), "ACME Battery Technology GmbH (DE)") {
		t.Errorf("rd-bms-algorithms row lacks its basis or recipient: %v", bms)
	}
	und, _ := f.GetRows("Undetermined")
	// Without the scan, road-test-2026 lacks vehicles_in_china too.
	if len(und) != 3 || und[1][0] != "road-test-2026" || und[2][0] != "cell-production-records" || !strings.Contains(und[2][6], "missing dual_use_item") {
		t.Errorf("undetermined sheet: %v", und)
	}

	code, out, _ := run(t, "filing", "export", example(), "--no-scan", "--as-of", "2026-12-03", "--format", "json")
	var doc struct {
		Schema    string `json:"schema"`
		Important []struct {
			AssetID    string   `json:"asset_id"`
			ToComplete []string `json:"to_complete"`
		} `json:"important"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Schema != "xborder.filing/v1" || len(doc.Important) != 6 || len(doc.Important[0].ToComplete) == 0 {
		t.Errorf("JSON export: exit %d, %+v", code, doc)
	}
	code, out, _ = run(t, "filing", "export", example(), "--no-scan", "--as-of", "2026-12-03", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "\ufeffasset_id,") || bytes.Count([]byte(out), []byte("\r\n")) != 7 {
		t.Errorf("CSV export: exit %d, %q", code, out[:min(len(out), 80)])
	}
	if code, _, _ := run(t, "filing", "export", example(), "--format", "pdf"); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
}
