package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
)

// ---- request size limits ----

// padTo pads a valid YAML document with a comment to exactly n bytes.
func padTo(t *testing.T, doc string, n int) []byte {
	t.Helper()
	fill := n - len(doc) - len("#\n")
	if fill < 0 {
		t.Fatalf("document longer than %d", n)
	}
	b := []byte(doc + "#" + strings.Repeat("x", fill) + "\n")
	if len(b) != n {
		t.Fatalf("padded to %d, want %d", len(b), n)
	}
	return b
}

func TestLimits_InventoryBodyAtBelowAbove(t *testing.T) {
	const max = 4096
	h := newHarness(t, func(o *server.Options) { o.MaxInventoryBytes = max })
	doc := "processors:\n  - id: p1\n    name: 艾克美汽车（中国）有限公司\n"
	for _, tc := range []struct {
		size int
		want int
	}{{max - 1, 200}, {max, 200}, {max + 1, 413}, {4 * max, 413}} {
		r := h.req("PUT", "/v1/inventory", "officer", padTo(t, doc, tc.size), nil)
		if r.status != tc.want {
			t.Errorf("%d bytes (limit %d): status %d, want %d: %s", tc.size, max, r.status, tc.want, r.body)
			continue
		}
		if tc.want == 413 {
			if code, msg, _ := r.apiErr(t); code != "payload_too_large" || !strings.Contains(msg, fmt.Sprint(max)) {
				t.Errorf("%d bytes: code %q message %q", tc.size, code, msg)
			}
		}
	}
}

func TestLimits_CheckAndApprovalBodies(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	// A check body is at most gateway.MaxBodyBytes (1 MiB): pad the purpose
	// with spaces outside the JSON value so only the size changes.
	base := mustJSON(t, smallVolume("t-size", 10))
	for _, tc := range []struct {
		size int
		want int
	}{{gateway.MaxBodyBytes, 200}, {gateway.MaxBodyBytes + 1, 413}} {
		body := append(append([]byte{}, base...), bytes.Repeat([]byte(" "), tc.size-len(base))...)
		r := h.req("POST", "/v1/transfers/check", "engineer", body, map[string]string{"Idempotency-Key": fmt.Sprint("size-", tc.size)})
		if r.status != tc.want {
			t.Errorf("check of %d bytes: %d, want %d: %.200s", tc.size, r.status, tc.want, r.body)
		} else if tc.want == 413 {
			if code, _, _ := r.apiErr(t); code != "payload_too_large" {
				t.Errorf("code %q", code)
			}
		}
	}
	// A too large check recorded nothing.
	var list struct {
		Transfers []map[string]any `json:"transfers"`
	}
	h.req("GET", "/v1/transfers", "auditor", nil, nil).json(t, &list)
	if len(list.Transfers) != 1 {
		t.Errorf("%d transfers recorded, want 1 (only the one under the limit)", len(list.Transfers))
	}
	big := append([]byte(`{"id": "a-big", "kind": "certification", "processor": "acme-cn", "issued": "2026-01-01"}`), bytes.Repeat([]byte(" "), 1<<20)...)
	r := h.req("PUT", "/v1/approvals/a-big", "officer", big, nil)
	if r.status != 413 {
		t.Errorf("approval over 1 MiB: %d", r.status)
	}
}

// ---- idempotency ----

