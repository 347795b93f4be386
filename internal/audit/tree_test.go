package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"github.com/transparency-dev/merkle/rfc6962"
	"testing"
)

// refRoot is RFC 6962 section 2.1 written out literally, to check the
// compact-range tree against an independent computation.
func refRoot(leaves [][]byte) []byte {
	n := len(leaves)
	if n == 0 {
		h := sha256.Sum256(nil)
		return h[:]
	}
	if n == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < n {
		k *= 2
	}
	l, r := refRoot(leaves[:k]), refRoot(leaves[k:])
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

func TestTree_RootMatchesRFC6962(t *testing.T) {
	m := newMemLog(t)
	var leaves [][]byte
	if !bytes.Equal(m.tree.Root(), refRoot(nil)) {
		t.Fatal("empty root")
	}
	for n := 1; n <= 70; n++ {
		m.appendN(t, 1)
		leaves = append(leaves, m.rows[n-1].Leaf)
		if got, want := m.tree.Root(), refRoot(leaves); !bytes.Equal(got, want) {
			t.Fatalf("size %d: root %x, want %x", n, got, want)
		}
		if got := len(m.rows[n-1].Nodes) / HashSize; got != NodeCount(uint64(n-1)) {
			t.Fatalf("entry %d stores %d nodes, want %d", n-1, got, NodeCount(uint64(n-1)))
		}
	}
	// The tree state survives a store round trip.
	rng := EncodeRange(m.tree.Range())
	hs, err := DecodeRange(m.tree.Size(), rng)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTree(m.tree.Size(), hs, m.tree.LastLeaf())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tr.Root(), m.tree.Root()) {
		t.Fatal("rebuilt tree root differs")
	}
	if _, err := DecodeRange(m.tree.Size(), rng[1:]); err == nil {
		t.Fatal("short range accepted")
	}
	c := m.tree.Clone()
	c.Append(LeafHash([]byte("x")))
	if c.Size() == m.tree.Size() {
		t.Fatal("clone shares state")
	}
}

func TestProofs_VerifyAtEverySize(t *testing.T) {
	ctx := context.Background()
	m := newMemLog(t)
	var roots [][]byte
	roots = append(roots, EmptyRoot())
	for n := 1; n <= 33; n++ {
		m.appendN(t, 1)
		roots = append(roots, m.tree.Root())
	}
	for size := uint64(1); size <= 33; size++ {
		for i := uint64(0); i < size; i++ {
			p, err := InclusionProof(ctx, m, i, size)
			if err != nil {
				t.Fatalf("inclusion %d/%d: %v", i, size, err)
			}
			if err := VerifyInclusion(i, size, m.rows[i].Leaf, p, roots[size]); err != nil {
				t.Fatalf("inclusion %d/%d does not verify: %v", i, size, err)
			}
		}
		for s1 := uint64(1); s1 <= size; s1++ {
			p, err := ConsistencyProof(ctx, m, s1, size)
			if err != nil {
				t.Fatalf("consistency %d->%d: %v", s1, size, err)
			}
			if err := VerifyConsistency(s1, size, p, roots[s1], roots[size]); err != nil {
				t.Fatalf("consistency %d->%d does not verify: %v", s1, size, err)
			}
		}
	}
	if _, err := InclusionProof(ctx, m, 5, 5); err == nil {
		t.Fatal("inclusion proof for index == size")
	}
}

// mutations returns every single-step corruption of a proof.
func mutations(p [][]byte) map[string][][]byte {
	out := map[string][][]byte{}
	for k := range p {
		q := cloneProof(p)
		q[k][0] ^= 1
		out[fmt.Sprintf("flip bit of element %d", k)] = q
		q = cloneProof(p)
		q = append(q[:k], q[k+1:]...)
		out[fmt.Sprintf("drop element %d", k)] = q
		if k+1 < len(p) {
			q = cloneProof(p)
			q[k], q[k+1] = q[k+1], q[k]
			out[fmt.Sprintf("swap elements %d,%d", k, k+1)] = q
		}
	}
	out["append element"] = append(cloneProof(p), bytes.Repeat([]byte{9}, HashSize))
	out["prepend element"] = append([][]byte{bytes.Repeat([]byte{9}, HashSize)}, cloneProof(p)...)
	if len(p) > 0 {
		q := cloneProof(p)
		q[0] = q[0][:HashSize-1]
		out["truncate element"] = q
	}
	return out
}

