package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
)

type openapiDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas struct {
			Error struct {
				Properties struct {
					Error struct {
						Properties struct {
							Code struct {
								Enum []string `json:"enum"`
							} `json:"code"`
						} `json:"properties"`
					} `json:"error"`
				} `json:"properties"`
			} `json:"Error"`
		} `json:"schemas"`
	} `json:"components"`
}

type openapiOp struct {
	Roles      []string                   `json:"x-roles"`
	Security   []map[string][]string      `json:"security"`
	Responses  map[string]json.RawMessage `json:"responses"`
	Parameters []struct {
		Name     string `json:"name"`
		In       string `json:"in"`
		Required bool   `json:"required"`
	} `json:"parameters"`
	RequestBody json.RawMessage `json:"requestBody"`
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true, "trace": true}

func loadOpenAPI(t *testing.T) (openapiDoc, map[string]openapiOp) {
	t.Helper()
	var doc openapiDoc
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	ops := map[string]openapiOp{}
	for path, item := range doc.Paths {
		for m, raw := range item {
			if !httpMethods[m] {
				continue // "parameters", "summary" and such at path level
			}
			var op openapiOp
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", m, path, err)
			}
			ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return doc, ops
}

// The document's paths and methods are exactly the routes, and x-roles and
// security say what the route table enforces.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	h := newHarness(t)
	_, ops := loadOpenAPI(t)
	var inDoc, inRoutes []string
	for k := range ops {
		inDoc = append(inDoc, k)
	}
	routes := map[string]server.Route{}
	for _, rt := range h.srv.Routes() {
		k := rt.Method + " " + rt.Pattern
		inRoutes = append(inRoutes, k)
		routes[k] = rt
	}
	sort.Strings(inDoc)
	sort.Strings(inRoutes)
	if !slices.Equal(inDoc, inRoutes) {
		t.Fatalf("openapi.json and Routes() differ:\n only in the document: %v\n only in the routes: %v",
			minus(inDoc, inRoutes), minus(inRoutes, inDoc))
	}
	for k, op := range ops {
		rt := routes[k]
		if rt.Roles == nil {
			if op.Roles != nil || len(op.Security) != 0 {
				t.Errorf("%s is public but the document gives it roles %v / security %v", k, op.Roles, op.Security)
			}
			continue
		}
		got, want := slices.Clone(op.Roles), slices.Clone(rt.Roles)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: x-roles %v, route roles %v", k, op.Roles, rt.Roles)
		}
		if len(op.Security) != 1 || op.Security[0]["bearer"] == nil {
			t.Errorf("%s: security %v, want [{bearer: []}]", k, op.Security)
		}
		for _, code := range []string{"200", "401", "403"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("%s: response %s not documented", k, code)
			}
		}
		for _, r := range op.Roles {
			if !store.ValidRole(r) {
				t.Errorf("%s: x-roles names %q, not a role", k, r)
			}
		}
		// Path parameters are declared.
		for _, seg := range strings.Split(rt.Pattern, "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}.")
				if !slices.ContainsFunc(op.Parameters, func(p struct {
					Name     string `json:"name"`
					In       string `json:"in"`
					Required bool   `json:"required"`
				}) bool {
					return p.Name == name && p.In == "path" && p.Required
				}) {
					t.Errorf("%s: path parameter %s not declared", k, name)
				}
			}
		}
		// Write routes take a body and document 413.
		if rt.Method == "PUT" || rt.Method == "POST" {
			if len(op.RequestBody) == 0 {
				t.Errorf("%s: no requestBody", k)
			}
			if _, ok := op.Responses["413"]; !ok {
				t.Errorf("%s: 413 not documented", k)
			}
		}
	}
}

// The error code enum names every code the server can put in an error body.
func TestOpenAPI_ErrorCodesDocumented(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	enum := doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
	emitted := []string{
		// server
		"unauthorized", "forbidden", "payload_too_large", "invalid_request", "invalid_inventory", "invalid_approval", "internal",
		"not_found", "method_not_allowed", // requests no route matches
		// gateway
		gateway.CodeInvalid, gateway.CodeIdempotencyKey, gateway.CodeIdempotencyReuse, gateway.CodeTransferExists,
		gateway.CodeForbidden, gateway.CodeOverloaded, gateway.CodeUnavailable, gateway.CodeNoInventory, gateway.CodeInternal,
		// store codes that keep their own name in a response (statusOf)
		string(store.CodeNotFound), string(store.CodeConflict), string(store.CodeRetention), string(store.CodeClosed),
	}
	for _, c := range emitted {
		if !slices.Contains(enum, c) {
			t.Errorf("error code %q is not in components.schemas.Error code enum %v", c, enum)
		}
	}
}

// docs/api.md names every error code of the document.
func TestDocs_APIListsEveryErrorCode(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum {
		if !strings.Contains(string(md), "`"+c+"`") {
			t.Errorf("docs/api.md does not name the error code %q", c)
		}
	}
}

func TestOpenAPI_ServedAsIs(t *testing.T) {
	h := newHarness(t)
	r := h.req("GET", "/openapi.json", "", nil, nil)
	if r.status != 200 || string(r.body) != string(server.OpenAPI()) {
		t.Fatalf("GET /openapi.json: %d, %d bytes (embedded %d)", r.status, len(r.body), len(server.OpenAPI()))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// docs/api.md lists every route with the roles the route table gives it.
func TestDocs_APIListsEveryRouteWithRoles(t *testing.T) {
	h := newHarness(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) >= 4 && strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
		}
	}
	for _, rt := range h.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		roles, ok := rows[key]
		if !ok {
			t.Errorf("docs/api.md has no row for %s", key)
			continue
		}
		want := "public"
		switch {
		case rt.Roles == nil:
		case len(rt.Roles) == len(store.Roles):
			want = "all"
		default:
			want = strings.Join(rt.Roles, ", ")
		}
		if roles != want {
			t.Errorf("docs/api.md: %s roles %q, route table %q", key, roles, want)
		}
	}
}
