package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/store"
)

// Actor is the authenticated caller.
type Actor struct {
	Name string
	Role string
	// TokenHash is the SHA-256 of the caller's API token (store.TokenHash).
	// Idempotency-Keys are scoped to it (see ScopedKey): the same key sent
	// with two tokens is two independent keys, so one caller can never read
	// another's answer by guessing its key. Callers inside the process
	// without a token (tests, tools) leave it empty and share one unscoped
	// key space.
	TokenHash []byte
}

func (a Actor) String() string {
	if a.Name == "" {
		return a.Role
	}
	return a.Role + ":" + a.Name
}

// Options configure a Gateway.
type Options struct {
	Set      *rulepack.Set
	Calendar *calendar.Calendar
	Now      func() time.Time
	// Group tunes the batching of checks: at most MaxBatch checks share one
	// durable commit (default 256) and at most QueueSize checks wait for one
	// (default 16*MaxBatch). MaxWait is ignored: a batch closes when the
	// previous commit ends, which gathers everyone who arrived meanwhile.
	// The shared committer for other writes gets the same MaxBatch.
	Group store.GroupOptions
	// QueueTimeout bounds how long a check may wait before its batch
	// starts, including the wait for room in a full queue. Past it the check
	// fails closed (503 overloaded) with nothing recorded or counted, so
	// the caller can retry with the same Idempotency-Key. Default 2 s.
	QueueTimeout time.Duration
	Logger       *slog.Logger
	Registry     prometheus.Registerer
}

// Gateway decides and records checks.
//
// Checks are batched: one goroutine takes every check waiting in the queue
// (up to MaxBatch), runs them one after another inside one store
// transaction (the store's global lock is held, so two processes on one
// PostgreSQL never interleave), reading each processor's yearly totals and
// each approval's consumed cap once per batch and carrying them forward in
// memory, and answers them all after the single durable commit. A check is
// answered 200 only once its record, counts, idempotency key and audit
// entry are committed together; if anything fails, nothing of it is stored
// and it is answered 503 (fail closed).
type Gateway struct {
	st    store.Store
	group *store.Group
	set   *rulepack.Set
	cal   *calendar.Calendar
	now   func() time.Time
	log   *slog.Logger
	opt   Options
	// packRefs name the rule packs decisions are made under (id@version#
	// digest); every check entry in the log carries them.
	packRefs []string

	queue    chan *pending
	qmu      sync.RWMutex
	closed   bool
	loopDone chan struct{}
	depth    atomic.Int64
	batches  atomic.Int64
	batched  atomic.Int64

	mu     sync.Mutex
	comp   *compiled
	pseudo *audit.Pseudonymizer

	checks  *prometheus.CounterVec
	latency prometheus.Histogram
	batchSz prometheus.Histogram
	reruns  *prometheus.CounterVec
	refused *prometheus.CounterVec
}

// New starts a gateway over st.
func New(st store.Store, opt Options) (*Gateway, error) {
	if opt.Set == nil {
		return nil, errors.New("gateway: no rule packs")
	}
	if opt.Calendar == nil {
		opt.Calendar = calendar.Weekends()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Group.MaxBatch <= 0 {
		opt.Group.MaxBatch = 256
	}
	if opt.Group.QueueSize <= 0 {
		opt.Group.QueueSize = 16 * opt.Group.MaxBatch
	}
	if opt.QueueTimeout <= 0 {
		opt.QueueTimeout = 2 * time.Second
	}
	g := &Gateway{st: st, group: store.NewGroup(st, store.GroupOptions{MaxBatch: opt.Group.MaxBatch}), set: opt.Set, cal: opt.Calendar,
		now: opt.Now, log: opt.Logger, opt: opt, queue: make(chan *pending, opt.Group.QueueSize), loopDone: make(chan struct{})}
	for _, l := range opt.Set.Packs {
		g.packRefs = append(g.packRefs, l.Ref())
	}
	g.checks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_checks_total", Help: "Transfer checks by decision (allow, deny, error)."}, []string{"decision"})
	g.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xborder_check_duration_seconds", Help: "Time to answer a check, including the durable commit.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}})
	g.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_checks_refused_total", Help: "Check requests refused before a decision, by error code (each one logged as check.refused)."}, []string{"code"})
	g.batchSz = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xborder_check_batch_size", Help: "Checks sharing one durable commit.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}})
	g.reruns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_check_batch_reruns_total",
		Help: "Check batches run again: with lookups (a retried key or an allowed transfer id met its unique constraint), or one check at a time (the store refused a check)."}, []string{"mode"})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xborder_commit_queue_depth", Help: "Checks waiting for or inside the current batch commit, plus other writes waiting for the shared committer."},
		func() float64 { return float64(g.depth.Load() + g.group.QueueDepth()) })
	if opt.Registry != nil {
		for _, c := range []prometheus.Collector{g.checks, g.latency, g.batchSz, g.reruns, g.refused, depth} {
			if err := opt.Registry.Register(c); err != nil {
				g.group.Close()
				return nil, fmt.Errorf("gateway: register metrics: %w", err)
			}
		}
	}
	for _, d := range []string{"allow", "deny", "error"} {
		g.checks.WithLabelValues(d)
	}
	go g.loop()
	return g, nil
}

