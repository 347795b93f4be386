package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

var now = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func transfer(id, proc, date string, ind int64) model.Transfer {
	return model.Transfer{ID: id, Processor: proc, Date: model.MustDate(date), Assets: []string{"road-test-2026"},
		Recipient: model.Recipient{Name: "ACME GmbH", Country: "DE"}, Individuals: i64(ind), SensitiveIndividuals: i64(0),
		ExemptionFiled: model.NoDate}
}

func testMigrations(t *testing.T, h *Harness) {
	// Two instances opened at once on a fresh database: both run the
	// migration check under the global lock; neither fails.
	type opened struct {
		st  store.Store
		err error
	}
	res := make(chan opened, 2)
	for i := 0; i < 2; i++ {
		go func() {
			defer func() {
				if r := recover(); r != nil {
					res <- opened{err: fmt.Errorf("panic: %v", r)}
				}
			}()
			st, err := h.OpenStore()
			res <- opened{st, err}
		}()
	}
	var got []store.Store
	var errs []error
	for i := 0; i < 2; i++ {
		o := <-res
		if o.err != nil {
			errs = append(errs, o.err)
			continue
		}
		got = append(got, o.st)
		t.Cleanup(func() { o.st.Close() })
	}
	if len(errs) > 0 {
		t.Fatalf("opening two instances at once on a fresh database: %v", errors.Join(errs...))
	}
	a, b := got[0], got[1]
	var oa, ob string
	view(t, a, func(tx store.ReadTx) error { var err error; oa, err = tx.Origin(ctx()); return err })
	view(t, b, func(tx store.ReadTx) error { var err error; ob, err = tx.Origin(ctx()); return err })
	if oa == "" || oa != ob {
		t.Fatalf("origins %q and %q: want one origin per database", oa, ob)
	}
	// And a third open (all migrations applied) is a no-op.
	c := h.Open(t)
	view(t, c, func(tx store.ReadTx) error {
		o, err := tx.Origin(ctx())
		if o != oa {
			t.Errorf("origin changed on reopen: %q", o)
		}
		return err
	})
}

func testChecks(t *testing.T, h *Harness) {
	st := h.Open(t)
	recs := []store.CheckRecord{
		{Transfer: transfer("t-3", "acme-cn", "2026-03-05", 30), Decision: store.DecisionAllow, Counted: true, LogIndex: 0, At: now, Actor: "officer:a",
			Response: json.RawMessage(`{"decision":"allow"}`)},
		// Allowed but not counted (a claimed exemption): still a transfer that happened.
		{Transfer: transfer("t-1", "acme-cn", "2026-03-05", 10), Decision: store.DecisionAllow, Counted: false, LogIndex: 1, At: now},
		{Transfer: transfer("t-2", "acme-cn", "2026-02-01", 20), Decision: store.DecisionDeny, LogIndex: 2, At: now},
		{Transfer: transfer("t-0", "solo", "2026-01-01", 5), Decision: store.DecisionAllow, Counted: true, Backfill: true, LogIndex: 3, At: now},
	}
	update(t, st, func(tx store.Tx) error {
		for i := range recs {
			seq, err := tx.RecordCheck(ctx(), &recs[i])
			if err != nil {
				return err
			}
			if seq != int64(i+1) || recs[i].Seq != seq {
				t.Errorf("check %d got seq %d", i, seq)
			}
		}
		return nil
	})
	// Sequence numbers continue across transactions without gaps.
	update(t, st, func(tx store.Tx) error {
		r := store.CheckRecord{Transfer: transfer("t-9", "solo", "2027-01-01", 1), Decision: store.DecisionDeny, At: now}
		seq, err := tx.RecordCheck(ctx(), &r)
		if seq != 5 {
			t.Errorf("next seq %d, want 5", seq)
		}
		return err
	})
	d := func(s string) *model.Date { x := model.MustDate(s); return &x }
	view(t, st, func(tx store.ReadTx) error {
		all, err := tx.Checks(ctx(), store.CheckFilter{})
		if err != nil {
			return err
		}
		if len(all) != 5 || all[0].Transfer.ID != "t-3" || string(all[0].Response) != `{"decision":"allow"}` || all[0].Actor != "officer:a" {
			t.Errorf("all checks: %+v", all)
		}
		if !all[0].At.Equal(now) || *all[0].Transfer.Individuals != 30 || all[0].Transfer.Recipient.Country != "DE" || !all[3].Backfill {
			t.Errorf("check fields lost: %+v", all[0])
		}
		for _, c := range []struct {
			f    store.CheckFilter
			want string
		}{
			{store.CheckFilter{Processor: "solo"}, "t-0 t-9"},
			{store.CheckFilter{Decision: store.DecisionDeny}, "t-2 t-9"},
			{store.CheckFilter{From: d("2026-03-05")}, "t-3 t-1 t-9"},
			{store.CheckFilter{From: d("2026-02-01"), To: d("2026-03-04")}, "t-2"},
			{store.CheckFilter{To: d("2026-01-01")}, "t-0"},
			{store.CheckFilter{To: d("2025-12-31")}, ""},
			{store.CheckFilter{Processor: "acme-cn", Limit: 2}, "t-3 t-1"},
			{store.CheckFilter{Processor: "acme-cn", Limit: 2, Offset: 2}, "t-2"},
		} {
			got, err := tx.Checks(ctx(), c.f)
			if err != nil {
				return err
			}
			if ids := idsOf(got); ids != c.want {
				t.Errorf("filter %+v: got %q, want %q", c.f, ids, c.want)
			}
		}
		ts, err := tx.AllowedTransfers(ctx())
		if err != nil {
			return err
		}
		var ids string
		for _, x := range ts {
			ids += x.ID + " "
		}
		if ids != "t-0 t-1 t-3 " {
			t.Errorf("allowed transfers in date-then-id order: %q", ids)
		}
		return nil
	})
	err := st.Update(ctx(), func(tx store.Tx) error {
		r := store.CheckRecord{Transfer: transfer("x", "solo", "2026-01-01", 1), Decision: store.DecisionDeny, Counted: true}
		_, err := tx.RecordCheck(ctx(), &r)
		return err
	})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a counted denial: %v", err)
	}
}

