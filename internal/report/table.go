package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/xborder/xborder/internal/model"
)

// Table writes a plain-text summary that reads well in a 100-column terminal.
// Counts are exact (a count next to a threshold must never look rounded
// across it); cells too wide for their column wrap, so ids, exemptions and
// provenance markers are never cut.
func Table(w io.Writer, a *model.Assessment) error {
	var b strings.Builder
	var packs []string
	for _, p := range a.Packs {
		packs = append(packs, p.ID+" "+p.Version)
	}
	fmt.Fprintf(&b, "xborder assessment as of %s\n", a.AsOf)
	wrap(&b, "packs: "+strings.Join(packs, ", "), "  ")
	wrap(&b, "calendar: "+a.Calendar, "  ")

	counts := map[string]int{}
	for _, r := range a.Assets {
		counts[r.Result]++
	}
	fmt.Fprintf(&b, "\nASSETS (%d: %d important, %d not important, %d undetermined)\n", len(a.Assets), counts[model.Important], counts[model.NotImportant], counts[model.Undetermined])
	if len(a.Assets) > 0 {
		cols := []column{{head: "ID", max: 24, min: 12}, {head: "ITEM", max: 38, min: 20}, {head: "RESULT", max: 13}, {head: "WHY"}}
		var rows [][]string
		for _, r := range a.Assets {
			rows = append(rows, []string{r.ID, r.Item, r.Result, assetWhy(r)})
		}
		table(&b, cols, rows)
	}

	mech := map[string]int{}
	for _, t := range a.Transfers {
		mech[t.Mechanism]++
	}
	fmt.Fprintf(&b, "\nTRANSFERS (%d: %d security assessment, %d contract or certification, %d exempt, %d undetermined)\n",
		len(a.Transfers), mech[model.MechSecurityAssessment], mech[model.MechContractOrCert], mech[model.MechExempt], mech[model.MechUndetermined])
	if len(a.Transfers) > 0 {
		wrapWith(&b, "  ", "INDIV and SENS: distinct individuals whose non-sensitive and sensitive PI the processor has sent in the calendar year, this transfer included (>= where some counts are unknown).", "  ")
		cols := []column{{head: "ID", max: 16, min: 10}, {head: "DATE", max: 10}, {head: "PROCESSOR", max: 16, min: 10},
			{head: "MECHANISM", max: 24, whole: true}, {head: "INDIV", max: 13, right: true}, {head: "SENS", max: 13, right: true}, {head: "COVERAGE"}}
		var rows [][]string
		for _, t := range a.Transfers {
			m := shortMech(t.Mechanism)
			if t.Exemption != nil {
				m += ": " + *t.Exemption
			}
			c := t.Cumulative.Processor
			ind, sens := model.Count(c.Individuals), model.Count(c.SensitiveIndividuals)
			if c.Unknown {
				ind, sens = ">="+ind, ">="+sens
			}
			cov := t.Coverage.Status
			switch {
			case blocked(&t):
				// An approval may still cover the mechanism, but the transfer
				// must not go ahead: say that, not the approval.
				cov += " (blocked)"
			case t.Coverage.Approval != "":
				cov += " " + t.Coverage.Approval
			}
			rows = append(rows, []string{t.ID, t.Date.String(), t.Processor, m, ind, sens, cov})
		}
		table(&b, cols, rows)
	}

	fmt.Fprintf(&b, "\nFINDINGS (%d)\n", len(a.Findings))
	for _, f := range a.Findings {
		head := f.Kind + " " + f.Subject
		if f.Blocking {
			head += " (blocking)"
		}
		wrap(&b, head, "    ")
		wrapWith(&b, "    ", f.Text, "    ")
	}

	if list := checklist(a); len(list) > 0 {
		fmt.Fprintf(&b, "\nFACTS NEEDED (%d)\n", len(list))
		for _, it := range list {
			var s string
			if it.Asset != "" {
				s = fmt.Sprintf("%s: %s - %s", it.Asset, it.Fact, it.Question)
				if len(it.Transfers) > 0 {
					s += " (also needed by " + transfersLabel(it.Transfers) + ")"
				}
			} else {
				s = fmt.Sprintf("%s: %s - %s", transfersLabel(it.Transfers), it.Fact, it.Question)
			}
			wrapWith(&b, "  [ ] ", s, "      ")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func transfersLabel(ids []string) string {
	if len(ids) == 1 {
		return "transfer " + ids[0]
	}
	return "transfers " + strings.Join(ids, ", ")
}

func shortMech(m string) string {
	switch m {
	case model.MechSecurityAssessment:
		return "assessment"
	case model.MechContractOrCert:
		return "contract/cert"
	}
	return m
}

func assetWhy(r model.AssetResult) string {
	switch r.Result {
	case model.Important:
		var ids []string
		for _, m := range r.Matched {
			s := m.Criterion
			if m.Provenance == model.ProvInferred {
				s += string(glue) + "(inferred)"
			}
			ids = append(ids, s)
		}
		return strings.Join(ids, ", ")
	case model.Undetermined:
		var fs []string
		for _, m := range r.Missing {
			fs = append(fs, m.Fact)
		}
		return "needs " + strings.Join(fs, ", ")
	}
	return "no criterion holds"
}

// blocked reports whether a condition on leaving stops the transfer
// whatever its approvals (geo_unprocessed).
func blocked(t *model.TransferResult) bool {
	for _, p := range t.Coverage.Problems {
		if strings.HasPrefix(p, model.FindGeoUnprocessed+":") {
			return true
		}
	}
	return false
}
