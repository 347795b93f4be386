package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/storetest"
)

func testURL(t testing.TB) string     { return storetest.PostgresURL(t) }
func freshSchema(t testing.TB) string { return storetest.PostgresSchema(t) }

func factory(t *testing.T) *storetest.Harness {
	u := freshSchema(t)
	return &storetest.Harness{
		OpenStore: func() (store.Store, error) {
			return store.Open(context.Background(), u)
		},
		Exec: func(t *testing.T, q string, args ...any) error {
			conn, err := pgx.Connect(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			_, err = conn.Exec(context.Background(), q, args...)
			return err
		},
		DropGuards:  "DROP TRIGGER audit_entries_guard ON audit_entries; DROP TRIGGER audit_checkpoints_guard ON audit_checkpoints",
		Placeholder: func(n int) string { return fmt.Sprintf("$%d", n) },
		QueryBytes: func(t *testing.T, q string, args ...any) ([]byte, error) {
			conn, err := pgx.Connect(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			var b []byte
			err = conn.QueryRow(context.Background(), q, args...).Scan(&b)
			return b, err
		},
		OnTable: func(table string) string { return " ON " + table },
	}
}

func TestConformance(t *testing.T) {
	testURL(t)
	storetest.Run(t, factory)
}

func TestDurabilitySettings(t *testing.T) {
	u := freshSchema(t)
	st, err := Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg, _ := pgx.ParseConfig(u)
	cfg.RuntimeParams["synchronous_commit"] = "on"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var fsync string
	if err := conn.QueryRow(context.Background(), "SHOW fsync").Scan(&fsync); err != nil || fsync != "on" {
		t.Errorf("server fsync = %q (%v): commits are not durable on this server", fsync, err)
	}
}

func openURL(url string) (store.Store, error) { return store.Open(context.Background(), url) }

// TestKill9KeepsAcknowledgedCommits kills a writer process with SIGKILL
// mid-stream and checks every acknowledged commit survived intact.
func TestKill9KeepsAcknowledgedCommits(t *testing.T) {
	storetest.CrashChild(openURL)
	storetest.CrashTest(t, "TestKill9KeepsAcknowledgedCommits", freshSchema(t), openURL)
}

// TestRefusedDataIsInvalidNotUnavailable: writes travel with the COMMIT, so
// a value PostgreSQL refuses (NUL in text: SQLSTATE 22021) surfaces there.
// The server answered and did not commit: the code is invalid, never
// unavailable (which would fail a whole batch of neighbours without rerun).
func TestRefusedDataIsInvalidNotUnavailable(t *testing.T) {
	st, err := Open(context.Background(), freshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.PutApproval(context.Background(), &model.Approval{ID: "sa\x00-1", Kind: "security_assessment", Processor: "p"})
		return err
	})
	if err == nil || store.CodeOf(err) != store.CodeInvalid {
		t.Fatalf("NUL in an id: %v (code %s), want %s", err, store.CodeOf(err), store.CodeInvalid)
	}
}
