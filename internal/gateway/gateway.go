package gateway

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/calendar"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/transfer"
)

// Actor is the authenticated caller.
type Actor struct {
	Name string
	Role string
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
	Group    store.GroupOptions
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// Gateway decides and records checks.
type Gateway struct {
	st    store.Store
	group *store.Group
	set   *rulepack.Set
	cal   *calendar.Calendar
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	prepared *assess.Prepared
	version  int64
	pseudo   *audit.Pseudonymizer

	checks  *prometheus.CounterVec
	latency prometheus.Histogram
	logSize prometheus.Gauge
	invVer  prometheus.Gauge
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
	g := &Gateway{st: st, group: store.NewGroup(st, opt.Group), set: opt.Set, cal: opt.Calendar, now: opt.Now, log: opt.Logger, version: -1}
	g.checks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xborder_checks_total", Help: "Transfer checks by decision (allow, deny, error)."}, []string{"decision"})
	g.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xborder_check_duration_seconds", Help: "Time to answer a check, including the durable commit.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}})
	g.logSize = prometheus.NewGauge(prometheus.GaugeOpts{Name: "xborder_audit_log_size", Help: "Entries in the audit log."})
	g.invVer = prometheus.NewGauge(prometheus.GaugeOpts{Name: "xborder_inventory_version", Help: "Version of the inventory the gateway decides with."})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xborder_commit_queue_depth", Help: "Checks waiting for or inside the current group commit."},
		func() float64 { return float64(g.group.QueueDepth()) })
	if opt.Registry != nil {
		for _, c := range []prometheus.Collector{g.checks, g.latency, g.logSize, g.invVer, depth} {
			if err := opt.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("gateway: register metrics: %w", err)
			}
		}
	}
	for _, d := range []string{"allow", "deny", "error"} {
		g.checks.WithLabelValues(d)
	}
	return g, nil
}

// Close finishes queued checks and stops.
func (g *Gateway) Close() error { return g.group.Close() }

// Group exposes the group committer so other writers (inventory changes)
// share its ordering.
func (g *Gateway) Group() *store.Group { return g.group }

// Set returns the rule packs.
func (g *Gateway) Set() *rulepack.Set { return g.set }

// Calendar returns the working-day calendar.
func (g *Gateway) Calendar() *calendar.Calendar { return g.cal }

// Now returns the gateway's clock.
func (g *Gateway) Now() time.Time { return g.now() }

// prepare returns the compiled inventory for the version stored in tx,
// compiling it when it changed (another instance may have changed it).
func (g *Gateway) prepare(ctx context.Context, tx store.ReadTx) (*assess.Prepared, int64, error) {
	v, err := tx.InventoryVersion(ctx)
	if err != nil {
		return nil, 0, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.prepared != nil && g.version == v {
		return g.prepared, v, nil
	}
	inv, err := tx.Inventory(ctx)
	if err != nil {
		return nil, 0, err
	}
	m := &model.Inventory{Processors: inv.Processors, Assets: inv.Assets, Approvals: inv.Approvals}
	g.prepared = assess.Prepare(ctx, m, g.set, assess.Options{AsOf: model.DateOf(g.now()), Calendar: g.cal})
	g.version = v
	g.invVer.Set(float64(v))
	return g.prepared, v, nil
}

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

// Check decides a transfer and records the decision durably. It returns the
// answer as JSON bytes (the same bytes a retry with the same key gets) and
// whether it was replayed from an earlier identical request.
func (g *Gateway) Check(ctx context.Context, actor Actor, key string, body []byte) (*Response, []byte, bool, error) {
	start := time.Now()
	resp, raw, replay, err := g.check(ctx, actor, key, body)
	g.latency.Observe(time.Since(start).Seconds())
	switch {
	case err != nil:
		g.checks.WithLabelValues("error").Inc()
	case !replay:
		g.checks.WithLabelValues(resp.Decision).Inc()
	}
	return resp, raw, replay, err
}

func (g *Gateway) check(ctx context.Context, actor Actor, key string, body []byte) (*Response, []byte, bool, error) {
	if key == "" {
		return nil, nil, false, &Error{Code: CodeIdempotencyKey, Message: "an Idempotency-Key header is required so that a retried check is counted once"}
	}
	if len(key) > 200 {
		return nil, nil, false, &Error{Code: CodeInvalid, Message: "the Idempotency-Key is longer than 200 characters"}
	}
	req, err := Parse(body)
	if err != nil {
		return nil, nil, false, err
	}
	if req.Backfill && actor.Role != store.RoleAdmin {
		return nil, nil, false, &Error{Code: CodeForbidden, Message: "only an admin may record a backfill"}
	}
	if actor.Role == store.RoleAuditor {
		return nil, nil, false, &Error{Code: CodeForbidden, Message: "the auditor role is read-only"}
	}
	if req.Exemption != "" {
		if exists, claimable := g.set.Claimable(req.Exemption); !exists || !claimable {
			return nil, nil, false, invalid([]string{fmt.Sprintf("exemption: %q is not an exemption that may be claimed under the loaded packs", req.Exemption)})
		}
	}
	hash := req.Hash()
	now := g.now()
	date := model.DateOf(now)
	if req.Backfill {
		date, _ = model.ParseDate(req.Date)
	}
	var resp *Response
	var raw []byte
	replay := false
	err = g.group.Do(ctx, func(tx store.Tx) error {
		resp, raw, replay = nil, nil, false
		if rec, err := tx.Idempotency(ctx, key); err == nil {
			if string(rec.RequestHash) != string(hash) {
				return &Error{Code: CodeIdempotencyReuse, Message: "this Idempotency-Key was used with a different request body"}
			}
			raw, replay = rec.Response, true
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r, b, err := g.decide(ctx, tx, actor, key, req, hash, date, now)
		resp, raw = r, b
		return err
	})
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) {
			return nil, nil, false, ge
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, nil, false, &Error{Code: CodeOverloaded, Message: "the check was not recorded before the request ended: retry with the same Idempotency-Key"}
		}
		g.log.Error("check failed", "err", err, "transfer", req.ID)
		return nil, nil, false, &Error{Code: CodeUnavailable, Message: "the check could not be recorded durably, so it is not allowed: retry with the same Idempotency-Key"}
	}
	if replay {
		resp = &Response{}
		if err := json.Unmarshal(raw, resp); err != nil {
			return nil, nil, false, &Error{Code: CodeInternal, Message: "stored answer unreadable"}
		}
	}
	return resp, raw, replay, nil
}

