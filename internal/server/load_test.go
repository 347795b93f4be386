package server_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/gateway/gatewaytest"
	"github.com/xborder/xborder/internal/store"
)

// slowStore makes every write transaction take at least delay, as a disk or
// database that cannot keep up would.
type slowStore struct {
	store.Store
	delay atomic.Int64 // nanoseconds
}

func (s *slowStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	time.Sleep(time.Duration(s.delay.Load()))
	return s.Store.Update(ctx, fn)
}

// Many more clients than the queue holds, on a slow store, with a queue
// timeout long enough: checks wait (backpressure) and every one is answered
// and recorded; none is dropped or answered without its entry.
func TestOverload_BackpressureSlowsChecksDown(t *testing.T) {
	st := &slowStore{Store: relOpenSQLite(t)}
	s := relStart(t, st, gateway.Options{Group: store.GroupOptions{MaxBatch: 4, QueueSize: 4}, QueueTimeout: time.Minute}, 64)
	st.delay.Store(int64(5 * time.Millisecond))
	sent := relThresholdChecks("bp", 200, 2)
	answers, errs := s.cl.Fire(sent, 64, nil)
	allowed := relAllowed(t, answers, errs)
	if allowed["capped"] != 200 || allowed["crossing"] != 200 {
		t.Fatalf("allowed %v: every check fits, want 200 each", allowed)
	}
	batches, checks := s.gw.Stats()
	if checks != int64(len(sent)) || batches*4 < checks {
		t.Fatalf("%d checks in %d batches: batches must hold at most 4", checks, batches)
	}
	gatewaytest.Verify(t, st, answers, sent)
}

// A tiny queue, a slow store and a short queue timeout: checks that cannot
// start in time fail closed (503 overloaded) with nothing recorded or
// counted; every 200 has its record and audit entry. Retrying the refused
// checks with the same keys once the load is gone ends with exactly the
// counts that fit, as if there had been no overload.
func TestOverload_FailsClosedAndRetriesCountOnce(t *testing.T) {
	st := &slowStore{Store: relOpenSQLite(t)}
	s := relStart(t, st, gateway.Options{Group: store.GroupOptions{MaxBatch: 2, QueueSize: 2}, QueueTimeout: 20 * time.Millisecond}, 64)
	st.delay.Store(int64(10 * time.Millisecond))
	// 700 capped checks of 10 individuals against a cap of 5,000, plus 700
	// of the processor crossing 100,000.
	sent := relThresholdChecks("ov", 700, 3)
	answers, errs := s.cl.Fire(sent, 64, nil)
	var refused []gatewaytest.Sent
	for i, a := range answers {
		switch {
		case errs[i] != nil:
			t.Fatalf("%s: %v", a.Transfer, errs[i])
		case a.Status == 503 && a.Code == gateway.CodeOverloaded:
			refused = append(refused, a.Sent)
		case a.Status != 200:
			t.Fatalf("%s: status %d %s", a.Transfer, a.Status, a.Raw)
		}
	}
	if len(refused) == 0 || len(refused) == len(sent) {
		t.Fatalf("%d of %d checks refused as overloaded: the test needs some of each", len(refused), len(sent))
	}
	t.Logf("overload: %d of %d checks refused (503 overloaded)", len(refused), len(sent))
	// Nothing of a refused check is stored: Verify checks that a key is
	// stored exactly when its check is recorded.
	sum := gatewaytest.Verify(t, st, answers, sent)
	if sum.Checks != len(sent)-len(refused) {
		t.Fatalf("%d checks recorded, %d answered 200", sum.Checks, len(sent)-len(refused))
	}

	// The load is gone: retry the refused checks with their keys, as a
	// client does on 503, until each is answered.
	st.delay.Store(0)
	final := append([]gatewaytest.Answer{}, answers...)
	index := map[string]int{}
	for i, a := range final {
		index[a.Key] = i
	}
	for round := 0; len(refused) > 0; round++ {
		if round == 100 {
			t.Fatalf("%d checks still refused after %d rounds of retries", len(refused), round)
		}
		retried, errs := s.cl.Fire(refused, 4, nil)
		refused = refused[:0]
		for i, a := range retried {
			switch {
			case errs[i] != nil:
				t.Fatalf("retry of %s: %v", a.Transfer, errs[i])
			case a.Status == 503:
				refused = append(refused, a.Sent)
			case a.Status != 200:
				t.Fatalf("retry of %s: status %d: %s", a.Transfer, a.Status, a.Raw)
			default:
				final[index[a.Key]] = a
			}
		}
	}
	allowed := relAllowed(t, final, make([]error, len(final)))
	if allowed["capped"] != gatewaytest.CapChecks || allowed["crossing"] != gatewaytest.CrossChecks {
		t.Fatalf("after retries allowed %v, want exactly capped %d and crossing %d", allowed, gatewaytest.CapChecks, gatewaytest.CrossChecks)
	}
	if sum := gatewaytest.Verify(t, st, final, sent); sum.Checks != len(sent) {
		t.Fatalf("%d checks recorded after retries, want %d", sum.Checks, len(sent))
	}
}