// Close stops taking checks, answers every queued one (committing it) and
// stops the shared committer.
func (g *Gateway) Close() error {
	g.qmu.Lock()
	if !g.closed {
		g.closed = true
		close(g.queue)
	}
	g.qmu.Unlock()
	<-g.loopDone
	return g.group.Close()
}

// Group exposes the group committer so other writers (inventory changes)
// share the store's ordering.
func (g *Gateway) Group() *store.Group { return g.group }

// Set returns the rule packs.
func (g *Gateway) Set() *rulepack.Set { return g.set }

// Calendar returns the working-day calendar.
func (g *Gateway) Calendar() *calendar.Calendar { return g.cal }

// Now returns the gateway's clock.
func (g *Gateway) Now() time.Time { return g.now() }

// Stats returns how many batches were committed and how many checks they
// held (retries of a failed batch not included).
func (g *Gateway) Stats() (batches, checks int64) { return g.batches.Load(), g.batched.Load() }

// QueueDepth is the number of checks waiting or in the running batch.
func (g *Gateway) QueueDepth() int64 { return g.depth.Load() }

func (g *Gateway) pseudonymizer(ctx context.Context, tx store.ReadTx) (*audit.Pseudonymizer, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pseudo != nil {
		return g.pseudo, nil
	}
	k, err := tx.PseudonymKey(ctx)
	if err != nil {
		return nil, err
	}
	p, err := audit.NewPseudonymizer(k)
	if err != nil {
		return nil, err
	}
	g.pseudo = p
	return p, nil
}

// Pseudonymizer returns the per-database pseudonymizer for audit payloads.
func (g *Gateway) Pseudonymizer(ctx context.Context) (*audit.Pseudonymizer, error) {
	var p *audit.Pseudonymizer
	err := g.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		p, err = g.pseudonymizer(ctx, tx)
		return err
	})
	return p, err
}

// pending is one check waiting for, or inside, a batch.
type pending struct {
	actor Actor
	key   string // the client's Idempotency-Key, as sent
	skey  string // the key stored: key scoped to the caller's token (ScopedKey)
	req   *Request
	hash  []byte
	now   time.Time
	// state: 0 queued, 1 taken by a batch, 2 abandoned by its caller (it
	// timed out or went away before its batch started: it never runs).
	state atomic.Int32
	done  chan outcome
}

type outcome struct {
	resp   *Response
	raw    []byte
	replay bool
	err    error
}

// Check decides a transfer and records the decision durably. It returns the
// answer as JSON bytes (the same bytes a retry with the same key gets) and
// whether it was replayed from an earlier identical request.
func (g *Gateway) Check(ctx context.Context, actor Actor, key string, body []byte) (*Response, []byte, bool, error) {
	start := time.Now()
	o := g.check(ctx, actor, key, body)
	g.latency.Observe(time.Since(start).Seconds())
	switch {
	case o.err != nil:
		g.checks.WithLabelValues("error").Inc()
	case !o.replay:
		g.checks.WithLabelValues(o.resp.Decision).Inc()
	}
	return o.resp, o.raw, o.replay, o.err
}

