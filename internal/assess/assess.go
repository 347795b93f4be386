// Package assess runs the whole assessment over an inventory: effective facts
// per asset (declared, then measured), identification at --as-of, every
// transfer in date-then-id order with its mechanism, counts and coverage, and
// the findings. It is pure: no files, no clock.
package assess

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/identify"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/transfer"
)

// YTDFact is the derived fact of the processor's outbound individuals this year.
const YTDFact = "outbound_individuals_ytd"

// Measurement is what a scan of an asset's sources found.
type Measurement struct {
	Facts model.FactSet
	// Problem says why sources were not (fully) measured, if so.
	Problem string
	// Unsettled are facts the scan looked for and could not decide, with
	// why (scan.UnsettledFacts); unless declared, the decisions that read
	// them ask for them.
	Unsettled map[string]string
}

// Options control an assessment.
type Options struct {
	AsOf     model.Date
	Calendar *calendar.Calendar
	// Measured holds scan results per asset id.
	Measured map[string]Measurement
	// Residuals adds the residual expression of undecided criteria.
	Residuals bool
	// MismatchRatio is how far a measured value may differ from a declared
	// one before fact_mismatch is raised (default 0.10 = 10%).
	MismatchRatio float64
}

// Run assesses the inventory.
func Run(ctx context.Context, inv *model.Inventory, set *rulepack.Set, opt Options) *model.Assessment {
	r := Prepare(ctx, inv, set, opt)
	r.transfers(ctx)
	r.assetsAtAsOf(ctx)
	r.approvalFindings()
	r.splitting()
	return r.result()
}

// Prepare merges facts and identifies every asset.
func Prepare(ctx context.Context, inv *model.Inventory, set *rulepack.Set, opt Options) *Prepared {
	if opt.Calendar == nil {
		opt.Calendar = calendar.Weekends()
	}
	if opt.MismatchRatio == 0 {
		opt.MismatchRatio = 0.10
	}
	r := newRun(inv, set, opt)
	r.facts()
	r.identifyBase(ctx)
	r.eng = &transfer.Engine{Set: r.set, Cal: r.opt.Calendar, Procs: r.procs, Approvals: sortedApprovals(r.inv.Approvals),
		Identify: func(id string, ytd model.FactValue) transfer.AssetStatus { return r.identifyAt(ctx, id, ytd) }}
	return r
}

// Decide decides one transfer against a ledger without changing it.
func (r *Prepared) Decide(t *model.Transfer, l *transfer.Ledger) *transfer.Decision {
	return r.eng.Decide(t, l)
}

// Processor returns a processor of the inventory (nil when unknown).
func (r *Prepared) Processor(id string) *model.Processor { return r.procs[id] }

// Asset returns an asset of the inventory (nil when unknown).
func (r *Prepared) Asset(id string) *model.Asset { return r.assets[id] }

// Inventory returns the prepared inventory.
func (r *Prepared) Inventory() *model.Inventory { return r.inv }

// Set returns the rule packs.
func (r *Prepared) Set() *rulepack.Set { return r.set }

// Prepared is an inventory compiled against a rule-pack set: effective facts
// and each asset's identification, ready to decide transfers one at a time
// (the service keeps one per inventory version). Decide is safe for
// concurrent use with distinct ledgers.
type Prepared struct {
	inv      *model.Inventory
	set      *rulepack.Set
	opt      Options
	procs    map[string]*model.Processor
	assets   map[string]*model.Asset
	eff      map[string]model.FactSet // effective facts per asset
	base     map[string]identify.Result
	usesYTD  map[string]bool // per item
	ledger   *transfer.Ledger
	results  []model.TransferResult
	decs     []*transfer.Decision
	findings []model.Finding
	assetRes []model.AssetResult
	eng      *transfer.Engine
}

func newRun(inv *model.Inventory, set *rulepack.Set, opt Options) *Prepared {
	r := &Prepared{inv: inv, set: set, opt: opt, procs: inv.ProcessorByID(), assets: inv.AssetByID(),
		eff: make(map[string]model.FactSet, len(inv.Assets)), base: make(map[string]identify.Result, len(inv.Assets)),
		usesYTD: map[string]bool{}, ledger: transfer.NewLedger()}
	for id := range set.Items {
		r.usesYTD[id] = identify.DependsOn(set, id, YTDFact)
	}
	return r
}