func idsOf(rs []store.CheckRecord) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += " "
		}
		s += r.Transfer.ID
	}
	return s
}

func testCounters(t *testing.T, h *Harness) {
	st := h.Open(t)
	update(t, st, func(tx store.Tx) error {
		for _, d := range []struct {
			y int
			p string
			c model.Counts
		}{
			{2026, "acme-cn", model.Counts{Individuals: 99999}},
			{2026, "acme-cn", model.Counts{Individuals: 1, SensitiveIndividuals: 3}},
			{2026, "solo", model.Counts{Unknown: true}},
			{2027, "acme-cn", model.Counts{Individuals: 7}},
		} {
			if err := tx.AddTotals(ctx(), d.y, d.p, d.c); err != nil {
				return err
			}
		}
		if err := tx.AddApprovalUsage(ctx(), "sa-1", 400000); err != nil {
			return err
		}
		if err := tx.AddApprovalUsage(ctx(), "sa-1", 100000); err != nil {
			return err
		}
		// Reads inside the transaction see its own additions.
		m, err := tx.YearTotals(ctx(), 2026, "acme-cn")
		if err != nil || m["acme-cn"].Individuals != 100000 {
			t.Errorf("in-tx totals %+v %v", m, err)
		}
		return nil
	})
	view(t, st, func(tx store.ReadTx) error {
		m, err := tx.YearTotals(ctx(), 2026, "acme-cn", "solo", "nobody")
		if err != nil {
			return err
		}
		want := map[string]model.Counts{
			"acme-cn": {Individuals: 100000, SensitiveIndividuals: 3},
			"solo":    {Unknown: true},
			"nobody":  {},
		}
		for k, w := range want {
			if m[k] != w {
				t.Errorf("2026 %s: %+v, want %+v", k, m[k], w)
			}
		}
		if len(m) != 3 {
			t.Errorf("extra processors: %v", m)
		}
		m, _ = tx.YearTotals(ctx(), 2027, "acme-cn")
		if m["acme-cn"].Individuals != 7 {
			t.Errorf("2027: %+v", m)
		}
		u, err := tx.ApprovalUsage(ctx(), "sa-1", "sa-2")
		if err != nil || u["sa-1"] != 500000 || u["sa-2"] != 0 || len(u) != 2 {
			t.Errorf("usage %v %v", u, err)
		}
		return nil
	})
	err := st.Update(ctx(), func(tx store.Tx) error {
		return tx.AddTotals(ctx(), 2026, "acme-cn", model.Counts{Individuals: -1})
	})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("negative delta: %v", err)
	}
}

