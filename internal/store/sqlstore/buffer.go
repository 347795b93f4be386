package sqlstore

import (
	"context"
	"sort"
)

// rowBuffer collects a PostgreSQL transaction's hot writes (audit entries,
// checks, idempotency keys, count increments) and sends each table's rows
// as one INSERT ... SELECT FROM unnest($1::type[], ...): a fixed statement
// whatever the row count, so a batch of checks costs five statements
// instead of five per check. It is flushed before any read (so reads see
// the rows), before any other write, at savepoint boundaries (so rows
// belong to the right savepoint) and before commit. SQLite writes rows
// directly (no round trips to save).
type rowBuffer struct {
	entIdx, entTS                 []int64
	entData, entLeaf, entNodes    [][]byte
	chkSeq, chkDay, chkLog, chkAt []int64
	chkID, chkProc, chkDecision   []string
	chkActor, chkTransfer         []string
	chkCounted, chkBackfill       []bool
	chkResp                       [][]byte
	idemKey                       []string
	idemHash, idemResp            [][]byte
	idemAt                        []int64
	totals                        map[totKey]*totDelta
	usage                         map[string]int64
}

type totDelta struct{ ind, sens, unknown int64 }

func (b *rowBuffer) empty() bool {
	return len(b.entIdx) == 0 && len(b.chkSeq) == 0 && len(b.idemKey) == 0 && len(b.totals) == 0 && len(b.usage) == 0
}

// reset drops everything buffered (a savepoint rollback).
func (b *rowBuffer) reset() { *b = rowBuffer{} }

func (b *rowBuffer) flush(ctx context.Context, c WriteConn) error {
	if b.empty() {
		return nil
	}
	var err error
	q := func(sql string, args ...any) {
		if err == nil {
			err = c.Exec(ctx, sql, args...)
		}
	}
	// A single row goes as a plain INSERT: cheaper for the server than
	// unnest (a savepoint per check flushes one row at a time).
	switch {
	case len(b.entIdx) == 1:
		q(`INSERT INTO audit_entries (idx, ts, data, leaf, nodes) VALUES ($1, $2, $3, $4, $5)`,
			b.entIdx[0], b.entTS[0], b.entData[0], b.entLeaf[0], b.entNodes[0])
	case len(b.entIdx) > 1:
		q(`INSERT INTO audit_entries (idx, ts, data, leaf, nodes)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[])`,
			b.entIdx, b.entTS, b.entData, b.entLeaf, b.entNodes)
	}
	switch {
	case len(b.chkSeq) == 1:
		q(`INSERT INTO checks (seq, transfer_id, processor, day, decision, counted, backfill, actor, log_index, at, transfer, response)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			b.chkSeq[0], b.chkID[0], b.chkProc[0], b.chkDay[0], b.chkDecision[0], b.chkCounted[0], b.chkBackfill[0], b.chkActor[0],
			b.chkLog[0], b.chkAt[0], b.chkTransfer[0], b.chkResp[0])
	case len(b.chkSeq) > 1:
		q(`INSERT INTO checks (seq, transfer_id, processor, day, decision, counted, backfill, actor, log_index, at, transfer, response)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::bool[], $7::bool[], $8::text[],
				$9::bigint[], $10::bigint[], $11::text[], $12::bytea[])`,
			b.chkSeq, b.chkID, b.chkProc, b.chkDay, b.chkDecision, b.chkCounted, b.chkBackfill, b.chkActor,
			b.chkLog, b.chkAt, b.chkTransfer, b.chkResp)
	}
	switch {
	case len(b.idemKey) == 1:
		q(`INSERT INTO idempotency (k, req_hash, response, at) VALUES ($1, $2, $3, $4)`, b.idemKey[0], b.idemHash[0], b.idemResp[0], b.idemAt[0])
	case len(b.idemKey) > 1:
		q(`INSERT INTO idempotency (k, req_hash, response, at) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::bigint[])`,
			b.idemKey, b.idemHash, b.idemResp, b.idemAt)
	}
	if len(b.totals) > 0 {
		// One row per key: ON CONFLICT cannot touch a row twice.
		keys := make([]totKey, 0, len(b.totals))
		for k := range b.totals {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return keys[i].year < keys[j].year || keys[i].year == keys[j].year && keys[i].proc < keys[j].proc
		})
		var years []int64
		var procs []string
		var ind, sens, unk []int64
		for _, k := range keys {
			d := b.totals[k]
			years, procs = append(years, int64(k.year)), append(procs, k.proc)
			ind, sens, unk = append(ind, d.ind), append(sens, d.sens), append(unk, d.unknown)
		}
		q(`INSERT INTO year_totals (year, processor, individuals, sensitive, unknown)
			SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
			ON CONFLICT (year, processor) DO UPDATE SET individuals = year_totals.individuals + excluded.individuals,
			sensitive = year_totals.sensitive + excluded.sensitive, unknown = year_totals.unknown + excluded.unknown`,
			years, procs, ind, sens, unk)
	}
	if len(b.usage) > 0 {
		ids := make([]string, 0, len(b.usage))
		for id := range b.usage {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		ns := make([]int64, len(ids))
		for i, id := range ids {
			ns[i] = b.usage[id]
		}
		q(`INSERT INTO approval_usage (approval, individuals) SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT (approval) DO UPDATE SET individuals = approval_usage.individuals + excluded.individuals`, ids, ns)
	}
	b.reset()
	return err
}

// bufferedQuerier flushes the buffer before every read.
type bufferedQuerier struct{ t *wtx }

func (q bufferedQuerier) Query(ctx context.Context, sql string, args ...any) (Rows, error) {
	if err := q.t.flushRows(ctx); err != nil {
		return nil, err
	}
	return q.t.c.Query(ctx, sql, args...)
}