// facts merges declared and measured facts: declared win, measured fill the
// gaps, and a large disagreement is a finding.
func (r *Prepared) facts() {
	for _, a := range r.inv.Assets {
		m, measured := r.opt.Measured[a.ID]
		if !measured {
			// Nothing to merge: share the declared facts (never modified;
			// callers clone before adding derived facts).
			if len(a.Sources) > 0 {
				r.findings = append(r.findings, model.Finding{Kind: model.FindSourceNotMeasured, Subject: a.ID,
					Text: fmt.Sprintf("Asset %s names sources (%s) that were not measured; only declared facts are used.", a.ID, strings.Join(a.Sources, ", "))})
			}
			if a.Facts == nil {
				r.eff[a.ID] = model.FactSet{}
			} else {
				r.eff[a.ID] = a.Facts
			}
			continue
		}
		fs := make(model.FactSet, len(a.Facts)+len(m.Facts))
		for k, v := range a.Facts {
			fs[k] = v
		}
		{
			if m.Problem != "" {
				r.findings = append(r.findings, model.Finding{Kind: model.FindSourceNotMeasured, Subject: a.ID,
					Text: fmt.Sprintf("Sources of asset %s were not fully measured: %s", a.ID, m.Problem)})
			}
			for _, k := range m.Facts.Names() {
				mv := m.Facts[k]
				if _, known := r.set.Facts[k]; !known {
					continue
				}
				dv, declared := fs[k]
				if !declared {
					fs[k] = mv
					continue
				}
				if differs(dv.Value, mv.Value, r.opt.MismatchRatio) {
					// Say how the figure was measured: "120 individuals" read as one
					// person per vehicle key is weaker than 120 ID numbers.
					how := mv.Source
					if mv.Evidence != "" {
						how += ": " + mv.Evidence
					}
					if mv.Provenance == model.ProvInferred {
						how += "; an inferred measurement"
					}
					r.findings = append(r.findings, model.Finding{Kind: model.FindFactMismatch, Subject: a.ID, Severity: "medium",
						Text: fmt.Sprintf("Asset %s declares %s = %s but its sources measure %s (%s); the declared value is used.", a.ID, k, model.FormatValue(dv.Value), model.FormatValue(mv.Value), how)})
				}
			}
		}
		r.eff[a.ID] = fs
	}
}

func differs(a, b any, ratio float64) bool {
	fa, oka := num(a)
	fb, okb := num(b)
	if oka && okb {
		m := math.Max(math.Abs(fa), math.Abs(fb))
		return m > 0 && math.Abs(fa-fb) > ratio*m
	}
	if ba, ok := a.(bool); ok {
		if bb, ok := b.(bool); ok {
			return ba != bb
		}
	}
	return false
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// identifyBase identifies every asset without the derived yearly fact, in
// parallel: for items that do not read it this is the final answer.
func (r *Prepared) identifyBase(ctx context.Context) {
	type job struct {
		a   *model.Asset
		res identify.Result
	}
	jobs := make([]job, len(r.inv.Assets))
	for i, a := range r.inv.Assets {
		jobs[i].a = a
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue // drain: the caller gave up
				}
				a := jobs[i].a
				jobs[i].res = identify.Item(ctx, r.set, a.Item, r.eff[a.ID], identify.Options{Residuals: r.opt.Residuals})
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, j := range jobs {
		r.base[j.a.ID] = j.res
	}
}

func boolFact(fs model.FactSet, name string) *bool {
	v, ok := fs[name]
	if !ok {
		return nil
	}
	b, ok := v.Value.(bool)
	if !ok {
		return nil
	}
	return &b
}

// identifyAt identifies an asset inside a transfer.
func (r *Prepared) identifyAt(ctx context.Context, id string, ytd model.FactValue) transfer.AssetStatus {
	a := r.assets[id]
	st := transfer.AssetStatus{ID: id}
	if a == nil {
		st.Result = model.Undetermined
		st.TransferAsset = model.TransferAsset{ID: id, Result: model.Undetermined, Missing: []model.Missing{{Fact: "asset", Question: "Asset " + id + " is not in the inventory."}}}
		return st
	}
	fs := r.eff[id]
	res := r.base[id]
	if r.usesYTD[a.Item] {
		withYTD := fs.Clone()
		withYTD[YTDFact] = ytd
		res = identify.Item(ctx, r.set, a.Item, withYTD, identify.Options{})
	}
	st.Result = res.Result
	st.TransferAsset = model.TransferAsset{ID: id, Result: res.Result, Matched: res.Matched, Missing: res.Missing}
	st.ContainsCoordinates = boolFact(fs, "contains_coordinates")
	if st.ContainsCoordinates == nil {
		// Not declared, and its scan could not settle it (a declared value
		// would be in fs).
		st.CoordinatesUnsettled = r.opt.Measured[id].Unsettled["contains_coordinates"]
	}
	st.GeoProcessed = boolFact(fs, "geo_confidentiality_processed")
	return st
}

// transfers decides every transfer in date-then-id order.
func (r *Prepared) transfers(ctx context.Context) {
	ts := append([]*model.Transfer{}, r.inv.Transfers...)
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].Date != ts[j].Date {
			return ts[i].Date < ts[j].Date
		}
		return ts[i].ID < ts[j].ID
	})
	for _, t := range ts {
		d := r.eng.Decide(t, r.ledger)
		r.ledger.Apply(d)
		r.decs = append(r.decs, d)
		r.results = append(r.results, d.Result)
		r.findings = append(r.findings, d.Findings...)
	}
}

