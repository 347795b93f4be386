package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/storetest"
)

func factory(t *testing.T) *storetest.Harness {
	path := filepath.Join(t.TempDir(), "x.db")
	return &storetest.Harness{
		OpenStore: func() (store.Store, error) {
			return store.Open(context.Background(), "sqlite:"+path)
		},
		Exec: func(t *testing.T, q string, args ...any) error {
			db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, err = db.Exec(q, args...)
			return err
		},
		DropGuards:  "DROP TRIGGER audit_entries_no_delete; DROP TRIGGER audit_entries_guard; DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;",
		Placeholder: func(n int) string { return fmt.Sprintf("?%d", n) },
		QueryBytes: func(t *testing.T, q string, args ...any) ([]byte, error) {
			db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var b []byte
			err = db.QueryRow(q, args...).Scan(&b)
			return b, err
		},
		OnTable: func(string) string { return "" },
	}
}

func TestConformance(t *testing.T) { storetest.Run(t, factory) }

// TestDurabilitySettings checks the settings that make a commit durable on
// the writer connection: WAL, synchronous=FULL (2), a busy timeout.
func TestDurabilitySettings(t *testing.T) {
	b, err := openBackend(context.Background(), filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// Read them inside a write transaction: that is the connection commits use.
	ctx := context.Background()
	w, err := b.BeginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback(ctx)
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "busy_timeout": "10000", "wal_autocheckpoint": "0"} {
		got, err := w.(*wconn).pragma(ctx, pragma)
		if err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
}

// TestWriter_StatementsOutliveTransactions: the writer keeps one connection
// and its prepared statements across transactions, and a failed COMMIT or a
// rollback leaves it ready for the next BEGIN.
func TestWriter_StatementsOutliveTransactions(t *testing.T) {
	b, err := openBackend(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	run := func(commit bool, v int) {
		t.Helper()
		w, err := b.BeginWrite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Exec(ctx, `CREATE TABLE IF NOT EXISTS t (v INTEGER)`); err != nil {
			t.Fatal(err)
		}
		if err := w.Exec(ctx, `INSERT INTO t (v) VALUES ($1)`, v); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = w.Commit(ctx)
		} else {
			err = w.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	run(true, 1)
	n := len(b.stmts)
	run(false, 2)
	run(true, 3)
	if len(b.stmts) != n || n != 2 {
		t.Errorf("prepared statements: %d after one transaction, %d after three; want 2 and 2", n, len(b.stmts))
	}
	w, err := b.BeginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.(*wconn).pragma(ctx, "SELECT group_concat(v) FROM t")
	w.Rollback(ctx)
	if err != nil || got != "1,3" {
		t.Errorf("rows = %q (%v), want 1,3 (the rolled-back insert gone)", got, err)
	}
}

func TestOpen_BadPath(t *testing.T) {
	for _, u := range []string{"sqlite:", "sqlite:/tmp/x?mode=ro", "mysql://x"} {
		if _, err := store.Open(context.Background(), u); err == nil {
			t.Errorf("%q opened", u)
		}
	}
}

func openURL(url string) (store.Store, error) { return store.Open(context.Background(), url) }

// TestKill9KeepsAcknowledgedCommits kills a writer process with SIGKILL
// mid-stream and checks every acknowledged commit survived intact.
func TestKill9KeepsAcknowledgedCommits(t *testing.T) {
	storetest.CrashChild(openURL)
	storetest.CrashTest(t, "TestKill9KeepsAcknowledgedCommits", "sqlite:"+filepath.Join(t.TempDir(), "crash.db"), openURL)
}

// TestCheckpointsRunBesideTheWriter: the writer never checkpoints (see
// openBackend); the background connection moves every committed frame into
// the database file.
func TestCheckpointsRunBesideTheWriter(t *testing.T) {
	old := CheckpointEvery
	CheckpointEvery = 10 * time.Millisecond
	defer func() { CheckpointEvery = old }()
	path := filepath.Join(t.TempDir(), "c.db")
	b, err := openBackend(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		w, err := b.BeginWrite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Exec(ctx, `CREATE TABLE IF NOT EXISTS t (v BLOB)`); err != nil {
			t.Fatal(err)
		}
		if err := w.Exec(ctx, `INSERT INTO t (v) VALUES (randomblob(3000))`); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Until a checkpoint runs, the rows are only in the WAL: the database
	// file itself grows when the background connection copies them in.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := os.Stat(path)
		if err == nil && st.Size() > 50*3000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: the WAL was not checkpointed", st.Size())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var n int
	if err := b.r.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 50 {
		t.Fatalf("rows %d (%v), want 50", n, err)
	}
}
