package assess_test

// Scenario tests: a small YAML format in the spirit of Prometheus' promqltest
// and OPA's YAML cases. Each file under testdata/scenarios holds cases; each
// case gives an inventory (and optionally extra packs or an inline patch) and
// the results it must produce. Only the fields written in `expect` are
// checked, so a case states exactly what it is about.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

type scenarioFile struct {
	Cases []*scenario `yaml:"cases"`
}

type scenario struct {
	Name string `yaml:"name"`
	// Skip names a known bug; the case is reported as skipped until fixed.
	Skip      string                    `yaml:"skip"`
	AsOf      string                    `yaml:"as_of"`
	Packs     []string                  `yaml:"packs"`
	Patch     string                    `yaml:"patch"`
	Holidays  string                    `yaml:"holidays"`
	Inventory string                    `yaml:"inventory"`
	Measured  map[string]map[string]any `yaml:"measured"`
	// LoadError, when set, is a text the pack or inventory loading error must
	// contain: the case is about input that must be refused.
	LoadError string `yaml:"load_error"`
	Expect    expect `yaml:"expect"`
}

type expect struct {
	Assets         map[string]*expAsset    `yaml:"assets"`
	Transfers      map[string]*expTransfer `yaml:"transfers"`
	Findings       []expFinding            `yaml:"findings"`
	FindingsExact  *bool                   `yaml:"findings_exact"`
	NoFindingKinds []string                `yaml:"no_finding_kinds"`
	Calendar       string                  `yaml:"calendar_contains"`
	// Packs are the ids of the loaded packs, in output order.
	Packs []string `yaml:"packs"`
	// TransferOrder is the order of the transfers in the result (date, then id).
	TransferOrder []string `yaml:"transfer_order"`
}

type expAsset struct {
	Result  string   `yaml:"result"`
	Matched []string `yaml:"matched"`
	// MatchedProvenance: criterion -> the provenance its match must carry.
	MatchedProvenance map[string]string `yaml:"matched_provenance"`
	Missing           []string          `yaml:"missing"`
	Fact              map[string]any    `yaml:"facts"`
}

type expCounts struct {
	Individuals          *int64 `yaml:"individuals"`
	SensitiveIndividuals *int64 `yaml:"sensitive_individuals"`
	Unknown              *bool  `yaml:"unknown"`
}

type expTransfer struct {
	Mechanism string            `yaml:"mechanism"`
	Exemption *string           `yaml:"exemption"`
	Coverage  string            `yaml:"coverage"`
	Approval  *string           `yaml:"approval"`
	Counted   *bool             `yaml:"counted"`
	Year      int               `yaml:"year"`
	Processor *expCounts        `yaml:"processor"`
	Group     *expCounts        `yaml:"group"`
	Assets    map[string]string `yaml:"assets"`
	Missing   []string          `yaml:"missing"`
	Reasons   []string          `yaml:"reasons_contain"`
	Problems  []string          `yaml:"problems_contain"`
	// ReasonsAbsent are texts no reason may contain.
	ReasonsAbsent []string `yaml:"reasons_absent"`
	// ReasonsProvenance: rule -> the provenance every reason of that rule carries.
	ReasonsProvenance map[string]string `yaml:"reasons_provenance"`
}

type expFinding struct {
	Kind    string `yaml:"kind"`
	Subject string `yaml:"subject"`
	Text    string `yaml:"text_contains"`
	// Blocking, when set, is the finding's blocking flag.
	Blocking *bool `yaml:"blocking"`
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sf scenarioFile
		if err := yaml.UnmarshalWithOptions(data, &sf, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names := map[string]bool{}
		for _, sc := range sf.Cases {
			if sc.Name == "" || names[sc.Name] {
				t.Errorf("%s: case name %q is empty or repeated", f, sc.Name)
			}
			names[sc.Name] = true
			total++
			sc := sc
			t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml")+"/"+sc.Name, func(t *testing.T) { runScenario(t, f, sc) })
		}
	}
	t.Logf("%d scenario cases", total)
}

