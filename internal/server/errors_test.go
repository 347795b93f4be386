package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/server"
)

// metricValue reads one sample from the Prometheus text format: the line
// that starts with series (name and labels as written) and a space.
func metricValue(t testing.TB, body []byte, series string) (float64, bool) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return f, true
		}
	}
	return 0, false
}

// Requests no route matches get the stable JSON error: 404 not_found, or
// 405 method_not_allowed with Allow when the path has other methods. Under
// /v1/ and /metrics a valid token comes first, like on every route there:
// without one the answer is 401 whether or not the path exists.
func TestErrors_UnmatchedRoutesAreJSON(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path, auth string
		status                   int
		code, allow              string
	}{
		{"unknown /v1 path, no token", "GET", "/v1/nope", "", 401, "unauthorized", ""},
		{"unknown /v1 path, wrong token", "GET", "/v1/nope", "Bearer " + wrongToken, 401, "unauthorized", ""},
		{"unknown /v1 path", "GET", "/v1/nope", "officer", 404, "not_found", ""},
		{"bare /v1", "GET", "/v1", "auditor", 404, "not_found", ""},
		{"deep unknown path", "DELETE", "/v1/audit/nope/x", "admin", 404, "not_found", ""},
		{"wrong method, no token", "POST", "/v1/inventory", "", 401, "unauthorized", ""},
		{"wrong method", "POST", "/v1/inventory", "officer", 405, "method_not_allowed", "GET, HEAD, PUT"},
		{"wrong method, auditor", "PATCH", "/v1/inventory", "auditor", 405, "method_not_allowed", "GET, HEAD, PUT"},
		{"wrong method on the check", "GET", "/v1/transfers/check", "engineer", 405, "method_not_allowed", "POST"},
		{"wrong method on an approval", "POST", "/v1/approvals/x", "officer", 405, "method_not_allowed", "GET, HEAD, PUT, DELETE"},
		{"metrics, wrong method, no token", "POST", "/metrics", "", 401, "unauthorized", ""},
		{"metrics, wrong method", "POST", "/metrics", "auditor", 405, "method_not_allowed", "GET, HEAD"},
		{"unknown public path", "GET", "/nope", "", 404, "not_found", ""},
		{"health, wrong method", "POST", "/healthz", "", 405, "method_not_allowed", "GET, HEAD"},
		{"console, wrong method", "POST", "/", "", 405, "method_not_allowed", "GET, HEAD"},
		{"no console file", "GET", "/console/nope.js", "", 404, "not_found", ""},
		{"no console listing", "GET", "/console/", "", 404, "not_found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.req(tc.method, tc.path, tc.auth, nil, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if code, _, _ := r.apiErr(t); code != tc.code {
				t.Errorf("code %q, want %q", code, tc.code)
			}
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	// Counted under one route label, whatever the path.
	m := h.req("GET", "/metrics", "admin", nil, nil)
	if v, ok := metricValue(t, m.body, `xborder_http_requests_total{code="404",route="(unmatched)"}`); !ok || v != 4 {
		t.Errorf("unmatched 404s counted %v (%v), want 4:\n%s", v, ok, m.body)
	}
}

// lockedBuffer collects log output written from handler goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// A burst of 503 answers logs about one line a second, then one line with
// the count of those it left out; the request metric counts every one.
func TestLogs_503BurstIsRateLimited(t *testing.T) {
	logs := &lockedBuffer{}
	h := newHarness(t, func(o *server.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	// Authenticate once so the token is cached: /metrics still answers
	// once the database is gone.
	if r := h.req("GET", "/metrics", "admin", nil, nil); r.status != 200 {
		t.Fatalf("metrics: %d %s", r.status, r.body)
	}
	h.st.Close() // every readiness probe is now a 503
	const n = 300
	start := time.Now()
	for i := 0; i < n; i++ {
		if r := h.req("GET", "/readyz", "", nil, nil); r.status != 503 {
			t.Fatalf("readyz: %d %s", r.status, r.body)
		}
	}
	burst := time.Since(start)
	time.Sleep(1500 * time.Millisecond) // the summary of the last second
	var logged, summarized int
	for _, l := range logs.lines() {
		switch {
		case l["msg"] == "request" && l["status"] == float64(503):
			logged++
			if l["level"] != "ERROR" {
				t.Errorf("503 logged at %v", l["level"])
			}
		case l["msg"] == "requests answered 503 not logged one by one":
			summarized += int(l["count"].(float64))
		}
	}
	if max := int(burst/time.Second) + 2; logged > max || logged < 1 {
		t.Errorf("%d request lines for %d 503s in %v, want 1 to %d", logged, n, burst, max)
	}
	if logged+summarized != n {
		t.Errorf("%d logged + %d summarized, want %d", logged, summarized, n)
	}
	m := h.req("GET", "/metrics", "admin", nil, nil)
	if v, ok := metricValue(t, m.body, `xborder_http_requests_total{code="503",route="GET /readyz"}`); !ok || v != n {
		t.Errorf("503s counted %v (%v), want %d", v, ok, n)
	}
}
