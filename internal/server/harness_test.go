package server_test

// The harness runs the real server (server.New over the gateway and a SQLite
// store in t.TempDir()) behind httptest, with one token per role and a
// deterministic clock. API tests and browser tests share it.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
	_ "github.com/xborder/xborder/internal/store/sqlite" // the default backend
)

var (
	packsOnce sync.Once
	packsSet  *rulepack.Set
	packsErr  error
)

// defaultPacks loads the default rule packs once: compiling CEL is the
// slow part of starting a server, and a Set is read-only.
func defaultPacks(t testing.TB) *rulepack.Set {
	t.Helper()
	packsOnce.Do(func() { packsSet, packsErr = rulepack.LoadWithDefaults(nil, rulepack.Limits{}) })
	if packsErr != nil {
		t.Fatalf("load rule packs: %v", packsErr)
	}
	return packsSet
}

// harnessStart is 10:00 on Monday 2026-06-15 in China time: the example's
// approvals sa-2026-01, sc-2025-01 and cert-2024-02 are valid then.
var harnessStart = time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC)

// stepClock advances a millisecond per reading, so entry times are distinct
// and the run is the same every time.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

type harness struct {
	t     testing.TB
	st    store.Store
	gw    *gateway.Gateway
	srv   *server.Server
	ts    *httptest.Server
	clock *stepClock
	// tokens by role; wrongToken is well formed but unknown.
	tokens map[string]string
}

const wrongToken = "xbt_this_token_was_never_issued_0000000000000"

func newHarness(t testing.TB, opts ...func(*server.Options)) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "xborder.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	clk := &stepClock{t: harnessStart}
	gw, err := gateway.New(st, gateway.Options{Set: defaultPacks(t), Now: clk.Now})
	if err != nil {
		st.Close()
		t.Fatalf("gateway: %v", err)
	}
	o := server.Options{CheckpointEvery: time.Hour}
	for _, f := range opts {
		f(&o)
	}
	srv := server.New(st, gw, o)
	ts := httptest.NewServer(srv.Handler())
	h := &harness{t: t, st: st, gw: gw, srv: srv, ts: ts, clock: clk, tokens: map[string]string{}}
	t.Cleanup(func() {
		ts.Close()
		gw.Close()
		st.Close()
	})
	for _, role := range store.Roles {
		tok := "xbt_test_" + role + "_" + strings.Repeat("k", 32)
		h.tokens[role] = tok
		err := st.Update(ctx, func(tx store.Tx) error {
			return tx.CreateToken(ctx, store.TokenRecord{Hash: store.TokenHash(tok), Role: role, Name: role + "-test", Created: harnessStart})
		})
		if err != nil {
			t.Fatalf("create %s token: %v", role, err)
		}
	}
	return h
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// apiErr decodes the stable error body; it fails the test when the body is
// not {"error": {"code", "message"}}.
func (r response) apiErr(t testing.TB) (code, message string, details []string) {
	t.Helper()
	var e struct {
		Error struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Details []string `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("status %d: body is not the stable error shape: %s", r.status, r.body)
	}
	return e.Error.Code, e.Error.Message, e.Error.Details
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("status %d: decode %s: %v", r.status, r.body, err)
	}
}

// req sends a request. auth is a role name, "" for no Authorization header,
// or a whole header value when it contains a space.
func (h *harness) req(method, path, auth string, body []byte, hdr map[string]string) response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	rq, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	switch {
	case auth == "":
	case strings.Contains(auth, " "):
		rq.Header.Set("Authorization", auth)
	default:
		tok, ok := h.tokens[auth]
		if !ok {
			h.t.Fatalf("no token for role %q", auth)
		}
		rq.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		rq.Header.Set(k, v)
	}
	res, err := h.ts.Client().Do(rq)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// exampleInventory is examples/acme-motors without its transfers (the API
// refuses transfers: checks record them).
func exampleInventory(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, f := range []string{"processors.yaml", "assets.yaml", "approvals.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "acme-motors", f))
		if err != nil {
			t.Fatalf("read example: %v", err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (h *harness) loadExample() {
	h.t.Helper()
	r := h.req("PUT", "/v1/inventory", "admin", exampleInventory(h.t), nil)
	if r.status != 200 {
		h.t.Fatalf("PUT example inventory: %d %s", r.status, r.body)
	}
}

// checkResponse is the part of a check answer the tests read.
type checkResponse struct {
	Decision    string   `json:"decision"`
	Transfer    string   `json:"transfer"`
	Date        string   `json:"date"`
	Mechanism   string   `json:"mechanism"`
	Exemption   *string  `json:"exemption"`
	DenyReasons []string `json:"deny_reasons"`
	Coverage    struct {
		Status   string `json:"status"`
		Approval string `json:"approval"`
	} `json:"coverage"`
	Cumulative struct {
		Year      int `json:"year"`
		Processor struct {
			Individuals          int64 `json:"individuals"`
			SensitiveIndividuals int64 `json:"sensitive_individuals"`
		} `json:"processor"`
	} `json:"cumulative"`
	LogIndex uint64 `json:"log_index"`
}

// check posts a check body (a Go value marshalled to JSON) with a key.
func (h *harness) check(role, key string, body any) (response, checkResponse) {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := h.req("POST", "/v1/transfers/check", role, b, map[string]string{"Idempotency-Key": key, "Content-Type": "application/json"})
	var cr checkResponse
	if r.status == 200 {
		r.json(h.t, &cr)
	}
	return r, cr
}

// Transfers the example's approvals decide one way or the other.
func allowedSA(id string) map[string]any {
	// adas-training-scenes is important data covered by sa-2026-01 for ACME GmbH.
	return map[string]any{"id": id, "processor": "acme-cn", "assets": []string{"adas-training-scenes"},
		"recipient": map[string]any{"name": "ACME GmbH", "country": "DE"}, "purpose": "model training",
		"individuals": 0, "sensitive_individuals": 0}
}

func smallVolume(id string, n int) map[string]any {
	// vin-registry is not important; under 100,000 individuals it is exempt (small_volume).
	return map[string]any{"id": id, "processor": "acme-cn", "assets": []string{"vin-registry"},
		"recipient":   map[string]any{"name": "ACME Connected Services Pte. Ltd.", "country": "SG"},
		"individuals": n, "sensitive_individuals": 0}
}

func deniedNoApproval(id string) map[string]any {
	// 500,000 individuals need a standard contract; none covers this recipient.
	return map[string]any{"id": id, "processor": "acme-cn", "assets": []string{"vin-registry"},
		"recipient":   map[string]any{"name": "Unknown Analytics Inc.", "country": "US"},
		"individuals": 500000, "sensitive_individuals": 0}
}
