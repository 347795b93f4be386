package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
)

// revoke marks a token revoked directly in the store, as `xborder token
// revoke` does from another process: the server's cache is not told.
func (h *harness) revoke(tok string) {
	h.t.Helper()
	ctx := context.Background()
	if err := h.st.Update(ctx, func(tx store.Tx) error { return tx.RevokeToken(ctx, store.TokenHash(tok), time.Now()) }); err != nil {
		h.t.Fatalf("revoke: %v", err)
	}
}

// refusedLikeAWrongToken asserts r is the answer a never-issued token gets.
func refusedLikeAWrongToken(t *testing.T, h *harness, r response) {
	t.Helper()
	wrong := h.req("GET", "/v1/whoami", "Bearer "+wrongToken, nil, nil)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: %s", r.status, r.body)
	}
	if string(r.body) != string(wrong.body) || r.header.Get("WWW-Authenticate") != wrong.header.Get("WWW-Authenticate") {
		t.Errorf("a revoked token is answered %s (WWW-Authenticate %q), a wrong one %s (%q): want the same",
			r.body, r.header.Get("WWW-Authenticate"), wrong.body, wrong.header.Get("WWW-Authenticate"))
	}
	if code, _, _ := r.apiErr(t); code != "unauthorized" {
		t.Errorf("code %q, want unauthorized", code)
	}
}

// A token revoked while the server holds it in its cache is refused once
// the cache's TTL has passed, exactly like a token that was never issued;
// the other tokens keep working.
func TestRevokedToken_RefusedWithinTheAuthCacheTTL(t *testing.T) {
	const ttl = 100 * time.Millisecond
	h := newHarness(t, func(o *server.Options) { o.AuthCacheTTL = ttl })
	h.loadExample()
	if r := h.req("GET", "/v1/whoami", "engineer", nil, nil); r.status != 200 {
		t.Fatalf("before revocation: %d %s", r.status, r.body)
	}
	if r, _ := h.check("engineer", "k-before", smallVolume("t-before", 10)); r.status != 200 {
		t.Fatalf("check before revocation: %d %s", r.status, r.body)
	}
	h.revoke(h.tokens["engineer"])
	time.Sleep(ttl + 20*time.Millisecond)
	// Every route refuses it, a check included (and it is not recorded).
	refusedLikeAWrongToken(t, h, h.req("GET", "/v1/whoami", "engineer", nil, nil))
	r, _ := h.check("engineer", "k-after", smallVolume("t-after", 10))
	refusedLikeAWrongToken(t, h, r)
	// A retry of a check made before the revocation is refused too: a
	// revoked token reads nothing, not even its own stored answers.
	r, _ = h.check("engineer", "k-before", smallVolume("t-before", 10))
	refusedLikeAWrongToken(t, h, r)
	if r := h.req("GET", "/v1/whoami", "officer", nil, nil); r.status != 200 {
		t.Errorf("another token after the revocation: %d %s", r.status, r.body)
	}
	var n int
	err := h.st.View(context.Background(), func(tx store.ReadTx) error {
		recs, err := tx.Checks(context.Background(), store.CheckFilter{})
		n = len(recs)
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("%d checks recorded (%v), want 1: the revoked token's check must not be", n, err)
	}
}

// A token revoked before the server ever saw it is refused on first use,
// with the default TTL: only live tokens are cached.
func TestRevokedToken_NeverCachedIsRefusedAtOnce(t *testing.T) {
	h := newHarness(t)
	h.revoke(h.tokens["auditor"])
	refusedLikeAWrongToken(t, h, h.req("GET", "/v1/whoami", "auditor", nil, nil))
	refusedLikeAWrongToken(t, h, h.req("GET", "/v1/inventory", "auditor", nil, nil))
}

// The same Idempotency-Key sent with two tokens is two keys: the second
// caller is not handed the first's answer, and each retry replays its own.
func TestIdempotencyKey_PerToken(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	// A second engineer token with the same name: only the token differs.
	other := "xbt_test_engineer2_" + strings.Repeat("q", 32)
	ctx := context.Background()
	if err := h.st.Update(ctx, func(tx store.Tx) error {
		return tx.CreateToken(ctx, store.TokenRecord{Hash: store.TokenHash(other), Role: store.RoleEngineer, Name: "engineer-test", Created: harnessStart})
	}); err != nil {
		t.Fatal(err)
	}
	body := deniedNoApproval("t-shared")
	ra, ca := h.check("engineer", "shared-key", body)
	if ra.status != 200 || ra.header.Get("Idempotent-Replayed") != "" || ca.Decision != "deny" {
		t.Fatalf("first token: %d %s", ra.status, ra.body)
	}
	rb, cb := h.check("Bearer "+other, "shared-key", body)
	if rb.status != 200 || rb.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("second token, same key and body: %d replayed %q: want its own fresh check, not the first token's answer",
			rb.status, rb.header.Get("Idempotent-Replayed"))
	}
	if cb.LogIndex == ca.LogIndex {
		t.Fatalf("both tokens got log index %d", ca.LogIndex)
	}
	for _, c := range []struct {
		who, auth string
		first     response
	}{{"first", "engineer", ra}, {"second", "Bearer " + other, rb}} {
		r, _ := h.check(c.auth, "shared-key", body)
		if r.status != 200 || r.header.Get("Idempotent-Replayed") != "true" || string(r.body) != string(c.first.body) {
			t.Errorf("%s token's retry: %d replayed %q, same bytes as its first answer %v", c.who, r.status, r.header.Get("Idempotent-Replayed"), string(r.body) == string(c.first.body))
		}
		r, _ = h.check(c.auth, "shared-key", deniedNoApproval("t-other"))
		if r.status != http.StatusConflict {
			t.Errorf("%s token, its key with another body: %d %s, want 409", c.who, r.status, r.body)
			continue
		}
		if code, _, _ := r.apiErr(t); code != "idempotency_key_reused" {
			t.Errorf("%s token, its key with another body: code %q, want idempotency_key_reused", c.who, code)
		}
	}
}

// A token that cannot be looked up because the store is down is not a bad
// token: the answer is 503 with Retry-After, never the 401 that would make
// a pipeline discard its credentials; a wrong token is still a 401 while
// the store works.
func TestTokenLookup_StoreDownIs503Not401(t *testing.T) {
	h := newHarness(t, func(o *server.Options) { o.AuthCacheTTL = time.Nanosecond })
	if r := h.req("GET", "/v1/whoami", "Bearer "+wrongToken, nil, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong token with the store up: %d %s, want 401", r.status, r.body)
	}
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{h.tokens["officer"], wrongToken} {
		r := h.req("GET", "/v1/whoami", "Bearer "+tok, nil, nil)
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("store closed: status %d %s, want 503", r.status, r.body)
		}
		if code, _, _ := r.apiErr(t); code != "unavailable" {
			t.Errorf("code %q, want unavailable", code)
		}
		if r.header.Get("Retry-After") == "" || r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("headers %v: want Retry-After and no WWW-Authenticate", r.header)
		}
		if strings.Contains(string(r.body), tok) {
			t.Errorf("the answer repeats the token: %s", r.body)
		}
	}
}
