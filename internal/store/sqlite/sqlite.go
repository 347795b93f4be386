// Package sqlite is the embedded store backend (modernc.org/sqlite, no cgo).
//
// Durability: the database runs in WAL mode with synchronous=FULL, so a
// commit returns only after the WAL is fsynced; a committed Update survives
// a crash or kill -9. There is exactly one writer connection and writes use
// BEGIN IMMEDIATE, which takes SQLite's write lock before the first read, so
// a transaction that reads counts and writes them back is serialized against
// every other writer, in this process or another one on the same file.
// Readers use a separate pool and see WAL snapshots. Opening registers the
// "sqlite" URL scheme: sqlite:PATH.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/sqlstore"
)

func init() {
	store.Register("sqlite", func(ctx context.Context, url string) (store.Store, error) {
		return Open(ctx, strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"))
	})
}

// BusyTimeoutMS is how long a writer waits for another process's write lock.
const BusyTimeoutMS = 10000

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	b, err := openBackend(ctx, path)
	if err != nil {
		return nil, err
	}
	return sqlstore.Open(ctx, b, migrations)
}

func openBackend(ctx context.Context, path string) (*backend, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, store.Errorf(store.CodeInvalid, "sqlite path %q: want a file name without ? or #", path)
	}
	// journal_mode(WAL) is persistent in the file, so only the writer sets
	// it (see pingWriter); the other connections find the file in WAL mode.
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)", BusyTimeoutMS)
	// The writer never checkpoints: a checkpoint copies WAL pages into the
	// database file and fsyncs it, and on the writer's connection that ran
	// inside a commit, on the one thread every check waits for. A separate
	// connection does it in the background (checkpointLoop).
	w, err := sql.Open("sqlite", path+"?"+common+"&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := pingWriter(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)&_pragma=mmap_size(1073741824)")
	if err != nil {
		w.Close()
		return nil, err
	}
	// Readers map the file: verification streams every tile, and copying
	// overflow pages through the page cache cost as much as hashing them.
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(4)
	cp, err := sql.Open("sqlite", path+"?"+common)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	cp.SetMaxOpenConns(1)
	b := &backend{w: w, r: r, cp: cp, path: path, stopCP: make(chan struct{}), cpDone: make(chan struct{})}
	go b.checkpointLoop(CheckpointEvery)
	return b, nil
}

