package transfer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

// Expires is an approval's last valid day (inclusive) and how it was set:
// written in the inventory, or the default term (SPEC §2), or none.
func Expires(set *rulepack.Set, a *model.Approval) (model.Date, string) {
	if a.Expires.Valid() {
		return a.Expires, "declared"
	}
	if !a.Issued.Valid() {
		return model.NoDate, "none"
	}
	switch a.Kind {
	case model.SecurityAssessment:
		if cut := set.Param("sa_validity_cutoff"); cut != nil && a.Issued < set.Date("sa_validity_cutoff") {
			return a.Issued.AddYears(int(set.Int("sa_validity_years_before_2024"))), "default:" + model.ProvInferred
		}
		return a.Issued.AddYears(int(set.Int("sa_validity_years"))), "default:" + model.ProvSecondary
	case model.Certification:
		return a.Issued.AddYears(int(set.Int("certification_validity_years"))), "default:" + model.ProvSecondary
	}
	return model.NoDate, "none"
}

// Starts is the first day an approval can be relied on.
func Starts(a *model.Approval) model.Date {
	if a.Kind == model.StandardContract && a.Effective.Valid() {
		return a.Effective
	}
	if a.Issued.Valid() {
		return a.Issued
	}
	return a.Effective
}

const (
	needNone = iota
	needContract
	needAssessment
)

func needOf(mech string) int {
	switch mech {
	case model.MechSecurityAssessment:
		return needAssessment
	case model.MechContractOrCert:
		return needContract
	}
	return needNone
}

// fit is how one approval fares for a transfer.
type fit struct {
	a        *model.Approval
	kindOK   bool
	holderOK bool
	dateOK   bool
	expired  bool
	scopeOK  bool
	unknown  bool // only an unknown count stands between it and a fit
	problems []string
	// scope are the scope problems alone (assets, recipient,
	// max_individuals), without the approval id, for the findings.
	scope []string
	viaSA bool // a security assessment standing in for a contract-level need
}

func (f fit) ok() bool { return f.kindOK && f.holderOK && f.dateOK && f.scopeOK && !f.unknown }

