package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
)

// StoredEntry is one row of the log as storage or a bundle holds it.
type StoredEntry struct {
	Index uint64
	// Time is the entry time in Unix nanoseconds as stored beside the bytes
	// (0: not stored separately).
	Time int64
	// Data is the canonical bytes; nil once archived.
	Data []byte
	// Leaf is the stored leaf hash (nil: not stored, recomputed only).
	Leaf []byte
	// Nodes are the stored hashes of the subtrees this entry completed;
	// compared only when NodesStored.
	Nodes       []byte
	NodesStored bool
}

// Source is what Verify reads: a database or a bundle.
type Source interface {
	// VerifierKeys are the public keys the source knows (Options.TrustedKeys
	// replaces them).
	VerifierKeys(ctx context.Context) ([]string, error)
	// ArchiveRecords are the signed archive records, oldest first.
	ArchiveRecords(ctx context.Context) ([][]byte, error)
	// Checkpoints calls fn with every stored signed checkpoint note.
	Checkpoints(ctx context.Context, fn func(note []byte) error) error
	// Entries calls fn with every entry row in ascending index order. fn owns
	// the slices it is given.
	Entries(ctx context.Context, fn func(StoredEntry) error) error
}

// HeadSource is optionally implemented by storage that keeps the log's right
// edge separately; Verify then checks it against the recomputed tree.
type HeadSource interface {
	Head(ctx context.Context) (size uint64, rangeHashes []byte, lastLeaf []byte, err error)
}

// Options tune Verify.
type Options struct {
	// TrustedKeys, when set, are the only public keys accepted for
	// checkpoints and archive records (an inspector's own copy).
	TrustedKeys []string
	// Origin, when set, is the log origin every checkpoint must name.
	Origin string
	// MaxProblems caps the problems listed (default 20); the first bad entry
	// is always listed.
	MaxProblems int
	// Workers hash in parallel (default GOMAXPROCS).
	Workers int
}

// Problem is one thing that failed verification.
type Problem struct {
	Entry int64  `json:"entry"` // -1 when not about one entry
	Text  string `json:"text"`
}

// Report is the result of Verify.
type Report struct {
	Origin           string    `json:"origin,omitempty"`
	Size             uint64    `json:"size"`
	Archived         uint64    `json:"archived"`
	ArchiveRecords   int       `json:"archive_records"`
	Checkpoints      int       `json:"checkpoints"`
	LatestCheckpoint uint64    `json:"latest_checkpoint"`
	Root             string    `json:"root"`
	Unsigned         uint64    `json:"unsigned"`
	Keys             []string  `json:"keys"`
	FirstBad         int64     `json:"first_bad"`
	Problems         []Problem `json:"problems"`
	Elapsed          string    `json:"elapsed"`
}

// OK reports whether everything verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

type verifier struct {
	opt      Options
	rep      *Report
	problems []Problem
	culprit  int64 // first bad entry, -1 none
	culpMsg  string
}

func (v *verifier) problem(entry int64, format string, args ...any) {
	p := Problem{Entry: entry, Text: fmt.Sprintf(format, args...)}
	if entry >= 0 && (v.culprit < 0 || entry < v.culprit) {
		v.culprit = entry
		v.culpMsg = p.Text
	}
	v.problems = append(v.problems, p)
}

type cp struct {
	size uint64
	root []byte
}

