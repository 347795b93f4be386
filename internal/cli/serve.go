package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/xerr"
)

func init() { register(newServeCmd) }

// serveConfig is the service configuration; each key can come from the file
// (--config), the environment (XBORDER_<KEY>) or a flag, later ones winning.
type serveConfig struct {
	Addr       string   `yaml:"addr"`
	DB         string   `yaml:"db"`
	SigningKey string   `yaml:"signing_key"`
	Packs      []string `yaml:"packs"`
	Holidays   string   `yaml:"holidays"`
	LogLevel   string   `yaml:"log_level"`
	MaxBatch   int      `yaml:"max_batch"`
	Queue      int      `yaml:"queue"`
	Checkpoint string   `yaml:"checkpoint_every"`
	// QueueTimeout is how long a check may wait for a commit slot before it
	// fails closed with 503 (nothing recorded).
	QueueTimeout string `yaml:"queue_timeout"`
	// IdempotencyTTL is how long an Idempotency-Key keeps its first answer.
	IdempotencyTTL string `yaml:"idempotency_ttl"`
	// AuthCacheTTL is how long a token lookup is reused: it bounds how long
	// a revoked token still works on this instance.
	AuthCacheTTL string `yaml:"auth_cache_ttl"`
}

func newServeCmd(env *Env) *cobra.Command {
	cfg := serveConfig{Addr: "127.0.0.1:8080", DB: store.DefaultURL, LogLevel: "info", MaxBatch: 256, Queue: 4096, Checkpoint: "10s", QueueTimeout: "2s", IdempotencyTTL: "720h", AuthCacheTTL: "1m"}
	var cfgFile string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the service: check transfers before they happen, count them, keep the audit log, serve the console",
		Long: `Run the HTTP API (SPEC §7), the enforcement endpoint POST /v1/transfers/check, the tamper-evident
audit log and the web console. Storage is embedded SQLite by default, PostgreSQL with --db postgres://...

Configuration comes from --config FILE (YAML with the keys addr, db, signing_key, packs, holidays,
log_level, max_batch, queue, queue_timeout, checkpoint_every, idempotency_ttl, auth_cache_ttl), then the environment (XBORDER_ADDR, XBORDER_DB,
XBORDER_SIGNING_KEY, XBORDER_LOG_LEVEL, ...), then flags. On a database with no tokens the first
admin token is XBORDER_ADMIN_TOKEN if set (it must start with xbt_ and have at least 24
characters), else generated and printed once on stderr.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := loadServeConfig(env, c, &cfg, cfgFile); err != nil {
				return err
			}
			return serveRun(c.Context(), env, cfg)
		},
	}
	fl := c.Flags()
	fl.StringVar(&cfgFile, "config", "", "configuration file (YAML)")
	fl.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	fl.StringVar(&cfg.DB, "db", cfg.DB, "database: sqlite:PATH or postgres://...")
	fl.StringVar(&cfg.SigningKey, "signing-key", "", "file holding the Ed25519 note signing key for checkpoints (default: a key kept in the database)")
	fl.StringArrayVar(&cfg.Packs, "pack", nil, "load another rule pack (file or built-in id)")
	fl.StringVar(&cfg.Holidays, "holidays", "", "holiday file for working-day deadlines")
	fl.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	fl.IntVar(&cfg.MaxBatch, "max-batch", cfg.MaxBatch, "checks sharing one durable commit at most")
	fl.IntVar(&cfg.Queue, "queue", cfg.Queue, "checks waiting for a commit at most; beyond it callers wait (backpressure)")
	fl.StringVar(&cfg.Checkpoint, "checkpoint-every", cfg.Checkpoint, "how often to sign a checkpoint when the log grew (each costs a signature check in every verification: keep it coarse)")
	fl.StringVar(&cfg.IdempotencyTTL, "idempotency-ttl", cfg.IdempotencyTTL, "how long an Idempotency-Key keeps its first answer")
	fl.StringVar(&cfg.AuthCacheTTL, "auth-cache-ttl", cfg.AuthCacheTTL, "how long a token lookup is reused: a token revoked with `xborder token revoke` still works here for at most this long")
	fl.StringVar(&cfg.QueueTimeout, "queue-timeout", cfg.QueueTimeout, "how long a check may wait for a commit before it fails closed with 503 (nothing recorded)")
	return c
}

func loadServeConfig(env *Env, c *cobra.Command, cfg *serveConfig, file string) error {
	// cfg holds defaults overwritten by any flags given; keep the flags aside,
	// then layer file, environment, and the flags given explicitly.
	flagsCfg := *cfg
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return xerr.BadInput(fmt.Errorf("read config: %w", err))
		}
		if err := yaml.UnmarshalWithOptions(b, cfg, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
			var ye yaml.Error
			if errors.As(err, &ye) && ye.GetToken() != nil {
				tk := ye.GetToken()
				return xerr.BadInput(&xerr.PosError{File: file, Line: tk.Position.Line, Col: tk.Position.Column, Msg: ye.GetMessage()})
			}
			return xerr.BadInput(fmt.Errorf("%s: %w", file, err))
		}
	}
	// Each setting: its flag, its environment variable, and how to copy it.
	settings := []struct {
		flag, env string
		fromEnv   func(string) error
		fromFlag  func()
	}{
		{"addr", "XBORDER_ADDR", func(v string) error { cfg.Addr = v; return nil }, func() { cfg.Addr = flagsCfg.Addr }},
		{"db", "XBORDER_DB", func(v string) error { cfg.DB = v; return nil }, func() { cfg.DB = flagsCfg.DB }},
		{"signing-key", "XBORDER_SIGNING_KEY", func(v string) error { cfg.SigningKey = v; return nil }, func() { cfg.SigningKey = flagsCfg.SigningKey }},
		{"holidays", "XBORDER_HOLIDAYS", func(v string) error { cfg.Holidays = v; return nil }, func() { cfg.Holidays = flagsCfg.Holidays }},
		{"log-level", "XBORDER_LOG_LEVEL", func(v string) error { cfg.LogLevel = v; return nil }, func() { cfg.LogLevel = flagsCfg.LogLevel }},
		{"pack", "XBORDER_PACKS", func(v string) error { cfg.Packs = strings.Split(v, ","); return nil }, func() { cfg.Packs = flagsCfg.Packs }},
		{"max-batch", "XBORDER_MAX_BATCH", func(v string) (err error) { cfg.MaxBatch, err = strconv.Atoi(v); return }, func() { cfg.MaxBatch = flagsCfg.MaxBatch }},
		{"queue", "XBORDER_QUEUE", func(v string) (err error) { cfg.Queue, err = strconv.Atoi(v); return }, func() { cfg.Queue = flagsCfg.Queue }},
		{"checkpoint-every", "XBORDER_CHECKPOINT_EVERY", func(v string) error { cfg.Checkpoint = v; return nil }, func() { cfg.Checkpoint = flagsCfg.Checkpoint }},
		{"idempotency-ttl", "XBORDER_IDEMPOTENCY_TTL", func(v string) error { cfg.IdempotencyTTL = v; return nil }, func() { cfg.IdempotencyTTL = flagsCfg.IdempotencyTTL }},
		{"auth-cache-ttl", "XBORDER_AUTH_CACHE_TTL", func(v string) error { cfg.AuthCacheTTL = v; return nil }, func() { cfg.AuthCacheTTL = flagsCfg.AuthCacheTTL }},
		{"queue-timeout", "XBORDER_QUEUE_TIMEOUT", func(v string) error { cfg.QueueTimeout = v; return nil }, func() { cfg.QueueTimeout = flagsCfg.QueueTimeout }},
	}
	for _, s := range settings {
		if v := env.Getenv(s.env); v != "" {
			if err := s.fromEnv(v); err != nil {
				return xerr.BadInputf("%s=%q: %v", s.env, v, err)
			}
		}
	}
	for _, s := range settings {
		if c.Flags().Changed(s.flag) {
			s.fromFlag()
		}
	}
	if cfg.MaxBatch <= 0 || cfg.Queue <= 0 {
		return xerr.BadInputf("max_batch and queue must be positive")
	}
	return nil
}

// serveRun runs the service; tests replace it to inspect the configuration.
var serveRun = runServe

func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, xerr.BadInputf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func runServe(ctx context.Context, env *Env, cfg serveConfig) error {
	lvl, err := logLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	tuneGC(env.Getenv)
	every, err := time.ParseDuration(cfg.Checkpoint)
	if err != nil || every <= 0 {
		return xerr.BadInputf("checkpoint_every %q: want a positive duration like 1s", cfg.Checkpoint)
	}
	queueTimeout, err := time.ParseDuration(cfg.QueueTimeout)
	if err != nil || queueTimeout <= 0 {
		return xerr.BadInputf("queue_timeout %q: want a positive duration like 2s", cfg.QueueTimeout)
	}
	ttl, err := time.ParseDuration(cfg.IdempotencyTTL)
	if err != nil || ttl <= 0 {
		return xerr.BadInputf("idempotency_ttl %q: want a positive duration like 720h", cfg.IdempotencyTTL)
	}
	authTTL, err := time.ParseDuration(cfg.AuthCacheTTL)
	if err != nil || authTTL <= 0 || authTTL > time.Hour {
		return xerr.BadInputf("auth_cache_ttl %q: want a positive duration of at most 1h like 1m (it bounds how long a revoked token still works)", cfg.AuthCacheTTL)
	}
	if tok := env.Getenv("XBORDER_ADMIN_TOKEN"); tok != "" {
		// Checked before the database is touched, whether or not it will be
		// used: a weak token in the deployment's environment is a mistake
		// either way.
		if err := checkEnvToken(tok); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: lvl}))
	set, err := rulepack.LoadWithDefaults(cfg.Packs, rulepack.Limits{})
	if err != nil {
		return err
	}
	cal := calendar.Weekends()
	if cfg.Holidays != "" {
		if cal, err = calendar.Load(cfg.Holidays); err != nil {
			return err
		}
	}
	var signer *audit.Signer
	if cfg.SigningKey != "" {
		b, err := os.ReadFile(cfg.SigningKey)
		if err != nil {
			return xerr.BadInput(fmt.Errorf("read signing key: %w", err))
		}
		if signer, err = audit.NewSigner(strings.TrimSpace(string(b))); err != nil {
			return xerr.BadInput(fmt.Errorf("signing key %s: %w", cfg.SigningKey, err))
		}
	}
	st, err := openDB(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := bootstrapAdmin(ctx, env, st); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gw, err := gateway.New(st, gateway.Options{Set: set, Calendar: cal, Now: env.Now, Logger: log, Registry: reg,
		Group: store.GroupOptions{MaxBatch: cfg.MaxBatch, QueueSize: cfg.Queue}, QueueTimeout: queueTimeout})
	if err != nil {
		return err
	}
	// The start is an event of the log: which rule packs (with their
	// digests) and which calendar the decisions that follow are made under.
	if err := logStart(ctx, gw, env.Now(), set, cfg.Holidays, signer != nil); err != nil {
		gw.Close()
		return fmt.Errorf("start: %w", err)
	}
	srv := server.New(st, gw, server.Options{Logger: log, Registry: reg, Signer: signer, CheckpointEvery: every, IdempotencyTTL: ttl, AuthCacheTTL: authTTL})
	if err := srv.Start(ctx); err != nil {
		gw.Close()
		return fmt.Errorf("start: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		gw.Close()
		return xerr.BadInput(fmt.Errorf("listen on %s: %w", cfg.Addr, err))
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	log.Info("serving", "addr", ln.Addr().String(), "db", store.Scheme(cfg.DB), "packs", len(set.Packs))
	fmt.Fprintf(env.Stderr, "xborder: serving on http://%s (database %s)\n", ln.Addr(), redactURL(cfg.DB))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			gw.Close()
			return err
		}
	}
	// Graceful shutdown: stop taking requests, let in-flight checks commit,
	// flush the group committer, sign a last checkpoint.
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Order matters: once the HTTP server has drained, every check has its
	// answer; the final checkpoint still needs the committer, so sign it
	// before closing the gateway.
	herr := hs.Shutdown(sctx)
	serr := srv.Stop(sctx)
	gerr := gw.Close()
	return errors.Join(herr, serr, gerr)
}

// redactURL hides secrets in a database URL for messages (store.RedactURL).
func redactURL(u string) string { return store.RedactURL(u) }

// redactErr hides the secrets of dbURL wherever err's message repeats them
// (the store's messages name the URL, and a driver may quote it), keeping
// err itself for errors.As and errors.Is.
func redactErr(err error, dbURL string) error {
	if err == nil {
		return nil
	}
	_, secrets := store.RedactSecrets(dbURL)
	var vals []string
	for _, v := range secrets {
		if v == "" {
			continue
		}
		vals = append(vals, v)
		if dv, err := url.QueryUnescape(v); err == nil && dv != v {
			vals = append(vals, dv)
		}
	}
	// Longest first, so that a secret containing another is hidden whole.
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	msg := err.Error()
	red := msg
	for _, v := range vals {
		if len(v) >= 4 {
			red = strings.ReplaceAll(red, v, "***")
			continue
		}
		// A short secret is hidden only where it stands as a value, not
		// inside every word that happens to contain it.
		re := regexp.MustCompile(`([=:])` + regexp.QuoteMeta(v) + "([&@#\\s\"'`)]|$)")
		red = re.ReplaceAllString(red, "${1}***${2}")
	}
	if red == msg {
		return err
	}
	return &redactedError{msg: red, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// minEnvTokenLen is the shortest XBORDER_ADMIN_TOKEN accepted: with the
// prefix, 20 characters of its own (a generated token has 43).
const minEnvTokenLen = 24

// checkEnvToken refuses an XBORDER_ADMIN_TOKEN that is weak or that the
// logs' and audit log's token filter (the audit.TokenPrefix) would not
// recognise.
func checkEnvToken(tok string) error {
	bad := func(why string) error {
		return xerr.BadInputf("XBORDER_ADMIN_TOKEN %s: it must start with %q and have at least %d characters, letters, digits, '-' or '_' (unset it to have one generated, or use `xborder token create`)",
			why, audit.TokenPrefix, minEnvTokenLen)
	}
	if !strings.HasPrefix(tok, audit.TokenPrefix) {
		return bad("lacks the " + audit.TokenPrefix + " prefix")
	}
	if len(tok) < minEnvTokenLen {
		return bad(fmt.Sprintf("is %d characters long", len(tok)))
	}
	for _, r := range tok {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return bad(fmt.Sprintf("holds %q", r))
		}
	}
	return nil
}

