package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// A caller of a multi-caller group batch whose context ends while one of its
// statements runs must not abort the shared transaction: modernc interrupts
// a statement whose context ends, SQLite then rolls the whole transaction
// back, the savepoint rollback fails and, before the fix, what followed ran
// in autocommit (the head said 2 entries, 1 was stored). Writer statements
// now ignore callers' cancellation, and a transaction that lost its
// savepoint refuses every further statement (sqlstore's broken).
func TestGroup_CallerCancelledMidStatementKeepsTheLogWhole(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	big := &model.Inventory{Processors: []*model.Processor{{ID: "p"}}}
	for i := 0; i < 300000; i++ {
		big.Approvals = append(big.Approvals, &model.Approval{ID: fmt.Sprintf("ap%d", i)})
	}
	if err := st.Update(ctx, func(tx store.Tx) error { _, err := tx.PutInventory(ctx, big); return err }); err != nil {
		t.Fatal(err)
	}
	entry := func(s string) audit.Entry {
		b, _ := json.Marshal(map[string]string{"n": s})
		return audit.Entry{Time: time.Now(), Kind: "test", Actor: "t", Body: b}
	}
	if err := st.Update(ctx, func(tx store.Tx) error { _, err := tx.AppendAudit(ctx, entry("first")); return err }); err != nil {
		t.Fatal(err)
	}
	g := store.NewGroup(st, store.GroupOptions{})
	defer g.Close()
	var wg sync.WaitGroup
	wg.Add(3)
	started := make(chan struct{})
	go func() { // blocker: the next two callers queue behind it, into one batch
		defer wg.Done()
		g.Do(ctx, func(tx store.Tx) error { close(started); time.Sleep(300 * time.Millisecond); return nil })
	}()
	<-started
	var errA, errB error
	go func() {
		defer wg.Done()
		errA = g.Do(ctx, func(tx store.Tx) error { _, err := tx.AppendAudit(ctx, entry("A")); return err })
	}()
	time.Sleep(50 * time.Millisecond)
	go func() {
		defer wg.Done()
		cctx, cancel := context.WithCancel(ctx)
		errB = g.Do(cctx, func(tx store.Tx) error {
			time.AfterFunc(3*time.Millisecond, cancel) // the client goes away mid-statement
			_, err := tx.PutApproval(cctx, &model.Approval{ID: "new"})
			return err
		})
	}()
	wg.Wait()
	if errA != nil {
		t.Errorf("A, the neighbour: %v", errA)
	}
	t.Logf("B (cancelled mid-statement): %v", errB)
	var size uint64
	var n int
	st.View(ctx, func(tx store.ReadTx) error {
		size, _ = tx.LogSize(ctx)
		return tx.Entries(ctx, 0, size+5, func(audit.StoredEntry) error { n++; return nil })
	})
	var v int64
	st.View(ctx, func(tx store.ReadTx) error { v, _ = tx.InventoryVersion(ctx); return nil })
	t.Logf("head log size %d, entries stored %d, inventory version %d", size, n, v)
	if uint64(n) != size {
		t.Errorf("head says %d entries, %d stored", size, n)
	}
	// a further append
	err = st.Update(ctx, func(tx store.Tx) error { _, err := tx.AppendAudit(ctx, entry("after")); return err })
	if err != nil {
		t.Fatalf("append after: %v", err)
	}
	var rep *audit.Report
	st.View(ctx, func(tx store.ReadTx) error {
		rep, err = audit.Verify(ctx, store.AuditSource(tx), audit.Options{})
		return err
	})
	if err != nil || !rep.OK() {
		t.Fatalf("the log does not verify: %v %+v", err, rep)
	}
}
