package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newFilingCmd) }

func newFilingCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "filing",
		Short: "Exports for regulators: the important-data catalog",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	var format, out, asOf string
	var packs []string
	var noScan bool
	var mf measureFlags
	export := &cobra.Command{
		Use:   "export PATH...",
		Short: "Write the important-data catalog for filing (XLSX, CSV or JSON)",
		Long: `Assess the inventory and write the catalog of important data for filing with the local industry
regulator: data name, category, level, basis (criteria with provenance), scale, source, purposes,
cross-border transfers (recipients, mechanisms, approvals) and the fields the filer must complete.
Undetermined assets are listed separately (XLSX sheet "Undetermined", JSON "undetermined").`,
		Example: "  xborder filing export examples/acme-motors -o catalog.xlsx",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if format == "" {
				switch {
				case strings.HasSuffix(out, ".csv"):
					format = "csv"
				case strings.HasSuffix(out, ".json"):
					format = "json"
				default:
					format = "xlsx"
				}
			}
			if format != "xlsx" && format != "csv" && format != "json" {
				return xerr.BadInputf("--format %q: want xlsx, csv or json", format)
			}
			if format == "xlsx" && (out == "" || out == "-") && env.IsTerminal {
				return xerr.BadInputf("an XLSX workbook is binary: give -o FILE.xlsx")
			}
			if err := checkOutput(out); err != nil {
				return err
			}
			d, err := parseAsOf(env, asOf)
			if err != nil {
				return err
			}
			set, err := rulepack.LoadWithDefaults(packs, rulepack.Limits{})
			if err != nil {
				return err
			}
			inv, err := inventory.Load(args, inventory.Options{Facts: set, Items: set})
			if err != nil {
				return err
			}
			var measured map[string]assess.Measurement
			if !noScan {
				if measured, err = measureAssets(c.Context(), env, inv, &mf); err != nil {
					return err
				}
			}
			a := assess.Run(c.Context(), inv, set, assess.Options{AsOf: d, Calendar: calendar.Weekends(), Measured: measured})
			names := map[string]string{}
			for id, it := range set.Items {
				names[id] = it.Name
			}
			f := report.BuildFiling(a, inv, names)
			return writeOutput(env, out, func(w io.Writer) error {
				switch format {
				case "csv":
					return report.FilingCSV(w, f)
				case "json":
					return report.FilingJSON(w, f)
				}
				return report.FilingXLSX(w, f)
			})
		},
	}
	fl := export.Flags()
	fl.StringVar(&format, "format", "", "xlsx, csv or json (default: from the -o extension, else xlsx)")
	fl.StringVarP(&out, "output", "o", "", "write to FILE (written atomically)")
	fl.StringVar(&asOf, "as-of", "", "assess as of this date, YYYY-MM-DD (default: today in China time)")
	fl.StringArrayVar(&packs, "pack", nil, "load another rule pack (file or built-in id)")
	fl.BoolVar(&noScan, "no-scan", false, "do not measure the assets' sources")
	mf.register(export)
	c.AddCommand(export)
	return c
}
