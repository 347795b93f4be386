package rulepack

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

// Limits bound what a (possibly hostile) pack can make the engine do. CEL
// evaluates in time and memory proportional to its cost, so a cost limit
// checked statically at load and again at run time, plus size limits on the
// expression text and nesting, keep a pack from hanging or exhausting memory
// (cel-go#1281: some list functions allocate before a runtime limit trips,
// which is why the static estimate rejects such expressions up front).
type Limits struct {
	MaxExprChars int    // expression text
	MaxNesting   int    // parser recursion depth
	MaxNodes     int    // AST nodes
	MaxCost      uint64 // estimated and runtime cost per evaluation
	MaxListSize  uint64 // the largest list fact the inventory accepts
}

// DefaultLimits are generous for legal criteria (which are a few comparisons)
// and tiny for an attack.
func DefaultLimits() Limits {
	return Limits{MaxExprChars: 2000, MaxNesting: 32, MaxNodes: 400, MaxCost: 10000, MaxListSize: 1000}
}

func (s *Set) celType(f *FactDef) *cel.Type {
	switch f.Type {
	case model.TypeInt:
		return cel.IntType
	case model.TypeNumber:
		return cel.DoubleType
	case model.TypeBool:
		return cel.BoolType
	case model.TypeList:
		return cel.ListType(cel.StringType)
	default:
		return cel.StringType
	}
}

// compile builds the CEL environment from the merged fact vocabulary and
// compiles every criterion that an item uses.
func (b *builder) compile(srcs []*source) {
	set := b.set
	lim := set.limits
	opts := []cel.EnvOption{
		cel.ParserExpressionSizeLimit(lim.MaxExprChars),
		cel.ParserRecursionLimit(lim.MaxNesting),
		cel.ExpressionNodeLimit(lim.MaxNodes),
		cel.CrossTypeNumericComparisons(true),
	}
	for _, name := range set.FactOrder {
		opts = append(opts, cel.Variable(name, set.celType(set.Facts[name])))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		b.fail(fmt.Errorf("rule packs: build expression environment: %w", err))
		return
	}
	set.env = env
	for _, id := range sortedKeys(set.Criteria) {
		c := set.Criteria[id]
		src := b.srcOf(srcs, c.Pack)
		at := b.critPath(src, id)
		if err := set.compileOne(c); err != nil {
			b.fail(src.errAt(at+".expr", "criterion %s: %v", id, err))
			continue
		}
		for j, t := range c.Thresholds {
			if err := checkThreshold(set, c, t); err != nil {
				b.fail(src.errAt(fmt.Sprintf("%s.thresholds[%d]", at, j), "criterion %s: %v", id, err))
			}
		}
	}
}

func (s *Set) compileOne(c *CriterionDef) error {
	lim := s.limits
	if len(c.Expr) > lim.MaxExprChars {
		return fmt.Errorf("expression is %d characters, over the limit of %d", len(c.Expr), lim.MaxExprChars)
	}
	a, iss := s.env.Compile(c.Expr)
	if iss != nil && iss.Err() != nil {
		return fmt.Errorf("does not compile: %s", oneLine(iss.Err().Error()))
	}
	if !a.OutputType().IsExactType(cel.BoolType) {
		return fmt.Errorf("must be true or false, but is %s", a.OutputType())
	}
	est, err := s.env.EstimateCost(a, sizeEstimator{max: lim.MaxListSize})
	if err != nil {
		return fmt.Errorf("cost cannot be estimated: %v", err)
	}
	if est.Max > lim.MaxCost {
		if est.Max == math.MaxUint64 {
			return fmt.Errorf("estimated cost is unbounded, over the limit of %d", lim.MaxCost)
		}
		return fmt.Errorf("estimated cost up to %d exceeds the limit of %d", est.Max, lim.MaxCost)
	}
	prg, err := s.env.Program(a,
		cel.CostLimit(lim.MaxCost),
		cel.EvalOptions(cel.OptPartialEval),
	)
	if err != nil {
		return fmt.Errorf("cannot be planned: %v", err)
	}
	// Residuals need the evaluation state; tracking it costs allocations on
	// every evaluation, so it has its own program, used only for reports.
	tracked, err := s.env.Program(a,
		cel.CostLimit(lim.MaxCost),
		cel.EvalOptions(cel.OptPartialEval, cel.OptTrackState),
	)
	if err != nil {
		return fmt.Errorf("cannot be planned: %v", err)
	}
	c.ast = a
	c.program = prg
	c.tracked = tracked
	c.Facts = referencedFacts(a)
	c.LowerBoundSafe = map[string]bool{}
	for _, f := range c.Facts {
		if d := s.Facts[f]; d != nil && d.Monotone == "increasing" && onlyRisingComparisons(a, f) {
			c.LowerBoundSafe[f] = true
		}
	}
	return nil
}