// decide runs inside the shared transaction: it reads the counts the
// decision depends on, decides, and writes the record, the counts, the audit
// entry and the idempotency key.
func (g *Gateway) decide(ctx context.Context, tx store.Tx, actor Actor, key string, req *Request, hash []byte, date model.Date, now time.Time) (*Response, []byte, error) {
	prep, version, err := g.prepare(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	t := req.Transfer(date)
	year := date.Year()
	led := transfer.NewLedger()
	var deny []string
	proc := prep.Processor(t.Processor)
	var d *transfer.Decision
	if proc == nil {
		deny = append(deny, fmt.Sprintf("processor %s is not in the stored inventory", t.Processor))
	}
	for _, a := range t.Assets {
		as := prep.Asset(a)
		switch {
		case as == nil:
			deny = append(deny, fmt.Sprintf("asset %s is not in the stored inventory", a))
		case as.Processor != t.Processor:
			deny = append(deny, fmt.Sprintf("asset %s belongs to processor %s, not %s", a, as.Processor, t.Processor))
		}
	}
	if proc != nil {
		group := proc.GroupID()
		var members []string
		for _, p := range prep.Inventory().Processors {
			if p.GroupID() == group {
				members = append(members, p.ID)
			}
		}
		totals, err := tx.YearTotals(ctx, year, members...)
		if err != nil {
			return nil, nil, err
		}
		gt := &transfer.Tally{}
		for _, m := range members {
			c := totals[m]
			tl := transfer.Tally{Individuals: c.Individuals, SensitiveIndividuals: c.SensitiveIndividuals, Unknown: c.Unknown}
			if m == t.Processor {
				pt := tl
				led.Processor[transfer.Key{ID: m, Year: year}] = &pt
			}
			gt.Individuals += tl.Individuals
			gt.SensitiveIndividuals += tl.SensitiveIndividuals
			gt.Unknown = gt.Unknown || tl.Unknown
		}
		led.Group[transfer.Key{ID: group, Year: year}] = gt
		var ids []string
		for _, a := range prep.Inventory().Approvals {
			if a.Processor == t.Processor || (a.Group != "" && a.Group == group) {
				ids = append(ids, a.ID)
			}
		}
		if len(ids) > 0 {
			use, err := tx.ApprovalUsage(ctx, ids...)
			if err != nil {
				return nil, nil, err
			}
			for id, n := range use {
				led.ApprovalUse[id] = &transfer.Tally{Individuals: n}
			}
		}
	}
	resp := &Response{Transfer: t.ID, Date: date, Backfill: req.Backfill, InventoryVersion: version,
		Reasons: []model.Reason{}, Missing: []model.Missing{}, Findings: []model.Finding{}, Assets: []model.TransferAsset{}}
	if len(deny) == 0 {
		d = prep.Decide(t, led)
		r := d.Result
		resp.Mechanism, resp.Exemption, resp.Coverage, resp.Reasons, resp.Cumulative = r.Mechanism, r.Exemption, r.Coverage, r.Reasons, r.Cumulative
		resp.Missing = r.Missing
		resp.Assets = r.Assets
		if d.Findings != nil {
			resp.Findings = d.Findings
		}
		deny = append(deny, denyReasons(d)...)
	} else {
		resp.Mechanism = model.MechUndetermined
		resp.Coverage = model.Coverage{Status: model.CovUndetermined, Problems: []string{}}
	}
	allow := len(deny) == 0
	resp.Decision = store.DecisionDeny
	if allow {
		resp.Decision = store.DecisionAllow
	}
	if deny == nil {
		deny = []string{}
	}
	resp.DenyReasons = deny
	counted := allow && d != nil && d.Counted
	if allow {
		if counted {
			delta := model.Counts{Unknown: t.Individuals == nil || t.SensitiveIndividuals == nil}
			if t.Individuals != nil {
				delta.Individuals = *t.Individuals
			}
			if t.SensitiveIndividuals != nil {
				delta.SensitiveIndividuals = *t.SensitiveIndividuals
			}
			if err := tx.AddTotals(ctx, year, t.Processor, delta); err != nil {
				return nil, nil, err
			}
		}
		if d.Approval != "" {
			var n int64
			if t.Individuals != nil {
				n += *t.Individuals
			}
			if t.SensitiveIndividuals != nil {
				n += *t.SensitiveIndividuals
			}
			if err := tx.AddApprovalUsage(ctx, d.Approval, n); err != nil {
				return nil, nil, err
			}
		}
	}
	pseudo, err := g.pseudonymizer(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	entryBody, err := json.Marshal(auditBody(pseudo, req, resp, counted, key))
	if err != nil {
		return nil, nil, err
	}
	idx, err := tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "transfer.check", Actor: actor.String(), Body: entryBody})
	if err != nil {
		return nil, nil, err
	}
	resp.LogIndex = idx[0]
	raw, err := json.Marshal(resp)
	if err != nil {
		return nil, nil, err
	}
	rec := &store.CheckRecord{Transfer: *t, Decision: resp.Decision, Counted: counted, Backfill: req.Backfill, Actor: actor.String(), LogIndex: resp.LogIndex, At: now, Response: raw}
	if _, err := tx.RecordCheck(ctx, rec); err != nil {
		return nil, nil, err
	}
	if err := tx.PutIdempotency(ctx, store.IdempotencyRecord{Key: key, RequestHash: hash, Response: raw, At: now}); err != nil {
		return nil, nil, err
	}
	if size, err := tx.LogSize(ctx); err == nil {
		g.logSize.Set(float64(size))
	}
	return resp, raw, nil
}

