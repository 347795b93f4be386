package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/gateway/gatewaytest"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/storetest"
)

var engineer = gateway.Actor{Role: store.RoleEngineer, Name: "pipeline"}

func setup(t *testing.T, opt gateway.Options) (*gateway.Gateway, store.Store) {
	t.Helper()
	st := openSQLite(t, filepath.Join(t.TempDir(), "g.db"))
	return setupOn(t, st, opt), st
}

func setupOn(t *testing.T, st store.Store, opt gateway.Options) *gateway.Gateway {
	t.Helper()
	opt.Set = packs(t)
	opt.Now = func() time.Time { return fixedNow }
	g, err := gateway.New(st, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	putInventory(t, g, gatewaytest.Inventory)
	return g
}

func check(t *testing.T, g *gateway.Gateway, key string, body []byte) (*gateway.Response, []byte, bool, *gateway.Error) {
	t.Helper()
	resp, raw, replay, err := g.Check(context.Background(), engineer, key, body)
	if err != nil {
		var ge *gateway.Error
		if !errors.As(err, &ge) {
			t.Fatalf("check %s: error without a code: %v", key, err)
		}
		return nil, nil, false, ge
	}
	return resp, raw, replay, nil
}

func TestCheck_AllowedAnswerCarriesTheDecision(t *testing.T) {
	g, _ := setup(t, gateway.Options{})
	resp, _, replay, gerr := check(t, g, "k-1", gatewaytest.CappedCheck("t-1"))
	if gerr != nil || replay {
		t.Fatalf("check: %v, replay %v", gerr, replay)
	}
	if resp.Decision != "allow" || resp.Mechanism != "standard_contract_or_certification" || resp.Coverage.Status != "covered" || resp.Coverage.Approval != "scc-capped" {
		t.Fatalf("answer %+v: want allow, standard contract covered by scc-capped", resp)
	}
	if resp.Cumulative.Processor.Individuals != 9 || resp.Cumulative.Processor.SensitiveIndividuals != 1 || resp.Date.String() != "2026-06-10" {
		t.Fatalf("cumulative %+v on %s: want 9 + 1 on 2026-06-10", resp.Cumulative, resp.Date)
	}
}

func TestCheck_TransferIDAllowedOnlyOnce(t *testing.T) {
	g, _ := setup(t, gateway.Options{})
	first, raw1, _, gerr := check(t, g, "k-1", gatewaytest.CappedCheck("t-1"))
	if gerr != nil || first.Decision != "allow" {
		t.Fatalf("first check: %v %+v", gerr, first)
	}
	_, _, _, gerr = check(t, g, "k-2", gatewaytest.CappedCheck("t-1"))
	if gerr == nil || gerr.Code != gateway.CodeTransferExists {
		t.Fatalf("same transfer id, other key: got %v, want %s", gerr, gateway.CodeTransferExists)
	}
	if !strings.Contains(gerr.Message, fmt.Sprintf("log index %d", first.LogIndex)) {
		t.Errorf("the refusal %q does not name the first allowed entry %d", gerr.Message, first.LogIndex)
	}
	// The first key still replays the first answer, byte for byte.
	_, raw, replay, gerr := check(t, g, "k-1", gatewaytest.CappedCheck("t-1"))
	if gerr != nil || !replay || string(raw) != string(raw1) {
		t.Fatalf("replay: %v, replay %v, same bytes %v", gerr, replay, string(raw) == string(raw1))
	}
}

func TestCheck_DeniedTransferMayBeCheckedAgainAfterAnApproval(t *testing.T) {
	g, st := setup(t, gateway.Options{})
	body := gatewaytest.CheckBody("t-9", "capped", "capped-pi", 9, 1)
	body = []byte(strings.Replace(string(body), gatewaytest.Recipient, "New Partner Ltd", 1))
	resp, _, _, gerr := check(t, g, "k-a", body)
	if gerr != nil || resp.Decision != "deny" {
		t.Fatalf("uncovered recipient: %v %+v, want deny", gerr, resp)
	}
	// The same key replays the denial; a new key after an approval is added decides again.
	if r, _, replay, _ := check(t, g, "k-a", body); r == nil || !replay || r.Decision != "deny" {
		t.Fatalf("replay of the denial: %+v %v", r, replay)
	}
	set := g.Set()
	inv, err := inventory.Parse("x", []byte(strings.Replace(gatewaytest.Inventory, "recipients: [Overseas Services GmbH]", "recipients: [Overseas Services GmbH, New Partner Ltd]", 1)),
		inventory.Options{Facts: set, Items: set, RejectTransfers: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Group().Do(context.Background(), func(tx store.Tx) error { _, err := tx.PutApproval(context.Background(), inv.Approvals[0]); return err }); err != nil {
		t.Fatal(err)
	}
	resp, _, _, gerr = check(t, g, "k-b", body)
	if gerr != nil || resp.Decision != "allow" {
		t.Fatalf("after the approval: %v %+v, want allow", gerr, resp)
	}
	if _, _, _, gerr = check(t, g, "k-c", body); gerr == nil || gerr.Code != gateway.CodeTransferExists {
		t.Fatalf("third key after an allow: %v, want %s", gerr, gateway.CodeTransferExists)
	}
	gatewaytest.Verify(t, st, nil, []gatewaytest.Sent{{Key: "k-a", Transfer: "t-9"}, {Key: "k-b", Transfer: "t-9"}})
}

func TestCheck_KeyRules(t *testing.T) {
	g, _ := setup(t, gateway.Options{})
	if _, _, _, gerr := check(t, g, "k-1", gatewaytest.CappedCheck("t-1")); gerr != nil {
		t.Fatal(gerr)
	}
	cases := []struct {
		name, key string
		body      []byte
		code      string
	}{
		{"missing key", "", gatewaytest.CappedCheck("t-2"), gateway.CodeIdempotencyKey},
		{"key reused with another body", "k-1", gatewaytest.CappedCheck("t-2"), gateway.CodeIdempotencyReuse},
		{"key of 201 characters", strings.Repeat("k", 201), gatewaytest.CappedCheck("t-2"), gateway.CodeInvalid},
		{"control character in key", "k\x1e2", gatewaytest.CappedCheck("t-2"), gateway.CodeInvalid},
		{"non-ASCII key", "clé", gatewaytest.CappedCheck("t-2"), gateway.CodeInvalid},
		{"API token in the body", "k-3", gatewaytest.CheckBody("t-3", "capped", "capped-pi", 1, 0)[:0], gateway.CodeInvalid},
	}
	cases[5].body = []byte(strings.Replace(string(gatewaytest.CappedCheck("t-3")), "after-sales analytics", "debug with xbt_abcdef", 1))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, gerr := check(t, g, c.key, c.body)
			if gerr == nil || gerr.Code != c.code {
				t.Fatalf("got %v, want %s", gerr, c.code)
			}
		})
	}
	// A key of exactly 200 printable characters is fine.
	if _, _, _, gerr := check(t, g, strings.Repeat("k", 200), gatewaytest.CappedCheck("t-4")); gerr != nil {
		t.Fatalf("200-character key: %v", gerr)
	}
}

