package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/store"
)

func appendN(t *testing.T, st store.Store, from, n int) {
	t.Helper()
	update(t, st, func(tx store.Tx) error {
		for i := from; i < from+n; i++ {
			idx, err := tx.AppendAudit(ctx(), entry(i))
			if err != nil {
				return err
			}
			if idx[0] != uint64(i) {
				t.Errorf("entry %d got index %d", i, idx[0])
			}
		}
		return nil
	})
}

func checkpoint(t *testing.T, st store.Store) audit.SignedCheckpoint {
	t.Helper()
	var sc audit.SignedCheckpoint
	update(t, st, func(tx store.Tx) error {
		s, err := tx.SigningKey(ctx(), now)
		if err != nil {
			return err
		}
		sc, err = tx.SignCheckpoint(ctx(), s, now)
		return err
	})
	return sc
}

func verify(t *testing.T, st store.Store) *audit.Report {
	t.Helper()
	var rep *audit.Report
	view(t, st, func(tx store.ReadTx) error {
		var err error
		rep, err = audit.Verify(ctx(), store.AuditSource(tx), audit.Options{})
		return err
	})
	return rep
}

func testAudit(t *testing.T, h *Harness) {
	st := h.Open(t)
	appendN(t, st, 0, 7)
	cp7 := checkpoint(t, st)
	appendN(t, st, 7, 13)
	cp20 := checkpoint(t, st)
	if cp7.Size != 7 || cp20.Size != 20 {
		t.Fatalf("checkpoint sizes %d %d", cp7.Size, cp20.Size)
	}
	// Signing again at the same size returns the stored checkpoint.
	if again := checkpoint(t, st); !bytes.Equal(again.Note, cp20.Note) {
		t.Errorf("second checkpoint at one size differs")
	}
	view(t, st, func(tx store.ReadTx) error {
		keys, err := tx.VerifierKeys(ctx())
		if err != nil {
			return err
		}
		vs, err := audit.NewVerifiers(keys...)
		if err != nil {
			return err
		}
		for _, cp := range []audit.SignedCheckpoint{cp7, cp20} {
			got, err := vs.OpenCheckpoint(cp.Note)
			if err != nil || !bytes.Equal(got.Root, cp.Root) {
				t.Errorf("checkpoint %d does not open: %v", cp.Size, err)
			}
		}
		latest, err := tx.LatestCheckpoint(ctx())
		if err != nil || latest.Size != 20 || len(latest.KeyIDs) != 1 {
			t.Errorf("latest %+v %v", latest, err)
		}
		var leaves [][]byte
		err = tx.Entries(ctx(), 0, 100, func(e audit.StoredEntry) error {
			if e.Index != uint64(len(leaves)) {
				t.Errorf("entry %d out of order", e.Index)
			}
			d, err := audit.DecodeStrict(e.Data)
			if err != nil {
				return err
			}
			if want := fmt.Sprintf(`{"transfer":"t-%d","decision":"allow"}`, e.Index); string(d.Body) != want {
				t.Errorf("entry %d body %s", e.Index, d.Body)
			}
			leaves = append(leaves, e.Leaf)
			return nil
		})
		if err != nil || len(leaves) != 20 {
			return fmt.Errorf("entries: %d %v", len(leaves), err)
		}
		for _, size := range []uint64{7, 20} {
			root := cp7.Root
			if size == 20 {
				root = cp20.Root
			}
			for i := uint64(0); i < size; i++ {
				p, err := tx.InclusionProof(ctx(), i, size)
				if err != nil {
					return err
				}
				if err := audit.VerifyInclusion(i, size, leaves[i], p, root); err != nil {
					t.Errorf("inclusion %d@%d: %v", i, size, err)
				}
			}
		}
		p, err := tx.ConsistencyProof(ctx(), 7, 20)
		if err != nil {
			return err
		}
		if err := audit.VerifyConsistency(7, 20, p, cp7.Root, cp20.Root); err != nil {
			t.Errorf("consistency: %v", err)
		}
		// Proofs are pinned to signed sizes.
		if _, err := tx.InclusionProof(ctx(), 3, 12); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("inclusion at an unsigned size: %v", err)
		}
		if _, err := tx.ConsistencyProof(ctx(), 5, 20); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("consistency from an unsigned size: %v", err)
		}
		if _, err := tx.InclusionProof(ctx(), 20, 20); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("inclusion of index == size: %v", err)
		}
		return nil
	})
	rep := verify(t, st)
	if !rep.OK() || rep.Size != 20 || rep.Checkpoints != 2 || rep.LatestCheckpoint != 20 {
		t.Fatalf("verify: %+v", rep)
	}
	// Entries refuse tokens.
	err := st.Update(ctx(), func(tx store.Tx) error {
		e := entry(99)
		e.Body = []byte(`{"token":"xbt_secret"}`)
		_, err := tx.AppendAudit(ctx(), e)
		return err
	})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("token in body: %v", err)
	}
}

