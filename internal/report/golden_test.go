package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulepack"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// exampleAssessment assesses the bundled example with declared facts only
// (no scan), at a fixed date, so the golden files are stable.
func exampleAssessment(t *testing.T) *model.Assessment {
	t.Helper()
	return assessDir(t, "../../examples/acme-motors")
}

func assessDir(t *testing.T, dir string) *model.Assessment {
	t.Helper()
	set, err := rulepack.LoadWithDefaults(nil, rulepack.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load([]string{dir}, inventory.Options{Facts: set, Items: set})
	if err != nil {
		t.Fatal(err)
	}
	return assess.Run(context.Background(), inv, set, assess.Options{AsOf: model.MustDate("2026-12-03"), Residuals: true})
}

// fits checks that every line of a table takes at most report.Width
// terminal columns (a Chinese character takes two) and that nothing was cut.
func fits(t *testing.T, name, table string) {
	t.Helper()
	for i, line := range strings.Split(table, "\n") {
		if n := report.DisplayWidth(line); n > report.Width {
			t.Errorf("%s line %d is %d columns, over %d: %q", name, i+1, n, report.Width, line)
		}
	}
	if strings.Contains(table, "…") {
		t.Errorf("%s cuts a cell (…): wrap it instead", name)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./internal/report -update, then review the diff):\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + itoa(i+1) + "\n  want: " + x + "\n  got:  " + y
		}
	}
	return ""
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestGoldenTable(t *testing.T) {
	var b bytes.Buffer
	if err := report.Table(&b, exampleAssessment(t)); err != nil {
		t.Fatal(err)
	}
	fits(t, "acme table", b.String())
	golden(t, "acme.table.golden", b.Bytes())
}

func TestGoldenJSON(t *testing.T) {
	var b bytes.Buffer
	a := exampleAssessment(t)
	if err := report.JSON(&b, a); err != nil {
		t.Fatal(err)
	}
	// The contract's top-level fields and enum values (SPEC §3).
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "as_of", "packs", "assets", "transfers", "findings"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if doc["schema"] != "xborder.assessment/v1" || doc["as_of"] != "2026-12-03" {
		t.Errorf("schema/as_of = %v/%v", doc["schema"], doc["as_of"])
	}
	for _, tr := range a.Transfers {
		switch tr.Mechanism {
		case model.MechSecurityAssessment, model.MechContractOrCert, model.MechExempt, model.MechUndetermined:
		default:
			t.Errorf("transfer %s: mechanism %q outside the contract", tr.ID, tr.Mechanism)
		}
		switch tr.Coverage.Status {
		case model.CovCovered, model.CovNotCovered, model.CovNotRequired, model.CovUndetermined:
		default:
			t.Errorf("transfer %s: coverage %q outside the contract", tr.ID, tr.Coverage.Status)
		}
		if (tr.Mechanism == model.MechExempt) != (tr.Exemption != nil) {
			t.Errorf("transfer %s: mechanism %s with exemption %v", tr.ID, tr.Mechanism, tr.Exemption)
		}
	}
	// coverage.approval is always written: the approval id, or null like a
	// transfer's exemption (SPEC §3).
	nulls := 0
	for _, tr := range doc["transfers"].([]any) {
		tm := tr.(map[string]any)
		cov := tm["coverage"].(map[string]any)
		ap, ok := cov["approval"]
		switch {
		case !ok:
			t.Errorf("transfer %v: coverage has no approval field (want null when none)", tm["id"])
		case ap == nil:
			nulls++
		default:
			if s, isStr := ap.(string); !isStr || s == "" {
				t.Errorf("transfer %v: coverage.approval = %#v, want an id or null", tm["id"], ap)
			}
		}
	}
	if nulls == 0 {
		t.Error("the example has no transfer without an approval: the null case is not exercised")
	}
	// And it reads back into the model.
	var back model.Assessment
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for i := range back.Transfers {
		if back.Transfers[i].Coverage.Approval != a.Transfers[i].Coverage.Approval {
			t.Errorf("transfer %s: approval %q read back as %q", a.Transfers[i].ID, a.Transfers[i].Coverage.Approval, back.Transfers[i].Coverage.Approval)
		}
	}
	golden(t, "acme.json.golden", b.Bytes())
}