// bootstrapAdmin creates the first admin token on a database without tokens.
// The count and the insert share one write transaction (the store's global
// write lock), so instances starting together on a new database make exactly
// one: the others find it there and go on.
func bootstrapAdmin(ctx context.Context, env *Env, st store.Store) error {
	tok := env.Getenv("XBORDER_ADMIN_TOKEN")
	generated := tok == ""
	if generated {
		var err error
		if tok, err = store.NewToken(); err != nil {
			return err
		}
	} else if err := checkEnvToken(tok); err != nil {
		return err
	}
	hash := store.TokenHash(tok)
	now := env.Now()
	created, known, revoked := false, false, false
	err := st.Update(ctx, func(tx store.Tx) error {
		created, known, revoked = false, false, false
		// TokenCount counts revoked tokens too: a database whose tokens were
		// all revoked gets no new first admin (see store.AuthReader).
		n, err := tx.TokenCount(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			if !generated {
				rec, err := tx.Token(ctx, hash)
				known = err == nil
				revoked = known && !rec.Live()
			}
			return nil
		}
		if err := tx.CreateToken(ctx, store.TokenRecord{Hash: hash, Role: store.RoleAdmin, Name: "bootstrap", Created: now}); err != nil {
			return err
		}
		// Named by its hash prefix like every token.create, so that a later
		// token.revoke of it can be matched with its creation.
		body := []byte(`{"name":"bootstrap","role":"admin","token_sha256_prefix":"` + store.TokenPrefix(hash) + `"}`)
		if _, err := tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "token.create", Actor: "system", Body: body}); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("create the first admin token: %w", err)
	}
	switch {
	case created && generated:
		fmt.Fprintf(env.Stderr, "xborder: created the first admin token (shown once, keep it safe):\n%s\n", tok)
	case created:
		fmt.Fprintln(env.Stderr, "xborder: created the first admin token from XBORDER_ADMIN_TOKEN")
	case revoked:
		fmt.Fprintln(env.Stderr, "xborder: XBORDER_ADMIN_TOKEN was revoked: it is refused like an unknown token, and no new admin token was made (the database has tokens); make one with xborder token create --role admin")
	case !generated && !known:
		fmt.Fprintln(env.Stderr, "xborder: the database already has tokens; XBORDER_ADMIN_TOKEN is not one of them and was not added")
	}
	return nil
}

