package server_test

// Browser tests: the web console in real headless Chromium, driven from Go
// with chromedp, against the real server (harness). They skip when
// /usr/bin/chromium is absent (apt-get install -y chromium).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

const chromiumPath = "/usr/bin/chromium"

// browser is one Chromium with one tab, and the JavaScript errors it saw.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu     sync.Mutex
	jsErrs []string
}

func newBrowser(t *testing.T, h *harness) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests need Chromium at %s (apt-get install -y chromium): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// Without these Chromium dials out at start, and on a closed network
		// those connections hang or are refused.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	b := &browser{t: t, ctx: ctx, base: h.ts.URL}
	// Start the browser (without a deadline: a deadline on the first run
	// would end the browser with it) and record script errors: an uncaught
	// exception or a console error (CSP violations log one) fails the test.
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.mu.Lock()
			b.jsErrs = append(b.jsErrs, "exception: "+e.ExceptionDetails.Text+" "+describeException(e.ExceptionDetails))
			b.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.mu.Lock()
				b.jsErrs = append(b.jsErrs, "console.error: "+strings.Join(parts, " "))
				b.mu.Unlock()
			}
		}
	}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.jsErrs {
			t.Errorf("browser: %s", e)
		}
	})
	return b
}

func describeException(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// use makes the helpers report to t (a subtest) until the returned func runs.
func (b *browser) use(t *testing.T) func() {
	prev := b.t
	b.t = t
	return func() { b.t = prev }
}

// do runs steps with a deadline so a broken page fails instead of hanging.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v%s", what, err, b.pageHint())
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %.80s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v%s", what, cond, err, b.pageHint())
	}
}

// pageHint is the visible text of the main area, for failure messages.
func (b *browser) pageHint() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main') || document.body).innerText.slice(0, 1500)`))
	if err != nil {
		return ""
	}
	return "\npage text:\n" + s
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : '<missing ' + %s + '>'; })()`, js(sel), js(sel)))
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%s).length`, js(sel)))
}

// set gives a form control a value and fires input and change, as typing
// or choosing would.
func (b *browser) set(sel, value string) {
	b.t.Helper()
	ok := eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false;
		e.value = %s; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, js(sel), js(value)))
	if !ok {
		b.t.Fatalf("no element %s%s", sel, b.pageHint())
	}
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// open navigates to a console route and waits for the view to finish.
func (b *browser) open(route string) {
	b.t.Helper()
	view := strings.SplitN(strings.TrimPrefix(route, "#/"), "?", 2)[0]
	// Mark the current view stale so the wait below sees the new one; the
	// same hash again fires no hashchange, so send one.
	eval[bool](b, `(() => { const v = document.querySelector('section.view'); if (v) v.dataset.ready = 'stale';
		const target = `+js(route)+`; if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange')); else location.hash = target; return true; })()`)
	b.waitFor("view "+view, fmt.Sprintf(`(() => { const v = document.querySelector('#view-%s'); return v && v.dataset.ready === 'true'; })()`, view))
}

// clickToView clicks something that makes the page open a view (a filter
// form, a pager) and waits for that view, marked stale first so the wait
// cannot see the old one.
func (b *browser) clickToView(sel, view string) {
	b.t.Helper()
	eval[bool](b, `(() => { const v = document.querySelector('section.view'); if (v) v.dataset.ready = 'stale'; return true; })()`)
	b.click(sel)
	b.waitView(view)
}

// waitView waits for a view re-rendered by the page itself (after a form).
func (b *browser) waitView(view string) {
	b.t.Helper()
	b.waitFor("view "+view, fmt.Sprintf(`(() => { const v = document.querySelector('#view-%s'); return v && v.dataset.ready === 'true'; })()`, view))
}