func (g *Gateway) check(ctx context.Context, actor Actor, key string, body []byte) outcome {
	now := g.now()
	req, err := g.admit(actor, key, body, now)
	if err != nil {
		// A refused attempt is a security event: it goes into the log too
		// (not its body, which may hold anything: only its digest).
		g.logRefusal(ctx, actor, key, body, req, err, now)
		return outcome{err: err}
	}
	p := &pending{actor: actor, key: key, skey: ScopedKey(actor.TokenHash, key), req: req, hash: req.Hash(), now: now, done: make(chan outcome, 1)}
	o := g.submit(ctx, p)
	if o.err == nil && !o.replay && o.resp == nil {
		// Never an allow without a recorded answer: fail closed.
		g.log.Error("check answered without a decision", "transfer", req.ID)
		o.err = &Error{Code: CodeUnavailable, Message: "the check could not be recorded durably, so it is not allowed: retry with the same Idempotency-Key"}
	}
	// Counted here, once per answer, not in the batch (which may run twice).
	if e := (*Error)(nil); errors.As(o.err, &e) && (e.Code == CodeTransferExists || e.Code == CodeIdempotencyReuse) {
		g.refused.WithLabelValues(e.Code).Inc()
	}
	if o.err == nil && o.replay {
		o.resp = &Response{}
		if err := json.Unmarshal(o.raw, o.resp); err != nil {
			return outcome{err: &Error{Code: CodeInternal, Message: "stored answer unreadable"}}
		}
	}
	return o
}

// admit validates a check before it is queued: the key, the body, the
// actor's right to it.
func (g *Gateway) admit(actor Actor, key string, body []byte, now time.Time) (*Request, *Error) {
	if err := validKey(key); err != nil {
		return nil, err.(*Error)
	}
	req, err := Parse(body)
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			return nil, ge
		}
		return nil, invalid([]string{err.Error()})
	}
	if req.Backfill && actor.Role != store.RoleAdmin {
		return req, &Error{Code: CodeForbidden, Message: "only an admin may record a backfill"}
	}
	if actor.Role == store.RoleAuditor {
		return req, &Error{Code: CodeForbidden, Message: "the auditor role is read-only"}
	}
	if req.Backfill {
		// A backfill records a transfer that already happened: a future date
		// would spend next year's volume today.
		if d, _ := model.ParseDate(req.Date); d > model.DateOf(now) {
			return req, invalid([]string{fmt.Sprintf("date: %s is after today (%s, China time): a backfill records a past transfer", req.Date, model.DateOf(now))})
		}
	}
	if req.Exemption != "" {
		if exists, claimable := g.set.Claimable(req.Exemption); !exists || !claimable {
			return req, invalid([]string{fmt.Sprintf("exemption: %q is not an exemption that may be claimed under the loaded packs", req.Exemption)})
		}
	}
	return req, nil
}