func TestCheck_IdempotencyKey(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	body := smallVolume("t-idem", 40000)
	r1, c1 := h.check("engineer", "key-1", body)
	if r1.status != 200 || c1.Decision != "allow" {
		t.Fatalf("first check: %d %s", r1.status, r1.body)
	}
	if r1.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("first answer marked as a replay")
	}
	// Same key, same body (other key order and spacing): the first answer.
	same := []byte(`{ "sensitive_individuals": 0, "individuals": 40000, "recipient": {"country": "SG", "name": "ACME Connected Services Pte. Ltd."},
		"assets": ["vin-registry"], "processor": "acme-cn", "id": "t-idem" }`)
	r2 := h.req("POST", "/v1/transfers/check", "engineer", same, map[string]string{"Idempotency-Key": "key-1"})
	if r2.status != 200 || !bytes.Equal(r1.body, r2.body) {
		t.Fatalf("replay: %d, body differs:\n%s\n%s", r2.status, r1.body, r2.body)
	}
	if r2.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay not marked: %v", r2.header)
	}
	// Same key, other body: 409 and nothing recorded.
	other := smallVolume("t-idem", 40001)
	r3, _ := h.check("engineer", "key-1", other)
	if r3.status != http.StatusConflict {
		t.Fatalf("other body: %d %s", r3.status, r3.body)
	}
	if code, _, _ := r3.apiErr(t); code != "idempotency_key_reused" {
		t.Errorf("code %q", code)
	}
	// Counted once: one recorded transfer, and the yearly total has 40,000 once.
	var list struct {
		Transfers []map[string]any `json:"transfers"`
	}
	h.req("GET", "/v1/transfers", "auditor", nil, nil).json(t, &list)
	if len(list.Transfers) != 1 {
		t.Fatalf("%d transfers recorded, want 1", len(list.Transfers))
	}
	_, c4 := h.check("engineer", "key-2", smallVolume("t-next", 1))
	if got := c4.Cumulative.Processor.Individuals; got != 40001 {
		t.Errorf("yearly total after a replay and one more check = %d, want 40001 (40,000 counted once + 1)", got)
	}
}

func TestCheck_IdempotencyKeyRequiredAndBounded(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	for _, tc := range []struct {
		key    string
		status int
		code   string
	}{
		{"", 400, "idempotency_key_required"},
		{strings.Repeat("k", 199), 200, ""},
		{strings.Repeat("k", 200), 200, ""},
		{strings.Repeat("k", 201), 400, "invalid_request"},
	} {
		r, _ := h.check("engineer", tc.key, smallVolume(fmt.Sprint("t-key-", len(tc.key)), 1))
		if r.status != tc.status {
			t.Errorf("key of %d characters: %d, want %d: %s", len(tc.key), r.status, tc.status, r.body)
			continue
		}
		if tc.code != "" {
			if code, _, _ := r.apiErr(t); code != tc.code {
				t.Errorf("key of %d characters: code %q, want %q", len(tc.key), code, tc.code)
			}
		}
	}
}

// ---- checks: decisions through the HTTP layer ----

func TestCheck_AllowDenyAndRoles(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	_, a := h.check("officer", "c1", allowedSA("t-sa"))
	if a.Decision != "allow" || a.Mechanism != "security_assessment" || a.Coverage.Status != "covered" || a.Coverage.Approval != "sa-2026-01" {
		t.Errorf("covered transfer: %+v", a)
	}
	if a.Date != "2026-06-15" {
		t.Errorf("date %q, want today in China time 2026-06-15", a.Date)
	}
	_, d := h.check("engineer", "c2", deniedNoApproval("t-deny"))
	if d.Decision != "deny" || d.Mechanism != "standard_contract_or_certification" || d.Coverage.Status != "not_covered" || len(d.DenyReasons) == 0 {
		t.Errorf("uncovered transfer: %+v", d)
	}
	// A backfill is the admin's only.
	bf := smallVolume("t-bf", 5)
	bf["date"], bf["backfill"] = "2026-03-02", true
	r, _ := h.check("officer", "c3", bf)
	if r.status != 403 {
		t.Errorf("officer backfill: %d %s", r.status, r.body)
	}
	r, c := h.check("admin", "c4", bf)
	if r.status != 200 || c.Date != "2026-03-02" {
		t.Errorf("admin backfill: %d %s", r.status, r.body)
	}
	// An allowed transfer id is allowed once.
	r, _ = h.check("officer", "c5", allowedSA("t-sa"))
	if r.status != 409 {
		t.Errorf("same transfer id, new key: %d %s", r.status, r.body)
	} else if code, _, _ := r.apiErr(t); code != "transfer_exists" {
		t.Errorf("code %q", code)
	}
}

// ---- inventory ----

