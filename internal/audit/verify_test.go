package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func (m *memLog) archive(t testing.TB, to uint64, now time.Time) {
	t.Helper()
	var from uint64
	if len(m.archives) > 0 {
		text, _ := NoteText(m.archives[len(m.archives)-1])
		a, _ := ParseArchiveRecord(text)
		from = a.To
	}
	tr := EmptyTree()
	for _, r := range m.rows[:to] {
		tr.Append(r.Leaf)
	}
	rec := ArchiveRecord{Origin: m.origin, From: from, To: to, Time: now, Before: RetentionCutoff(now), Range: tr.Range(), Root: tr.Root()}
	n, err := m.signer.Sign(rec.Body())
	if err != nil {
		t.Fatal(err)
	}
	m.archives = append(m.archives, n)
	for i := from; i < to; i++ {
		m.rows[i].Data = nil
	}
}

func TestVerify_CleanLog(t *testing.T) {
	m := newMemLog(t)
	m.appendN(t, 5)
	m.checkpoint(t)
	m.appendN(t, 8)
	m.checkpoint(t)
	m.appendN(t, 2)
	rep := verifyMem(t, m)
	if !rep.OK() || rep.FirstBad != -1 {
		t.Fatalf("clean log fails: %+v", rep.Problems)
	}
	if rep.Size != 15 || rep.Checkpoints != 2 || rep.LatestCheckpoint != 13 || rep.Unsigned != 2 || len(rep.Keys) != 1 {
		t.Fatalf("report %+v", rep)
	}
}

func TestVerify_EmptyLog(t *testing.T) {
	m := newMemLog(t)
	rep := verifyMem(t, m)
	if !rep.OK() || rep.Size != 0 {
		t.Fatalf("%+v", rep)
	}
}

// locate returns the offset of a byte inside a named part of entry bytes.
func locate(data []byte, part string) int {
	s := string(data)
	switch part {
	case "index":
		return strings.Index(s, "index ") + 6
	case "kind":
		return strings.Index(s, "kind ") + 5
	case "prev":
		return strings.Index(s, "prev ") + 10
	case "body":
		return strings.Index(s, "individuals") + 2
	case "last":
		return len(s) - 2
	}
	panic(part)
}

// TestVerify_TamperNamesEntry changes one byte of entry k, in every part of
// the entry, with and without the attacker also rewriting the stored leaf
// hash, and expects verification to name exactly entry k.
func TestVerify_TamperNamesEntry(t *testing.T) {
	const n = 13
	for k := 0; k < n; k++ {
		for _, part := range []string{"index", "kind", "prev", "body", "last"} {
			for _, rewriteLeaf := range []bool{false, true} {
				name := fmt.Sprintf("entry %d %s rewriteLeaf=%v", k, part, rewriteLeaf)
				m := newMemLog(t)
				m.appendN(t, 8)
				m.checkpoint(t)
				m.appendN(t, n-8)
				m.checkpoint(t)
				r := &m.rows[k]
				r.Data = bytes.Clone(r.Data)
				off := locate(r.Data, part)
				r.Data[off] ^= 0x01
				if rewriteLeaf {
					r.Leaf = LeafHash(r.Data)
				}
				rep := verifyMem(t, m)
				if rep.OK() || rep.FirstBad != int64(k) {
					t.Errorf("%s: first bad %d, want %d; problems %v", name, rep.FirstBad, k, rep.Problems)
				}
			}
		}
	}
}

func TestVerify_TamperWithoutCheckpoints(t *testing.T) {
	// Even with no checkpoint at all, the chain and stored hashes name k.
	for k := 0; k < 9; k++ {
		m := newMemLog(t)
		m.appendN(t, 9)
		r := &m.rows[k]
		r.Data = bytes.Clone(r.Data)
		r.Data[locate(r.Data, "body")] ^= 0x04
		r.Leaf = LeafHash(r.Data)
		rep := verifyMem(t, m)
		if k < 8 && rep.FirstBad != int64(k) {
			t.Errorf("entry %d: first bad %d; %v", k, rep.FirstBad, rep.Problems)
		}
		if k == 8 && rep.OK() && rep.Unsigned != 9 {
			// The newest unsigned entry with a rewritten leaf hash and no
			// node above it is undetectable without a checkpoint; the report
			// says how many entries are unsigned.
			t.Errorf("unsigned count %d", rep.Unsigned)
		}
	}
}

func TestVerify_StoredNodesTampered(t *testing.T) {
	m := newMemLog(t)
	m.appendN(t, 8)
	m.checkpoint(t)
	m.rows[5].Nodes = bytes.Clone(m.rows[5].Nodes)
	m.rows[5].Nodes[3] ^= 1
	rep := verifyMem(t, m)
	if rep.FirstBad != 5 {
		t.Fatalf("first bad %d: %v", rep.FirstBad, rep.Problems)
	}
}

