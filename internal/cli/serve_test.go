package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/storetest"
)

// TestServeConfigPrecedence: defaults < file < environment < flags.
func TestServeConfigPrecedence(t *testing.T) {
	var got serveConfig
	serveRun = func(_ context.Context, _ *Env, cfg serveConfig) error { got = cfg; return nil }
	t.Cleanup(func() { serveRun = runServe })
	dir := t.TempDir()
	file := filepath.Join(dir, "serve.yaml")
	os.WriteFile(file, []byte("addr: 127.0.0.1:9000\ndb: sqlite:/from/file.db\nlog_level: debug\nmax_batch: 32\nqueue: 64\nauth_cache_ttl: 30s\n"), 0o644)
	envs := map[string]string{"XBORDER_DB": "sqlite:/from/env.db", "XBORDER_QUEUE": "128", "XBORDER_AUTH_CACHE_TTL": "10s"}
	runWith := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: time.Now, Getenv: func(k string) string { return envs[k] }}
		return Run(context.Background(), env, args), errb.String()
	}
	if code, stderr := runWith("serve", "--config", file, "--queue", "256"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := serveConfig{Addr: "127.0.0.1:9000", DB: "sqlite:/from/env.db", LogLevel: "debug", MaxBatch: 32, Queue: 256, Checkpoint: "10s", QueueTimeout: "2s", IdempotencyTTL: "720h", AuthCacheTTL: "10s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config %+v, want %+v", got, want)
	}
	got = serveConfig{}
	if code, _ := runWith("serve"); code != 0 || got.Addr != "127.0.0.1:8080" || got.DB != "sqlite:/from/env.db" || got.MaxBatch != 256 {
		t.Errorf("defaults with environment: %+v", got)
	}
	os.WriteFile(file, []byte("addr: x\nlisten: y\n"), 0o644)
	if code, stderr := runWith("serve", "--config", file); code != 2 || !strings.Contains(stderr, file+":2:1") {
		t.Errorf("unknown config key: exit %d, %q", code, stderr)
	}
	envs["XBORDER_QUEUE"] = "many"
	if code, stderr := runWith("serve"); code != 2 || !strings.Contains(stderr, "XBORDER_QUEUE") {
		t.Errorf("bad environment value: exit %d, %q", code, stderr)
	}
}

