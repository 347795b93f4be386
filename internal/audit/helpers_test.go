package audit

import (
	"bytes"
	"context"
	"fmt"
	"github.com/transparency-dev/merkle/compact"
	"io"
	"testing"
	"time"
)

// memLog is an in-memory Source used by the tests; it appends exactly like
// the store does.
type memLog struct {
	origin   string
	signer   *Signer
	tree     *Tree
	rows     []StoredEntry
	cps      [][]byte
	archives [][]byte
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 123456789, time.UTC)

func newMemLog(t testing.TB) *memLog {
	t.Helper()
	skey, _, err := GenerateKey("xborder.test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &memLog{origin: "xborder.test/log", signer: s, tree: EmptyTree()}
}

func (m *memLog) append(t testing.TB, e Entry) uint64 {
	t.Helper()
	i := m.tree.Size()
	data, err := Encode(i, m.tree.LastLeaf(), e)
	if err != nil {
		t.Fatal(err)
	}
	leaf := LeafHash(data)
	nodes := m.tree.Append(leaf)
	m.rows = append(m.rows, StoredEntry{Index: i, Time: e.Time.UnixNano(), Data: data, Leaf: leaf, Nodes: nodes, NodesStored: true})
	return i
}

func (m *memLog) appendN(t testing.TB, n int) {
	for k := 0; k < n; k++ {
		m.append(t, Entry{Time: t0.Add(time.Duration(k) * time.Second), Kind: "transfer.check", Actor: "officer:alice",
			Body: []byte(fmt.Sprintf(`{"transfer":"t-%03d","decision":"allow","individuals":%d}`, k, k*10))})
	}
}

func (m *memLog) checkpoint(t testing.TB) SignedCheckpoint {
	t.Helper()
	sc, err := m.signer.SignCheckpoint(Checkpoint{Origin: m.origin, Size: m.tree.Size(), Root: m.tree.Root()})
	if err != nil {
		t.Fatal(err)
	}
	m.cps = append(m.cps, sc.Note)
	return sc
}

func (m *memLog) VerifierKeys(context.Context) ([]string, error) {
	return []string{m.signer.VerifierKey()}, nil
}
func (m *memLog) ArchiveRecords(context.Context) ([][]byte, error) { return m.archives, nil }
func (m *memLog) Checkpoints(_ context.Context, fn func([]byte) error) error {
	for _, c := range m.cps {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}
func (m *memLog) Entries(_ context.Context, fn func(StoredEntry) error) error {
	for _, r := range m.rows {
		r.Data = bytes.Clone(r.Data)
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// ReadNodes serves proofs from the rows, as the store does.
func (m *memLog) ReadNodes(_ context.Context, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for k, id := range ids {
		row, level := NodeLocation(id)
		if row >= uint64(len(m.rows)) {
			return nil, fmt.Errorf("node %v beyond the log", id)
		}
		r := m.rows[row]
		if level == 0 {
			out[k] = r.Leaf
		} else {
			out[k] = r.Nodes[(level-1)*HashSize : level*HashSize]
		}
	}
	return out, nil
}

func verifyMem(t testing.TB, m *memLog) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

func bundleOf(t testing.TB, m *memLog) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteBundle(context.Background(), &buf, m, m.origin, t0); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bundleSource(b []byte) *BundleSource {
	return &BundleSource{Name: "test.bundle", Open: func() (io.ReadCloser, error) { return nopCloser{bytes.NewReader(b)}, nil }}
}
