package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/store"
)

// publicRoutes are the only routes SPEC §7 lets through without a token.
var publicRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /openapi.json": true}

// concrete turns a route pattern into a path it matches.
func concrete(pattern string) string {
	return strings.ReplaceAll(pattern, "{id}", "no-such-approval")
}

func TestRoutes_PublicOnlyHealthReadyAndOpenAPI(t *testing.T) {
	h := newHarness(t)
	var public []string
	for _, rt := range h.srv.Routes() {
		if rt.Roles == nil {
			public = append(public, rt.Method+" "+rt.Pattern)
		}
	}
	sort.Strings(public)
	want := []string{"GET /healthz", "GET /openapi.json", "GET /readyz"}
	if !slices.Equal(public, want) {
		t.Fatalf("public routes = %v, want %v", public, want)
	}
	for _, p := range want {
		r := h.req("GET", strings.TrimPrefix(p, "GET "), "", nil, nil)
		if r.status != 200 {
			t.Errorf("%s without a token: %d %s", p, r.status, r.body)
		}
	}
}

// Every protected route refuses a missing, wrong or malformed token with 401
// and the stable error body, before any handler runs.
func TestRoutes_EveryProtectedRouteRefusesBadTokens(t *testing.T) {
	h := newHarness(t)
	bads := []struct{ name, auth string }{
		{"missing", ""},
		{"wrong token", "Bearer " + wrongToken},
		{"empty bearer", "Bearer  "},
		{"basic scheme", "Basic YWRtaW46YWRtaW4="},
		{"token without scheme", "x " + h.tokens["admin"]},
		{"admin token with a suffix", "Bearer " + h.tokens["admin"] + "x"},
	}
	routes := h.srv.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes: the table walk would prove little", len(routes))
	}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if publicRoutes[key] {
			continue
		}
		if rt.Roles == nil {
			t.Errorf("%s has no roles but is not a public route", key)
			continue
		}
		for _, b := range bads {
			t.Run(key+"/"+b.name, func(t *testing.T) {
				var body []byte
				if rt.Method != "GET" {
					body = []byte(`{}`)
				}
				r := h.req(rt.Method, concrete(rt.Pattern), b.auth, body, map[string]string{"Idempotency-Key": "k"})
				if r.status != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401: %s", r.status, r.body)
				}
				code, _, _ := r.apiErr(t)
				if code != "unauthorized" {
					t.Errorf("code %q, want unauthorized", code)
				}
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
				if strings.Contains(string(r.body), "xbt_") {
					t.Errorf("the error echoes a token: %s", r.body)
				}
			})
		}
	}
}

// Each role gets exactly the access the route table gives it: a role not
// listed gets 403 forbidden, a listed role gets past authorization (whatever
// the handler then says about the request). The auditor is read-only.
func TestRoutes_RolesGetExactlyTheirAccess(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	for _, rt := range h.srv.Routes() {
		if rt.Roles == nil {
			continue
		}
		key := rt.Method + " " + rt.Pattern
		if rt.Method != "GET" && slices.Contains(rt.Roles, store.RoleAuditor) {
			t.Errorf("%s lets the read-only auditor write", key)
		}
		for _, role := range store.Roles {
			t.Run(key+"/"+role, func(t *testing.T) {
				var body []byte
				if rt.Method != "GET" {
					// Bodies that cannot change state if they get through:
					// an invalid check and an invalid approval. PUT
					// /v1/inventory gets a bad inventory.
					body = []byte(`{"not": "valid"}`)
				}
				r := h.req(rt.Method, concrete(rt.Pattern), role, body, map[string]string{"Idempotency-Key": "auth-table-" + role})
				allowed := slices.Contains(rt.Roles, role)
				switch {
				case !allowed:
					if r.status != http.StatusForbidden {
						t.Fatalf("%s may not call it, got %d: %s", role, r.status, r.body)
					}
					if code, msg, _ := r.apiErr(t); code != "forbidden" || !strings.Contains(msg, role) {
						t.Errorf("code %q message %q", code, msg)
					}
				case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
					t.Fatalf("%s may call it, got %d: %s", role, r.status, r.body)
				case r.status >= 500:
					t.Fatalf("%s: server error %d: %s", role, r.status, r.body)
				}
			})
		}
	}
	// The inventory is what it was: no write above got through.
	r := h.req("GET", "/v1/inventory", "auditor", nil, nil)
	var inv struct {
		Version int64 `json:"version"`
	}
	r.json(t, &inv)
	if inv.Version != 1 {
		t.Errorf("inventory version %d after the table walk, want 1 (a refused write changed it)", inv.Version)
	}
}

// The auditor is refused every write with 403, checked route by route with
// bodies that would succeed for an officer.
func TestAuditor_EveryWriteRefused(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	approval := []byte(`{"id": "sc-new", "kind": "standard_contract", "processor": "acme-cn", "effective": "2026-01-05", "filed": "2026-01-09"}`)
	writes := []struct {
		method, path string
		body         []byte
	}{
		{"PUT", "/v1/inventory", exampleInventory(t)},
		{"PUT", "/v1/approvals/sc-new", approval},
		{"DELETE", "/v1/approvals/sa-2026-01", nil},
		{"POST", "/v1/transfers/check", mustJSON(t, smallVolume("t-auditor", 10))},
	}
	for _, w := range writes {
		r := h.req(w.method, w.path, "auditor", w.body, map[string]string{"Idempotency-Key": "auditor-1"})
		if r.status != http.StatusForbidden {
			t.Errorf("auditor %s %s: %d, want 403: %s", w.method, w.path, r.status, r.body)
		}
		// The same request from an officer goes through: the 403 was the role.
		o := h.req(w.method, w.path, "officer", w.body, map[string]string{"Idempotency-Key": "officer-1"})
		if o.status != 200 {
			t.Errorf("officer %s %s: %d %s", w.method, w.path, o.status, o.body)
		}
	}
	// Every route the auditor may call is a GET.
	for _, rt := range h.srv.Routes() {
		if slices.Contains(rt.Roles, store.RoleAuditor) && rt.Method != "GET" {
			t.Errorf("auditor may %s %s", rt.Method, rt.Pattern)
		}
	}
}

// RFC 7235: the auth scheme is case-insensitive, so "bearer TOKEN" works.
func TestAuth_SchemeIsCaseInsensitive(t *testing.T) {
	h := newHarness(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		r := h.req("GET", "/v1/whoami", scheme+" "+h.tokens["officer"], nil, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", scheme, r.status, r.body)
		}
		var who map[string]string
		r.json(t, &who)
		if who["role"] != "officer" {
			t.Errorf("%s: whoami %v", scheme, who)
		}
	}
}

func TestWhoami_NamesRole(t *testing.T) {
	h := newHarness(t)
	for _, role := range store.Roles {
		r := h.req("GET", "/v1/whoami", role, nil, nil)
		var who map[string]string
		r.json(t, &who)
		if who["role"] != role || who["name"] != role+"-test" {
			t.Errorf("%s: %v", role, who)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
