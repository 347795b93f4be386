package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newAuditCmd) }

// dbURL is the --db value, else $XBORDER_DB, else the default database.
func dbURL(env *Env, flag string) string {
	if flag != "" {
		return flag
	}
	if v := env.Getenv("XBORDER_DB"); v != "" {
		return v
	}
	return store.DefaultURL
}

// openExistingDB opens a database that must already exist: verifying or
// exporting a mistyped SQLite path must not create an empty log that then
// "verifies".
func openExistingDB(ctx context.Context, url string) (store.Store, error) {
	if store.Scheme(url) == "sqlite" {
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if _, err := os.Stat(path); err != nil {
			return nil, xerr.BadInputf("no database at %s: %v", path, err)
		}
	}
	return openDB(ctx, url)
}

// loadSigner returns the --signing-key FILE signer (registering its public
// key in the database), else the database's own key.
func loadSigner(ctx context.Context, env *Env, tx store.Tx, file string) (*audit.Signer, error) {
	if file == "" {
		return tx.SigningKey(ctx, env.Now())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, xerr.BadInputf("--signing-key: %v", err)
	}
	s, err := audit.NewSigner(string(b))
	if err != nil {
		return nil, xerr.BadInputf("--signing-key %s: %v", file, err)
	}
	if err := tx.AddVerifierKey(ctx, s.VerifierKey(), env.Now()); err != nil {
		return nil, err
	}
	return s, nil
}

func newAuditCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Verify, export, checkpoint and archive the tamper-evident audit log",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(newAuditVerifyCmd(env), newAuditExportCmd(env), newAuditCheckpointCmd(env), newAuditArchiveCmd(env), newAuditKeygenCmd(env))
	return c
}

// ---- verify ----

// VerifySchema versions the JSON output of `audit verify`.
const VerifySchema = "xborder.audit-verify/v1"

type verifyJSON struct {
	Schema string `json:"schema"`
	Source string `json:"source"`
	OK     bool   `json:"ok"`
	*audit.Report
	// State: the totals, approval usage and check records recomputed from
	// the log (a database only; absent for a bundle or with --no-state).
	State *gateway.StateReport `json:"state,omitempty"`
}

func newAuditVerifyCmd(env *Env) *cobra.Command {
	var db, bundle, format, out string
	var keys []string
	var noState bool
	c := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the whole log and check every checkpoint and archive record",
		Long: "Recomputes every leaf hash from the stored entry bytes and the Merkle tree from scratch, checks every\n" +
			"signed checkpoint's root and signature, the hash chain and every archive record, and names the first\n" +
			"bad entry. On a database it then recomputes the yearly totals, the approval usage and the recorded\n" +
			"checks from the log's transfer.check entries and compares them with the stored ones (--no-state skips\n" +
			"this). Exit 0: everything verifies; 1: it does not; 2: bad input (unreadable bundle, bad flags).",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return xerr.BadInputf("--format %q: want table or json", format)
			}
			if bundle != "" && db != "" {
				return xerr.BadInputf("give --db or --bundle, not both")
			}
			if err := checkOutput(out); err != nil {
				return err
			}
			trusted, err := readKeys(keys)
			if err != nil {
				return err
			}
			opt := audit.Options{TrustedKeys: trusted}
			ctx := c.Context()
			var rep *audit.Report
			var state *gateway.StateReport
			var source string
			if bundle != "" {
				source = bundle
				if _, err := os.Stat(bundle); err != nil {
					return xerr.BadInputf("--bundle: %v", err)
				}
				src := &audit.BundleSource{Name: bundle, Open: func() (io.ReadCloser, error) { return os.Open(bundle) }}
				rep, err = audit.Verify(ctx, src, opt)
				if err != nil {
					return xerr.BadInput(err)
				}
			} else {
				url := dbURL(env, db)
				source = redactURL(url)
				st, err := openExistingDB(ctx, url)
				if err != nil {
					return err
				}
				defer st.Close()
				err = st.View(ctx, func(tx store.ReadTx) error {
					var err error
					if rep, err = audit.Verify(ctx, store.AuditSource(tx), opt); err != nil || noState {
						return err
					}
					state, err = gateway.VerifyState(ctx, tx)
					return err
				})
				if err != nil {
					return fmt.Errorf("verify %s: %w", source, err)
				}
			}
			err = writeOutput(env, out, func(w io.Writer) error {
				if format == "json" {
					return writeJSON(w, verifyJSON{Schema: VerifySchema, Source: source, OK: rep.OK() && (state == nil || state.OK()), Report: rep, State: state})
				}
				return verifyTable(w, source, rep, state)
			})
			if err != nil {
				return err
			}
			if rep.OK() && state != nil && !state.OK() {
				return xerr.CheckFailed(fmt.Errorf("the stored state does not match the log: %s", state.Problems[0].Text))
			}
			if !rep.OK() {
				if rep.FirstBad >= 0 {
					return xerr.CheckFailed(fmt.Errorf("audit log does not verify: first bad entry %d: %s", rep.FirstBad, rep.Problems[0].Text))
				}
				return xerr.CheckFailed(fmt.Errorf("audit log does not verify: %s", rep.Problems[0].Text))
			}
			return nil
		},
	}
	c.Flags().StringVar(&db, "db", "", "database URL: sqlite:PATH or postgres://... (default $XBORDER_DB, else "+store.DefaultURL+")")
	c.Flags().StringVar(&bundle, "bundle", "", "verify an exported bundle offline instead of a database")
	c.Flags().BoolVar(&noState, "no-state", false, "verify the log only, not the stored totals, approval usage and check records against it")
	c.Flags().StringArrayVar(&keys, "key", nil, "trust only this public key (note verifier key, or a file of them); repeatable")
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	c.Flags().StringVarP(&out, "output", "o", "", "write the report to FILE")
	return c
}

