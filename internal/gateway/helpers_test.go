package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/rulepack"
	"github.com/xborder/xborder/internal/store"
	_ "github.com/xborder/xborder/internal/store/postgres"
	_ "github.com/xborder/xborder/internal/store/sqlite"
)

func openURL(tb testing.TB, u string) store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func openSQLite(tb testing.TB, path string) store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

var testSet *rulepack.Set

func packs(tb testing.TB) *rulepack.Set {
	tb.Helper()
	if testSet == nil {
		s, err := rulepack.LoadWithDefaults(nil, rulepack.Limits{})
		if err != nil {
			tb.Fatal(err)
		}
		testSet = s
	}
	return testSet
}

// fixedNow is a working day in 2026 at noon China time.
var fixedNow = time.Date(2026, 6, 10, 4, 0, 0, 0, time.UTC)

func newGateway(tb testing.TB, st store.Store, opt store.GroupOptions) *gateway.Gateway {
	tb.Helper()
	g, err := gateway.New(st, gateway.Options{Set: packs(tb), Now: func() time.Time { return fixedNow }, Group: opt})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close() })
	return g
}

func putInventory(tb testing.TB, g *gateway.Gateway, yaml string) {
	tb.Helper()
	set := g.Set()
	inv, err := inventory.Parse("inventory", []byte(yaml), inventory.Options{Facts: set, Items: set, RejectTransfers: true})
	if err != nil {
		tb.Fatal(err)
	}
	err = g.Group().Do(context.Background(), func(tx store.Tx) error {
		_, err := tx.PutInventory(context.Background(), inv)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// benchInventory is the load benchmark's inventory (bench/loadgen makes the
// same): processors in groups, four PI assets each, a standard contract per
// processor covering them for one recipient.
func benchInventory(processors, groups int) string {
	var b strings.Builder
	b.WriteString("processors:\n")
	for i := 0; i < processors; i++ {
		fmt.Fprintf(&b, "  - id: p-%02d\n    name: Processor %02d\n    group: g-%d\n    ciio: false\n    legal_entity_in_china: true\n    kinds: [oem]\n", i, i, i%groups)
	}
	b.WriteString("assets:\n")
	for i := 0; i < processors; i++ {
		for a := 0; a < 4; a++ {
			fmt.Fprintf(&b, "  - id: p-%02d-a%d\n    processor: p-%02d\n    item: general.personal_information\n", i, a, i)
		}
	}
	b.WriteString("approvals:\n")
	for i := 0; i < processors; i++ {
		fmt.Fprintf(&b, "  - id: scc-p-%02d\n    kind: standard_contract\n    processor: p-%02d\n    effective: 2026-01-05\n    filed: 2026-01-09\n    scope:\n      assets: [p-%02d-a0, p-%02d-a1, p-%02d-a2, p-%02d-a3]\n      recipients: [Overseas Services GmbH]\n      max_individuals: 1000000000000\n", i, i, i, i, i, i)
	}
	return b.String()
}
