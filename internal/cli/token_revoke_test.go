package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

// mkToken runs `token create` at auditNow plus n seconds (list order is
// creation order) and returns the token.
func mkToken(t *testing.T, n int, db, role, name string) string {
	t.Helper()
	args := []string{"token", "create", "--role", role, "--db", db}
	if name != "" {
		args = append(args, "--name", name)
	}
	code, out, errs := runAuditCLI(t, auditNow.Add(time.Duration(n)*time.Second), args...)
	tok := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(tok, audit.TokenPrefix) {
		t.Fatalf("token create: exit %d %q %s", code, tok, errs)
	}
	return tok
}

func sha8(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:4])
}

type listedToken struct {
	Name    string     `json:"name"`
	Role    string     `json:"role"`
	Created time.Time  `json:"created"`
	Prefix  string     `json:"token_sha256_prefix"`
	Revoked *time.Time `json:"revoked"`
}

func listTokens(t *testing.T, db string) []listedToken {
	t.Helper()
	code, out, errs := runAuditCLI(t, auditNow, "token", "list", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("token list: exit %d %s", code, errs)
	}
	var got struct {
		Tokens []listedToken `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("token list --format json: %v\n%s", err, out)
	}
	return got.Tokens
}

// logEntries returns the decoded entries of kind in the database's log.
func logEntries(t *testing.T, db, kind string) []audit.Decoded {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []audit.Decoded
	err = st.View(context.Background(), func(tx store.ReadTx) error {
		if rep, err := audit.Verify(context.Background(), store.AuditSource(tx), audit.Options{}); err != nil || !rep.OK() {
			t.Errorf("the log does not verify: %+v %v", rep, err)
		}
		n, err := tx.LogSize(context.Background())
		if err != nil {
			return err
		}
		return tx.Entries(context.Background(), 0, n, func(e audit.StoredEntry) error {
			d, err := audit.Decode(e.Data)
			if err != nil {
				return err
			}
			if d.Kind == kind {
				out = append(out, d)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTokenList_ShowsPrefixesNeverTokens(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	officer := mkToken(t, 0, db, "officer", "alice")
	pipeline := mkToken(t, 1, db, "engineer", "")
	got := listTokens(t, db)
	if len(got) != 2 {
		t.Fatalf("%d tokens listed, want 2: %+v", len(got), got)
	}
	want := []listedToken{{Name: "alice", Role: "officer", Prefix: sha8(officer)}, {Name: "", Role: "engineer", Prefix: sha8(pipeline)}}
	for i, w := range want {
		g := got[i]
		if at := auditNow.Add(time.Duration(i) * time.Second); g.Name != w.Name || g.Role != w.Role || g.Prefix != w.Prefix || !g.Created.Equal(at) || g.Revoked != nil {
			t.Errorf("token %d: %+v, want %+v created %s, live", i, g, w, at)
		}
	}
	// The prefix is the one the token.create entry records.
	creates := logEntries(t, db, "token.create")
	if len(creates) != 2 {
		t.Fatalf("%d token.create entries", len(creates))
	}
	for i, e := range creates {
		var b map[string]string
		if err := json.Unmarshal(e.Body, &b); err != nil || b["token_sha256_prefix"] != got[i].Prefix {
			t.Errorf("token.create %d body %s, listed prefix %s", i, e.Body, got[i].Prefix)
		}
	}
	code, out, errs := runAuditCLI(t, auditNow, "token", "list", "--db", db)
	if code != 0 {
		t.Fatalf("table: exit %d %s", code, errs)
	}
	for _, s := range []string{"PREFIX", sha8(officer), sha8(pipeline), "alice", "(no name)", "2026-12-03T04:00:00Z", "2 tokens, 2 live"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	for _, tok := range []string{officer, pipeline} {
		if strings.Contains(out, tok) || strings.Contains(out, tok[len(audit.TokenPrefix):]) {
			t.Errorf("token list shows a token")
		}
	}
	_, jout, _ := runAuditCLI(t, auditNow, "token", "list", "--db", db, "--format", "json")
	if strings.Contains(jout, officer) || strings.Contains(jout, pipeline) || strings.Contains(jout, audit.TokenPrefix) {
		t.Errorf("json list shows a token:\n%s", jout)
	}
	// -o FILE writes the same listing to the file and nothing to stdout.
	file := filepath.Join(t.TempDir(), "tokens.json")
	code, fout, errs := runAuditCLI(t, auditNow, "token", "list", "--db", db, "--format", "json", "-o", file)
	written, err := os.ReadFile(file)
	if code != 0 || err != nil || fout != "" || string(written) != jout {
		t.Errorf("-o: exit %d %s, stdout %q, file %q (%v), want the json listing", code, errs, fout, written, err)
	}
}

func TestTokenList_BadInput(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	mkToken(t, 0, db, "auditor", "insp")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"token", "list", "--db", db, "--format", "yaml"}, "want table or json"},
		{[]string{"token", "list", "--db", "sqlite:" + filepath.Join(t.TempDir(), "none.db")}, "no database at"},
		{[]string{"token", "list", "--db", db, "extra"}, "unknown command"},
		{[]string{"token", "list", "--db", db, "-o", filepath.Join(t.TempDir(), "no", "such", "dir", "t.txt")}, "t.txt"},
	} {
		code, _, errs := runAuditCLI(t, auditNow, c.args...)
		if code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errs, c.msg)
		}
	}
}

func TestTokenRevoke_ByPrefixAndName(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	admin := mkToken(t, 0, db, "admin", "ops")
	eng := mkToken(t, 1, db, "engineer", "pipeline")
	aud := mkToken(t, 2, db, "auditor", "inspector")
	later := auditNow.Add(time.Hour)

	// By prefix, in upper case and longer than 8 digits.
	full := sha256.Sum256([]byte(eng))
	code, out, errs := runAuditCLI(t, later, "token", "revoke", "--db", db, "--prefix", strings.ToUpper(hex.EncodeToString(full[:6])))
	if code != 0 || !strings.Contains(errs, "revoked engineer token "+sha8(eng)) || strings.Contains(errs, "warning") || out != "" {
		t.Fatalf("revoke by prefix: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	// By name.
	if code, _, errs := runAuditCLI(t, later, "token", "revoke", "--db", db, "--name", "inspector"); code != 0 || !strings.Contains(errs, sha8(aud)) {
		t.Fatalf("revoke by name: exit %d %s", code, errs)
	}
	got := listTokens(t, db)
	if len(got) != 3 || got[0].Revoked != nil || got[1].Revoked == nil || !got[1].Revoked.Equal(later) || got[2].Revoked == nil {
		t.Fatalf("after revoking two: %+v", got)
	}
	if _, tout, _ := runAuditCLI(t, later, "token", "list", "--db", db); !strings.Contains(tout, "3 tokens, 1 live") || !strings.Contains(tout, "2026-12-03T05:00:00Z") {
		t.Errorf("table after revoking two:\n%s", tout)
	}
	// The rows stay; the store says revoked.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(context.Background(), func(tx store.ReadTx) error {
		for tok, live := range map[string]bool{admin: true, eng: false, aud: false} {
			r, err := tx.Token(context.Background(), store.TokenHash(tok))
			if err != nil || r.Live() != live {
				t.Errorf("token %s: %+v %v, want live=%v", sha8(tok), r, err, live)
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Each revocation is logged: actor cli, role, name and prefix, never the token.
	revokes := logEntries(t, db, "token.revoke")
	if len(revokes) != 2 {
		t.Fatalf("%d token.revoke entries, want 2", len(revokes))
	}
	for i, w := range []map[string]string{
		{"role": "engineer", "name": "pipeline", "token_sha256_prefix": sha8(eng)},
		{"role": "auditor", "name": "inspector", "token_sha256_prefix": sha8(aud)},
	} {
		var b map[string]string
		if err := json.Unmarshal(revokes[i].Body, &b); err != nil || len(b) != 3 || b["role"] != w["role"] || b["name"] != w["name"] || b["token_sha256_prefix"] != w["token_sha256_prefix"] {
			t.Errorf("token.revoke %d body %s, want %v", i, revokes[i].Body, w)
		}
		if revokes[i].Actor != "cli" || !revokes[i].Time.Equal(later) {
			t.Errorf("token.revoke %d: actor %q at %s", i, revokes[i].Actor, revokes[i].Time)
		}
	}

	// Again: refused (exit 2), naming it as already revoked; nothing logged.
	code, _, errs = runAuditCLI(t, later, "token", "revoke", "--db", db, "--name", "pipeline")
	if code != 2 || !strings.Contains(errs, "no live token named \"pipeline\"") || !strings.Contains(errs, "already revoked") || !strings.Contains(errs, sha8(eng)) {
		t.Errorf("revoking twice: exit %d %s", code, errs)
	}
	if n := len(logEntries(t, db, "token.revoke")); n != 2 {
		t.Errorf("%d token.revoke entries after a refused revocation, want 2", n)
	}
}

func TestTokenRevoke_AmbiguousAndUnknownAreRefused(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	a := mkToken(t, 0, db, "engineer", "pipeline")
	b := mkToken(t, 1, db, "officer", "pipeline")
	code, _, errs := runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--name", "pipeline")
	if code != 2 || !strings.Contains(errs, "2 live tokens named \"pipeline\"") || !strings.Contains(errs, sha8(a)) || !strings.Contains(errs, sha8(b)) || !strings.Contains(errs, "--prefix") {
		t.Errorf("ambiguous name: exit %d %s", code, errs)
	}
	for _, c := range []struct{ args, msg string }{
		{"--name nobody", `no token named "nobody"`},
		{"--prefix 00000000", "no token with SHA-256 prefix 00000000"},
	} {
		code, _, errs := runAuditCLI(t, auditNow, append([]string{"token", "revoke", "--db", db}, strings.Fields(c.args)...)...)
		if code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%s: exit %d %s, want 2 and %q", c.args, code, errs, c.msg)
		}
	}
	// Nothing was revoked or logged.
	for _, tk := range listTokens(t, db) {
		if tk.Revoked != nil {
			t.Errorf("%s revoked by a refused command", tk.Prefix)
		}
	}
	if n := len(logEntries(t, db, "token.revoke")); n != 0 {
		t.Errorf("%d token.revoke entries after refused commands", n)
	}
	// Once one is revoked, the name is no longer ambiguous.
	if code, _, errs := runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--prefix", sha8(a)); code != 0 {
		t.Fatalf("revoke by prefix: %d %s", code, errs)
	}
	if code, _, errs := runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--name", "pipeline"); code != 0 || !strings.Contains(errs, sha8(b)) {
		t.Errorf("the one live pipeline token: exit %d %s", code, errs)
	}
}

func TestTokenRevoke_BadInput(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	tok := mkToken(t, 0, db, "engineer", "pipeline")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{}, "--name NAME or --prefix HEXPREFIX"},
		{[]string{"--name", "pipeline", "--prefix", sha8(tok)}, "not both"},
		{[]string{"--name", ""}, "--name: empty"},
		{[]string{"--prefix", "abc"}, "want 8 to 64 hex digits"},
		{[]string{"--prefix", strings.Repeat("a", 65)}, "want 8 to 64 hex digits"},
		{[]string{"--prefix", "ghijklmn"}, "not hexadecimal"},
		{[]string{"--name", tok}, "that is an API token"},
		{[]string{"--prefix", tok}, "that is an API token"},
	} {
		args := append([]string{"token", "revoke", "--db", db}, c.args...)
		code, _, errs := runAuditCLI(t, auditNow, args...)
		if code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errs, c.msg)
		}
		if strings.Contains(errs, tok) {
			t.Errorf("%v: the error repeats the token", c.args)
		}
	}
	if code, _, errs := runAuditCLI(t, auditNow, "token", "revoke", "--db", "sqlite:"+filepath.Join(t.TempDir(), "none.db"), "--name", "x"); code != 2 || !strings.Contains(errs, "no database at") {
		t.Errorf("missing database: exit %d %s", code, errs)
	}
	if got := listTokens(t, db); len(got) != 1 || got[0].Revoked != nil {
		t.Errorf("bad input revoked something: %+v", got)
	}
}

func TestTokenRevoke_LastAdminWarns(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	mkToken(t, 0, db, "admin", "first")
	mkToken(t, 1, db, "admin", "second")
	mkToken(t, 2, db, "officer", "dpo")
	code, _, errs := runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--name", "first")
	if code != 0 || strings.Contains(errs, "warning") {
		t.Fatalf("one admin of two: exit %d %s", code, errs)
	}
	code, _, errs = runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--name", "second")
	if code != 0 || !strings.Contains(errs, "warning: that was the last live admin token") || !strings.Contains(errs, "token create --role admin") {
		t.Fatalf("the last admin: exit %d %s", code, errs)
	}
	// Revoking a non-admin with no admin left does not warn again.
	code, _, errs = runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--name", "dpo")
	if code != 0 || strings.Contains(errs, "warning") {
		t.Errorf("an officer with no admin left: exit %d %s", code, errs)
	}
}

// A database whose tokens were all revoked gets no new first admin from
// serve (the safe reading of "a database with no tokens"), whether
// XBORDER_ADMIN_TOKEN is unset, a new token, or the revoked one.
func TestBootstrapAdmin_NotAfterEveryTokenWasRevoked(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	envTok := "xbt_bootstrap_token_0123456789abcdef"
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	boot := func(tok string) string {
		var out bytes.Buffer
		env := &Env{Stdout: io.Discard, Stderr: &out, Now: func() time.Time { return auditNow },
			Getenv: func(k string) string {
				if k == "XBORDER_ADMIN_TOKEN" {
					return tok
				}
				return ""
			}}
		if err := bootstrapAdmin(context.Background(), env, st); err != nil {
			t.Fatalf("bootstrap: %v", err)
		}
		return out.String()
	}
	if out := boot(envTok); !strings.Contains(out, "created the first admin token") {
		t.Fatalf("first start: %s", out)
	}
	// The bootstrap token.create names the token by its prefix too.
	creates := logEntries(t, db, "token.create")
	if len(creates) != 1 || !strings.Contains(string(creates[0].Body), `"token_sha256_prefix":"`+sha8(envTok)+`"`) {
		t.Errorf("bootstrap token.create: %+v", creates)
	}
	if code, _, errs := runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--name", "bootstrap"); code != 0 || !strings.Contains(errs, "last live admin") {
		t.Fatalf("revoke the bootstrap token: exit %d %s", code, errs)
	}
	for _, tok := range []string{"", "xbt_another_token_0123456789abcdef"} {
		if out := boot(tok); strings.Contains(out, "created") || strings.Contains(out, "xbt_") {
			t.Errorf("XBORDER_ADMIN_TOKEN=%q after every token was revoked: %s", tok, out)
		}
	}
	if out := boot(envTok); !strings.Contains(out, "XBORDER_ADMIN_TOKEN was revoked") {
		t.Errorf("the revoked token as XBORDER_ADMIN_TOKEN: %q, want it said to be revoked", out)
	}
	err = st.View(context.Background(), func(tx store.ReadTx) error {
		list, err := tx.ListTokens(context.Background())
		if len(list) != 1 || list[0].Live() {
			t.Errorf("tokens after restarts: %+v, want only the revoked bootstrap token", list)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// End to end: a token revoked with the CLI is refused by serve like a wrong
// one, and the others still work.
func TestTokenRevoke_ServeRefusesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := "sqlite:" + path
	keep := mkToken(t, 0, db, "officer", "keep")
	gone := mkToken(t, 1, db, "engineer", "gone")
	if code, _, errs := runAuditCLI(t, auditNow, "token", "revoke", "--db", db, "--name", "gone"); code != 0 {
		t.Fatalf("revoke: %d %s", code, errs)
	}
	errb, stop := startServe(t, db)
	defer stop()
	m := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(errb.String())
	if m == nil {
		t.Fatalf("no serving line: %s", errb.String())
	}
	get := func(tok string) (int, string) {
		req, _ := http.NewRequest("GET", m[1]+"/v1/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get(keep); code != 200 || !strings.Contains(body, `"keep"`) {
		t.Errorf("live token: %d %s", code, body)
	}
	code, body := get(gone)
	wcode, wbody := get("xbt_never_issued_token_0123456789abcdef")
	if code != 401 || body != wbody || wcode != 401 {
		t.Errorf("revoked token: %d %s; never-issued token: %d %s: want the same 401", code, body, wcode, wbody)
	}
}