func TestVerify_TruncatedAndMissing(t *testing.T) {
	m := newMemLog(t)
	m.appendN(t, 10)
	m.checkpoint(t)
	m.rows = m.rows[:7]
	rep := verifyMem(t, m)
	if rep.FirstBad != 7 || !strings.Contains(rep.Problems[0].Text, "removed") {
		t.Fatalf("truncation: %d %v", rep.FirstBad, rep.Problems)
	}

	m = newMemLog(t)
	m.appendN(t, 10)
	m.rows = append(m.rows[:4], m.rows[5:]...)
	rep = verifyMem(t, m)
	if rep.FirstBad != 4 || !strings.Contains(rep.Problems[0].Text, "missing") {
		t.Fatalf("gap: %d %v", rep.FirstBad, rep.Problems)
	}
}

func TestVerify_CheckpointProblems(t *testing.T) {
	m := newMemLog(t)
	m.appendN(t, 4)
	sc := m.checkpoint(t)
	// A checkpoint signed by an unknown key.
	other := newMemLog(t)
	bad, _ := other.signer.SignCheckpoint(sc.Checkpoint)
	m.cps = append(m.cps, bad.Note)
	rep := verifyMem(t, m)
	if rep.OK() || rep.FirstBad != -1 || !strings.Contains(rep.Problems[0].Text, "checkpoint at size 4") {
		t.Fatalf("unknown key: %+v", rep.Problems)
	}
	// A forged note body with a valid-looking signature line.
	m.cps = m.cps[:1]
	forged := bytes.Replace(sc.Note, []byte("\n4\n"), []byte("\n3\n"), 1)
	m.cps = append(m.cps, forged)
	if rep = verifyMem(t, m); rep.OK() {
		t.Fatal("forged checkpoint accepted")
	}
	// Two valid checkpoints at one size with different roots: a split view.
	m.cps = m.cps[:1]
	c := sc.Checkpoint
	c.Root = bytes.Repeat([]byte{1}, HashSize)
	split, _ := m.signer.SignCheckpoint(c)
	m.cps = append(m.cps, split.Note)
	if rep = verifyMem(t, m); rep.OK() || !strings.Contains(fmt.Sprint(rep.Problems), "split view") {
		t.Fatalf("split view: %+v", rep.Problems)
	}
	// Trusted keys replace the source's keys.
	m.cps = m.cps[:1]
	rep, err := Verify(context.Background(), m, Options{TrustedKeys: []string{other.signer.VerifierKey()}})
	if err != nil || rep.OK() {
		t.Fatalf("untrusted signer accepted: %v %+v", err, rep)
	}
}

func TestVerify_Archive(t *testing.T) {
	m := newMemLog(t)
	m.appendN(t, 10)
	m.checkpoint(t)
	now := t0.AddDate(3, 0, 1) // every entry is older than 3 years
	m.archive(t, 6, now)
	m.appendN(t, 3)
	m.checkpoint(t)
	rep := verifyMem(t, m)
	if !rep.OK() || rep.Archived != 6 || rep.ArchiveRecords != 1 {
		t.Fatalf("archived log: %+v", rep)
	}
	// Tampering after the cut is still named.
	r := &m.rows[7]
	r.Data = bytes.Clone(r.Data)
	r.Data[locate(r.Data, "body")] ^= 1
	r.Leaf = LeafHash(r.Data)
	if rep = verifyMem(t, m); rep.FirstBad != 7 {
		t.Fatalf("after archive: %d %v", rep.FirstBad, rep.Problems)
	}
}

func TestVerify_ArchiveProblems(t *testing.T) {
	// Content removed without a record.
	m := newMemLog(t)
	m.appendN(t, 6)
	m.rows[2].Data = nil
	if rep := verifyMem(t, m); rep.FirstBad != 2 {
		t.Fatalf("unrecorded removal: %d %v", rep.FirstBad, rep.Problems)
	}
	// Archived inside the retention period.
	m = newMemLog(t)
	m.appendN(t, 6)
	m.archive(t, 3, t0.AddDate(2, 11, 0))
	if rep := verifyMem(t, m); rep.FirstBad != 0 || !strings.Contains(rep.Problems[0].Text, "retention") {
		t.Fatalf("early archive: %d %v", rep.FirstBad, rep.Problems)
	}
	// An archived leaf hash changed: the signed record catches it.
	m = newMemLog(t)
	m.appendN(t, 6)
	m.archive(t, 4, t0.AddDate(4, 0, 0))
	m.rows[1].Leaf = bytes.Repeat([]byte{3}, HashSize)
	if rep := verifyMem(t, m); rep.OK() || rep.FirstBad > 1 {
		t.Fatalf("archived leaf changed: %d %v", rep.FirstBad, rep.Problems)
	}
}