// refusalBody is what the log keeps of a refused check attempt.
type refusalBody struct {
	Code           string `json:"code"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	Processor      string `json:"processor,omitempty"`
	// RequestSHA256 is the digest of the parsed request (Request.Hash), the
	// one the transfer.check entries and the idempotency records use, so
	// an inspector can match a refused attempt with an accepted one;
	// BodySHA256 is the digest of the raw body, given instead when the body
	// did not parse.
	RequestSHA256 string `json:"request_sha256,omitempty"`
	BodySHA256    string `json:"body_sha256,omitempty"`
	Transfer      string `json:"transfer,omitempty"`
}

func newRefusal(ps *audit.Pseudonymizer, key string, hash []byte, req *Request, code string) refusalBody {
	b := refusalBody{Code: code, RequestSHA256: hex.EncodeToString(hash)}
	if key != "" {
		b.IdempotencyKey = ps.Hash("idempotency_key", key)
	}
	if req != nil {
		b.Transfer, b.Processor = redact(ps, req.ID), redact(ps, req.Processor)
	}
	return b
}

// logRefusal records a check refused before it was queued. It shares the
// group committer (and its backpressure) with the checks; if the log cannot
// take it the refusal is still answered, and the failure is logged.
func (g *Gateway) logRefusal(ctx context.Context, actor Actor, key string, body []byte, req *Request, e *Error, now time.Time) {
	g.refused.WithLabelValues(e.Code).Inc()
	err := g.group.Do(ctx, func(tx store.Tx) error {
		ps, err := g.pseudonymizer(ctx, tx)
		if err != nil {
			return err
		}
		var rb refusalBody
		if req != nil {
			rb = newRefusal(ps, key, req.Hash(), req, e.Code)
		} else {
			h := sha256.Sum256(body)
			rb = newRefusal(ps, key, nil, nil, e.Code) // no request: no request_sha256
			rb.BodySHA256 = hex.EncodeToString(h[:])
		}
		eb, err := json.Marshal(rb)
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "check.refused", Actor: actor.String(), Body: eb})
		return err
	})
	if err != nil {
		g.log.Warn("refused check not logged", "code", e.Code, "err", err)
	}
}

var errOverloaded = &Error{Code: CodeOverloaded, Message: "the service is overloaded and did not record this check: retry with the same Idempotency-Key"}

// submit queues p and waits for its outcome. A check that cannot enter the
// queue, or whose batch has not started, within QueueTimeout (or whose
// caller goes away) is abandoned: it never runs, nothing of it is stored.
// Once its batch has started it always waits for the commit, so the answer
// says what happened.
func (g *Gateway) submit(ctx context.Context, p *pending) outcome {
	timer := time.NewTimer(g.opt.QueueTimeout)
	defer timer.Stop()
	g.qmu.RLock()
	if g.closed {
		g.qmu.RUnlock()
		return outcome{err: &Error{Code: CodeUnavailable, Message: "the service is shutting down and did not record this check: retry with the same Idempotency-Key"}}
	}
	g.depth.Add(1)
	select {
	case g.queue <- p:
	case <-ctx.Done():
		g.depth.Add(-1)
		g.qmu.RUnlock()
		return outcome{err: errOverloaded}
	case <-timer.C:
		g.depth.Add(-1)
		g.qmu.RUnlock()
		return outcome{err: errOverloaded}
	}
	g.qmu.RUnlock()
	select {
	case o := <-p.done:
		return o
	case <-ctx.Done():
	case <-timer.C:
	}
	if p.state.CompareAndSwap(0, 2) {
		return outcome{err: errOverloaded}
	}
	return <-p.done
}

func (g *Gateway) loop() {
	defer close(g.loopDone)
	max := g.opt.Group.MaxBatch
	batch := make([]*pending, 0, max)
	for {
		first, ok := <-g.queue
		if !ok {
			return
		}
		batch = g.take(batch[:0], first)
	gather:
		for len(batch) < max {
			select {
			case p, ok := <-g.queue:
				if !ok {
					break gather
				}
				batch = g.take(batch, p)
			default:
				break gather
			}
		}
		if len(batch) > 0 {
			g.run(batch)
		}
		clear(batch)
	}
}

// take adds p to the batch unless its caller abandoned it.
func (g *Gateway) take(batch []*pending, p *pending) []*pending {
	if p.state.CompareAndSwap(0, 1) {
		return append(batch, p)
	}
	g.depth.Add(-1)
	return batch
}

func (g *Gateway) deliver(p *pending, o outcome) {
	g.depth.Add(-1)
	p.done <- o
}

// run commits a batch.
//
// The first attempt looks nothing up in storage: new keys and transfer ids
// are the normal case, and a key already stored (a retry) or a transfer id
// already allowed makes the insert of the key or of the transfer's marker
// hit its unique constraint, which fails the attempt. The batch then runs
// again with both looked up under the lock, which turns those checks into
// replays and refusals. Only if that fails too (a check the store refuses)
// are the checks run one per transaction, so one bad check cannot fail its
// neighbours. Nothing of a failed attempt is kept, so running again is safe;
// a check whose commit did happen although its answer was lost with the
// connection is found by its key and replayed.
func (g *Gateway) run(batch []*pending) {
	g.batchSz.Observe(float64(len(batch)))
	outs := make([]outcome, len(batch))
	attempt := func(ps []*pending, os []outcome, lookup bool) error {
		clear(os)
		return g.group.Do(context.Background(), func(tx store.Tx) error { return g.decideBatch(tx, ps, os, lookup) })
	}
	err := attempt(batch, outs, false)
	if err != nil && !unavailable(err) {
		g.log.Debug("check batch refused: running it again with lookups", "err", err, "checks", len(batch))
		g.reruns.WithLabelValues("lookup").Inc()
		err = attempt(batch, outs, true)
	}
	if err == nil {
		g.batches.Add(1)
		g.batched.Add(int64(len(batch)))
		for i, p := range batch {
			g.deliver(p, outs[i])
		}
		return
	}
	if len(batch) == 1 || unavailable(err) {
		g.log.Error("check batch not recorded", "err", err, "checks", len(batch))
		for _, p := range batch {
			g.deliver(p, outcome{err: g.failure(err)})
		}
		return
	}
	g.log.Warn("check batch not recorded: running its checks one by one", "err", err, "checks", len(batch))
	g.reruns.WithLabelValues("single").Inc()
	for i, p := range batch {
		one := outs[i : i+1]
		if err := attempt(batch[i:i+1], one, true); err != nil {
			g.log.Error("check not recorded", "err", err, "transfer", p.req.ID)
			one[0] = outcome{err: g.failure(err)}
		}
		g.deliver(p, one[0])
	}
}

func unavailable(err error) bool {
	c := store.CodeOf(err)
	return c == store.CodeUnavailable || c == store.CodeClosed
}

// failure is the answer for a check the store did not record.
func (g *Gateway) failure(err error) error {
	if store.CodeOf(err) == store.CodeInvalid {
		return &Error{Code: CodeInvalid, Message: "the check cannot be recorded: " + err.Error()}
	}
	return &Error{Code: CodeUnavailable, Message: "the check could not be recorded durably, so it is not allowed: retry with the same Idempotency-Key"}
}

// validKey accepts printable ASCII keys of at most 200 characters. Keeping
// control characters out leaves room for the gateway's own records in the
// same key space (see markerKey and ScopedKey).
func validKey(key string) error {
	if key == "" {
		return &Error{Code: CodeIdempotencyKey, Message: "an Idempotency-Key header is required so that a retried check is counted once"}
	}
	if len(key) > 200 {
		return &Error{Code: CodeInvalid, Message: "the Idempotency-Key is longer than 200 characters"}
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return &Error{Code: CodeInvalid, Message: fmt.Sprintf("the Idempotency-Key has a character outside printable ASCII at byte %d", i+1)}
		}
	}
	return nil
}

// ScopedKey is the idempotency-table key under which the answer to a
// client's Idempotency-Key is kept: the key in the space of the caller's
// token, "\x1f" + the first 16 bytes of the token's SHA-256 in hex + "\x1f"
// + key. Keys are per caller, so the same key from two tokens is two keys,
// and a caller can never be given another's answer. The unit
// separator cannot occur in a client's key (validKey), so a scoped key never
// equals an unscoped one nor a transfer's marker (markerKey); 128 bits of
// the hash keep tokens apart. Without a token hash (callers inside the
// process) the key is kept as it is.
//
// Keys stored before keys were scoped (unscoped, global) are not found by
// a caller with a token: a retry of such a check is decided again, and an
// allowed transfer id is still refused by its marker (transfer_exists), so
// nothing is counted twice. They are purged with the other keys after the
// idempotency TTL.
func ScopedKey(tokenHash []byte, key string) string {
	if len(tokenHash) == 0 {
		return key
	}
	if len(tokenHash) > 16 {
		tokenHash = tokenHash[:16]
	}
	return "\x1f" + hex.EncodeToString(tokenHash) + "\x1f" + key
}

// markerKey is the idempotency-table key recording that a transfer id was
// allowed. The record separator cannot occur in a client's key (validKey),
// so the two never collide; the lookup is the table's primary key, inside
// the same locked transaction as the check, so two processes cannot both
// allow one transfer id.
func markerKey(transferID string) string { return "\x1eallowed-transfer\x1e" + transferID }

// markerTime is stored as the marker's time so that purging old
// idempotency keys (PurgeIdempotency, by age) never removes a marker.
var markerTime = time.Unix(0, 1<<62)

type marker struct {
	Transfer string `json:"transfer"`
	LogIndex uint64 `json:"log_index"`
	Date     string `json:"date"`
}

func transferExists(id string, raw []byte) *Error {
	var m marker
	_ = json.Unmarshal(raw, &m)
	return &Error{Code: CodeTransferExists, Message: fmt.Sprintf("transfer %s was already allowed (audit log index %d, %s): a transfer id is allowed once; use a new id for a new transfer, or the first Idempotency-Key to read the first answer", id, m.LogIndex, m.Date)}
}

func sameHash(a, b []byte) bool { return bytes.Equal(a, b) }