func TestGoldenHTML(t *testing.T) {
	var b bytes.Buffer
	if err := report.HTML(&b, exampleAssessment(t)); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	// Self-contained: nothing is fetched when the officer opens the mail.
	for _, bad := range []string{"<script src", "<link ", "http://", "https://", "@import"} {
		if strings.Contains(s, bad) {
			t.Errorf("HTML report references an external resource (%q)", bad)
		}
	}
	for _, want := range []string{"Facts still needed", `type="checkbox"`, "cell-production-records", "possible_splitting", "inferred"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	golden(t, "acme.html.golden", b.Bytes())
}

// The HTML summary cards say what the JSON says: asset results and coverage
// statuses share the value "undetermined" and must not be added together.
func TestHTMLCardsMatchJSON(t *testing.T) {
	a := exampleAssessment(t)
	var hb, jb bytes.Buffer
	if err := report.HTML(&hb, a); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&jb, a); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Assets []struct {
			Result string `json:"result"`
		} `json:"assets"`
		Transfers []struct {
			Coverage struct {
				Status string `json:"status"`
			} `json:"coverage"`
		} `json:"transfers"`
		Findings []any `json:"findings"`
	}
	if err := json.Unmarshal(jb.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"important assets": 0, "undetermined assets": 0, "not important": 0,
		"transfers": len(doc.Transfers), "not covered": 0, "findings": len(doc.Findings)}
	card := map[string]string{model.Important: "important assets", model.Undetermined: "undetermined assets", model.NotImportant: "not important"}
	for _, r := range doc.Assets {
		want[card[r.Result]]++
	}
	undeterminedCoverage := 0
	for _, tr := range doc.Transfers {
		switch tr.Coverage.Status {
		case model.CovNotCovered:
			want["not covered"]++
		case model.CovUndetermined:
			undeterminedCoverage++
		}
	}
	if want["undetermined assets"] == 0 || undeterminedCoverage == 0 {
		t.Fatal("the example needs both undetermined assets and undetermined coverage to test that they are kept apart")
	}
	cards := regexp.MustCompile(`<div class="card"><b>([^<]*)</b>([^<]+)</div>`).FindAllStringSubmatch(hb.String(), -1)
	if len(cards) != len(want) {
		t.Fatalf("%d cards, want %d: %v", len(cards), len(want), cards)
	}
	for _, c := range cards {
		w, ok := want[c[2]]
		if !ok {
			t.Errorf("unexpected card %q", c[2])
			continue
		}
		if c[1] != strconv.Itoa(w) {
			t.Errorf("card %q shows %s, JSON says %d", c[2], c[1], w)
		}
	}
}

// A transfer's own missing facts (a count left out, coordinates whose
// processing is not stated, earlier counts unknown) are on the checklist of
// the table and the HTML report, per transfer, with their questions.
func TestGoldenUnknowns(t *testing.T) {
	a := assessDir(t, "testdata/unknowns")
	var tb, hb bytes.Buffer
	if err := report.Table(&tb, a); err != nil {
		t.Fatal(err)
	}
	if err := report.HTML(&hb, a); err != nil {
		t.Fatal(err)
	}
	table, html := tb.String(), hb.String()
	var missing int
	for _, tr := range a.Transfers {
		missing += len(tr.Missing)
		if tr.ID == "出境-2026-001" && (len(tr.Missing) != 1 || tr.Missing[0].Fact != "individuals") {
			t.Fatalf("fixture: transfer 出境-2026-001 should miss only individuals, misses %v", tr.Missing)
		}
	}
	if missing == 0 {
		t.Fatal("fixture: no transfer misses a fact")
	}
	for _, want := range []string{
		"  [ ] transfer 出境-2026-001: individuals - How many distinct individuals' non-sensitive personal\n      information does transfer 出境-2026-001 carry?",
		"  [ ] transfers 出境-2026-002, 出境-2026-003: earlier_counts - ",
		"  [ ] transfer 出境-2026-003: geo_confidentiality_processed - ",
		"(also needed by transfer 出境-2026-003)",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table checklist lacks %q", want)
		}
	}
	for _, want := range []string{
		`<input type="checkbox"> transfer <a href="#transfer-%e5%87%ba%e5%a2%83-2026-001"><code>出境-2026-001</code></a> &middot; <code>individuals</code>: How many distinct individuals&#39; non-sensitive personal information does transfer 出境-2026-001 carry?`,
		`<code>geo_confidentiality_processed</code>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML checklist lacks %q", want)
		}
	}
	golden(t, "unknowns.table.golden", tb.Bytes())
	golden(t, "unknowns.html.golden", hb.Bytes())
}
