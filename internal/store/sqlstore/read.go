package sqlstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// reader implements store.ReadTx over any Querier.
type reader struct {
	db *DB
	q  Querier
}

var _ store.ReadTx = (*reader)(nil)

func (r *reader) mapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	err = r.db.b.MapError(err)
	if _, ok := err.(*store.Error); ok {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
	}
	return store.Wrap(store.CodeInternal, err, format, args...)
}

// each runs a query and calls fn for every row.
func (r *reader) each(ctx context.Context, fn func(Rows) error, q string, args ...any) error {
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// one scans the single row of a query into dest; ErrNotFound if none.
func (r *reader) one(ctx context.Context, q string, args []any, dest ...any) error {
	found := false
	err := r.each(ctx, func(rows Rows) error {
		found = true
		return rows.Scan(dest...)
	}, q, args...)
	if err != nil {
		return err
	}
	if !found {
		return store.ErrNotFound
	}
	return nil
}

// inList is a condition "col is one of the values in parameter n".
// Callers with exactly one value use "col = $n" (see oneOrList): json_each
// costs SQLite more than the lookup itself.
func (r *reader) inList(col string, n int) string {
	if r.db.b.Dialect() == Postgres {
		return fmt.Sprintf("%s = ANY($%d)", col, n)
	}
	return fmt.Sprintf("%s IN (SELECT value FROM json_each($%d))", col, n)
}

// oneOrList is inList, or plain equality for a single value.
func (r *reader) oneOrList(col string, n int, vs []string) (string, any) {
	if len(vs) == 1 {
		return fmt.Sprintf("%s = $%d", col, n), vs[0]
	}
	return r.inList(col, n), r.listArg(vs)
}

func (r *reader) listArg(v any) any {
	if r.db.b.Dialect() == Postgres {
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (r *reader) meta(ctx context.Context, k string) (string, error) {
	var v string
	if err := r.one(ctx, `SELECT v FROM meta WHERE k = $1`, []any{k}, &v); err != nil {
		if isNotFound(err) {
			return "", store.Errorf(store.CodeNotFound, "meta %s not set", k)
		}
		return "", r.mapErr(err, "read meta %s", k)
	}
	return v, nil
}

func (r *reader) readHead(ctx context.Context) (head, error) {
	var h head
	var size int64
	var rng, last []byte
	err := r.one(ctx, `SELECT seq, inv_version, check_seq, log_size, log_range, log_last_leaf, log_last_ts FROM head WHERE id = 1`, nil,
		&h.seq, &h.invVersion, &h.checkSeq, &size, &rng, &last, &h.logLastTS)
	if err != nil {
		return h, r.mapErr(err, "read head")
	}
	hs, err := audit.DecodeRange(uint64(size), rng)
	if err != nil {
		return h, store.Wrap(store.CodeInternal, err, "read head")
	}
	if h.tree, err = audit.NewTree(uint64(size), hs, last); err != nil {
		return h, store.Wrap(store.CodeInternal, err, "read head")
	}
	return h, nil
}

// ---- inventory ----

func (r *reader) InventoryVersion(ctx context.Context) (int64, error) {
	var v int64
	err := r.one(ctx, `SELECT inv_version FROM head WHERE id = 1`, nil, &v)
	return v, r.mapErr(err, "read inventory version")
}

func (r *reader) Inventory(ctx context.Context) (*store.Inventory, error) {
	inv := &store.Inventory{Processors: []*model.Processor{}, Assets: []*model.Asset{}, Approvals: []*model.Approval{}}
	var err error
	if inv.Version, err = r.InventoryVersion(ctx); err != nil {
		return nil, err
	}
	err = r.each(ctx, func(rows Rows) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		p := new(model.Processor)
		if err := json.Unmarshal([]byte(doc), p); err != nil {
			return fmt.Errorf("stored processor: %w", err)
		}
		inv.Processors = append(inv.Processors, p)
		return nil
	}, `SELECT doc FROM processors ORDER BY ord`)
	if err != nil {
		return nil, r.mapErr(err, "read processors")
	}
	err = r.each(ctx, func(rows Rows) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		a, err := decodeAsset(doc)
		if err != nil {
			return fmt.Errorf("stored asset: %w", err)
		}
		inv.Assets = append(inv.Assets, a)
		return nil
	}, `SELECT doc FROM assets ORDER BY ord`)
	if err != nil {
		return nil, r.mapErr(err, "read assets")
	}
	err = r.each(ctx, func(rows Rows) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		a := new(model.Approval)
		if err := json.Unmarshal([]byte(doc), a); err != nil {
			return fmt.Errorf("stored approval: %w", err)
		}
		inv.Approvals = append(inv.Approvals, a)
		return nil
	}, `SELECT doc FROM approvals ORDER BY ord`)
	if err != nil {
		return nil, r.mapErr(err, "read approvals")
	}
	return inv, nil
}