// denyReasons lists why a decided transfer may not go ahead (SPEC §7): it is
// allowed only when exempt or covered, decided, and free of blocking findings.
func denyReasons(d *transfer.Decision) []string {
	var out []string
	r := d.Result
	if r.Mechanism == model.MechUndetermined {
		var facts []string
		for _, m := range r.Missing {
			facts = append(facts, m.Fact)
		}
		sort.Strings(facts)
		out = append(out, fmt.Sprintf("the mechanism is undetermined until these are known: %v", facts))
	} else if r.Mechanism != model.MechExempt && r.Coverage.Status != model.CovCovered {
		out = append(out, fmt.Sprintf("it needs a %s and coverage is %s", r.Mechanism, r.Coverage.Status))
	}
	for _, f := range d.Findings {
		if f.Blocking {
			out = append(out, f.Kind+": "+f.Text)
		}
	}
	return out
}

// auditBody is what the log keeps of a check: the decision and its inputs,
// with identifiers in free text pseudonymised and the idempotency key hashed.
func auditBody(p *audit.Pseudonymizer, req *Request, resp *Response, counted bool, key string) map[string]any {
	b := map[string]any{
		"transfer": req.ID, "processor": req.Processor, "date": resp.Date.String(), "assets": req.Assets,
		"recipient": req.Recipient, "decision": resp.Decision, "mechanism": resp.Mechanism,
		"coverage": resp.Coverage.Status, "counted": counted, "inventory_version": resp.InventoryVersion,
		"idempotency_key": p.Hash("idempotency_key", key), "request_sha256": hex.EncodeToString(req.Hash()),
	}
	if req.Purpose != "" {
		b["purpose"] = redact(p, req.Purpose)
	}
	if req.Individuals != nil {
		b["individuals"] = *req.Individuals
	}
	if req.SensitiveIndividuals != nil {
		b["sensitive_individuals"] = *req.SensitiveIndividuals
	}
	if resp.Exemption != nil {
		b["exemption"] = *resp.Exemption
	}
	if req.Exemption != "" {
		b["exemption_claimed"] = req.Exemption
		b["exemption_ref"] = redact(p, req.ExemptionRef)
	}
	if resp.Coverage.Approval != "" {
		b["approval"] = resp.Coverage.Approval
	}
	if len(resp.DenyReasons) > 0 {
		b["deny_reasons"] = resp.DenyReasons
	}
	if req.Backfill {
		b["backfill"] = true
	}
	return b
}
