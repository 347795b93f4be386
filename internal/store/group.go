package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// GroupOptions tune a Group.
type GroupOptions struct {
	// MaxBatch caps the callers sharing one transaction (default 64).
	MaxBatch int
	// MaxWait is how long a batch waits for more callers once the first
	// arrives (default 0: a batch closes when the previous commit ends,
	// which already gathers everyone who arrived meanwhile).
	MaxWait time.Duration
	// QueueSize bounds waiting callers (default 4*MaxBatch). When full, Do
	// blocks: load slows callers down instead of dropping work.
	QueueSize int
}

// Group is group commit: concurrent Do calls are run one after another
// inside one Update, each in its own Savepoint, and all are answered after
// that single durable commit. With an fsync of ~0.2 ms this turns a few
// thousand commits per second into tens of thousands of callers.
//
// A caller's error rolls back only its own work. If the commit fails, every
// caller in the batch gets the error: nothing they did is stored, so a
// caller never reports success for lost work (fail closed).
type Group struct {
	st    Store
	opt   GroupOptions
	queue chan *groupReq
	wg    sync.WaitGroup

	mu     sync.RWMutex
	closed bool

	depth   atomic.Int64
	batches atomic.Int64
	calls   atomic.Int64
}

type groupReq struct {
	ctx  context.Context
	fn   func(Tx) error
	done chan error
}

// NewGroup starts a group committer over st.
func NewGroup(st Store, opt GroupOptions) *Group {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 64
	}
	if opt.QueueSize <= 0 {
		opt.QueueSize = 4 * opt.MaxBatch
	}
	g := &Group{st: st, opt: opt, queue: make(chan *groupReq, opt.QueueSize)}
	g.wg.Add(1)
	go g.loop()
	return g
}

// ErrGroupClosed is returned by Do after Close.
var ErrGroupClosed = &Error{Code: CodeClosed, Msg: "group commit closed"}

// Do runs fn in a shared transaction and returns once it is durably
// committed (nil) or rolled back (the error). If ctx ends while fn is still
// queued, fn never runs and Do returns ctx.Err(); once fn has started, Do
// waits for the commit so the caller always learns the outcome.
func (g *Group) Do(ctx context.Context, fn func(Tx) error) error {
	r := &groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrGroupClosed
	}
	g.depth.Add(1)
	select {
	case g.queue <- r:
	case <-ctx.Done():
		g.depth.Add(-1)
		g.mu.RUnlock()
		return ctx.Err()
	}
	g.mu.RUnlock()
	return <-r.done
}

// QueueDepth is the number of callers waiting or running (a metric).
func (g *Group) QueueDepth() int64 { return g.depth.Load() }

// Stats returns the number of committed batches and calls so far.
func (g *Group) Stats() (batches, calls int64) { return g.batches.Load(), g.calls.Load() }

// Close stops accepting calls, finishes every queued one and returns.
func (g *Group) Close() error {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.queue)
	}
	g.mu.Unlock()
	g.wg.Wait()
	return nil
}

func (g *Group) loop() {
	defer g.wg.Done()
	for {
		first, ok := <-g.queue
		if !ok {
			return
		}
		batch := []*groupReq{first}
		var timer <-chan time.Time
		if g.opt.MaxWait > 0 {
			timer = time.After(g.opt.MaxWait)
		}
	gather:
		for len(batch) < g.opt.MaxBatch {
			if timer == nil {
				select {
				case r, ok := <-g.queue:
					if !ok {
						break gather
					}
					batch = append(batch, r)
				default:
					break gather
				}
			} else {
				select {
				case r, ok := <-g.queue:
					if !ok {
						break gather
					}
					batch = append(batch, r)
				case <-timer:
					break gather
				}
			}
		}
		g.run(batch)
	}
}

func (g *Group) run(batch []*groupReq) {
	errs := make([]error, len(batch))
	ran := make([]bool, len(batch))
	// The batch's transaction is not tied to any one caller's context: a
	// caller that gives up must not abort its neighbours' commit.
	err := g.st.Update(context.Background(), func(tx Tx) error {
		if len(batch) == 1 {
			// A lone caller needs no savepoint: its error rolls back the
			// whole transaction, which is only its own. (On PostgreSQL this
			// saves a round trip: its writes go out with the COMMIT.)
			r := batch[0]
			if err := r.ctx.Err(); err != nil {
				errs[0] = err
				return nil
			}
			ran[0] = true
			errs[0] = r.fn(tx)
			return errs[0]
		}
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			ran[i] = true
			errs[i] = tx.Savepoint(context.WithoutCancel(r.ctx), r.fn)
		}
		return nil
	})
	g.batches.Add(1)
	lone := len(batch) == 1 && ran[0]
	for i, r := range batch {
		e := errs[i]
		switch {
		case err == nil:
			// committed; a caller's own error was undone by its savepoint
		case e == nil:
			// the transaction failed, before this caller ran (no
			// connection, a busy database) or at commit: nothing of it
			// is stored, and the caller must hear so
			e = err
		case lone:
			// a lone caller's own error is the transaction's error
		default:
			e = errors.Join(e, err)
		}
		if e == nil {
			g.calls.Add(1)
		}
		g.depth.Add(-1)
		r.done <- e
	}
}