func (r *reader) Approval(ctx context.Context, id string) (*model.Approval, error) {
	var doc string
	if err := r.one(ctx, `SELECT doc FROM approvals WHERE id = $1`, []any{id}, &doc); err != nil {
		if isNotFound(err) {
			return nil, store.Errorf(store.CodeNotFound, "approval %q not found", id)
		}
		return nil, r.mapErr(err, "read approval %s", id)
	}
	a := new(model.Approval)
	if err := json.Unmarshal([]byte(doc), a); err != nil {
		return nil, store.Wrap(store.CodeInternal, err, "stored approval %s", id)
	}
	return a, nil
}

// ---- checks ----

const checkCols = `seq, decision, counted, backfill, actor, log_index, at, transfer, response`

func scanCheck(rows Rows) (store.CheckRecord, error) {
	var c store.CheckRecord
	var at, logIndex int64
	var transfer string
	var response []byte
	if err := rows.Scan(&c.Seq, &c.Decision, &c.Counted, &c.Backfill, &c.Actor, &logIndex, &at, &transfer, &response); err != nil {
		return c, err
	}
	c.LogIndex = uint64(logIndex)
	c.At = time.Unix(0, at).UTC()
	if err := json.Unmarshal([]byte(transfer), &c.Transfer); err != nil {
		return c, fmt.Errorf("stored check %d: %w", c.Seq, err)
	}
	if len(response) > 0 {
		c.Response = json.RawMessage(response)
	}
	return c, nil
}

func (r *reader) Checks(ctx context.Context, f store.CheckFilter) ([]store.CheckRecord, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Processor != "" {
		add("processor = $?", f.Processor)
	}
	if f.From != nil {
		add("day >= $?", int64(*f.From))
	}
	if f.To != nil {
		add("day <= $?", int64(*f.To))
	}
	if f.Decision != "" {
		add("decision = $?", f.Decision)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > 10000 {
		limit = 10000
	}
	if f.Offset < 0 {
		return nil, store.Errorf(store.CodeInvalid, "negative offset %d", f.Offset)
	}
	q := `SELECT ` + checkCols + ` FROM checks`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY seq LIMIT %d OFFSET %d`, limit, f.Offset)
	out := []store.CheckRecord{}
	err := r.each(ctx, func(rows Rows) error {
		c, err := scanCheck(rows)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, q, args...)
	return out, r.mapErr(err, "list checks")
}

func (r *reader) ChecksAfter(ctx context.Context, afterSeq int64, limit int, fn func(store.CheckRow) error) error {
	if limit <= 0 {
		return nil
	}
	err := r.each(ctx, func(rows Rows) error {
		var c store.CheckRow
		var logIndex int64
		var doc string
		if err := rows.Scan(&c.Seq, &logIndex, &c.Decision, &c.Counted, &doc); err != nil {
			return err
		}
		c.LogIndex, c.Transfer = uint64(logIndex), []byte(doc)
		return fn(c)
	}, `SELECT seq, log_index, decision, counted, transfer FROM checks WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, limit)
	return r.mapErr(err, "read checks")
}

func (r *reader) AllowedTransfers(ctx context.Context) ([]*model.Transfer, error) {
	out := []*model.Transfer{}
	err := r.each(ctx, func(rows Rows) error {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		t := new(model.Transfer)
		if err := json.Unmarshal([]byte(doc), t); err != nil {
			return fmt.Errorf("stored transfer: %w", err)
		}
		out = append(out, t)
		return nil
	}, `SELECT transfer FROM checks WHERE decision = 'allow' ORDER BY day, transfer_id, seq`)
	return out, r.mapErr(err, "list allowed transfers")
}

// ---- counters ----