func TestInventory_BadInputNamesLineAndColumn(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	cases := []struct {
		name, body string
		want       []string // each a prefix of one detail, in order
	}{
		{"unknown key", "processors:\n  - id: p1\n    colour: red\n", []string{"body:3:5: processors[0].colour: unknown field"}},
		{"wrong type", "processors:\n  - id: p1\n    ciio: maybe\n", []string{"body:3:11: processors[0].ciio: want true or false"}},
		{"bad date and unknown processor", "approvals:\n  - id: a\n    kind: standard_contract\n    processor: nope\n    effective: 2026-13-01\n",
			[]string{"body:4:16: approvals[0].processor: unknown processor \"nope\"", "body:5:16: approvals[0].effective: 2026-13-01 is not a day"}},
		{"duplicate id", "processors:\n  - id: p1\n  - id: p1\n", []string{"body:3:9: processors[1].id: duplicate processor id \"p1\""}},
		{"syntax", "processors: [\n", []string{"body:1:"}},
		{"transfers refused", "transfers:\n  - id: t\n", []string{"body:2:3: transfers: not accepted here"}},
		{"null transfers refused (YAML)", "processors: []\ntransfers: ~\n", []string{"body:2:12: transfers: not accepted here"}},
		{"empty transfers refused (YAML)", "processors: []\ntransfers:\n", []string{"body:2:1: transfers: not accepted here"}},
		{"null transfers refused (JSON)", `{"processors": [], "transfers": null}`, []string{"body:1:33: transfers: not accepted here"}},
		{"JSON unknown key", `{"processors": [{"id": "p1", "x": 1}]}`, []string{"body:1:30: processors[0].x: unknown field"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.req("PUT", "/v1/inventory", "officer", []byte(tc.body), nil)
			if r.status != 400 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			code, _, details := r.apiErr(t)
			if code != "invalid_inventory" {
				t.Errorf("code %q", code)
			}
			if len(details) < len(tc.want) {
				t.Fatalf("details %q, want %q", details, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(details[i], w) {
					t.Errorf("detail %d = %q, want prefix %q", i, details[i], w)
				}
			}
		})
	}
	// Nothing was stored by a refused body.
	var inv struct {
		Version int64 `json:"version"`
	}
	h.req("GET", "/v1/inventory", "auditor", nil, nil).json(t, &inv)
	if inv.Version != 1 {
		t.Errorf("version %d after refused bodies, want 1", inv.Version)
	}
}

func TestInventory_EmptyBodyRefused(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	for _, body := range []string{"", "\n  \n"} {
		r := h.req("PUT", "/v1/inventory", "officer", []byte(body), nil)
		if r.status != 400 {
			t.Fatalf("empty body %q: %d %s", body, r.status, r.body)
		}
	}
	// Clearing on purpose works.
	r := h.req("PUT", "/v1/inventory", "officer", []byte("processors: []\n"), nil)
	var got struct {
		Version    int64 `json:"version"`
		Processors int   `json:"processors"`
	}
	r.json(t, &got)
	if got.Version != 2 || got.Processors != 0 {
		t.Errorf("explicit clear: %s", r.body)
	}
}

// GET returns the inventory format: what it returns can be PUT back, and
// stores the same inventory (Chinese names included).
func TestInventory_RoundTrip(t *testing.T) {
	h := newHarness(t)
	body := "processors:\n  - id: cn-oem\n    name: 艾克美汽车（中国）有限公司\n    group: acme\n    kinds: [oem]\n" +
		"assets:\n  - id: vins\n    processor: cn-oem\n    item: connected.vehicle.vin\n    name: 车辆识别代号登记\n    facts: {vehicles_in_china: 120000}\n"
	if r := h.req("PUT", "/v1/inventory", "admin", []byte(body), nil); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	first := h.req("GET", "/v1/inventory", "engineer", nil, nil)
	var doc map[string]any
	first.json(t, &doc)
	delete(doc, "version")
	if r := h.req("PUT", "/v1/inventory", "admin", mustJSON(t, doc), nil); r.status != 200 {
		t.Fatalf("PUT back: %d %s", r.status, r.body)
	}
	second := h.req("GET", "/v1/inventory", "engineer", nil, nil)
	var doc2 map[string]any
	second.json(t, &doc2)
	delete(doc2, "version")
	if !bytes.Equal(mustJSON(t, doc), mustJSON(t, doc2)) {
		t.Errorf("round trip changed the inventory:\n%s\n%s", mustJSON(t, doc), mustJSON(t, doc2))
	}
	if !strings.Contains(string(second.body), "艾克美汽车（中国）有限公司") {
		t.Errorf("Chinese name lost or escaped: %s", second.body)
	}
	// The log keeps what the inventory said, not only that it changed: the
	// stored one is replaced in place.
	p := h.entries(0, 1000)
	last := p.Entries[len(p.Entries)-1]
	var eb struct {
		Version    int64          `json:"version"`
		BodySHA256 string         `json:"body_sha256"`
		Content    map[string]any `json:"content"`
	}
	if err := json.Unmarshal(last.Body, &eb); err != nil {
		t.Fatal(err)
	}
	if last.Kind != "inventory.put" || eb.BodySHA256 == "" || !bytes.Equal(mustJSON(t, eb.Content["assets"]), mustJSON(t, doc["assets"])) {
		t.Errorf("inventory.put entry %s: want the content as GET /v1/inventory shows it", last.Body)
	}
}

// ---- approvals ----

type entriesPage struct {
	Size    uint64 `json:"size"`
	Entries []struct {
		Index    uint64          `json:"index"`
		Kind     string          `json:"kind"`
		Actor    string          `json:"actor"`
		Body     json.RawMessage `json:"body"`
		Data     string          `json:"data"`
		LeafHash string          `json:"leaf_hash"`
	} `json:"entries"`
}

func (h *harness) entries(from, limit int) entriesPage {
	h.t.Helper()
	var p entriesPage
	r := h.req("GET", fmt.Sprintf("/v1/audit/entries?from=%d&limit=%d", from, limit), "auditor", nil, nil)
	if r.status != 200 {
		h.t.Fatalf("entries: %d %s", r.status, r.body)
	}
	r.json(h.t, &p)
	return p
}

func TestApprovals_CRUDWithAuditEntries(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	before := h.entries(0, 1000).Size

	// Create (JSON on one line, as the console sends it).
	ap := `{"id": "sc-2026-02", "kind": "standard_contract", "processor": "acme-mobility", "effective": "2026-04-01", "filed": "2026-04-08", "reference": "沪-SCC-2026-0042", "scope": {"recipients": ["ACME Mobility Europe GmbH"], "max_individuals": 300000}}`
	r := h.req("PUT", "/v1/approvals/sc-2026-02", "officer", []byte(ap), nil)
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	// Read it back, alone and in the inventory.
	g := h.req("GET", "/v1/approvals/sc-2026-02", "auditor", nil, nil)
	var got map[string]any
	g.json(t, &got)
	if got["reference"] != "沪-SCC-2026-0042" || got["processor"] != "acme-mobility" || got["effective"] != "2026-04-01" {
		t.Errorf("stored approval: %s", g.body)
	}
	var inv struct {
		Version   int64            `json:"version"`
		Approvals []map[string]any `json:"approvals"`
	}
	h.req("GET", "/v1/inventory", "auditor", nil, nil).json(t, &inv)
	if len(inv.Approvals) != 5 || inv.Version != 2 {
		t.Errorf("inventory after create: version %d, %d approvals", inv.Version, len(inv.Approvals))
	}
	// Update (YAML, several lines).
	upd := "id: sc-2026-02\nkind: standard_contract\nprocessor: acme-mobility\neffective: 2026-04-01\nfiled: 2026-04-08\nscope:\n  max_individuals: 100000\n"
	if r := h.req("PUT", "/v1/approvals/sc-2026-02", "admin", []byte(upd), nil); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	// Delete, then it is gone.
	if r := h.req("DELETE", "/v1/approvals/sc-2026-02", "officer", nil, nil); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		r := h.req(m, "/v1/approvals/sc-2026-02", "officer", nil, nil)
		if r.status != 404 {
			t.Errorf("%s after delete: %d %s", m, r.status, r.body)
		} else if code, _, _ := r.apiErr(t); code != "not_found" {
			t.Errorf("%s after delete: code %q", m, code)
		}
	}
	// Three audit entries, in order, naming the actor and the approval.
	p := h.entries(int(before), 100)
	var kinds []string
	for _, e := range p.Entries {
		kinds = append(kinds, e.Kind+" "+e.Actor)
		if !strings.Contains(string(e.Body), "sc-2026-02") {
			t.Errorf("entry %d does not name the approval: %s", e.Index, e.Body)
		}
	}
	want := []string{"approval.put officer:officer-test", "approval.put admin:admin-test", "approval.delete officer:officer-test"}
	if strings.Join(kinds, "|") != strings.Join(want, "|") {
		t.Errorf("audit entries %q, want %q", kinds, want)
	}
}

