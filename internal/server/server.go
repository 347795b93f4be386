// Package server is xborder's HTTP face: the JSON API of SPEC §7 with bearer
// tokens and roles, the OpenAPI document, metrics, health, and the web
// console. Decisions are the gateway's; this package only translates.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/store"
)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// Registry gathers /metrics (the gateway registers its metrics there too).
	Registry *prometheus.Registry
	// Signer signs checkpoints with an external key (--signing-key); nil
	// uses the key kept in the database.
	Signer *audit.Signer
	// CheckpointEvery is how often a new checkpoint is signed when the log
	// grew (default 10 s, as serve's --checkpoint-every: each checkpoint
	// costs a signature check in every verification).
	CheckpointEvery time.Duration
	// MaxInventoryBytes bounds PUT /v1/inventory bodies (default 32 MiB).
	MaxInventoryBytes int64
	// IdempotencyTTL is how long an Idempotency-Key keeps its first answer
	// (default 30 days). A retry after that is a new check; an allowed
	// transfer id still cannot be allowed twice.
	IdempotencyTTL time.Duration
	// AuthCacheTTL is how long a token lookup is reused without reading the
	// database again (default 1 minute). It bounds how long a token revoked
	// with `xborder token revoke` (another process) can still be used on
	// this instance: requests are refused at most AuthCacheTTL after the
	// revocation commits.
	AuthCacheTTL time.Duration
}

// DefaultAuthCacheTTL is AuthCacheTTL's default (docs/operations.md).
const DefaultAuthCacheTTL = time.Minute

// Server serves the API.
type Server struct {
	st   store.Store
	gw   *gateway.Gateway
	log  *slog.Logger
	reg  *prometheus.Registry
	opt  Options
	mux  *http.ServeMux
	rts  []Route
	auth *authCache

	reqs *prometheus.CounterVec
	dur  *prometheus.HistogramVec
	// head serves the log size and inventory version; gather is what
	// /metrics serves (the registry with head's gauges in place of the
	// gateway's).
	head   *headMetrics
	gather prometheus.Gatherer
	// unmatched answers requests no route matches (404, 405): after
	// authentication under /v1/ and /metrics, without it elsewhere.
	unmatchedAuth, unmatchedPublic http.HandlerFunc
	// busyLog rate-limits the log lines of 503 answers.
	busyLog logLimiter

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Route is one API route with the roles allowed to call it (nil: public).
type Route struct {
	Method  string
	Pattern string
	Roles   []string
	handler func(w http.ResponseWriter, r *http.Request, a gateway.Actor)
}

var (
	allRoles  = []string{store.RoleAdmin, store.RoleOfficer, store.RoleEngineer, store.RoleAuditor}
	writers   = []string{store.RoleAdmin, store.RoleOfficer}
	checkers  = []string{store.RoleAdmin, store.RoleOfficer, store.RoleEngineer}
	adminOnly = []string{store.RoleAdmin}
)

// New builds the server.
func New(st store.Store, gw *gateway.Gateway, opt Options) *Server {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = 10 * time.Second
	}
	if opt.MaxInventoryBytes <= 0 {
		opt.MaxInventoryBytes = 32 << 20
	}
	if opt.IdempotencyTTL <= 0 {
		opt.IdempotencyTTL = 30 * 24 * time.Hour
	}
	if opt.AuthCacheTTL <= 0 {
		opt.AuthCacheTTL = DefaultAuthCacheTTL
	}
	s := &Server{st: st, gw: gw, log: opt.Logger, reg: opt.Registry, opt: opt, mux: http.NewServeMux(),
		auth: newAuthCache(st, opt.AuthCacheTTL), stop: make(chan struct{}), done: make(chan struct{})}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	s.dur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "xborder_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"route"})
	_ = s.reg.Register(s.reqs)
	_ = s.reg.Register(s.dur)
	s.head = newHeadMetrics(st)
	s.busyLog.report = func(n int64) {
		s.log.Error("requests answered 503 not logged one by one", "count", n, "interval_ms", logEvery.Milliseconds())
	}
	s.gather = s.head.gatherer(s.reg)
	s.rts = []Route{
		{"GET", "/healthz", nil, s.healthz},
		{"GET", "/readyz", nil, s.readyz},
		{"GET", "/openapi.json", nil, s.openapi},
		{"GET", "/metrics", allRoles, s.metrics},
		{"PUT", "/v1/inventory", writers, s.putInventory},
		{"GET", "/v1/inventory", allRoles, s.getInventory},
		{"GET", "/v1/approvals/{id}", allRoles, s.getApproval},
		{"PUT", "/v1/approvals/{id}", writers, s.putApproval},
		{"DELETE", "/v1/approvals/{id}", writers, s.deleteApproval},
		{"POST", "/v1/transfers/check", checkers, s.check},
		{"GET", "/v1/transfers", allRoles, s.listTransfers},
		{"GET", "/v1/assessment", allRoles, s.assessment},
		{"GET", "/v1/audit/checkpoint", allRoles, s.checkpoint},
		{"GET", "/v1/audit/proof/inclusion", allRoles, s.inclusion},
		{"GET", "/v1/audit/proof/consistency", allRoles, s.consistency},
		{"GET", "/v1/audit/entries", allRoles, s.entries},
		{"GET", "/v1/whoami", allRoles, s.whoami},
	}
	for _, rt := range s.rts {
		rt := rt
		s.mux.HandleFunc(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	s.mountConsole()
	// Everything no route matches: the mux's own 404 and 405 answers are
	// text; these are the stable JSON error.
	s.unmatchedAuth = s.wrap(Route{Pattern: unmatchedRoute, Roles: allRoles, handler: s.unmatched})
	s.unmatchedPublic = s.wrap(Route{Pattern: unmatchedRoute, handler: s.unmatched})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if protectedPath(r.URL.Path) {
			s.unmatchedAuth(w, r)
		} else {
			s.unmatchedPublic(w, r)
		}
	})
	return s
}

