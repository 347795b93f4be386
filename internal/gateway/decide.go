package gateway

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/transfer"
)

// compiled is the stored inventory prepared for deciding, with the lookups a
// check needs, for one inventory version and day.
type compiled struct {
	prep    *assess.Prepared
	version int64
	day     model.Date
	// members lists each group's processors; approvals lists the approvals
	// a processor may rely on (its own and its group's).
	members   map[string][]string
	approvals map[string][]string
}

// compile returns the prepared inventory for the version stored in tx,
// preparing it again when it changed (another instance may have changed it)
// or the day turned.
func (g *Gateway) compile(ctx context.Context, tx store.ReadTx) (*compiled, error) {
	v, err := tx.InventoryVersion(ctx)
	if err != nil {
		return nil, err
	}
	day := model.DateOf(g.now())
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.comp; c != nil && c.version == v && c.day == day {
		return c, nil
	}
	inv, err := tx.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	m := &model.Inventory{Processors: inv.Processors, Assets: inv.Assets, Approvals: inv.Approvals}
	c := &compiled{prep: assess.Prepare(ctx, m, g.set, assess.Options{AsOf: day, Calendar: g.cal}), version: v, day: day,
		members: map[string][]string{}, approvals: map[string][]string{}}
	for _, p := range inv.Processors {
		c.members[p.GroupID()] = append(c.members[p.GroupID()], p.ID)
	}
	for _, p := range inv.Processors {
		group := p.GroupID()
		for _, a := range inv.Approvals {
			if a.Processor == p.ID || (a.Group != "" && a.Group == group) {
				c.approvals[p.ID] = append(c.approvals[p.ID], a.ID)
			}
		}
	}
	g.comp = c
	return c, nil
}

// batchState is what one batch carries from check to check: the counts read
// once and updated in memory as checks are allowed, the keys and transfer
// ids already answered, and the count increments to write at the end.
type batchState struct {
	led          *transfer.Ledger
	totalsLoaded map[transfer.Key]bool // group-year
	keys         map[string]answered
	allowed      map[string][]byte // transfer id -> marker
	addTotals    map[transfer.Key]model.Counts
	addUsage     map[string]int64
}

type answered struct {
	hash, raw []byte
}

func newBatchState() *batchState {
	return &batchState{led: transfer.NewLedger(), totalsLoaded: map[transfer.Key]bool{},
		keys: map[string]answered{}, allowed: map[string][]byte{}, addTotals: map[transfer.Key]model.Counts{}, addUsage: map[string]int64{}}
}

// decideBatch runs inside the shared transaction, holding the store's
// global lock: each check reads the counts its decision depends on (as
// stored plus this batch's earlier checks), is decided, and its record,
// audit entry and idempotency key are written; the summed count increments
// are written last. outs receives each check's answer; an error means
// nothing of the batch may be kept.
func (g *Gateway) decideBatch(tx store.Tx, batch []*pending, outs []outcome, lookup bool) error {
	ctx := context.Background()
	c, err := g.compile(ctx, tx)
	if err != nil {
		return err
	}
	pseudo, err := g.pseudonymizer(ctx, tx)
	if err != nil {
		return err
	}
	st := newBatchState()
	if err := st.preload(ctx, tx, c, batch); err != nil {
		return err
	}
	for i, p := range batch {
		o, err := g.decideOne(ctx, tx, c, pseudo, st, p, lookup)
		if err != nil {
			return fmt.Errorf("check of transfer %s: %w", p.req.ID, err)
		}
		outs[i] = o
	}
	keys := make([]transfer.Key, 0, len(st.addTotals))
	for k := range st.addTotals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Year != keys[j].Year {
			return keys[i].Year < keys[j].Year
		}
		return keys[i].ID < keys[j].ID
	})
	for _, k := range keys {
		if err := tx.AddTotals(ctx, k.Year, k.ID, st.addTotals[k]); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(st.addUsage))
	for id := range st.addUsage {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := tx.AddApprovalUsage(ctx, id, st.addUsage[id]); err != nil {
			return err
		}
	}
	return nil
}