func (r *reader) YearTotals(ctx context.Context, year int, processors ...string) (map[string]model.Counts, error) {
	out := make(map[string]model.Counts, len(processors))
	for _, p := range processors {
		out[p] = model.Counts{}
	}
	if len(processors) == 0 {
		return out, nil
	}
	cond, arg := r.oneOrList("processor", 2, processors)
	err := r.each(ctx, func(rows Rows) error {
		var p string
		var c model.Counts
		var unknown int64
		if err := rows.Scan(&p, &c.Individuals, &c.SensitiveIndividuals, &unknown); err != nil {
			return err
		}
		c.Unknown = unknown > 0
		out[p] = c
		return nil
	}, `SELECT processor, individuals, sensitive, unknown FROM year_totals WHERE year = $1 AND `+cond, year, arg)
	return out, r.mapErr(err, "read year totals")
}

func (r *reader) AllYearTotals(ctx context.Context) ([]store.YearTotal, error) {
	out := []store.YearTotal{}
	err := r.each(ctx, func(rows Rows) error {
		var y store.YearTotal
		if err := rows.Scan(&y.Year, &y.Processor, &y.Individuals, &y.SensitiveIndividuals, &y.Unknown); err != nil {
			return err
		}
		out = append(out, y)
		return nil
	}, `SELECT year, processor, individuals, sensitive, unknown FROM year_totals ORDER BY year, processor`)
	return out, r.mapErr(err, "read year totals")
}

func (r *reader) AllApprovalUsage(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := r.each(ctx, usageInto(out), `SELECT approval, individuals FROM approval_usage`)
	return out, r.mapErr(err, "read approval usage")
}

// usageInto scans (approval, individuals) rows into out.
func usageInto(out map[string]int64) func(Rows) error {
	return func(rows Rows) error {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		out[id] = n
		return nil
	}
}

func (r *reader) ApprovalUsage(ctx context.Context, ids ...string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	for _, id := range ids {
		out[id] = 0
	}
	if len(ids) == 0 {
		return out, nil
	}
	cond, arg := r.oneOrList("approval", 1, ids)
	err := r.each(ctx, usageInto(out), `SELECT approval, individuals FROM approval_usage WHERE `+cond, arg)
	return out, r.mapErr(err, "read approval usage")
}

func (r *reader) Idempotency(ctx context.Context, key string) (store.IdempotencyRecord, error) {
	rec := store.IdempotencyRecord{Key: key}
	var at int64
	if err := r.one(ctx, `SELECT req_hash, response, at FROM idempotency WHERE k = $1`, []any{key}, &rec.RequestHash, &rec.Response, &at); err != nil {
		if isNotFound(err) {
			return rec, store.Errorf(store.CodeNotFound, "idempotency key not found")
		}
		return rec, r.mapErr(err, "read idempotency key")
	}
	rec.At = time.Unix(0, at).UTC()
	return rec, nil
}

// ---- auth ----

func (r *reader) Token(ctx context.Context, hash []byte) (store.TokenRecord, error) {
	rec := store.TokenRecord{Hash: hash}
	var created int64
	var revoked *int64
	if err := r.one(ctx, `SELECT role, name, created, revoked FROM tokens WHERE hash = $1`, []any{hash}, &rec.Role, &rec.Name, &created, &revoked); err != nil {
		if isNotFound(err) {
			return rec, store.Errorf(store.CodeNotFound, "token not found")
		}
		return rec, r.mapErr(err, "read token")
	}
	rec.Created = time.Unix(0, created).UTC()
	if revoked != nil {
		rec.Revoked = time.Unix(0, *revoked).UTC()
	}
	return rec, nil
}

// TokenCount counts revoked tokens too (see store.AuthReader).
func (r *reader) TokenCount(ctx context.Context) (int, error) {
	var n int
	err := r.one(ctx, `SELECT COUNT(*) FROM tokens`, nil, &n)
	return n, r.mapErr(err, "count tokens")
}

func (r *reader) ListTokens(ctx context.Context) ([]store.TokenRecord, error) {
	var out []store.TokenRecord
	err := r.each(ctx, func(rows Rows) error {
		var rec store.TokenRecord
		var created int64
		var revoked *int64
		if err := rows.Scan(&rec.Hash, &rec.Role, &rec.Name, &created, &revoked); err != nil {
			return err
		}
		rec.Created = time.Unix(0, created).UTC()
		if revoked != nil {
			rec.Revoked = time.Unix(0, *revoked).UTC()
		}
		out = append(out, rec)
		return nil
	}, `SELECT hash, role, name, created, revoked FROM tokens ORDER BY created, hash`)
	return out, r.mapErr(err, "list tokens")
}

