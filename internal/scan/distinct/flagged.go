package distinct

import (
	"encoding/binary"
	"fmt"
	"sync"
)

// NumFlags is how many flag bits a Flagged counter tracks.
const NumFlags = 4

// Flagged counts distinct keys and, for each of NumFlags flag bits, the
// distinct keys that carried the flag at least once (e.g. vehicles, and
// vehicles seen in mainland China). One table update per record replaces
// one counter per question. Exact up to the limit, then one Counter per
// question (all keys, and each flag).
type Flagged struct {
	mu    sync.Mutex
	limit int
	slots []uint64
	flags []uint8
	n     int
	zero  bool
	zfl   uint8
	// over holds the counters once the table outgrew the limit:
	// index 0 all keys, 1+b flag b.
	over  *[NumFlags + 1]*Counter
	sink  uint64 // see Set.prefetch
	keyID string // see Counter.keyID
}

// NewFlagged returns a flagged counter exact up to limit keys.
func NewFlagged(limit int) *Flagged {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Flagged{limit: limit, keyID: KeyID()}
}

// KeyID is the id of the key the counter's hashes were made under.
func (f *Flagged) KeyID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keyID
}

// SetKeyID is Counter.SetKeyID for a flagged counter.
func (f *Flagged) SetKeyID(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyID = id
	if f.over != nil {
		for _, c := range f.over {
			c.SetKeyID(id)
		}
	}
}

// AddMany records keys with their flags.
func (f *Flagged) AddMany(hs []uint64, fl []uint8) {
	f.mu.Lock()
	f.addManyLocked(hs, fl)
	f.mu.Unlock()
}

func (f *Flagged) addManyLocked(hs []uint64, fl []uint8) {
	for len(hs) > 0 {
		n := min(len(hs), batchSize)
		if f.over == nil && len(f.slots) >= 1<<16 {
			mask := uint64(len(f.slots) - 1)
			var x uint64
			for _, h := range hs[:n] {
				i := (h >> 17) & mask
				x += f.slots[i] + uint64(f.flags[i])
			}
			f.sink += x
		}
		for i, h := range hs[:n] {
			f.add(h, fl[i])
		}
		hs, fl = hs[n:], fl[n:]
	}
}

func (f *Flagged) add(h uint64, fl uint8) {
	if f.over != nil {
		f.over[0].add(h)
		for b := 0; b < NumFlags; b++ {
			if fl&(1<<b) != 0 {
				f.over[b+1].add(h)
			}
		}
		return
	}
	if h == 0 {
		f.zero = true
		f.zfl |= fl
		return
	}
	if f.n >= len(f.slots)*3/4 {
		f.grow()
	}
	mask := uint64(len(f.slots) - 1)
	for i := (h >> 17) & mask; ; i = (i + 1) & mask {
		switch f.slots[i] {
		case h:
			f.flags[i] |= fl
			return
		case 0:
			f.slots[i] = h
			f.flags[i] = fl
			f.n++
			if f.n > f.limit {
				f.overflow()
			}
			return
		}
	}
}

func (f *Flagged) grow() {
	oldS, oldF := f.slots, f.flags
	size := 1024
	if len(oldS) > 0 {
		size = len(oldS) * 2
	}
	f.slots = make([]uint64, size)
	f.flags = make([]uint8, size)
	mask := uint64(size - 1)
	for j, h := range oldS {
		if h == 0 {
			continue
		}
		i := (h >> 17) & mask
		for f.slots[i] != 0 {
			i = (i + 1) & mask
		}
		f.slots[i], f.flags[i] = h, oldF[j]
	}
}

func (f *Flagged) overflow() {
	var over [NumFlags + 1]*Counter
	for i := range over {
		over[i] = New(f.limit)
		over[i].keyID = f.keyID
	}
	f.over = &over
	f.forEach(func(h uint64, fl uint8) {
		over[0].add(h)
		for b := 0; b < NumFlags; b++ {
			if fl&(1<<b) != 0 {
				over[b+1].add(h)
			}
		}
	})
	f.slots, f.flags, f.n, f.zero, f.zfl = nil, nil, 0, false, 0
}

func (f *Flagged) forEach(fn func(uint64, uint8)) {
	if f.zero {
		fn(0, f.zfl)
	}
	for i, h := range f.slots {
		if h != 0 {
			fn(h, f.flags[i])
		}
	}
}

// Count returns the distinct keys (flag < 0) or the distinct keys that
// carried flag, and whether the figure is exact.
func (f *Flagged) Count(flag int) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.over != nil {
		c := f.over[flag+1]
		return c.Count(), c.Exact()
	}
	if flag < 0 {
		n := uint64(f.n)
		if f.zero {
			n++
		}
		return n, true
	}
	var n uint64
	f.forEach(func(_ uint64, fl uint8) {
		if fl&(1<<flag) != 0 {
			n++
		}
	})
	return n, true
}