// readKeys takes verifier keys given inline or as files of one key per line.
func readKeys(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if b, err := os.ReadFile(a); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					out = append(out, l)
				}
			}
			continue
		}
		out = append(out, a)
	}
	if _, err := audit.NewVerifiers(out...); err != nil {
		return nil, xerr.BadInputf("--key: %v", err)
	}
	return out, nil
}

func verifyTable(w io.Writer, source string, r *audit.Report, state *gateway.StateReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "audit log\t%s (%s)\n", r.Origin, source)
	fmt.Fprintf(tw, "entries\t%d (%d archived, %d archive records)\n", r.Size, r.Archived, r.ArchiveRecords)
	fmt.Fprintf(tw, "checkpoints\t%d, latest at size %d (%d newer entries not yet signed)\n", r.Checkpoints, r.LatestCheckpoint, r.Unsigned)
	fmt.Fprintf(tw, "root\t%s\n", r.Root)
	fmt.Fprintf(tw, "keys\t%s\n", strings.Join(r.Keys, ", "))
	if r.OK() {
		fmt.Fprintf(tw, "result\tOK (verified in %s)\n", r.Elapsed)
	} else if r.FirstBad >= 0 {
		fmt.Fprintf(tw, "result\tFAILED: first bad entry %d\n", r.FirstBad)
	} else {
		fmt.Fprintf(tw, "result\tFAILED\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range r.Problems {
		if _, err := fmt.Fprintf(w, "  - %s\n", p.Text); err != nil {
			return err
		}
	}
	if state == nil {
		return nil
	}
	res := "OK"
	if !state.OK() {
		res = fmt.Sprintf("FAILED (%d problems)", len(state.Problems))
	}
	fmt.Fprintf(w, "%-13s%s: %d check entries, %d check records, %d yearly totals, %d approval usages recomputed from the log (%s)\n",
		"state", res, state.CheckEntries, state.CheckRecords, state.YearTotals, state.ApprovalUsages, state.Elapsed)
	for _, s := range state.Skipped {
		fmt.Fprintf(w, "  skipped: %s\n", s)
	}
	for _, p := range state.Problems {
		if _, err := fmt.Fprintf(w, "  - %s\n", p.Text); err != nil {
			return err
		}
	}
	return nil
}

// ---- export ----

func newAuditExportCmd(env *Env) *cobra.Command {
	var db, out string
	c := &cobra.Command{
		Use:   "export",
		Short: "Write a self-contained bundle an inspector verifies offline with `xborder audit verify --bundle`",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if out == "" {
				return xerr.BadInputf("-o FILE is required (the bundle is gzip-compressed)")
			}
			if err := checkOutput(out); err != nil {
				return err
			}
			ctx := c.Context()
			url := dbURL(env, db)
			st, err := openExistingDB(ctx, url)
			if err != nil {
				return err
			}
			defer st.Close()
			var n uint64
			err = st.View(ctx, func(tx store.ReadTx) error {
				origin, err := tx.Origin(ctx)
				if err != nil {
					return err
				}
				return writeOutput(env, out, func(w io.Writer) error {
					n, err = audit.WriteBundle(ctx, w, store.AuditSource(tx), origin, env.Now())
					return err
				})
			})
			if err != nil {
				return fmt.Errorf("export %s: %w", redactURL(url), err)
			}
			if out != "-" {
				fmt.Fprintf(env.Stderr, "wrote %d entries to %s\n", n, out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&db, "db", "", "database URL (default $XBORDER_DB, else "+store.DefaultURL+")")
	c.Flags().StringVarP(&out, "output", "o", "", "bundle file to write (- for stdout)")
	return c
}

// ---- checkpoint ----

func newAuditCheckpointCmd(env *Env) *cobra.Command {
	var db, keyFile string
	c := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the log as it stands now and print it",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			st, err := openExistingDB(ctx, dbURL(env, db))
			if err != nil {
				return err
			}
			defer st.Close()
			var sc audit.SignedCheckpoint
			err = st.Update(ctx, func(tx store.Tx) error {
				s, err := loadSigner(ctx, env, tx, keyFile)
				if err != nil {
					return err
				}
				sc, err = tx.SignCheckpoint(ctx, s, env.Now())
				return err
			})
			if err != nil {
				return err
			}
			_, err = env.Stdout.Write(sc.Note)
			return err
		},
	}
	c.Flags().StringVar(&db, "db", "", "database URL (default $XBORDER_DB, else "+store.DefaultURL+")")
	c.Flags().StringVar(&keyFile, "signing-key", "", "sign with this note key file instead of the database's key")
	return c
}