func (b *browser) login(token string) {
	b.t.Helper()
	b.do("open the console", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	b.set("#token", token)
	b.click("#login-form button[type=submit]")
}

func (b *browser) loginAs(h *harness, role string) {
	b.t.Helper()
	b.login(h.tokens[role])
	b.waitView("dashboard")
}

func TestConsole_BadTokenShowsError(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.login(wrongToken)
	b.waitFor("the login error", `document.querySelector('#login-error .error') !== null`)
	msg := b.text("#login-error")
	for _, want := range []string{"The token was refused", "unknown or invalid token", "unauthorized"} {
		if !strings.Contains(msg, want) {
			t.Errorf("login error %q lacks %q", msg, want)
		}
	}
	if eval[bool](b, `sessionStorage.getItem('xborder.token') !== null`) {
		t.Error("a refused token was kept in sessionStorage")
	}
	if n := b.count("#nav a"); n != 0 && !eval[bool](b, `document.getElementById('nav').hidden`) {
		t.Errorf("navigation shown after a refused token")
	}
	// A good token then works, and is kept only in sessionStorage.
	b.login(h.tokens["engineer"])
	b.waitView("dashboard")
	if got := eval[string](b, `sessionStorage.getItem('xborder.token')`); got != h.tokens["engineer"] {
		t.Errorf("sessionStorage token %q", got)
	}
	if eval[int](b, `localStorage.length`) != 0 && eval[bool](b, `Object.keys(localStorage).some(k => (localStorage.getItem(k) || '').includes('xbt_'))`) {
		t.Error("the token leaked into localStorage")
	}
	if who := b.text("#who-text"); !strings.Contains(who, "engineer") {
		t.Errorf("who %q", who)
	}
	// Signing out forgets it.
	b.click("#signout")
	b.waitFor("the sign-in form", `document.getElementById('token') !== null`)
	if eval[bool](b, `sessionStorage.getItem('xborder.token') !== null`) {
		t.Error("token kept after sign-out")
	}
}

// An officer loads the inventory, checks transfers through the form, reads
// the transfers and the assessment, edits approvals and verifies the log.
func TestConsole_OfficerWorkflow(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, h)
	b.loginAs(h, "officer")

	t.Run("inventory upload with a positioned error, then the example", func(t *testing.T) {
		defer b.use(t)()
		b.open("#/inventory")
		b.set("#inv-text", "processors:\n  - id: p1\n    colour: red\n")
		b.click("#inv-upload")
		b.waitFor("the error", `document.querySelector('#inv-error .error') !== null`)
		if e := b.text("#inv-error"); !strings.Contains(e, "body:3:5: processors[0].colour: unknown field") || !strings.Contains(e, "invalid_inventory") {
			t.Errorf("error shown: %q", e)
		}
		b.set("#inv-text", string(exampleInventory(t)))
		b.click("#inv-upload")
		b.waitFor("the stored message", `(document.querySelector('#view-inventory .ok') || {}).innerText?.includes('Stored inventory version 1')`)
		if n := b.count("#inv-processors tbody tr"); n != 3 {
			t.Errorf("%d processor rows, want 3", n)
		}
		if n := b.count("#inv-assets tbody tr"); n != 20 {
			t.Errorf("%d asset rows, want 20", n)
		}
	})

	fill := func(id, proc, asset, recipient, country, inds, sens string) {
		t.Helper()
		b.open("#/check")
		b.set("#c-id", id)
		b.set("#c-processor", proc)
		b.click("#c-asset-" + asset)
		b.set("#c-recipient", recipient)
		b.set("#c-country", country)
		b.set("#c-individuals", inds)
		b.set("#c-sensitive", sens)
	}
	submit := func() {
		t.Helper()
		eval[bool](b, `(() => { const r = document.getElementById('check-result'); r.textContent = ''; return true; })()`)
		b.click("#c-submit")
		b.waitFor("the decision", `document.querySelector('#check-result .decision, #check-result .error') !== null`)
	}

	t.Run("check allowed", func(t *testing.T) {
		defer b.use(t)()
		fill("t-web-1", "acme-cn", "adas-training-scenes", "ACME GmbH", "de", "0", "0")
		submit()
		if d := b.text("#cr-decision"); d != "ALLOW" {
			t.Fatalf("decision %q%s", d, b.pageHint())
		}
		if m := b.text("#cr-mechanism"); !strings.Contains(m, "security assessment") {
			t.Errorf("mechanism %q", m)
		}
		if c := b.text("#cr-coverage"); !strings.Contains(c, "covered") || !strings.Contains(c, "sa-2026-01") {
			t.Errorf("coverage %q", c)
		}
		if r := b.text("#cr-reasons"); !strings.Contains(r, "security assessment") {
			t.Errorf("reasons %q", r)
		}
	})

	var denyKey string
	t.Run("check denied with reasons, retried once", func(t *testing.T) {
		defer b.use(t)()
		fill("t-web-2", "acme-cn", "vin-registry", "Unknown Analytics Inc.", "US", "500000", "0")
		submit()
		if d := b.text("#cr-decision"); d != "DENY" {
			t.Fatalf("decision %q", d)
		}
		reasons := b.text(".deny-reasons")
		if !strings.Contains(reasons, "standard_contract_or_certification") || !strings.Contains(reasons, "not_covered") {
			t.Errorf("deny reasons %q", reasons)
		}
		if f := b.text("#cr-findings"); !strings.Contains(f, "scope exceeded") {
			t.Errorf("findings %q", f)
		}
		denyKey = b.text("#cr-key")
		// The same request again (a double submit) replays the first answer.
		submit()
		if b.text("#cr-key") != denyKey {
			t.Errorf("resubmitting the same request made a new Idempotency-Key")
		}
		if b.count("#cr-replayed") != 1 {
			t.Errorf("the replay is not shown as one")
		}
	})
	if len(denyKey) != 36 {
		t.Errorf("Idempotency-Key %q is not a UUID", denyKey)
	}
	// Two checks recorded, not three: the retry was not recorded again.
	var list struct {
		Transfers []map[string]any `json:"transfers"`
	}
	h.req("GET", "/v1/transfers", "auditor", nil, nil).json(t, &list)
	if len(list.Transfers) != 2 {
		t.Errorf("%d transfers recorded, want 2", len(list.Transfers))
	}

	t.Run("transfers table, filter and pages", func(t *testing.T) {
		defer b.use(t)()
		for i := 0; i < 3; i++ {
			h.check("engineer", fmt.Sprint("more-", i), smallVolume(fmt.Sprint("t-more-", i), 10))
		}
		b.open("#/transfers")
		if n := b.count("#transfers-table tbody tr"); n != 5 {
			t.Errorf("%d rows, want 5", n)
		}
		b.set("#f-decision", "deny")
		b.clickToView("#transfers-filter button[type=submit]", "transfers")
		if !eval[bool](b, `location.hash.includes('decision=deny')`) {
			t.Errorf("the filter is not in the address: %s", eval[string](b, `location.hash`))
		}
		if n := b.count("#transfers-table tbody tr"); n != 1 {
			t.Fatalf("%d deny rows, want 1", n)
		}
		row := b.text("#transfers-table tbody tr")
		for _, want := range []string{"t-web-2", "deny", "not covered", "Unknown Analytics Inc."} {
			if !strings.Contains(row, want) {
				t.Errorf("deny row %q lacks %q", row, want)
			}
		}
		b.open("#/transfers?limit=25&decision=allow")
		if n := b.count("#transfers-table tbody tr"); n != 4 {
			t.Errorf("%d allow rows, want 4", n)
		}
		if !eval[bool](b, `document.getElementById('page-next').disabled`) {
			t.Error("Next enabled on the last page")
		}
		b.open("#/transfers?limit=2&offset=2")
		if n := b.count("#transfers-table tbody tr"); n != 2 || !strings.Contains(b.text("#transfers-range"), "Rows 3–4") {
			t.Errorf("page 2: %d rows, %q", n, b.text("#transfers-range"))
		}
		b.clickToView("#page-next", "transfers")
		if !eval[bool](b, `location.hash.includes('offset=4')`) {
			t.Errorf("page 3 is not in the address: %s", eval[string](b, `location.hash`))
		}
		if n := b.count("#transfers-table tbody tr"); n != 1 {
			t.Errorf("page 3: %d rows, want 1", n)
		}
	})

	t.Run("dashboard and assessment", func(t *testing.T) {
		defer b.use(t)()
		b.open("#/dashboard")
		if v := b.text("#d-inv-version .stat-value"); v != "1" {
			t.Errorf("inventory version %q", v)
		}
		if v := b.text("#d-transfers-allow .stat-value"); v != "4" {
			t.Errorf("allowed %q", v)
		}
		if v := b.text("#d-transfers-deny .stat-value"); v != "1" {
			t.Errorf("denied %q", v)
		}
		if v := b.text("#d-assets-undetermined .stat-value"); v == "0" || v == "" {
			t.Errorf("undetermined assets %q (the example has some)", v)
		}
		b.open("#/assessment")
		if n := b.count("#assess-assets tbody tr"); n != 20 {
			t.Errorf("%d asset rows, want 20", n)
		}
		if n := b.count("#assess-transfers tbody tr"); n != 4 {
			t.Errorf("%d transfer rows, want 4 (the counted ones)", n)
		}
		if b.count("#assess-missing input[type=checkbox]") == 0 {
			t.Error("no missing-facts checklist")
		}
		if m := b.text("#assess-missing"); !strings.Contains(m, "vehicles_in_china") {
			t.Errorf("checklist %q", m)
		}
	})

	t.Run("approvals: create and delete", func(t *testing.T) {
		defer b.use(t)()
		b.open("#/approvals")
		if n := b.count("#approvals-table button.edit"); n != 4 {
			t.Errorf("%d edit buttons, want 4", n)
		}
		b.click("#approval-new")
		b.set("#a-id", "sc-web-1")
		b.set("#a-kind", "standard_contract")
		b.set("#a-processor", "acme-mobility")
		b.set("#a-effective", "2026-04-01")
		b.set("#a-filed", "2026-04-08")
		b.set("#a-recipients", "ACME Mobility Europe GmbH")
		b.set("#a-max", "300000")
		b.click("#approval-save")
		b.waitFor("saved", `(document.querySelector('#view-approvals .ok') || {}).innerText?.includes('Saved sc-web-1')`)
		if n := b.count("#approvals-table tbody tr"); n != 5 {
			t.Errorf("%d approvals after create, want 5", n)
		}
		// A bad edit shows the server's positioned error.
		b.click(`button[aria-label="Edit sc-web-1"]`)
		b.set("#a-filed", "")
		b.set("#a-kind", "certification")
		b.click("#approval-save")
		b.waitFor("the error", `document.querySelector('#approval-error .error') !== null`)
		if e := b.text("#approval-error"); !strings.Contains(e, "invalid_approval") {
			t.Errorf("error %q", e)
		}
		b.open("#/approvals")
		b.click(`button[aria-label="Delete sc-web-1"]`)
		b.click("#confirm-delete")
		b.waitFor("deleted", `(document.querySelector('#view-approvals .ok') || {}).innerText?.includes('Deleted sc-web-1')`)
		if n := b.count("#approvals-table tbody tr"); n != 4 {
			t.Errorf("%d approvals after delete, want 4", n)
		}
	})

	t.Run("audit: inclusion, signature and consistency verified in the browser", func(t *testing.T) {
		defer b.use(t)()
		ctx := context.Background()
		if err := h.srv.SignCheckpoint(ctx); err != nil {
			t.Fatal(err)
		}
		size := h.checkpoint().Size
		b.open("#/audit")
		if !strings.Contains(b.text("#cp-size"), fmt.Sprint(size)) {
			t.Errorf("checkpoint size %q, want %d", b.text("#cp-size"), size)
		}
		for idx := uint64(0); idx < size; idx++ {
			b.set("#verify-index", fmt.Sprint(idx))
			b.click("#verify-button")
			b.waitFor(fmt.Sprint("verdict for entry ", idx), `['true', 'false'].includes(document.getElementById('verify-result').dataset.verified)`)
			if v := b.text("#verify-result"); !strings.HasPrefix(v, "VERIFIED") {
				t.Fatalf("entry %d: %q", idx, v)
			}
		}
		// A link from a check's answer opens the audit page verifying it.
		b.open("#/audit?verify=2")
		b.waitFor("verdict", `document.getElementById('verify-result').dataset.verified === 'true'`)
		if v := b.text("#verify-result"); !strings.Contains(v, "entry 2 is in the log") || !strings.Contains(v, "hashed from the entry bytes in this browser") {
			t.Errorf("verdict %q", v)
		}
		// An index outside the signed tree: the form will not submit it, and
		// asked through the address it fails.
		b.set("#verify-index", fmt.Sprint(size))
		if !eval[bool](b, `document.getElementById('verify-index').validity.rangeOverflow`) {
			t.Error("the form accepts an entry number past the checkpoint")
		}
		b.open(fmt.Sprintf("#/audit?verify=%d", size))
		b.waitFor("verdict", `document.getElementById('verify-result').dataset.verified === 'false'`)
		if v := b.text("#verify-result"); !strings.HasPrefix(v, "FAILED") {
			t.Errorf("verdict %q", v)
		}

		// The checkpoint signature, with the key pinned by the auditor.
		var vkeys []string
		if err := h.st.View(ctx, func(tx store.ReadTx) error {
			var err error
			vkeys, err = tx.VerifierKeys(ctx)
			return err
		}); err != nil || len(vkeys) == 0 {
			t.Fatalf("verifier keys: %v %v", vkeys, err)
		}
		b.set("#vkey", vkeys[0])
		b.click("#sig-button")
		b.waitFor("signature verdict", `['true', 'false'].includes(document.getElementById('sig-result').dataset.verified)`)
		if v := b.text("#sig-result"); !strings.HasPrefix(v, "SIGNATURE VALID") {
			t.Errorf("signature: %q", v)
		}
		// Another key of the same name does not verify it.
		other := otherKey(t, vkeys[0])
		b.set("#vkey", other)
		b.click("#sig-button")
		b.waitFor("signature verdict", `document.getElementById('sig-result').dataset.verified === 'false'`)

		// The log grows; the browser proves the new checkpoint extends the one it saw.
		for i := 0; i < 3; i++ {
			h.check("engineer", fmt.Sprint("grow-", i), smallVolume(fmt.Sprint("t-grow-", i), 1))
		}
		if err := h.srv.SignCheckpoint(ctx); err != nil {
			t.Fatal(err)
		}
		b.open("#/dashboard")
		b.open("#/audit")
		b.waitFor("witness verdict", `['true', 'false'].includes(document.getElementById('witness-result').dataset.verified)`)
		if v := b.text("#witness-result"); !strings.HasPrefix(v, "CONSISTENT") || !strings.Contains(v, "consistency proof verified here") {
			t.Errorf("witness: %q", v)
		}
	})
}

