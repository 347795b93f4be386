// Package identify decides, three-valued, whether an asset is important data
// under the loaded rule packs: important when a criterion holds, not_important
// when every criterion is false, otherwise undetermined with the facts still
// needed. It is pure: facts come in, a result goes out.
package identify

import (
	"context"
	"sort"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

// Result is the identification of one asset with one set of facts.
type Result struct {
	Result  string
	Matched []model.Match
	Missing []model.Missing
	Pending []model.Pending
	Errors  []string
}

// factVars exposes a FactSet to the rule engine. Facts marked AtLeast are
// hidden (unknown) unless bounds is set, in which case their lower bound is used.
type factVars struct {
	fs     model.FactSet
	bounds bool
}

func (v factVars) Get(name string) (any, bool) {
	f, ok := v.fs[name]
	if !ok || f.Value == nil {
		return nil, false
	}
	if f.AtLeast && !v.bounds {
		return nil, false
	}
	return f.Value, true
}

// Options tune identification.
type Options struct {
	// Residuals computes the residual expression of undecided criteria (costly:
	// only reports need it).
	Residuals bool
}

// Item identifies an asset of the given item with the given facts.
func Item(ctx context.Context, set *rulepack.Set, itemID string, fs model.FactSet, opt Options) Result {
	it, ok := set.Items[itemID]
	if !ok {
		return Result{Result: model.Undetermined, Errors: []string{"item " + itemID + " is not in the loaded packs"}}
	}
	var res Result
	if it.CriteriaUnknown && len(it.Criteria) == 0 {
		res.Result = model.Undetermined
		res.Missing = []model.Missing{{
			Fact:     "criteria",
			Question: "The loaded packs name item " + itemID + " but not its identification criteria: load a pack that gives them (xborder rules show " + itemID + ").",
		}}
		return res
	}
	hasLower := false
	for _, f := range fs {
		if f.AtLeast {
			hasLower = true
			break
		}
	}
	lim := set.Limits()
	missing := map[string][]string{}
	undecided := false
	for _, c := range it.Criteria {
		t, need, err := c.Eval(ctx, factVars{fs: fs}, lim)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			undecided = true
			continue
		}
		// A monotone fact known only as a lower bound can still decide a
		// criterion: if it holds at the bound it holds for every larger value.
		if t == rulepack.Unknown && hasLower && usesLowerBound(set, c, fs) {
			if t2, _, err := c.Eval(ctx, factVars{fs: fs, bounds: true}, lim); err == nil && t2 == rulepack.True {
				t = rulepack.True
			}
		}
		switch t {
		case rulepack.True:
			res.Matched = append(res.Matched, model.Match{Criterion: c.ID, Text: c.Text, Provenance: c.EffectiveProvenance(), Pack: c.Pack})
		case rulepack.Unknown:
			undecided = true
			for _, f := range need {
				missing[f] = append(missing[f], c.ID)
			}
			if opt.Residuals {
				res.Pending = append(res.Pending, model.Pending{Criterion: c.ID, Residual: c.Residual(set, factVars{fs: fs})})
			}
		}
	}
	switch {
	case len(res.Matched) > 0:
		// One criterion suffices; what is missing for the others no longer matters.
		res.Result = model.Important
		res.Pending = nil
		return res
	case undecided:
		res.Result = model.Undetermined
	default:
		res.Result = model.NotImportant
		return res
	}
	names := make([]string, 0, len(missing))
	for f := range missing {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		q := "What is " + f + "?"
		if d, ok := set.Facts[f]; ok && d.Question != "" {
			q = d.Question
		}
		res.Missing = append(res.Missing, model.Missing{Fact: f, Question: q, Criteria: missing[f]})
	}
	return res
}

func usesLowerBound(_ *rulepack.Set, c *rulepack.CriterionDef, fs model.FactSet) bool {
	for _, f := range c.Facts {
		if v, ok := fs[f]; ok && v.AtLeast && c.LowerBoundSafe[f] {
			return true
		}
	}
	return false
}

// DependsOn reports whether any criterion of the item reads one of the facts;
// the engine re-evaluates an asset inside a transfer only when it does.
func DependsOn(set *rulepack.Set, itemID string, facts ...string) bool {
	it, ok := set.Items[itemID]
	if !ok {
		return false
	}
	for _, c := range it.Criteria {
		for _, f := range c.Facts {
			for _, g := range facts {
				if f == g {
					return true
				}
			}
		}
	}
	return false
}
