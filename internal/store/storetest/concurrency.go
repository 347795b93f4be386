package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// checkNearThreshold is what the gateway does per check: inside the lock,
// read the running total, decide, record, count and log.
func checkNearThreshold(tx store.Tx, id string, limit int64) (bool, error) {
	m, err := tx.YearTotals(ctx(), 2026, "acme-cn")
	if err != nil {
		return false, err
	}
	allow := m["acme-cn"].Individuals+1 <= limit
	decision := store.DecisionDeny
	if allow {
		decision = store.DecisionAllow
	}
	idx, err := tx.AppendAudit(ctx(), audit.Entry{Time: now, Kind: "transfer.check", Actor: "engineer:load",
		Body: json.RawMessage(fmt.Sprintf(`{"transfer":%q,"decision":%q}`, id, decision))})
	if err != nil {
		return false, err
	}
	rec := store.CheckRecord{Transfer: transfer(id, "acme-cn", "2026-06-01", 1), Decision: decision, Counted: allow, LogIndex: idx[0], At: now}
	if _, err := tx.RecordCheck(ctx(), &rec); err != nil {
		return false, err
	}
	if allow {
		if err := tx.AddTotals(ctx(), 2026, "acme-cn", model.Counts{Individuals: 1}); err != nil {
			return false, err
		}
	}
	return allow, nil
}