// pingWriter opens the writer connection, which switches a new file to WAL
// mode. SQLite does not call the busy handler while it changes the journal
// mode (waiting there could deadlock), so two processes opening a fresh
// file at once make one of them fail at once with SQLITE_BUSY whatever
// busy_timeout says. We retry that for as long as busy_timeout would wait.
func pingWriter(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(BusyTimeoutMS * time.Millisecond)
	wait := time.Millisecond
	for {
		err := w.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}

// CheckpointEvery is how often the background connection moves committed
// WAL pages into the database file. PASSIVE checkpoints never block the
// writer or readers; between them the WAL grows by what was committed.
var CheckpointEvery = 100 * time.Millisecond

func (b *backend) checkpointLoop(every time.Duration) {
	defer close(b.cpDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stopCP:
			return
		case <-t.C:
			// Errors (a busy file) are retried at the next tick; nothing
			// committed depends on a checkpoint, only the WAL's length.
			b.cp.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

type backend struct {
	w, r *sql.DB
	cp   *sql.DB // background checkpoints
	path string
	// stopCP ends checkpointLoop; cpDone is closed when it has.
	stopCP, cpDone chan struct{}
	// The writer connection, held for the life of the backend, and the
	// statements prepared on it (see wconn).
	wmu   sync.Mutex
	wc    *sql.Conn
	stmts map[string]*sql.Stmt
}

func (b *backend) Name() string              { return "sqlite" }
func (b *backend) Dialect() sqlstore.Dialect { return sqlstore.SQLite }
func (b *backend) Close() error {
	close(b.stopCP)
	<-b.cpDone
	// A last full checkpoint on the way out keeps the WAL short for the next
	// start (any process may also do it later).
	b.cp.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	b.wmu.Lock()
	var errs []error
	for _, s := range b.stmts {
		errs = append(errs, s.Close())
	}
	if b.wc != nil {
		errs = append(errs, b.wc.Close())
	}
	b.wc, b.stmts = nil, nil
	b.wmu.Unlock()
	return errors.Join(append(errs, b.r.Close(), b.w.Close(), b.cp.Close())...)
}

var placeholder = regexp.MustCompile(`\$(\d+)`)
var rewritten sync.Map

// rewrite turns $n placeholders into SQLite's ?n.
func rewrite(q string) string {
	if v, ok := rewritten.Load(q); ok {
		return v.(string)
	}
	s := placeholder.ReplaceAllString(q, "?$1")
	rewritten.Store(q, s)
	return s
}

// MapError gives driver errors stable store codes.
func (b *backend) MapError(err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "xborder: audit"):
		return store.Wrap(store.CodeRetention, err, "refused by the audit log guard")
	case strings.Contains(msg, "UNIQUE constraint failed"), strings.Contains(msg, "PRIMARY KEY"):
		return store.Wrap(store.CodeConflict, err, "already exists")
	case isBusy(err):
		return store.Wrap(store.CodeUnavailable, err, "database busy")
	}
	return err
}

func (b *backend) BeginWrite(ctx context.Context) (sqlstore.WriteConn, error) {
	// sqlstore.DB serialises Update, so one transaction at a time uses the
	// writer connection; the lock only guards its lazy opening.
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.wc == nil {
		c, err := b.w.Conn(ctx)
		if err != nil {
			return nil, err
		}
		b.wc, b.stmts = c, map[string]*sql.Stmt{}
	}
	// BEGIN IMMEDIATE takes the write lock before the first read, so a
	// transaction that reads counts and writes them back is serialised
	// against every other writer, in this process or another.
	if _, err := b.wc.ExecContext(context.WithoutCancel(ctx), "BEGIN IMMEDIATE"); err != nil {
		return nil, err
	}
	return &wconn{b: b, c: b.wc}, nil
}

func (b *backend) BeginRead(ctx context.Context) (sqlstore.ReadConn, error) {
	tx, err := b.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &rconn{tx: tx}, nil
}

type rows struct{ *sql.Rows }

func (r rows) Close() { r.Rows.Close() }

type rconn struct{ tx *sql.Tx }

func (c *rconn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rs, err := c.tx.QueryContext(ctx, rewrite(q), args...)
	if err != nil {
		return nil, err
	}
	return rows{rs}, nil
}

func (c *rconn) End(ctx context.Context) error { return c.tx.Rollback() }

// wconn is one write transaction on the backend's single writer
// connection. Statements are prepared on the connection and kept across
// transactions: a group commit runs the same few statements for every check,
// and preparing them once per transaction still cost a tenth of the writer's
// CPU.
type wconn struct {
	b *backend
	c *sql.Conn
}

func (c *wconn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := c.b.stmts[q]; ok {
		return s, nil
	}
	s, err := c.c.PrepareContext(context.WithoutCancel(ctx), rewrite(q))
	if err != nil {
		return nil, err
	}
	c.b.stmts[q] = s
	return s, nil
}

// pragma reads one value on the writer connection (a PRAGMA name, or a
// whole SELECT statement); for tests.
func (c *wconn) pragma(ctx context.Context, q string) (string, error) {
	if !strings.HasPrefix(q, "SELECT ") {
		q = "PRAGMA " + q
	}
	var v string
	err := c.c.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

func (c *wconn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	// Writer statements never see a caller's cancellation: modernc
	// interrupts the statement, and SQLite then rolls back the whole shared
	// transaction, other callers' work too (see sqlstore's broken).
	rs, err := st.QueryContext(context.WithoutCancel(ctx), args...)
	if err != nil {
		return nil, err
	}
	return rows{rs}, nil
}

func (c *wconn) Exec(ctx context.Context, q string, args ...any) error {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(context.WithoutCancel(ctx), args...)
	return err
}

func (c *wconn) ExecCount(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.c.ExecContext(context.WithoutCancel(ctx), rewrite(q), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c *wconn) ExecScript(ctx context.Context, script string) error {
	_, err := c.c.ExecContext(context.WithoutCancel(ctx), script)
	return err
}

func (c *wconn) Savepoint(ctx context.Context, name string) error {
	return c.Exec(ctx, "SAVEPOINT "+name)
}

func (c *wconn) RollbackTo(ctx context.Context, name string) error {
	if err := c.Exec(ctx, "ROLLBACK TO SAVEPOINT "+name); err != nil {
		return err
	}
	return c.Exec(ctx, "RELEASE SAVEPOINT "+name)
}

func (c *wconn) Release(ctx context.Context, name string) error {
	return c.Exec(ctx, "RELEASE SAVEPOINT "+name)
}

func (c *wconn) Flush(context.Context) error { return nil }

// Commit ends the transaction; if COMMIT fails the transaction is rolled
// back, so the connection never stays inside a half-ended transaction.
func (c *wconn) Commit(ctx context.Context) error {
	if _, err := c.c.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		c.c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	return nil
}

func (c *wconn) Rollback(ctx context.Context) error {
	_, err := c.c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	return err
}
