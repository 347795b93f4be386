package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// wtx implements store.Tx. Counters that must stay gap-free (the state
// version, the inventory version, check sequence numbers, the log's size and
// right edge) live in the head row, read once after the lock is taken and
// written back once at commit, so appends need no extra round trips.
type wtx struct {
	reader
	c     WriteConn
	h     head
	wrote bool
	sp    int
	// broken: a savepoint could not be rolled back, so the database may
	// have ended the transaction on its own (SQLite rolls the whole
	// transaction back on an interrupt). No statement may run after that:
	// outside a transaction it would commit by itself.
	broken error
	// Counts read in this transaction, kept up to date by its own writes:
	// the lock is held, so nobody else changes them, and a batch of checks
	// reads the same few processors again and again. Every change is
	// journaled so a savepoint rollback restores the cache too.
	totals  map[totKey]model.Counts
	usage   map[string]int64
	journal []func()
	// buf batches hot inserts into column arrays (PostgreSQL only; nil for SQLite).
	buf *rowBuffer
}

// flushRows sends buffered rows (queued with the next round trip).
func (t *wtx) flushRows(ctx context.Context) error {
	if t.buf == nil {
		return nil
	}
	if err := t.buf.flush(ctx, t.c); err != nil {
		return t.db.b.MapError(err)
	}
	return nil
}

type totKey struct {
	year int
	proc string
}

