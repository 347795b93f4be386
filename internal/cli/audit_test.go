package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/gateway/gatewaytest"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/store"
)

// runAuditCLI runs the CLI in-process at a given time.
func runAuditCLI(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Now: func() time.Time { return now }, Getenv: func(string) string { return "" }}
	code := Run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

var auditNow = time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)

// logDB makes a SQLite database with n audit entries logged at times[i] (or
// auditNow) and a checkpoint.
func logDB(t *testing.T, n int, at func(i int) time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	st, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(context.Background(), func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := tx.AppendAudit(context.Background(), audit.Entry{Time: at(i), Kind: "test.event", Actor: "officer:a",
				Body: []byte(fmt.Sprintf(`{"transfer":"t-%d","decision":"allow"}`, i))}); err != nil {
				return err
			}
		}
		s, err := tx.SigningKey(context.Background(), auditNow)
		if err != nil {
			return err
		}
		_, err = tx.SignCheckpoint(context.Background(), s, auditNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func constAt(time.Time) func(int) time.Time { return func(int) time.Time { return auditNow } }

func tamperSQLite(t *testing.T, path string, k int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var data []byte
	if err := db.QueryRow("SELECT data FROM audit_entries WHERE idx = ?", k).Scan(&data); err != nil {
		t.Fatal(err)
	}
	data[bytes.Index(data, []byte("allow"))] = 'A'
	if _, err := db.Exec("DROP TRIGGER audit_entries_guard"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE audit_entries SET data = ? WHERE idx = ?", data, k); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerify_OKThenTampered(t *testing.T) {
	path := logDB(t, 12, constAt(auditNow))
	code, out, errs := runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path)
	if code != 0 || !strings.Contains(out, "result       OK") || !strings.Contains(out, "entries      12") {
		t.Fatalf("clean log: exit %d\n%s%s", code, out, errs)
	}
	tamperSQLite(t, path, 7)
	code, out, errs = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path)
	if code != 1 || !strings.Contains(out, "first bad entry 7") || !strings.Contains(errs, "first bad entry 7") {
		t.Fatalf("tampered log: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path, "--format", "json")
	if code != 1 || !strings.Contains(out, `"first_bad": 7`) || !strings.Contains(out, `"ok": false`) {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
}

func TestAuditExport_BundleVerifiesOffline(t *testing.T) {
	path := logDB(t, 30, constAt(auditNow))
	bundle := filepath.Join(t.TempDir(), "log.bundle")
	code, _, errs := runAuditCLI(t, auditNow, "audit", "export", "--db", "sqlite:"+path, "-o", bundle)
	if code != 0 || !strings.Contains(errs, "wrote 30 entries") {
		t.Fatalf("export: %d %s", code, errs)
	}
	// The database can go: the bundle is self-contained.
	os.Remove(path)
	code, out, errs := runAuditCLI(t, auditNow, "audit", "verify", "--bundle", bundle)
	if code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("bundle verify: %d\n%s%s", code, out, errs)
	}
	// Trusting only another key fails the checkpoint: exit 1.
	_, vkey, _ := audit.GenerateKey("someone.else")
	code, _, errs = runAuditCLI(t, auditNow, "audit", "verify", "--bundle", bundle, "--key", vkey)
	if code != 1 || !strings.Contains(errs, "checkpoint") {
		t.Fatalf("untrusted key: %d %s", code, errs)
	}
	// A truncated bundle is bad input: exit 2.
	b, _ := os.ReadFile(bundle)
	cut := filepath.Join(t.TempDir(), "cut.bundle")
	os.WriteFile(cut, b[:len(b)/2], 0o644)
	if code, _, errs = runAuditCLI(t, auditNow, "audit", "verify", "--bundle", cut); code != 2 {
		t.Fatalf("truncated bundle: exit %d %s", code, errs)
	}
}

func TestAuditVerify_BadInput(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "verify", "--db", "sqlite:" + filepath.Join(t.TempDir(), "missing.db")},
		{"audit", "verify", "--bundle", "nope.bundle"},
		{"audit", "verify", "--db", "sqlite:x.db", "--bundle", "y"},
		{"audit", "verify", "--format", "xml", "--bundle", "y"},
		{"audit", "verify", "--key", "not-a-key", "--bundle", "y"},
		{"audit", "verify", "--db", "mysql://x"},
		{"audit", "export", "--db", "sqlite:x.db"},
		{"audit", "verify", "--nope"},
	} {
		if code, _, errs := runAuditCLI(t, auditNow, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
	// A mistyped path must not create a database.
	p := filepath.Join(t.TempDir(), "typo.db")
	runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+p)
	if _, err := os.Stat(p); err == nil {
		t.Error("verify created a database")
	}
}

func TestAuditArchive_RetentionBoundary(t *testing.T) {
	// Entries 0..519 logged before the cutoff, 520 exactly at it, later ones after.
	cutoff := audit.RetentionCutoff(auditNow)
	at := func(i int) time.Time { return cutoff.Add(time.Duration(i-520) * time.Second) }
	path := logDB(t, 600, at)
	code, out, errs := runAuditCLI(t, auditNow, "audit", "archive", "--db", "sqlite:"+path, "--dry-run")
	if code != 0 || !strings.Contains(out, "would archive entries before 512") {
		t.Fatalf("dry run: %d %s %s", code, out, errs)
	}
	code, out, errs = runAuditCLI(t, auditNow, "audit", "archive", "--db", "sqlite:"+path)
	if code != 0 || !strings.Contains(out, "archived entries 0 to 511 (512)") {
		t.Fatalf("archive: %d %s %s", code, out, errs)
	}
	code, out, _ = runAuditCLI(t, auditNow, "audit", "archive", "--db", "sqlite:"+path)
	if code != 0 || !strings.Contains(out, "nothing to archive") {
		t.Fatalf("second archive: %d %s", code, out)
	}
	runAuditCLI(t, auditNow, "audit", "checkpoint", "--db", "sqlite:"+path)
	code, out, errs = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path)
	if code != 0 || !strings.Contains(out, "512 archived, 1 archive records") {
		t.Fatalf("verify after archive: %d\n%s%s", code, out, errs)
	}
	// A year later all 600 entries are old enough, but the tile 512..767 is
	// not complete: archiving goes by whole tiles.
	code, out, _ = runAuditCLI(t, auditNow.AddDate(1, 0, 0), "audit", "archive", "--db", "sqlite:"+path, "--dry-run")
	if code != 0 || !strings.Contains(out, "nothing to archive") {
		t.Fatalf("incomplete tile: %d %s", code, out)
	}
}

func TestAuditCheckpoint_ExternalKey(t *testing.T) {
	path := logDB(t, 3, constAt(auditNow))
	keyFile := filepath.Join(t.TempDir(), "signing.key")
	code, vkey, errs := runAuditCLI(t, auditNow, "audit", "keygen", "--name", "acme.example", "-o", keyFile)
	if code != 0 || !strings.HasPrefix(vkey, "acme.example+") {
		t.Fatalf("keygen: %d %q %s", code, vkey, errs)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	if code, _, _ := runAuditCLI(t, auditNow, "audit", "keygen", "-o", keyFile); code != 2 {
		t.Errorf("keygen overwrote a key")
	}
	// One more entry, so the log has a size not yet signed.
	runAuditCLI(t, auditNow, "token", "create", "--role", "auditor", "--db", "sqlite:"+path)
	code, out, errs := runAuditCLI(t, auditNow, "audit", "checkpoint", "--db", "sqlite:"+path, "--signing-key", keyFile)
	if code != 0 || !strings.Contains(out, "— acme.example ") {
		t.Fatalf("checkpoint: %d %s %s", code, out, errs)
	}
	// Verifying with only the external key trusted still passes for its
	// checkpoint but fails on the database key's: exit 1.
	code, _, _ = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path, "--key", strings.TrimSpace(vkey))
	if code != 1 {
		t.Errorf("partial trust: exit %d, want 1", code)
	}
	code, out, _ = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path)
	if code != 0 || !strings.Contains(out, "acme.example+") {
		t.Errorf("both keys known: exit %d\n%s", code, out)
	}
}