func cloneProof(p [][]byte) [][]byte {
	q := make([][]byte, len(p))
	for i := range p {
		q[i] = bytes.Clone(p[i])
	}
	return q
}

func TestProofs_MutationsFail(t *testing.T) {
	ctx := context.Background()
	m := newMemLog(t)
	m.appendN(t, 21)
	root := m.tree.Root()
	for _, i := range []uint64{0, 7, 13, 20} {
		p, err := InclusionProof(ctx, m, i, 21)
		if err != nil {
			t.Fatal(err)
		}
		for name, q := range mutations(p) {
			if VerifyInclusion(i, 21, m.rows[i].Leaf, q, root) == nil {
				t.Errorf("inclusion of %d: %s still verifies", i, name)
			}
		}
		if VerifyInclusion(i^1, 21, m.rows[i].Leaf, p, root) == nil {
			t.Errorf("inclusion of %d verifies at index %d", i, i^1)
		}
		// (A changed size alone can still verify when the proof has the same
		// shape: the size is bound by the signed checkpoint, not the proof.)
		if VerifyInclusion(i, 40, m.rows[i].Leaf, p, root) == nil {
			t.Errorf("inclusion of %d verifies at size 40", i)
		}
		if VerifyInclusion(i, 21, m.rows[(i+1)%21].Leaf, p, root) == nil {
			t.Errorf("inclusion of %d verifies another leaf", i)
		}
	}
	// Consistency from 13 to 21.
	m13 := newMemLog(t)
	m13.rows = m.rows[:13]
	root13 := refRoot(leavesOf(m.rows[:13]))
	p, err := ConsistencyProof(ctx, m, 13, 21)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyConsistency(13, 21, p, root13, root); err != nil {
		t.Fatal(err)
	}
	for name, q := range mutations(p) {
		if VerifyConsistency(13, 21, q, root13, root) == nil {
			t.Errorf("consistency: %s still verifies", name)
		}
	}
	bad := bytes.Clone(root13)
	bad[5] ^= 0x80
	if VerifyConsistency(13, 21, p, bad, root) == nil {
		t.Error("consistency verifies a wrong old root")
	}
}

func leavesOf(rows []StoredEntry) [][]byte {
	var out [][]byte
	for _, r := range rows {
		out = append(out, r.Leaf)
	}
	return out
}

func TestFastHashesMatchRFC6962(t *testing.T) {
	lh := newLeafHasher()
	for _, d := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("ab"), 300)} {
		if !bytes.Equal(lh.sum(d), rfc6962.DefaultHasher.HashLeaf(d)) {
			t.Fatalf("leaf hash of %q differs", d)
		}
	}
	l, r := LeafHash([]byte("l")), LeafHash([]byte("r"))
	if !bytes.Equal(HashChildren(l, r), rfc6962.DefaultHasher.HashChildren(l, r)) {
		t.Fatal("HashChildren differs from RFC 6962")
	}
}

func FuzzDecodeHeader(f *testing.F) {
	good, _ := Encode(12, ZeroHash, Entry{Time: t0, Kind: "k", Actor: "a", Body: []byte(`{}`)})
	f.Add(good, true)
	f.Fuzz(func(t *testing.T, b []byte, wantTime bool) {
		idx, prev, tm, err := decodeHeader(b, wantTime)
		if err != nil {
			return
		}
		// Whatever the full decoder accepts, the header decoder reads alike.
		if d, err := Decode(b); err == nil {
			if d.Index != idx || !bytes.Equal(d.Prev, prev) || wantTime && !d.Time.Equal(tm) {
				t.Fatalf("header %d %x %v, full %d %x %v", idx, prev, tm, d.Index, d.Prev, d.Time)
			}
		}
	})
}