// Concurrent duplicates land in the same batch: the batch must see its own
// earlier checks.
func TestCheck_DuplicatesInOneBatch(t *testing.T) {
	hold := make(chan struct{})
	st := &heldStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "d.db"))}
	g := setupOn(t, st, gateway.Options{})
	st.hold = hold
	// The first check takes the committer and waits; the others queue
	// behind it and form one batch.
	var wg sync.WaitGroup
	type res struct {
		key  string
		resp *gateway.Response
		err  *gateway.Error
		rep  bool
	}
	out := make(chan res, 16)
	fire := func(key string, body []byte) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _, rep, err := g.Check(context.Background(), engineer, key, body)
			var ge *gateway.Error
			errors.As(err, &ge)
			out <- res{key, r, ge, rep}
		}()
	}
	fire("k-0", gatewaytest.CappedCheck("t-0"))
	waitDepth(t, g, 1)
	fire("k-1", gatewaytest.CappedCheck("t-1"))
	waitDepth(t, g, 2)
	fire("k-1", gatewaytest.CappedCheck("t-1")) // same key, same body: replay
	fire("k-2", gatewaytest.CappedCheck("t-1")) // same transfer, other key: 409
	fire("k-1", gatewaytest.CappedCheck("t-2")) // same key, other body: 409
	waitDepth(t, g, 5)
	close(hold)
	wg.Wait()
	close(out)
	got := map[string]int{}
	for r := range out {
		switch {
		case r.err != nil:
			got[r.err.Code]++
		case r.rep:
			got["replay"]++
		default:
			got[r.resp.Decision]++
		}
	}
	want := map[string]int{"allow": 2, "replay": 1, gateway.CodeTransferExists: 1, gateway.CodeIdempotencyReuse: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if b, n := g.Stats(); b < 2 || n != 5 {
		t.Errorf("batches %d holding %d checks: want the last four in one batch", b, n)
	}
	gatewaytest.Verify(t, st, nil, []gatewaytest.Sent{{Key: "k-0", Transfer: "t-0"}, {Key: "k-1", Transfer: "t-1"}})
}

