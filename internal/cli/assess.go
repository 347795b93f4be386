package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newAssessCmd) }

// failConditions are the --fail-on values (SPEC §1).
var failConditions = []string{"not_covered", "undetermined", "important", "security_assessment"}

type assessFlags struct {
	format   string
	out      string
	asOf     string
	packs    []string
	holidays string
	failOn   []string
	noScan   bool
	scanOpts measureFlags
}

func newAssessCmd(env *Env) *cobra.Command {
	f := &assessFlags{}
	c := &cobra.Command{
		Use:   "assess PATH...",
		Short: "Identify important data and decide each transfer's mechanism and coverage",
		Long: `Load inventory files (a directory means every *.yaml/*.yml in it, recursively), measure facts
from the data sources assets name, identify important data under the loaded rule packs, decide each
transfer's mechanism, yearly counts and approval coverage, and print the assessment.`,
		Example: `  xborder assess examples/acme-motors
  xborder assess inventory/ --format html -o report.html
  xborder assess inventory/ --format json --as-of 2026-06-30 --fail-on not_covered,undetermined`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runAssess(c, env, f, args) },
	}
	fl := c.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table, json or html")
	fl.StringVarP(&f.out, "output", "o", "", "write to FILE instead of standard output (written atomically)")
	fl.StringVar(&f.asOf, "as-of", "", "assess as of this date, YYYY-MM-DD (default: today in China time)")
	fl.StringArrayVar(&f.packs, "pack", nil, "load another rule pack: a file or a built-in id (an edition replaces the default of its family; a patch extends)")
	fl.StringVar(&f.holidays, "holidays", "", "holiday file for working-day deadlines (one YYYY-MM-DD per line, +YYYY-MM-DD for a working weekend day)")
	fl.StringSliceVar(&f.failOn, "fail-on", nil, "exit 1 when any condition holds: "+strings.Join(failConditions, ", "))
	fl.BoolVar(&f.noScan, "no-scan", false, "do not measure the assets' sources; use declared facts only")
	f.scanOpts.register(c)
	return c
}

func parseAsOf(env *Env, s string) (model.Date, error) {
	if s == "" {
		return env.Today(), nil
	}
	d, err := model.ParseDate(s)
	if err != nil {
		return model.NoDate, xerr.BadInputf("--as-of: %v", err)
	}
	return d, nil
}

func runAssess(c *cobra.Command, env *Env, f *assessFlags, args []string) error {
	switch f.format {
	case "table", "json", "html":
	default:
		return xerr.BadInputf("--format %q: want table, json or html", f.format)
	}
	for _, cond := range f.failOn {
		if !contains(failConditions, cond) {
			return xerr.BadInputf("--fail-on %q: want one of %s", cond, strings.Join(failConditions, ", "))
		}
	}
	if err := checkOutput(f.out); err != nil {
		return err
	}
	asOf, err := parseAsOf(env, f.asOf)
	if err != nil {
		return err
	}
	set, err := rulepack.LoadWithDefaults(f.packs, rulepack.Limits{})
	if err != nil {
		return err
	}
	cal := calendar.Weekends()
	if f.holidays != "" {
		if cal, err = calendar.Load(f.holidays); err != nil {
			return err
		}
	}
	inv, err := inventory.Load(args, inventory.Options{Facts: set, Items: set})
	if err != nil {
		return err
	}
	var measured map[string]assess.Measurement
	if !f.noScan {
		if measured, err = measureAssets(c.Context(), env, inv, &f.scanOpts); err != nil {
			return err
		}
	}
	a := assess.Run(c.Context(), inv, set, assess.Options{AsOf: asOf, Calendar: cal, Measured: measured, Residuals: true})
	err = writeOutput(env, f.out, func(w io.Writer) error {
		switch f.format {
		case "json":
			return report.JSON(w, a)
		case "html":
			return report.HTML(w, a)
		default:
			return report.Table(w, a)
		}
	})
	if err != nil {
		return err
	}
	if hits := failHits(a, f.failOn); len(hits) > 0 {
		return xerr.CheckFailed(fmt.Errorf("--fail-on: %s", strings.Join(hits, "; ")))
	}
	return nil
}

// failHits lists the --fail-on conditions that hold, with their subjects.
func failHits(a *model.Assessment, conds []string) []string {
	var out []string
	for _, cond := range conds {
		var subj []string
		switch cond {
		case "not_covered":
			for _, t := range a.Transfers {
				if t.Coverage.Status == model.CovNotCovered {
					subj = append(subj, t.ID)
				}
			}
		case "undetermined":
			for _, r := range a.Assets {
				if r.Result == model.Undetermined {
					subj = append(subj, r.ID)
				}
			}
			for _, t := range a.Transfers {
				if t.Mechanism == model.MechUndetermined || t.Coverage.Status == model.CovUndetermined {
					subj = append(subj, t.ID)
				}
			}
		case "important":
			for _, r := range a.Assets {
				if r.Result == model.Important {
					subj = append(subj, r.ID)
				}
			}
		case "security_assessment":
			for _, t := range a.Transfers {
				if t.Mechanism == model.MechSecurityAssessment {
					subj = append(subj, t.ID)
				}
			}
		}
		if len(subj) > 0 {
			sort.Strings(subj)
			subj = uniq(subj)
			out = append(out, fmt.Sprintf("%s: %s", cond, strings.Join(subj, ", ")))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func uniq(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