// otherKey makes a verifier key with the same name as vkey but another
// Ed25519 key.
func otherKey(t *testing.T, vkey string) string {
	t.Helper()
	name := strings.SplitN(vkey, "+", 2)[0]
	_, v, err := audit.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The auditor reads everything and sees no write control; the API refuses
// the writes too (TestAuditor_EveryWriteRefused).
func TestConsole_AuditorIsReadOnly(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	h.check("engineer", "k1", smallVolume("t-1", 10))
	b := newBrowser(t, h)
	b.loginAs(h, "auditor")
	if who := b.text("#who-text"); !strings.Contains(who, "auditor, read-only") {
		t.Errorf("who %q", who)
	}
	if b.count("#nav-check") != 0 {
		t.Error("the auditor sees the check page in the navigation")
	}
	for _, nav := range []string{"dashboard", "assessment", "transfers", "approvals", "inventory", "audit"} {
		if b.count("#nav-"+nav) != 1 {
			t.Errorf("navigation lacks %s", nav)
		}
	}
	b.open("#/approvals")
	if n := b.count("#approvals-table tbody tr"); n != 4 {
		t.Errorf("%d approvals, want 4", n)
	}
	for _, sel := range []string{"#approval-new", "#approvals-table button", "button.edit", "button.delete"} {
		if n := b.count(sel); n != 0 {
			t.Errorf("auditor sees %d of %s", n, sel)
		}
	}
	b.open("#/inventory")
	if n := b.count("#inv-form, #inv-upload, #inv-text"); n != 0 {
		t.Errorf("auditor sees the inventory upload (%d controls)", n)
	}
	b.open("#/check")
	if n := b.count("#check-form"); n != 0 {
		t.Error("auditor sees the check form")
	}
	if v := b.text("#view-check"); !strings.Contains(v, "may not use this page") {
		t.Errorf("check page for the auditor: %q", v)
	}
	b.open("#/transfers")
	if n := b.count("#transfers-table tbody tr"); n != 1 {
		t.Errorf("%d transfers, want 1", n)
	}
	// A hand-made write from the auditor's page is refused by the API.
	status := eval[int](b, `fetch('/v1/approvals/sa-2026-01', {method: 'DELETE', headers: {Authorization: 'Bearer ' + sessionStorage.getItem('xborder.token')}}).then(r => r.status)`)
	if status != 403 {
		t.Errorf("auditor DELETE from the page: %d, want 403", status)
	}
}

// Chinese names show as written, and markup in data shows as text: nothing
// in the data runs or becomes an element.
func TestConsole_ChineseNamesAndEscaping(t *testing.T) {
	h := newHarness(t)
	hostile := `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`
	inv := "processors:\n  - id: cn-oem\n    name: 艾克美汽车（中国）有限公司\n    group: acme\n" +
		"assets:\n  - id: vins\n    processor: cn-oem\n    item: connected.vehicle.vin\n    name: '" + hostile + "'\n" +
		"  - id: map\n    processor: cn-oem\n    item: driving_automation.feature.map\n    name: 高精度地图特征数据（北京）\n    facts: {infers_sensitive_geo: true}\n"
	if r := h.req("PUT", "/v1/inventory", "admin", []byte(inv), nil); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	b := newBrowser(t, h)
	b.loginAs(h, "officer")
	b.open("#/inventory")
	if p := b.text("#inv-processors tbody"); !strings.Contains(p, "艾克美汽车（中国）有限公司") {
		t.Errorf("processor row %q", p)
	}
	assets := b.text("#inv-assets tbody")
	if !strings.Contains(assets, "高精度地图特征数据（北京）") || !strings.Contains(assets, hostile) {
		t.Errorf("asset rows %q", assets)
	}
	if n := b.count("main img, main script"); n != 0 {
		t.Errorf("%d elements made from data", n)
	}
	b.open("#/assessment")
	if a := b.text("#assess-assets"); !strings.Contains(a, "高精度地图特征数据（北京）") || !strings.Contains(a, hostile) {
		t.Errorf("assessment rows %q", a)
	}
	b.open("#/check")
	b.set("#c-processor", "cn-oem")
	if a := b.text("#c-assets"); !strings.Contains(a, hostile) {
		t.Errorf("check form assets %q", a)
	}
	if eval[bool](b, `window.__pwned !== undefined`) {
		t.Error("markup from the data ran")
	}
	// The Chinese glyphs are drawn with a CJK font, not as missing-glyph
	// boxes of a Latin one. That needs a CJK font on the machine.
	if out, _ := exec.Command("fc-list", ":lang=zh", "family").Output(); len(strings.TrimSpace(string(out))) == 0 {
		t.Log("no CJK font installed (apt-get install -y fonts-noto-cjk): not checking which font draws the Chinese names")
		return
	}
	b.open("#/inventory")
	fonts := platformFonts(b, "#inv-processors tbody td:nth-child(2)")
	cjk := false
	for _, f := range fonts {
		cjk = cjk || strings.Contains(f, "CJK") || strings.Contains(f, "SC") || strings.Contains(f, "Hei") || strings.Contains(f, "Song") || strings.Contains(f, "Han")
	}
	if !cjk {
		t.Errorf("the Chinese processor name is drawn with %v: no CJK font", fonts)
	}
}

// platformFonts names the fonts Chromium used to draw the text of the first
// element matching sel (CSS.getPlatformFontsForNode).
func platformFonts(b *browser, sel string) []string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	fonts, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]string, error) {
		if _, err := cdp.Call(ctx, t, dom.Enable, dom.EnableParams{}); err != nil {
			return nil, err
		}
		if _, err := cdp.Call(ctx, t, css.Enable, cdp.Empty{}); err != nil {
			return nil, err
		}
		ids, err := chromedp.QueryNodeIDs(chromedp.CSS(sel))(ctx, t)
		if err != nil || len(ids) == 0 {
			return nil, fmt.Errorf("no node %s: %v", sel, err)
		}
		res, err := cdp.Call(ctx, t, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: ids[0]})
		if err != nil {
			return nil, err
		}
		var out []string
		for _, f := range res.Fonts {
			out = append(out, fmt.Sprintf("%s (%s, %.0f glyphs)", f.FamilyName, f.PostScriptName, f.GlyphCount))
		}
		return out, nil
	})
	if err != nil {
		b.t.Fatalf("platform fonts of %s: %v", sel, err)
	}
	return fonts
}

