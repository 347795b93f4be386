package rulepack_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/rulepack"
)

// list10 is a literal list of ten numbers; nesting comprehensions over it
// multiplies the work by ten per level.
const list10 = "[0,1,2,3,4,5,6,7,8,9]"

func nested(levels int) string {
	vars := "abcdefghij"
	expr := "true"
	for i := levels - 1; i >= 0; i-- {
		expr = fmt.Sprintf("%s.all(%c, %s)", list10, vars[i], expr)
	}
	return expr
}

// hostile expressions that would hang or exhaust memory if run unchecked.
// Each must be refused when the pack is loaded, with the limit it breaks.
var hostile = []struct {
	name, expr, want string
}{
	{"nested comprehensions over a list fact", "safety_functions.all(a, safety_functions.all(b, safety_functions.all(c, safety_functions.exists(d, a + b + c + d == ''))))", "estimated cost"},
	{"nested comprehensions over literals (10^6 steps)", nested(6), "estimated cost"},
	{"list building by nested map", list10 + ".map(a, " + list10 + ".map(b, " + list10 + ".map(c, " + list10 + ".map(d, [a, b, c, d])))).size() > 0", "estimated cost"},
	{"string building in a comprehension", "safety_functions.map(a, safety_functions.map(b, safety_functions.map(c, a + b + c))).size() > 0", "estimated cost"},
	{"list growth by concatenation inside a comprehension", "safety_functions.all(a, size(safety_functions + safety_functions + [a]) > 0 && safety_functions.exists(b, b == a))", "estimated cost"},
	{"deep nesting", strings.Repeat("(", 200) + "infers_sensitive_geo" + strings.Repeat(")", 200), "recursion limit"},
	{"deeply nested lists", "size(" + strings.Repeat("[", 300) + "1" + strings.Repeat("]", 300) + ") > 0", "recursion limit"},
	{"deeply nested conditionals", strings.Repeat("infers_sensitive_geo ? (", 60) + "true" + strings.Repeat(") : false", 60), "recursion limit"},
	{"very long expression", strings.Repeat("vehicles_in_china == 1 || ", 400) + "false", "over the limit of 2000"},
	{"many nodes within the length limit", strings.Repeat("1==1||", 300) + "true", "node"},
	{"huge string literal", "'" + strings.Repeat("a", 5000) + "' == region_level", "over the limit of 2000"},
}

func TestHostile_RefusedAtCompile(t *testing.T) {
	set := mustLoad(t, "guidelines-2026", "provisions-2024")
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			_, err := set.Compile(h.expr)
			if err == nil {
				t.Fatalf("compiled: %.80s...", h.expr)
			}
			if !strings.Contains(err.Error(), h.want) {
				t.Errorf("error %q does not name the limit %q", trunc(err.Error()), h.want)
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// writeHostilePack writes one patch holding every hostile expression as a
// criterion attached to an item, and another holding a YAML alias bomb.
func writeHostilePack(t *testing.T) (string, string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("pack: hostile\nversion: \"1\"\nextends: [guidelines-2026, provisions-2024]\ncriteria:\n")
	for i, h := range hostile {
		fmt.Fprintf(&b, "  - id: hostile_%d\n    text: %q\n    provenance: inferred\n    expr: %q\n", i, h.name, h.expr)
	}
	b.WriteString("items:\n  - {id: hostile.item, name: Hostile, provenance: inferred, criteria: [")
	for i := range hostile {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "hostile_%d", i)
	}
	b.WriteString("]}\n")
	// A billion-laughs alias bomb: 10^9 strings if aliases were expanded.
	var l strings.Builder
	l.WriteString("pack: laughs\nversion: \"1\"\nextends: [provisions-2024]\nparameters:\n")
	l.WriteString("  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&l, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	l.WriteString("  sa_individuals: *l9\n")
	dir := t.TempDir()
	p, q := filepath.Join(dir, "hostile.yaml"), filepath.Join(dir, "laughs.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q, []byte(l.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, q
}

type vars map[string]any

func (v vars) Get(name string) (any, bool) { x, ok := v[name]; return x, ok }

// TestHostile_PackLoadAndRunStayBounded loads a pack of hostile expressions
// (every one must be refused, each by name) and evaluates an accepted
// criterion over a list far larger than the static estimate assumed (the
// runtime cost limit must stop it), and asserts the whole stays within a
// generous memory bound. No timing is asserted: a hang would show as the test
// timeout, exhaustion as the allocation figure.
func TestHostile_PackLoadAndRunStayBounded(t *testing.T) {
	path, laughs := writeHostilePack(t)
	base := mustLoad(t, "guidelines-2026", "provisions-2024") // warm caches outside the measurement
	// Built before the measurement: this memory is ours, not the engine's.
	huge := make([]string, 2_000_000)
	for i := range huge {
		huge[i] = "x"
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	_, err := rulepack.Load([]string{"guidelines-2026", "provisions-2024", path}, rulepack.Limits{})
	if err == nil {
		t.Fatal("the hostile pack loaded")
	}
	for i, h := range hostile {
		if !strings.Contains(err.Error(), fmt.Sprintf("criterion hostile_%d:", i)) {
			t.Errorf("hostile_%d (%s) was not refused: %s", i, h.name, trunc(err.Error()))
		}
	}

	_, err = rulepack.Load([]string{"guidelines-2026", "provisions-2024", laughs}, rulepack.Limits{})
	if err == nil || !strings.Contains(err.Error(), "parameter sa_individuals:") {
		t.Fatalf("alias bomb: %v", err)
	}

	// Accepted statically (the estimate assumes lists of at most
	// MaxListSize), stopped at run time by the cost limit.
	c, err := base.Compile("safety_functions.exists(a, a == 'never') || size(safety_functions) < 0")
	if err != nil {
		t.Fatalf("a modest comprehension is refused: %v", err)
	}
	truth, _, err := c.Eval(context.Background(), vars{"safety_functions": huge}, base.Limits())
	if err == nil || !errors.Is(err, rulepack.ErrEval) {
		t.Fatalf("evaluation over 2,000,000 elements: %v %v, want a cost-limit error", truth, err)
	}
	if !strings.Contains(strings.ToLower(err.Error()), "cost") {
		t.Errorf("error %q does not say the cost limit stopped it", err)
	}
	// Within its limits the same criterion decides.
	if truth, _, err := c.Eval(context.Background(), vars{"safety_functions": []string{"a", "never"}}, base.Limits()); err != nil || truth != rulepack.True {
		t.Errorf("small list: %v %v", truth, err)
	}

	runtime.ReadMemStats(&after)
	const bound = 100 << 20
	if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
		t.Errorf("loading and evaluating the hostile pack allocated %d MB, over the %d MB bound", grew>>20, bound>>20)
	} else {
		t.Logf("hostile pack: %d MB allocated in all (bound %d MB)", grew>>20, bound>>20)
	}
	runtime.KeepAlive(huge)
}

// A cancelled context stops an evaluation (the service cancels a request);
// the cost limit bounds one that has started.
func TestHostile_CancelledContextStopsEvaluation(t *testing.T) {
	base := mustLoad(t, "guidelines-2026", "provisions-2024")
	c, err := base.Compile("safety_functions.exists(a, a == 'never')")
	if err != nil {
		t.Fatal(err)
	}
	list := make([]string, 900)
	for i := range list {
		list[i] = "x"
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Eval(ctx, vars{"safety_functions": list}, base.Limits()); err == nil {
		t.Error("evaluation ran to completion under a cancelled context")
	}
}
