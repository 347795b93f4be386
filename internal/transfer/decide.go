package transfer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

// AssetStatus is an asset's identification at the transfer date, plus the
// facts the decision reads directly.
type AssetStatus struct {
	ID     string
	Result string // important | not_important | undetermined
	model.TransferAsset
	ContainsCoordinates *bool
	// CoordinatesUnsettled, when ContainsCoordinates is unknown, says why
	// the asset may hold coordinates (its scan saw possible coordinates it
	// did not use); "" when nothing suggests it does.
	CoordinatesUnsettled string
	GeoProcessed         *bool
}

// Identifier identifies an asset at a transfer, given the processor's
// outbound individuals of the year up to and including the transfer.
type Identifier func(assetID string, ytd model.FactValue) AssetStatus

// Engine decides transfers against one inventory and rule-pack set.
type Engine struct {
	Set       *rulepack.Set
	Cal       *calendar.Calendar
	Procs     map[string]*model.Processor
	Approvals []*model.Approval
	Identify  Identifier

	once     sync.Once
	byHolder map[string][]*model.Approval
}

// Decision is the outcome for one transfer and what it adds to the ledger.
type Decision struct {
	Result      model.TransferResult
	Findings    []model.Finding
	Processor   string
	Group       string
	Year        int
	Counted     bool
	Individuals *int64
	Sensitive   *int64
	// Approval is the approval relied on (its cap is charged), if any.
	Approval string
	// Blocking is true when a finding forbids the transfer (geo_unprocessed).
	Blocking bool
	// ImportantData is the identification over all assets.
	ImportantData string
}

// huge stands for "any larger number" when a count is unknown.
const huge = int64(1) << 50

// scenario is one concrete reading of the unknowns.
type scenario struct {
	important           bool
	ind, sens           int64 // this transfer
	priorInd, priorSens int64 // processor, earlier counted transfers of the year
}

// outcome of one scenario.
type outcome struct {
	mechanism string
	exemption string
	counted   bool
	rules     []string
	notes     []model.Reason
}

func (o outcome) key() string { return o.mechanism + "/" + o.exemption }