// preload reads, in one query per year and one for all approvals, the
// yearly totals of every processor in the groups the batch's checks touch
// and what the caps of the approvals they may rely on have consumed.
func (st *batchState) preload(ctx context.Context, tx store.Tx, c *compiled, batch []*pending) error {
	procs := map[int][]string{}
	var approvals []string
	seenApproval := map[string]bool{}
	for _, p := range batch {
		proc := c.prep.Processor(p.req.Processor)
		if proc == nil {
			continue
		}
		year := p.date().Year()
		gk := transfer.Key{ID: proc.GroupID(), Year: year}
		if !st.totalsLoaded[gk] {
			st.totalsLoaded[gk] = true
			procs[year] = append(procs[year], c.members[gk.ID]...)
		}
		for _, id := range c.approvals[proc.ID] {
			if !seenApproval[id] {
				seenApproval[id] = true
				approvals = append(approvals, id)
			}
		}
	}
	for year, ps := range procs {
		totals, err := tx.YearTotals(ctx, year, ps...)
		if err != nil {
			return err
		}
		for _, m := range ps {
			t := totals[m]
			st.led.Processor[transfer.Key{ID: m, Year: year}] = &transfer.Tally{Individuals: t.Individuals, SensitiveIndividuals: t.SensitiveIndividuals, Unknown: t.Unknown}
		}
	}
	for gk := range st.totalsLoaded {
		gt := &transfer.Tally{}
		for _, m := range c.members[gk.ID] {
			t := st.led.Processor[transfer.Key{ID: m, Year: gk.Year}]
			gt.Individuals += t.Individuals
			gt.SensitiveIndividuals += t.SensitiveIndividuals
			gt.Unknown = gt.Unknown || t.Unknown
		}
		st.led.Group[gk] = gt
	}
	if len(approvals) > 0 {
		use, err := tx.ApprovalUsage(ctx, approvals...)
		if err != nil {
			return err
		}
		for _, id := range approvals {
			st.led.ApprovalUse[id] = &transfer.Tally{Individuals: use[id]}
		}
	}
	return nil
}