func waitDepth(t *testing.T, g *gateway.Gateway, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for g.QueueDepth() < n {
		if time.Now().After(deadline) {
			t.Fatalf("queue depth %d, waiting for %d", g.QueueDepth(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// heldStore makes Update wait until hold is closed (when set).
type heldStore struct {
	store.Store
	hold chan struct{}
}

func (s *heldStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.hold != nil {
		<-s.hold
	}
	return s.Store.Update(ctx, fn)
}

// A check that waits longer than QueueTimeout before its batch starts fails
// closed: 503 overloaded and nothing of it is stored.
func TestCheck_QueueTimeoutFailsClosed(t *testing.T) {
	hold := make(chan struct{})
	st := &heldStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "q.db"))}
	g := setupOn(t, st, gateway.Options{QueueTimeout: 50 * time.Millisecond, Group: store.GroupOptions{MaxBatch: 1, QueueSize: 1}})
	st.hold = hold
	errs := make(chan *gateway.Error, 3)
	go func() { _, _, _, gerr := checkNoFatal(g, "k-0", gatewaytest.CappedCheck("t-0")); errs <- gerr }()
	waitDepth(t, g, 1)
	// k-1 waits in the queue (size 1) and times out; k-2 finds the queue full and times out.
	go func() { _, _, _, gerr := checkNoFatal(g, "k-1", gatewaytest.CappedCheck("t-1")); errs <- gerr }()
	go func() { _, _, _, gerr := checkNoFatal(g, "k-2", gatewaytest.CappedCheck("t-2")); errs <- gerr }()
	var overloaded int
	for i := 0; i < 2; i++ {
		if e := <-errs; e != nil && e.Code == gateway.CodeOverloaded {
			overloaded++
		}
	}
	close(hold)
	if e := <-errs; e != nil {
		t.Fatalf("the check whose batch had started: %v, want its answer", e)
	}
	if overloaded != 2 {
		t.Fatalf("%d checks failed as overloaded, want 2", overloaded)
	}
	// The abandoned checks never run, even once the store is free again.
	time.Sleep(50 * time.Millisecond)
	sum := gatewaytest.Verify(t, st, nil, []gatewaytest.Sent{{Key: "k-0", Transfer: "t-0"}, {Key: "k-1", Transfer: "t-1"}, {Key: "k-2", Transfer: "t-2"}})
	if sum.Checks != 1 {
		t.Fatalf("%d checks recorded, want only the one that was answered", sum.Checks)
	}
}

func checkNoFatal(g *gateway.Gateway, key string, body []byte) (*gateway.Response, []byte, bool, *gateway.Error) {
	r, raw, rep, err := g.Check(context.Background(), engineer, key, body)
	var ge *gateway.Error
	if err != nil && !errors.As(err, &ge) {
		ge = &gateway.Error{Code: "not a gateway error: " + err.Error()}
	}
	return r, raw, rep, ge
}

// poisonStore fails RecordCheck for one transfer id, as a store refusing
// one check would.
type poisonStore struct {
	heldStore
	poison string
}

type poisonTx struct {
	store.Tx
	poison string
}

func (s *poisonStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.heldStore.Update(ctx, func(tx store.Tx) error { return fn(poisonTx{tx, s.poison}) })
}

func (t poisonTx) Savepoint(ctx context.Context, fn func(store.Tx) error) error {
	return t.Tx.Savepoint(ctx, func(tx store.Tx) error { return fn(poisonTx{tx, t.poison}) })
}

func (t poisonTx) RecordCheck(ctx context.Context, rec *store.CheckRecord) (int64, error) {
	if rec.Transfer.ID == t.poison {
		return 0, store.Errorf(store.CodeInternal, "injected failure for %s", t.poison)
	}
	return t.Tx.RecordCheck(ctx, rec)
}

// One check the store refuses fails alone: its batch is retried check by
// check and the others are recorded and answered.
func TestCheck_OneFailingCheckDoesNotFailItsBatch(t *testing.T) {
	hold := make(chan struct{})
	st := &poisonStore{heldStore: heldStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "p.db"))}, poison: "t-bad"}
	g := setupOn(t, st, gateway.Options{})
	st.hold = hold
	ids := []string{"t-0", "t-1", "t-bad", "t-3", "t-4"}
	errs := make([]*gateway.Error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _, errs[i] = checkNoFatal(g, "k-"+id, gatewaytest.CappedCheck(id))
		}()
		waitDepth(t, g, int64(i+1))
	}
	close(hold)
	wg.Wait()
	var sent []gatewaytest.Sent
	for i, id := range ids {
		sent = append(sent, gatewaytest.Sent{Key: "k-" + id, Transfer: id})
		if id == "t-bad" {
			if errs[i] == nil || errs[i].Code != gateway.CodeUnavailable {
				t.Errorf("%s: %v, want %s", id, errs[i], gateway.CodeUnavailable)
			}
		} else if errs[i] != nil {
			t.Errorf("%s: %v, want an answer", id, errs[i])
		}
	}
	if sum := gatewaytest.Verify(t, st, nil, sent); sum.Checks != 4 {
		t.Fatalf("%d checks recorded, want 4", sum.Checks)
	}
}