// Verify recomputes every leaf hash from the stored bytes and the whole tree
// from scratch, checks every checkpoint's signature and root, every archive
// record, the hash chain and the stored hashes, and names the first bad
// entry. An error is returned only when the source cannot be read.
func Verify(ctx context.Context, src Source, opt Options) (*Report, error) {
	start := time.Now()
	if opt.MaxProblems <= 0 {
		opt.MaxProblems = 20
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	v := &verifier{opt: opt, rep: &Report{FirstBad: -1}, culprit: -1}
	rep := v.rep

	keys := opt.TrustedKeys
	if len(keys) == 0 {
		var err error
		if keys, err = src.VerifierKeys(ctx); err != nil {
			return nil, fmt.Errorf("read keys: %w", err)
		}
	}
	vs, err := NewVerifiers(keys...)
	if err != nil {
		return nil, err
	}
	rep.Keys = vs.IDs()
	origin := opt.Origin

	// Archive records: signed, contiguous from 0.
	notes, err := src.ArchiveRecords(ctx)
	if err != nil {
		return nil, fmt.Errorf("read archive records: %w", err)
	}
	var archives []ArchiveRecord
	var next uint64
	for i, n := range notes {
		text, _, err := vs.Open(n)
		if err != nil {
			v.problem(-1, "archive record %d: signature does not verify: %v", i+1, err)
			continue
		}
		a, err := ParseArchiveRecord(text)
		if err != nil {
			v.problem(-1, "archive record %d: %v", i+1, err)
			continue
		}
		if origin == "" {
			origin = a.Origin
		}
		if a.Origin != origin {
			v.problem(int64(a.From), "archive record %d names origin %q, want %q", i+1, a.Origin, origin)
		}
		if a.From != next {
			v.problem(int64(min(a.From, next)), "archive record %d covers [%d, %d) but the previous one ended at %d", i+1, a.From, a.To, next)
		}
		next = a.To
		archives = append(archives, a)
	}
	rep.ArchiveRecords = len(archives)

	// Checkpoints: signed, one root per size. Signatures are checked in
	// parallel (an Ed25519 verification costs about as much as hashing a
	// hundred entries); results are applied in the source's order.
	roots := map[uint64][]byte{}
	type opened struct {
		n    []byte
		sc   SignedCheckpoint
		err  error
		done chan struct{}
	}
	queue := make(chan *opened, 256)
	inOrder := make(chan *opened, 256+opt.Workers)
	var owg sync.WaitGroup
	for w := 0; w < opt.Workers; w++ {
		owg.Add(1)
		go func() {
			defer owg.Done()
			for o := range queue {
				o.sc, o.err = vs.OpenCheckpoint(o.n)
				close(o.done)
			}
		}()
	}
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for o := range inOrder {
			<-o.done
			if o.err != nil {
				label := "checkpoint"
				if text, e := NoteText(o.n); e == nil {
					if c, e := ParseCheckpoint(text); e == nil {
						label = fmt.Sprintf("checkpoint at size %d", c.Size)
					}
				}
				v.problem(-1, "%s: %v", label, o.err)
				continue
			}
			sc := o.sc
			if origin == "" {
				origin = sc.Origin
			}
			if sc.Origin != origin {
				v.problem(-1, "checkpoint at size %d names origin %q, want %q", sc.Size, sc.Origin, origin)
				continue
			}
			if r, ok := roots[sc.Size]; ok && !bytes.Equal(r, sc.Root) {
				v.problem(-1, "two signed checkpoints at size %d disagree on the root (a split view)", sc.Size)
				continue
			}
			roots[sc.Size] = sc.Root
		}
	}()
	err = src.Checkpoints(ctx, func(n []byte) error {
		o := &opened{n: n, done: make(chan struct{})}
		inOrder <- o
		queue <- o
		return nil
	})
	close(queue)
	close(inOrder)
	owg.Wait()
	<-applied
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	rep.Origin = origin
	cps := make([]cp, 0, len(roots))
	for s, r := range roots {
		cps = append(cps, cp{s, r})
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].size < cps[j].size })
	rep.Checkpoints = len(cps)

	f := &fold{v: v, tree: EmptyTree(), cps: cps, archives: archives, window: [3]row{}}
	if err := f.run(ctx, src); err != nil {
		return nil, err
	}
	rep.Size = f.tree.Size()
	rep.Root = fmt.Sprintf("%x", f.tree.Root())
	rep.Archived = f.archived

	if hs, ok := src.(HeadSource); ok && !f.stopped {
		size, rng, last, err := hs.Head(ctx)
		if err != nil {
			return nil, fmt.Errorf("read log head: %w", err)
		}
		switch {
		case size != rep.Size:
			v.problem(int64(min(size, rep.Size)), "the log head records %d entries but %d are stored", size, rep.Size)
		case !bytes.Equal(rng, EncodeRange(f.tree.Range())) || !bytes.Equal(last, f.tree.LastLeaf()):
			v.problem(-1, "the stored log head (right edge of the tree) does not match the entries")
		}
	}

	// Checkpoints and archive records past the end mean entries were removed.
	for _, c := range cps {
		if c.size > rep.Size {
			v.problem(int64(rep.Size), "a signed checkpoint covers %d entries but only %d are stored: entries from %d on were removed", c.size, rep.Size, rep.Size)
			break
		}
		rep.LatestCheckpoint = c.size
	}
	for _, a := range archives {
		if a.To > rep.Size {
			v.problem(int64(rep.Size), "archive record [%d, %d) reaches past the stored log (%d entries)", a.From, a.To, rep.Size)
		}
	}
	if rep.Size >= rep.LatestCheckpoint {
		rep.Unsigned = rep.Size - rep.LatestCheckpoint
	}
	// A checkpoint whose root differs while no entry was caught otherwise:
	// every entry before its size is pinned by the chain to entry size-1, so
	// that is the one that cannot be explained.
	if f.firstRootBad >= 0 {
		s := uint64(f.firstRootBad)
		if v.culprit < 0 || uint64(v.culprit) >= s {
			v.problem(int64(s-1), "entry %d: the recomputed tree of size %d does not match its signed checkpoint (entries before %d verify against checkpoint %d)", s-1, s, f.lastRootGood, f.lastRootGood)
		}
	}

	rep.FirstBad = v.culprit
	// Keep the first bad entry's problem first, then the others in order.
	out := []Problem{}
	if v.culprit >= 0 {
		out = append(out, Problem{Entry: v.culprit, Text: v.culpMsg})
	}
	for _, p := range v.problems {
		if len(out) >= opt.MaxProblems {
			break
		}
		if p.Entry == v.culprit && p.Text == v.culpMsg {
			continue
		}
		out = append(out, p)
	}
	rep.Problems = out
	rep.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return rep, nil
}