// The console's files are served with a policy that forbids inline and
// foreign scripts, and nothing is loaded from another origin.
func TestConsole_ServedOfflineWithCSP(t *testing.T) {
	h := newHarness(t)
	r := h.req("GET", "/", "", nil, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `<script type="module" src="/console/js/app.js">`) {
		t.Fatalf("GET /: %d %.200s", r.status, r.body)
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	var files []string
	for _, dir := range []string{"console", "console/js"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				files = append(files, "/"+path.Join(dir, e.Name()))
			}
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d console files: %v", len(files), files)
	}
	for _, f := range files {
		if f == "/console/index.html" {
			continue // served at /
		}
		r := h.req("GET", f, "", nil, nil)
		if r.status != 200 || r.header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d", f, r.status)
		}
		if strings.Contains(string(r.body), "http://") || strings.Contains(string(r.body), "https://") {
			t.Errorf("%s names another origin", f)
		}
		if strings.Contains(string(r.body), "innerHTML") || strings.Contains(string(r.body), "insertAdjacentHTML") || strings.Contains(string(r.body), "eval(") {
			t.Errorf("%s parses strings as HTML or code", f)
		}
	}
	if r := h.req("GET", "/console/", "", nil, nil); r.status != 404 {
		t.Errorf("directory listing: %d", r.status)
	}
	if r := h.req("GET", "/console/nope.js", "", nil, nil); r.status != 404 {
		t.Errorf("missing file: %d", r.status)
	}
}