// Merge adds o's keys and flags into f.
func (f *Flagged) Merge(o *Flagged) error {
	if f == o {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keyID != o.keyID {
		return ErrKeyMismatch
	}
	if o.over != nil {
		if f.over == nil {
			f.overflow()
		}
		for i := range f.over {
			if err := f.over[i].mergeLocked(o.over[i]); err != nil {
				return err
			}
		}
		return nil
	}
	o.forEach(func(h uint64, fl uint8) { f.add(h, fl) })
	return nil
}

// mergeLocked merges o into c; the caller holds no counter locks.
func (c *Counter) mergeLocked(o *Counter) error { return c.Merge(o) }

// MarshalBinary: "XBF1", limit, then either 0 + count + (delta hash, flags)
// pairs in hash order, or 1 + the NumFlags+1 counters, each length-prefixed.
func (f *Flagged) MarshalBinary() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []byte("XBF1")
	out = binary.AppendUvarint(out, uint64(f.limit))
	if f.over != nil {
		out = append(out, 1)
		for _, c := range f.over {
			b, err := c.MarshalBinary()
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(out, uint64(len(b)))
			out = append(out, b...)
		}
		return out, nil
	}
	out = append(out, 0)
	type kv struct {
		h  uint64
		fl uint8
	}
	var all []kv
	f.forEach(func(h uint64, fl uint8) { all = append(all, kv{h, fl}) })
	sortKV := func(i, j int) bool { return all[i].h < all[j].h }
	sortSlice(len(all), sortKV, func(i, j int) { all[i], all[j] = all[j], all[i] })
	out = binary.AppendUvarint(out, uint64(len(all)))
	var prev uint64
	for _, e := range all {
		out = binary.AppendUvarint(out, e.h-prev)
		out = append(out, e.fl)
		prev = e.h
	}
	return out, nil
}

// UnmarshalBinary decodes MarshalBinary's output.
func (f *Flagged) UnmarshalBinary(b []byte) error {
	if len(b) < 6 || string(b[:4]) != "XBF1" {
		return ErrCorrupt
	}
	b = b[4:]
	limit, n := binary.Uvarint(b)
	if n <= 0 || limit == 0 || limit > 1<<30 || len(b) <= n {
		return fmt.Errorf("%w: bad limit", ErrCorrupt)
	}
	b = b[n:]
	nf := &Flagged{limit: int(limit)}
	kind := b[0]
	b = b[1:]
	switch kind {
	case 1:
		var over [NumFlags + 1]*Counter
		for i := range over {
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return fmt.Errorf("%w: bad counter length", ErrCorrupt)
			}
			over[i] = &Counter{}
			if err := over[i].UnmarshalBinary(b[n : n+int(l)]); err != nil {
				return err
			}
			b = b[n+int(l):]
		}
		nf.over = &over
	case 0:
		count, n := binary.Uvarint(b)
		if n <= 0 || count > limit || count > uint64(len(b)) {
			return fmt.Errorf("%w: bad count", ErrCorrupt)
		}
		b = b[n:]
		var prev uint64
		for i := uint64(0); i < count; i++ {
			d, n := binary.Uvarint(b)
			if n <= 0 || len(b) < n+1 || (i > 0 && d == 0) {
				return fmt.Errorf("%w: bad entry", ErrCorrupt)
			}
			prev += d
			nf.add(prev, b[n])
			b = b[n+1:]
		}
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrCorrupt, kind)
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(b))
	}
	f.mu.Lock()
	f.limit, f.slots, f.flags, f.n, f.zero, f.zfl, f.over = nf.limit, nf.slots, nf.flags, nf.n, nf.zero, nf.zfl, nf.over
	if f.over != nil {
		for _, c := range f.over {
			c.keyID = f.keyID // the key travels beside the bytes (SetKeyID)
		}
	}
	f.mu.Unlock()
	return nil
}

// FlagBatch buffers (key, flags) pairs for a Flagged counter.
type FlagBatch struct {
	f  *Flagged
	hs []uint64
	fl []uint8
}

// NewFlagBatch returns a batch feeding f.
func NewFlagBatch(f *Flagged) *FlagBatch {
	return &FlagBatch{f: f, hs: make([]uint64, 0, batchSize), fl: make([]uint8, 0, batchSize)}
}

// Add buffers one key (handed over like Batch.Add).
func (b *FlagBatch) Add(h uint64, fl uint8) {
	b.hs = append(b.hs, h)
	b.fl = append(b.fl, fl)
	if n := len(b.hs); n >= batchSize && n%batchSize == 0 {
		if n >= batchMax {
			b.Flush()
		} else if b.f.mu.TryLock() {
			b.f.addManyLocked(b.hs, b.fl)
			b.f.mu.Unlock()
			b.hs, b.fl = b.hs[:0], b.fl[:0]
		}
	}
}

// Flush sends buffered keys.
func (b *FlagBatch) Flush() {
	if len(b.hs) > 0 {
		b.f.AddMany(b.hs, b.fl)
		b.hs, b.fl = b.hs[:0], b.fl[:0]
	}
}

// KeysInto adds every key of f (whatever its flags) to c.
func (f *Flagged) KeysInto(c *Counter) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.over != nil {
		return c.Merge(f.over[0])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keyID != f.keyID {
		return ErrKeyMismatch
	}
	f.forEach(func(h uint64, _ uint8) { c.add(h) })
	return nil
}