func TestApprovals_BadBodiesNameBodyPositions(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	cases := []struct {
		name, body string
		want       string // prefix of one detail, or of the message
	}{
		{"unknown field in one-line JSON", `{"id": "a1", "kind": "certification", "processor": "acme-cn", "issued": "2026-01-01", "colour": 1}`, "body:1:87: approvals[0].colour: unknown field"},
		{"bad date on line 4", "id: a1\nkind: certification\nprocessor: acme-cn\nissued: 2026-02-30\n", "body:4:9: approvals[0].issued: 2026-02-30 is not a day"},
		{"unknown asset in scope", "id: a1\nkind: certification\nprocessor: acme-cn\nissued: 2026-01-01\nscope:\n  assets: [no-such-asset]\n", "body:6:"},
		{"id differs from path", `{"id": "a2", "kind": "certification", "processor": "acme-cn", "issued": "2026-01-01"}`, `the body's id "a2" differs`},
		{"a list", `[1, 2]`, "body:1:1: approvals[0]: want a mapping"},
		{"empty", ``, "body:1:1: approvals[0]: empty entry"},
		{"CR line breaks cannot reach the top level", "id: a1\rapprovals: []\rkind: certification", "body:2:1: approvals[0].approvals: unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.req("PUT", "/v1/approvals/a1", "officer", []byte(tc.body), nil)
			if r.status != 400 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			code, msg, details := r.apiErr(t)
			if code != "invalid_approval" {
				t.Errorf("code %q", code)
			}
			found := strings.HasPrefix(msg, tc.want)
			for _, d := range details {
				found = found || strings.HasPrefix(d, tc.want)
				// Positions point into the body, never into the processors
				// and assets the server appends to validate against.
				if strings.Contains(d, ": processors") || strings.Contains(d, ": assets[") {
					t.Errorf("a detail leaks the server's synthetic document: %q", d)
				}
				var line int
				if _, err := fmt.Sscanf(d, "body:%d:", &line); err == nil && line > strings.Count(tc.body, "\n")+strings.Count(tc.body, "\r")+1 {
					t.Errorf("detail %q points past the body's last line", d)
				}
			}
			if !found {
				t.Errorf("message %q details %q: none has the prefix %q", msg, details, tc.want)
			}
		})
	}
	if r := h.req("GET", "/v1/approvals/a1", "officer", nil, nil); r.status != 404 {
		t.Errorf("a refused approval was stored: %d", r.status)
	}
}