// Decide decides one transfer against the ledger (which holds every earlier
// transfer in date-then-id order). It does not change the ledger: call
// Ledger.Apply with the decision to count it.
func (e *Engine) Decide(t *model.Transfer, l *Ledger) *Decision {
	set := e.Set
	proc := e.Procs[t.Processor]
	group := t.Processor
	ciio := false
	if proc != nil {
		group = proc.GroupID()
		ciio = proc.CIIO
	}
	year := t.Date.Year()
	d := &Decision{Processor: t.Processor, Group: group, Year: year, Individuals: t.Individuals, Sensitive: t.SensitiveIndividuals}
	res := &d.Result
	res.ID, res.Processor, res.Date = t.ID, t.Processor, t.Date
	res.Reasons = []model.Reason{}
	res.Missing = []model.Missing{}
	res.Coverage.Problems = []string{}
	prior := l.ProcessorTotal(t.Processor, year)

	// outbound_individuals_ytd: counted transfers so far plus this one (the
	// data leaves whatever the mechanism).
	ytd := prior
	ytd.Add(t.Individuals, t.SensitiveIndividuals)
	ytdFact := model.FactValue{Value: ytd.Total(), Source: model.SourceDerived, Provenance: model.ProvInferred, AtLeast: ytd.Unknown,
		Evidence: fmt.Sprintf("individuals + sensitive_individuals of %s's counted transfers in %d up to and including %s", t.Processor, year, t.ID)}

	// Identification of each asset at the transfer date.
	geoRule := set.BoolOr("geo_processing_required_before_transfer", false)
	impAny, impUnknown := false, false
	var geoUnknown []string    // assets with coordinates whose processing is not known
	var coordsUnknown []string // assets that may hold coordinates (unsettled by their scan), not known processed
	var missing []model.Missing
	for _, id := range t.Assets {
		st := e.Identify(id, ytdFact)
		res.Assets = append(res.Assets, st.TransferAsset)
		switch st.Result {
		case model.Important:
			impAny = true
		case model.Undetermined:
			impUnknown = true
			missing = append(missing, st.Missing...)
		}
		// Coordinates the scan could not settle may be there: unless they
		// are known to be processed, the transfer waits for the answer.
		if geoRule && st.ContainsCoordinates == nil && st.CoordinatesUnsettled != "" && (st.GeoProcessed == nil || !*st.GeoProcessed) {
			coordsUnknown = append(coordsUnknown, id)
			missing = append(missing, model.Missing{Fact: "contains_coordinates",
				Question: fmt.Sprintf("Asset %s: %s. Does it contain coordinates (locations, trajectories, maps)?", id, st.CoordinatesUnsettled)})
			if st.GeoProcessed == nil {
				missing = append(missing, model.Missing{Fact: "geo_confidentiality_processed",
					Question: fmt.Sprintf("Asset %s may hold coordinates: have they been processed with nationally recognised geographic-information confidentiality technology?", id)})
			}
			res.Reasons = append(res.Reasons, model.Reason{Rule: "geo_confidentiality", Provenance: model.ProvCommentary,
				Text: fmt.Sprintf("Asset %s may hold coordinates (%s) and they are not known to be processed with the recognised confidentiality technology; unprocessed coordinates may not leave.", id, st.CoordinatesUnsettled)})
		}
		if geoRule && st.ContainsCoordinates != nil && *st.ContainsCoordinates {
			switch {
			case st.GeoProcessed == nil:
				geoUnknown = append(geoUnknown, id)
				missing = append(missing, model.Missing{Fact: "geo_confidentiality_processed",
					Question: fmt.Sprintf("Asset %s holds coordinates: have they been processed with nationally recognised geographic-information confidentiality technology?", id)})
				res.Reasons = append(res.Reasons, model.Reason{Rule: "geo_confidentiality", Provenance: model.ProvCommentary,
					Text: fmt.Sprintf("Asset %s holds coordinates and it is not known whether they were processed with the recognised confidentiality technology; unprocessed coordinates may not leave.", id)})
			case !*st.GeoProcessed:
				d.Blocking = true
				d.Findings = append(d.Findings, model.Finding{Kind: model.FindGeoUnprocessed, Subject: t.ID, Blocking: true, Severity: "high",
					Text: fmt.Sprintf("Transfer %s would send coordinate-bearing asset %s that was not processed with nationally recognised geographic-information confidentiality technology: it must not go ahead.", t.ID, id)})
				res.Reasons = append(res.Reasons, model.Reason{Rule: "geo_confidentiality", Provenance: model.ProvCommentary,
					Text: fmt.Sprintf("Asset %s holds unprocessed coordinates; the Guidelines require processing with recognised confidentiality technology before they leave.", id)})
			}
		}
	}
	switch {
	case impAny:
		d.ImportantData = model.Important
		impUnknown = false
	case impUnknown:
		d.ImportantData = model.Undetermined
	default:
		d.ImportantData = model.NotImportant
	}
	res.Missing = append(res.Missing, dedupeMissing(missing)...)
	if impAny {
		var which []string
		for _, a := range res.Assets {
			if a.Result == model.Important {
				for _, m := range a.Matched {
					which = append(which, fmt.Sprintf("%s (%s, %s)", a.ID, m.Criterion, m.Provenance))
				}
			}
		}
		res.Reasons = append(res.Reasons, model.Reason{Rule: "identification", Provenance: worstProvenance(res.Assets),
			Text: "Important data: " + strings.Join(which, "; ") + "."})
	}

	// Before the rules were in force.
	if mech := set.MechanismEffective; mech.Valid() && t.Date < mech {
		d.Findings = append(d.Findings, model.Finding{Kind: model.FindBeforeRules, Subject: t.ID,
			Text: fmt.Sprintf("Transfer %s is dated %s, before the loaded mechanism rules took effect (%s); the decision applies today's rules to it.", t.ID, t.Date, mech)})
	} else if idf := set.IdentificationEffective; idf.Valid() && t.Date < idf {
		d.Findings = append(d.Findings, model.Finding{Kind: model.FindBeforeRules, Subject: t.ID,
			Text: fmt.Sprintf("Transfer %s is dated %s, before the loaded identification rules took effect (%s); its assets are identified under them anyway.", t.ID, t.Date, idf)})
	}

	// The claimed exemption: is the claim well-formed (reference filed in time)?
	claim, claimNote := e.checkClaim(t, proc, d)
	if claimNote != nil {
		res.Reasons = append(res.Reasons, *claimNote)
	}

	// Enumerate the readings of every unknown and decide each.
	imps := []bool{impAny}
	if impUnknown {
		imps = []bool{false, true}
	}
	inds := bounds(t.Individuals)
	senss := bounds(t.SensitiveIndividuals)
	priorInds := []int64{prior.Individuals}
	priorSenss := []int64{prior.SensitiveIndividuals}
	if prior.Unknown {
		priorInds = append(priorInds, huge)
		priorSenss = append(priorSenss, huge)
	}
	outs := map[string]outcome{}
	var order []string
	for _, imp := range imps {
		for _, ind := range inds {
			for _, sens := range senss {
				for i := range priorInds {
					sc := scenario{important: imp, ind: ind, sens: sens, priorInd: priorInds[i], priorSens: priorSenss[i]}
					o := e.decideScenario(sc, ciio, claim, proc)
					if _, ok := outs[o.key()]; !ok {
						order = append(order, o.key())
					}
					outs[o.key()] = o
				}
			}
		}
	}
	counted := false
	for _, o := range outs {
		counted = counted || o.counted
	}
	d.Counted = counted
	if len(outs) == 1 {
		o := outs[order[0]]
		res.Mechanism = o.mechanism
		if o.exemption != "" {
			x := o.exemption
			res.Exemption = &x
		}
		res.Reasons = append(res.Reasons, o.notes...)
		for _, r := range o.rules {
			res.Reasons = append(res.Reasons, e.rule(r))
		}
	} else {
		res.Mechanism = model.MechUndetermined
		var alts []string
		for _, k := range order {
			alts = append(alts, outs[k].mechanism+exSuffix(outs[k].exemption))
		}
		res.Reasons = append(res.Reasons, model.Reason{Rule: "undetermined", Provenance: model.ProvInferred,
			Text: "The mechanism depends on facts that are not known: it could be " + strings.Join(alts, " or ") + "."})
		if t.Individuals == nil {
			res.Missing = append(res.Missing, model.Missing{Fact: "individuals", Question: fmt.Sprintf("How many distinct individuals' non-sensitive personal information does transfer %s carry?", t.ID)})
		}
		if t.SensitiveIndividuals == nil {
			res.Missing = append(res.Missing, model.Missing{Fact: "sensitive_individuals", Question: fmt.Sprintf("How many distinct individuals' sensitive personal information does transfer %s carry?", t.ID)})
		}
		if prior.Unknown {
			res.Missing = append(res.Missing, model.Missing{Fact: "earlier_counts", Question: fmt.Sprintf("Earlier transfers of %s in %d gave no counts: state individuals and sensitive_individuals on each.", t.Processor, year)})
		}
	}

	// Cumulative totals including this transfer when it counts.
	pt, gt := prior, l.GroupTotal(group, year)
	if counted {
		pt.Add(t.Individuals, t.SensitiveIndividuals)
		gt.Add(t.Individuals, t.SensitiveIndividuals)
	}
	res.Cumulative = model.Cumulative{Year: year, Counted: counted, Processor: pt.Counts(), Group: gt.Counts()}
	if !counted {
		res.Reasons = append(res.Reasons, e.paramReason("claimed_exemptions_count",
			"PI under the applied claimed exemption is not added to the yearly totals"))
	} else if res.Exemption != nil {
		// The other reading, set by a patch: say it, since it changes totals.
		if _, claimable := set.Claimable(*res.Exemption); claimable {
			res.Reasons = append(res.Reasons, e.paramReason("claimed_exemptions_count",
				"PI under the applied claimed exemption is added to the yearly totals"))
		}
	}

	e.cover(t, proc, group, l, outs, d)
	// Conditions on leaving outrank the mechanism: whatever approval or
	// exemption applies, a transfer that must not go ahead is not covered,
	// and one whose permission hangs on an unknown fact is undetermined, so
	// `--fail-on not_covered,undetermined` and the service both stop it.
	// Such a transfer relies on no approval: it is not charged against one's
	// max_individuals (the service, which denies it, charges nothing either).
	switch cov := &res.Coverage; {
	case d.Blocking:
		cov.Status = model.CovNotCovered
		cov.Problems = append(cov.Problems, "geo_unprocessed: coordinate-bearing data not processed with the recognised confidentiality technology may not leave")
		cov.Approval, d.Approval = "", ""
	case len(geoUnknown) > 0 && (cov.Status == model.CovCovered || cov.Status == model.CovNotRequired):
		cov.Status = model.CovUndetermined
		cov.Problems = append(cov.Problems, fmt.Sprintf("geo_confidentiality_processed unknown for %s: coordinates may leave only after processing with the recognised confidentiality technology", strings.Join(geoUnknown, ", ")))
		cov.Approval, d.Approval = "", ""
	case len(coordsUnknown) > 0 && (cov.Status == model.CovCovered || cov.Status == model.CovNotRequired):
		cov.Status = model.CovUndetermined
		cov.Problems = append(cov.Problems, fmt.Sprintf("contains_coordinates unknown for %s (its scan saw possible coordinates it did not use): coordinates may leave only after processing with the recognised confidentiality technology", strings.Join(coordsUnknown, ", ")))
		cov.Approval, d.Approval = "", ""
	}
	return d
}