// testConcurrency runs many writers through two Store instances (two pools,
// as two serve processes) near a threshold: no overshoot, no lost count,
// gap-free log and check sequence.
func testConcurrency(t *testing.T, h *Harness) {
	const workers, perWorker, limit = 8, 25, 150
	stores := []store.Store{h.Open(t), h.Open(t)}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := stores[w%2]
			for i := 0; i < perWorker; i++ {
				id := fmt.Sprintf("t-%d-%d", w, i)
				err := st.Update(ctx(), func(tx store.Tx) error {
					ok, err := checkNearThreshold(tx, id, limit)
					if ok {
						// Counted only if the commit succeeds: see below.
						defer allowed.Add(1)
					}
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := workers * perWorker
	view(t, stores[0], func(tx store.ReadTx) error {
		m, _ := tx.YearTotals(ctx(), 2026, "acme-cn")
		if m["acme-cn"].Individuals != limit {
			t.Errorf("total %d, want exactly %d", m["acme-cn"].Individuals, limit)
		}
		if allowed.Load() != limit {
			t.Errorf("%d allowed, want %d", allowed.Load(), limit)
		}
		n, _ := tx.LogSize(ctx())
		if n != uint64(total) {
			t.Errorf("log size %d, want %d", n, total)
		}
		cs, err := tx.Checks(ctx(), store.CheckFilter{Limit: 10000})
		if err != nil {
			return err
		}
		seen := map[uint64]bool{}
		for i, c := range cs {
			if c.Seq != int64(i+1) {
				t.Fatalf("check %d has seq %d: gap", i, c.Seq)
			}
			if seen[c.LogIndex] {
				t.Fatalf("log index %d used twice", c.LogIndex)
			}
			seen[c.LogIndex] = true
		}
		if len(cs) != total {
			t.Errorf("%d checks, want %d", len(cs), total)
		}
		return nil
	})
	if rep := verify(t, stores[1]); !rep.OK() || rep.Size != uint64(total) {
		t.Errorf("verify: %+v", rep)
	}
}

func testGroup(t *testing.T, h *Harness) {
	st := h.Open(t)
	g := store.NewGroup(st, store.GroupOptions{MaxBatch: 50})
	const n = 200
	boom := errors.New("caller failed")
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = g.Do(ctx(), func(tx store.Tx) error {
				if _, err := checkNearThreshold(tx, fmt.Sprintf("g-%d", i), 1<<40); err != nil {
					return err
				}
				if i%10 == 0 {
					return boom // undone alone; its neighbours commit
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i, err := range results {
		switch {
		case i%10 == 0 && !errors.Is(err, boom):
			t.Errorf("caller %d: %v, want its own error", i, err)
		case i%10 != 0 && err != nil:
			t.Errorf("caller %d: %v", i, err)
		}
		if err != nil {
			failed++
		}
	}
	batches, calls := g.Stats()
	if calls != n-int64(failed) || batches < 1 || batches > calls {
		t.Errorf("stats: %d batches, %d calls", batches, calls)
	}
	t.Logf("%d calls in %d batches", calls, batches)
	view(t, st, func(tx store.ReadTx) error {
		m, _ := tx.YearTotals(ctx(), 2026, "acme-cn")
		nlog, _ := tx.LogSize(ctx())
		if m["acme-cn"].Individuals != n-20 || nlog != n-20 {
			t.Errorf("totals %d, log %d, want %d each", m["acme-cn"].Individuals, nlog, n-20)
		}
		return nil
	})
	if rep := verify(t, st); !rep.OK() {
		t.Errorf("verify: %v", rep.Problems)
	}
	if err := g.Do(ctx(), func(store.Tx) error { return nil }); !errors.Is(err, store.ErrGroupClosed) {
		t.Errorf("Do after Close: %v", err)
	}
}

// testCarriedCounts: an instance keeps the counts of its last commit for the
// next transaction only while nobody else wrote. Another instance's write (as
// another process on the same database), a failed transaction and a rolled
// back savepoint must each be seen exactly.
func testCarriedCounts(t *testing.T, h *Harness) {
	a, b := h.Open(t), h.Open(t)
	read := func(st store.Store) (int64, int64) {
		t.Helper()
		var ind, use int64
		update(t, st, func(tx store.Tx) error {
			tot, err := tx.YearTotals(ctx(), 2026, "p1")
			if err != nil {
				return err
			}
			u, err := tx.ApprovalUsage(ctx(), "sa-1")
			if err != nil {
				return err
			}
			ind, use = tot["p1"].Individuals, u["sa-1"]
			return nil
		})
		return ind, use
	}
	add := func(st store.Store, n int64) {
		t.Helper()
		update(t, st, func(tx store.Tx) error {
			if _, err := tx.YearTotals(ctx(), 2026, "p1"); err != nil {
				return err
			}
			if _, err := tx.ApprovalUsage(ctx(), "sa-1"); err != nil {
				return err
			}
			if err := tx.AddTotals(ctx(), 2026, "p1", model.Counts{Individuals: n}); err != nil {
				return err
			}
			return tx.AddApprovalUsage(ctx(), "sa-1", n)
		})
	}
	add(a, 10) // a now carries 10
	add(b, 5)  // b writes behind a's back
	if ind, use := read(a); ind != 15 || use != 15 {
		t.Fatalf("a after b's write: totals %d, usage %d; want 15 and 15", ind, use)
	}
	add(a, 1)
	if ind, _ := read(b); ind != 16 {
		t.Fatalf("b after a's write: totals %d, want 16", ind)
	}
	// A failed transaction changed the cached counts before failing: the
	// next one must not start from them.
	boom := errors.New("boom")
	err := a.Update(ctx(), func(tx store.Tx) error {
		if err := tx.AddTotals(ctx(), 2026, "p1", model.Counts{Individuals: 1000}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want boom", err)
	}
	if ind, use := read(a); ind != 16 || use != 16 {
		t.Fatalf("a after a failed transaction: totals %d, usage %d; want 16 and 16", ind, use)
	}
	// A rolled-back savepoint inside a committed transaction.
	update(t, a, func(tx store.Tx) error {
		if err := tx.AddTotals(ctx(), 2026, "p1", model.Counts{Individuals: 2}); err != nil {
			return err
		}
		if err := tx.Savepoint(ctx(), func(tx store.Tx) error {
			if err := tx.AddTotals(ctx(), 2026, "p1", model.Counts{Individuals: 500}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			return fmt.Errorf("savepoint: %v", err)
		}
		return nil
	})
	if ind, _ := read(a); ind != 18 {
		t.Fatalf("a after a rolled-back savepoint: totals %d, want 18", ind)
	}
	if ind, _ := read(b); ind != 18 {
		t.Fatalf("b: totals %d, want 18", ind)
	}
}
