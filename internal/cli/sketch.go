package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/scan"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newSketchCmd) }

func newSketchCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "sketch",
		Short: "Work with scan sketches (merge shards scanned separately)",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	var format, out, sketchOut string
	merge := &cobra.Command{
		Use:   "merge SKETCH...",
		Short: "Merge sketches written by `scan --sketch-out` into one scan report",
		Long: `merge combines the sketches of shards scanned separately (other files, other machines) into
one report: counts add up, distinct counts are unions (exact while the union stays within the
exact limit, else HyperLogLog), time spans and places combine. The result equals a single scan
of all the shards' files.`,
		Example: `  xborder sketch merge shard-*.sketch --format json -o lake.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			for _, o := range []string{out, sketchOut} {
				if err := checkOutput(o); err != nil {
					return err
				}
			}
			var limit int
			var sketches []*scan.Sketch
			for _, p := range args {
				fh, err := os.Open(p)
				if err != nil {
					return xerr.BadInput(err)
				}
				k, err := scan.ReadSketch(fh)
				fh.Close()
				if err != nil {
					return xerr.BadInputf("%s: %v", p, err)
				}
				if limit == 0 || k.ExactLimit < limit {
					limit = k.ExactLimit
				}
				sketches = append(sketches, k)
			}
			s := scan.NewScanner(scan.Options{ExactLimit: limit})
			for i, k := range sketches {
				if err := s.MergeSketch(k); err != nil {
					return xerr.BadInputf("%s: %v", args[i], err)
				}
			}
			if sketchOut != "" {
				if err := writeFile(sketchOut, s.WriteSketch); err != nil {
					return err
				}
			}
			return writeScanReport(env, out, format, s.Report())
		},
	}
	merge.Flags().StringVar(&format, "format", "table", "output format: table, json or sarif")
	merge.Flags().StringVarP(&out, "output", "o", "", "write the report to FILE (atomically)")
	merge.Flags().StringVar(&sketchOut, "sketch-out", "", "also write the merged sketch to FILE")
	c.AddCommand(merge)
	return c
}