func exSuffix(ex string) string {
	if ex == "" {
		return ""
	}
	return " (" + ex + ")"
}

func bounds(v *int64) []int64 {
	if v == nil {
		return []int64{0, huge}
	}
	return []int64{*v}
}

func dedupeMissing(ms []model.Missing) []model.Missing {
	seen := map[string]int{}
	var out []model.Missing
	for _, m := range ms {
		if i, ok := seen[m.Fact+"\x00"+m.Question]; ok {
			out[i].Criteria = mergeStrings(out[i].Criteria, m.Criteria)
			continue
		}
		seen[m.Fact+"\x00"+m.Question] = len(out)
		out = append(out, m)
	}
	return out
}

func mergeStrings(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func worstProvenance(as []model.TransferAsset) string {
	rank := map[string]int{model.ProvCommentary: 0, model.ProvSecondary: 1, model.ProvInferred: 2}
	best := model.ProvCommentary
	for _, a := range as {
		if a.Result != model.Important {
			continue
		}
		// The asset is important by its strongest criterion.
		strongest := model.ProvInferred
		for _, m := range a.Matched {
			if rank[m.Provenance] < rank[strongest] {
				strongest = m.Provenance
			}
		}
		if rank[strongest] > rank[best] {
			best = strongest
		}
	}
	return best
}

// rule renders a documented mechanism rule as a reason.
// rule is the reason a mechanism rule gives. A rule's text names thresholds
// as ${parameter}, filled from the parameters in force, so a patch that
// changes a threshold changes the sentence too; a reason that rests on an
// overridden parameter says which pack set it and is no firmer than it.
func (e *Engine) rule(id string) model.Reason {
	r, ok := e.Set.Rules[id]
	if !ok {
		return model.Reason{Rule: id, Text: id, Provenance: model.ProvInferred}
	}
	prov := r.Provenance
	var set []string
	text := paramRef.ReplaceAllStringFunc(r.Text, func(ref string) string {
		p := e.Set.Param(ref[2 : len(ref)-1])
		if p == nil {
			return ref
		}
		if p.OverriddenBy != "" {
			prov = model.WeakerProvenance(prov, p.Provenance)
			set = append(set, fmt.Sprintf("%s = %s set by pack %s", p.Name, model.FormatValue(p.Value), p.OverriddenBy))
		}
		return model.FormatValue(p.Value)
	})
	if len(set) > 0 {
		text += " (" + strings.Join(set, "; ") + ")"
	}
	return model.Reason{Rule: id, Text: text, Provenance: prov}
}

var paramRef = regexp.MustCompile(`\$\{[a-z0-9_]+\}`)

func (e *Engine) paramReason(name, text string) model.Reason {
	p := e.Set.Param(name)
	if p == nil {
		return model.Reason{Rule: name, Text: text, Provenance: model.ProvInferred}
	}
	return model.Reason{Rule: "parameter:" + name, Text: fmt.Sprintf("%s (parameter %s = %v, from %s): %s", text, name, model.FormatValue(p.Value), paramSource(p), strings.TrimSpace(p.Text)), Provenance: p.Provenance}
}

func paramSource(p *rulepack.ParamDef) string {
	if p.OverriddenBy != "" {
		return "pack " + p.OverriddenBy
	}
	return "pack " + p.Pack
}