// ---- transfers list ----

func TestTransfers_FiltersAndPages(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	// Five allowed (backfilled across dates) and three denied.
	for i, d := range []string{"2026-01-05", "2026-02-10", "2026-03-15", "2026-04-20", "2026-05-25"} {
		b := smallVolume(fmt.Sprintf("t-a%d", i), 10)
		b["date"], b["backfill"] = d, true
		if r, c := h.check("admin", fmt.Sprint("a", i), b); r.status != 200 || c.Decision != "allow" {
			t.Fatalf("backfill %s: %d %s", d, r.status, r.body)
		}
	}
	for i := 0; i < 3; i++ {
		if _, c := h.check("engineer", fmt.Sprint("d", i), deniedNoApproval(fmt.Sprint("t-d", i))); c.Decision != "deny" {
			t.Fatalf("deny %d: %+v", i, c)
		}
	}
	type row struct {
		ID       string `json:"id"`
		Date     string `json:"date"`
		Decision string `json:"decision"`
		Seq      int64  `json:"seq"`
		Counted  bool   `json:"counted"`
		Backfill bool   `json:"backfill"`
	}
	list := func(q string) []row {
		var out struct {
			Transfers []row `json:"transfers"`
		}
		r := h.req("GET", "/v1/transfers"+q, "auditor", nil, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		r.json(t, &out)
		return out.Transfers
	}
	ids := func(rs []row) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.ID)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct{ q, want string }{
		{"", "t-a0,t-a1,t-a2,t-a3,t-a4,t-d0,t-d1,t-d2"},
		{"?decision=deny", "t-d0,t-d1,t-d2"},
		{"?decision=allow&from=2026-02-10&to=2026-04-20", "t-a1,t-a2,t-a3"},
		{"?from=2026-02-11&to=2026-04-19", "t-a2"},
		{"?processor=acme-mobility", ""},
		{"?processor=acme-cn&limit=3", "t-a0,t-a1,t-a2"},
		{"?processor=acme-cn&limit=3&offset=3", "t-a3,t-a4,t-d0"},
		{"?limit=3&offset=6", "t-d1,t-d2"},
		{"?limit=3&offset=9", ""},
	} {
		if got := ids(list(tc.q)); got != tc.want {
			t.Errorf("GET /v1/transfers%s = %s, want %s", tc.q, got, tc.want)
		}
	}
	for _, r := range list("") {
		if (r.Decision == "allow") != r.Counted || (r.Decision == "allow") != r.Backfill {
			t.Errorf("%s: decision %s counted %v backfill %v", r.ID, r.Decision, r.Counted, r.Backfill)
		}
	}
	for _, q := range []string{"?decision=maybe", "?from=2026-13-01", "?limit=-1", "?limit=10001", "?offset=x"} {
		r := h.req("GET", "/v1/transfers"+q, "auditor", nil, nil)
		if r.status != 400 {
			t.Errorf("%s: %d", q, r.status)
		} else if code, _, _ := r.apiErr(t); code != "invalid_request" {
			t.Errorf("%s: code %q", q, code)
		}
	}
}