// row is what the fold remembers of recent entries to name a culprit.
type row struct {
	leaf  []byte
	prev  []byte // chain pointer recorded in the entry (nil: archived)
	nodes []byte // stored nodes (nil: not stored)
}

type fold struct {
	v        *verifier
	tree     *Tree
	cps      []cp
	ci       int
	archives []ArchiveRecord
	ai       int
	archived uint64
	stopped  bool
	// chain state
	prevLeaf     []byte // leaf hash of the last entry folded
	pendingBreak int64  // entry whose chain pointer disagreed, awaiting the next entry
	window       [3]row
	// checkpoint results
	firstRootBad int64
	lastRootGood uint64
}

type hashed struct {
	e    StoredEntry
	leaf []byte // recomputed (stored, for archived entries)
	dec  Decoded
	err  error
	// nodes are the recomputed hashes of the subtrees this entry completes
	// inside its batch (levels 1..10), when the batch was hashed as a whole.
	nodes   []byte
	prevArr [HashSize]byte
}

// batchSize entries form one perfect subtree (level 10) when the batch is
// complete and aligned, so workers hash the tree's lower levels in parallel
// and the sequential fold only merges one root per batch.
const batchSize = 1024

type batch struct {
	items []hashed
	done  chan struct{}
	rng   *compactRange // the batch's compact range, nil if it could not be built
}

func (f *fold) run(ctx context.Context, src Source) error {
	f.pendingBreak = -1
	f.firstRootBad = -1
	f.prevLeaf = ZeroHash
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	work := make(chan *batch, 4*f.v.opt.Workers)
	ordered := make(chan *batch, 4*f.v.opt.Workers+4)
	var srcErr error
	go func() {
		defer close(work)
		defer close(ordered)
		b := &batch{items: make([]hashed, 0, batchSize), done: make(chan struct{})}
		send := func() bool {
			select {
			case ordered <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return false
			}
			b = &batch{items: make([]hashed, 0, batchSize), done: make(chan struct{})}
			return true
		}
		srcErr = src.Entries(ctx, func(e StoredEntry) error {
			// Batches start at multiples of batchSize so each is a subtree.
			if len(b.items) > 0 && (len(b.items) == batchSize || e.Index%batchSize == 0) && !send() {
				return ctx.Err()
			}
			b.items = append(b.items, hashed{e: e})
			return nil
		})
		if srcErr == nil && len(b.items) > 0 {
			send()
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < f.v.opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lh := newLeafHasher()
			for b := range work {
				for i := range b.items {
					h := &b.items[i]
					if h.e.Data != nil {
						h.leaf = lh.sum(h.e.Data)
						h.dec.Index, h.dec.Time, h.err = decodeHeaderInto(h.e.Data, h.e.Time != 0, &h.prevArr)
						h.dec.Prev = h.prevArr[:]
					} else if len(h.e.Leaf) == HashSize {
						h.leaf = h.e.Leaf
					}
				}
				b.rng = subtree(b.items)
				close(b.done)
			}
		}()
	}
	defer wg.Wait()
	for b := range ordered {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if f.stopped {
			continue
		}
		if f.fast(b) {
			continue
		}
		for i := range b.items {
			f.step(&b.items[i], false)
			if f.stopped {
				break
			}
		}
		if f.stopped {
			cancel() // nothing more can be checked; stop reading
		}
	}
	if srcErr != nil && !(f.stopped && errors.Is(srcErr, context.Canceled)) {
		return fmt.Errorf("read entries: %w", srcErr)
	}
	if !f.stopped {
		f.finishChain()
	}
	return nil
}

// compactRange is the batch's part of the tree.
type compactRange = compact.Range