func TestRetention_Boundary(t *testing.T) {
	now := time.Date(2029, 3, 1, 12, 0, 0, 0, time.UTC)
	cut := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{cut.Add(-time.Nanosecond), true},
		{cut, false},
		{cut.Add(time.Nanosecond), false},
		{cut.AddDate(0, 0, 1), false},
		{cut.AddDate(0, 0, -1), true},
	} {
		if got := Archivable(c.at, now); got != c.want {
			t.Errorf("Archivable(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestBundle_RoundTripAndTamper(t *testing.T) {
	m := newMemLog(t)
	m.appendN(t, 20)
	m.checkpoint(t)
	m.archive(t, 5, t0.AddDate(3, 1, 0))
	b := bundleOf(t, m)
	rep, err := Verify(context.Background(), bundleSource(b), Options{})
	if err != nil || !rep.OK() || rep.Size != 20 || rep.Archived != 5 {
		t.Fatalf("bundle: %v %+v", err, rep)
	}
	// Tamper entry 12 before export: the bundle verification names it.
	m.rows[12].Data = bytes.Clone(m.rows[12].Data)
	m.rows[12].Data[locate(m.rows[12].Data, "body")] ^= 2
	rep, err = Verify(context.Background(), bundleSource(bundleOf(t, m)), Options{})
	if err != nil || rep.FirstBad != 12 {
		t.Fatalf("tampered bundle: %v %d %v", err, rep.FirstBad, rep.Problems)
	}
}

func TestBundle_Malformed(t *testing.T) {
	m := newMemLog(t)
	m.appendN(t, 3)
	b := bundleOf(t, m)
	for name, bad := range map[string][]byte{
		"not gzip":  []byte("hello"),
		"truncated": b[:len(b)-12],
	} {
		_, err := Verify(context.Background(), bundleSource(bad), Options{})
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if name == "not gzip" && !errors.Is(err, ErrBadBundle) {
			t.Errorf("%s: %v is not ErrBadBundle", name, err)
		}
	}
}

// TestVerify_BatchedPath covers logs past one batch of 1024, where workers
// hash whole subtrees and the fold merges their roots.
func TestVerify_BatchedPath(t *testing.T) {
	build := func() *memLog {
		m := newMemLog(t)
		m.appendN(t, 1024)
		m.checkpoint(t)
		m.appendN(t, 1024)
		m.checkpoint(t)
		m.appendN(t, 52)
		m.checkpoint(t)
		return m
	}
	m := build()
	rep := verifyMem(t, m)
	if !rep.OK() || rep.Size != 2100 || rep.Root != fmt.Sprintf("%x", m.tree.Root()) {
		t.Fatalf("clean: %+v", rep)
	}
	for _, k := range []int{0, 500, 1022, 1023, 1024, 2047, 2048, 2099} {
		for _, part := range []string{"body", "prev"} {
			m := build()
			r := &m.rows[k]
			r.Data = bytes.Clone(r.Data)
			r.Data[locate(r.Data, part)] ^= 1
			r.Leaf = LeafHash(r.Data)
			if rep := verifyMem(t, m); rep.FirstBad != int64(k) {
				t.Errorf("entry %d %s: first bad %d %v", k, part, rep.FirstBad, rep.Problems)
			}
		}
	}
	// A stored node above the batch (level 11, kept with entry 2047).
	m = build()
	m.rows[2047].Nodes = bytes.Clone(m.rows[2047].Nodes)
	m.rows[2047].Nodes[10*HashSize+3] ^= 1
	if rep := verifyMem(t, m); rep.FirstBad != 2047 {
		t.Errorf("level-11 node: first bad %d %v", rep.FirstBad, rep.Problems)
	}
	// A checkpoint inside a batch takes the entry-by-entry path and still checks.
	m = build()
	m.appendN(t, 10)
	sc := m.checkpoint(t)
	m.appendN(t, 5)
	if rep := verifyMem(t, m); !rep.OK() || rep.LatestCheckpoint != sc.Size {
		t.Errorf("inner checkpoint: %+v", rep)
	}
}

func TestVerify_ManyCheckpoints(t *testing.T) {
	m := newMemLog(t)
	for i := 0; i < 600; i++ {
		m.appendN(t, 1)
		m.checkpoint(t)
	}
	if rep := verifyMem(t, m); !rep.OK() || rep.Checkpoints != 600 {
		t.Fatalf("%+v", rep)
	}
	m.cps[450] = bytes.Replace(m.cps[450], []byte("\n451\n"), []byte("\n452\n"), 1)
	rep := verifyMem(t, m)
	if rep.OK() || !strings.Contains(rep.Problems[0].Text, "checkpoint") {
		t.Fatalf("forged checkpoint among many: %+v", rep.Problems)
	}
}
