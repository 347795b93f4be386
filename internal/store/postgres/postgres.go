// Package postgres is the PostgreSQL store backend (pgx/v5, pgxpool).
//
// Serialization: every write transaction first takes
// pg_advisory_xact_lock(key), key derived from the schema name, so writers
// from any number of processes run one at a time and see each other's
// committed state (READ COMMITTED re-reads inside the lock). Durability:
// sessions run with synchronous_commit=on (forced unless the URL sets it),
// so COMMIT returns after the WAL is flushed; the server's fsync setting must
// be on (the default). Writes are pipelined: statements queue and are sent
// together with the next read or the COMMIT, so a group commit of many
// checks costs a few round trips. Opening registers the "postgres" scheme.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/sqlstore"
)

func init() {
	store.Register("postgres", func(ctx context.Context, url string) (store.Store, error) { return Open(ctx, url) })
}

// Open connects to the database at url (postgres://...). A search_path URL
// parameter selects the schema (the conformance suite uses one per run).
func Open(ctx context.Context, url string) (*sqlstore.DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, store.Wrap(store.CodeInvalid, err, "postgres URL")
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["synchronous_commit"]; !ok {
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, store.Wrap(store.CodeUnavailable, err, "connect")
	}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, store.Wrap(store.CodeUnavailable, err, "connect")
	}
	if schema == nil {
		pool.Close()
		return nil, store.Errorf(store.CodeInvalid, "postgres: no schema on the search_path exists")
	}
	h := fnv.New64a()
	h.Write([]byte("xborder:" + *schema))
	b := &backend{pool: pool, lockKey: int64(h.Sum64())}
	return sqlstore.Open(ctx, b, migrations)
}

type backend struct {
	pool    *pgxpool.Pool
	lockKey int64
}

func (b *backend) Name() string              { return "postgres" }
func (b *backend) Dialect() sqlstore.Dialect { return sqlstore.Postgres }
func (b *backend) Close() error              { b.pool.Close(); return nil }

// MapError gives driver errors stable store codes.
func (b *backend) MapError(err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return store.Wrap(store.CodeConflict, err, "already exists")
		case "XB001":
			return store.Wrap(store.CodeRetention, err, "refused by the audit log guard")
		case "40001", "40P01", "55P03", "57014":
			return store.Wrap(store.CodeUnavailable, err, "retry")
		}
		// The server answered and refused the data (class 22: data
		// exception, e.g. NUL in text; 23: integrity): the transaction did
		// not commit, and retrying the same data cannot help.
		if strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23") {
			return store.Wrap(store.CodeInvalid, err, "refused by the database")
		}
		return err
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return store.Wrap(store.CodeUnavailable, err, "database unreachable")
	}
	return err
}

func (b *backend) BeginWrite(ctx context.Context) (sqlstore.WriteConn, error) {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	c := &wconn{conn: conn}
	// Sent with the first query: one round trip for BEGIN, the lock and it.
	c.queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	c.queue("SELECT pg_advisory_xact_lock($1)", b.lockKey)
	return c, nil
}

func (b *backend) BeginRead(ctx context.Context) (sqlstore.ReadConn, error) {
	tx, err := b.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	return &rconn{tx: tx}, nil
}

type rconn struct{ tx pgx.Tx }

func (c *rconn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return c.tx.Query(ctx, q, args...)
}

func (c *rconn) End(ctx context.Context) error { return c.tx.Rollback(ctx) }

// wconn is a manual transaction on one pooled connection whose writes are
// queued and sent in batches.
type wconn struct {
	conn    *pgxpool.Conn
	pending *pgx.Batch
	done    bool
	// marks are savepoints still in pending: name -> position in the queue.
	marks map[string]int
}

func (c *wconn) Savepoint(ctx context.Context, name string) error {
	if c.marks == nil {
		c.marks = map[string]int{}
	}
	pos := 0
	if c.pending != nil {
		pos = c.pending.Len()
	}
	c.marks[name] = pos
	c.queue("SAVEPOINT " + name)
	return nil
}

func (c *wconn) RollbackTo(ctx context.Context, name string) error {
	if pos, ok := c.marks[name]; ok {
		// Never sent: dropping the queued tail undoes it.
		c.pending.QueuedQueries = c.pending.QueuedQueries[:pos]
		for n, p := range c.marks {
			if p >= pos {
				delete(c.marks, n)
			}
		}
		return nil
	}
	// Sent: everything still queued came after it. The simple protocol
	// works in an aborted transaction, where preparing would not.
	c.pending = nil
	_, err := c.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name+"; RELEASE SAVEPOINT "+name)
	return err
}

func (c *wconn) Release(ctx context.Context, name string) error {
	delete(c.marks, name)
	c.queue("RELEASE SAVEPOINT " + name)
	return nil
}

func (c *wconn) queue(q string, args ...any) {
	if c.pending == nil {
		c.pending = &pgx.Batch{}
	}
	c.pending.Queue(q, args...)
}

// send sends the queued statements plus, optionally, one final query whose
// rows are returned open.
func (c *wconn) send(ctx context.Context, q string, args []any) (pgx.Rows, pgx.BatchResults, error) {
	b := c.pending
	c.pending = nil
	clear(c.marks) // everything queued is being sent
	if b == nil {
		b = &pgx.Batch{}
	}
	n := b.Len()
	if q != "" {
		b.Queue(q, args...)
	}
	if b.Len() == 0 {
		return nil, nil, nil
	}
	br := c.conn.SendBatch(ctx, b)
	var first error
	for i := 0; i < n; i++ {
		if _, err := br.Exec(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		br.Close()
		return nil, nil, first
	}
	if q == "" {
		return nil, nil, br.Close()
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, nil, err
	}
	return rows, br, nil
}

type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	r.br.Close()
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return nil
}

func (c *wconn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, br, err := c.send(ctx, q, args)
	if err != nil {
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (c *wconn) Exec(ctx context.Context, q string, args ...any) error {
	c.queue(q, args...)
	return nil
}

func (c *wconn) ExecCount(ctx context.Context, q string, args ...any) (int64, error) {
	if err := c.Flush(ctx); err != nil {
		return 0, err
	}
	tag, err := c.conn.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c *wconn) ExecScript(ctx context.Context, script string) error {
	if err := c.Flush(ctx); err != nil {
		return err
	}
	_, err := c.conn.Exec(ctx, script) // no arguments: simple protocol, several statements
	return err
}

func (c *wconn) Flush(ctx context.Context) error {
	_, _, err := c.send(ctx, "", nil)
	return err
}

func (c *wconn) Commit(ctx context.Context) error {
	if c.done {
		return errors.New("transaction already ended")
	}
	c.queue("COMMIT")
	err := c.Flush(ctx)
	if err != nil {
		c.rollback(ctx)
		return fmt.Errorf("commit: %w", err)
	}
	c.done = true
	c.conn.Release()
	return nil
}

func (c *wconn) Rollback(ctx context.Context) error {
	if c.done {
		return nil
	}
	return c.rollback(ctx)
}

func (c *wconn) rollback(ctx context.Context) error {
	c.done = true
	c.pending = nil
	_, err := c.conn.Exec(ctx, "ROLLBACK")
	if err != nil {
		// A connection in an unknown state must not go back to the pool.
		c.conn.Conn().Close(ctx)
	}
	c.conn.Release()
	return err
}