func testAuditClamp(t *testing.T, h *Harness) {
	st := h.Open(t)
	update(t, st, func(tx store.Tx) error {
		late := entry(0)
		early := entry(1)
		early.Time = late.Time.Add(-time.Hour)
		_, err := tx.AppendAudit(ctx(), late, early)
		return err
	})
	view(t, st, func(tx store.ReadTx) error {
		var times []time.Time
		err := tx.Entries(ctx(), 0, 2, func(e audit.StoredEntry) error {
			d, err := audit.Decode(e.Data)
			times = append(times, d.Time)
			if d.Time.UnixNano() != e.Time {
				t.Errorf("time column differs from entry time")
			}
			return err
		})
		if len(times) != 2 || times[1].Before(times[0]) {
			t.Errorf("log times went backwards: %v", times)
		}
		return err
	})
}

func testGuards(t *testing.T, h *Harness) {
	st := h.Open(t)
	appendN(t, st, 0, 3)
	checkpoint(t, st)
	p := h.Placeholder
	for _, q := range []string{
		"UPDATE audit_entries SET data = " + p(1) + " WHERE idx = 1",
		"UPDATE audit_entries SET data = NULL WHERE idx = 1",
		"DELETE FROM audit_entries WHERE idx = 2",
		"UPDATE audit_checkpoints SET note = 'x'",
		"DELETE FROM audit_checkpoints",
		"DELETE FROM audit_keys",
	} {
		var err error
		if strings.Contains(q, p(1)) {
			err = h.Exec(t, q, []byte("forged"))
		} else {
			err = h.Exec(t, q)
		}
		if err == nil || !strings.Contains(err.Error(), "xborder:") {
			t.Errorf("%s: got %v, want the append-only guard to refuse", q, err)
		}
	}
	if rep := verify(t, st); !rep.OK() {
		t.Errorf("log damaged by refused statements: %+v", rep.Problems)
	}
}

// testTamper is the attack the log exists for: someone with SQL access
// changes one stored byte of entry k (dropping the guards first), possibly
// also rewriting its stored leaf hash. Verification must name entry k.
func testTamper(t *testing.T, h *Harness) {
	st := h.Open(t)
	appendN(t, st, 0, 9)
	checkpoint(t, st)
	appendN(t, st, 9, 4)
	checkpoint(t, st)
	if err := h.Exec(t, h.DropGuards); err != nil {
		t.Fatalf("drop guards: %v", err)
	}
	type row struct{ data, leaf []byte }
	orig := map[int]row{}
	view(t, st, func(tx store.ReadTx) error {
		return tx.Entries(ctx(), 0, 13, func(e audit.StoredEntry) error {
			orig[int(e.Index)] = row{e.Data, e.Leaf}
			return nil
		})
	})
	p := h.Placeholder
	for _, k := range []int{0, 4, 8, 9, 12} {
		for _, rewriteLeaf := range []bool{false, true} {
			data := bytes.Clone(orig[k].data)
			off := bytes.Index(data, []byte("decision")) // one byte of the body
			data[off] ^= 0x20
			if err := h.Exec(t, "UPDATE audit_entries SET data = "+p(1)+" WHERE idx = "+p(2), data, int64(k)); err != nil {
				t.Fatal(err)
			}
			if rewriteLeaf {
				if err := h.Exec(t, "UPDATE audit_entries SET leaf = "+p(1)+" WHERE idx = "+p(2), audit.LeafHash(data), int64(k)); err != nil {
					t.Fatal(err)
				}
			}
			rep := verify(t, st)
			if rep.OK() || rep.FirstBad != int64(k) {
				t.Errorf("entry %d changed (leaf rewritten: %v): first bad %d, problems %v", k, rewriteLeaf, rep.FirstBad, rep.Problems)
			}
			// Put it back; the log verifies again.
			if err := h.Exec(t, "UPDATE audit_entries SET data = "+p(1)+", leaf = "+p(2)+" WHERE idx = "+p(3), orig[k].data, orig[k].leaf, int64(k)); err != nil {
				t.Fatal(err)
			}
			if rep := verify(t, st); !rep.OK() {
				t.Fatalf("restored log fails: %v", rep.Problems)
			}
		}
	}
	// Deleting the newest entries is caught by the signed checkpoint.
	if err := h.Exec(t, "DELETE FROM audit_entries WHERE idx >= 11"); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, st); rep.FirstBad != 11 {
		t.Errorf("truncated log: first bad %d, problems %v", rep.FirstBad, rep.Problems)
	}
}