// unmatchedRoute labels requests no route matches in logs and metrics (one
// label, whatever the path, so that scanners cannot grow the metrics).
const unmatchedRoute = "(unmatched)"

// protectedPath: the API and metrics need a token before anything is said
// about them, so an unknown path or a wrong method there is 401 without a
// valid token, like every route there (docs/api.md).
func protectedPath(p string) bool {
	return p == "/v1" || strings.HasPrefix(p, "/v1/") || p == "/metrics"
}

// probeMethods are the methods tried to tell 405 from 404.
var probeMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// unmatched answers 405 method_not_allowed, with Allow, when another method
// of the path has a route (or console file handler), else 404 not_found.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	var allow []string
	for _, m := range probeMethods {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := s.mux.Handler(probe); pat != "" && pat != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", ")), nil)
		return
	}
	writeError(w, http.StatusNotFound, "not_found", "no such route: "+r.URL.Path+" (the routes are in /openapi.json)", nil)
}

// Routes lists the API routes (the OpenAPI test and the auth table test walk it).
func (s *Server) Routes() []Route { return append([]Route{}, s.rts...) }

// Handler is the root handler.
func (s *Server) Handler() http.Handler { return s.mux }

// statusWriter records the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) {
	w.code = c
	w.ResponseWriter.WriteHeader(c)
}

