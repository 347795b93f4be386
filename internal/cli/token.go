package cli

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newTokenCmd) }

func newTokenCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	var db, role, name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token: it is printed once and only its SHA-256 hash is stored",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if !store.ValidRole(role) {
				return xerr.BadInputf("--role %q: want one of %s", role, strings.Join(store.Roles, ", "))
			}
			if len(name) > 100 || strings.ContainsAny(name, "\n\r\t") || strings.Contains(name, audit.TokenPrefix) {
				return xerr.BadInputf("--name: at most 100 characters on one line")
			}
			ctx := c.Context()
			st, err := openDB(ctx, dbURL(env, db))
			if err != nil {
				return err
			}
			defer st.Close()
			tok, err := store.NewToken()
			if err != nil {
				return err
			}
			hash := store.TokenHash(tok)
			now := env.Now()
			err = st.Update(ctx, func(tx store.Tx) error {
				if err := tx.CreateToken(ctx, store.TokenRecord{Hash: hash, Role: role, Name: name, Created: now}); err != nil {
					return err
				}
				// The log names the token by a hash prefix, never the token.
				body, _ := json.Marshal(map[string]string{"role": role, "name": name, "token_sha256_prefix": store.TokenPrefix(hash)})
				_, err := tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "token.create", Actor: "cli", Body: body})
				return err
			})
			if err != nil {
				return fmt.Errorf("create token: %w", err)
			}
			fmt.Fprintln(env.Stdout, tok)
			fmt.Fprintf(env.Stderr, "created %s token %q; it is shown only now: store it safely\n", role, name)
			return nil
		},
	}
	create.Flags().StringVar(&db, "db", "", "database URL: sqlite:PATH or postgres://... (default $XBORDER_DB, else "+store.DefaultURL+")")
	create.Flags().StringVar(&role, "role", "", "admin, officer, engineer or auditor (read-only)")
	create.Flags().StringVar(&name, "name", "", "who or what the token is for")
	c.AddCommand(create, newTokenListCmd(env), newTokenRevokeCmd(env))
	return c
}

// tokenJSON is one token as `token list --format json` shows it: never the
// token, only the prefix of its SHA-256 that the audit log names it by.
type tokenJSON struct {
	Name    string     `json:"name"`
	Role    string     `json:"role"`
	Created time.Time  `json:"created"`
	Prefix  string     `json:"token_sha256_prefix"`
	Revoked *time.Time `json:"revoked"`
}

func newTokenListCmd(env *Env) *cobra.Command {
	var db, format, out string
	c := &cobra.Command{
		Use:   "list",
		Short: "List API tokens: name, role, created, the SHA-256 prefix the audit log names them by, revoked",
		Long: "Lists every token ever created, oldest first, revoked ones included (with the time of revocation).\n" +
			"A token is shown by the first 8 hex digits of its SHA-256 (token_sha256_prefix in the audit log's\n" +
			"token.create and token.revoke entries), never by the token itself, which is not stored.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return xerr.BadInputf("--format %q: want table or json", format)
			}
			if err := checkOutput(out); err != nil {
				return err
			}
			ctx := c.Context()
			st, err := openExistingDB(ctx, dbURL(env, db))
			if err != nil {
				return err
			}
			defer st.Close()
			var toks []store.TokenRecord
			err = st.View(ctx, func(tx store.ReadTx) error {
				var err error
				toks, err = tx.ListTokens(ctx)
				return err
			})
			if err != nil {
				return fmt.Errorf("list tokens: %w", err)
			}
			return writeOutput(env, out, func(w io.Writer) error {
				if format == "json" {
					out := struct {
						Tokens []tokenJSON `json:"tokens"`
					}{Tokens: []tokenJSON{}}
					for _, t := range toks {
						j := tokenJSON{Name: t.Name, Role: t.Role, Created: t.Created.UTC(), Prefix: t.Prefix()}
						if !t.Live() {
							r := t.Revoked.UTC()
							j.Revoked = &r
						}
						out.Tokens = append(out.Tokens, j)
					}
					return writeJSON(w, out)
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "PREFIX\tROLE\tNAME\tCREATED\tREVOKED")
				for _, t := range toks {
					revoked := "-"
					if !t.Live() {
						revoked = t.Revoked.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Prefix(), t.Role, displayName(t.Name), t.Created.UTC().Format(time.RFC3339), revoked)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				live := 0
				for _, t := range toks {
					if t.Live() {
						live++
					}
				}
				_, err := fmt.Fprintf(w, "%d tokens, %d live\n", len(toks), live)
				return err
			})
		},
	}
	c.Flags().StringVar(&db, "db", "", "database URL: sqlite:PATH or postgres://... (default $XBORDER_DB, else "+store.DefaultURL+")")
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	c.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output (written atomically)")
	return c
}

// displayName shows a token's name in a table; a token made without
// --name has none.
func displayName(n string) string {
	if n == "" {
		return "(no name)"
	}
	return n
}

// roundDuration says d in words when it is whole minutes ("1 minute").
func roundDuration(d time.Duration) string {
	switch m := int64(d / time.Minute); {
	case d%time.Minute != 0 || m == 0:
		return d.String()
	case m == 1:
		return "1 minute"
	default:
		return fmt.Sprintf("%d minutes", m)
	}
}

// describeTokens lists tokens one a line, by prefix, for messages.
func describeTokens(toks []store.TokenRecord) string {
	var b strings.Builder
	for _, t := range toks {
		fmt.Fprintf(&b, "\n  %s  %s  %s  created %s", t.Prefix(), t.Role, displayName(t.Name), t.Created.UTC().Format(time.RFC3339))
		if !t.Live() {
			fmt.Fprintf(&b, "  revoked %s", t.Revoked.UTC().Format(time.RFC3339))
		}
	}
	return b.String()
}

