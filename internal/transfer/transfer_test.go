package transfer

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

var d = model.MustDate

// ap builds an approval; "" is an absent date (model.NoDate: the zero Date is
// 1970-01-01, a valid day).
func ap(kind, issued, effective, expires string) *model.Approval {
	opt := func(s string) model.Date {
		if s == "" {
			return model.NoDate
		}
		return d(s)
	}
	return &model.Approval{Kind: kind, Issued: opt(issued), Effective: opt(effective), Expires: opt(expires), Filed: model.NoDate}
}

func loadSet(t *testing.T, extra ...string) *rulepack.Set {
	t.Helper()
	set, err := rulepack.Load(append([]string{"guidelines-2026", "provisions-2024"}, extra...), rulepack.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestExpires_DeclaredAndDefaultTerms(t *testing.T) {
	set := loadSet(t)
	cases := []struct {
		name               string
		a                  *model.Approval
		want, how, comment string
	}{
		{"declared wins", ap(model.SecurityAssessment, "2026-02-01", "", "2026-12-31"), "2026-12-31", "declared", ""},
		{"declared on a contract", ap(model.StandardContract, "", "2026-02-01", "2027-01-31"), "2027-01-31", "declared", ""},
		{"assessment: 3 years", ap(model.SecurityAssessment, "2026-02-01", "", ""), "2029-02-01", "default:secondary", "SPEC §2 example"},
		{"assessment on the cutoff: 3 years", ap(model.SecurityAssessment, "2024-03-22", "", ""), "2027-03-22", "default:secondary", ""},
		{"assessment the day before: 2 years", ap(model.SecurityAssessment, "2024-03-21", "", ""), "2026-03-21", "default:inferred", ""},
		{"assessment on 29 February before the cutoff", ap(model.SecurityAssessment, "2024-02-29", "", ""), "2026-02-28", "default:inferred", "no 29 Feb in 2026: the last day of February"},
		{"assessment on 29 February 2028", ap(model.SecurityAssessment, "2028-02-29", "", ""), "2031-02-28", "default:secondary", ""},
		{"assessment 29 February to a leap year", ap(model.SecurityAssessment, "2096-02-29", "", ""), "2099-02-28", "default:secondary", "2099 is not leap"},
		{"certification: 3 years", ap(model.Certification, "2024-01-15", "", ""), "2027-01-15", "default:secondary", "no cutoff for certificates"},
		{"certification on 29 February", ap(model.Certification, "2024-02-29", "", ""), "2027-02-28", "default:secondary", ""},
		{"standard contract: no term", ap(model.StandardContract, "", "2020-01-06", ""), "", "none", ""},
		{"no issue date: no term", ap(model.SecurityAssessment, "", "", ""), "", "none", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, how := Expires(set, c.a)
			if c.want == "" {
				if got.Valid() || how != c.how {
					t.Fatalf("got %s %s, want no date (%s)", got, how, c.how)
				}
				return
			}
			if got != d(c.want) || how != c.how {
				t.Errorf("got %s (%s), want %s (%s) %s", got, how, c.want, c.how, c.comment)
			}
		})
	}
}

// The terms are pack parameters: a patch changes them without code.
func TestExpires_FollowsPatchedParameters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "terms.yaml")
	if err := os.WriteFile(p, []byte(`pack: terms
version: "1"
extends: [provisions-2024]
parameters:
  sa_validity_years: 5
  sa_validity_years_before_2024: 1
  sa_validity_cutoff: 2025-01-01
  certification_validity_years: 2
`), 0o644); err != nil {
		t.Fatal(err)
	}
	set := loadSet(t, p)
	for _, c := range []struct {
		a    *model.Approval
		want string
	}{
		{ap(model.SecurityAssessment, "2024-06-01", "", ""), "2025-06-01"},
		{ap(model.SecurityAssessment, "2025-01-01", "", ""), "2030-01-01"},
		{ap(model.Certification, "2024-02-29", "", ""), "2026-02-28"},
	} {
		if got, _ := Expires(set, c.a); got != d(c.want) {
			t.Errorf("%s issued %s: expires %s, want %s", c.a.Kind, c.a.Issued, got, c.want)
		}
	}
}