// decideOne answers one check of a batch. Answers that record nothing
// (replays, key reuse, a transfer id already allowed) come back in the
// outcome; an error aborts the batch.
//
// lookup says whether the key and the transfer id are looked up in storage;
// without it only this batch's earlier checks are consulted, and the unique
// constraints on the key and the transfer's marker catch the rest (run).
func (g *Gateway) decideOne(ctx context.Context, tx store.Tx, c *compiled, pseudo *audit.Pseudonymizer, st *batchState, p *pending, lookup bool) (outcome, error) {
	// A retry with the same key gets the first answer; another body is refused.
	if a, ok := st.keys[p.skey]; ok {
		return g.logged(ctx, tx, pseudo, p, replayOf(a.hash, a.raw, p.hash))
	}
	if lookup {
		if rec, err := tx.Idempotency(ctx, p.skey); err == nil {
			return g.logged(ctx, tx, pseudo, p, replayOf(rec.RequestHash, rec.Response, p.hash))
		} else if !errors.Is(err, store.ErrNotFound) {
			return outcome{}, err
		}
	}
	// A transfer id is allowed at most once; a denied one may be checked
	// again (under a new key), e.g. after an approval was added.
	if m, ok := st.allowed[p.req.ID]; ok {
		return g.logged(ctx, tx, pseudo, p, outcome{err: transferExists(p.req.ID, m)})
	}
	if lookup {
		if rec, err := tx.Idempotency(ctx, markerKey(p.req.ID)); err == nil {
			return g.logged(ctx, tx, pseudo, p, outcome{err: transferExists(p.req.ID, rec.Response)})
		} else if !errors.Is(err, store.ErrNotFound) {
			return outcome{}, err
		}
	}

	req := p.req
	date := p.date()
	t := req.Transfer(date)
	year := date.Year()
	prep := c.prep
	var deny []string
	proc := prep.Processor(t.Processor)
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
	resp := &Response{Transfer: t.ID, Date: date, Backfill: req.Backfill, InventoryVersion: c.version,
		Reasons: []model.Reason{}, Missing: []model.Missing{}, Findings: []model.Finding{}, Assets: []model.TransferAsset{}}
	var d *transfer.Decision
	if len(deny) == 0 {
		d = prep.Decide(t, st.led)
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
	counted := allow && d.Counted
	if allow {
		st.led.Apply(d)
		if counted {
			delta := model.Counts{Unknown: t.Individuals == nil || t.SensitiveIndividuals == nil}
			if t.Individuals != nil {
				delta.Individuals = *t.Individuals
			}
			if t.SensitiveIndividuals != nil {
				delta.SensitiveIndividuals = *t.SensitiveIndividuals
			}
			// Unknown counts are counted per transfer by the store, so
			// they are written one by one; known counts are summed.
			if delta.Unknown {
				if err := tx.AddTotals(ctx, year, t.Processor, delta); err != nil {
					return outcome{}, err
				}
			} else {
				k := transfer.Key{ID: t.Processor, Year: year}
				sum := st.addTotals[k]
				sum.Individuals += delta.Individuals
				sum.SensitiveIndividuals += delta.SensitiveIndividuals
				st.addTotals[k] = sum
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
			st.addUsage[d.Approval] += n
		}
	}
	entryBody, err := json.Marshal(newAuditBody(pseudo, g.packRefs, p, resp, counted))
	if err != nil {
		return outcome{}, err
	}
	idx, err := tx.AppendAudit(ctx, audit.Entry{Time: p.now, Kind: "transfer.check", Actor: p.actor.String(), Body: entryBody})
	if err != nil {
		return outcome{}, err
	}
	resp.LogIndex = idx[0]
	raw, err := json.Marshal(resp)
	if err != nil {
		return outcome{}, err
	}
	// The record keeps a summary of the answer (what GET /v1/transfers
	// shows); the full answer is kept once, with the idempotency key, for
	// replays. Writing it twice cost a fifth of the bytes each check commits.
	sumRaw, err := json.Marshal(summary{Decision: resp.Decision, Transfer: resp.Transfer, Date: resp.Date, Mechanism: resp.Mechanism,
		Exemption: resp.Exemption, Coverage: resp.Coverage, DenyReasons: resp.DenyReasons, Cumulative: resp.Cumulative,
		Backfill: resp.Backfill, LogIndex: resp.LogIndex, InventoryVersion: resp.InventoryVersion})
	if err != nil {
		return outcome{}, err
	}
	rec := &store.CheckRecord{Transfer: *t, Decision: resp.Decision, Counted: counted, Backfill: req.Backfill, Actor: p.actor.String(), LogIndex: resp.LogIndex, At: p.now, Response: sumRaw}
	if _, err := tx.RecordCheck(ctx, rec); err != nil {
		return outcome{}, err
	}
	if err := tx.PutIdempotency(ctx, store.IdempotencyRecord{Key: p.skey, RequestHash: p.hash, Response: raw, At: p.now}); err != nil {
		return outcome{}, err
	}
	st.keys[p.skey] = answered{hash: p.hash, raw: raw}
	if allow {
		m, _ := json.Marshal(marker{Transfer: t.ID, LogIndex: resp.LogIndex, Date: date.String()})
		if err := tx.PutIdempotency(ctx, store.IdempotencyRecord{Key: markerKey(t.ID), RequestHash: p.hash, Response: m, At: markerTime}); err != nil {
			return outcome{}, err
		}
		st.allowed[t.ID] = m
	}
	return outcome{resp: resp, raw: raw}, nil
}

// logged records a check refused inside its batch (a reused key, a
// transfer id already allowed) as a check.refused entry of the same
// transaction; a replay of the first answer is no refusal and is not logged.
func (g *Gateway) logged(ctx context.Context, tx store.Tx, ps *audit.Pseudonymizer, p *pending, o outcome) (outcome, error) {
	var e *Error
	if !errors.As(o.err, &e) {
		return o, nil
	}
	eb, err := json.Marshal(newRefusal(ps, p.key, p.hash, p.req, e.Code))
	if err != nil {
		return outcome{}, err
	}
	if _, err := tx.AppendAudit(ctx, audit.Entry{Time: p.now, Kind: "check.refused", Actor: p.actor.String(), Body: eb}); err != nil {
		return outcome{}, err
	}
	return o, nil
}

// summary is the part of an answer a check record keeps: the same fields as
// Response, without the explanations (reasons, missing facts, findings,
// asset results), which the replayable full answer holds.
type summary struct {
	Decision         string           `json:"decision"`
	Transfer         string           `json:"transfer"`
	Date             model.Date       `json:"date"`
	Mechanism        string           `json:"mechanism"`
	Exemption        *string          `json:"exemption"`
	Coverage         model.Coverage   `json:"coverage"`
	DenyReasons      []string         `json:"deny_reasons"`
	Cumulative       model.Cumulative `json:"cumulative"`
	Backfill         bool             `json:"backfill,omitempty"`
	LogIndex         uint64           `json:"log_index"`
	InventoryVersion int64            `json:"inventory_version"`
}

// date is the transfer's date: today in China time, or a backfill's own.
func (p *pending) date() model.Date {
	if p.req.Backfill {
		d, _ := model.ParseDate(p.req.Date)
		return d
	}
	return model.DateOf(p.now)
}

func replayOf(storedHash, raw, hash []byte) outcome {
	if !sameHash(storedHash, hash) {
		return outcome{err: &Error{Code: CodeIdempotencyReuse, Message: "this Idempotency-Key was used with a different request body"}}
	}
	return outcome{raw: raw, replay: true}
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
	} else if r.Coverage.Status == model.CovUndetermined {
		// Exempt, but a condition on leaving is not known to hold.
		out = append(out, "coverage is undetermined: "+strings.Join(r.Coverage.Problems, "; "))
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
// Fields are in alphabetical order (the order the log has always used).
type auditBody struct {
	Approval             string          `json:"approval,omitempty"`
	Assets               []string        `json:"assets"`
	Backfill             bool            `json:"backfill,omitempty"`
	Counted              bool            `json:"counted"`
	Coverage             string          `json:"coverage"`
	Date                 string          `json:"date"`
	Decision             string          `json:"decision"`
	DenyReasons          []string        `json:"deny_reasons,omitempty"`
	Exemption            *string         `json:"exemption,omitempty"`
	ExemptionClaimed     string          `json:"exemption_claimed,omitempty"`
	ExemptionRef         *string         `json:"exemption_ref,omitempty"`
	IdempotencyKey       string          `json:"idempotency_key"`
	Individuals          *int64          `json:"individuals,omitempty"`
	InventoryVersion     int64           `json:"inventory_version"`
	Mechanism            string          `json:"mechanism"`
	Packs                []string        `json:"packs"`
	Processor            string          `json:"processor"`
	Purpose              string          `json:"purpose,omitempty"`
	Recipient            model.Recipient `json:"recipient"`
	RequestSHA256        string          `json:"request_sha256"`
	SensitiveIndividuals *int64          `json:"sensitive_individuals,omitempty"`
	Transfer             string          `json:"transfer"`
}

func newAuditBody(ps *audit.Pseudonymizer, packs []string, p *pending, resp *Response, counted bool) *auditBody {
	req := p.req
	// Every field a client chose goes through the redactor, not only the
	// free text: the log is append-only for 3 years, so a VIN used as a
	// transfer id or a phone number in a recipient's name would be stuck
	// there. Identifiers the detectors find become keyed pseudonyms; ids
	// without any stay as they are.
	assets := make([]string, len(req.Assets))
	for i, a := range req.Assets {
		assets[i] = redact(ps, a)
	}
	rcpt := req.Recipient
	rcpt.Name = redact(ps, rcpt.Name)
	b := &auditBody{Transfer: redact(ps, req.ID), Processor: redact(ps, req.Processor), Date: resp.Date.String(), Assets: assets,
		Recipient: rcpt, Decision: resp.Decision, Mechanism: resp.Mechanism, Coverage: resp.Coverage.Status,
		Counted: counted, InventoryVersion: resp.InventoryVersion, IdempotencyKey: ps.Hash("idempotency_key", p.key),
		RequestSHA256: hex.EncodeToString(p.hash), Individuals: req.Individuals, SensitiveIndividuals: req.SensitiveIndividuals,
		Exemption: resp.Exemption, Approval: resp.Coverage.Approval, Backfill: req.Backfill, Packs: packs}
	if req.Purpose != "" {
		b.Purpose = redact(ps, req.Purpose)
	}
	if req.Exemption != "" {
		b.ExemptionClaimed = redact(ps, req.Exemption)
		ref := redact(ps, req.ExemptionRef)
		b.ExemptionRef = &ref
	}
	if len(resp.DenyReasons) > 0 {
		// Deny reasons repeat client-chosen ids (an unknown asset or processor).
		b.DenyReasons = make([]string, len(resp.DenyReasons))
		for i, r := range resp.DenyReasons {
			b.DenyReasons[i] = redact(ps, r)
		}
	}
	return b
}
