package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/gen"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newGenCmd) }

func newGenCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "gen",
		Short: "Generate synthetic data with known truth (benchmarks, examples)",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	var size, out, truth string
	var rows int64
	var seed int64
	var fleet int
	var days float64
	t := &cobra.Command{
		Use:   "telemetry",
		Short: "Write synthetic vehicle telemetry CSV (ts_ms,vin,plate,lat,lon,speed,soc,event) and its truth",
		Long: `telemetry writes about 80-byte CSV rows: epoch-ms time, VIN (valid check digit), plate, WGS-84
latitude and longitude around 32 mainland prefecture seats and Hong Kong, speed, state of charge
and an event, for a fleet of vehicles (default 200,000). The truth (rows, distinct VINs and plates,
vehicles in mainland China, time span, provinces, prefectures) is written as JSON beside the file
(FILE.truth.json) so a scan can be checked against it.`,
		Example: `  xborder gen telemetry --size 1GB --seed 1 -o /tmp/telemetry.csv
  xborder gen telemetry --rows 500 --fleet 40 --seed 7 -o examples/acme-motors/data/road-test.csv`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if out == "" || out == "-" {
				return xerr.BadInputf("-o FILE is required (the truth is written beside it)")
			}
			opt := gen.TelemetryOptions{Seed: seed, Rows: rows, Fleet: fleet, Days: days}
			if size != "" {
				n, err := parseSize(size)
				if err != nil {
					return xerr.BadInputf("--size: %v", err)
				}
				opt.Size = n
			}
			if (opt.Size > 0) == (opt.Rows > 0) {
				return xerr.BadInputf("give exactly one of --size and --rows")
			}
			if fleet < 1 || fleet > 1000000 {
				return xerr.BadInputf("--fleet must be 1 to 1000000")
			}
			if truth == "" {
				truth = out + ".truth.json"
			}
			for _, o := range []string{out, truth} {
				if err := checkOutput(o); err != nil {
					return err
				}
			}
			var tr *gen.Truth
			err := writeFile(out, func(w io.Writer) error {
				var err error
				tr, err = gen.Telemetry(w, opt)
				return err
			})
			if err != nil {
				return err
			}
			b, _ := json.MarshalIndent(tr, "", "  ")
			if err := writeFile(truth, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s: %d rows, %d bytes, %d distinct VINs, %d vehicles in mainland China; truth in %s\n",
				out, tr.Rows, tr.Bytes, tr.DistinctVINs, tr.VehiclesInChina, truth)
			return nil
		},
	}
	fl := t.Flags()
	fl.StringVar(&size, "size", "", "target size, e.g. 1GB, 200MB, 64KiB")
	fl.Int64Var(&rows, "rows", 0, "exact number of rows instead of --size")
	fl.Int64Var(&seed, "seed", 1, "random seed (same seed, same file)")
	fl.IntVar(&fleet, "fleet", 200000, "number of vehicles")
	fl.Float64Var(&days, "days", 30, "days the timestamps span")
	fl.StringVarP(&out, "output", "o", "", "output FILE")
	fl.StringVar(&truth, "truth", "", "truth file (default FILE.truth.json)")
	c.AddCommand(t)
	return c
}

// parseSize reads 1GB (10^9), 1GiB (2^30), 200MB, 64kB, 1000.
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, x := range []struct {
		suf string
		m   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1e9}, {"M", 1e6}, {"K", 1e3}, {"B", 1}} {
		if strings.HasSuffix(u, x.suf) {
			u, mult = strings.TrimSpace(strings.TrimSuffix(u, x.suf)), x.m
			break
		}
	}
	n, err := strconv.ParseFloat(u, 64)
	if err != nil || n <= 0 || n*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("%q is not a size like 1GB or 200MB", s)
	}
	return int64(n * float64(mult)), nil
}