func (t *wtx) YearTotals(ctx context.Context, year int, processors ...string) (map[string]model.Counts, error) {
	out := make(map[string]model.Counts, len(processors))
	var missing []string
	for _, p := range processors {
		if c, ok := t.totals[totKey{year, p}]; ok {
			out[p] = c
		} else {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := t.reader.YearTotals(ctx, year, missing...)
	if err != nil {
		return nil, err
	}
	if t.totals == nil {
		t.totals = map[totKey]model.Counts{}
	}
	for p, c := range got {
		k := totKey{year, p}
		t.totals[k] = c
		t.journal = append(t.journal, func() { delete(t.totals, k) })
		out[p] = c
	}
	return out, nil
}

func (t *wtx) ApprovalUsage(ctx context.Context, ids ...string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	var missing []string
	for _, id := range ids {
		if n, ok := t.usage[id]; ok {
			out[id] = n
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := t.reader.ApprovalUsage(ctx, missing...)
	if err != nil {
		return nil, err
	}
	if t.usage == nil {
		t.usage = map[string]int64{}
	}
	for id, n := range got {
		t.usage[id] = n
		t.journal = append(t.journal, func() { delete(t.usage, id) })
		out[id] = n
	}
	return out, nil
}

var _ store.Tx = (*wtx)(nil)

func (t *wtx) loadHead(ctx context.Context) error {
	h, err := t.readHead(ctx)
	if err != nil {
		return err
	}
	t.h = h
	return nil
}

var errBroken = store.Errorf(store.CodeUnavailable, "the write transaction was aborted by the database; nothing of it is stored")

func (t *wtx) exec(ctx context.Context, q string, args ...any) error {
	if t.broken != nil {
		return errBroken
	}
	t.wrote = true
	if err := t.flushRows(ctx); err != nil {
		return err
	}
	if err := t.c.Exec(ctx, q, args...); err != nil {
		return t.db.b.MapError(err)
	}
	return nil
}

// finish writes the head back before commit.
func (t *wtx) finish(ctx context.Context) error {
	if !t.wrote {
		return nil
	}
	if err := t.flushRows(ctx); err != nil {
		return err
	}
	err := t.c.Exec(ctx, `UPDATE head SET seq = $1, inv_version = $2, check_seq = $3, log_size = $4, log_range = $5, log_last_leaf = $6, log_last_ts = $7 WHERE id = 1`,
		t.h.seq+1, t.h.invVersion, t.h.checkSeq, int64(t.h.tree.Size()), audit.EncodeRange(t.h.tree.Range()), t.h.tree.LastLeaf(), t.h.logLastTS)
	if err != nil {
		return t.db.b.MapError(err)
	}
	return nil
}

// Savepoint implements store.Tx.
func (t *wtx) Savepoint(ctx context.Context, fn func(store.Tx) error) error {
	// Names go by nesting depth, so the same few statements repeat (and are
	// prepared once per transaction) however many callers a batch holds.
	if t.broken != nil {
		return errBroken
	}
	t.sp++
	defer func() { t.sp-- }()
	name := fmt.Sprintf("sp%d", t.sp)
	saved := t.h.clone()
	savedWrote := t.wrote
	mark := len(t.journal)
	// Rows buffered so far belong before the savepoint.
	if err := t.flushRows(ctx); err != nil {
		return err
	}
	if err := t.c.Savepoint(ctx, name); err != nil {
		return t.db.b.MapError(err)
	}
	undo := func(cause error) error {
		t.h = saved
		t.wrote = savedWrote
		for i := len(t.journal) - 1; i >= mark; i-- {
			t.journal[i]()
		}
		t.journal = t.journal[:mark]
		if t.buf != nil {
			t.buf.reset() // all buffered since the savepoint began
		}
		if err := t.c.RollbackTo(ctx, name); err != nil {
			// The transaction cannot go on; Update will fail and roll back.
			t.broken = store.Wrap(store.CodeUnavailable, t.db.b.MapError(err), "roll back savepoint")
			return errors.Join(cause, t.broken)
		}
		return cause
	}
	if err := fn(t); err != nil {
		return undo(err)
	}
	if err := t.flushRows(ctx); err != nil {
		return undo(err)
	}
	if err := t.c.Release(ctx, name); err != nil {
		return undo(t.db.b.MapError(err))
	}
	// Send pipelined writes now so that their errors belong to fn.
	if err := t.c.Flush(ctx); err != nil {
		return undo(t.db.b.MapError(err))
	}
	return nil
}

// The head-backed reads see this transaction's own changes.

func (t *wtx) InventoryVersion(context.Context) (int64, error) { return t.h.invVersion, nil }
func (t *wtx) LogSize(context.Context) (uint64, error)         { return t.h.tree.Size(), nil }
func (t *wtx) LogHead(context.Context) (uint64, []byte, []byte, error) {
	return t.h.tree.Size(), audit.EncodeRange(t.h.tree.Range()), t.h.tree.LastLeaf(), nil
}

// Inventory must report the in-transaction version too.
func (t *wtx) Inventory(ctx context.Context) (*store.Inventory, error) {
	inv, err := t.reader.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	inv.Version = t.h.invVersion
	return inv, nil
}

// ---- inventory ----

func (t *wtx) PutInventory(ctx context.Context, inv *model.Inventory) (int64, error) {
	if len(inv.Transfers) > 0 {
		return 0, store.Errorf(store.CodeInvalid, "an inventory to store cannot hold transfers: transfers are recorded only by checks")
	}
	seen := map[string]bool{}
	check := func(kind, id string) error {
		if id == "" {
			return store.Errorf(store.CodeInvalid, "%s without an id", kind)
		}
		if seen[kind+"\x00"+id] {
			return store.Errorf(store.CodeInvalid, "duplicate %s id %q", kind, id)
		}
		seen[kind+"\x00"+id] = true
		return nil
	}
	for _, q := range []string{`DELETE FROM processors`, `DELETE FROM assets`, `DELETE FROM approvals`} {
		if err := t.exec(ctx, q); err != nil {
			return 0, err
		}
	}
	for i, p := range inv.Processors {
		if err := check("processor", p.ID); err != nil {
			return 0, err
		}
		doc, err := encodeJSON(p)
		if err != nil {
			return 0, err
		}
		if err := t.exec(ctx, `INSERT INTO processors (id, ord, doc) VALUES ($1, $2, $3)`, p.ID, i, doc); err != nil {
			return 0, err
		}
	}
	for i, a := range inv.Assets {
		if err := check("asset", a.ID); err != nil {
			return 0, err
		}
		doc, err := encodeAsset(a)
		if err != nil {
			return 0, err
		}
		if err := t.exec(ctx, `INSERT INTO assets (id, ord, doc) VALUES ($1, $2, $3)`, a.ID, i, doc); err != nil {
			return 0, err
		}
	}
	for i, a := range inv.Approvals {
		if err := check("approval", a.ID); err != nil {
			return 0, err
		}
		doc, err := encodeJSON(a)
		if err != nil {
			return 0, err
		}
		if err := t.exec(ctx, `INSERT INTO approvals (id, ord, doc) VALUES ($1, $2, $3)`, a.ID, i, doc); err != nil {
			return 0, err
		}
	}
	t.h.invVersion++
	return t.h.invVersion, nil
}

func (t *wtx) PutApproval(ctx context.Context, a *model.Approval) (int64, error) {
	if a == nil || a.ID == "" {
		return 0, store.Errorf(store.CodeInvalid, "approval without an id")
	}
	doc, err := encodeJSON(a)
	if err != nil {
		return 0, err
	}
	err = t.exec(ctx, `INSERT INTO approvals (id, ord, doc) VALUES ($1, (SELECT COALESCE(MAX(ord), -1) + 1 FROM approvals), $2)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, a.ID, doc)
	if err != nil {
		return 0, err
	}
	t.h.invVersion++
	return t.h.invVersion, nil
}

func (t *wtx) DeleteApproval(ctx context.Context, id string) (int64, error) {
	t.wrote = true
	if err := t.flushRows(ctx); err != nil {
		return 0, err
	}
	n, err := t.c.ExecCount(ctx, `DELETE FROM approvals WHERE id = $1`, id)
	if err != nil {
		return 0, t.db.b.MapError(err)
	}
	if n == 0 {
		return 0, store.Errorf(store.CodeNotFound, "approval %q not found", id)
	}
	t.h.invVersion++
	return t.h.invVersion, nil
}

// ---- checks ----

func (t *wtx) RecordCheck(ctx context.Context, rec *store.CheckRecord) (int64, error) {
	if rec.Decision != store.DecisionAllow && rec.Decision != store.DecisionDeny {
		return 0, store.Errorf(store.CodeInvalid, "decision %q: want allow or deny", rec.Decision)
	}
	if rec.Counted && rec.Decision != store.DecisionAllow {
		return 0, store.Errorf(store.CodeInvalid, "a denied transfer cannot be counted")
	}
	if !rec.Transfer.Date.Valid() {
		return 0, store.Errorf(store.CodeInvalid, "check of transfer %q has no date", rec.Transfer.ID)
	}
	doc, err := encodeJSON(&rec.Transfer)
	if err != nil {
		return 0, store.Wrap(store.CodeInvalid, err, "encode transfer")
	}
	var resp []byte
	if len(rec.Response) > 0 {
		resp = rec.Response
	}
	seq := t.h.checkSeq + 1
	if b := t.buf; b != nil {
		t.wrote = true
		b.chkSeq = append(b.chkSeq, seq)
		b.chkID = append(b.chkID, rec.Transfer.ID)
		b.chkProc = append(b.chkProc, rec.Transfer.Processor)
		b.chkDay = append(b.chkDay, int64(rec.Transfer.Date))
		b.chkDecision = append(b.chkDecision, rec.Decision)
		b.chkCounted = append(b.chkCounted, rec.Counted)
		b.chkBackfill = append(b.chkBackfill, rec.Backfill)
		b.chkActor = append(b.chkActor, rec.Actor)
		b.chkLog = append(b.chkLog, int64(rec.LogIndex))
		b.chkAt = append(b.chkAt, rec.At.UnixNano())
		b.chkTransfer = append(b.chkTransfer, doc)
		b.chkResp = append(b.chkResp, resp)
		t.h.checkSeq = seq
		rec.Seq = seq
		return seq, nil
	}
	err = t.exec(ctx, `INSERT INTO checks (seq, transfer_id, processor, day, decision, counted, backfill, actor, log_index, at, transfer, response)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		seq, rec.Transfer.ID, rec.Transfer.Processor, int64(rec.Transfer.Date), rec.Decision, rec.Counted, rec.Backfill, rec.Actor,
		int64(rec.LogIndex), rec.At.UnixNano(), doc, resp)
	if err != nil {
		return 0, err
	}
	t.h.checkSeq = seq
	rec.Seq = seq
	return seq, nil
}

// ---- counters ----

func (t *wtx) AddTotals(ctx context.Context, year int, processor string, d model.Counts) error {
	if processor == "" {
		return store.Errorf(store.CodeInvalid, "totals without a processor")
	}
	if d.Individuals < 0 || d.SensitiveIndividuals < 0 {
		return store.Errorf(store.CodeInvalid, "negative counts cannot be added")
	}
	var unknown int64
	if d.Unknown {
		unknown = 1
	}
	k := totKey{year, processor}
	if old, ok := t.totals[k]; ok {
		c := old
		c.Individuals += d.Individuals
		c.SensitiveIndividuals += d.SensitiveIndividuals
		c.Unknown = c.Unknown || d.Unknown
		t.totals[k] = c
		t.journal = append(t.journal, func() { t.totals[k] = old })
	}
	if b := t.buf; b != nil {
		t.wrote = true
		if b.totals == nil {
			b.totals = map[totKey]*totDelta{}
		}
		d0 := b.totals[k]
		if d0 == nil {
			d0 = &totDelta{}
			b.totals[k] = d0
		}
		d0.ind += d.Individuals
		d0.sens += d.SensitiveIndividuals
		d0.unknown += unknown
		return nil
	}
	return t.exec(ctx, `INSERT INTO year_totals (year, processor, individuals, sensitive, unknown) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (year, processor) DO UPDATE SET individuals = year_totals.individuals + excluded.individuals,
		sensitive = year_totals.sensitive + excluded.sensitive, unknown = year_totals.unknown + excluded.unknown`,
		year, processor, d.Individuals, d.SensitiveIndividuals, unknown)
}

func (t *wtx) AddApprovalUsage(ctx context.Context, id string, n int64) error {
	if id == "" || n < 0 {
		return store.Errorf(store.CodeInvalid, "approval usage needs an id and a non-negative count")
	}
	if old, ok := t.usage[id]; ok {
		t.usage[id] = old + n
		t.journal = append(t.journal, func() { t.usage[id] = old })
	}
	if b := t.buf; b != nil {
		t.wrote = true
		if b.usage == nil {
			b.usage = map[string]int64{}
		}
		b.usage[id] += n
		return nil
	}
	return t.exec(ctx, `INSERT INTO approval_usage (approval, individuals) VALUES ($1, $2)
		ON CONFLICT (approval) DO UPDATE SET individuals = approval_usage.individuals + excluded.individuals`, id, n)
}

func (t *wtx) PutIdempotency(ctx context.Context, rec store.IdempotencyRecord) error {
	if rec.Key == "" {
		return store.Errorf(store.CodeInvalid, "empty idempotency key")
	}
	resp := rec.Response
	if resp == nil {
		resp = []byte{}
	}
	if b := t.buf; b != nil {
		t.wrote = true
		b.idemKey = append(b.idemKey, rec.Key)
		b.idemHash = append(b.idemHash, rec.RequestHash)
		b.idemResp = append(b.idemResp, resp)
		b.idemAt = append(b.idemAt, rec.At.UnixNano())
		return nil
	}
	return t.exec(ctx, `INSERT INTO idempotency (k, req_hash, response, at) VALUES ($1, $2, $3, $4)`, rec.Key, rec.RequestHash, resp, rec.At.UnixNano())
}

func (t *wtx) PurgeIdempotency(ctx context.Context, before time.Time) (int64, error) {
	t.wrote = true
	if err := t.flushRows(ctx); err != nil {
		return 0, err
	}
	n, err := t.c.ExecCount(ctx, `DELETE FROM idempotency WHERE at < $1`, before.UnixNano())
	return n, t.db.b.MapError(err)
}

// ---- auth ----

func (t *wtx) CreateToken(ctx context.Context, rec store.TokenRecord) error {
	if !store.ValidRole(rec.Role) {
		return store.Errorf(store.CodeInvalid, "role %q: want one of %s", rec.Role, strings.Join(store.Roles, ", "))
	}
	if len(rec.Hash) != 32 {
		return store.Errorf(store.CodeInvalid, "token hash of %d bytes: store SHA-256 hashes only (store.TokenHash)", len(rec.Hash))
	}
	if !rec.Live() {
		return store.Errorf(store.CodeInvalid, "a token is created live: revoke it with RevokeToken")
	}
	return t.exec(ctx, `INSERT INTO tokens (hash, role, name, created) VALUES ($1, $2, $3, $4)`, rec.Hash, rec.Role, rec.Name, rec.Created.UnixNano())
}

func (t *wtx) RevokeToken(ctx context.Context, hash []byte, at time.Time) error {
	if t.broken != nil {
		return errBroken
	}
	if len(hash) != 32 {
		return store.Errorf(store.CodeInvalid, "token hash of %d bytes: tokens are named by their SHA-256 hash (store.TokenHash)", len(hash))
	}
	if at.IsZero() {
		return store.Errorf(store.CodeInvalid, "a revocation needs its time")
	}
	t.wrote = true
	if err := t.flushRows(ctx); err != nil {
		return err
	}
	n, err := t.c.ExecCount(ctx, `UPDATE tokens SET revoked = $1 WHERE hash = $2 AND revoked IS NULL`, at.UnixNano(), hash)
	if err != nil {
		return t.db.b.MapError(err)
	}
	if n == 1 {
		return nil
	}
	rec, err := t.Token(ctx, hash)
	if err != nil {
		return err
	}
	return store.Errorf(store.CodeConflict, "token %s was already revoked at %s", rec.Prefix(), rec.Revoked.Format(time.RFC3339))
}

// ---- audit ----

func (t *wtx) AppendAudit(ctx context.Context, entries ...audit.Entry) ([]uint64, error) {
	out := make([]uint64, 0, len(entries))
	for _, e := range entries {
		// The log's times never go backwards, so retention can be decided
		// by index (and two servers with skewed clocks stay ordered).
		ts := e.Time.UnixNano()
		if ts < t.h.logLastTS {
			ts = t.h.logLastTS
			e.Time = time.Unix(0, ts)
		}
		i := t.h.tree.Size()
		data, err := audit.Encode(i, t.h.tree.LastLeaf(), e)
		if err != nil {
			return out, store.Wrap(store.CodeInvalid, err, "audit entry %d", i)
		}
		leaf := audit.LeafHash(data)
		// Compute on a copy: if the insert fails, the tree stays as it was.
		next := t.h.tree.Clone()
		nodes := next.Append(leaf)
		if nodes == nil {
			nodes = []byte{}
		}
		if b := t.buf; b != nil {
			t.wrote = true
			b.entIdx = append(b.entIdx, int64(i))
			b.entTS = append(b.entTS, ts)
			b.entData = append(b.entData, data)
			b.entLeaf = append(b.entLeaf, leaf)
			b.entNodes = append(b.entNodes, nodes)
		} else if err := t.exec(ctx, `INSERT INTO audit_entries (idx, ts, data, leaf, nodes) VALUES ($1, $2, $3, $4, $5)`,
			int64(i), ts, data, leaf, nodes); err != nil {
			return out, err
		}
		t.h.tree = next
		t.h.logLastTS = ts
		out = append(out, i)
		if (i+1)%TileSize == 0 {
			if err := t.seal(ctx, int64(i/TileSize)); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func (t *wtx) registerKey(ctx context.Context, vkey, skey string, active bool, now time.Time) (string, error) {
	id, err := audit.VerifierKeyID(vkey)
	if err != nil {
		return "", store.Wrap(store.CodeInvalid, err, "register key")
	}
	var sk any
	if skey != "" {
		sk = skey
	}
	err = t.exec(ctx, `INSERT INTO audit_keys (id, vkey, skey, active, created) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
		id, vkey, sk, active, now.UnixNano())
	return id, err
}

func (t *wtx) SignCheckpoint(ctx context.Context, s *audit.Signer, now time.Time) (audit.SignedCheckpoint, error) {
	size := t.h.tree.Size()
	if cp, err := t.CheckpointAt(ctx, size); err == nil {
		return cp, nil
	} else if !isNotFound(err) {
		return cp, err
	}
	origin, err := t.Origin(ctx)
	if err != nil {
		return audit.SignedCheckpoint{}, err
	}
	if _, err := t.registerKey(ctx, s.VerifierKey(), "", false, now); err != nil {
		return audit.SignedCheckpoint{}, err
	}
	sc, err := s.SignCheckpoint(audit.Checkpoint{Origin: origin, Size: size, Root: t.h.tree.Root()})
	if err != nil {
		return sc, err
	}
	err = t.exec(ctx, `INSERT INTO audit_checkpoints (size, ts, root, key_id, note) VALUES ($1, $2, $3, $4, $5)`,
		int64(size), now.UnixNano(), sc.Root, s.KeyID(), string(sc.Note))
	return sc, err
}

func (t *wtx) ArchiveAudit(ctx context.Context, s *audit.Signer, to uint64, now time.Time) (audit.ArchiveRecord, error) {
	var rec audit.ArchiveRecord
	var from int64
	var count int64
	if err := t.one(ctx, `SELECT COALESCE(MAX(to_idx), 0), COUNT(*) FROM audit_archives`, nil, &from, &count); err != nil {
		return rec, t.mapErr(err, "read archive records")
	}
	size := t.h.tree.Size()
	if to > size {
		return rec, store.Errorf(store.CodeInvalid, "archive up to %d: the log has %d entries", to, size)
	}
	to -= to % TileSize
	if to <= uint64(from) {
		return rec, store.Errorf(store.CodeInvalid, "nothing to archive: entries before %d are archived and archiving goes by whole tiles of %d", from, TileSize)
	}
	cutoff := audit.RetentionCutoff(now)
	young, err := t.firstYoung(ctx, uint64(from), to, cutoff.UnixNano())
	if err != nil {
		return rec, err
	}
	if young >= 0 {
		return rec, store.Errorf(store.CodeRetention, "entry %d is younger than %d years (logged on or after %s): it cannot be archived",
			young, audit.RetentionYears, cutoff.Format(time.RFC3339))
	}
	ids := compact.RangeNodes(0, to, nil)
	hs, err := t.ReadNodes(ctx, ids)
	if err != nil {
		return rec, err
	}
	root, err := audit.RangeRoot(to, hs)
	if err != nil {
		return rec, store.Wrap(store.CodeInternal, err, "archive")
	}
	origin, err := t.Origin(ctx)
	if err != nil {
		return rec, err
	}
	rec = audit.ArchiveRecord{Origin: origin, From: uint64(from), To: to, Time: now.UTC(), Before: cutoff, Range: hs, Root: root}
	note, err := s.Sign(rec.Body())
	if err != nil {
		return rec, err
	}
	if _, err := t.registerKey(ctx, s.VerifierKey(), "", false, now); err != nil {
		return rec, err
	}
	if err := t.exec(ctx, `INSERT INTO audit_archives (seq, from_idx, to_idx, before_ts, at, note) VALUES ($1, $2, $3, $4, $5, $6)`,
		count+1, from, int64(to), cutoff.UnixNano(), now.UnixNano(), string(note)); err != nil {
		return rec, err
	}
	if err := t.exec(ctx, `UPDATE audit_tiles SET data = NULL WHERE tile >= $1 AND tile < $2 AND data IS NOT NULL`, from/TileSize, int64(to)/TileSize); err != nil {
		return rec, err
	}
	// Logs older than tiles keep complete tiles as rows.
	if err := t.exec(ctx, `UPDATE audit_entries SET data = NULL WHERE idx >= $1 AND idx < $2 AND data IS NOT NULL`, from, int64(to)); err != nil {
		return rec, err
	}
	return rec, nil
}

// firstYoung is the first entry in [from, to) logged at or after cutoff, or -1.
func (t *wtx) firstYoung(ctx context.Context, from, to uint64, cutoff int64) (int64, error) {
	young := int64(-1)
	if err := t.one(ctx, `SELECT COALESCE(MIN(idx), -1) FROM audit_entries WHERE idx >= $1 AND idx < $2 AND ts >= $3`,
		[]any{int64(from), int64(to), cutoff}, &young); err != nil {
		return 0, t.mapErr(err, "check retention")
	}
	var tile int64 = -1
	if err := t.one(ctx, `SELECT COALESCE(MIN(tile), -1) FROM audit_tiles WHERE tile >= $1 AND tile < $2 AND ts_last >= $3`,
		[]any{int64(from / TileSize), int64(to / TileSize), cutoff}, &tile); err != nil {
		return 0, t.mapErr(err, "check retention")
	}
	if tile >= 0 && (young < 0 || tile*TileSize < young) {
		// Name the entry inside the tile (its first, failing that).
		found, done := tile*TileSize, false
		err := t.Entries(ctx, uint64(tile*TileSize), uint64(tile*TileSize+TileSize), func(e audit.StoredEntry) error {
			if done || e.Data == nil {
				return nil
			}
			if d, err := audit.Decode(e.Data); err == nil && d.Time.UnixNano() >= cutoff {
				found, done = int64(e.Index), true
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		young = found
	}
	return young, nil
}

func (t *wtx) SigningKey(ctx context.Context, now time.Time) (*audit.Signer, error) {
	var skey string
	err := t.one(ctx, `SELECT skey FROM audit_keys WHERE active AND skey IS NOT NULL ORDER BY created DESC, id LIMIT 1`, nil, &skey)
	if err == nil {
		return audit.NewSigner(skey)
	}
	if !isNotFound(err) {
		return nil, t.mapErr(err, "read signing key")
	}
	return t.newKey(ctx, now)
}

func (t *wtx) RotateSigningKey(ctx context.Context, now time.Time) (*audit.Signer, error) {
	if err := t.exec(ctx, `UPDATE audit_keys SET active = $1 WHERE active`, false); err != nil {
		return nil, err
	}
	return t.newKey(ctx, now)
}

func (t *wtx) newKey(ctx context.Context, now time.Time) (*audit.Signer, error) {
	origin, err := t.Origin(ctx)
	if err != nil {
		return nil, err
	}
	skey, vkey, err := audit.GenerateKey(origin)
	if err != nil {
		return nil, err
	}
	s, err := audit.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	if _, err := t.registerKey(ctx, vkey, skey, true, now); err != nil {
		return nil, err
	}
	return s, nil
}

func (t *wtx) AddVerifierKey(ctx context.Context, vkey string, now time.Time) error {
	_, err := t.registerKey(ctx, vkey, "", false, now)
	return err
}
