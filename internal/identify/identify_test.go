package identify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/identify"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

func defaults(t *testing.T) *rulepack.Set {
	t.Helper()
	return load(t, "guidelines-2026", "provisions-2024")
}

func facts(kv ...any) model.FactSet {
	fs := model.FactSet{}
	for i := 0; i < len(kv); i += 2 {
		fs[kv[i].(string)] = model.FactValue{Value: kv[i+1], Source: model.SourceDeclared}
	}
	return fs
}

func missingOf(r identify.Result) []string {
	var out []string
	for _, m := range r.Missing {
		out = append(out, m.Fact)
	}
	return out
}

func TestItem_UnknownItemIsUndeterminedWithAnError(t *testing.T) {
	r := identify.Item(context.Background(), defaults(t), "no.such.item", nil, identify.Options{})
	if r.Result != model.Undetermined || len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "no.such.item") {
		t.Fatalf("got %+v", r)
	}
}

func TestItem_CriteriaUnknownStaysUndeterminedWhateverTheFacts(t *testing.T) {
	r := identify.Item(context.Background(), defaults(t), "connected.platform.security_assurance",
		facts("vehicles_in_china", int64(9e6), "infers_sensitive_geo", true, "sensitive_areas", true), identify.Options{})
	if r.Result != model.Undetermined || strings.Join(missingOf(r), ",") != "criteria" {
		t.Fatalf("got %s missing %v", r.Result, missingOf(r))
	}
	if !strings.Contains(r.Missing[0].Question, "connected.platform.security_assurance") {
		t.Errorf("question does not name the item: %q", r.Missing[0].Question)
	}
}

func TestItem_NoCriteriaItemIsNeverImportant(t *testing.T) {
	r := identify.Item(context.Background(), defaults(t), "general.personal_information",
		facts("individuals", int64(5e6)), identify.Options{})
	if r.Result != model.NotImportant || len(r.Missing) != 0 {
		t.Fatalf("got %+v", r)
	}
}

func TestItem_OneTrueCriterionWinsOverUnknownOnes(t *testing.T) {
	r := identify.Item(context.Background(), defaults(t), "connected.platform.charging",
		facts("sensitive_areas", true), identify.Options{Residuals: true})
	if r.Result != model.Important || len(r.Missing) != 0 || len(r.Pending) != 0 {
		t.Fatalf("got %s missing %v pending %v", r.Result, missingOf(r), r.Pending)
	}
	if len(r.Matched) != 1 || r.Matched[0].Criterion != "sensitive_areas" || r.Matched[0].Provenance != model.ProvCommentary || r.Matched[0].Pack != "guidelines-2026" {
		t.Errorf("matched %+v", r.Matched)
	}
}

func TestItem_MissingNamesOnlyFactsThatCanStillDecide(t *testing.T) {
	// provides_ota is false, so the 500,000 criterion is decided whatever
	// vehicles_served is; only vehicles_served is asked for, by the 1,000,000 one.
	r := identify.Item(context.Background(), defaults(t), "connected.platform.network_planning",
		facts("provides_ota", false), identify.Options{})
	if r.Result != model.Undetermined || strings.Join(missingOf(r), ",") != "vehicles_served" {
		t.Fatalf("got %s missing %v", r.Result, missingOf(r))
	}
	if got := strings.Join(r.Missing[0].Criteria, ","); got != "platform_serves_1m" {
		t.Errorf("vehicles_served asked for by %q, want platform_serves_1m", got)
	}
	if r.Missing[0].Question == "" || !strings.Contains(r.Missing[0].Question, "vehicles") {
		t.Errorf("question %q", r.Missing[0].Question)
	}
}

func TestItem_ResidualsShowWhatIsLeftToDecide(t *testing.T) {
	r := identify.Item(context.Background(), defaults(t), "connected.analysis.traffic_flow",
		facts("complete_intersections", int64(2)), identify.Options{Residuals: true})
	if r.Result != model.Undetermined || len(r.Pending) != 1 {
		t.Fatalf("got %s pending %v", r.Result, r.Pending)
	}
	if got := r.Pending[0].Residual; !strings.Contains(got, "time_span_days > 30") || strings.Contains(got, "complete_intersections") {
		t.Errorf("residual %q should keep only the time span", got)
	}
	r = identify.Item(context.Background(), defaults(t), "connected.analysis.traffic_flow",
		facts("complete_intersections", int64(2)), identify.Options{})
	if len(r.Pending) != 0 {
		t.Errorf("residuals computed without being asked: %v", r.Pending)
	}
}

func ytd(v int64, atLeast bool) model.FactValue {
	return model.FactValue{Value: v, Source: model.SourceDerived, AtLeast: atLeast}
}

