package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/model"
)

// Width is the terminal width the table is laid out for.
const Width = 100

// Table writes a plain-text summary that reads well in a 100-column terminal.
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
		widths := []int{24, 38, 14, 0}
		row(&b, widths, "ID", "ITEM", "RESULT", "WHY")
		for _, r := range a.Assets {
			row(&b, widths, r.ID, r.Item, r.Result, assetWhy(r))
		}
	}

	mech := map[string]int{}
	for _, t := range a.Transfers {
		mech[t.Mechanism]++
	}
	fmt.Fprintf(&b, "\nTRANSFERS (%d: %d security assessment, %d contract or certification, %d exempt, %d undetermined)\n",
		len(a.Transfers), mech[model.MechSecurityAssessment], mech[model.MechContractOrCert], mech[model.MechExempt], mech[model.MechUndetermined])
	if len(a.Transfers) > 0 {
		widths := []int{13, 11, 14, 29, 12, 0}
		row(&b, widths, "ID", "DATE", "PROCESSOR", "MECHANISM", "YEAR I/S", "COVERAGE")
		for _, t := range a.Transfers {
			m := shortMech(t.Mechanism)
			if t.Exemption != nil {
				m += ":" + *t.Exemption
			}
			c := t.Cumulative.Processor
			tot := fmt.Sprintf("%s/%s", human(c.Individuals), human(c.SensitiveIndividuals))
			if c.Unknown {
				tot = ">=" + tot
			}
			cov := t.Coverage.Status
			if t.Coverage.Approval != "" {
				cov += " " + t.Coverage.Approval
			}
			row(&b, widths, t.ID, t.Date.String(), t.Processor, m, tot, cov)
		}
	}

	fmt.Fprintf(&b, "\nFINDINGS (%d)\n", len(a.Findings))
	for _, f := range a.Findings {
		head := f.Kind + " " + f.Subject
		if f.Blocking {
			head += " (blocking)"
		}
		b.WriteString(head + "\n")
		wrapWith(&b, "    ", f.Text, "    ")
	}

	var missing []string
	seen := map[string]bool{}
	for _, r := range a.Assets {
		for _, m := range r.Missing {
			k := r.ID + "/" + m.Fact
			if !seen[k] {
				seen[k] = true
				missing = append(missing, fmt.Sprintf("%s: %s - %s", r.ID, m.Fact, m.Question))
			}
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "\nFACTS NEEDED (%d)\n", len(missing))
		for _, m := range missing {
			wrapWith(&b, "  [ ] ", m, "      ")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
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
				s += " (inferred)"
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

// human abbreviates large counts: 1234567 -> 1.23M.
func human(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	case n >= 1_000_000:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 100_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	case n >= 10_000:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e3), ".0") + "k"
	}
	return fmt.Sprint(n)
}

// row writes cells padded to widths; the last cell takes the rest of the line
// and is cut with an ellipsis rather than wrapping.
func row(b *strings.Builder, widths []int, cells ...string) {
	used := 0
	var line strings.Builder
	for i, c := range cells {
		w := widths[i]
		if i == len(cells)-1 || w == 0 {
			w = Width - used
		}
		c = fit(c, w-1)
		line.WriteString(c)
		if i < len(cells)-1 {
			line.WriteString(strings.Repeat(" ", w-utf8.RuneCountInString(c)))
		}
		used += w
	}
	b.WriteString(strings.TrimRight(line.String(), " "))
	b.WriteByte('\n')
}

func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	r := []rune(s)
	return string(r[:w-1]) + "…"
}

func wrap(b *strings.Builder, s, indent string) { wrapWith(b, "", s, indent) }

// wrapWith writes head then s word-wrapped at Width, continuing lines with indent.
func wrapWith(b *strings.Builder, head, s, indent string) {
	line := head
	n := utf8.RuneCountInString(line)
	first := true
	for _, word := range strings.Fields(s) {
		wl := utf8.RuneCountInString(word)
		if !first && n+1+wl > Width {
			b.WriteString(line)
			b.WriteByte('\n')
			line, n = indent+word, utf8.RuneCountInString(indent)+wl
			continue
		}
		if !first {
			line += " "
			n++
		}
		line += word
		n += wl
		first = false
	}
	b.WriteString(line)
	b.WriteByte('\n')
}