// TestAuditVerify_StateBesideTheLog: verify recomputes the yearly totals
// from the log's checks; an edited total fails the verification (exit 1)
// though the log itself is intact, and --no-state verifies the log alone.
func TestAuditVerify_StateBesideTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := rulepack.LoadWithDefaults(nil, rulepack.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(st, gateway.Options{Set: set, Now: func() time.Time { return auditNow }})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Parse("inv", []byte(gatewaytest.Inventory), inventory.Options{Facts: set, Items: set, RejectTransfers: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Group().Do(context.Background(), func(tx store.Tx) error { _, err := tx.PutInventory(context.Background(), inv); return err }); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := g.Check(context.Background(), gateway.Actor{Role: store.RoleEngineer, Name: "p"}, "k-1", gatewaytest.CrossingCheck("t-1")); err != nil {
		t.Fatal(err)
	}
	g.Close()
	st.Close()
	code, out, errs := runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path)
	if code != 0 || !strings.Contains(out, "state        OK: 1 check entries, 1 check records, 1 yearly totals") {
		t.Fatalf("clean: exit %d\n%s%s", code, out, errs)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE year_totals SET individuals = 0`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path)
	if code != 1 || !strings.Contains(out, "result       OK") || !strings.Contains(out, "state        FAILED") ||
		!strings.Contains(errs, "the stored state does not match the log: yearly totals of crossing in 2026: stored 0 non-sensitive") {
		t.Fatalf("edited total: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path, "--format", "json")
	if code != 1 || !strings.Contains(out, `"ok": false`) || !strings.Contains(out, `"state": {`) {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	if code, out, _ = runAuditCLI(t, auditNow, "audit", "verify", "--db", "sqlite:"+path, "--no-state"); code != 0 || strings.Contains(out, "state ") {
		t.Fatalf("--no-state: exit %d\n%s", code, out)
	}
}
