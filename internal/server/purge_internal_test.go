package server

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/store"
	_ "github.com/xborder/xborder/internal/store/sqlite"
)

// TestPurgeIdempotency_IsLogged: forgetting stored answers is an event of
// the log (a retry after it gets a new decision), and a purge that removes
// nothing writes nothing.
func TestPurgeIdempotency_IsLogged(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	set, err := rulepack.LoadWithDefaults(nil, rulepack.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 10, 4, 0, 0, 0, time.UTC)
	gw, err := gateway.New(st, gateway.Options{Set: set, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	s := New(st, gw, Options{IdempotencyTTL: time.Hour, CheckpointEvery: time.Hour})
	err = st.Update(ctx, func(tx store.Tx) error {
		for i, at := range []time.Time{now.Add(-2 * time.Hour), now.Add(-3 * time.Hour), now.Add(-time.Minute)} {
			if err := tx.PutIdempotency(ctx, store.IdempotencyRecord{Key: "k" + string(rune('a'+i)), RequestHash: []byte{1}, Response: []byte("{}"), At: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	size := func() (uint64, string) {
		var n uint64
		var last string
		st.View(ctx, func(tx store.ReadTx) error {
			n, _ = tx.LogSize(ctx)
			if n > 0 {
				tx.Entries(ctx, n-1, n, func(e audit.StoredEntry) error { last = string(e.Data); return nil })
			}
			return nil
		})
		return n, last
	}
	before, _ := size()
	s.purgeIdempotency()
	after, last := size()
	if after != before+1 || !strings.Contains(last, "kind idempotency.purge\n") || !strings.Contains(last, `"purged":2`) {
		t.Fatalf("after a purge of 2 keys: log %d -> %d, last entry:\n%s", before, after, last)
	}
	s.purgeIdempotency()
	if again, _ := size(); again != after {
		t.Errorf("a purge that removed nothing appended %d entries", again-after)
	}
}