// Many goroutines on one gateway near both thresholds: exactly the checks
// that fit are allowed, and the database agrees with every answer.
func TestCheck_ConcurrentExactCounts(t *testing.T) {
	g, st := setup(t, gateway.Options{Group: store.GroupOptions{MaxBatch: 16}})
	var sent []gatewaytest.Sent
	// 200 checks of 50 individuals against a cap of 5,000: exactly 100 fit.
	for i := 0; i < 200; i++ {
		sent = append(sent, gatewaytest.Sent{Key: fmt.Sprintf("kc-%d", i), Transfer: fmt.Sprintf("tc-%d", i), Body: gatewaytest.CheckBody(fmt.Sprintf("tc-%d", i), "capped", "capped-pi", 49, 1)})
	}
	answers := make([]gatewaytest.Answer, len(sent))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range sent {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, raw, rep, err := g.Check(context.Background(), engineer, sent[i].Key, sent[i].Body)
			answers[i] = gatewaytest.Answer{Sent: sent[i], Raw: raw, Replayed: rep}
			if err == nil {
				answers[i].Status, answers[i].Resp = 200, *r
			}
		}()
	}
	wg.Wait()
	allowed := 0
	for _, a := range answers {
		if a.Status != 200 {
			t.Fatalf("%s: no answer", a.Transfer)
		}
		if a.Resp.Decision == "allow" {
			allowed++
		}
	}
	if allowed != gatewaytest.Cap/50 {
		t.Fatalf("%d allowed, want exactly %d", allowed, gatewaytest.Cap/50)
	}
	b, _ := json.Marshal(answers[0].Resp)
	if len(b) == 0 {
		t.Fatal("empty answer")
	}
	gatewaytest.Verify(t, st, answers, sent)
}

