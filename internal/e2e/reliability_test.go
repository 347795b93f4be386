package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/xborder/xborder/internal/gateway/gatewaytest"
)

// thresholdChecks makes n checks of each threshold processor, shuffled.
func thresholdChecks(prefix string, n int, seed uint64) []gatewaytest.Sent {
	var sent []gatewaytest.Sent
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-cap-%d", prefix, i)
		sent = append(sent, gatewaytest.Sent{Key: "k-" + id, Transfer: id, Body: gatewaytest.CappedCheck(id)})
		id = fmt.Sprintf("%s-cross-%d", prefix, i)
		sent = append(sent, gatewaytest.Sent{Key: "k-" + id, Transfer: id, Body: gatewaytest.CrossingCheck(id)})
	}
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(sent), func(i, j int) { sent[i], sent[j] = sent[j], sent[i] })
	return sent
}

func allowedOf(answers []gatewaytest.Answer) map[string]int {
	out := map[string]int{}
	for _, a := range answers {
		if a.Status == 200 && a.Resp.Decision == "allow" {
			if strings.Contains(a.Transfer, "-cap-") {
				out["capped"]++
			} else {
				out["crossing"]++
			}
		}
	}
	return out
}

// Two serve processes on one PostgreSQL schema answer 2,000 concurrent
// checks near two thresholds, 1,000 each: exactly the checks that fit are
// allowed (no overshoot, no lost count), every answer is recorded with its
// audit entry, indices are gap-free, and `xborder audit verify` passes.
func TestTwoServeProcessesOnOnePostgres_ExactCounts(t *testing.T) {
	db := pgSchema(t)
	a := startServe(t, db)
	b := startServe(t, db) // started after a: a bootstrapped the admin token
	ca := gatewaytest.NewClient(a.base, token, 32)
	cb := gatewaytest.NewClient(b.base, token, 32)
	if err := ca.PutInventory(gatewaytest.Inventory); err != nil {
		t.Fatal(err)
	}
	sent := thresholdChecks("pg", 1000, 11)
	var toA, toB []gatewaytest.Sent
	for i, s := range sent {
		if i%2 == 0 {
			toA = append(toA, s)
		} else {
			toB = append(toB, s)
		}
	}
	var ansA, ansB []gatewaytest.Answer
	var errA, errB []error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ansA, errA = ca.Fire(toA, 32, nil) }()
	go func() { defer wg.Done(); ansB, errB = cb.Fire(toB, 32, nil) }()
	wg.Wait()
	answers := append(ansA, ansB...)
	errs := append(errA, errB...)
	indices := map[uint64]string{}
	for i, x := range answers {
		if errs[i] != nil || x.Status != 200 || x.Replayed {
			t.Fatalf("%s: status %d, replayed %v, err %v: %s", x.Transfer, x.Status, x.Replayed, errs[i], x.Raw)
		}
		if prev, dup := indices[x.Resp.LogIndex]; dup {
			t.Fatalf("%s and %s were both given log index %d", prev, x.Transfer, x.Resp.LogIndex)
		}
		indices[x.Resp.LogIndex] = x.Transfer
	}
	fromA, fromB := allowedOf(ansA), allowedOf(ansB)
	allowed := allowedOf(answers)
	t.Logf("allowed by process A %v, by process B %v", fromA, fromB)
	if allowed["capped"] != gatewaytest.CapChecks || allowed["crossing"] != gatewaytest.CrossChecks {
		t.Fatalf("allowed %v, want exactly capped %d (cap %d individuals) and crossing %d (under 100,000)",
			allowed, gatewaytest.CapChecks, gatewaytest.Cap, gatewaytest.CrossChecks)
	}
	if fromA["capped"]+fromA["crossing"] == 0 || fromB["capped"]+fromB["crossing"] == 0 {
		t.Fatalf("one process allowed nothing (A %v, B %v): the test must interleave both", fromA, fromB)
	}
	a.stop()
	b.stop()
	st := openStore(t, db)
	sum := gatewaytest.Verify(t, st, answers, sent)
	st.Close()
	if sum.Checks != len(sent) {
		t.Fatalf("%d checks recorded, want %d", sum.Checks, len(sent))
	}
	auditVerifyCLI(t, db)
}

func TestKill9_SQLite(t *testing.T)   { testKill9(t, sqliteDB(t)) }
func TestKill9_Postgres(t *testing.T) { testKill9(t, pgSchema(t)) }

