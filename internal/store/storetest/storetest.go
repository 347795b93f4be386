// Package storetest is the conformance suite every store backend passes.
// A backend's test calls Run with a factory that makes a fresh, empty
// database for each test.
package storetest

import (
	"context"
	"testing"

	"github.com/xborder/xborder/internal/store"
)

// Harness is one fresh database.
type Harness struct {
	// OpenStore opens a new Store instance on the database (a second call
	// gives a second, independent instance: another pool, as another process
	// would). It returns its error rather than failing the test so that it
	// can be called from other goroutines (t.Fatal there would end only that
	// goroutine, and a test waiting for it would hang).
	OpenStore func() (store.Store, error)
	// Exec runs SQL directly, as an attacker with database access would.
	Exec func(t *testing.T, sql string, args ...any) error
	// DropGuards is SQL that removes the audit log's triggers.
	DropGuards string
	// Placeholder formats the n-th SQL parameter ($1 or ?1).
	Placeholder func(n int) string
	// QueryBytes reads one blob directly.
	QueryBytes func(t *testing.T, sql string, args ...any) ([]byte, error)
	// OnTable is the " ON table" clause DROP TRIGGER needs (PostgreSQL).
	OnTable func(table string) string
}

// Open opens a new instance and closes it when the test ends.
func (h *Harness) Open(t *testing.T) store.Store {
	t.Helper()
	st, err := h.OpenStore()
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Factory makes a fresh database for one test; cleanup is registered on t.
type Factory func(t *testing.T) *Harness

// Run runs the whole suite.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *Harness)
	}{
		{"MigrationsIdempotent", testMigrations},
		{"InventoryRoundTrip", testInventory},
		{"InventoryRefusals", testInventoryRefusals},
		{"Approvals", testApprovals},
		{"Checks", testChecks},
		{"Counters", testCounters},
		{"Idempotency", testIdempotency},
		{"Tokens", testTokens},
		{"TokenRevocation", testTokenRevocation},
		{"RollbackKeepsNothing", testRollback},
		{"SavepointUndoesOnlyItself", testSavepoint},
		{"AuditAppendProveVerify", testAudit},
		{"AuditTimesNeverGoBack", testAuditClamp},
		{"AuditGuardsRefuseChanges", testGuards},
		{"AuditTamperNamesEntry", testTamper},
		{"AuditTamperInsideTile", testTamperTile},
		{"AuditRetentionAndArchive", testArchive},
		{"SigningKeys", testKeys},
		{"ReopenKeepsCommitted", testReopen},
		{"GroupCommit", testGroup},
		{"ConcurrentExactCounts", testConcurrency},
		{"CarriedCountsSeeOtherWriters", testCarriedCounts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, f(t))
		})
	}
}

func ctx() context.Context { return context.Background() }

func update(t *testing.T, st store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := st.Update(ctx(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, st store.Store, fn func(tx store.ReadTx) error) {
	t.Helper()
	if err := st.View(ctx(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}
