package gateway_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/gateway/gatewaytest"
	"github.com/xborder/xborder/internal/store"
)

// Two callers with their own tokens (same role, same name: only the token
// tells them apart).
var (
	callerA = gateway.Actor{Role: store.RoleEngineer, Name: "pipeline", TokenHash: store.TokenHash("xbt_token_of_caller_a_0123456789")}
	callerB = gateway.Actor{Role: store.RoleEngineer, Name: "pipeline", TokenHash: store.TokenHash("xbt_token_of_caller_b_0123456789")}
)

func checkAs(t *testing.T, g *gateway.Gateway, a gateway.Actor, key string, body []byte) (*gateway.Response, []byte, bool, *gateway.Error) {
	t.Helper()
	resp, raw, replay, err := g.Check(context.Background(), a, key, body)
	if err != nil {
		var ge *gateway.Error
		if !errors.As(err, &ge) {
			t.Fatalf("check %s: error without a code: %v", key, err)
		}
		return nil, nil, false, ge
	}
	return resp, raw, replay, nil
}

// deniedBody is a check of the capped processor to a recipient its contract
// does not cover: denied, so the same transfer may be decided again.
func deniedBody(id string) []byte {
	return []byte(strings.Replace(string(gatewaytest.CheckBody(id, "capped", "capped-pi", 9, 1)), gatewaytest.Recipient, "New Partner Ltd", 1))
}