func chromedpNavigate(url string) chromedp.Action[chromedp.Void] { return chromedp.Navigate(url) }

// Every page: one h1, every form control labelled, every button named,
// every table captioned with header cells; and the sign-in works from the
// keyboard alone.
func TestConsole_Accessible(t *testing.T) {
	h := newHarness(t)
	h.loadExample()
	h.check("engineer", "k1", deniedNoApproval("t-1"))
	if err := h.srv.SignCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, h)
	b.do("open the console", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	if !eval[bool](b, `document.activeElement && document.activeElement.id === 'token'`) {
		t.Error("the token field does not have the focus on arrival")
	}
	b.do("type the token and press Enter", chromedp.SendKeys(chromedp.ID("token"), h.tokens["admin"]+"\r"))
	b.waitView("dashboard")
	audit := `(() => {
	  const bad = [];
	  const main = document.querySelector('main');
	  if (main.querySelectorAll('h1').length !== 1) bad.push(main.querySelectorAll('h1').length + ' h1');
	  for (const c of main.querySelectorAll('input, select, textarea')) {
	    if (c.type === 'hidden') continue;
	    if (!(c.labels && c.labels.length) && !c.getAttribute('aria-label')) bad.push('unlabelled ' + c.tagName + '#' + c.id);
	  }
	  for (const x of document.querySelectorAll('button, a')) {
	    if (!(x.innerText || '').trim() && !x.getAttribute('aria-label')) bad.push('unnamed ' + x.tagName);
	  }
	  for (const tb of main.querySelectorAll('table')) {
	    if (!tb.querySelector('caption')) bad.push('table without caption #' + tb.id);
	    for (const th of tb.querySelectorAll('th')) if (!th.getAttribute('scope')) bad.push('th without scope in #' + tb.id);
	  }
	  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
	  const dup = ids.filter((x, i) => ids.indexOf(x) !== i);
	  if (dup.length) bad.push('duplicate ids ' + dup.join(','));
	  return bad;
	})()`
	for _, route := range []string{"#/dashboard", "#/assessment", "#/transfers", "#/check", "#/approvals", "#/inventory", "#/audit"} {
		b.open(route)
		if route == "#/approvals" {
			b.click("#approval-new")
		}
		if bad := eval[[]string](b, audit); len(bad) > 0 {
			t.Errorf("%s: %v", route, bad)
		}
	}
	// Focus lands on the page heading after navigation, for screen readers.
	if tag := eval[string](b, `document.activeElement.tagName`); tag != "H1" {
		t.Errorf("focus after navigation is on %s, want the H1", tag)
	}
}
