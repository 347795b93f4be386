package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresURL is the server for tests (XBORDER_TEST_POSTGRES, which .ci/run
// sets); the test is skipped without it.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("XBORDER_TEST_POSTGRES")
	if u == "" {
		t.Skip("XBORDER_TEST_POSTGRES not set: skipping PostgreSQL tests")
	}
	return u
}

// PostgresSchema creates a schema of its own for one test and returns a URL
// whose search_path selects it; the schema is dropped afterwards, so
// parallel test packages never collide.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "x_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