func testArchive(t *testing.T, h *Harness) {
	st := h.Open(t)
	old := now.AddDate(-4, 0, 0)
	const nOld, n = 550, 3 * store.ArchiveGranularity // entries 550.. are young
	update(t, st, func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			e := entry(i)
			if i < nOld {
				e.Time = old.Add(time.Duration(i) * time.Second)
			}
			if _, err := tx.AppendAudit(ctx(), e); err != nil {
				return err
			}
		}
		return nil
	})
	checkpoint(t, st)
	var signer *audit.Signer
	update(t, st, func(tx store.Tx) error { var err error; signer, err = tx.SigningKey(ctx(), now); return err })
	// Young entries cannot be archived, through the store...
	err := st.Update(ctx(), func(tx store.Tx) error { _, err := tx.ArchiveAudit(ctx(), signer, n, now); return err })
	if !errors.Is(err, store.ErrRetention) || !strings.Contains(err.Error(), fmt.Sprintf("entry %d", nOld)) {
		t.Fatalf("archiving young entries: %v", err)
	}
	// ... nor by clearing them directly.
	if err := h.Exec(t, "UPDATE audit_tiles SET data = NULL WHERE tile = 2"); err == nil {
		t.Fatal("the guard let a young tile be cleared")
	}
	var rec audit.ArchiveRecord
	update(t, st, func(tx store.Tx) error {
		var err error
		rec, err = tx.ArchiveAudit(ctx(), signer, nOld, now) // rounded down to a whole tile
		return err
	})
	if rec.From != 0 || rec.To != 2*store.ArchiveGranularity || rec.Count() != 2*store.ArchiveGranularity {
		t.Fatalf("archive record %+v", rec)
	}
	err = st.Update(ctx(), func(tx store.Tx) error { _, err := tx.ArchiveAudit(ctx(), signer, nOld, now); return err })
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("archiving nothing: %v", err)
	}
	view(t, st, func(tx store.ReadTx) error {
		var cleared int
		err := tx.Entries(ctx(), 0, n, func(e audit.StoredEntry) error {
			if e.Data == nil {
				cleared++
			}
			return nil
		})
		if cleared != int(rec.To) {
			t.Errorf("%d entries cleared, want %d", cleared, rec.To)
		}
		recs, _ := tx.ArchiveRecords(ctx())
		if len(recs) != 1 {
			t.Errorf("%d archive records", len(recs))
		}
		// Proofs still work: hashes are kept.
		cp, _ := tx.LatestCheckpoint(ctx())
		var leaf []byte
		tx.Entries(ctx(), 2, 3, func(e audit.StoredEntry) error { leaf = e.Leaf; return nil })
		p, err2 := tx.InclusionProof(ctx(), 2, cp.Size)
		if err2 != nil || audit.VerifyInclusion(2, cp.Size, leaf, p, cp.Root) != nil {
			t.Errorf("proof of an archived entry: %v", err2)
		}
		return err
	})
	appendN(t, st, n, 2)
	checkpoint(t, st)
	rep := verify(t, st)
	if !rep.OK() || rep.Archived != rec.To || rep.ArchiveRecords != 1 || rep.Size != n+2 {
		t.Fatalf("verify after archive: %+v", rep)
	}
	// Deleting an archived tile is still refused.
	if err := h.Exec(t, "DELETE FROM audit_tiles WHERE tile = 0"); err == nil {
		t.Fatal("deleting an archived tile was allowed")
	}
}