// wrap adds authentication, role checks, logging and metrics. Logs carry the
// route pattern, never the token or query values.
func (s *Server) wrap(rt Route) http.HandlerFunc {
	name := strings.TrimSpace(rt.Method + " " + rt.Pattern)
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		var actor gateway.Actor
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in handler", "route", name, "panic", fmt.Sprint(p))
				writeError(sw, http.StatusInternalServerError, "internal", "internal error", nil)
			}
			d := time.Since(start)
			s.reqs.WithLabelValues(name, fmt.Sprint(sw.code)).Inc()
			s.dur.WithLabelValues(name).Observe(d.Seconds())
			lvl := slog.LevelDebug
			if sw.code >= 500 {
				lvl = slog.LevelError
			} else if rt.Pattern != "/healthz" && rt.Pattern != "/readyz" && rt.Pattern != "/metrics" {
				lvl = slog.LevelInfo
			}
			attrs := []any{"route", name, "status", sw.code, "duration_ms", float64(d.Microseconds()) / 1000, "role", actor.Role, "actor", actor.Name}
			if sw.code == http.StatusServiceUnavailable {
				// Under overload every refused check is a 503: log at most
				// one a second, and then how many were left out (the
				// metric above counts each).
				if !s.busyLog.allow(time.Now()) {
					return
				}
			}
			s.log.Log(r.Context(), lvl, "request", attrs...)
		}()
		if rt.Roles != nil {
			a, err := s.authenticate(r)
			var down *authUnavailable
			if errors.As(err, &down) {
				// The token could not be looked up: that says nothing about
				// the token, so the client is told to retry, not that its
				// token is bad (a 401 would make a pipeline drop its
				// credentials during a database failover).
				if r.Context().Err() == nil { // a client that left is not a store failure
					s.log.Warn("token lookup failed", "err", store.RedactURL(down.err.Error()))
				}
				sw.Header().Set("Retry-After", "1")
				writeError(sw, http.StatusServiceUnavailable, gateway.CodeUnavailable, "cannot check the token now: the store is unavailable; retry", nil)
				return
			}
			if err != nil {
				sw.Header().Set("WWW-Authenticate", `Bearer realm="xborder"`)
				writeError(sw, http.StatusUnauthorized, "unauthorized", err.Error(), nil)
				return
			}
			actor = a
			if !hasRole(rt.Roles, a.Role) {
				writeError(sw, http.StatusForbidden, "forbidden", fmt.Sprintf("the %s role may not %s %s", a.Role, rt.Method, rt.Pattern), nil)
				return
			}
		}
		rt.handler(sw, r, actor)
	}
}

func hasRole(roles []string, r string) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func (s *Server) authenticate(r *http.Request) (gateway.Actor, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return gateway.Actor{}, errors.New("missing Authorization: Bearer TOKEN")
	}
	// The scheme is case-insensitive (RFC 7235 §2.1): "bearer TOKEN" works.
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return gateway.Actor{}, errors.New("Authorization must be: Bearer TOKEN")
	}
	rec, err := s.auth.lookup(r.Context(), strings.TrimSpace(tok))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return gateway.Actor{}, &authUnavailable{err}
	}
	if err != nil {
		// Unknown and revoked tokens get the same answer: a client learns
		// nothing about which tokens ever existed.
		return gateway.Actor{}, errors.New("unknown or invalid token")
	}
	// The token hash scopes the caller's Idempotency-Keys (gateway.ScopedKey).
	return gateway.Actor{Name: rec.Name, Role: rec.Role, TokenHash: rec.Hash}, nil
}

// authUnavailable is a token lookup that failed for another reason than
// an unknown or revoked token.
type authUnavailable struct{ err error }

func (e *authUnavailable) Error() string { return "token lookup: " + e.err.Error() }

// authCache keeps token lookups for a while, so that a check does not pay a
// database read for its token. The one change a token sees is its
// revocation, which is made by another process (`xborder token revoke`)
// and so cannot clear this cache: an entry is reused for at most ttl after
// the read that made it started, so a revoked token is refused at most ttl
// after the revocation committed. Revoked and unknown tokens are not cached.
type authCache struct {
	st  store.Store
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]authEntry
}

type authEntry struct {
	rec store.TokenRecord
	at  time.Time
}

func newAuthCache(st store.Store, ttl time.Duration) *authCache {
	return &authCache{st: st, ttl: ttl, m: map[string]authEntry{}}
}

