package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
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
				body, _ := json.Marshal(map[string]string{"role": role, "name": name, "token_sha256_prefix": hex.EncodeToString(hash[:4])})
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
	c.AddCommand(create)
	return c
}