func sortedApprovals(as []*model.Approval) []*model.Approval {
	out := append([]*model.Approval{}, as...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// assetsAtAsOf gives each asset's result at --as-of: items reading the yearly
// outbound total see the processor's counted transfers from 1 January to as-of.
func (r *Prepared) assetsAtAsOf(ctx context.Context) {
	asOf := r.opt.AsOf
	ytd := map[string]*transfer.Tally{}
	for _, d := range r.decs {
		if !d.Counted || d.Result.Date > asOf || d.Result.Date.Year() != asOf.Year() {
			continue
		}
		t, ok := ytd[d.Processor]
		if !ok {
			t = &transfer.Tally{}
			ytd[d.Processor] = t
		}
		t.Add(d.Individuals, d.Sensitive)
	}
	r.assetRes = make([]model.AssetResult, 0, len(r.inv.Assets))
	for _, a := range r.inv.Assets {
		fs := r.eff[a.ID]
		res := r.base[a.ID]
		if r.usesYTD[a.Item] {
			tl := transfer.Tally{}
			if t := ytd[a.Processor]; t != nil {
				tl = *t
			}
			fs = fs.Clone()
			fs[YTDFact] = model.FactValue{Value: tl.Total(), Source: model.SourceDerived, Provenance: model.ProvInferred, AtLeast: tl.Unknown,
				Evidence: fmt.Sprintf("individuals + sensitive_individuals of %s's counted transfers from %s to %s", a.Processor, asOf.YearStart(), asOf)}
			res = identify.Item(ctx, r.set, a.Item, fs, identify.Options{Residuals: r.opt.Residuals})
		}
		ar := model.AssetResult{ID: a.ID, Processor: a.Processor, Item: a.Item, Name: a.Name, Result: res.Result,
			Matched: nonNil(res.Matched), Missing: nonNilM(res.Missing), Facts: fs, Pending: res.Pending, Errors: res.Errors}
		if ar.Facts == nil {
			ar.Facts = model.FactSet{}
		}
		r.assetRes = append(r.assetRes, ar)
		if res.Result == model.Undetermined {
			var facts []string
			for _, m := range res.Missing {
				facts = append(facts, m.Fact)
			}
			r.findings = append(r.findings, model.Finding{Kind: model.FindUndeterminedAsset, Subject: a.ID, Severity: "medium",
				Text: fmt.Sprintf("Asset %s (%s) cannot be identified until these are known: %s.", a.ID, a.Item, strings.Join(facts, ", "))})
		}
	}
}

func nonNil(m []model.Match) []model.Match {
	if m == nil {
		return []model.Match{}
	}
	return m
}

func nonNilM(m []model.Missing) []model.Missing {
	if m == nil {
		return []model.Missing{}
	}
	return m
}

// approvalFindings raises findings about approvals themselves at --as-of.
func (r *Prepared) approvalFindings() {
	cal := r.opt.Calendar
	asOf := r.opt.AsOf
	window := int(r.set.Int("extension_window_working_days"))
	filingDays := int(r.set.Int("contract_filing_working_days"))
	for _, a := range sortedApprovals(r.inv.Approvals) {
		if end, how := transfer.Expires(r.set, a); end.Valid() && asOf <= end {
			// Working days from as-of through the last valid day.
			left := cal.WorkingDaysBetween(asOf-1, end)
			if left <= window {
				what := "an extension may be requested now"
				switch a.Kind {
				case model.Certification:
					what = "plan its renewal"
				case model.StandardContract:
					what = "renew the contract and file it again"
				}
				r.findings = append(r.findings, model.Finding{Kind: model.FindApprovalExpiring, Subject: a.ID, Severity: "medium",
					Text: fmt.Sprintf("%s %s expires on %s (%s); %d working days remain, within the %d-working-day window: %s.", a.Kind, a.ID, end, expiryHow(how), left, window, what)})
			}
		}
		if a.Kind == model.StandardContract && a.Effective.Valid() {
			due := cal.AddWorkingDays(a.Effective, filingDays)
			switch {
			case a.Filed.Valid() && a.Filed > due:
				r.findings = append(r.findings, model.Finding{Kind: model.FindContractFilingLate, Subject: a.ID, Severity: "medium",
					Text: fmt.Sprintf("Standard contract %s took effect on %s and was filed on %s, after the deadline of %s (%d working days).", a.ID, a.Effective, a.Filed, due, filingDays)})
			case !a.Filed.Valid() && asOf > due:
				r.findings = append(r.findings, model.Finding{Kind: model.FindContractFilingLate, Subject: a.ID, Severity: "high",
					Text: fmt.Sprintf("Standard contract %s took effect on %s and has no filing date; it was due by %s (%d working days).", a.ID, a.Effective, due, filingDays)})
			}
		}
	}
}

func expiryHow(how string) string {
	if how == "declared" {
		return "as declared"
	}
	return "default term, " + strings.TrimPrefix(how, "default:")
}

// splitting flags groups whose members each stay under a threshold that the
// group's summed yearly total crosses.
func (r *Prepared) splitting() {
	type th struct{ param, what string }
	ths := []th{
		{"contract_individuals", "non-sensitive individuals for a standard contract or certification"},
		{"sa_individuals", "non-sensitive individuals for a security assessment"},
		{"sa_sensitive_individuals", "sensitive individuals for a security assessment"},
	}
	var keys []transfer.Key
	for k := range r.ledger.Group {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ID != keys[j].ID {
			return keys[i].ID < keys[j].ID
		}
		return keys[i].Year < keys[j].Year
	})
	for _, gk := range keys {
		members := r.ledger.Members[gk]
		if len(members) < 2 {
			continue
		}
		g := r.ledger.Group[gk]
		var crossed []string
		for _, t := range ths {
			p := r.set.Param(t.param)
			gv := g.Individuals
			if strings.Contains(t.param, "sensitive") {
				gv = g.SensitiveIndividuals
			}
			if !p.Meets(gv) {
				continue
			}
			allUnder := true
			for m := range members {
				pt := r.ledger.ProcessorTotal(m, gk.Year)
				mv := pt.Individuals
				if strings.Contains(t.param, "sensitive") {
					mv = pt.SensitiveIndividuals
				}
				if p.Meets(mv) {
					allUnder = false
				}
			}
			if allUnder {
				crossed = append(crossed, fmt.Sprintf("%s %s (threshold %s %s)", model.Count(gv), t.what, p.Op, model.FormatValue(p.Value)))
			}
		}
		if len(crossed) > 0 {
			names := sortedSet(members)
			r.findings = append(r.findings, model.Finding{Kind: model.FindPossibleSplitting, Subject: gk.ID, Severity: "high",
				Text: fmt.Sprintf("In %d the group %s sent %s in total across %s, while each entity stayed under that threshold. Splitting quantities to avoid a mechanism is forbidden; consider a consolidated declaration by the parent.", gk.Year, gk.ID, strings.Join(crossed, " and "), strings.Join(names, ", "))})
		}
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var kindOrder = map[string]int{
	model.FindGeoUnprocessed: 0, model.FindPossibleSplitting: 1, model.FindApprovalExpired: 2, model.FindScopeExceeded: 3,
	model.FindExemptionNoReference: 4, model.FindContractFilingLate: 5, model.FindApprovalExpiring: 6, model.FindBeforeRules: 7,
	model.FindUndeterminedAsset: 8, model.FindFactMismatch: 9, model.FindSourceNotMeasured: 10,
}

func (r *Prepared) result() *model.Assessment {
	// One finding per kind and subject: merge texts of repeats (an expired
	// approval relied on by several transfers).
	idx := map[string]int{}
	var fs []model.Finding
	for _, f := range r.findings {
		k := f.Kind + "\x00" + f.Subject
		if i, ok := idx[k]; ok {
			if !strings.Contains(fs[i].Text, f.Text) {
				fs[i].Text += " " + f.Text
			}
			fs[i].Blocking = fs[i].Blocking || f.Blocking
			continue
		}
		idx[k] = len(fs)
		fs = append(fs, f)
	}
	sort.SliceStable(fs, func(i, j int) bool {
		oi, oki := kindOrder[fs[i].Kind]
		oj, okj := kindOrder[fs[j].Kind]
		if !oki {
			oi = 99
		}
		if !okj {
			oj = 99
		}
		if oi != oj {
			return oi < oj
		}
		if fs[i].Kind != fs[j].Kind {
			return fs[i].Kind < fs[j].Kind
		}
		return fs[i].Subject < fs[j].Subject
	})
	if fs == nil {
		fs = []model.Finding{}
	}
	ts := r.results
	if ts == nil {
		ts = []model.TransferResult{}
	}
	return &model.Assessment{Schema: model.AssessmentSchema, AsOf: r.opt.AsOf, Packs: r.set.Refs(), Calendar: r.opt.Calendar.Describe(),
		Assets: r.assetRes, Transfers: ts, Findings: fs}
}
