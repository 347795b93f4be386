package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/storetest"
)

func factory(t *testing.T) *storetest.Harness {
	path := filepath.Join(t.TempDir(), "x.db")
	return &storetest.Harness{
		Open: func(t *testing.T) store.Store {
			st, err := store.Open(context.Background(), "sqlite:"+path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
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
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "busy_timeout": "10000"} {
		var got string
		if err := b.w.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
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