func TestItem_LowerBoundDecidesOnlyWhenItAlreadyCrosses(t *testing.T) {
	set := defaults(t)
	cases := []struct {
		name string
		fv   model.FactValue
		want string
	}{
		{"exact under", ytd(1000000, false), model.NotImportant},
		{"exact over", ytd(1000001, false), model.Important},
		{"lower bound over", ytd(1000001, true), model.Important},
		{"lower bound at", ytd(1000000, true), model.Undetermined},
		{"lower bound zero", ytd(0, true), model.Undetermined},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := identify.Item(context.Background(), set, "connected.vehicle.vin", model.FactSet{"outbound_individuals_ytd": c.fv}, identify.Options{})
			if r.Result != c.want {
				t.Fatalf("got %s, want %s (missing %v)", r.Result, c.want, missingOf(r))
			}
			if c.want == model.Undetermined && strings.Join(missingOf(r), ",") != "outbound_individuals_ytd" {
				t.Errorf("missing %v", missingOf(r))
			}
		})
	}
}

// A lower bound must never decide a comparison that falls as the value rises:
// "at least 5" says nothing about "< 10".
func TestItem_LowerBoundNeverDecidesAFallingComparison(t *testing.T) {
	dir := t.TempDir()
	patch := filepath.Join(dir, "few.yaml")
	if err := os.WriteFile(patch, []byte(`pack: few-outbound
version: "1"
extends: [guidelines-2026]
criteria:
  - id: few_outbound
    text: Fewer than 10 outbound individuals (a test criterion).
    expr: outbound_individuals_ytd < 10
    provenance: inferred
    thresholds: [{fact: outbound_individuals_ytd, op: "<", value: 10, provenance: inferred}]
  - id: between_outbound
    text: Over 5 and under 10 outbound individuals (a test criterion).
    expr: outbound_individuals_ytd > 5 && outbound_individuals_ytd < 10
    provenance: inferred
items:
  - {id: test.few, name: Few, provenance: inferred, criteria: [few_outbound]}
  - {id: test.between, name: Between, provenance: inferred, criteria: [between_outbound]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	set := load(t, "guidelines-2026", "provisions-2024", patch)
	for _, item := range []string{"test.few", "test.between"} {
		r := identify.Item(context.Background(), set, item, model.FactSet{"outbound_individuals_ytd": ytd(6, true)}, identify.Options{})
		if r.Result != model.Undetermined {
			t.Errorf("%s with outbound_individuals_ytd at least 6: %s, want undetermined", item, r.Result)
		}
		r = identify.Item(context.Background(), set, item, model.FactSet{"outbound_individuals_ytd": ytd(6, false)}, identify.Options{})
		if r.Result != model.Important {
			t.Errorf("%s with outbound_individuals_ytd exactly 6: %s, want important", item, r.Result)
		}
	}
}

func TestItem_NilValueIsUnknown(t *testing.T) {
	r := identify.Item(context.Background(), defaults(t), "connected.vehicle.keys",
		model.FactSet{"vehicles_in_china": {Value: nil, Source: model.SourceDeclared}}, identify.Options{})
	if r.Result != model.Undetermined || strings.Join(missingOf(r), ",") != "vehicles_in_china" {
		t.Fatalf("got %s missing %v", r.Result, missingOf(r))
	}
}

// A value of the wrong Go type (a caller bug, not user input: the inventory
// types facts) must give an error and undetermined, never a panic or a guess.
func TestItem_WrongTypedValueIsAnErrorNotAPanic(t *testing.T) {
	r := identify.Item(context.Background(), defaults(t), "connected.vehicle.keys",
		facts("vehicles_in_china", "lots"), identify.Options{})
	if r.Result != model.Undetermined || len(r.Errors) == 0 {
		t.Fatalf("got %s errors %v", r.Result, r.Errors)
	}
}

func TestItem_CancelledContextIsAnErrorNotAResult(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := identify.Item(ctx, defaults(t), "connected.vehicle.keys", facts("vehicles_in_china", int64(200000)), identify.Options{})
	// Either the evaluation finished before looking at the context (a
	// criterion this small may), or it reports the cancellation; never a
	// silent not_important.
	if r.Result == model.NotImportant {
		t.Fatalf("cancelled evaluation gave not_important")
	}
}

func TestDependsOn(t *testing.T) {
	set := defaults(t)
	cases := map[string]bool{
		"connected.vehicle.vin":                 true,
		"connected.platform.charging":           true,
		"connected.vehicle.keys":                false,
		"connected.platform.security_assurance": false,
		"no.such.item":                          false,
	}
	for item, want := range cases {
		if got := identify.DependsOn(set, item, "outbound_individuals_ytd"); got != want {
			t.Errorf("DependsOn(%s, outbound_individuals_ytd) = %v, want %v", item, got, want)
		}
	}
	if !identify.DependsOn(set, "connected.vehicle.keys", "individuals", "vehicles_in_china") {
		t.Error("DependsOn with several facts should find vehicles_in_china")
	}
}
