package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

func TestTokenCreate_StoresOnlyTheHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	code, out, errs := runAuditCLI(t, auditNow, "token", "create", "--role", "officer", "--name", "dpo", "--db", "sqlite:"+path)
	tok := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(tok, audit.TokenPrefix) || len(tok) != len(audit.TokenPrefix)+43 {
		t.Fatalf("exit %d, token %q, %s", code, tok, errs)
	}
	st, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(context.Background(), func(tx store.ReadTx) error {
		r, err := tx.Token(context.Background(), store.TokenHash(tok))
		if err != nil || r.Role != "officer" || r.Name != "dpo" {
			t.Errorf("stored token %+v %v", r, err)
		}
		rep, err := audit.Verify(context.Background(), store.AuditSource(tx), audit.Options{})
		if err != nil || rep.Size != 1 {
			t.Errorf("token creation not logged: %+v %v", rep, err)
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The token itself appears nowhere in the database files.
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), tok) || strings.Contains(string(b), tok[len(audit.TokenPrefix):]) {
			t.Errorf("%s contains the raw token", f)
		}
	}
	// Two tokens differ.
	_, out2, _ := runAuditCLI(t, auditNow, "token", "create", "--role", "auditor", "--db", "sqlite:"+path)
	if strings.TrimSpace(out2) == tok {
		t.Error("same token twice")
	}
}

func TestTokenCreate_BadInput(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	for _, args := range [][]string{
		{"token", "create", "--db", db},
		{"token", "create", "--role", "root", "--db", db},
		{"token", "create", "--role", "admin", "--name", "a\nb", "--db", db},
		{"token", "create", "--role", "admin", "--db", "nosuch://x"},
	} {
		if code, _, errs := runAuditCLI(t, auditNow, args...); code != 2 {
			t.Errorf("%v: exit %d (%s)", args, code, errs)
		}
	}
}