// The same Idempotency-Key from two tokens is two keys: B never gets A's
// answer (which could tell B what A sent and what was decided), and each
// caller's key keeps its own rules (same body: its own first answer; other
// body: 409).
func TestCheck_IdempotencyKeyIsPerCaller(t *testing.T) {
	g, st := setup(t, gateway.Options{})
	respA, rawA, replay, gerr := checkAs(t, g, callerA, "k-1", deniedBody("t-1"))
	if gerr != nil || replay || respA.Decision != "deny" {
		t.Fatalf("A: %v replay %v %+v, want a fresh deny", gerr, replay, respA)
	}
	// B, same key, same body: decided afresh, not A's stored answer.
	respB, rawB, replay, gerr := checkAs(t, g, callerB, "k-1", deniedBody("t-1"))
	if gerr != nil || replay {
		t.Fatalf("B with A's key and body: %v, replayed %v: B must not get A's answer", gerr, replay)
	}
	if respB.LogIndex == respA.LogIndex || string(rawB) == string(rawA) {
		t.Fatalf("B got log index %d, A %d: B's check must be its own", respB.LogIndex, respA.LogIndex)
	}
	// Each replays its own first answer, byte for byte.
	for _, c := range []struct {
		name  string
		actor gateway.Actor
		raw   []byte
	}{{"A", callerA, rawA}, {"B", callerB, rawB}} {
		_, raw, replay, gerr := checkAs(t, g, c.actor, "k-1", deniedBody("t-1"))
		if gerr != nil || !replay || string(raw) != string(c.raw) {
			t.Errorf("%s again: %v replay %v, same bytes as its first answer %v", c.name, gerr, replay, string(raw) == string(c.raw))
		}
		// And another body under its key is still 409.
		if _, _, _, gerr := checkAs(t, g, c.actor, "k-1", deniedBody("t-other")); gerr == nil || gerr.Code != gateway.CodeIdempotencyReuse {
			t.Errorf("%s, its key with another body: %v, want %s", c.name, gerr, gateway.CodeIdempotencyReuse)
		}
	}
	// A key B used first with one body does not stop A using it with another.
	if r, _, replay, gerr := checkAs(t, g, callerB, "k-2", deniedBody("t-2")); gerr != nil || replay || r.Decision != "deny" {
		t.Fatalf("B k-2: %v %v %+v", gerr, replay, r)
	}
	if r, _, replay, gerr := checkAs(t, g, callerA, "k-2", gatewaytest.CappedCheck("t-3")); gerr != nil || replay || r.Decision != "allow" {
		t.Fatalf("A k-2 with another body than B's: %v replay %v %+v, want a fresh allow", gerr, replay, r)
	}
	// An allowed transfer stays allowed once, whoever asks: B's own key for
	// A's allowed transfer is transfer_exists, not A's answer.
	if _, _, replay, gerr := checkAs(t, g, callerB, "k-2b", gatewaytest.CappedCheck("t-3")); gerr == nil || gerr.Code != gateway.CodeTransferExists || replay {
		t.Fatalf("B checking A's allowed transfer: %v replay %v, want %s", gerr, replay, gateway.CodeTransferExists)
	}

	// What is stored: one key per caller, in its token's space, none unscoped.
	err := st.View(context.Background(), func(tx store.ReadTx) error {
		for _, c := range []struct {
			actor gateway.Actor
			raw   []byte
		}{{callerA, rawA}, {callerB, rawB}} {
			rec, err := tx.Idempotency(context.Background(), gateway.ScopedKey(c.actor.TokenHash, "k-1"))
			if err != nil || string(rec.Response) != string(c.raw) {
				t.Errorf("scoped key of %x: %v, stored answer is the caller's own %v", c.actor.TokenHash[:4], err, string(rec.Response) == string(c.raw))
			}
		}
		if _, err := tx.Idempotency(context.Background(), "k-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unscoped k-1: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := gateway.ScopedKey(callerA.TokenHash, "k-1"); got == gateway.ScopedKey(callerB.TokenHash, "k-1") || got == "k-1" {
		t.Errorf("ScopedKey does not tell callers apart: %q", got)
	}
}

// The same within one batch, where keys are matched in memory before any
// lookup: A's and B's same key are two checks, and A's retry in the batch
// replays A's answer.
func TestCheck_IdempotencyKeyIsPerCallerInOneBatch(t *testing.T) {
	hold := make(chan struct{})
	st := &heldStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "d.db"))}
	g := setupOn(t, st, gateway.Options{})
	st.hold = hold
	type res struct {
		who  string
		resp *gateway.Response
		raw  []byte
		err  *gateway.Error
		rep  bool
	}
	var wg sync.WaitGroup
	out := make(chan res, 8)
	fire := func(who string, a gateway.Actor, key string, body []byte) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, raw, rep, err := g.Check(context.Background(), a, key, body)
			var ge *gateway.Error
			errors.As(err, &ge)
			out <- res{who, r, raw, ge, rep}
		}()
	}
	fire("first", callerA, "k-0", gatewaytest.CappedCheck("t-0")) // takes the committer and waits
	waitDepth(t, g, 1)
	fire("A", callerA, "k-1", deniedBody("t-1"))
	waitDepth(t, g, 2)
	fire("B", callerB, "k-1", deniedBody("t-1"))
	waitDepth(t, g, 3)
	fire("A again", callerA, "k-1", deniedBody("t-1"))
	fire("B other body", callerB, "k-1", deniedBody("t-9"))
	waitDepth(t, g, 5)
	close(hold)
	wg.Wait()
	close(out)
	got := map[string]res{}
	for r := range out {
		got[r.who] = r
	}
	a, b, again, other := got["A"], got["B"], got["A again"], got["B other body"]
	if a.err != nil || a.rep || a.resp.Decision != "deny" {
		t.Fatalf("A: err %v, replay %v", a.err, a.rep)
	}
	if b.err != nil || b.rep || b.resp.Decision != "deny" || b.resp.LogIndex == a.resp.LogIndex {
		t.Fatalf("B with A's key in the same batch: err %v, replay %v: want its own fresh decision", b.err, b.rep)
	}
	if again.err != nil || !again.rep || string(again.raw) != string(a.raw) {
		t.Errorf("A's retry in the batch: err %v replay %v, same bytes as A's answer %v", again.err, again.rep, string(again.raw) == string(a.raw))
	}
	if other.err == nil || other.err.Code != gateway.CodeIdempotencyReuse {
		t.Errorf("B's key with another body: err %v, replay %v, want %s", other.err, other.rep, gateway.CodeIdempotencyReuse)
	}
	if b, n := g.Stats(); b < 2 || n != 5 {
		t.Errorf("batches %d holding %d checks: want the last four in one batch", b, n)
	}
}