func runScenario(t *testing.T, file string, sc *scenario) {
	t.Helper()
	// A panic is a failure of this case, not of the whole run.
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	// XBORDER_SCENARIO_SKIPPED=1 runs the cases skipped for known bugs, to see
	// them fail (or pass once fixed).
	if sc.Skip != "" && os.Getenv("XBORDER_SCENARIO_SKIPPED") == "" {
		t.Skip(sc.Skip)
	}
	specs := append(append([]string{}, rulepack.Defaults...), sc.Packs...)
	if sc.Patch != "" {
		p := filepath.Join(t.TempDir(), "patch.yaml")
		if err := os.WriteFile(p, []byte(sc.Patch), 0o644); err != nil {
			t.Fatal(err)
		}
		specs = append(specs, p)
	}
	set, err := loadPacks(specs, sc.Patch == "")
	if sc.LoadError != "" && err != nil {
		if !strings.Contains(err.Error(), sc.LoadError) {
			t.Fatalf("packs: error %q does not contain %q", err, sc.LoadError)
		}
		return
	}
	if err != nil {
		t.Fatalf("packs: %v", err)
	}
	inv, err := inventory.Parse(file+":"+sc.Name, []byte(sc.Inventory), inventory.Options{Facts: set, Items: set})
	if sc.LoadError != "" {
		if err == nil {
			t.Fatalf("loading succeeded, want an error containing %q", sc.LoadError)
		}
		if !strings.Contains(err.Error(), sc.LoadError) {
			t.Fatalf("inventory: error %q does not contain %q", err, sc.LoadError)
		}
		return
	}
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	asOf := model.MustDate("2026-12-31")
	if sc.AsOf != "" {
		asOf = model.MustDate(sc.AsOf)
	}
	cal := calendar.Weekends()
	if sc.Holidays != "" {
		if cal, err = calendar.Parse("holidays", []byte(sc.Holidays)); err != nil {
			t.Fatal(err)
		}
	}
	measured := map[string]assess.Measurement{}
	for id, facts := range sc.Measured {
		fs := model.FactSet{}
		for k, v := range facts {
			switch x := v.(type) {
			case uint64:
				v = int64(x)
			case int:
				v = int64(x)
			}
			fs[k] = model.FactValue{Value: v, Source: "scan:test"}
		}
		measured[id] = assess.Measurement{Facts: fs}
	}
	a := assess.Run(context.Background(), inv, set, assess.Options{AsOf: asOf, Calendar: cal, Measured: measured})
	check(t, a, &sc.Expect)
}

// packCache keeps compiled sets of built-in packs: compiling CEL is most of
// the cost of a case, and a Set is read-only once built.
var packCache sync.Map

func loadPacks(specs []string, cacheable bool) (*rulepack.Set, error) {
	if !cacheable {
		return rulepack.Load(specs, rulepack.Limits{})
	}
	key := strings.Join(specs, "\x00")
	if s, ok := packCache.Load(key); ok {
		return s.(*rulepack.Set), nil
	}
	set, err := rulepack.Load(specs, rulepack.Limits{})
	if err != nil {
		return nil, err
	}
	packCache.Store(key, set)
	return set, nil
}