func newTokenRevokeCmd(env *Env) *cobra.Command {
	var db, name, prefix string
	c := &cobra.Command{
		Use:   "revoke (--name NAME | --prefix HEXPREFIX)",
		Short: "Revoke an API token: servers refuse it like an unknown token; its record stays",
		Long: "Marks one live token revoked, chosen by its name or by a prefix of its SHA-256 (at least 8 hex\n" +
			"digits, as `xborder token list` shows it), and appends a token.revoke entry to the audit log in the\n" +
			"same transaction. The token's row stays, with the time of revocation: who held which token matters\n" +
			"for audits. A name or prefix that matches several live tokens, or none, is refused (exit 2).\n" +
			"Running servers refuse the token within their token cache's lifetime (serve --auth-cache-ttl:\n" +
			"1 minute unless set, at most 1 hour; see docs/operations.md). Revoking the last live admin token is allowed, with a warning: serve does not\n" +
			"make a new first admin on a database that has tokens, revoked or not.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			byName, byPrefix := c.Flags().Changed("name"), c.Flags().Changed("prefix")
			switch {
			case byName && byPrefix:
				return xerr.BadInputf("give --name or --prefix, not both")
			case !byName && !byPrefix:
				return xerr.BadInputf("say which token: --name NAME or --prefix HEXPREFIX (see xborder token list)")
			case byName && name == "":
				return xerr.BadInputf("--name: empty; revoke a token made without a name by its --prefix (see xborder token list)")
			case strings.Contains(name, audit.TokenPrefix) || strings.Contains(prefix, audit.TokenPrefix):
				// Someone holding the token itself: do not echo it back.
				return xerr.BadInputf("that is an API token, not a name or a hash prefix; revoke it by its SHA-256 prefix: " +
					"printf %%s \"$TOKEN\" | sha256sum | cut -c1-8, then xborder token revoke --prefix PREFIX")
			}
			prefix = strings.ToLower(strings.TrimSpace(prefix))
			if byPrefix {
				if len(prefix) < 8 || len(prefix) > 64 {
					return xerr.BadInputf("--prefix %q: want 8 to 64 hex digits of the token's SHA-256 (xborder token list shows 8)", prefix)
				}
				if strings.Trim(prefix, "0123456789abcdef") != "" {
					return xerr.BadInputf("--prefix %q: not hexadecimal", prefix)
				}
			}
			ctx := c.Context()
			st, err := openExistingDB(ctx, dbURL(env, db))
			if err != nil {
				return err
			}
			defer st.Close()
			now := env.Now()
			var revoked store.TokenRecord
			liveAdmins := 0
			err = st.Update(ctx, func(tx store.Tx) error {
				toks, err := tx.ListTokens(ctx)
				if err != nil {
					return err
				}
				var live, dead []store.TokenRecord
				for _, t := range toks {
					if byName && t.Name != name || byPrefix && !strings.HasPrefix(hex.EncodeToString(t.Hash), prefix) {
						continue
					}
					if t.Live() {
						live = append(live, t)
					} else {
						dead = append(dead, t)
					}
				}
				what := fmt.Sprintf("named %q", name)
				if byPrefix {
					what = "with SHA-256 prefix " + prefix
				}
				switch {
				case len(live) > 1:
					return xerr.BadInputf("%d live tokens %s: revoke one at a time by --prefix:%s", len(live), what, describeTokens(live))
				case len(live) == 0 && len(dead) > 0:
					return xerr.BadInputf("no live token %s; already revoked:%s", what, describeTokens(dead))
				case len(live) == 0:
					return xerr.BadInputf("no token %s (see xborder token list)", what)
				}
				revoked = live[0]
				if err := tx.RevokeToken(ctx, revoked.Hash, now); err != nil {
					return err
				}
				// The log names the token by its hash prefix, as token.create does.
				body, _ := json.Marshal(map[string]string{"role": revoked.Role, "name": revoked.Name, "token_sha256_prefix": revoked.Prefix()})
				if _, err := tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "token.revoke", Actor: "cli", Body: body}); err != nil {
					return err
				}
				for _, t := range toks {
					if t.Live() && t.Role == store.RoleAdmin && string(t.Hash) != string(revoked.Hash) {
						liveAdmins++
					}
				}
				return nil
			})
			if err != nil {
				var xe *xerr.Error
				if errors.As(err, &xe) {
					return err
				}
				return fmt.Errorf("revoke token: %w", err)
			}
			fmt.Fprintf(env.Stderr, "revoked %s token %s %q; running servers refuse it within their --auth-cache-ttl (%s unless set, at most 1 hour)\n",
				revoked.Role, revoked.Prefix(), revoked.Name, roundDuration(server.DefaultAuthCacheTTL))
			if revoked.Role == store.RoleAdmin && liveAdmins == 0 {
				fmt.Fprintln(env.Stderr, "warning: that was the last live admin token: no live admin token is left, and serve will not make a new one "+
					"(the database has tokens); make one with: xborder token create --role admin --db ...")
			}
			return nil
		},
	}
	c.Flags().StringVar(&db, "db", "", "database URL: sqlite:PATH or postgres://... (default $XBORDER_DB, else "+store.DefaultURL+")")
	c.Flags().StringVar(&name, "name", "", "the name of the token to revoke")
	c.Flags().StringVar(&prefix, "prefix", "", "a prefix of the token's SHA-256, at least 8 hex digits (xborder token list)")
	return c
}