// logStart appends a serve.start entry.
func logStart(ctx context.Context, gw *gateway.Gateway, now time.Time, set *rulepack.Set, holidays string, externalKey bool) error {
	var packs []string
	for _, l := range set.Packs {
		packs = append(packs, l.Ref())
	}
	cal := "weekends only (approximate)"
	if holidays != "" {
		b, err := os.ReadFile(holidays)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		cal = "holidays file sha256:" + hex.EncodeToString(h[:])
	}
	body, err := json.Marshal(map[string]any{"packs": packs, "calendar": cal, "external_signing_key": externalKey})
	if err != nil {
		return err
	}
	return gw.Group().Do(ctx, func(tx store.Tx) error {
		_, err := tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "serve.start", Actor: "system", Body: body})
		return err
	})
}

// ServeGCPercent and ServeMemoryLimit are the service's garbage collector
// settings unless GOGC or GOMEMLIMIT say otherwise. The service's live heap
// is small (tens of MB), so at Go's default GOGC=100 it collected all the
// time: a quarter of its CPU under load. At 400 a check costs about 30 %
// less CPU (bench/serve.sh, PostgreSQL, 16 clients: 208 -> 145 us), and
// the soft limit keeps the heap bounded whatever the load.
const (
	ServeGCPercent   = 400
	ServeMemoryLimit = 1 << 30
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(ServeGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ServeMemoryLimit)
	}
}