func (r *reader) PseudonymKey(ctx context.Context) ([]byte, error) {
	v, err := r.meta(ctx, "pseudonym_key")
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

// ---- audit ----

func (r *reader) Origin(ctx context.Context) (string, error) { return r.meta(ctx, "origin") }

func (r *reader) LogSize(ctx context.Context) (uint64, error) {
	var n int64
	err := r.one(ctx, `SELECT log_size FROM head WHERE id = 1`, nil, &n)
	return uint64(n), r.mapErr(err, "read log size")
}

// LogHead implements store.HeadReader.
func (r *reader) LogHead(ctx context.Context) (uint64, []byte, []byte, error) {
	h, err := r.readHead(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	return h.tree.Size(), audit.EncodeRange(h.tree.Range()), h.tree.LastLeaf(), nil
}

func clampIndex(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}

func (r *reader) Entries(ctx context.Context, from, to uint64, fn func(audit.StoredEntry) error) error {
	if to <= from {
		return nil
	}
	rowsRange := func(a, b uint64) error {
		if a >= b {
			return nil
		}
		return r.each(ctx, func(rows Rows) error {
			var e audit.StoredEntry
			var idx int64
			if err := rows.Scan(&idx, &e.Time, &e.Data, &e.Leaf, &e.Nodes); err != nil {
				return err
			}
			e.Index = uint64(idx)
			e.NodesStored = true
			if e.Nodes == nil {
				e.Nodes = []byte{}
			}
			return fn(e)
		}, `SELECT idx, ts, data, leaf, nodes FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx`, clampIndex(a), clampIndex(b))
	}
	tiles, err := r.tileNumbers(ctx, from, to)
	if err != nil {
		return r.mapErr(err, "read audit tiles")
	}
	// Rows and tiles interleave only in a log older than tiles; each run of
	// consecutive tiles is one query, each gap between them another.
	cursor := from
	for i := 0; i < len(tiles); {
		j := i
		for j+1 < len(tiles) && tiles[j+1] == tiles[j]+1 {
			j++
		}
		if err := rowsRange(cursor, min(uint64(tiles[i])*TileSize, to)); err != nil {
			return r.mapErr(err, "read audit entries")
		}
		if err := r.eachTile(ctx, tiles[i], tiles[j], func(tr *tileRow) error { return tr.entries(fn, from, to) }); err != nil {
			return r.mapErr(err, "read audit tiles")
		}
		cursor = max(cursor, uint64(tiles[j]+1)*TileSize)
		i = j + 1
	}
	return r.mapErr(rowsRange(cursor, to), "read audit entries")
}

func (r *reader) ReadNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	rowsWanted := make([]int64, 0, len(ids))
	for _, id := range ids {
		row, _ := audit.NodeLocation(id)
		rowsWanted = append(rowsWanted, int64(row))
	}
	type rowHashes struct{ leaf, nodes []byte }
	got := make(map[int64]rowHashes, len(ids))
	err := r.each(ctx, func(rows Rows) error {
		var idx int64
		var h rowHashes
		if err := rows.Scan(&idx, &h.leaf, &h.nodes); err != nil {
			return err
		}
		got[idx] = h
		return nil
	}, `SELECT idx, leaf, nodes FROM audit_entries WHERE `+r.inList("idx", 1), r.listArg(rowsWanted))
	if err != nil {
		return nil, r.mapErr(err, "read tree nodes")
	}
	var tilesWanted []int64
	seen := map[int64]bool{}
	for _, row := range rowsWanted {
		if _, ok := got[row]; !ok && !seen[row/TileSize] {
			seen[row/TileSize] = true
			tilesWanted = append(tilesWanted, row/TileSize)
		}
	}
	if len(tilesWanted) > 0 {
		err := r.each(ctx, func(rows Rows) error {
			var tile int64
			var leaves, nodes []byte
			if err := rows.Scan(&tile, &leaves, &nodes); err != nil {
				return err
			}
			if len(leaves) != TileSize*audit.HashSize || len(nodes) < tileNodeOffset[TileSize-1] {
				return fmt.Errorf("audit tile %d: malformed hash blobs", tile)
			}
			for j := 0; j < TileSize; j++ {
				end := len(nodes)
				if j < TileSize-1 {
					end = tileNodeOffset[j+1]
				}
				got[tile*TileSize+int64(j)] = rowHashes{leaves[j*audit.HashSize : (j+1)*audit.HashSize], nodes[tileNodeOffset[j]:end]}
			}
			return nil
		}, `SELECT tile, leaves, nodes FROM audit_tiles WHERE `+r.inList("tile", 1), r.listArg(tilesWanted))
		if err != nil {
			return nil, r.mapErr(err, "read tree nodes")
		}
	}
	out := make([][]byte, len(ids))
	for k, id := range ids {
		row, level := audit.NodeLocation(id)
		h, ok := got[int64(row)]
		if !ok {
			return nil, store.Errorf(store.CodeNotFound, "tree node (level %d, index %d) is not stored", id.Level, id.Index)
		}
		if level == 0 {
			out[k] = h.leaf
		} else if int(level)*audit.HashSize <= len(h.nodes) {
			out[k] = h.nodes[(level-1)*audit.HashSize : level*audit.HashSize]
		} else {
			return nil, store.Errorf(store.CodeInternal, "tree node (level %d, index %d) missing from entry %d", id.Level, id.Index, row)
		}
	}
	return out, nil
}

func parseCheckpointRow(note string, keyID string) (audit.SignedCheckpoint, error) {
	text, err := audit.NoteText([]byte(note))
	if err != nil {
		return audit.SignedCheckpoint{}, store.Wrap(store.CodeInternal, err, "stored checkpoint")
	}
	c, err := audit.ParseCheckpoint(text)
	if err != nil {
		return audit.SignedCheckpoint{}, store.Wrap(store.CodeInternal, err, "stored checkpoint")
	}
	return audit.SignedCheckpoint{Checkpoint: c, Note: []byte(note), KeyIDs: []string{keyID}}, nil
}

func (r *reader) LatestCheckpoint(ctx context.Context) (audit.SignedCheckpoint, error) {
	var note, keyID string
	if err := r.one(ctx, `SELECT note, key_id FROM audit_checkpoints ORDER BY size DESC LIMIT 1`, nil, &note, &keyID); err != nil {
		if isNotFound(err) {
			return audit.SignedCheckpoint{}, store.Errorf(store.CodeNotFound, "no checkpoint signed yet")
		}
		return audit.SignedCheckpoint{}, r.mapErr(err, "read checkpoint")
	}
	return parseCheckpointRow(note, keyID)
}

func (r *reader) CheckpointAt(ctx context.Context, size uint64) (audit.SignedCheckpoint, error) {
	var note, keyID string
	if err := r.one(ctx, `SELECT note, key_id FROM audit_checkpoints WHERE size = $1`, []any{clampIndex(size)}, &note, &keyID); err != nil {
		if isNotFound(err) {
			return audit.SignedCheckpoint{}, store.Errorf(store.CodeNotFound, "no signed checkpoint at size %d", size)
		}
		return audit.SignedCheckpoint{}, r.mapErr(err, "read checkpoint")
	}
	return parseCheckpointRow(note, keyID)
}

func (r *reader) Checkpoints(ctx context.Context, fn func([]byte) error) error {
	err := r.each(ctx, func(rows Rows) error {
		var note string
		if err := rows.Scan(&note); err != nil {
			return err
		}
		return fn([]byte(note))
	}, `SELECT note FROM audit_checkpoints ORDER BY size`)
	return r.mapErr(err, "read checkpoints")
}

func (r *reader) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	if _, err := r.CheckpointAt(ctx, size); err != nil {
		return nil, err
	}
	if index >= size {
		return nil, store.Errorf(store.CodeInvalid, "index %d is not below size %d", index, size)
	}
	return audit.InclusionProof(ctx, r, index, size)
}

func (r *reader) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	if from > to {
		return nil, store.Errorf(store.CodeInvalid, "size %d is above size %d", from, to)
	}
	if _, err := r.CheckpointAt(ctx, to); err != nil {
		return nil, err
	}
	if from > 0 {
		if _, err := r.CheckpointAt(ctx, from); err != nil {
			return nil, err
		}
	}
	return audit.ConsistencyProof(ctx, r, from, to)
}

func (r *reader) ArchiveRecords(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	err := r.each(ctx, func(rows Rows) error {
		var note string
		if err := rows.Scan(&note); err != nil {
			return err
		}
		out = append(out, []byte(note))
		return nil
	}, `SELECT note FROM audit_archives ORDER BY seq`)
	return out, r.mapErr(err, "read archive records")
}

func (r *reader) VerifierKeys(ctx context.Context) ([]string, error) {
	var out []string
	err := r.each(ctx, func(rows Rows) error {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	}, `SELECT vkey FROM audit_keys ORDER BY created, id`)
	return out, r.mapErr(err, "read verifier keys")
}