func (c *authCache) lookup(ctx context.Context, tok string) (store.TokenRecord, error) {
	h := store.TokenHash(tok)
	k := string(h)
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.ttl {
		return e.rec, nil
	}
	// The entry's age counts from before the read: the snapshot it read is
	// no older than that, so a revocation it missed committed later.
	at := time.Now()
	var rec store.TokenRecord
	err := c.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		rec, err = tx.Token(ctx, h)
		return err
	})
	if err == nil && !rec.Live() {
		err = store.Errorf(store.CodeNotFound, "token revoked")
	}
	if err != nil {
		if ok {
			c.mu.Lock()
			delete(c.m, k)
			c.mu.Unlock()
		}
		return store.TokenRecord{}, err
	}
	c.mu.Lock()
	if len(c.m) > 10000 {
		c.m = map[string]authEntry{}
	}
	c.m[k] = authEntry{rec: rec, at: at}
	c.mu.Unlock()
	return rec, nil
}

// apiError is the body of every error response.
type apiError struct {
	Error struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Details []string `json:"details,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string, details []string) {
	var e apiError
	e.Error.Code, e.Error.Message, e.Error.Details = code, msg, details
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// statusOf maps stable codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case gateway.CodeInvalid, gateway.CodeIdempotencyKey:
		return http.StatusBadRequest
	case gateway.CodeIdempotencyReuse, gateway.CodeTransferExists, string(store.CodeConflict):
		return http.StatusConflict
	case gateway.CodeForbidden:
		return http.StatusForbidden
	case gateway.CodeOverloaded, gateway.CodeUnavailable, string(store.CodeClosed):
		return http.StatusServiceUnavailable
	case string(store.CodeNotFound):
		return http.StatusNotFound
	case string(store.CodeRetention):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func (s *Server) writeErr(w http.ResponseWriter, err error) {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		st := statusOf(ge.Code)
		if st == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, st, ge.Code, ge.Message, ge.Details)
		return
	}
	code := store.CodeOf(err)
	st := statusOf(string(code))
	if st == http.StatusInternalServerError {
		s.log.Error("internal error", "err", err)
		writeError(w, st, "internal", "internal error", nil)
		return
	}
	if st == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeError(w, st, string(code), err.Error(), nil)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	writeJSON(w, 200, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err := s.st.View(ctx, func(tx store.ReadTx) error { _, err := tx.InventoryVersion(ctx); return err })
	if err != nil {
		writeJSON(w, 503, map[string]string{"status": "unavailable", "error": string(store.CodeOf(err))})
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready", "backend": s.st.Backend()})
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, a gateway.Actor) {
	writeJSON(w, 200, map[string]string{"name": a.Name, "role": a.Role})
}

// logLimiter lets one log line through per interval; the lines it holds
// back are counted and reported by one summary line when the interval ends,
// so a burst of any length costs about one line a second.
type logLimiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int64
	pending    *time.Timer
	// report logs the summary of n suppressed lines.
	report func(n int64)
}

// logEvery is how often a rate-limited line may be logged.
const logEvery = time.Second

// allow reports whether a line may be logged at now; if not, it is counted.
func (l *logLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil && (l.last.IsZero() || now.Sub(l.last) >= logEvery) {
		l.last = now
		return true
	}
	l.suppressed++
	if l.pending == nil {
		l.pending = time.AfterFunc(l.last.Add(logEvery).Sub(now), l.flush)
	}
	return false
}

// flush reports the lines held back so far.
func (l *logLimiter) flush() {
	l.mu.Lock()
	n := l.suppressed
	l.suppressed = 0
	if l.pending != nil {
		l.pending.Stop()
		l.pending = nil
	}
	l.last = time.Now()
	l.mu.Unlock()
	if n > 0 && l.report != nil {
		l.report(n)
	}
}
