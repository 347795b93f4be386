package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newRulesCmd) }

func newRulesCmd(env *Env) *cobra.Command {
	var packs []string
	var format, out string
	c := &cobra.Command{
		Use:   "rules",
		Short: "Browse the rule packs: list items, show one, diff two editions",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.PersistentFlags().StringArrayVar(&packs, "pack", nil, "load another rule pack (file or built-in id)")
	c.PersistentFlags().StringVar(&format, "format", "table", "output format: table or json")
	c.PersistentFlags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output (written atomically)")
	load := func() (*rulepack.Set, error) {
		if format != "table" && format != "json" {
			return nil, xerr.BadInputf("--format %q: want table or json", format)
		}
		if err := checkOutput(out); err != nil {
			return nil, err
		}
		return rulepack.LoadWithDefaults(packs, rulepack.Limits{})
	}
	write := func(fn func(w io.Writer) error) error { return writeOutput(env, out, fn) }
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the loaded packs, their coverage of the official text, and every data item",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			set, err := load()
			if err != nil {
				return err
			}
			return write(func(w io.Writer) error {
				if format == "json" {
					return writeJSON(w, listJSON(set))
				}
				return rulesList(w, set)
			})
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "show ID",
		Short: "Show an item, criterion, fact, parameter, exemption or pack with its provenance",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			set, err := load()
			if err != nil {
				return err
			}
			return write(func(w io.Writer) error { return rulesShow(w, set, args[0], format) })
		},
	})
	c.AddCommand(&cobra.Command{
		Use:     "diff A B",
		Short:   "Diff two editions item by item (added, removed and changed items, criteria, facts, parameters)",
		Example: "  xborder rules diff draft-2025 guidelines-2026",
		Args:    cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return xerr.BadInputf("--format %q: want table or json", format)
			}
			if err := checkOutput(out); err != nil {
				return err
			}
			a, patchA, err := loadAlone(args[0])
			if err != nil {
				return err
			}
			b, patchB, err := loadAlone(args[1])
			if err != nil {
				return err
			}
			// A patch is seen on top of the default packs: compare like with
			// like, so an edition against a patch shows what the patch changes,
			// not every pack the edition lacks.
			if patchA != patchB {
				plain := args[0]
				if patchA {
					plain = args[1]
				}
				var extra []string
				if !slices.Contains(rulepack.Defaults, plain) {
					extra = []string{plain} // another edition replaces its family's default
				}
				base, err := rulepack.LoadWithDefaults(extra, rulepack.Limits{})
				if err != nil {
					return err
				}
				if patchA {
					b = base
				} else {
					a = base
				}
			}
			ch := rulepack.Diff(a, b)
			rulepack.SortChanges(ch)
			return write(func(w io.Writer) error {
				if format == "json" {
					if ch == nil {
						ch = []rulepack.Change{}
					}
					return writeJSON(w, map[string]any{"from": args[0], "to": args[1], "changes": ch})
				}
				return rulesDiff(w, args[0], args[1], ch)
			})
		},
	})
	return c
}