func testIdempotency(t *testing.T, h *Harness) {
	st := h.Open(t)
	rec := store.IdempotencyRecord{Key: "k-1", RequestHash: bytes.Repeat([]byte{1}, 32), Response: []byte(`{"decision":"deny"}`), At: now}
	update(t, st, func(tx store.Tx) error { return tx.PutIdempotency(ctx(), rec) })
	view(t, st, func(tx store.ReadTx) error {
		got, err := tx.Idempotency(ctx(), "k-1")
		if err != nil || !bytes.Equal(got.RequestHash, rec.RequestHash) || string(got.Response) != string(rec.Response) || !got.At.Equal(now) {
			t.Errorf("got %+v %v", got, err)
		}
		if _, err := tx.Idempotency(ctx(), "k-2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing key: %v", err)
		}
		return nil
	})
	err := st.Update(ctx(), func(tx store.Tx) error { return tx.PutIdempotency(ctx(), rec) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("same key twice: %v, want ErrConflict", err)
	}
	update(t, st, func(tx store.Tx) error {
		n, err := tx.PurgeIdempotency(ctx(), now)
		if n != 0 {
			t.Errorf("purged %d keys stored at the cutoff", n)
		}
		n, err2 := tx.PurgeIdempotency(ctx(), now.Add(time.Nanosecond))
		if n != 1 {
			t.Errorf("purged %d keys stored before the cutoff, want 1", n)
		}
		return errors.Join(err, err2)
	})
}