// ---- archive ----

func newAuditArchiveCmd(env *Env) *cobra.Command {
	var db, keyFile, actor string
	var dryRun bool
	c := &cobra.Command{
		Use:   "archive",
		Short: "Remove the contents of entries older than 3 years behind a signed archive record",
		Long: "Entries logged more than " + fmt.Sprint(audit.RetentionYears) + " years ago lose their contents; their hashes stay, and a signed\n" +
			"archive record (range, count, compact range and root at the cut) lets verification continue.\n" +
			"Younger entries are never removed.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			st, err := openExistingDB(ctx, dbURL(env, db))
			if err != nil {
				return err
			}
			defer st.Close()
			now := env.Now()
			cutoff := audit.RetentionCutoff(now)
			var rec audit.ArchiveRecord
			var to uint64
			errNothing := errors.New("nothing to archive")
			err = st.Update(ctx, func(tx store.Tx) error {
				// The first entry logged at or after the cutoff ends the cut.
				size, err := tx.LogSize(ctx)
				if err != nil {
					return err
				}
				to, err = firstAtOrAfter(ctx, tx, size, cutoff)
				if err != nil {
					return err
				}
				to -= to % store.ArchiveGranularity // whole tiles only
				recs, err := tx.ArchiveRecords(ctx)
				if err != nil {
					return err
				}
				var from uint64
				if len(recs) > 0 {
					text, _ := audit.NoteText(recs[len(recs)-1])
					if a, err := audit.ParseArchiveRecord(text); err == nil {
						from = a.To
					}
				}
				if to <= from {
					to = 0
					return errNothing
				}
				if dryRun {
					return errNothing
				}
				s, err := loadSigner(ctx, env, tx, keyFile)
				if err != nil {
					return err
				}
				if rec, err = tx.ArchiveAudit(ctx, s, to, now); err != nil {
					return err
				}
				body, _ := json.Marshal(map[string]any{"from": rec.From, "to": rec.To, "count": rec.Count(), "before": rec.Before.Format(time.RFC3339)})
				_, err = tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "audit.archive", Actor: actor, Body: body})
				return err
			})
			if errors.Is(err, errNothing) {
				if dryRun && to > 0 {
					fmt.Fprintf(env.Stdout, "would archive entries before %d (logged before %s)\n", to, cutoff.Format(time.RFC3339))
				} else {
					fmt.Fprintf(env.Stdout, "nothing to archive: no entry logged before %s remains\n", cutoff.Format(time.RFC3339))
				}
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "archived entries %d to %d (%d) logged before %s\n", rec.From, rec.To-1, rec.Count(), rec.Before.Format(time.RFC3339))
			return nil
		},
	}
	c.Flags().StringVar(&db, "db", "", "database URL (default $XBORDER_DB, else "+store.DefaultURL+")")
	c.Flags().StringVar(&keyFile, "signing-key", "", "sign with this note key file instead of the database's key")
	c.Flags().StringVar(&actor, "actor", "cli:archive", "who archives, recorded in the log")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "only say what would be archived")
	return c
}

// firstAtOrAfter finds the first entry logged at or after t by binary search
// (log times never go backwards).
func firstAtOrAfter(ctx context.Context, tx store.ReadTx, size uint64, t time.Time) (uint64, error) {
	lo, hi := uint64(0), size
	for lo < hi {
		mid := lo + (hi-lo)/2
		var ts int64
		err := tx.Entries(ctx, mid, mid+1, func(e audit.StoredEntry) error {
			ts = e.Time
			if ts == 0 && e.Data != nil {
				if d, err := audit.Decode(e.Data); err == nil {
					ts = d.Time.UnixNano()
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		if ts >= t.UnixNano() {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// ---- keygen ----

func newAuditKeygenCmd(env *Env) *cobra.Command {
	var name, out string
	c := &cobra.Command{
		Use:   "keygen",
		Short: "Make an Ed25519 note signing key for --signing-key (prints the public key)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if out == "" {
				return xerr.BadInputf("-o FILE is required: the secret key is never printed")
			}
			skey, vkey, err := audit.GenerateKey(name)
			if err != nil {
				return xerr.BadInputf("--name %q: %v", name, err)
			}
			if _, err := os.Stat(out); err == nil {
				return xerr.BadInputf("%s exists: refusing to overwrite a signing key", out)
			}
			if err := checkOutput(out); err != nil {
				return err
			}
			if err := writeSecret(out, []byte(skey+"\n")); err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, vkey)
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "xborder.audit", "key name (no spaces or +)")
	c.Flags().StringVarP(&out, "output", "o", "", "file for the secret key (mode 0600)")
	return c
}
