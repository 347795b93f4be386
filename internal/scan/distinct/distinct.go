// Package distinct counts distinct values in bounded memory: exactly (a set
// of 64-bit keyed hashes, never the strings; see key.go) up to a limit of at
// least 1,000,000 values, then by HyperLogLog with 2^16 registers (standard error
// 1.04/sqrt(65536) = 0.41%). Counters merge across workers, files and
// machines; the binary form is stable so shard sketches can be merged later.
//
// The HyperLogLog is github.com/axiomhq/hyperloglog (precision 16, sparse
// then dense, 8-bit registers, LogLog-Beta bias correction), fed our own
// keyed hashes through InsertHash so that exact sets and sketches agree on
// what a value's hash is (and a sketch's registers say nothing about a value
// without the key).
package distinct

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/axiomhq/hyperloglog"
)

// DefaultLimit is the number of distinct hashes kept exactly before a
// counter switches to an estimate: 2^20 = 1,048,576 (>= 1,000,000), which
// costs at most 16 MiB per counter.
const DefaultLimit = 1 << 20

// Precision of the HyperLogLog (2^16 registers).
const Precision = 16

// StdError is the relative standard error of the estimate at Precision.
const StdError = 0.0041

// ErrKeyMismatch is returned when counters made under different hash keys
// are merged: their hashes of one value differ, so the union would count it
// twice.
var ErrKeyMismatch = errors.New("counted under different sketch keys")

// mix is the murmur3 64-bit finaliser. It was needed when values were
// hashed with bare xxh3, whose short-input path left enough structure in
// the top bits to bias the HyperLogLog by about 1% at millions of
// sequential keys; SipHash output does not need it, but it is bijective and
// cheap, and keeping it keeps the sketches' registers what they were.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Counter counts distinct hashes. It is safe for concurrent use; callers on
// hot paths batch their adds with a Batch.
type Counter struct {
	mu    sync.Mutex
	limit int
	set   Set
	hll   *hyperloglog.Sketch
	sink  uint64 // see Set.prefetch
	keyID string // the key its hashes were made under
}

// New returns a counter that stays exact up to limit distinct values
// (DefaultLimit when limit <= 0), for hashes made under the current key.
func New(limit int) *Counter {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Counter{limit: limit, keyID: KeyID()}
}

// KeyID is the id of the key the counter's hashes were made under.
func (c *Counter) KeyID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keyID
}

// SetKeyID says which key the counter's hashes were made under: for a
// counter decoded from a sketch (the binary form does not carry it), or an
// empty one about to take in a sketch's hashes.
func (c *Counter) SetKeyID(id string) {
	c.mu.Lock()
	c.keyID = id
	c.mu.Unlock()
}

// Add counts one hash.
func (c *Counter) Add(h uint64) {
	c.mu.Lock()
	c.add(h)
	c.mu.Unlock()
}

// AddMany counts many hashes under one lock.
func (c *Counter) AddMany(hs []uint64) {
	c.mu.Lock()
	c.addManyLocked(hs)
	c.mu.Unlock()
}

func (c *Counter) addManyLocked(hs []uint64) {
	for len(hs) > 0 {
		// Prefetch a window that stays in cache until its inserts.
		n := min(len(hs), batchSize)
		if c.hll == nil {
			c.sink += c.set.prefetch(hs[:n])
		}
		for _, h := range hs[:n] {
			c.add(h)
		}
		hs = hs[n:]
	}
}

func (c *Counter) add(h uint64) {
	if c.hll != nil {
		c.hll.InsertHash(mix(h))
		return
	}
	c.set.Add(h)
	if c.set.Len() > c.limit {
		c.toSketch()
	}
}

// toSketch moves the exact set into a HyperLogLog and frees the set.
func (c *Counter) toSketch() {
	sk, err := hyperloglog.NewSketch(Precision, true)
	if err != nil {
		panic(err) // Precision is a valid constant
	}
	c.set.ForEach(func(h uint64) { sk.InsertHash(mix(h)) })
	c.set = Set{}
	c.hll = sk
}

// Count is the number of distinct values: exact while Exact() holds.
func (c *Counter) Count() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hll != nil {
		return c.hll.Estimate()
	}
	return uint64(c.set.Len())
}

// Exact reports whether Count is exact (no switch to an estimate yet).
func (c *Counter) Exact() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hll == nil
}

