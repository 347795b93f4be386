package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/report"
)

func str(s string) *string { return &s }

// synthetic is an assessment built by hand around the table's edge cases.
func synthetic() *model.Assessment {
	a := &model.Assessment{Schema: model.AssessmentSchema, AsOf: model.MustDate("2026-12-03"), Calendar: "weekends only"}
	a.Assets = []model.AssetResult{{
		ID: "adas-training-scenes-with-a-long-id", Processor: "p", Item: "driving_automation.training.scene", Result: model.Important,
		Matched: []model.Match{
			{Criterion: "vehicles_100k_testing", Provenance: model.ProvInferred},
			{Criterion: "infers_sensitive_geo", Provenance: model.ProvCommentary},
			{Criterion: "export_control_tech_point", Provenance: model.ProvInferred},
		},
	}}
	counts := []int64{99_999, 100_000, 100_001, 999_999, 1_000_000, 1_000_001, 12_345_678}
	exemptions := []string{"trade_academic_no_pi", "transit_abroad_collected", "contract_necessity", "hr_management", "emergency",
		"ftz_negative_list", "vulnerability_report", "incident_report", "ota_recall_source_code", "no_pi_no_important_data", "small_volume"}
	for i, ex := range exemptions {
		n := counts[i%len(counts)]
		a.Transfers = append(a.Transfers, model.TransferResult{
			ID: "t-" + ex, Processor: "acme-connected-services", Date: model.MustDate("2026-06-01"), Mechanism: model.MechExempt, Exemption: str(ex),
			Cumulative: model.Cumulative{Year: 2026, Counted: true, Processor: model.Counts{Individuals: n, SensitiveIndividuals: n / 10, Unknown: i%2 == 1}},
			Coverage:   model.Coverage{Status: model.CovNotRequired},
		})
	}
	a.Transfers = append(a.Transfers, model.TransferResult{
		ID: "t-assessed", Processor: "acme-cn", Date: model.MustDate("2026-07-01"), Mechanism: model.MechSecurityAssessment,
		Cumulative: model.Cumulative{Year: 2026, Counted: true, Processor: model.Counts{Individuals: 1_000_001}},
		Coverage:   model.Coverage{Status: model.CovCovered, Approval: "cert-2024-02-with-a-long-reference"},
	})
	return a
}

func TestTableCountsAreExact(t *testing.T) {
	var b bytes.Buffer
	if err := report.Table(&b, synthetic()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	fits(t, "synthetic table", s)
	// A count next to a threshold (100,000; 1,000,000) never looks rounded across it.
	for _, want := range []string{" 99,999 ", " 100,000 ", " 100,001 ", " 999,999 ", " 1,000,000 ", " 1,000,001 ", " 12,345,678 ", ">=100,000 ", ">=1,000,001 "} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks the exact count %q:\n%s", want, s)
		}
	}
	for _, bad := range []string{" 100k", " 1.00M", " 12M"} {
		if strings.Contains(s, bad) {
			t.Errorf("table abbreviates a count (%q)", bad)
		}
	}
}

func TestTableNeverCuts(t *testing.T) {
	a := synthetic()
	var b bytes.Buffer
	if err := report.Table(&b, a); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	fits(t, "synthetic table", s)
	// Every exemption id of SPEC §5 shows whole, on one line.
	for _, tr := range a.Transfers {
		if tr.Exemption != nil && !strings.Contains(s, " "+*tr.Exemption+" ") && !strings.Contains(s, " "+*tr.Exemption+"\n") {
			t.Errorf("exemption %s is not shown whole:\n%s", *tr.Exemption, s)
		}
	}
	// Each inferred criterion keeps its marker.
	if n := strings.Count(s, "(inferred)"); n != 2 {
		t.Errorf("%d (inferred) markers, want 2:\n%s", n, s)
	}
	// Ids and the approval wrap rather than being cut: their pieces are all there.
	flat := strings.Join(strings.Fields(s), "")
	for _, id := range []string{"adas-training-scenes-with-a-long-id", "cert-2024-02-with-a-long-reference", "acme-connected-services"} {
		if !strings.Contains(flat, id) && !piecesInOrder(s, id) {
			t.Errorf("%s is cut:\n%s", id, s)
		}
	}
}

// piecesInOrder reports whether id appears split over consecutive lines of
// one column: each piece a prefix of what remains.
func piecesInOrder(s, id string) bool {
	lines := strings.Split(s, "\n")
	for i := range lines {
		rest := id
		for j := i; j < len(lines) && rest != ""; j++ {
			found := false
			for _, f := range strings.Fields(lines[j]) {
				if strings.HasPrefix(rest, f) && (j > i || strings.HasPrefix(id, f)) {
					rest = rest[len(f):]
					found = true
					break
				}
			}
			if !found {
				break
			}
		}
		if rest == "" {
			return true
		}
	}
	return false
}

// Chinese ids, processor names and recipients take two terminal columns a
// character: the table is laid out by display width, not by runes.
func TestTableChineseNamesFit(t *testing.T) {
	a := assessDir(t, "testdata/unknowns")
	var b bytes.Buffer
	if err := report.Table(&b, a); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	fits(t, "unknowns table", s)
	for _, want := range []string{"华南出行国际控股（新加坡）私人有限公司数据服务中心", "出境-2026-004", "标准合同-2026-粤-0001"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}
