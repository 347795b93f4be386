package server_test

// Reliability tests over the real HTTP server in one process: exact counts
// with many concurrent clients (SQLite), and overload (load_test.go). The
// multi-process tests (two serve processes on PostgreSQL, kill -9) are in
// internal/e2e.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/gateway/gatewaytest"
	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
)

const relToken = "xbt_reliability_admin_" + "0123456789abcdef0123456789"

// relNow is a working day in 2026 at noon China time.
var relNow = time.Date(2026, 6, 10, 4, 0, 0, 0, time.UTC)

type relService struct {
	st  store.Store
	gw  *gateway.Gateway
	srv *server.Server
	ts  *httptest.Server
	cl  *gatewaytest.Client
}

// relStart serves the real handler over st with an admin token, the
// threshold inventory loaded and clients for n callers.
func relStart(t testing.TB, st store.Store, opt gateway.Options, n int) *relService {
	t.Helper()
	ctx := context.Background()
	opt.Set = defaultPacks(t)
	opt.Now = func() time.Time { return relNow }
	gw, err := gateway.New(st, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, gw, server.Options{CheckpointEvery: time.Hour})
	ts := httptest.NewServer(srv.Handler())
	s := &relService{st: st, gw: gw, srv: srv, ts: ts, cl: gatewaytest.NewClient(ts.URL, relToken, n)}
	t.Cleanup(func() {
		ts.Close()
		gw.Close()
	})
	err = st.Update(ctx, func(tx store.Tx) error {
		return tx.CreateToken(ctx, store.TokenRecord{Hash: store.TokenHash(relToken), Role: store.RoleAdmin, Name: "reliability", Created: relNow})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cl.PutInventory(gatewaytest.Inventory); err != nil {
		t.Fatal(err)
	}
	return s
}

func relOpenSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "rel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// relThresholdChecks makes n checks of each threshold processor, shuffled.
func relThresholdChecks(prefix string, n int, seed uint64) []gatewaytest.Sent {
	var sent []gatewaytest.Sent
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-cap-%d", prefix, i)
		sent = append(sent, gatewaytest.Sent{Key: "k-" + id, Transfer: id, Body: gatewaytest.CappedCheck(id)})
		id = fmt.Sprintf("%s-cross-%d", prefix, i)
		sent = append(sent, gatewaytest.Sent{Key: "k-" + id, Transfer: id, Body: gatewaytest.CrossingCheck(id)})
	}
	r := rand.New(rand.NewPCG(seed, 1))
	r.Shuffle(len(sent), func(i, j int) { sent[i], sent[j] = sent[j], sent[i] })
	return sent
}

// relAllowed counts the allowed answers per processor and fails on any
// answer other than a fresh 200.
func relAllowed(t *testing.T, answers []gatewaytest.Answer, errs []error) map[string]int {
	t.Helper()
	allowed := map[string]int{}
	seen := map[uint64]string{}
	for i, a := range answers {
		if errs[i] != nil || a.Status != 200 || a.Replayed {
			t.Fatalf("%s: status %d, replayed %v, err %v: %s", a.Transfer, a.Status, a.Replayed, errs[i], a.Raw)
		}
		if prev, dup := seen[a.Resp.LogIndex]; dup {
			t.Fatalf("%s and %s were both given log index %d", prev, a.Transfer, a.Resp.LogIndex)
		}
		seen[a.Resp.LogIndex] = a.Transfer
		if a.Resp.Decision == "allow" {
			allowed[processorOf(a)]++
		}
	}
	return allowed
}

func processorOf(a gatewaytest.Answer) string {
	if strings.Contains(a.Transfer, "-cap-") {
		return "capped"
	}
	return "crossing"
}

// 1,000 checks of each threshold processor from 64 concurrent clients on one
// SQLite service: exactly the checks that fit are allowed, and the database
// agrees with every answer (gatewaytest.Verify).
func TestConcurrency_SQLiteExactCountsNearThresholds(t *testing.T) {
	s := relStart(t, relOpenSQLite(t), gateway.Options{}, 64)
	sent := relThresholdChecks("sq", 1000, 1)
	answers, errs := s.cl.Fire(sent, 64, nil)
	allowed := relAllowed(t, answers, errs)
	if allowed["capped"] != gatewaytest.CapChecks || allowed["crossing"] != gatewaytest.CrossChecks {
		t.Fatalf("allowed %v, want exactly capped %d (cap %d) and crossing %d (under 100,000)",
			allowed, gatewaytest.CapChecks, gatewaytest.Cap, gatewaytest.CrossChecks)
	}
	if err := s.srv.SignCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	sum := gatewaytest.Verify(t, s.st, answers, sent)
	if sum.Checks != len(sent) {
		t.Fatalf("%d checks recorded, want %d", sum.Checks, len(sent))
	}
	if b, n := s.gw.Stats(); b >= n {
		t.Errorf("%d batches for %d checks: concurrent checks should share commits", b, n)
	}
}
