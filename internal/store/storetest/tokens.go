package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/store"
)

// testTokenRevocation: a revoked token keeps its row (with the time of
// revocation), is still found by Token and listed by ListTokens, still
// counts in TokenCount (serve must not bootstrap a new admin on a database
// whose tokens were all revoked), cannot be revoked twice, and a revocation
// in a transaction that fails leaves the token live.
func testTokenRevocation(t *testing.T, h *Harness) {
	st := h.Open(t)
	type made struct {
		tok  string
		hash []byte
		rec  store.TokenRecord
	}
	var toks []made
	for i, m := range []struct{ role, name string }{
		{store.RoleAdmin, "ops"},
		{store.RoleEngineer, "pipeline"},
		{store.RoleEngineer, "pipeline"}, // names need not be unique
	} {
		tok, err := store.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		rec := store.TokenRecord{Hash: store.TokenHash(tok), Role: m.role, Name: m.name, Created: now.Add(time.Duration(i) * time.Second)}
		toks = append(toks, made{tok, rec.Hash, rec})
	}
	update(t, st, func(tx store.Tx) error {
		// Created out of order: the list is by creation time.
		for _, i := range []int{2, 0, 1} {
			if err := tx.CreateToken(ctx(), toks[i].rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err := st.Update(ctx(), func(tx store.Tx) error {
		rec := store.TokenRecord{Hash: store.TokenHash("xbt_another"), Role: store.RoleAdmin, Created: now, Revoked: now}
		return tx.CreateToken(ctx(), rec)
	}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("creating a token already revoked: %v, want ErrInvalid", err)
	}
	view(t, st, func(tx store.ReadTx) error {
		list, err := tx.ListTokens(ctx())
		if err != nil {
			return err
		}
		if len(list) != 3 {
			t.Fatalf("ListTokens: %d tokens, want 3", len(list))
		}
		for i, r := range list {
			w := toks[i].rec
			if string(r.Hash) != string(w.Hash) || r.Role != w.Role || r.Name != w.Name || !r.Created.Equal(w.Created) || !r.Live() {
				t.Errorf("ListTokens[%d] = %+v, want %+v (live)", i, r, w)
			}
		}
		return nil
	})

	// A revocation that does not commit changes nothing.
	boom := errors.New("boom")
	err := st.Update(ctx(), func(tx store.Tx) error {
		if err := tx.RevokeToken(ctx(), toks[1].hash, now.Add(time.Hour)); err != nil {
			return err
		}
		r, err := tx.Token(ctx(), toks[1].hash)
		if err != nil || r.Live() {
			t.Errorf("inside the transaction the revocation is not seen: %+v %v", r, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want boom", err)
	}
	view(t, st, func(tx store.ReadTx) error {
		if r, err := tx.Token(ctx(), toks[1].hash); err != nil || !r.Live() {
			t.Errorf("after a rolled-back revocation: %+v %v, want live", r, err)
		}
		return nil
	})

	revokedAt := now.Add(2 * time.Hour)
	update(t, st, func(tx store.Tx) error { return tx.RevokeToken(ctx(), toks[1].hash, revokedAt) })
	// Another instance (another process) sees it.
	other := h.Open(t)
	view(t, other, func(tx store.ReadTx) error {
		r, err := tx.Token(ctx(), store.TokenHash(toks[1].tok))
		if err != nil {
			t.Fatalf("a revoked token must keep its row: %v", err)
		}
		if r.Live() || !r.Revoked.Equal(revokedAt) || r.Role != store.RoleEngineer || r.Name != "pipeline" {
			t.Errorf("revoked token read back as %+v, want revoked at %s", r, revokedAt)
		}
		if r, err := tx.Token(ctx(), toks[2].hash); err != nil || !r.Live() {
			t.Errorf("the other token of the same name: %+v %v, want live", r, err)
		}
		list, err := tx.ListTokens(ctx())
		if err != nil {
			return err
		}
		if len(list) != 3 || list[1].Live() || !list[1].Revoked.Equal(revokedAt) || !list[0].Live() || !list[2].Live() {
			t.Errorf("ListTokens after revoking the second: %+v", list)
		}
		if n, err := tx.TokenCount(ctx()); n != 3 || err != nil {
			t.Errorf("TokenCount %d %v: revoked tokens count (no bootstrap after revoking everything), want 3", n, err)
		}
		return nil
	})

	// Twice: ErrConflict, and the first time stays.
	err = other.Update(ctx(), func(tx store.Tx) error { return tx.RevokeToken(ctx(), toks[1].hash, now.Add(3*time.Hour)) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("revoking twice: %v, want ErrConflict", err)
	}
	view(t, st, func(tx store.ReadTx) error {
		if r, _ := tx.Token(ctx(), toks[1].hash); !r.Revoked.Equal(revokedAt) {
			t.Errorf("second revocation changed the time to %s", r.Revoked)
		}
		return nil
	})
	// Unknown and malformed hashes.
	err = st.Update(ctx(), func(tx store.Tx) error { return tx.RevokeToken(ctx(), store.TokenHash("xbt_nobody"), now) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking an unknown token: %v, want ErrNotFound", err)
	}
	err = st.Update(ctx(), func(tx store.Tx) error { return tx.RevokeToken(ctx(), toks[0].hash[:4], now) })
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("revoking by a 4-byte hash: %v, want ErrInvalid", err)
	}

	// All revoked: still counted.
	update(t, st, func(tx store.Tx) error {
		if err := tx.RevokeToken(ctx(), toks[0].hash, revokedAt); err != nil {
			return err
		}
		return tx.RevokeToken(ctx(), toks[2].hash, revokedAt)
	})
	view(t, st, func(tx store.ReadTx) error {
		if n, err := tx.TokenCount(ctx()); n != 3 || err != nil {
			t.Errorf("TokenCount with every token revoked: %d %v, want 3", n, err)
		}
		list, err := tx.ListTokens(ctx())
		if err != nil {
			return err
		}
		for _, r := range list {
			if r.Live() {
				t.Errorf("%s still live", r.Prefix())
			}
		}
		return nil
	})
}
