package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/scan"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newScanCmd) }

type scanFlags struct {
	format        string
	out           string
	crs           string
	boundaries    string
	boundariesCRS string
	sketchOut     string
	sketchKeyFile string
	workers       int
	maxProblems   int
	exactLimit    int
	noProgress    bool
}

func newScanCmd(env *Env) *cobra.Command {
	f := &scanFlags{}
	c := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Detect automotive personal and important data in files and print measured facts",
		Long: `scan reads CSV/TSV (any delimiter, with or without header, UTF-8 or GB18030), JSON Lines,
JSON, GeoJSON, GeoLife .plt and plain text, gzip-compressed or not; a directory is read recursively
and globs (also **) are expanded. It counts VINs, plates, resident ID numbers, mobile numbers and
device ids (distinct exactly up to 1,048,576 values, then by HyperLogLog, 0.41% standard error),
the time span, and where the coordinates fall (mainland China, province, prefecture), and maps
them to the facts the rule packs use. Samples are masked. Malformed rows are counted and
reported with their line numbers; a file with some is "partial", never silently skipped.`,
		Example: `  xborder scan data/telemetry/
  xborder scan 'exports/**/*.csv.gz' --format json -o scan.json
  xborder sketch keygen -o team.key                     # once; share it with every shard, keep it secret
  xborder scan shard-01/ --sketch-key-file team.key --sketch-out shard-01.sketch   # then: xborder sketch merge *.sketch
  xborder scan didi.csv --crs gcj02 --format sarif -o scan.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runScan(c.Context(), env, f, args) },
	}
	fl := c.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table, json or sarif")
	fl.StringVarP(&f.out, "output", "o", "", "write the report to FILE (atomically) instead of stdout")
	fl.StringVar(&f.crs, "crs", "", "coordinate system of every file: wgs84, gcj02 or bd09 (default: named by the file, else wgs84 assumed)")
	fl.StringVar(&f.boundaries, "boundaries", "", "GeoJSON boundaries with GB/T 2260 codes instead of the built-in approximate ones")
	fl.StringVar(&f.boundariesCRS, "boundaries-crs", "", "coordinate system of the --boundaries file: wgs84 (default), gcj02 or bd09")
	fl.StringVar(&f.sketchOut, "sketch-out", "", "also write a mergeable sketch of this scan to FILE (needs a sketch key)")
	fl.StringVar(&f.sketchKeyFile, "sketch-key-file", "", "FILE holding the secret key of the sketch's hashes (default $XBORDER_SKETCH_KEY; make one with: xborder sketch keygen -o FILE)")
	fl.IntVar(&f.workers, "workers", 0, "parsing goroutines (default: number of CPUs)")
	fl.IntVar(&f.maxProblems, "max-problems", 20, "problems listed per file")
	fl.IntVar(&f.exactLimit, "exact-limit", 0, "distinct values counted exactly before switching to HyperLogLog (default 1048576)")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar on a terminal")
	_ = fl.MarkHidden("exact-limit")
	return c
}

func scanOptions(f *scanFlags) (scan.Options, error) {
	crs, err := scan.NormalizeCRS(f.crs)
	if err != nil {
		return scan.Options{}, xerr.BadInputf("--crs: %v", err)
	}
	g, err := loadGeo(f.boundaries, f.boundariesCRS)
	if err != nil {
		return scan.Options{}, err
	}
	if f.exactLimit < 0 || f.workers < 0 || f.maxProblems < 0 {
		return scan.Options{}, xerr.BadInputf("--workers, --max-problems and --exact-limit must not be negative")
	}
	return scan.Options{CRS: crs, Geo: g, Workers: f.workers, MaxProblems: f.maxProblems, ExactLimit: f.exactLimit}, nil
}

func checkFormat(format string) error {
	switch format {
	case "table", "json", "sarif":
		return nil
	}
	return xerr.BadInputf("--format %q: want table, json or sarif", format)
}

func runScan(ctx context.Context, env *Env, f *scanFlags, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkFormat(f.format); err != nil {
		return err
	}
	for _, out := range []string{f.out, f.sketchOut} {
		if err := checkOutput(out); err != nil {
			return err
		}
	}
	opt, err := scanOptions(f)
	if err != nil {
		return err
	}
	keyed, err := useSketchKey(env, f.sketchKeyFile)
	if err != nil {
		return err
	}
	if f.sketchOut != "" && !keyed {
		return xerr.BadInputf("--sketch-out: %v", scan.ErrNoSketchKey)
	}
	files, err := scan.ExpandPaths(args)
	if err != nil {
		return xerr.BadInput(err)
	}
	// An unreadable file is bad input (exit 2), found before any output.
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			return xerr.BadInput(err)
		}
		fh.Close()
	}
	s := scan.NewScanner(opt)
	stop := startProgress(env, s, f.noProgress)
	err = s.ScanFiles(ctx, files)
	stop()
	if err != nil {
		return err
	}
	r := s.Report()
	if f.sketchOut != "" {
		if err := writeFile(f.sketchOut, s.WriteSketch); err != nil {
			return err
		}
	}
	return writeScanReport(env, f.out, f.format, r)
}

func writeScanReport(env *Env, out, format string, r *scan.Report) error {
	return writeOutput(env, out, func(w io.Writer) error {
		switch format {
		case "json":
			return scan.WriteJSON(w, r)
		case "sarif":
			return scan.WriteSARIF(w, r)
		}
		return scan.WriteTable(w, r)
	})
}

// startProgress draws bytes read and throughput on stderr, only when it is a
// terminal; the returned function erases the line.
func startProgress(env *Env, s *scan.Scanner, off bool) func() {
	if !env.IsTerminal || off {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := env.Now()
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(env.Stderr, "\r\033[K")
				return
			case <-t.C:
				n, total := s.Progress()
				fmt.Fprint(env.Stderr, progressLine(n, total, env.Now().Sub(start).Seconds()))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// progressLine redraws the progress line: bytes read, total, throughput.
func progressLine(n, total int64, secs float64) string {
	rate := 0.0
	if secs > 0 {
		rate = float64(n) / secs
	}
	pct := ""
	if total > 0 {
		pct = fmt.Sprintf(" (%d%%)", min(100, n*100/total))
	}
	return fmt.Sprintf("\r\033[Kscanning %s / %s%s  %s/s", humanBytes(float64(n)), humanBytes(float64(total)), pct, humanBytes(rate))
}

func humanBytes(v float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// loadGeo loads the boundaries for scans: built in, or a user's GeoJSON in
// the coordinate system given.
func loadGeo(boundaries, crs string) (*scan.Geo, error) {
	if crs != "" && boundaries == "" {
		return nil, xerr.BadInputf("--boundaries-crs needs --boundaries")
	}
	if crs != "" {
		if _, err := scan.NormalizeCRS(crs); err != nil {
			return nil, xerr.BadInputf("--boundaries-crs: %v", err)
		}
	}
	g, err := scan.LoadGeoCRS(boundaries, crs)
	if err != nil {
		if boundaries != "" {
			return nil, xerr.BadInputf("--boundaries: %v", err)
		}
		return nil, err
	}
	return g, nil
}