func check(t *testing.T, a *model.Assessment, e *expect) {
	t.Helper()
	assets := map[string]model.AssetResult{}
	for _, r := range a.Assets {
		assets[r.ID] = r
	}
	for id, want := range e.Assets {
		got, ok := assets[id]
		if !ok {
			t.Errorf("asset %s: not in the result", id)
			continue
		}
		if want.Result != "" && got.Result != want.Result {
			t.Errorf("asset %s: result %s, want %s (matched %v, missing %v, errors %v)", id, got.Result, want.Result, matchIDs(got.Matched), missingFacts(got.Missing), got.Errors)
		}
		for crit, prov := range want.MatchedProvenance {
			found := false
			for _, m := range got.Matched {
				if m.Criterion == crit {
					found = true
					if m.Provenance != prov {
						t.Errorf("asset %s: criterion %s matched with provenance %s, want %s", id, crit, m.Provenance, prov)
					}
				}
			}
			if !found {
				t.Errorf("asset %s: criterion %s did not match (matched %v)", id, crit, matchIDs(got.Matched))
			}
		}
		if want.Matched != nil && !sameSet(matchIDs(got.Matched), want.Matched) {
			t.Errorf("asset %s: matched %v, want %v", id, matchIDs(got.Matched), want.Matched)
		}
		if want.Missing != nil && !sameSet(missingFacts(got.Missing), want.Missing) {
			t.Errorf("asset %s: missing %v, want %v", id, missingFacts(got.Missing), want.Missing)
		}
		for k, v := range want.Fact {
			gv, ok := got.Facts[k]
			if !ok || fmt.Sprint(gv.Value) != fmt.Sprint(v) {
				t.Errorf("asset %s: fact %s = %v, want %v", id, k, gv.Value, v)
			}
		}
	}
	trs := map[string]model.TransferResult{}
	for _, r := range a.Transfers {
		trs[r.ID] = r
	}
	for id, want := range e.Transfers {
		got, ok := trs[id]
		if !ok {
			t.Errorf("transfer %s: not in the result", id)
			continue
		}
		why := func() string {
			var rs []string
			for _, r := range got.Reasons {
				rs = append(rs, r.Rule+": "+r.Text)
			}
			return strings.Join(rs, "\n\t")
		}
		if want.Mechanism != "" && got.Mechanism != want.Mechanism {
			t.Errorf("transfer %s: mechanism %s, want %s\n\t%s", id, got.Mechanism, want.Mechanism, why())
		}
		if want.Exemption != nil {
			g := ""
			if got.Exemption != nil {
				g = *got.Exemption
			}
			if g != *want.Exemption {
				t.Errorf("transfer %s: exemption %q, want %q\n\t%s", id, g, *want.Exemption, why())
			}
		}
		if want.Coverage != "" && got.Coverage.Status != want.Coverage {
			t.Errorf("transfer %s: coverage %s, want %s (problems %v)", id, got.Coverage.Status, want.Coverage, got.Coverage.Problems)
		}
		if want.Approval != nil && got.Coverage.Approval != *want.Approval {
			t.Errorf("transfer %s: approval %q, want %q", id, got.Coverage.Approval, *want.Approval)
		}
		if want.Counted != nil && got.Cumulative.Counted != *want.Counted {
			t.Errorf("transfer %s: counted %v, want %v", id, got.Cumulative.Counted, *want.Counted)
		}
		if want.Year != 0 && got.Cumulative.Year != want.Year {
			t.Errorf("transfer %s: year %d, want %d", id, got.Cumulative.Year, want.Year)
		}
		checkCounts(t, id+" processor", got.Cumulative.Processor, want.Processor)
		checkCounts(t, id+" group", got.Cumulative.Group, want.Group)
		for aid, res := range want.Assets {
			found := false
			for _, ta := range got.Assets {
				if ta.ID == aid {
					found = true
					if ta.Result != res {
						t.Errorf("transfer %s: asset %s at the transfer date is %s, want %s", id, aid, ta.Result, res)
					}
				}
			}
			if !found {
				t.Errorf("transfer %s: asset %s missing", id, aid)
			}
		}
		if want.Missing != nil && !sameSet(missingFacts(got.Missing), want.Missing) {
			t.Errorf("transfer %s: missing %v, want %v", id, missingFacts(got.Missing), want.Missing)
		}
		for _, r := range want.Reasons {
			if !strings.Contains(why(), r) {
				t.Errorf("transfer %s: no reason contains %q; reasons:\n\t%s", id, r, why())
			}
		}
		for _, r := range want.ReasonsAbsent {
			if strings.Contains(why(), r) {
				t.Errorf("transfer %s: a reason contains %q, which it must not; reasons:\n\t%s", id, r, why())
			}
		}
		for rule, prov := range want.ReasonsProvenance {
			n := 0
			for _, r := range got.Reasons {
				if r.Rule == rule {
					n++
					if r.Provenance != prov {
						t.Errorf("transfer %s: reason %s has provenance %s, want %s (%s)", id, rule, r.Provenance, prov, r.Text)
					}
				}
			}
			if n == 0 {
				t.Errorf("transfer %s: no reason of rule %s; reasons:\n\t%s", id, rule, why())
			}
		}
		for _, p := range want.Problems {
			if !strings.Contains(strings.Join(got.Coverage.Problems, "\n"), p) {
				t.Errorf("transfer %s: no coverage problem contains %q; problems: %v", id, p, got.Coverage.Problems)
			}
		}
	}
	var gotF []string
	for _, f := range a.Findings {
		gotF = append(gotF, f.Kind+" "+f.Subject)
	}
	for _, w := range e.Findings {
		found := false
		for _, f := range a.Findings {
			if f.Kind == w.Kind && (w.Subject == "" || f.Subject == w.Subject) && strings.Contains(f.Text, w.Text) &&
				(w.Blocking == nil || f.Blocking == *w.Blocking) {
				found = true
			}
		}
		if !found {
			t.Errorf("finding %s %s (text %q) not raised; findings: %v", w.Kind, w.Subject, w.Text, gotF)
		}
	}
	if e.FindingsExact != nil && *e.FindingsExact {
		var want []string
		for _, w := range e.Findings {
			want = append(want, w.Kind+" "+w.Subject)
		}
		if !sameSet(gotF, want) {
			t.Errorf("findings %v, want exactly %v", gotF, want)
		}
	}
	for _, k := range e.NoFindingKinds {
		for _, f := range a.Findings {
			if f.Kind == k {
				t.Errorf("unexpected finding %s %s: %s", f.Kind, f.Subject, f.Text)
			}
		}
	}
	if e.Packs != nil {
		var got []string
		for _, p := range a.Packs {
			got = append(got, p.ID)
		}
		if strings.Join(got, ",") != strings.Join(e.Packs, ",") {
			t.Errorf("packs %v, want %v", got, e.Packs)
		}
	}
	if e.TransferOrder != nil {
		var got []string
		for _, r := range a.Transfers {
			got = append(got, r.ID)
		}
		if strings.Join(got, ",") != strings.Join(e.TransferOrder, ",") {
			t.Errorf("transfer order %v, want %v", got, e.TransferOrder)
		}
	}
	if e.Calendar != "" && !strings.Contains(a.Calendar, e.Calendar) {
		t.Errorf("calendar %q does not contain %q", a.Calendar, e.Calendar)
	}
}

func checkCounts(t *testing.T, what string, got model.Counts, want *expCounts) {
	t.Helper()
	if want == nil {
		return
	}
	if want.Individuals != nil && got.Individuals != *want.Individuals {
		t.Errorf("transfer %s individuals %d, want %d", what, got.Individuals, *want.Individuals)
	}
	if want.SensitiveIndividuals != nil && got.SensitiveIndividuals != *want.SensitiveIndividuals {
		t.Errorf("transfer %s sensitive_individuals %d, want %d", what, got.SensitiveIndividuals, *want.SensitiveIndividuals)
	}
	if want.Unknown != nil && got.Unknown != *want.Unknown {
		t.Errorf("transfer %s unknown %v, want %v", what, got.Unknown, *want.Unknown)
	}
}

func matchIDs(ms []model.Match) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Criterion)
	}
	return out
}

func missingFacts(ms []model.Missing) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Fact)
	}
	return out
}

func sameSet(a, b []string) bool {
	x := append([]string{}, a...)
	y := append([]string{}, b...)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, "\x00") == strings.Join(y, "\x00")
}