// ---- audit proofs ----

func TestAudit_ProofsVerifyWithAuditPackage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.loadExample()
	for i := 0; i < 6; i++ {
		h.check("engineer", fmt.Sprint("p", i), smallVolume(fmt.Sprint("t-p", i), 10))
	}
	if err := h.srv.SignCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	cp1 := h.checkpoint()
	for i := 0; i < 5; i++ {
		h.check("engineer", fmt.Sprint("q", i), deniedNoApproval(fmt.Sprint("t-q", i)))
	}
	if err := h.srv.SignCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	cp2 := h.checkpoint()
	if cp1.Size != 7 || cp2.Size != 12 {
		t.Fatalf("checkpoint sizes %d, %d; want 7, 12", cp1.Size, cp2.Size)
	}
	// The notes verify with the log's keys.
	var vkeys []string
	if err := h.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		vkeys, err = tx.VerifierKeys(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	vs, err := audit.NewVerifiers(vkeys...)
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range []audit.SignedCheckpoint{cp1, cp2} {
		opened, err := vs.OpenCheckpoint(cp.Note)
		if err != nil {
			t.Fatalf("checkpoint %d does not verify: %v", cp.Size, err)
		}
		if opened.Size != cp.Size || !bytes.Equal(opened.Root, cp.Root) {
			t.Errorf("JSON fields differ from the signed note at size %d", cp.Size)
		}
	}
	// Every entry's inclusion in both trees, with the leaf hashed from the
	// entry's bytes as served.
	all := h.entries(0, 100)
	for _, cp := range []audit.SignedCheckpoint{cp1, cp2} {
		for idx := uint64(0); idx < cp.Size; idx++ {
			data, err := base64.StdEncoding.DecodeString(all.Entries[idx].Data)
			if err != nil || len(data) == 0 {
				t.Fatalf("entry %d: no data", idx)
			}
			leaf := audit.LeafHash(data)
			var pr struct {
				LeafHash   string   `json:"leaf_hash"`
				Proof      []string `json:"proof"`
				Checkpoint struct {
					Size uint64 `json:"size"`
					Note string `json:"note"`
				} `json:"checkpoint"`
			}
			h.req("GET", fmt.Sprintf("/v1/audit/proof/inclusion?index=%d&size=%d", idx, cp.Size), "auditor", nil, nil).json(t, &pr)
			if pr.LeafHash != base64.StdEncoding.EncodeToString(leaf) || pr.LeafHash != all.Entries[idx].LeafHash {
				t.Fatalf("entry %d: leaf hash of the data %x differs from the served %s", idx, leaf, pr.LeafHash)
			}
			if pr.Checkpoint.Size != cp.Size || pr.Checkpoint.Note != string(cp.Note) {
				t.Errorf("entry %d: proof not pinned to the checkpoint of size %d", idx, cp.Size)
			}
			proof := decodeAll(t, pr.Proof)
			if err := audit.VerifyInclusion(idx, cp.Size, leaf, proof, cp.Root); err != nil {
				t.Fatalf("entry %d in size %d: %v", idx, cp.Size, err)
			}
			// A changed proof or leaf fails.
			if len(proof) > 0 {
				bad := cloneHashes(proof)
				bad[0][0] ^= 1
				if audit.VerifyInclusion(idx, cp.Size, leaf, bad, cp.Root) == nil {
					t.Errorf("entry %d: a flipped proof bit verifies", idx)
				}
			}
			other := audit.LeafHash(append(append([]byte{}, data...), ' '))
			if audit.VerifyInclusion(idx, cp.Size, other, proof, cp.Root) == nil {
				t.Errorf("entry %d: changed entry bytes verify", idx)
			}
		}
	}
	// Consistency from the first checkpoint to the second.
	var cons struct {
		Proof []string `json:"proof"`
	}
	h.req("GET", fmt.Sprintf("/v1/audit/proof/consistency?from=%d&to=%d", cp1.Size, cp2.Size), "auditor", nil, nil).json(t, &cons)
	if err := audit.VerifyConsistency(cp1.Size, cp2.Size, decodeAll(t, cons.Proof), cp1.Root, cp2.Root); err != nil {
		t.Fatalf("consistency %d -> %d: %v", cp1.Size, cp2.Size, err)
	}
	if audit.VerifyConsistency(cp1.Size, cp2.Size, decodeAll(t, cons.Proof), cp2.Root, cp2.Root) == nil {
		t.Error("consistency verifies against a wrong old root")
	}
	// Proofs are only served for signed sizes and sane indices.
	for _, tc := range []struct {
		q      string
		status int
		code   string
	}{
		{"/v1/audit/proof/inclusion?index=0&size=8", 404, "not_found"},
		{"/v1/audit/proof/inclusion?index=7&size=7", 400, "invalid_request"},
		{"/v1/audit/proof/inclusion?index=x&size=7", 400, "invalid_request"},
		{"/v1/audit/proof/inclusion?size=7", 400, "invalid_request"},
		{"/v1/audit/proof/consistency?from=12&to=7", 400, "invalid_request"},
		{"/v1/audit/proof/consistency?from=7&to=9", 404, "not_found"},
		{"/v1/audit/entries?limit=1001", 400, "invalid_request"},
	} {
		r := h.req("GET", tc.q, "auditor", nil, nil)
		if r.status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.q, r.status, tc.status, r.body)
			continue
		}
		if code, _, _ := r.apiErr(t); code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.q, code, tc.code)
		}
	}
}