// loadAlone loads one edition by itself, or a patch on top of the defaults
// (patch true).
func loadAlone(spec string) (*rulepack.Set, bool, error) {
	set, err := rulepack.LoadForBrowsing([]string{spec}, rulepack.Limits{})
	if err == nil {
		return set, false, nil
	}
	if strings.Contains(err.Error(), "extends") {
		set, err := rulepack.LoadWithDefaults([]string{spec}, rulepack.Limits{})
		return set, true, err
	}
	return nil, false, err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func packLine(p *rulepack.Loaded) string {
	s := fmt.Sprintf("%s %s: %s", p.ID, p.Version, p.Title)
	if p.Effective.Valid() {
		s += fmt.Sprintf(" (effective %s", p.Effective)
		if !p.InForce {
			s += ", never in force"
		}
		s += ")"
	}
	return s
}

// rulesList prints the packs and items laid out for a terminal of
// report.Width columns (Chinese characters count two): pack lines and
// scenario names wrap with an indent; each item is an id column and a text
// column in which the name and the criteria wrap. An id wider than its column
// takes a line of its own above the text.
func rulesList(w io.Writer, set *rulepack.Set) error {
	var b strings.Builder
	wrapped := func(head, s, indent string) { report.WrapWith(&b, head, s, indent) }
	b.WriteString("PACKS\n")
	for _, p := range set.Packs {
		wrapped("  ", packLine(p), "    ")
		if p.Coverage != nil {
			held := 0
			for _, id := range set.ItemOrder {
				if set.Items[id].Pack == p.ID {
					held++
				}
			}
			line := fmt.Sprintf("holds %d of the official %d data items", held, p.Coverage.OfficialItems)
			if p.Coverage.OfficialCategories > 0 {
				line += fmt.Sprintf(" (%d categories)", p.Coverage.OfficialCategories)
			}
			wrapped("    ", line, "      ")
		}
	}
	b.WriteString("\n")
	wrapped("", "ITEMS (provenance: commentary | secondary | inferred; * = a criterion is inferred)", "  ")
	byScen := map[string][]string{}
	for _, id := range set.ItemOrder {
		byScen[set.Items[id].Scenario] = append(byScen[set.Items[id].Scenario], id)
	}
	// The id column is as wide as the widest id, within [idMin, idMax], so
	// the text column keeps at least Width-2-idMax-1 columns.
	const idMin, idMax = 20, 40
	idW := idMin
	for _, id := range set.ItemOrder {
		idW = max(idW, min(report.DisplayWidth(id), idMax))
	}
	textW := report.Width - 2 - idW - 1
	pad := strings.Repeat(" ", 2+idW+1)
	for _, sc := range set.Scenarios {
		if len(byScen[sc.ID]) == 0 {
			continue
		}
		b.WriteString("\n")
		wrapped("", sc.Name, "  ")
		for _, id := range byScen[sc.ID] {
			it := set.Items[id]
			var cs []string
			for _, c := range it.Criteria {
				n := c.ID
				if c.Provenance == model.ProvInferred {
					n += "*"
				}
				cs = append(cs, n)
			}
			crit := strings.Join(cs, ", ")
			switch {
			case it.CriteriaUnknown && len(cs) == 0:
				crit = "(criteria not in our sources)"
			case it.NoCriteria:
				crit = "(never important data)"
			}
			name := it.Name
			if it.NewIn != "" {
				name += " " + strings.ReplaceAll("[new in "+it.NewIn+"]", " ", report.Glue)
			}
			first := pad // where the name starts: beside the id, or below a long one
			if dw := report.DisplayWidth(id); dw > idW {
				wrapped("  ", id, "  ")
			} else {
				first = "  " + id + strings.Repeat(" ", idW-dw+1)
			}
			for i, l := range report.WrapLines(name, textW, textW) {
				if i == 0 {
					b.WriteString(first)
				} else {
					b.WriteString(pad)
				}
				b.WriteString(l)
				b.WriteByte('\n')
			}
			// Criteria continue under the first criterion.
			const label = "criteria: "
			for i, l := range report.WrapLines(crit, textW-len(label), textW-len(label)) {
				if i == 0 {
					b.WriteString(pad + label)
				} else {
					b.WriteString(pad + strings.Repeat(" ", len(label)))
				}
				b.WriteString(l)
				b.WriteByte('\n')
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func listJSON(set *rulepack.Set) map[string]any {
	type crit struct {
		ID, Text, Expr, Provenance string
	}
	type item struct {
		ID              string `json:"id"`
		Scenario        string `json:"scenario"`
		Subscenario     string `json:"subscenario"`
		Name            string `json:"name"`
		NewIn           string `json:"new_in,omitempty"`
		Provenance      string `json:"provenance"`
		Pack            string `json:"pack"`
		CriteriaUnknown bool   `json:"criteria_unknown,omitempty"`
		Criteria        []crit `json:"criteria"`
	}
	var items []item
	for _, id := range set.ItemOrder {
		it := set.Items[id]
		x := item{ID: id, Scenario: it.Scenario, Subscenario: it.Subscenario, Name: it.Name, NewIn: it.NewIn, Provenance: it.Provenance, Pack: it.Pack, CriteriaUnknown: it.CriteriaUnknown, Criteria: []crit{}}
		for _, c := range it.Criteria {
			x.Criteria = append(x.Criteria, crit{c.ID, strings.TrimSpace(c.Text), c.Expr, c.Provenance})
		}
		items = append(items, x)
	}
	var packs []map[string]any
	for _, p := range set.Packs {
		m := map[string]any{"id": p.ID, "version": p.Version, "title": p.Title, "in_force": p.InForce, "effective": p.Effective}
		if p.Coverage != nil {
			m["official_items"] = p.Coverage.OfficialItems
		}
		packs = append(packs, m)
	}
	return map[string]any{"packs": packs, "items": items}
}

func rulesShow(w io.Writer, set *rulepack.Set, id, format string) error {
	var obj any
	var b strings.Builder
	switch {
	case set.Items[id] != nil:
		it := set.Items[id]
		obj = it.Item
		fmt.Fprintf(&b, "item %s (pack %s, provenance %s)\n  %s\n", id, it.Pack, it.Provenance, it.Name)
		if it.Scenario != "" {
			fmt.Fprintf(&b, "  scenario %s / %s\n", it.Scenario, it.Subscenario)
		}
		if it.NewIn != "" {
			fmt.Fprintf(&b, "  new in %s\n", it.NewIn)
		}
		if it.Description != "" {
			fmt.Fprintf(&b, "  %s\n", strings.TrimSpace(it.Description))
		}
		switch {
		case it.CriteriaUnknown && len(it.Criteria) == 0:
			b.WriteString("  criteria: not in our sources; assets of this item stay undetermined\n")
		case it.NoCriteria:
			b.WriteString("  never important data by itself\n")
		default:
			b.WriteString("  important when any of these holds:\n")
		}
		for _, c := range it.Criteria {
			showCriterion(&b, c, "    ")
		}
		for _, n := range it.Notes {
			fmt.Fprintf(&b, "  note: %s\n", strings.TrimSpace(n))
		}
	case set.Criteria[id] != nil:
		c := set.Criteria[id]
		obj = c.Criterion
		fmt.Fprintf(&b, "criterion (pack %s)\n", c.Pack)
		showCriterion(&b, c, "  ")
		var used []string
		for _, iid := range set.ItemOrder {
			for _, ic := range set.Items[iid].Criteria {
				if ic.ID == id {
					used = append(used, iid)
				}
			}
		}
		fmt.Fprintf(&b, "  used by: %s\n", strings.Join(used, ", "))
	case set.Facts[id] != nil:
		f := set.Facts[id]
		obj = f.Fact
		fmt.Fprintf(&b, "fact %s (%s", id, f.Type)
		if f.Unit != "" {
			fmt.Fprintf(&b, ", %s", f.Unit)
		}
		fmt.Fprintf(&b, "; pack %s, provenance %s)\n  meaning: %s\n  question: %s\n", f.Pack, f.Provenance, strings.TrimSpace(f.Meaning), strings.TrimSpace(f.Question))
		if len(f.Values) > 0 {
			fmt.Fprintf(&b, "  values: %s\n", strings.Join(f.Values, ", "))
		}
		if f.Scan != "" {
			fmt.Fprintf(&b, "  measured by xborder scan (%s)\n", f.Scan)
		}
		if f.Derived {
			b.WriteString("  derived by xborder; never declared\n")
		}
	case set.Params[id] != nil:
		p := set.Params[id]
		obj = p
		fmt.Fprintf(&b, "parameter %s = %s %s (pack %s, provenance %s)\n", id, p.Op, model.FormatValue(p.Value), p.Pack, p.Provenance)
		if p.Word != "" {
			fmt.Fprintf(&b, "  Chinese: %s\n", p.Word)
		}
		if p.OverriddenBy != "" {
			fmt.Fprintf(&b, "  overridden by pack %s\n", p.OverriddenBy)
		}
		fmt.Fprintf(&b, "  %s\n", strings.TrimSpace(p.Text))
	case set.Exemptions[id] != nil:
		e := set.Exemptions[id]
		obj = e.Exemption
		kind := "computed by xborder, never claimed"
		if e.Claimed {
			kind = "claimed in a transfer's `exemption`"
		}
		fmt.Fprintf(&b, "exemption %s (pack %s, provenance %s; %s)\n  %s\n", id, e.Pack, e.Provenance, kind, strings.TrimSpace(e.Text))
		if e.Automotive {
			b.WriteString("  needs exemption_ref and exemption_filed on or before the transfer date\n")
		}
		switch e.ImportantData {
		case "", "never":
			b.WriteString("  never exempts important data\n")
		default:
			fmt.Fprintf(&b, "  exempts important data only when parameter %s is true (now %v): an open interpretation\n", e.ImportantData, set.Bool(e.ImportantData))
		}
	default:
		for _, p := range set.Packs {
			if p.ID == id {
				obj = p
				fmt.Fprintf(&b, "pack %s\n  source: %s\n", packLine(p), strings.TrimSpace(p.Source))
				if p.Coverage != nil && p.Coverage.Note != "" {
					fmt.Fprintf(&b, "  coverage: %s\n", strings.TrimSpace(p.Coverage.Note))
				}
				for _, n := range p.Notes {
					fmt.Fprintf(&b, "  note: %s\n", strings.TrimSpace(n))
				}
			}
		}
	}
	if obj == nil {
		return xerr.BadInputf("no item, criterion, fact, parameter, exemption or pack named %q (see xborder rules list)", id)
	}
	if format == "json" {
		return writeJSON(w, obj)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func showCriterion(b *strings.Builder, c *rulepack.CriterionDef, indent string) {
	fmt.Fprintf(b, "%s%s [%s]\n%s  %s\n%s  expr: %s\n", indent, c.ID, c.Provenance, indent, strings.TrimSpace(c.Text), indent, c.Expr)
	for _, t := range c.Thresholds {
		word := ""
		if t.Word != "" {
			word = " (" + t.Word + ")"
		}
		fmt.Fprintf(b, "%s  threshold: %s %s %s%s, operator %s\n", indent, t.Fact, t.Op, model.Count(int64(t.Value)), word, t.Provenance)
	}
	if c.Note != "" {
		fmt.Fprintf(b, "%s  note: %s\n", indent, strings.TrimSpace(c.Note))
	}
}

func rulesDiff(w io.Writer, a, b string, ch []rulepack.Change) error {
	var s strings.Builder
	// Changes of substance first; changes of provenance alone (how firmly
	// we know a rule, not what it says) after them, so they do not bury
	// the rest.
	var subst, prov []rulepack.Change
	for _, c := range ch {
		if c.ProvenanceOnly {
			prov = append(prov, c)
		} else {
			subst = append(subst, c)
		}
	}
	fmt.Fprintf(&s, "%s -> %s: %d changes", a, b, len(subst))
	if len(prov) > 0 {
		fmt.Fprintf(&s, ", and %d of provenance only", len(prov))
	}
	s.WriteString("\n")
	for _, c := range subst {
		sign := map[string]string{"added": "+", "removed": "-", "changed": "~"}[c.Kind]
		fmt.Fprintf(&s, "%s %-9s %s\n", sign, c.What, c.ID)
		if c.Detail != "" {
			fmt.Fprintf(&s, "    %s\n", c.Detail)
		}
	}
	if len(prov) > 0 {
		fmt.Fprintf(&s, "\nprovenance only (the rule reads the same):\n")
		for _, c := range prov {
			fmt.Fprintf(&s, "~ %-9s %-38s %s\n", c.What, c.ID, c.Detail)
		}
	}
	_, err := io.WriteString(w, s.String())
	return err
}
