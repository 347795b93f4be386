package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// fuzzReq sends a request for a fuzz iteration (reporting to its t).
func fuzzReq(t *testing.T, h *harness, method, path, role string, body []byte) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	rq, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		return -1, nil
	}
	rq.Header.Set("Authorization", "Bearer "+h.tokens[role])
	res, err := h.ts.Client().Do(rq)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

var detailPos = regexp.MustCompile(`^body:(\d+):(\d+): `)

// PUT /v1/approvals/{id} places the body inside a synthetic inventory
// document to validate it against the stored processors and assets. Whatever
// the body, the answer is 200 or a 400 whose positions point into the body,
// never into the synthetic document, and the stored processors and assets
// are never changed by it.
func FuzzPutApproval(f *testing.F) {
	h := newHarness(f)
	h.loadExample()
	f.Fuzz(func(t *testing.T, body []byte) {
		status, rb := fuzzReq(t, h, "PUT", "/v1/approvals/a1", "officer", body)
		switch status {
		case 200:
			st, gb := fuzzReq(t, h, "GET", "/v1/approvals/a1", "auditor", nil)
			var ap map[string]any
			if st != 200 || json.Unmarshal(gb, &ap) != nil || ap["id"] != "a1" {
				t.Fatalf("accepted %q but GET answers %d %s", body, st, gb)
			}
			_, ib := fuzzReq(t, h, "GET", "/v1/inventory", "auditor", nil)
			var inv struct {
				Processors []any `json:"processors"`
				Assets     []any `json:"assets"`
			}
			if err := json.Unmarshal(ib, &inv); err != nil || len(inv.Processors) != 3 || len(inv.Assets) != 20 {
				t.Fatalf("body %q changed processors or assets: %d, %d", body, len(inv.Processors), len(inv.Assets))
			}
		case 400:
			var e struct {
				Error struct {
					Code    string   `json:"code"`
					Message string   `json:"message"`
					Details []string `json:"details"`
				} `json:"error"`
			}
			if err := json.Unmarshal(rb, &e); err != nil || e.Error.Code != "invalid_approval" || e.Error.Message == "" {
				t.Fatalf("400 without the stable error body: %s", rb)
			}
			lines := len(strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(strings.TrimRight(string(body), "\r\n")), "\n"))
			for _, d := range e.Error.Details {
				if strings.Contains(d, ": processors") || strings.Contains(d, ": assets[") {
					t.Fatalf("body %q: detail leaks the synthetic document: %q", body, d)
				}
				m := detailPos.FindStringSubmatch(d)
				if m == nil {
					continue
				}
				var l, c int
				fmt.Sscan(m[1], &l)
				fmt.Sscan(m[2], &c)
				if l < 1 || l > lines+1 || c < 1 {
					t.Fatalf("body %q (%d lines): detail %q points outside it", body, lines, d)
				}
			}
		case 413:
			if len(body) <= 1<<20 {
				t.Fatalf("413 for %d bytes", len(body))
			}
		default:
			t.Fatalf("body %q: status %d %s", body, status, rb)
		}
	})
}

// Query strings of the read routes: any query gets 200, 400 or (proofs of
// unsigned sizes) 404 with the stable error body, never a server error.
func FuzzReadQueries(f *testing.F) {
	h := newHarness(f)
	h.loadExample()
	paths := []string{"/v1/transfers", "/v1/audit/entries", "/v1/audit/proof/inclusion", "/v1/audit/proof/consistency", "/v1/assessment"}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		p := paths[int(which)%len(paths)]
		// Bytes a request line cannot carry are sent percent-encoded, as
		// a client would: the server's own parser answers raw ones.
		var q strings.Builder
		for i := 0; i < len(query); i++ {
			c := query[i]
			if c <= ' ' || c >= 0x7f || c == '#' {
				fmt.Fprintf(&q, "%%%02X", c)
			} else {
				q.WriteByte(c)
			}
		}
		query = q.String()
		status, b := fuzzReq(t, h, "GET", p+"?"+query, "auditor", nil)
		switch status {
		case -1: // not a URL at all: the client refuses it
		case 200:
			if !json.Valid(b) {
				t.Fatalf("%s?%s: 200 with invalid JSON", p, query)
			}
		case 400, 404:
			var e struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
				t.Fatalf("%s?%s: %d without the stable error body: %s", p, query, status, b)
			}
		default:
			t.Fatalf("%s?%s: status %d %s", p, query, status, b)
		}
	})
}