// Two instances on one database (two processes would be the same): B looks
// a key and a transfer id up before queuing and finds neither; A records
// both before B's batch runs. B's insert hits the unique constraint, its
// batch is run again check by check with the lookups under the lock, and
// B answers with A's answer (same key) and 409 (same transfer id).
func TestCheck_RaceWithAnotherInstanceAfterPrecheck(t *testing.T) {
	// Both backends: on PostgreSQL the taken key and transfer marker are
	// refused by statements that travel with the COMMIT, and must still be
	// told apart from a lost connection (rerun with lookups, not fail).
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.db")
		raceAfterPrecheck(t, func() store.Store { return openSQLite(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		u := storetest.PostgresSchema(t)
		raceAfterPrecheck(t, func() store.Store { return openURL(t, u) })
	})
}

func raceAfterPrecheck(t *testing.T, open func() store.Store) {
	a := setupOn(t, open(), gateway.Options{})
	held := &heldStore{Store: open()}
	b := setupOn(t, held, gateway.Options{})
	hold := make(chan struct{})
	held.hold = hold
	type res struct {
		resp *gateway.Response
		raw  []byte
		rep  bool
		err  *gateway.Error
	}
	same, other := make(chan res, 1), make(chan res, 1)
	go func() {
		r, raw, rep, err := checkNoFatal(b, "k-same", gatewaytest.CappedCheck("t-same"))
		same <- res{r, raw, rep, err}
	}()
	go func() {
		r, raw, rep, err := checkNoFatal(b, "k-other", gatewaytest.CappedCheck("t-taken"))
		other <- res{r, raw, rep, err}
	}()
	waitDepth(t, b, 2) // both prechecked and queued, B's store is held
	first, raw, _, gerr := check(t, a, "k-same", gatewaytest.CappedCheck("t-same"))
	if gerr != nil || first.Decision != "allow" {
		t.Fatalf("A: %v %+v", gerr, first)
	}
	if r, _, _, gerr := check(t, a, "k-taken", gatewaytest.CappedCheck("t-taken")); gerr != nil || r.Decision != "allow" {
		t.Fatalf("A: %v %+v", gerr, r)
	}
	close(hold)
	s, o := <-same, <-other
	if s.err != nil || !s.rep || string(s.raw) != string(raw) {
		t.Fatalf("B, same key: %v, replay %v, A's bytes %v", s.err, s.rep, string(s.raw) == string(raw))
	}
	if o.err == nil || o.err.Code != gateway.CodeTransferExists {
		t.Fatalf("B, transfer allowed by A: %v, want %s", o.err, gateway.CodeTransferExists)
	}
	sum := gatewaytest.Verify(t, held, nil, []gatewaytest.Sent{{Key: "k-same", Transfer: "t-same"}, {Key: "k-taken", Transfer: "t-taken"}})
	if sum.Checks != 2 {
		t.Fatalf("%d checks recorded, want A's two", sum.Checks)
	}
}

// Close answers every queued check (they are committed, not dropped) and
// refuses new ones with 503 unavailable.
func TestClose_CommitsQueuedChecksAndRefusesNewOnes(t *testing.T) {
	hold := make(chan struct{})
	st := &heldStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "c.db"))}
	g := setupOn(t, st, gateway.Options{QueueTimeout: time.Minute})
	st.hold = hold
	errs := make(chan *gateway.Error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, _, _, gerr := checkNoFatal(g, fmt.Sprint("k-", i), gatewaytest.CappedCheck(fmt.Sprint("t-", i)))
			errs <- gerr
		}()
		waitDepth(t, g, int64(i+1))
	}
	closed := make(chan error)
	go func() { closed <- g.Close() }()
	close(hold)
	for i := 0; i < 3; i++ {
		if e := <-errs; e != nil {
			t.Fatalf("a queued check: %v, want its answer", e)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, _, _, gerr := checkNoFatal(g, "k-late", gatewaytest.CappedCheck("t-late")); gerr == nil || gerr.Code != gateway.CodeUnavailable {
		t.Fatalf("a check after Close: %v, want %s", gerr, gateway.CodeUnavailable)
	}
	sum := gatewaytest.Verify(t, st, nil, []gatewaytest.Sent{{Key: "k-0", Transfer: "t-0"}, {Key: "k-1", Transfer: "t-1"}, {Key: "k-2", Transfer: "t-2"}, {Key: "k-late", Transfer: "t-late"}})
	if sum.Checks != 3 {
		t.Fatalf("%d checks recorded, want the 3 queued before Close", sum.Checks)
	}
}

// A backfill (admin only) is dated and counted in its own year.
func TestCheck_BackfillCountsInItsYear(t *testing.T) {
	g, st := setup(t, gateway.Options{})
	body := []byte(strings.Replace(string(gatewaytest.CrossingCheck("t-old")), `"id"`, `"date":"2025-12-31","backfill":true,"id"`, 1))
	if _, _, _, err := g.Check(context.Background(), engineer, "k-old", body); err == nil || !strings.Contains(err.Error(), gateway.CodeForbidden) {
		t.Fatalf("backfill by an engineer: %v, want %s", err, gateway.CodeForbidden)
	}
	resp, _, _, err := g.Check(context.Background(), gateway.Actor{Role: store.RoleAdmin, Name: "ops"}, "k-old", body)
	if err != nil || resp.Decision != "allow" || resp.Date.String() != "2025-12-31" || !resp.Backfill || resp.Cumulative.Year != 2025 {
		t.Fatalf("backfill: %v %+v", err, resp)
	}
	now, _, _, gerr := check(t, g, "k-new", gatewaytest.CrossingCheck("t-new"))
	if gerr != nil || now.Cumulative.Year != 2026 || now.Cumulative.Processor.Individuals != gatewaytest.CrossPerCheck {
		t.Fatalf("check of 2026 after a 2025 backfill: %v %+v: the 2025 count must not carry over", gerr, now)
	}
	// A backfill may be dated today (fixedNow is 2026-06-10 in China), never later.
	for _, c := range []struct {
		date string
		ok   bool
	}{{"2026-06-10", true}, {"2026-06-11", false}, {"2027-03-01", false}} {
		fb := []byte(strings.Replace(string(gatewaytest.CrossingCheck("t-"+c.date)), `"id"`, `"date":"`+c.date+`","backfill":true,"id"`, 1))
		_, _, _, err := g.Check(context.Background(), gateway.Actor{Role: store.RoleAdmin, Name: "ops"}, "k-"+c.date, fb)
		if c.ok && err != nil {
			t.Errorf("backfill dated %s (today): %v", c.date, err)
		}
		var ge *gateway.Error
		if !c.ok && (!errors.As(err, &ge) || ge.Code != gateway.CodeInvalid || !strings.Contains(strings.Join(ge.Details, " "), "after today")) {
			t.Errorf("backfill dated %s: %v, want refused as after today", c.date, err)
		}
	}
	gatewaytest.Verify(t, st, nil, []gatewaytest.Sent{{Key: "k-old", Transfer: "t-old"}, {Key: "k-new", Transfer: "t-new"}, {Key: "k-2026-06-10", Transfer: "t-2026-06-10"}})
}

// TestCheck_ConditionsOnLeavingDenyEvenExemptTransfers: a transfer exempt
// from every mechanism is still denied when its coordinates were not
// processed (blocking) or when nobody knows whether they were (undetermined).
func TestCheck_ConditionsOnLeavingDenyEvenExemptTransfers(t *testing.T) {
	g, _ := setup(t, gateway.Options{})
	putInventory(t, g, `
processors: [{id: p, ciio: false}]
assets:
  - {id: raw, processor: p, item: driving_automation.feature.map, facts: {infers_sensitive_geo: false, contains_coordinates: true, geo_confidentiality_processed: false}}
  - {id: unknown, processor: p, item: driving_automation.feature.map, facts: {infers_sensitive_geo: false, contains_coordinates: true}}
  - {id: done, processor: p, item: driving_automation.feature.map, facts: {infers_sensitive_geo: false, contains_coordinates: true, geo_confidentiality_processed: true}}
`)
	for _, c := range []struct {
		asset, decision, coverage, reason string
	}{
		{"raw", "deny", "not_covered", "geo_unprocessed"},
		{"unknown", "deny", "undetermined", "geo_confidentiality_processed unknown for unknown"},
		{"done", "allow", "not_required", ""},
	} {
		body := fmt.Sprintf(`{"id": "t-%s", "processor": "p", "assets": [%q], "recipient": {"name": "R", "country": "DE"}, "purpose": "map QA", "individuals": 0, "sensitive_individuals": 0}`, c.asset, c.asset)
		resp, _, _, gerr := check(t, g, "k-"+c.asset, []byte(body))
		if gerr != nil {
			t.Fatalf("%s: %v", c.asset, gerr)
		}
		if resp.Decision != c.decision || resp.Mechanism != "exempt" || resp.Coverage.Status != c.coverage {
			t.Errorf("%s: %s, %s, coverage %s; want %s, exempt, %s", c.asset, resp.Decision, resp.Mechanism, resp.Coverage.Status, c.decision, c.coverage)
		}
		if got := strings.Join(resp.DenyReasons, " | "); c.reason != "" && !strings.Contains(got, c.reason) {
			t.Errorf("%s: reasons %q, want one naming %q", c.asset, got, c.reason)
		}
	}
}

// TestCheck_AuditEntryHoldsNoRawIdentifier: identifiers in any field a client
// chose (transfer id, processor, assets, recipient, purpose, deny reasons)
// reach the append-only log only as pseudonyms, a VIN with a wrong check
// digit included.
func TestCheck_AuditEntryHoldsNoRawIdentifier(t *testing.T) {
	g, st := setup(t, gateway.Options{})
	raw := []string{"LSVAU218XN2183294", "LSVAU218XN2183295", "13812345678", "13912345678", "11010519491231002X"}
	body := `{"id": "export-LSVAU218XN2183294", "processor": "13812345678", "assets": ["11010519491231002X"],
		"recipient": {"name": "Zhang San 13912345678", "country": "DE"}, "purpose": "fleet LSVAU218XN2183295 check",
		"individuals": 1, "sensitive_individuals": 0}`
	resp, _, _, gerr := check(t, g, "leak-1", []byte(body))
	if gerr != nil {
		t.Fatal(gerr)
	}
	if resp.Decision != "deny" {
		t.Fatalf("decision %s, want deny (unknown processor and asset)", resp.Decision)
	}
	var last []byte
	err := st.View(context.Background(), func(tx store.ReadTx) error {
		n, err := tx.LogSize(context.Background())
		if err != nil {
			return err
		}
		return tx.Entries(context.Background(), n-1, n, func(e audit.StoredEntry) error {
			last = e.Data
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(last), "transfer.check") {
		t.Fatalf("last entry is not the check: %s", last)
	}
	for _, r := range raw {
		if strings.Contains(string(last), r) {
			t.Errorf("the audit entry holds %s in clear:\n%s", r, last)
		}
	}
	if !strings.Contains(string(last), `"packs":["guidelines-2026@`) {
		t.Errorf("the entry does not name the rule packs the decision was made under:\n%s", last)
	}
	if !strings.Contains(string(last), "export-") || !strings.Contains(string(last), "Zhang San") {
		t.Errorf("the text around the identifiers should stay readable:\n%s", last)
	}
}

// TestCheck_RefusalsAreLogged: an attempt refused before a decision (bad
// body, a backfill by a non-admin) or inside its batch (a transfer id
// already allowed, a reused key) leaves a check.refused entry naming its code
// and the body's digest, never the body.
func TestCheck_RefusalsAreLogged(t *testing.T) {
	g, st := setup(t, gateway.Options{})
	lastEntry := func() string {
		t.Helper()
		var last []byte
		err := st.View(context.Background(), func(tx store.ReadTx) error {
			n, err := tx.LogSize(context.Background())
			if err != nil {
				return err
			}
			return tx.Entries(context.Background(), n-1, n, func(e audit.StoredEntry) error { last = e.Data; return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(last)
	}
	if _, _, _, gerr := check(t, g, "k-1", gatewaytest.CappedCheck("t-1")); gerr != nil {
		t.Fatal(gerr)
	}
	backfill := []byte(strings.Replace(string(gatewaytest.CappedCheck("t-2")), `"id"`, `"date":"2026-01-05","backfill":true,"id"`, 1))
	for _, c := range []struct {
		name, key string
		body      []byte
		code      string
	}{
		{"bad body", "k-bad", []byte(`{"id": "t-9", "purpose": "13812345678", "nope": 1}`), gateway.CodeInvalid},
		{"backfill by an engineer", "k-bf", backfill, gateway.CodeForbidden},
		{"transfer id taken", "k-again", gatewaytest.CappedCheck("t-1"), gateway.CodeTransferExists},
		{"key reused", "k-1", gatewaytest.CappedCheck("t-3"), gateway.CodeIdempotencyReuse},
	} {
		_, _, _, gerr := check(t, g, c.key, c.body)
		if gerr == nil || gerr.Code != c.code {
			t.Fatalf("%s: %v, want %s", c.name, gerr, c.code)
		}
		e := lastEntry()
		// A body that parsed is named by the digest of the parsed request
		// (as in transfer.check entries); one that did not, by its bytes.
		digest := `"request_sha256":"`
		if c.name == "bad body" {
			digest = `"body_sha256":"`
		}
		if !strings.Contains(e, "kind check.refused\n") || !strings.Contains(e, `"code":"`+c.code+`"`) || !strings.Contains(e, digest) {
			t.Errorf("%s: last entry %s, want a check.refused entry with code %s and %s", c.name, e, c.code, digest)
		}
		if strings.Contains(e, "13812345678") || strings.Contains(e, "purpose") {
			t.Errorf("%s: the entry holds the body: %s", c.name, e)
		}
	}
	// A replay of the first answer is not a refusal: nothing is appended.
	before := lastEntry()
	if _, _, replay, gerr := check(t, g, "k-1", gatewaytest.CappedCheck("t-1")); gerr != nil || !replay {
		t.Fatalf("replay: %v %v", gerr, replay)
	}
	if lastEntry() != before {
		t.Error("a replay appended an entry")
	}
	if e := before; !strings.Contains(e, "idempotency_key_reused") {
		t.Errorf("unexpected last entry %s", e)
	}
	// The engineer's refused backfill and the same request allowed for an
	// admin carry the same request digest: an inspector can match them.
	refusedBackfill := digestIn(t, lastEntryOfKind(t, st, "check.refused", `"code":"forbidden"`))
	if _, _, _, err := g.Check(context.Background(), gateway.Actor{Role: store.RoleAdmin, Name: "ops"}, "k-bf-admin", backfill); err != nil {
		t.Fatal(err)
	}
	if allowed := digestIn(t, lastEntryOfKind(t, st, "transfer.check", `"transfer":"t-2"`)); allowed != refusedBackfill || allowed == "" {
		t.Errorf("request digests: refused %q, allowed %q; want the same", refusedBackfill, allowed)
	}
}

// TestParse_ControlCharacters: ids and names never hold control characters
// (PostgreSQL refuses NUL in text); free text may hold tabs and line breaks.
func TestParse_ControlCharacters(t *testing.T) {
	for _, c := range []struct {
		id, purpose, want string
	}{
		{"t-\u0000", "x", "id: control character U+0000 at byte 3"},
		{"t-\u001b[31m", "x", "id: control character U+001B at byte 3"},
		{"t-1", "line one\nline two\tend", ""},
		{"t-1", "nul \u0000", "purpose: control character U+0000 at byte 5"},
	} {
		body, _ := json.Marshal(map[string]any{"id": c.id, "processor": "p", "assets": []string{"a"}, "recipient": map[string]string{"name": "R"}, "purpose": c.purpose})
		_, err := gateway.Parse(body)
		var ge *gateway.Error
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q / %q: %v", c.id, c.purpose, err)
		case c.want != "" && (!errors.As(err, &ge) || !strings.Contains(strings.Join(ge.Details, "; "), c.want)):
			t.Errorf("%q / %q: %v, want %q", c.id, c.purpose, err, c.want)
		}
	}
}

// lastEntryOfKind is the last log entry of kind whose text holds want.
func lastEntryOfKind(t *testing.T, st store.Store, kind, want string) string {
	t.Helper()
	var last string
	err := st.View(context.Background(), func(tx store.ReadTx) error {
		n, err := tx.LogSize(context.Background())
		if err != nil {
			return err
		}
		return tx.Entries(context.Background(), 0, n, func(e audit.StoredEntry) error {
			if s := string(e.Data); strings.Contains(s, "\nkind "+kind+"\n") && strings.Contains(s, want) {
				last = s
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if last == "" {
		t.Fatalf("no %s entry holding %s", kind, want)
	}
	return last
}

// digestIn is the request_sha256 an entry's body names.
func digestIn(t *testing.T, entry string) string {
	t.Helper()
	_, after, ok := strings.Cut(entry, `"request_sha256":"`)
	if !ok {
		t.Fatalf("no request_sha256 in %s", entry)
	}
	d, _, _ := strings.Cut(after, `"`)
	return d
}
