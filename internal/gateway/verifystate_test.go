package gateway_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/gateway/gatewaytest"
	"github.com/xborder/xborder/internal/store"
)

// TestVerifyState_NamesEveryEditBesideTheLog: the log proves its entries;
// the totals, the approval usage and the check records a later decision
// reads are recomputed from them, so an edit to any of them is found.
func TestVerifyState_NamesEveryEditBesideTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	st := openSQLite(t, path)
	g := setupOn(t, st, gateway.Options{})
	for i, body := range [][]byte{gatewaytest.CappedCheck("t-1"), gatewaytest.CappedCheck("t-2"), gatewaytest.CrossingCheck("t-3"),
		// Unknown counts: undetermined, so denied and never counted.
		[]byte(`{"id": "t-4", "processor": "crossing", "assets": ["crossing-pi"], "recipient": {"name": "Overseas Services GmbH", "country": "DE"}, "purpose": "p"}`)} {
		if _, _, _, gerr := check(t, g, "k-"+string(rune('a'+i)), body); gerr != nil {
			t.Fatal(gerr)
		}
	}
	verify := func() *gateway.StateReport {
		t.Helper()
		var rep *gateway.StateReport
		err := st.View(context.Background(), func(tx store.ReadTx) error {
			var err error
			rep, err = gateway.VerifyState(context.Background(), tx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := verify()
	if !rep.OK() || rep.CheckEntries != 4 || rep.CheckRecords != 4 || rep.YearTotals != 2 || rep.ApprovalUsages != 1 {
		t.Fatalf("clean state: %+v", rep)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		name, edit, undo, want string
	}{
		{"a total lowered", `UPDATE year_totals SET individuals = 0 WHERE processor = 'capped'`, `UPDATE year_totals SET individuals = 18 WHERE processor = 'capped'`,
			"yearly totals of capped in 2026: stored 0 non-sensitive, 2 sensitive, 0 without counts; the log's allowed checks give 18, 2, 0"},
		{"a count invented", `UPDATE year_totals SET unknown = 1 WHERE processor = 'crossing'`, `UPDATE year_totals SET unknown = 0 WHERE processor = 'crossing'`,
			"yearly totals of crossing in 2026: stored 200 non-sensitive, 0 sensitive, 1 without counts; the log's allowed checks give 200, 0, 0"},
		{"a total row deleted", `DELETE FROM year_totals WHERE processor = 'crossing'`, `INSERT INTO year_totals VALUES (2026, 'crossing', 200, 0, 0)`,
			"yearly totals of crossing in 2026: none stored"},
		{"approval usage reset", `UPDATE approval_usage SET individuals = 0`, `UPDATE approval_usage SET individuals = 20`,
			"usage of approval scc-capped: stored 0 individuals, the log's allowed checks relying on it give 20"},
		{"a check record deleted", `DELETE FROM checks WHERE transfer_id = 't-2'`, ``, "has no check record: the record was deleted"},
	} {
		if _, err := db.Exec(c.edit); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rep := verify()
		if rep.OK() || !strings.Contains(rep.Problems[0].Text, c.want) {
			t.Errorf("%s: problems %+v, want one saying %q", c.name, rep.Problems, c.want)
		}
		if c.undo != "" {
			if _, err := db.Exec(c.undo); err != nil {
				t.Fatalf("%s: undo: %v", c.name, err)
			}
			if rep := verify(); !rep.OK() {
				t.Fatalf("%s undone: %+v", c.name, rep.Problems)
			}
		}
	}
}