// Merge adds everything o has counted. o is not changed.
func (c *Counter) Merge(o *Counter) error {
	if c == o {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keyID != o.keyID {
		return ErrKeyMismatch
	}
	if o.hll != nil {
		if c.hll == nil {
			c.toSketch()
		}
		return c.hll.Merge(o.hll)
	}
	o.set.ForEach(func(h uint64) { c.add(h) })
	return nil
}

// Binary form: "XBD1", a kind byte (0 exact, 1 sketch), the limit as a
// uvarint, then for exact the count and the sorted hashes as uvarint deltas,
// for a sketch the hyperloglog's own MarshalBinary bytes.
var magic = []byte("XBD1")

// MarshalBinary encodes the counter.
func (c *Counter) MarshalBinary() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]byte(nil), magic...)
	if c.hll != nil {
		out = append(out, 1)
		out = binary.AppendUvarint(out, uint64(c.limit))
		b, err := c.hll.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode sketch: %w", err)
		}
		return append(out, b...), nil
	}
	out = append(out, 0)
	out = binary.AppendUvarint(out, uint64(c.limit))
	hs := make([]uint64, 0, c.set.Len())
	c.set.ForEach(func(h uint64) { hs = append(hs, h) })
	sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
	out = binary.AppendUvarint(out, uint64(len(hs)))
	var prev uint64
	for _, h := range hs {
		out = binary.AppendUvarint(out, h-prev)
		prev = h
	}
	return out, nil
}

// ErrCorrupt is returned for bytes that are not a counter.
var ErrCorrupt = errors.New("not a valid distinct-count sketch")

// UnmarshalBinary decodes a counter written by MarshalBinary.
func (c *Counter) UnmarshalBinary(b []byte) error {
	if len(b) < len(magic)+2 || string(b[:len(magic)]) != string(magic) {
		return ErrCorrupt
	}
	kind := b[len(magic)]
	b = b[len(magic)+1:]
	limit, n := binary.Uvarint(b)
	if n <= 0 || limit == 0 || limit > 1<<30 {
		return fmt.Errorf("%w: bad limit", ErrCorrupt)
	}
	b = b[n:]
	nc := &Counter{limit: int(limit)}
	switch kind {
	case 1:
		sk := &hyperloglog.Sketch{}
		if err := sk.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		nc.hll = sk
	case 0:
		count, n := binary.Uvarint(b)
		if n <= 0 || count > limit || count > uint64(len(b)) {
			return fmt.Errorf("%w: bad count", ErrCorrupt)
		}
		b = b[n:]
		var prev uint64
		for i := uint64(0); i < count; i++ {
			d, n := binary.Uvarint(b)
			if n <= 0 || (i > 0 && d == 0) {
				return fmt.Errorf("%w: bad hash list", ErrCorrupt)
			}
			b = b[n:]
			prev += d
			nc.set.Add(prev)
		}
		if len(b) != 0 {
			return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(b))
		}
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrCorrupt, kind)
	}
	c.mu.Lock()
	c.limit, c.set, c.hll = nc.limit, nc.set, nc.hll
	c.mu.Unlock()
	return nil
}

// Batch buffers hashes for one counter so a worker takes the lock once per
// few hundred values.
type Batch struct {
	c   *Counter
	buf []uint64
}

// NewBatch returns a batch feeding c.
func NewBatch(c *Counter) *Batch { return &Batch{c: c, buf: make([]uint64, 0, batchSize)} }

// batchSize is how many hashes a batch buffers before it tries to hand
// them over; batchMax is when it stops trying and waits for the lock.
const (
	batchSize = 512
	batchMax  = 8192
)

// Add buffers one hash. A full batch is handed over only if the counter's
// lock is free; while another worker holds it, this one keeps buffering
// (up to batchMax) instead of sleeping on the lock.
func (b *Batch) Add(h uint64) {
	b.buf = append(b.buf, h)
	if n := len(b.buf); n >= batchSize && n%batchSize == 0 {
		if n >= batchMax {
			b.Flush()
		} else if b.c.mu.TryLock() {
			b.c.addManyLocked(b.buf)
			b.c.mu.Unlock()
			b.buf = b.buf[:0]
		}
	}
}

// Flush sends the buffered hashes to the counter.
func (b *Batch) Flush() {
	if len(b.buf) > 0 {
		b.c.AddMany(b.buf)
		b.buf = b.buf[:0]
	}
}

func sortSlice(n int, less func(i, j int) bool, swap func(i, j int)) {
	sort.Sort(sorter{n, less, swap})
}

type sorter struct {
	n    int
	less func(i, j int) bool
	swap func(i, j int)
}

func (s sorter) Len() int           { return s.n }
func (s sorter) Less(i, j int) bool { return s.less(i, j) }
func (s sorter) Swap(i, j int)      { s.swap(i, j) }