// A token cache TTL that is not a duration, not positive, or longer than an
// hour (a revoked token would keep working that long) is bad input, refused
// before the database is touched.
func TestServe_AuthCacheTTLRefused(t *testing.T) {
	for _, v := range []string{"soon", "0s", "-1m", "61m"} {
		dir := t.TempDir()
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: time.Now, Getenv: func(string) string { return "" }}
		db := filepath.Join(dir, "x.db")
		code := Run(context.Background(), env, []string{"serve", "--db", "sqlite:" + db, "--addr", "127.0.0.1:0", "--auth-cache-ttl", v})
		if code != 2 || !strings.Contains(errb.String(), "auth_cache_ttl") {
			t.Errorf("--auth-cache-ttl %s: exit %d, %q; want 2 naming auth_cache_ttl", v, code, errb.String())
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("--auth-cache-ttl %s: the database was created", v)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Several instances starting at once on a new database make exactly one
// first admin token and one token.create entry, whether the token is
// generated or XBORDER_ADMIN_TOKEN, and none of them fails.
func TestBootstrapAdmin_ConcurrentStartsMakeOneToken(t *testing.T) {
	backends := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "x.db") },
		"postgres": func(t *testing.T) string { return storetest.PostgresSchema(t) },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		for _, envTok := range []string{"", "xbt_bootstrap_from_env_0123456789abcdef"} {
			t.Run(fmt.Sprintf("%s/env=%v", name, envTok != ""), func(t *testing.T) {
				url := backends[name](t)
				ctx := context.Background()
				const n = 4
				stores := make([]store.Store, n)
				for i := range stores {
					st, err := store.Open(ctx, url)
					if err != nil {
						t.Fatal(err)
					}
					defer st.Close()
					stores[i] = st
				}
				outs := make([]*syncBuffer, n)
				errs := make([]error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range stores {
					outs[i] = &syncBuffer{}
					env := &Env{Stdout: io.Discard, Stderr: outs[i], Now: func() time.Time { return auditNow },
						Getenv: func(k string) string {
							if k == "XBORDER_ADMIN_TOKEN" {
								return envTok
							}
							return ""
						}}
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errs[i] = bootstrapAdmin(ctx, env, stores[i])
					}()
				}
				close(start)
				wg.Wait()
				created := 0
				for i := range stores {
					if errs[i] != nil {
						t.Errorf("instance %d: %v", i, errs[i])
					}
					created += strings.Count(outs[i].String(), "created the first admin token")
					if strings.Contains(outs[i].String(), "not one of them") {
						t.Errorf("instance %d: %s", i, outs[i])
					}
				}
				if created != 1 {
					t.Errorf("%d instances say they created the first token, want 1", created)
				}
				err := stores[0].View(ctx, func(tx store.ReadTx) error {
					count, err := tx.TokenCount(ctx)
					if err != nil {
						return err
					}
					if count != 1 {
						t.Errorf("%d tokens, want 1", count)
					}
					if envTok != "" {
						if _, err := tx.Token(ctx, store.TokenHash(envTok)); err != nil {
							t.Errorf("XBORDER_ADMIN_TOKEN not stored: %v", err)
						}
					}
					size, err := tx.LogSize(ctx)
					if err != nil {
						return err
					}
					kinds := 0
					err = tx.Entries(ctx, 0, size, func(e audit.StoredEntry) error {
						if d, err := audit.Decode(e.Data); err == nil && d.Kind == "token.create" {
							kinds++
						}
						return nil
					})
					if kinds != 1 {
						t.Errorf("%d token.create entries, want 1", kinds)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				// A later start with another XBORDER_ADMIN_TOKEN adds nothing and says so.
				var out bytes.Buffer
				env := &Env{Stdout: io.Discard, Stderr: &out, Now: time.Now, Getenv: func(k string) string {
					if k == "XBORDER_ADMIN_TOKEN" {
						return "xbt_another_token_0123456789abcdef"
					}
					return ""
				}}
				if err := bootstrapAdmin(ctx, env, stores[1]); err != nil || !strings.Contains(out.String(), "not one of them") {
					t.Errorf("restart with another token: %v, %q", err, out.String())
				}
			})
		}
	}
}

// XBORDER_ADMIN_TOKEN must look like a token: the xbt_ prefix (the logs' and
// audit log's filter looks for it) and at least 24 characters; anything else
// is refused with exit 2 before the database is touched.
func TestServe_WeakAdminTokenRefused(t *testing.T) {
	for _, tok := range []string{"a", "xbt_", "xbt_short_0123", "0123456789abcdef0123456789abcdef", "xbt_has space_0123456789abcdef", "xbt_tab\t0123456789abcdef0123"} {
		dir := t.TempDir()
		db := filepath.Join(dir, "x.db")
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Now: time.Now, Getenv: func(k string) string {
			if k == "XBORDER_ADMIN_TOKEN" {
				return tok
			}
			return ""
		}}
		code := Run(context.Background(), env, []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db})
		if code != 2 || !strings.Contains(errb.String(), "XBORDER_ADMIN_TOKEN") || !strings.Contains(errb.String(), "at least 24 characters") {
			t.Errorf("%q: exit %d, %q", tok, code, errb.String())
		}
		if len(tok) > len(audit.TokenPrefix) && strings.Contains(errb.String(), tok) {
			t.Errorf("%q: the message repeats the token: %q", tok, errb.String())
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%q: the database was created before the token was refused", tok)
		}
	}
	// What token create makes, and the documented examples, pass.
	for i := 0; i < 20; i++ {
		tok, err := store.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkEnvToken(tok); err != nil {
			t.Errorf("generated %q: %v", tok, err)
		}
	}
	for _, tok := range []string{"xbt_change_me_0123456789", "xbt_dev_token_0123456789"} {
		if err := checkEnvToken(tok); err != nil {
			t.Errorf("%q: %v", tok, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"sqlite:./xborder.db", "sqlite:./xborder.db"},
		{"sqlite:/var/lib/x.db?_pragma=busy_timeout(5000)", "sqlite:/var/lib/x.db?_pragma=busy_timeout(5000)"},
		{"postgres://db.internal:5432/xborder?sslmode=verify-full", "postgres://db.internal:5432/xborder?sslmode=verify-full"},
		{"postgres://xborder@db/x", "postgres://xborder@db/x"},
		{"postgres://xborder:s3cret@db/x", "postgres://xborder:***@db/x"},
		{"postgres://xborder:p@ss@db/x?sslmode=disable", "postgres://xborder:***@db/x?sslmode=disable"},
		{"postgres://xborder@db/x?password=s3cret", "postgres://xborder@db/x?password=***"},
		{"postgresql://xborder@db/x?sslmode=require&password=s3cret&search_path=a", "postgresql://xborder@db/x?sslmode=require&password=***&search_path=a"},
		{"postgres://u:pw@db/x?PassWord=s3cret&sslpassword=k3y", "postgres://u:***@db/x?PassWord=***&sslpassword=***"},
		{"postgres://db/x?pass%77ord=s3cret", "postgres://db/x?pass%77ord=***"},
		{"postgres://db/x?client_secret=a&auth_token=b&pwd=c&application_name=xborder", "postgres://db/x?client_secret=***&auth_token=***&pwd=***&application_name=xborder"},
		{"postgres://db/x?options=-c%20a@b&password=s", "postgres://db/x?options=-c%20a@b&password=***"},
		{"postgres://u:pw@db/x?password=s#frag", "postgres://u:***@db/x?password=***#frag"},
		{"postgres://u:pa?ss@db/x", "postgres://u:***@db/x"},
		{"host=db user=xborder password=s3cret dbname=x", "host=db user=xborder password=*** dbname=x"},
		{"host=db password='s3 cret' sslpassword = k", "host=db password=*** sslpassword=***"},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// An error opening the database never repeats a password of its URL.
func TestOpenDB_ErrorHidesPasswords(t *testing.T) {
	for _, url := range []string{
		"postgres://xborder:userinfo-secret@127.0.0.1:1/x?password=query-secret&sslmode=disable&connect_timeout=2",
		"postgres://127.0.0.1:1/x?sslmode=disable&password=pw1&connect_timeout=2",
		"nosuch://u:userinfo-secret@h/x?password=query-secret",
		"host=127.0.0.1 password=kv-secret",
	} {
		_, err := openDB(context.Background(), url)
		if err == nil {
			t.Fatalf("%s: opened", url)
		}
		for _, s := range []string{"userinfo-secret", "query-secret", "=pw1", "kv-secret"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: error shows %q: %v", url, s, err)
			}
		}
		if !strings.Contains(err.Error(), "***") {
			t.Errorf("%s: %v", url, err)
		}
	}
}

// The "serving on" line names the database without its password.
func TestServe_ServingLineHidesPassword(t *testing.T) {
	url := storetest.PostgresSchema(t) + "&password=serving-line-secret&sslpassword=ssl-key-secret"
	errb, stop := startServe(t, url)
	if code := stop(); code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	out := errb.String()
	if strings.Contains(out, "serving-line-secret") || strings.Contains(out, "ssl-key-secret") || !strings.Contains(out, "password=***") {
		t.Errorf("stderr shows the password:\n%s", out)
	}
}

// TestServe_StartIsLogged: each start appends a serve.start entry naming the
// rule packs (with digests) and the calendar the decisions are made under.
func TestServe_StartIsLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	errb, stop := startServe(t, "sqlite:"+path)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	st, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var starts []string
	st.View(context.Background(), func(tx store.ReadTx) error {
		n, _ := tx.LogSize(context.Background())
		return tx.Entries(context.Background(), 0, n, func(e audit.StoredEntry) error {
			if strings.Contains(string(e.Data), "\nkind serve.start\n") {
				starts = append(starts, string(e.Data))
			}
			return nil
		})
	})
	if len(starts) != 1 || !strings.Contains(starts[0], `"packs":["guidelines-2026@2026.1.0#`) || !strings.Contains(starts[0], `"calendar":"weekends only (approximate)"`) {
		t.Fatalf("serve.start entries: %q", starts)
	}
}

// TestTuneGC: serve raises GOGC to ServeGCPercent and sets a soft memory
// limit, unless the environment sets them.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != ServeGCPercent {
		t.Errorf("GOGC %d, want %d", got, ServeGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != ServeMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, ServeMemoryLimit)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	tuneGC(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "2GiB"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set in the environment was overridden: %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set in the environment was overridden: %d", got)
	}
}

// startServe runs serve in-process on db until it prints its serving line;
// stop ends it and returns its exit status.
func startServe(t *testing.T, db string) (*syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	errb := &syncBuffer{}
	env := &Env{Stdout: io.Discard, Stderr: errb, Now: time.Now, Getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, env, []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--checkpoint-every", "1h"})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "serving on") {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errb, func() int { cancel(); return <-done }
}