// testKill9 streams checks from 32 clients, kills serve with SIGKILL once
// 600 have been answered, and then shows: the database verifies with every
// acknowledged check in it and nothing half-recorded (gatewaytest.Verify);
// a restarted serve replays every acknowledged answer byte for byte; and
// once every check has been (re)sent with its key, exactly the checks that
// fit are allowed, as if there had been no crash.
func testKill9(t *testing.T, db string) {
	p := startServe(t, db)
	cl := gatewaytest.NewClient(p.base, token, 32)
	if err := cl.PutInventory(gatewaytest.Inventory); err != nil {
		t.Fatal(err)
	}
	sent := thresholdChecks("k9", 1500, 21)
	answers := make([]gatewaytest.Answer, len(sent))
	for i := range sent {
		answers[i].Sent = sent[i]
	}
	var acked atomic.Int64
	var killOnce sync.Once
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a, err := cl.Check(sent[i])
				answers[i] = a
				if err != nil {
					answers[i].Status = 0
					continue
				}
				if a.Status == 200 && acked.Add(1) == 600 {
					killOnce.Do(p.kill9)
				}
			}
		}()
	}
	for i := range sent {
		select {
		case next <- i:
			continue
		case <-p.exited:
		}
		break
	}
	close(next)
	wg.Wait()
	select {
	case <-p.exited:
	default:
		t.Fatalf("serve was not killed: only %d checks answered", acked.Load())
	}
	var ok, lost int
	for _, a := range answers {
		if a.Status == 200 {
			ok++
		} else if a.Status == 0 {
			lost++
		}
	}
	t.Logf("killed with SIGKILL after %d answers; %d checks got no answer (in flight or never sent)", ok, lost)

	// The database as the crash left it.
	st := openStore(t, db)
	sum := gatewaytest.Verify(t, st, answers, sent)
	st.Close()
	t.Logf("after the crash: %d checks recorded (%d of them unacknowledged), log size %d", sum.Checks, sum.Checks-ok, sum.LogSize)
	if sum.Checks < ok {
		t.Fatalf("%d checks recorded, fewer than the %d acknowledged", sum.Checks, ok)
	}

	// Restart: every acknowledged answer replays byte for byte.
	p2 := startServe(t, db)
	cl2 := gatewaytest.NewClient(p2.base, token, 16)
	var acks []gatewaytest.Sent
	for _, a := range answers {
		if a.Status == 200 {
			acks = append(acks, a.Sent)
		}
	}
	replays, errs := cl2.Fire(acks, 16, nil)
	first := map[string][]byte{}
	for _, a := range answers {
		first[a.Key] = a.Raw
	}
	for i, r := range replays {
		if errs[i] != nil || r.Status != 200 || !r.Replayed || !bytes.Equal(r.Raw, first[r.Key]) {
			t.Fatalf("replay of acknowledged %s after restart: status %d, replayed %v, err %v, same bytes %v",
				r.Transfer, r.Status, r.Replayed, errs[i], bytes.Equal(r.Raw, first[r.Key]))
		}
	}

	// Every unanswered check is sent again with its key; then the counts
	// are exactly those of a run without the crash.
	var again []gatewaytest.Sent
	for _, a := range answers {
		if a.Status != 200 {
			again = append(again, a.Sent)
		}
	}
	retried, errs := cl2.Fire(again, 16, nil)
	final := append([]gatewaytest.Answer{}, answers...)
	byKey := map[string]gatewaytest.Answer{}
	replayed := 0
	for i, r := range retried {
		if errs[i] != nil || r.Status != 200 {
			t.Fatalf("resend of %s: status %d, err %v: %s", r.Transfer, r.Status, errs[i], r.Raw)
		}
		if r.Replayed {
			replayed++
		}
		byKey[r.Key] = r
	}
	t.Logf("resent %d unanswered checks: %d were already committed before the kill (replayed)", len(again), replayed)
	for i, a := range final {
		if r, ok := byKey[a.Key]; ok {
			final[i] = r
		}
	}
	allowed := allowedOf(final)
	if allowed["capped"] != gatewaytest.CapChecks || allowed["crossing"] != gatewaytest.CrossChecks {
		t.Fatalf("after crash and resend allowed %v, want exactly capped %d and crossing %d", allowed, gatewaytest.CapChecks, gatewaytest.CrossChecks)
	}
	p2.stop()
	st = openStore(t, db)
	fresh := final[:0:0]
	for _, a := range final {
		if !a.Replayed {
			fresh = append(fresh, a)
		}
	}
	if sum := gatewaytest.Verify(t, st, fresh, sent); sum.Checks != len(sent) {
		t.Errorf("%d checks recorded at the end, want %d", sum.Checks, len(sent))
	}
	st.Close()
	auditVerifyCLI(t, db)
}