func normName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (e *Engine) assess(a *model.Approval, t *model.Transfer, group string, need int, l *Ledger, explain bool) fit {
	f := fit{a: a}
	problem := func(format string, args ...any) {
		if explain {
			f.problems = append(f.problems, a.ID+": "+fmt.Sprintf(format, args...))
		}
	}
	scopeProblem := func(format string, args ...any) {
		f.scopeOK = false
		if explain {
			p := fmt.Sprintf(format, args...)
			f.problems = append(f.problems, a.ID+": "+p)
			f.scope = append(f.scope, p)
		}
	}
	switch need {
	case needAssessment:
		f.kindOK = a.Kind == model.SecurityAssessment
	case needContract:
		f.kindOK = a.Kind == model.StandardContract || a.Kind == model.Certification
		if !f.kindOK && a.Kind == model.SecurityAssessment && e.Set.Bool("assessment_covers_contract_need") {
			f.kindOK, f.viaSA = true, true
		}
	}
	if !f.kindOK {
		problem("a %s does not meet the need for a %s", a.Kind, needName(need))
	}
	f.holderOK = a.Processor == t.Processor || (a.Group != "" && a.Group == group)
	if !f.holderOK {
		holder := a.Processor
		if holder == "" {
			holder = "group " + a.Group
		}
		problem("held by %s, not by %s or its group", holder, t.Processor)
	}
	start := Starts(a)
	end, _ := Expires(e.Set, a)
	f.dateOK = true
	if start.Valid() && t.Date < start {
		f.dateOK = false
		problem("not valid before %s (transfer on %s)", start, t.Date)
	}
	if end.Valid() && t.Date > end {
		f.dateOK, f.expired = false, true
		problem("expired on %s (transfer on %s)", end, t.Date)
	}
	f.scopeOK = true
	if len(a.Scope.Assets) > 0 {
		in := map[string]bool{}
		for _, s := range a.Scope.Assets {
			in[s] = true
		}
		var out []string
		for _, s := range t.Assets {
			if !in[s] {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			scopeProblem("scope does not include asset(s) %s", strings.Join(out, ", "))
		}
	}
	if len(a.Scope.Recipients) > 0 {
		match := false
		for _, r := range a.Scope.Recipients {
			if normName(r) == normName(t.Recipient.Name) {
				match = true
			}
		}
		if !match {
			scopeProblem("scope does not include recipient %q", t.Recipient.Name)
		}
	}
	if a.Scope.MaxIndividuals != nil {
		use := l.Use(a.ID)
		this := Tally{}
		this.Add(t.Individuals, t.SensitiveIndividuals)
		total := satAdd(use.Total(), this.Total())
		switch {
		case total > *a.Scope.MaxIndividuals:
			scopeProblem("max_individuals %s would be exceeded (%s already relied on, %s in this transfer)", model.Count(*a.Scope.MaxIndividuals), model.Count(use.Total()), model.Count(this.Total()))
		case use.Unknown || this.Unknown:
			f.unknown = true
			problem("cannot confirm max_individuals %s: some counts are unknown", model.Count(*a.Scope.MaxIndividuals))
		}
	}
	return f
}

func needName(need int) string {
	switch need {
	case needAssessment:
		return "security assessment"
	case needContract:
		return "standard contract or certification"
	}
	return "nothing"
}

// best picks the approval to rely on: the exact kind before an assessment
// standing in for a contract, then the one that expires last, then by id.
func (e *Engine) best(fits []fit) *fit {
	var ok []fit
	for _, f := range fits {
		if f.ok() {
			ok = append(ok, f)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	sort.SliceStable(ok, func(i, j int) bool {
		if ok[i].viaSA != ok[j].viaSA {
			return !ok[i].viaSA
		}
		ei, ej := e.lastDay(ok[i].a), e.lastDay(ok[j].a)
		if ei != ej {
			return ei > ej
		}
		return ok[i].a.ID < ok[j].a.ID
	})
	return &ok[0]
}

// cover decides approval coverage given the possible outcomes.
func (e *Engine) cover(t *model.Transfer, proc *model.Processor, group string, l *Ledger, outs map[string]outcome, d *Decision) {
	res := &d.Result
	maxNeed, minNeed := needNone, needAssessment
	for _, o := range outs {
		n := needOf(o.mechanism)
		if n > maxNeed {
			maxNeed = n
		}
		if n < minNeed {
			minNeed = n
		}
	}
	if maxNeed == needNone {
		res.Coverage.Status = model.CovNotRequired
		return
	}
	cands := e.candidates(t.Processor, group)
	eval := func(need int, explain bool) []fit {
		fits := make([]fit, 0, len(cands))
		for _, a := range cands {
			fits = append(fits, e.assess(a, t, group, need, l, explain))
		}
		return fits
	}
	fits := eval(maxNeed, false)
	if b := e.best(fits); b != nil {
		res.Coverage.Status = model.CovCovered
		res.Coverage.Approval = b.a.ID
		d.Approval = b.a.ID
		if b.viaSA {
			res.Reasons = append(res.Reasons, e.paramReason("assessment_covers_contract_need",
				fmt.Sprintf("Security assessment %s stands in for the standard contract or certification", b.a.ID)))
		}
		return
	}
	// Not covered at the strongest need: explain, and decide between
	// not_covered and undetermined.
	fits = eval(maxNeed, true)
	relevant := 0
	anyUnknown := false
	// The findings give every reason a candidate does not cover the
	// transfer. A candidate is an approval of a kind that meets the strongest
	// possible need, held by the processor or its group: one of another
	// holder or of an insufficient kind could not cover the transfer
	// whatever its dates and scope, so its expiry is not worth a finding
	// (its problems are still in coverage.problems).
	//   - approval_expired: every candidate whose validity ended before the
	//     transfer date, whatever its scope; when its scope fails too the
	//     text says so, since renewing it as it stands would not help.
	//   - scope_exceeded: the scope problems of every candidate valid or
	//     expired at the transfer date (one not yet in force is left out: it
	//     was never relied on).
	var outOfScope []string
	expiredOut := false
	for _, f := range fits {
		if !f.holderOK {
			continue // another processor's approvals are noise here
		}
		relevant++
		res.Coverage.Problems = append(res.Coverage.Problems, f.problems...)
		if !f.kindOK {
			continue
		}
		if f.dateOK && f.scopeOK && f.unknown {
			anyUnknown = true
		}
		if f.expired {
			text := fmt.Sprintf("Transfer %s on %s relies on %s %s, which expired on %s.", t.ID, t.Date, f.a.Kind, f.a.ID, expiresText(e.Set, f.a))
			if !f.scopeOK {
				needs := "needs"
				if minNeed < maxNeed {
					needs = "may need" // the mechanism is undetermined
				}
				text = fmt.Sprintf("Transfer %s on %s %s a %s; %s %s expired on %s, and its scope would not cover the transfer either: %s.", t.ID, t.Date, needs, needName(maxNeed), f.a.Kind, f.a.ID, expiresText(e.Set, f.a), strings.Join(f.scope, "; "))
			}
			d.Findings = append(d.Findings, model.Finding{Kind: model.FindApprovalExpired, Subject: f.a.ID, Severity: "high", Text: text})
		}
		if (f.dateOK || f.expired) && !f.scopeOK {
			label := f.a.ID
			if f.expired {
				end, _ := Expires(e.Set, f.a)
				label = fmt.Sprintf("%s (expired on %s)", f.a.ID, end)
				expiredOut = true
			}
			for _, p := range f.scope {
				outOfScope = append(outOfScope, label+": "+p)
			}
		}
	}
	if relevant == 0 {
		res.Coverage.Problems = append(res.Coverage.Problems, fmt.Sprintf("no approval held by %s or its group %s", t.Processor, group))
	}
	// Only a decided mechanism can exceed a scope: with several possible
	// outcomes the transfer is reported as undetermined instead.
	if len(outOfScope) > 0 && !anyUnknown && len(outs) == 1 {
		text := fmt.Sprintf("Transfer %s falls outside the scope of every valid %s held by %s or its group: %s.", t.ID, needName(maxNeed), t.Processor, strings.Join(outOfScope, "; "))
		if expiredOut {
			text = fmt.Sprintf("Transfer %s falls outside the scope of the %s approvals held by %s or its group, expired ones included (renewed as they stand they would not cover it either): %s.", t.ID, needName(maxNeed), t.Processor, strings.Join(outOfScope, "; "))
		}
		d.Findings = append(d.Findings, model.Finding{Kind: model.FindScopeExceeded, Subject: t.ID, Severity: "high", Text: text})
	}
	covWeak := false
	if minNeed != maxNeed && minNeed != needNone {
		covWeak = e.best(eval(minNeed, false)) != nil
	}
	switch {
	case anyUnknown, len(outs) > 1 && (minNeed == needNone || covWeak):
		res.Coverage.Status = model.CovUndetermined
	default:
		res.Coverage.Status = model.CovNotCovered
	}
}

// candidates are the approvals held by the processor or its group, in id
// order; the index is built once per engine.
func (e *Engine) candidates(proc, group string) []*model.Approval {
	e.once.Do(func() {
		e.byHolder = map[string][]*model.Approval{}
		for _, a := range e.Approvals {
			if a.Processor != "" {
				e.byHolder["p:"+a.Processor] = append(e.byHolder["p:"+a.Processor], a)
			}
			if a.Group != "" {
				e.byHolder["g:"+a.Group] = append(e.byHolder["g:"+a.Group], a)
			}
		}
	})
	ps, gs := e.byHolder["p:"+proc], e.byHolder["g:"+group]
	if len(gs) == 0 {
		return ps
	}
	out := append(append(make([]*model.Approval, 0, len(ps)+len(gs)), ps...), gs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// lastDay is the expiry for ordering, with "no term" as the latest.
func (e *Engine) lastDay(a *model.Approval) model.Date {
	d, _ := Expires(e.Set, a)
	if !d.Valid() {
		return model.Date(1<<31 - 1)
	}
	return d
}

func expiresText(set *rulepack.Set, a *model.Approval) string {
	d, how := Expires(set, a)
	if how == "declared" {
		return d.String()
	}
	return fmt.Sprintf("%s (default term, %s)", d, strings.TrimPrefix(how, "default:"))
}
