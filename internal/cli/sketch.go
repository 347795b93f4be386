package cli

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/scan"
	"github.com/xborder/xborder/internal/scan/distinct"
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
	var format, out, sketchOut, keyFile string
	merge := &cobra.Command{
		Use:   "merge SKETCH...",
		Short: "Merge sketches written by `scan --sketch-out` into one scan report",
		Long: `merge combines the sketches of shards scanned separately (other files, other machines) into
one report: counts add up, distinct counts are unions (exact while the union stays within the
exact limit, else HyperLogLog), time spans and places combine. The result equals a single scan
of all the shards' files. Merging needs no key. It refuses (exit 2) the same sketch twice, a file
already merged, sketches made with different sketch keys, and sketches placed with different
boundaries.`,
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
			keyed, err := useSketchKey(env, keyFile)
			if err != nil {
				return err
			}
			var limit int
			var sketches []*scan.Sketch
			seen := map[string]string{} // content digest -> path
			for _, p := range args {
				raw, err := os.ReadFile(p)
				if err != nil {
					return xerr.BadInput(err)
				}
				sum := sha256.Sum256(raw)
				if q, ok := seen[string(sum[:])]; ok {
					return xerr.BadInputf("%s: the same sketch as %s (given twice?): merging it again would count its files twice", p, q)
				}
				seen[string(sum[:])] = p
				k, err := scan.ReadSketch(bytes.NewReader(raw))
				if err != nil {
					return xerr.BadInputf("%s: %v", p, err)
				}
				k.Source = p
				if keyed && k.KeyID != distinct.KeyID() {
					return xerr.BadInputf("%s: made with sketch key %s, not with the key given (%s)", p, k.KeyID, distinct.KeyID())
				}
				if limit == 0 || k.ExactLimit < limit {
					limit = k.ExactLimit
				}
				sketches = append(sketches, k)
			}
			s := scan.NewScanner(scan.Options{ExactLimit: limit})
			for _, k := range sketches {
				if err := s.MergeSketch(k); err != nil {
					return xerr.BadInput(err)
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
	merge.Flags().StringVar(&keyFile, "sketch-key-file", "", "check that every sketch was made with the key in FILE (default $XBORDER_SKETCH_KEY; merging needs no key)")
	c.AddCommand(merge)

	var keyOut string
	keygen := &cobra.Command{
		Use:   "keygen",
		Short: "Make a random sketch key (for scan --sketch-key-file)",
		Long: `keygen writes a new random key (32 bytes, hex) for the keyed hashes of scan sketches. Scan every
shard with the same key file, keep it secret and where the data is: anyone holding it can test
guesses of the phone and ID numbers behind a sketch's hashes. Merging sketches needs no key.`,
		Example: `  xborder sketch keygen -o /etc/xborder/sketch.key`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var b [32]byte
			if _, err := rand.Read(b[:]); err != nil {
				return err
			}
			key := hex.EncodeToString(b[:]) + "\n"
			if keyOut == "" {
				_, err := io.WriteString(env.Stdout, key)
				return err
			}
			fh, err := os.OpenFile(keyOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return xerr.BadInputf("--output: %v (keygen never overwrites a key)", err)
			}
			if _, err := io.WriteString(fh, key); err != nil {
				fh.Close()
				os.Remove(keyOut)
				return err
			}
			return fh.Close()
		},
	}
	keygen.Flags().StringVarP(&keyOut, "output", "o", "", "write the key to FILE (mode 0600, never over an existing file) instead of stdout")
	c.AddCommand(keygen)
	return c
}

// useSketchKey sets the process's hash key from --sketch-key-file FILE, else
// $XBORDER_SKETCH_KEY, and says whether one was given; without one, counting
// uses a new random key (and no sketch can be written).
func useSketchKey(env *Env, file string) (bool, error) {
	var material []byte
	from := ""
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return false, xerr.BadInputf("--sketch-key-file: %v", err)
		}
		material, from = b, "--sketch-key-file "+file
	case env.Getenv != nil && env.Getenv("XBORDER_SKETCH_KEY") != "":
		material, from = []byte(env.Getenv("XBORDER_SKETCH_KEY")), "XBORDER_SKETCH_KEY"
	default:
		distinct.UseEphemeralKey()
		return false, nil
	}
	if err := distinct.SetKey(material); err != nil {
		return false, xerr.BadInputf("%s: %v", from, err)
	}
	return true, nil
}
