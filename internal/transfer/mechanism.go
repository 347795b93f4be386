package transfer

import (
	"fmt"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

// checkClaim validates the form of a claimed exemption: that it exists, may
// be claimed, was in force, that a free-trade-zone claim comes from a
// processor in a zone, and that an automotive claim has its prior report or
// filing. It returns the claim when the form is right; whether it applies to
// the data (PI, important data) is decided per scenario.
func (e *Engine) checkClaim(t *model.Transfer, proc *model.Processor, d *Decision) (*rulepack.ExemptionDef, *model.Reason) {
	if t.Exemption == "" {
		return nil, nil
	}
	ex, ok := e.Set.Exemptions[t.Exemption]
	notApplied := func(text, prov string) (*rulepack.ExemptionDef, *model.Reason) {
		return nil, &model.Reason{Rule: "claimed_exemption", Provenance: prov, Text: fmt.Sprintf("Claimed exemption %s is not applied: %s", t.Exemption, text)}
	}
	switch {
	case !ok:
		return notApplied("it is not defined by the loaded packs.", model.ProvInferred)
	case !ex.Claimed:
		return notApplied("it is computed by the engine and cannot be claimed.", ex.Provenance)
	case ex.EffectiveDate.Valid() && t.Date < ex.EffectiveDate:
		return notApplied(fmt.Sprintf("it took effect on %s, after the transfer date %s.", ex.EffectiveDate, t.Date), ex.Provenance)
	case ex.RequiresFTZ && (proc == nil || proc.FTZ == "" || proc.FTZ == "none"):
		return notApplied(fmt.Sprintf("processor %s declares no free trade zone (`ftz:`), whose negative list it would rely on.", t.Processor), ex.Provenance)
	}
	if ex.Automotive {
		var problem string
		switch {
		case t.ExemptionRef == "":
			problem = "no `exemption_ref` names the prior report or filing"
		case !t.ExemptionFiled.Valid():
			problem = fmt.Sprintf("the report or filing %s has no `exemption_filed` date, so it cannot be shown to precede the transfer", t.ExemptionRef)
		case t.ExemptionFiled > t.Date:
			problem = fmt.Sprintf("the report or filing %s was made on %s, after the transfer date %s", t.ExemptionRef, t.ExemptionFiled, t.Date)
		}
		if problem != "" {
			d.Findings = append(d.Findings, model.Finding{Kind: model.FindExemptionNoReference, Subject: t.ID, Severity: "high",
				Text: fmt.Sprintf("Transfer %s claims the automotive exemption %s but %s: the claim is not applied. The report to MIIT or filing with SAMR must come first.", t.ID, t.Exemption, problem)})
			return notApplied(problem+".", ex.Provenance)
		}
	}
	return ex, nil
}

// decideScenario decides the mechanism for one reading of the unknowns.
func (e *Engine) decideScenario(sc scenario, ciio bool, claim *rulepack.ExemptionDef, proc *model.Processor) outcome {
	set := e.Set
	thisPI := sc.ind+sc.sens > 0
	var notes []model.Reason
	if claim != nil {
		applies := true
		if claim.RequiresNoPI && thisPI {
			applies = false
			notes = append(notes, model.Reason{Rule: "claimed_exemption", Provenance: claim.Provenance,
				Text: fmt.Sprintf("Claimed exemption %s is not applied: it requires that no personal information leaves, and this transfer carries some.", claim.ID)})
		}
		if applies && sc.important {
			switch claim.ImportantData {
			case "", "never":
				applies = false
				notes = append(notes, model.Reason{Rule: "claimed_exemption", Provenance: claim.Provenance,
					Text: fmt.Sprintf("Claimed exemption %s is not applied: it never exempts important data.", claim.ID)})
			default:
				p := set.Param(claim.ImportantData)
				applies = set.Bool(claim.ImportantData)
				verb := "does not exempt"
				if applies {
					verb = "also exempts"
				}
				notes = append(notes, model.Reason{Rule: "open_interpretation", Provenance: p.Provenance,
					Text: fmt.Sprintf("Open interpretation: whether %s exempts important data is unsettled; under parameter %s = %v (%s) it %s important data.", claim.ID, claim.ImportantData, applies, paramSource(p), verb)})
			}
		}
		if applies {
			return outcome{mechanism: model.MechExempt, exemption: claim.ID, counted: set.Bool("claimed_exemptions_count"),
				rules: []string{"claimed_exemption"}, notes: append(notes, model.Reason{Rule: "exemption:" + claim.ID, Text: claim.Text, Provenance: claim.Provenance})}
		}
	}
	cumInd := satAdd(sc.priorInd, sc.ind)
	cumSens := satAdd(sc.priorSens, sc.sens)
	switch {
	case sc.important:
		return outcome{mechanism: model.MechSecurityAssessment, counted: true, rules: []string{"important_data"}, notes: notes}
	case !thisPI:
		return outcome{mechanism: model.MechExempt, exemption: "no_pi_no_important_data", counted: true, rules: []string{"no_pi_no_important_data"}, notes: notes}
	case ciio && set.Bool("ciio_any_pi"):
		return outcome{mechanism: model.MechSecurityAssessment, counted: true, rules: []string{"ciio_pi"}, notes: notes}
	case e.meets("sa_individuals", cumInd) || e.meets("sa_sensitive_individuals", cumSens):
		notes = append(notes, e.volumeReason(cumInd, cumSens, "sa_individuals", "sa_sensitive_individuals"))
		return outcome{mechanism: model.MechSecurityAssessment, counted: true, rules: []string{"volume_assessment", "per_processor"}, notes: notes}
	case e.meets("contract_individuals", cumInd) || e.meets("contract_sensitive_individuals", cumSens):
		notes = append(notes, e.volumeReason(cumInd, cumSens, "contract_individuals", "contract_sensitive_individuals"))
		return outcome{mechanism: model.MechContractOrCert, counted: true, rules: []string{"volume_contract", "per_processor"}, notes: notes}
	default:
		notes = append(notes, model.Reason{Rule: "counts", Provenance: model.ProvSecondary,
			Text: fmt.Sprintf("Yearly totals of the processor with this transfer: %s non-sensitive and %s sensitive individuals.", model.Count(cumInd), model.Count(cumSens))})
		return outcome{mechanism: model.MechExempt, exemption: "small_volume", counted: true, rules: []string{"small_volume", "per_processor"}, notes: notes}
	}
}

func (e *Engine) volumeReason(cumInd, cumSens int64, indParam, sensParam string) model.Reason {
	pi, ps := e.Set.Param(indParam), e.Set.Param(sensParam)
	prov := model.WeakerProvenance(model.WeakerProvenance(model.ProvSecondary, pi.Provenance), ps.Provenance)
	return model.Reason{Rule: "counts", Provenance: prov,
		Text: fmt.Sprintf("Yearly totals of the processor with this transfer: %s non-sensitive individuals (threshold %s %s%s) and %s sensitive individuals (threshold %s %s%s).",
			model.Count(cumInd), pi.Op, model.FormatValue(pi.Value), setBy(pi), model.Count(cumSens), ps.Op, model.FormatValue(ps.Value), setBy(ps))}
}

// setBy names the patch that overrode a parameter, if one did.
func setBy(p *rulepack.ParamDef) string {
	if p.OverriddenBy == "" {
		return ""
	}
	return ", set by pack " + p.OverriddenBy
}

// meets compares v with a threshold parameter using the parameter's operator.
func (e *Engine) meets(param string, v int64) bool { return e.Set.Param(param).Meets(v) }