func (h *harness) checkpoint() audit.SignedCheckpoint {
	h.t.Helper()
	var c struct {
		Origin string   `json:"origin"`
		Size   uint64   `json:"size"`
		Root   string   `json:"root"`
		Note   string   `json:"note"`
		KeyIDs []string `json:"key_ids"`
	}
	r := h.req("GET", "/v1/audit/checkpoint", "auditor", nil, nil)
	if r.status != 200 {
		h.t.Fatalf("checkpoint: %d %s", r.status, r.body)
	}
	r.json(h.t, &c)
	root, err := base64.StdEncoding.DecodeString(c.Root)
	if err != nil {
		h.t.Fatal(err)
	}
	return audit.SignedCheckpoint{Checkpoint: audit.Checkpoint{Origin: c.Origin, Size: c.Size, Root: root}, Note: []byte(c.Note), KeyIDs: c.KeyIDs}
}

func decodeAll(t *testing.T, ss []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func cloneHashes(hs [][]byte) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = append([]byte{}, h...)
	}
	return out
}

// ---- stable error codes ----

// Each error a client may meet, with its status and code. Clients branch on
// the code, so these never change meaning.
func TestErrors_StableCodes(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	h.check("engineer", "first", smallVolume("t-first", 10))
	unknownExemption := smallVolume("t-x", 10)
	unknownExemption["exemption"] = "because"
	dated := smallVolume("t-dated", 10)
	dated["date"] = "2026-01-01"
	cases := []struct {
		name, method, path, auth string
		body                     []byte
		key                      string
		status                   int
		code                     string
	}{
		{"no token", "GET", "/v1/inventory", "", nil, "", 401, "unauthorized"},
		{"wrong token", "GET", "/v1/inventory", "Bearer " + wrongToken, nil, "", 401, "unauthorized"},
		{"role", "PUT", "/v1/inventory", "engineer", []byte("processors: []"), "", 403, "forbidden"},
		{"auditor check", "POST", "/v1/transfers/check", "auditor", mustJSON(t, smallVolume("t-a", 1)), "k-a", 403, "forbidden"},
		{"bad inventory", "PUT", "/v1/inventory", "officer", []byte("processors: 1"), "", 400, "invalid_inventory"},
		{"bad approval", "PUT", "/v1/approvals/x", "officer", []byte("id: x"), "", 400, "invalid_approval"},
		{"no approval", "GET", "/v1/approvals/none", "auditor", nil, "", 404, "not_found"},
		{"no key", "POST", "/v1/transfers/check", "engineer", mustJSON(t, smallVolume("t-b", 1)), "", 400, "idempotency_key_required"},
		{"key reused", "POST", "/v1/transfers/check", "engineer", mustJSON(t, smallVolume("t-c", 1)), "first", 409, "idempotency_key_reused"},
		{"transfer exists", "POST", "/v1/transfers/check", "engineer", mustJSON(t, smallVolume("t-first", 10)), "second", 409, "transfer_exists"},
		{"bad check JSON", "POST", "/v1/transfers/check", "engineer", []byte(`{"id": 1}`), "k-j", 400, "invalid_request"},
		{"unknown check field", "POST", "/v1/transfers/check", "engineer", []byte(`{"id": "t", "colour": "red"}`), "k-u", 400, "invalid_request"},
		{"unknown exemption", "POST", "/v1/transfers/check", "engineer", mustJSON(t, unknownExemption), "k-e", 400, "invalid_request"},
		{"date without backfill", "POST", "/v1/transfers/check", "admin", mustJSON(t, dated), "k-d", 400, "invalid_request"},
		{"bad as_of", "GET", "/v1/assessment?as_of=2026-02-30", "auditor", nil, "", 400, "invalid_request"},
		{"too large", "PUT", "/v1/approvals/x", "officer", bytes.Repeat([]byte("#"), 1<<20+1), "", 413, "payload_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.key != "" {
				hdr["Idempotency-Key"] = tc.key
			}
			r := h.req(tc.method, tc.path, tc.auth, tc.body, hdr)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if code, _, _ := r.apiErr(t); code != tc.code {
				t.Errorf("code %q, want %q", code, tc.code)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// The health routes answer without a token; readiness names the backend.
func TestHealth(t *testing.T) {
	h := newHarness(t)
	var ready map[string]string
	h.req("GET", "/readyz", "", nil, nil).json(t, &ready)
	if ready["status"] != "ready" || ready["backend"] != "sqlite" {
		t.Errorf("readyz %v", ready)
	}
	var live map[string]string
	h.req("GET", "/healthz", "", nil, nil).json(t, &live)
	if live["status"] != "ok" {
		t.Errorf("healthz %v", live)
	}
}