// subtree hashes a batch of consecutive entries starting at a multiple of
// batchSize into a compact range, recording the nodes each entry completes.
// It returns nil when the batch is not such a run (a gap, a missing hash):
// the fold then goes entry by entry and reports what is wrong.
func subtree(items []hashed) *compact.Range {
	if len(items) == 0 || items[0].e.Index%batchSize != 0 {
		return nil
	}
	begin := items[0].e.Index
	for k := range items {
		if items[k].e.Index != begin+uint64(k) || len(items[k].leaf) != HashSize {
			return nil
		}
	}
	// A stack of subtree roots, as a compact range keeps them; node hashes
	// go into one arena per batch instead of one allocation each.
	arena := make([]byte, 0, len(items)*HashSize)
	stack := make([][]byte, 0, 12)
	for k := range items {
		stack = append(stack, items[k].leaf)
		start := len(arena)
		for m := k + 1; m%2 == 0; m /= 2 {
			n := len(stack)
			at := len(arena)
			arena = arena[:at+HashSize]
			hashChildrenInto(arena[at:at+HashSize], stack[n-2], stack[n-1])
			stack = append(stack[:n-2], arena[at:at+HashSize:at+HashSize])
		}
		items[k].nodes = arena[start:len(arena):len(arena)]
	}
	r, err := rf.NewRange(begin, begin+uint64(len(items)), stack)
	if err != nil {
		return nil
	}
	return r
}

// fast folds a whole batch by merging its subtree, when no checkpoint or
// archive boundary falls strictly inside it (those need the root at an
// inner size, which the entry-by-entry path computes).
func (f *fold) fast(b *batch) bool {
	if b.rng == nil || b.rng.Begin() != f.tree.Size() {
		return false
	}
	begin, end := b.rng.Begin(), b.rng.End()
	for k := f.ci; k < len(f.cps) && f.cps[k].size < end; k++ {
		if f.cps[k].size > begin {
			return false
		}
	}
	for _, a := range f.archives {
		if a.To > begin && a.To < end {
			return false
		}
	}
	for i := range b.items {
		f.step(&b.items[i], true)
		if f.stopped {
			return true
		}
	}
	last := &b.items[len(b.items)-1]
	inBatch := len(last.nodes)
	var above []byte
	err := f.tree.r.AppendRange(b.rng, func(id compact.NodeID, h []byte) { above = append(above, h...) })
	if err != nil {
		f.v.problem(int64(begin), "entries %d to %d: %v", begin, end-1, err)
		f.stopped = true
		return true
	}
	f.tree.lastLeaf = last.leaf
	if last.e.NodesStored && (len(last.e.Nodes) != inBatch+len(above) || !bytes.Equal(last.e.Nodes[min(inBatch, len(last.e.Nodes)):], above)) {
		f.v.problem(int64(end-1), "entry %d: its stored tree node hashes do not match the recomputed tree", end-1)
	}
	f.atSize(end)
	return true
}

