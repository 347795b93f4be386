// Package sqlstore is the SQL implementation of store.Store shared by the
// SQLite and PostgreSQL backends. A backend supplies connections and a
// dialect; every query is written once here, with $n placeholders (the
// SQLite backend rewrites them to ?n).
package sqlstore

import "context"

// Dialect names the SQL flavour.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// Rows iterates a result.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs queries.
type Querier interface {
	// Query runs a query; a write connection first sends queued writes.
	Query(ctx context.Context, q string, args ...any) (Rows, error)
}

// ReadConn is a read-only snapshot transaction.
type ReadConn interface {
	Querier
	End(ctx context.Context) error
}

// WriteConn is the serialized write transaction; the backend's global lock
// is held before any statement of fn runs.
type WriteConn interface {
	Querier
	// Exec runs a statement, or queues it to be sent with the next flush.
	Exec(ctx context.Context, q string, args ...any) error
	// ExecCount runs a statement now and returns the rows it affected.
	ExecCount(ctx context.Context, q string, args ...any) (int64, error)
	// ExecScript runs several statements without arguments (migrations).
	ExecScript(ctx context.Context, script string) error
	// Savepoint, RollbackTo and Release manage a named savepoint.
	// RollbackTo must work after a failed statement (the transaction is
	// then in an aborted state until it runs).
	Savepoint(ctx context.Context, name string) error
	RollbackTo(ctx context.Context, name string) error
	Release(ctx context.Context, name string) error
	// Flush sends queued statements and returns the first error.
	Flush(ctx context.Context) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Backend is a database connection pool.
type Backend interface {
	Name() string
	Dialect() Dialect
	BeginWrite(ctx context.Context) (WriteConn, error)
	BeginRead(ctx context.Context) (ReadConn, error)
	// MapError turns driver errors into store errors with codes.
	MapError(err error) error
	Close() error
}
