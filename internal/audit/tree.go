package audit

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/bits"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

var rf = &compact.RangeFactory{Hash: HashChildren}

// HashChildren is the RFC 6962 interior node hash, SHA-256(0x01 || l || r),
// computed on a stack buffer: it runs once per entry when verifying, and
// the generic hasher allocates a digest each time (tests pin it to
// rfc6962.DefaultHasher).
func HashChildren(l, r []byte) []byte {
	var b [1 + 2*HashSize]byte
	b[0] = 1
	copy(b[1:], l)
	copy(b[1+HashSize:], r)
	if len(l) != HashSize || len(r) != HashSize {
		return rfc6962.DefaultHasher.HashChildren(l, r)
	}
	h := sha256.Sum256(b[:])
	return h[:]
}

// hashChildrenInto writes HashChildren(l, r) into dst (32 bytes).
func hashChildrenInto(dst, l, r []byte) {
	var b [1 + 2*HashSize]byte
	b[0] = 1
	copy(b[1:], l)
	copy(b[1+HashSize:], r)
	h := sha256.Sum256(b[:])
	copy(dst, h[:])
}

// EmptyRoot is the root of the empty tree.
func EmptyRoot() []byte { return rfc6962.DefaultHasher.EmptyRoot() }

// Tree is the right edge of the log: the compact range [0, size) plus the
// last leaf hash, which is all an appender needs. The store keeps it in one
// row so an append never scans the log.
type Tree struct {
	r        *compact.Range
	lastLeaf []byte
}

// NewTree rebuilds the appending state from a stored size, compact range
// hashes (left to right) and last leaf hash.
func NewTree(size uint64, rangeHashes [][]byte, lastLeaf []byte) (*Tree, error) {
	r, err := rf.NewRange(0, size, rangeHashes)
	if err != nil {
		return nil, fmt.Errorf("audit tree state: %w", err)
	}
	for _, h := range rangeHashes {
		if len(h) != HashSize {
			return nil, fmt.Errorf("audit tree state: hash of %d bytes", len(h))
		}
	}
	if size == 0 {
		lastLeaf = ZeroHash
	}
	if len(lastLeaf) != HashSize {
		return nil, fmt.Errorf("audit tree state: last leaf of %d bytes", len(lastLeaf))
	}
	return &Tree{r: r, lastLeaf: lastLeaf}, nil
}

// EmptyTree is the state of a new log.
func EmptyTree() *Tree { return &Tree{r: rf.NewEmptyRange(0), lastLeaf: ZeroHash} }

// Size is the number of leaves.
func (t *Tree) Size() uint64 { return t.r.End() }

// LastLeaf is the leaf hash of the newest entry (ZeroHash when empty): the
// "prev" of the next entry.
func (t *Tree) LastLeaf() []byte { return t.lastLeaf }

// Range returns the compact range hashes (shared; do not modify).
func (t *Tree) Range() [][]byte { return t.r.Hashes() }

// Root is the RFC 6962 root hash of the tree.
func (t *Tree) Root() []byte {
	if t.r.End() == 0 {
		return EmptyRoot()
	}
	h, err := t.r.GetRootHash(nil)
	if err != nil { // cannot happen: the range starts at 0
		panic(err)
	}
	return h
}

// Clone returns an independent copy (for savepoints).
func (t *Tree) Clone() *Tree {
	hs := append([][]byte(nil), t.r.Hashes()...)
	r, _ := rf.NewRange(0, t.r.End(), hs)
	return &Tree{r: r, lastLeaf: t.lastLeaf}
}

// Append adds a leaf and returns the hashes of the perfect subtrees it
// completes, levels 1 and up, concatenated: what the store keeps beside the
// leaf so any proof can be served by point lookups.
func (t *Tree) Append(leaf []byte) (nodes []byte) {
	n := bits.TrailingZeros64(t.r.End() + 1) // subtrees completed above the leaf
	if n > 0 {
		nodes = make([]byte, 0, n*HashSize)
	}
	err := t.r.Append(leaf, func(id compact.NodeID, h []byte) {
		if id.Level > 0 {
			nodes = append(nodes, h...)
		}
	})
	if err != nil { // cannot happen for a well-formed range
		panic(err)
	}
	t.lastLeaf = leaf
	return nodes
}

// EncodeRange packs compact range hashes for storage.
func EncodeRange(hs [][]byte) []byte {
	return bytes.Join(hs, nil)
}

// DecodeRange unpacks compact range hashes of the tree of the given size.
func DecodeRange(size uint64, b []byte) ([][]byte, error) {
	want := compact.RangeSize(0, size)
	if len(b) != want*HashSize {
		return nil, fmt.Errorf("compact range of size %d: %d bytes, want %d", size, len(b), want*HashSize)
	}
	hs := make([][]byte, want)
	for i := range hs {
		hs[i] = b[i*HashSize : (i+1)*HashSize : (i+1)*HashSize]
	}
	return hs, nil
}

// NodeLocation says where a stored node lives: the row of the entry whose
// append completed it, and the level inside that row (0 = the leaf hash,
// n >= 1 = bytes [(n-1)*32, n*32) of the row's nodes).
func NodeLocation(id compact.NodeID) (row uint64, level uint) {
	return ((id.Index + 1) << id.Level) - 1, id.Level
}

// NodeCount is the number of node hashes (level >= 1) stored with entry i.
func NodeCount(i uint64) int { return bits.TrailingZeros64(i + 1) }

// RangeRoot is the root of the tree of the given size from its compact range.
func RangeRoot(size uint64, hs [][]byte) ([]byte, error) {
	if size == 0 {
		return EmptyRoot(), nil
	}
	r, err := rf.NewRange(0, size, hs)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}
