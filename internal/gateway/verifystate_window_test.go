package gateway_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/gateway/gatewaytest"
	"github.com/xborder/xborder/internal/store"
)

// VerifyState merges the log and the check records a window of entries at
// a time; with a window of 3 entries, 30 checks cross ten windows, and
// every edit is still found, including ones that only a merge across
// windows can see (a record moved to another entry, a duplicated record).
func TestVerifyState_AcrossWindows(t *testing.T) {
	defer gateway.SetStateWindow(3)()
	path := filepath.Join(t.TempDir(), "w.db")
	st := openSQLite(t, path)
	g := setupOn(t, st, gateway.Options{})
	const n = 30
	for i := 0; i < n; i++ {
		body := gatewaytest.CappedCheck(fmt.Sprintf("t-%02d", i))
		if i%3 == 1 {
			body = gatewaytest.CrossingCheck(fmt.Sprintf("t-%02d", i)) // denied: no approval
		}
		if _, _, _, gerr := check(t, g, fmt.Sprintf("k-%02d", i), body); gerr != nil {
			t.Fatal(gerr)
		}
	}
	verify := func() *gateway.StateReport {
		t.Helper()
		var rep *gateway.StateReport
		if err := st.View(context.Background(), func(tx store.ReadTx) error {
			var err error
			rep, err = gateway.VerifyState(context.Background(), tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := verify()
	if !rep.OK() || rep.CheckEntries != n || rep.CheckRecords != n {
		t.Fatalf("clean state over many windows: %+v", rep)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	logIndex := func(transfer string) int64 {
		t.Helper()
		var idx int64
		if err := db.QueryRow(`SELECT log_index FROM checks WHERE transfer_id = ?`, transfer).Scan(&idx); err != nil {
			t.Fatal(err)
		}
		return idx
	}
	texts := func(r *gateway.StateReport) string {
		var b strings.Builder
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "%d: %s\n", p.Entry, p.Text)
		}
		return b.String()
	}

	// Two records swap entries: the earlier one now points past the later
	// one's entry (out of log order), and each differs from its entry. No
	// entry lacks its record, so none is reported as deleted.
	a, b := logIndex("t-03"), logIndex("t-21")
	exec(`UPDATE checks SET log_index = ? WHERE transfer_id = 't-03'`, b)
	exec(`UPDATE checks SET log_index = ? WHERE transfer_id = 't-21'`, a)
	rep = verify()
	got := texts(rep)
	for _, want := range []string{
		fmt.Sprintf("%d: check record", b) + " 4 differs from its entry",
		fmt.Sprintf("is out of log order: it points at entry %d", a),
		fmt.Sprintf("%d: check record 22 differs from its entry %d", a, a),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("swapped records: want %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "has no check record") {
		t.Errorf("swapped records: an entry reported without its record:\n%s", got)
	}
	exec(`UPDATE checks SET log_index = ? WHERE transfer_id = 't-03'`, a)
	exec(`UPDATE checks SET log_index = ? WHERE transfer_id = 't-21'`, b)
	if rep := verify(); !rep.OK() {
		t.Fatalf("swap undone: %s", texts(rep))
	}

	// A record copied under a new sequence number: the same entry recorded
	// twice is out of order the second time.
	exec(`INSERT INTO checks SELECT 1000, transfer_id, processor, day, decision, counted, backfill, actor, log_index, at, transfer, response FROM checks WHERE transfer_id = 't-09'`)
	rep = verify()
	if got := texts(rep); len(rep.Problems) != 1 || !strings.Contains(got, fmt.Sprintf("check record 1000 (transfer t-09) is out of log order: it points at entry %d", logIndex("t-09"))) {
		t.Errorf("duplicated record: %s", got)
	}
	exec(`DELETE FROM checks WHERE seq = 1000`)

	// A record deleted in a middle window, and one pointing beyond the log.
	idx := logIndex("t-15")
	exec(`DELETE FROM checks WHERE transfer_id = 't-15'`)
	exec(`UPDATE checks SET log_index = 100000 WHERE transfer_id = 't-29'`)
	rep = verify()
	got = texts(rep)
	for _, want := range []string{
		fmt.Sprintf("%d: entry %d (transfer t-15, allow) has no check record", idx, idx),
		"check record 30 (transfer t-29) points at entry 100000, beyond the log",
		"(transfer t-29, allow) has no check record",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("deleted and moved records: want %q in\n%s", want, got)
		}
	}
	if rep.CheckRecords != n-1 {
		t.Errorf("records %d, want %d", rep.CheckRecords, n-1)
	}
}