// step checks one entry; in a fast batch the tree is merged afterwards.
func (f *fold) step(h *hashed, batched bool) {
	v := f.v
	i := h.e.Index
	if !batched {
		i = f.tree.Size()
	}
	e := &h.e
	if e.Index != i {
		if e.Index > i {
			v.problem(int64(i), "entry %d is missing (the next stored entry is %d)", i, e.Index)
		} else {
			v.problem(int64(e.Index), "entry %d is stored twice or out of order", e.Index)
		}
		f.stopped = true
		return
	}
	var arch *ArchiveRecord
	for f.ai < len(f.archives) && f.archives[f.ai].To <= i {
		f.ai++
	}
	if f.ai < len(f.archives) && f.archives[f.ai].From <= i {
		arch = &f.archives[f.ai]
	}
	var leaf, prev []byte
	if e.Data == nil {
		if arch == nil {
			v.problem(int64(i), "entry %d: its content is gone but no signed archive record covers it", i)
		} else if e.Time != 0 && !time.Unix(0, e.Time).Before(arch.Before) {
			v.problem(int64(i), "entry %d was archived inside its %d-year retention period", i, RetentionYears)
		}
		if len(e.Leaf) != HashSize {
			v.problem(int64(i), "entry %d: archived without its leaf hash; the tree cannot be rebuilt past it", i)
			f.stopped = true
			return
		}
		leaf = e.Leaf
		f.archived++
	} else {
		leaf = h.leaf
		switch {
		case h.err != nil:
			v.problem(int64(i), "entry %d: %v", i, h.err)
		case h.dec.Index != i:
			v.problem(int64(i), "entry %d: its bytes say index %d", i, h.dec.Index)
		case e.Time != 0 && h.dec.Time.UnixNano() != e.Time:
			v.problem(int64(i), "entry %d: stored time column %s differs from the entry's time %s", i,
				time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano), h.dec.Time.Format(time.RFC3339Nano))
		}
		if e.Leaf != nil && !bytes.Equal(e.Leaf, leaf) {
			v.problem(int64(i), "entry %d: its bytes do not hash to its stored leaf hash (the entry was changed)", i)
		}
		if h.err == nil {
			prev = h.dec.Prev
		}
	}
	// Chain: entry i records the leaf hash of entry i-1.
	broken := prev != nil && !bytes.Equal(prev, f.prevLeaf)
	if f.pendingBreak >= 0 {
		p := f.pendingBreak
		if broken || h.err != nil {
			// Entry p's own record disagrees and entry p+1's record of p
			// does too: entry p itself was changed.
			v.problem(p, "entry %d was changed: entry %d records a different hash for it, and its own record of entry %d disagrees", p, p+1, p-1)
		} else {
			v.problem(p-1, "entry %d was changed: entry %d records a different leaf hash for it", p-1, p)
		}
		f.pendingBreak = -1
	}
	if broken && i == 0 {
		v.problem(0, "entry 0 was changed: its chain pointer is not the zero hash")
	} else if broken {
		f.pendingBreak = int64(i)
	}
	f.prevLeaf = leaf
	if batched {
		// Nodes inside the batch were hashed by a worker; those above it are
		// compared when the batch is merged.
		if e.NodesStored && (len(e.Nodes) < len(h.nodes) || !bytes.Equal(e.Nodes[:len(h.nodes)], h.nodes)) ||
			e.NodesStored && len(e.Nodes) > len(h.nodes) && (i+1)%batchSize != 0 {
			v.problem(int64(i), "entry %d: its stored tree node hashes do not match the recomputed tree", i)
		}
	} else {
		nodes := f.tree.Append(leaf)
		if e.NodesStored && !bytes.Equal(e.Nodes, nodes) {
			v.problem(int64(i), "entry %d: its stored tree node hashes do not match the recomputed tree", i)
		}
	}
	f.window[0], f.window[1] = f.window[1], f.window[2]
	f.window[2] = row{leaf: leaf, prev: prev}
	if e.NodesStored {
		f.window[2].nodes = e.Nodes
	}
	if !batched {
		f.atSize(i + 1)
	}
}

// atSize checks the checkpoints and archive record that end at size.
func (f *fold) atSize(size uint64) {
	for f.ci < len(f.cps) && f.cps[f.ci].size <= size {
		c := f.cps[f.ci]
		f.ci++
		if c.size != size {
			continue // size 0 checkpoint
		}
		if bytes.Equal(c.root, f.tree.Root()) {
			if f.firstRootBad < 0 {
				f.lastRootGood = size
			}
		} else if f.firstRootBad < 0 {
			f.firstRootBad = int64(size)
		}
	}
	for k := range f.archives {
		arch := &f.archives[k]
		if arch.To == size {
			if !bytes.Equal(EncodeRange(arch.Range), EncodeRange(f.tree.Range())) || !bytes.Equal(arch.Root, f.tree.Root()) {
				f.v.problem(int64(arch.From), "entries %d to %d do not match their signed archive record", arch.From, arch.To-1)
			}
		}
	}
}

// finishChain names the culprit of a chain break at the last entry, where no
// later entry can say which side changed. The level-1 node over the pair
// that holds entry p-1 decides: it was stored when both entries were
// appended, so it matches the chain's record of p-1 if p-1 was changed.
func (f *fold) finishChain() {
	p := f.pendingBreak
	if p < 0 {
		return
	}
	w := f.window // w[2] = entry p, w[1] = entry p-1, w[0] = entry p-2
	claim := w[2].prev
	pMinus1Changed := false
	if (p-1)%2 == 1 { // pair (p-2, p-1), node stored with entry p-1
		if len(w[1].nodes) >= HashSize && w[0].leaf != nil {
			pMinus1Changed = bytes.Equal(HashChildren(w[0].leaf, claim), w[1].nodes[:HashSize])
		}
	} else if len(w[2].nodes) >= HashSize { // pair (p-1, p), node stored with entry p
		pMinus1Changed = bytes.Equal(HashChildren(claim, w[2].leaf), w[2].nodes[:HashSize])
	}
	if pMinus1Changed {
		f.v.problem(p-1, "entry %d was changed: entry %d records a different leaf hash for it", p-1, p)
	} else {
		f.v.problem(p, "entry %d was changed: its record of entry %d disagrees with the log", p, p-1)
	}
}
