package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// DB implements store.Store over a Backend.
type DB struct {
	b Backend
	// mu serialises Update inside this process, so writers queue here
	// instead of on the database lock (which orders them across processes).
	mu     sync.Mutex
	closed bool
	// carry holds the counts the last committed Update of this process had
	// read or written, stamped with the head sequence it left behind. The
	// next Update starts from them when the head still has that sequence:
	// every write transaction (in any process, on either backend) bumps it,
	// so an unchanged sequence proves nobody else changed the counts. Guarded
	// by mu.
	carry *carried
}

type carried struct {
	seq    int64
	totals map[totKey]model.Counts
	usage  map[string]int64
}

// Open runs migrations (numbered scripts, applied in order under the global
// lock, each once: safe when two processes start together) and prepares the
// per-database secrets.
func Open(ctx context.Context, b Backend, migrations []string) (*DB, error) {
	d := &DB{b: b}
	if err := d.migrate(ctx, migrations); err != nil {
		b.Close()
		return nil, err
	}
	if err := d.initMeta(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return d, nil
}

// Backend implements store.Store.
func (d *DB) Backend() string { return d.b.Name() }

// Close implements store.Store: it waits for a running Update.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.b.Close()
}

func (d *DB) migrate(ctx context.Context, migrations []string) error {
	c, err := d.b.BeginWrite(ctx)
	if err != nil {
		return d.b.MapError(err)
	}
	ok := false
	defer func() {
		if !ok {
			c.Rollback(ctx)
		}
	}()
	if err := c.ExecScript(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations: %w", d.b.MapError(err))
	}
	var cur int
	rows, err := c.Query(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrations: %w", d.b.MapError(err))
	}
	for rows.Next() {
		if err := rows.Scan(&cur); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if cur > len(migrations) {
		return store.Errorf(store.CodeInvalid, "database schema version %d is newer than this xborder (%d): upgrade xborder", cur, len(migrations))
	}
	for v := cur + 1; v <= len(migrations); v++ {
		if err := c.ExecScript(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migration %d: %w", v, d.b.MapError(err))
		}
		if err := c.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, v); err != nil {
			return fmt.Errorf("migration %d: %w", v, d.b.MapError(err))
		}
	}
	if err := c.Commit(ctx); err != nil {
		return fmt.Errorf("migrations: %w", d.b.MapError(err))
	}
	ok = true
	return nil
}

// initMeta creates the log origin and the pseudonym key on first open.
func (d *DB) initMeta(ctx context.Context) error {
	return d.Update(ctx, func(t store.Tx) error {
		tx := t.(*wtx)
		for _, k := range []string{"origin", "pseudonym_key"} {
			if _, err := tx.meta(ctx, k); err == nil {
				continue
			} else if !isNotFound(err) {
				return err
			}
			b := make([]byte, 16)
			if k == "pseudonym_key" {
				b = make([]byte, 32)
			}
			if _, err := rand.Read(b); err != nil {
				return err
			}
			v := hex.EncodeToString(b)
			if k == "origin" {
				v = "xborder.log/" + v[:16]
			}
			if err := tx.exec(ctx, `INSERT INTO meta (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Update implements store.Store.
func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) (err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return store.ErrClosed
	}
	c, err := d.b.BeginWrite(ctx)
	if err != nil {
		return store.Wrap(store.CodeUnavailable, d.b.MapError(err), "begin write")
	}
	tx := &wtx{reader: reader{db: d, q: c}, c: c}
	if d.b.Dialect() == Postgres {
		tx.buf = &rowBuffer{}
		tx.reader.q = bufferedQuerier{tx}
	}
	done := false
	defer func() {
		if !done {
			c.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := tx.loadHead(ctx); err != nil {
		return err
	}
	// The carried counts are handed over, not shared: if this transaction
	// fails they are gone, and the next one reads from the database.
	if cr := d.carry; cr != nil && cr.seq == tx.h.seq {
		tx.totals, tx.usage = cr.totals, cr.usage
	}
	d.carry = nil
	if err := fn(tx); err != nil {
		return err
	}
	if tx.broken != nil {
		// A caller's savepoint failed to roll back and the batch went on:
		// nothing may be finished or committed.
		return tx.broken
	}
	if err := tx.finish(ctx); err != nil {
		return err
	}
	done = true
	if err := c.Commit(ctx); err != nil {
		// Pipelined statements go out with the COMMIT (PostgreSQL): a
		// statement the database refused (a taken key) keeps its code, since
		// the database definitely did not commit; anything else (a lost
		// connection) is unavailable, the outcome unknown to this side.
		mapped := d.b.MapError(err)
		if c := store.CodeOf(mapped); c == store.CodeConflict || c == store.CodeInvalid || c == store.CodeRetention {
			return mapped
		}
		return store.Wrap(store.CodeUnavailable, mapped, "commit")
	}
	seq := tx.h.seq
	if tx.wrote {
		seq++ // finish wrote seq+1
	}
	d.carry = &carried{seq: seq, totals: tx.totals, usage: tx.usage}
	return nil
}

// View implements store.Store.
func (d *DB) View(ctx context.Context, fn func(store.ReadTx) error) error {
	c, err := d.b.BeginRead(ctx)
	if err != nil {
		return store.Wrap(store.CodeUnavailable, d.b.MapError(err), "begin read")
	}
	defer c.End(context.WithoutCancel(ctx))
	return fn(&reader{db: d, q: c})
}

// head is the one-row summary every write transaction reads first: the
// state version, counters that must stay gap-free, and the log's right edge.
type head struct {
	seq        int64
	invVersion int64
	checkSeq   int64
	logLastTS  int64
	tree       *audit.Tree
}

func (h head) clone() head {
	h.tree = h.tree.Clone()
	return h
}

func isNotFound(err error) bool { return store.CodeOf(err) == store.CodeNotFound }