func testTokens(t *testing.T, h *Harness) {
	st := h.Open(t)
	tok, err := store.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	hash := store.TokenHash(tok)
	update(t, st, func(tx store.Tx) error {
		return tx.CreateToken(ctx(), store.TokenRecord{Hash: hash, Role: store.RoleAuditor, Name: "inspector", Created: now})
	})
	view(t, st, func(tx store.ReadTx) error {
		r, err := tx.Token(ctx(), store.TokenHash(" "+tok+"\n"))
		if err != nil || r.Role != store.RoleAuditor || r.Name != "inspector" || !r.Created.Equal(now) {
			t.Errorf("lookup: %+v %v", r, err)
		}
		if _, err := tx.Token(ctx(), store.TokenHash(tok+"x")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("wrong token: %v", err)
		}
		if n, err := tx.TokenCount(ctx()); n != 1 || err != nil {
			t.Errorf("count %d %v", n, err)
		}
		return nil
	})
	for name, rec := range map[string]store.TokenRecord{
		"bad role":  {Hash: hash, Role: "root"},
		"raw token": {Hash: []byte(tok), Role: store.RoleAdmin},
	} {
		err := st.Update(ctx(), func(tx store.Tx) error { return tx.CreateToken(ctx(), rec) })
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	err = st.Update(ctx(), func(tx store.Tx) error {
		return tx.CreateToken(ctx(), store.TokenRecord{Hash: hash, Role: store.RoleAdmin})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate token: %v", err)
	}
}

func entry(i int) audit.Entry {
	return audit.Entry{Time: now.Add(time.Duration(i) * time.Millisecond), Kind: "transfer.check", Actor: "officer:a",
		Body: json.RawMessage(fmt.Sprintf(`{"transfer":"t-%d","decision":"allow"}`, i))}
}

func testRollback(t *testing.T, h *Harness) {
	st := h.Open(t)
	boom := errors.New("boom")
	err := st.Update(ctx(), func(tx store.Tx) error {
		if _, err := tx.AppendAudit(ctx(), entry(0), entry(1)); err != nil {
			return err
		}
		r := store.CheckRecord{Transfer: transfer("t", "p", "2026-01-01", 1), Decision: store.DecisionAllow, Counted: true, At: now}
		if _, err := tx.RecordCheck(ctx(), &r); err != nil {
			return err
		}
		if err := tx.AddTotals(ctx(), 2026, "p", model.Counts{Individuals: 1}); err != nil {
			return err
		}
		if _, err := tx.PutInventory(ctx(), sampleInventory()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	view(t, st, func(tx store.ReadTx) error {
		n, _ := tx.LogSize(ctx())
		v, _ := tx.InventoryVersion(ctx())
		cs, _ := tx.Checks(ctx(), store.CheckFilter{})
		m, _ := tx.YearTotals(ctx(), 2026, "p")
		if n != 0 || v != 0 || len(cs) != 0 || m["p"].Individuals != 0 {
			t.Errorf("a failed Update left state: log %d, version %d, checks %d, totals %+v", n, v, len(cs), m)
		}
		return nil
	})
	// The next Update starts from the committed state: index 0 again.
	update(t, st, func(tx store.Tx) error {
		idx, err := tx.AppendAudit(ctx(), entry(0))
		if err == nil && idx[0] != 0 {
			t.Errorf("index after rollback %d, want 0", idx[0])
		}
		return err
	})
}

func testSavepoint(t *testing.T, h *Harness) {
	st := h.Open(t)
	boom := errors.New("boom")
	update(t, st, func(tx store.Tx) error {
		if _, err := tx.AppendAudit(ctx(), entry(0)); err != nil {
			return err
		}
		err := tx.Savepoint(ctx(), func(tx store.Tx) error {
			if _, err := tx.AppendAudit(ctx(), entry(1), entry(2)); err != nil {
				return err
			}
			if err := tx.AddTotals(ctx(), 2026, "p", model.Counts{Individuals: 50}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("Savepoint returned %v", err)
		}
		// A failing write inside a savepoint (duplicate key) is its own.
		if err := tx.PutIdempotency(ctx(), store.IdempotencyRecord{Key: "k", RequestHash: []byte{1}, At: now}); err != nil {
			return err
		}
		err = tx.Savepoint(ctx(), func(tx store.Tx) error {
			return tx.PutIdempotency(ctx(), store.IdempotencyRecord{Key: "k", RequestHash: []byte{2}, At: now})
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate key in savepoint: %v", err)
		}
		err = tx.Savepoint(ctx(), func(tx store.Tx) error {
			if err := tx.AddTotals(ctx(), 2026, "p", model.Counts{Individuals: 7}); err != nil {
				return err
			}
			idx, err := tx.AppendAudit(ctx(), entry(3))
			if err == nil && idx[0] != 1 {
				t.Errorf("index after a rolled-back savepoint %d, want 1", idx[0])
			}
			return err
		})
		return err
	})
	// Counts read in the transaction follow its writes and its rollbacks.
	update(t, st, func(tx store.Tx) error {
		before, err := tx.YearTotals(ctx(), 2026, "p")
		if err != nil {
			return err
		}
		err = tx.Savepoint(ctx(), func(tx store.Tx) error {
			if err := tx.AddTotals(ctx(), 2026, "p", model.Counts{Individuals: 50}); err != nil {
				return err
			}
			if err := tx.AddApprovalUsage(ctx(), "sa", 5); err != nil {
				return err
			}
			m, _ := tx.YearTotals(ctx(), 2026, "p")
			u, _ := tx.ApprovalUsage(ctx(), "sa")
			if m["p"].Individuals != before["p"].Individuals+50 || u["sa"] != 5 {
				t.Errorf("inside savepoint: %+v %v", m, u)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			return err
		}
		m, _ := tx.YearTotals(ctx(), 2026, "p")
		u, _ := tx.ApprovalUsage(ctx(), "sa")
		if m["p"] != before["p"] || u["sa"] != 0 {
			t.Errorf("after rollback: %+v %v, want %+v and 0", m, u, before)
		}
		return nil
	})
	// Nested: an inner failure inside an outer success keeps the outer work.
	update(t, st, func(tx store.Tx) error {
		return tx.Savepoint(ctx(), func(tx store.Tx) error {
			if err := tx.AddTotals(ctx(), 2026, "q", model.Counts{Individuals: 1}); err != nil {
				return err
			}
			err := tx.Savepoint(ctx(), func(tx store.Tx) error {
				if err := tx.AddTotals(ctx(), 2026, "q", model.Counts{Individuals: 100}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Errorf("inner savepoint: %v", err)
			}
			return tx.AddTotals(ctx(), 2026, "q", model.Counts{Individuals: 2})
		})
	})
	view(t, st, func(tx store.ReadTx) error {
		m, _ := tx.YearTotals(ctx(), 2026, "p", "q")
		n, _ := tx.LogSize(ctx())
		if m["q"].Individuals != 3 {
			t.Errorf("nested savepoints: q = %d, want 3", m["q"].Individuals)
		}
		if m["p"].Individuals != 7 || n != 2 {
			t.Errorf("after savepoints: totals %d (want 7), log %d (want 2)", m["p"].Individuals, n)
		}
		rep, err := audit.Verify(ctx(), store.AuditSource(tx), audit.Options{})
		if err != nil || !rep.OK() {
			t.Errorf("verify: %v %+v", err, rep)
		}
		return nil
	})
}