func TestStarts(t *testing.T) {
	cases := []struct {
		a    *model.Approval
		want string
	}{
		{ap(model.StandardContract, "2026-01-01", "2026-02-01", ""), "2026-02-01"},
		{ap(model.StandardContract, "2026-01-01", "", ""), "2026-01-01"},
		{ap(model.SecurityAssessment, "2026-01-01", "2026-02-01", ""), "2026-01-01"},
		{ap(model.Certification, "", "2026-02-01", ""), "2026-02-01"},
		{ap(model.Certification, "", "", ""), ""},
	}
	for _, c := range cases {
		got := Starts(c.a)
		if c.want == "" {
			if got.Valid() {
				t.Errorf("%+v: starts %s, want none", c.a, got)
			}
			continue
		}
		if got != d(c.want) {
			t.Errorf("%s: starts %s, want %s", c.a.Kind, got, c.want)
		}
	}
}

func TestSatAdd(t *testing.T) {
	const max = math.MaxInt64
	cases := []struct{ a, b, want int64 }{
		{0, 0, 0},
		{1, 2, 3},
		{max - 1, 1, max},
		{max, 1, max},
		{max, max, max},
		{1, max, max},
		{max - 5, 4, max - 1},
	}
	for _, c := range cases {
		if got := satAdd(c.a, c.b); got != c.want {
			t.Errorf("satAdd(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestTally_AddUnknownAndSaturation(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	var tl Tally
	tl.Add(n(10), n(2))
	if tl.Individuals != 10 || tl.SensitiveIndividuals != 2 || tl.Unknown || tl.Total() != 12 {
		t.Fatalf("%+v", tl)
	}
	tl.Add(nil, n(3))
	if tl.Individuals != 10 || tl.SensitiveIndividuals != 5 || !tl.Unknown {
		t.Fatalf("a missing count must mark the totals as lower bounds: %+v", tl)
	}
	tl.Add(n(math.MaxInt64), nil)
	if tl.Individuals != math.MaxInt64 || tl.SensitiveIndividuals != 5 {
		t.Fatalf("saturation: %+v", tl)
	}
	if c := tl.Counts(); c.Individuals != math.MaxInt64 || c.SensitiveIndividuals != 5 || !c.Unknown {
		t.Errorf("counts %+v", c)
	}
}

// Total feeds outbound_individuals_ytd; it must saturate like the sums.
func TestTally_TotalSaturates(t *testing.T) {
	tl := Tally{Individuals: math.MaxInt64, SensitiveIndividuals: 1}
	if got := tl.Total(); got != math.MaxInt64 {
		t.Fatalf("Total() = %d, want %d", got, int64(math.MaxInt64))
	}
}

func dec(proc, group string, year int, counted bool, ind, sens *int64, approval string) *Decision {
	return &Decision{Processor: proc, Group: group, Year: year, Counted: counted, Individuals: ind, Sensitive: sens, Approval: approval}
}

func TestLedger_Apply(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	l := NewLedger()
	l.Apply(dec("a", "g", 2026, true, n(100), n(1), ""))
	l.Apply(dec("b", "g", 2026, true, n(50), n(0), "sc-1"))
	l.Apply(dec("a", "g", 2027, true, n(7), n(0), ""))
	l.Apply(dec("a", "g", 2026, false, n(1000), n(1000), "sa-1")) // claimed exemption, not counted
	l.Apply(dec("b", "g", 2026, true, nil, n(0), "sc-1"))         // unknown count

	if got := l.ProcessorTotal("a", 2026); got.Individuals != 100 || got.SensitiveIndividuals != 1 || got.Unknown {
		t.Errorf("a 2026: %+v", got)
	}
	if got := l.ProcessorTotal("a", 2027); got.Individuals != 7 {
		t.Errorf("a 2027 (a new year starts from zero): %+v", got)
	}
	if got := l.ProcessorTotal("b", 2026); got.Individuals != 50 || !got.Unknown {
		t.Errorf("b 2026: %+v", got)
	}
	if got := l.GroupTotal("g", 2026); got.Individuals != 150 || got.SensitiveIndividuals != 1 || !got.Unknown {
		t.Errorf("g 2026: %+v", got)
	}
	if got := l.GroupTotal("g", 2027); got.Individuals != 7 || got.Unknown {
		t.Errorf("g 2027: %+v", got)
	}
	if got := l.ProcessorTotal("nobody", 2026); got != (Tally{}) {
		t.Errorf("unknown processor: %+v", got)
	}
	// Members are the processors with counted transfers per group-year.
	if m := l.Members[Key{"g", 2026}]; len(m) != 2 || !m["a"] || !m["b"] {
		t.Errorf("members g 2026: %v", m)
	}
	if m := l.Members[Key{"g", 2027}]; len(m) != 1 || !m["a"] {
		t.Errorf("members g 2027: %v", m)
	}
	// An approval's cap is charged whether or not the transfer is counted,
	// across years, and only for the approval relied on.
	if got := l.Use("sa-1"); got.Total() != 2000 || got.Unknown {
		t.Errorf("sa-1 use: %+v", got)
	}
	if got := l.Use("sc-1"); got.Individuals != 50 || !got.Unknown {
		t.Errorf("sc-1 use: %+v", got)
	}
	if got := l.Use("none"); got != (Tally{}) {
		t.Errorf("unused approval: %+v", got)
	}
}

// Decide must not change the ledger: the caller applies the decision.
func TestDecide_DoesNotChangeTheLedger(t *testing.T) {
	set := loadSet(t)
	n := func(v int64) *int64 { return &v }
	e := &Engine{Set: set, Procs: map[string]*model.Processor{"p": {ID: "p", Group: "g"}},
		Identify: func(id string, ytd model.FactValue) AssetStatus {
			return AssetStatus{ID: id, Result: model.NotImportant, TransferAsset: model.TransferAsset{ID: id, Result: model.NotImportant}}
		}}
	l := NewLedger()
	tr := &model.Transfer{ID: "t", Processor: "p", Date: d("2026-03-01"), Assets: []string{"a"}, Recipient: model.Recipient{Name: "R"}, Individuals: n(150000), SensitiveIndividuals: n(0)}
	dc := e.Decide(tr, l)
	if len(l.Processor) != 0 || len(l.Group) != 0 || len(l.ApprovalUse) != 0 {
		t.Fatalf("Decide changed the ledger: %+v", l)
	}
	if dc.Result.Mechanism != model.MechContractOrCert || !dc.Counted || dc.Group != "g" || dc.Year != 2026 {
		t.Fatalf("decision %+v", dc.Result)
	}
	l.Apply(dc)
	if got := l.ProcessorTotal("p", 2026); got.Individuals != 150000 {
		t.Errorf("after Apply: %+v", got)
	}
	// The same transfer again sees the applied totals.
	dc2 := e.Decide(&model.Transfer{ID: "t2", Processor: "p", Date: d("2026-03-02"), Assets: []string{"a"}, Recipient: model.Recipient{Name: "R"}, Individuals: n(850000), SensitiveIndividuals: n(0)}, l)
	if dc2.Result.Mechanism != model.MechSecurityAssessment || dc2.Result.Cumulative.Processor.Individuals != 1000000 {
		t.Errorf("second decision %s %+v", dc2.Result.Mechanism, dc2.Result.Cumulative)
	}
}

// A transfer of a processor missing from the engine's map is decided as its
// own group, not a panic.
func TestDecide_UnknownProcessorIsItsOwnGroup(t *testing.T) {
	set := loadSet(t)
	zero := int64(0)
	e := &Engine{Set: set, Procs: map[string]*model.Processor{},
		Identify: func(id string, ytd model.FactValue) AssetStatus {
			return AssetStatus{ID: id, Result: model.NotImportant, TransferAsset: model.TransferAsset{ID: id, Result: model.NotImportant}}
		}}
	dc := e.Decide(&model.Transfer{ID: "t", Processor: "ghost", Date: d("2026-03-01"), Assets: []string{"a"}, Individuals: &zero, SensitiveIndividuals: &zero}, NewLedger())
	if dc.Group != "ghost" || dc.Result.Mechanism != model.MechExempt {
		t.Errorf("group %q mechanism %s", dc.Group, dc.Result.Mechanism)
	}
}