// testTamperTile changes a byte of an entry packed in a sealed tile.
func testTamperTile(t *testing.T, h *Harness) {
	st := h.Open(t)
	appendN(t, st, 0, store.ArchiveGranularity+44)
	checkpoint(t, st)
	if err := h.Exec(t, "DROP TRIGGER audit_tiles_guard"+h.OnTable("audit_tiles")); err != nil {
		t.Fatal(err)
	}
	p := h.Placeholder
	data, err := h.QueryBytes(t, "SELECT data FROM audit_tiles WHERE tile = 0")
	if err != nil {
		t.Fatal(err)
	}
	off := bytes.Index(data, []byte(`"t-100"`))
	data[off+3] ^= 0x01
	if err := h.Exec(t, "UPDATE audit_tiles SET data = "+p(1)+" WHERE tile = 0", data); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, st); rep.FirstBad != 100 {
		t.Fatalf("byte of entry 100 changed inside a tile: first bad %d, %v", rep.FirstBad, rep.Problems)
	}
}

func testKeys(t *testing.T, h *Harness) {
	st := h.Open(t)
	var k1, k2, k3 string
	update(t, st, func(tx store.Tx) error {
		s, err := tx.SigningKey(ctx(), now)
		if err != nil {
			return err
		}
		k1 = s.KeyID()
		s, err = tx.SigningKey(ctx(), now)
		k2 = s.KeyID()
		return err
	})
	if k1 != k2 {
		t.Fatalf("SigningKey made a second key: %s %s", k1, k2)
	}
	appendN(t, st, 0, 3)
	checkpoint(t, st)
	update(t, st, func(tx store.Tx) error {
		s, err := tx.RotateSigningKey(ctx(), now.Add(time.Second))
		if err != nil {
			return err
		}
		k3 = s.KeyID()
		if s2, err := tx.SigningKey(ctx(), now); err != nil || s2.KeyID() != k3 {
			t.Errorf("active key after rotation %v %v", s2, err)
		}
		return nil
	})
	if k3 == k1 {
		t.Fatal("rotation kept the key")
	}
	// An external key (--signing-key FILE) is registered for verification.
	skey, _, _ := audit.GenerateKey("external.example")
	ext, _ := audit.NewSigner(skey)
	appendN(t, st, 3, 2)
	update(t, st, func(tx store.Tx) error { _, err := tx.SignCheckpoint(ctx(), ext, now); return err })
	appendN(t, st, 5, 1)
	checkpoint(t, st)
	rep := verify(t, st)
	if !rep.OK() || len(rep.Keys) != 3 || rep.Checkpoints != 3 {
		t.Fatalf("after rotation: %+v", rep)
	}
}

func testReopen(t *testing.T, h *Harness) {
	st := h.Open(t)
	appendN(t, st, 0, 5)
	update(t, st, func(tx store.Tx) error { _, err := tx.PutInventory(ctx(), sampleInventory()); return err })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx(), func(store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Update after Close: %v", err)
	}
	st2 := h.Open(t)
	view(t, st2, func(tx store.ReadTx) error {
		n, _ := tx.LogSize(ctx())
		v, _ := tx.InventoryVersion(ctx())
		if n != 5 || v != 1 {
			t.Errorf("after reopen: log %d, version %d", n, v)
		}
		return nil
	})
	appendN(t, st2, 5, 1)
	if rep := verify(t, st2); !rep.OK() {
		t.Errorf("%+v", rep.Problems)
	}
}