// onlyRisingComparisons reports whether every use of fact in the expression is
// `fact > literal` or `fact >= literal`, so that a true result at a lower bound
// stays true for any larger value.
func onlyRisingComparisons(a *cel.Ast, fact string) bool {
	uses, safe := 0, 0
	walk(a.NativeRep().Expr(), func(e ast.Expr) {
		switch e.Kind() {
		case ast.IdentKind:
			if e.AsIdent() == fact {
				uses++
			}
		case ast.CallKind:
			call := e.AsCall()
			fn := call.FunctionName()
			if (fn == "_>_" || fn == "_>=_") && len(call.Args()) == 2 {
				l, r := call.Args()[0], call.Args()[1]
				if l.Kind() == ast.IdentKind && l.AsIdent() == fact && r.Kind() == ast.LiteralKind {
					safe++
				}
			}
		}
	})
	return uses > 0 && uses == safe
}

var spaces = regexp.MustCompile(`\s+`)

func oneLine(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }

// referencedFacts lists the variables an expression reads.
func referencedFacts(a *cel.Ast) []string {
	seen := map[string]bool{}
	for _, ref := range a.NativeRep().ReferenceMap() {
		if ref.Value == nil && ref.Name != "" {
			seen[ref.Name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkThreshold makes the documented threshold and the expression agree: the
// expression must compare the fact with that operator and value.
func checkThreshold(set *Set, c *CriterionDef, t *Threshold) error {
	f, ok := set.Facts[t.Fact]
	if !ok {
		return fmt.Errorf("threshold names unknown fact %q", t.Fact)
	}
	if f.Type != model.TypeInt && f.Type != model.TypeNumber {
		return fmt.Errorf("threshold fact %s is %s, not a number", t.Fact, f.Type)
	}
	found := false
	walk(c.ast.NativeRep().Expr(), func(e ast.Expr) {
		if e.Kind() != ast.CallKind {
			return
		}
		call := e.AsCall()
		op, ok := celOps[call.FunctionName()]
		if !ok || op != t.Op || len(call.Args()) != 2 {
			return
		}
		l, r := call.Args()[0], call.Args()[1]
		if l.Kind() == ast.IdentKind && l.AsIdent() == t.Fact && r.Kind() == ast.LiteralKind && numEq(r.AsLiteral(), t.Value) {
			found = true
		}
	})
	if !found {
		return fmt.Errorf("threshold `%s %s %s` does not appear in the expression %q", t.Fact, t.Op, strconv.FormatFloat(t.Value, 'f', -1, 64), c.Expr)
	}
	return nil
}

var celOps = map[string]string{"_>_": ">", "_>=_": ">=", "_<_": "<", "_<=_": "<=", "_==_": "=="}

func numEq(v ref.Val, want float64) bool {
	switch x := v.(type) {
	case types.Int:
		return float64(x) == want
	case types.Double:
		return float64(x) == want
	case types.Uint:
		return float64(x) == want
	}
	return false
}

func walk(e ast.Expr, fn func(ast.Expr)) {
	fn(e)
	switch e.Kind() {
	case ast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			walk(c.Target(), fn)
		}
		for _, a := range c.Args() {
			walk(a, fn)
		}
	case ast.ListKind:
		for _, a := range e.AsList().Elements() {
			walk(a, fn)
		}
	case ast.SelectKind:
		walk(e.AsSelect().Operand(), fn)
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		walk(c.IterRange(), fn)
		walk(c.AccuInit(), fn)
		walk(c.LoopCondition(), fn)
		walk(c.LoopStep(), fn)
		walk(c.Result(), fn)
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			walk(me.Key(), fn)
			walk(me.Value(), fn)
		}
	}
}

// sizeEstimator bounds list facts for the static cost estimate.
type sizeEstimator struct{ max uint64 }

func (sizeEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

func (e sizeEstimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	if len(n.Path()) == 1 {
		s := cost.RangedSizeEstimate(0, e.max)
		return &s
	}
	return nil
}

// Truth is a three-valued result.
type Truth int8

const (
	False Truth = iota
	True
	Unknown
)

func (t Truth) String() string {
	switch t {
	case True:
		return "true"
	case False:
		return "false"
	default:
		return "unknown"
	}
}

// Vars supplies fact values to an evaluation: ok false means unknown.
type Vars interface {
	Get(name string) (any, bool)
}

// activation adapts Vars to CEL, marking missing facts as unknown attributes.
type activation struct {
	vars     Vars
	unknowns []*cel.AttributePatternType
}

func (a *activation) ResolveName(name string) (any, bool) {
	v, ok := a.vars.Get(name)
	if !ok {
		return nil, false
	}
	return v, true
}
func (a *activation) Parent() cel.Activation { return nil }
func (a *activation) UnknownAttributePatterns() []*cel.AttributePatternType {
	return a.unknowns
}

// AsPartialActivation lets CEL see the unknown patterns (it only looks for
// them through this method).
func (a *activation) AsPartialActivation() (cel.PartialActivation, bool) { return a, true }

// ErrEval wraps a failure to evaluate a criterion (cost limit, timeout, runtime error).
var ErrEval = errors.New("criterion evaluation failed")

// Eval evaluates the criterion: True or False when decided, Unknown with the
// facts still needed otherwise (from the unknown attributes CEL's partial
// evaluation returns, so only facts that could still change the outcome are named).
func (c *CriterionDef) Eval(ctx context.Context, vars Vars, lim Limits) (Truth, []string, error) {
	// A cancelled caller (a service request that went away) gets no answer;
	// one evaluation is bounded by the cost limit, so checking before it is enough.
	if err := ctx.Err(); err != nil {
		return Unknown, nil, fmt.Errorf("%w: %s: %v", ErrEval, c.ID, err)
	}
	act := &activation{vars: vars}
	for _, f := range c.Facts {
		if _, ok := vars.Get(f); !ok {
			act.unknowns = append(act.unknowns, cel.AttributePattern(f))
		}
	}
	// The runtime cost limit bounds the work of one evaluation; callers check
	// their context between evaluations. A per-evaluation context or timer
	// would cost more than the evaluation itself.
	out, _, err := c.program.Eval(act)
	if err != nil {
		return Unknown, nil, fmt.Errorf("%w: %s: %v", ErrEval, c.ID, err)
	}
	switch v := out.(type) {
	case types.Bool:
		if v {
			return True, nil, nil
		}
		return False, nil, nil
	case *types.Unknown:
		seen := map[string]bool{}
		var missing []string
		for _, id := range v.IDs() {
			trails, _ := v.GetAttributeTrails(id)
			for _, t := range trails {
				if n := t.Variable(); !seen[n] {
					seen[n] = true
					missing = append(missing, n)
				}
			}
		}
		sort.Strings(missing)
		return Unknown, missing, nil
	default:
		if types.IsError(out) {
			return Unknown, nil, fmt.Errorf("%w: %s: %v", ErrEval, c.ID, out)
		}
		return Unknown, nil, fmt.Errorf("%w: %s: result %v is not a boolean", ErrEval, c.ID, out)
	}
}

// Residual returns the part of the expression still to decide given vars, as
// CEL text (e.g. "vehicles_in_china >= 100000"), for explanations.
func (c *CriterionDef) Residual(set *Set, vars Vars) string {
	act := &activation{vars: vars}
	for _, f := range c.Facts {
		if _, ok := vars.Get(f); !ok {
			act.unknowns = append(act.unknowns, cel.AttributePattern(f))
		}
	}
	_, det, err := c.tracked.Eval(act)
	if err != nil {
		return c.Expr
	}
	r, err := set.env.ResidualAst(c.ast, det)
	if err != nil {
		return c.Expr
	}
	s, err := cel.AstToString(r)
	if err != nil {
		return c.Expr
	}
	return s
}

// Limits returns the limits the set was compiled with.
func (s *Set) Limits() Limits { return s.limits }

// Compile checks a standalone expression against the set's vocabulary (for
// `rules` tooling and tests).
func (s *Set) Compile(expr string) (*CriterionDef, error) {
	c := &CriterionDef{Criterion: &Criterion{ID: "adhoc", Expr: expr}}
	if err := s.compileOne(c); err != nil {
		return nil, xerr.BadInput(err)
	}
	return c, nil
}
