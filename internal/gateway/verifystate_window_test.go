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
		rep := stateOf(t, st)
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

// One record edited to point far ahead is the one blamed: the intact
// records after it stay in order (they used to be reported, each, as out
// of log order, pushing the edit itself out of the capped report).
func TestVerifyState_OneJumpBlamesOne(t *testing.T) {
	for _, window := range []uint64{4, 1 << 16} {
		t.Run(fmt.Sprint("window ", window), func(t *testing.T) {
			defer gateway.SetStateWindow(window)()
			const n = 40
			st, db := crossingChecks(t, n)
			var from, to int64
			if err := db.QueryRow(`SELECT log_index FROM checks WHERE transfer_id = 't-01'`).Scan(&from); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT log_index FROM checks WHERE transfer_id = 't-38'`).Scan(&to); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE checks SET log_index = ? WHERE transfer_id = 't-01'`, to); err != nil {
				t.Fatal(err)
			}
			rep := stateOf(t, st)
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.Text)
			}
			all := strings.Join(got, "\n")
			// The jumped record: out of order, and unlike its new entry; its
			// own entry lacks a record; entry of t-38 has its record and the
			// copy. Nothing else.
			for _, want := range []string{
				fmt.Sprintf("check record 2 (transfer t-01) is out of log order: it points at entry %d", to),
				fmt.Sprintf("check record 2 differs from its entry %d", to),
				fmt.Sprintf("entry %d (transfer t-01, allow) has no check record", from),
			} {
				if !strings.Contains(all, want) {
					t.Errorf("want %q in\n%s", want, all)
				}
			}
			if len(got) != 3 {
				t.Errorf("%d problems, want 3:\n%s", len(got), all)
			}
			if rep.CheckRecords != n {
				t.Errorf("records %d, want %d", rep.CheckRecords, n)
			}
		})
	}
}

// Records in reverse log order (every one edited): the first few are
// compared one by one, the rest counted in one problem; no entry is
// reported as having lost its record, since every record still names one.
func TestVerifyState_ManyOutOfOrderAreCounted(t *testing.T) {
	defer gateway.SetStateWindow(5)()
	defer gateway.SetMaxStragglers(3)()
	const n = 20
	st, db := crossingChecks(t, n)
	// seq s gets the entry of seq n+1-s.
	idx := make([]int64, n)
	for s := 1; s <= n; s++ {
		if err := db.QueryRow(`SELECT log_index FROM checks WHERE seq = ?`, s).Scan(&idx[s-1]); err != nil {
			t.Fatal(err)
		}
	}
	for s := 1; s <= n; s++ {
		if _, err := db.Exec(`UPDATE checks SET log_index = ? WHERE seq = ?`, idx[n-s], s); err != nil {
			t.Fatal(err)
		}
	}
	rep := stateOf(t, st)
	var out, differs, more int
	var all strings.Builder
	for _, p := range rep.Problems {
		fmt.Fprintln(&all, p.Text)
		switch {
		case strings.Contains(p.Text, "has no check record"):
			t.Errorf("false deletion: %s", p.Text)
		case strings.Contains(p.Text, "is out of log order"):
			out++
		case strings.Contains(p.Text, "differs from its entry"):
			differs++
		case strings.Contains(p.Text, "more check records are out of log order"):
			more++
		}
	}
	if out != 3 || more != 1 || differs < 3 || rep.CheckRecords != n {
		t.Errorf("out of order %d (want 3), counted %d (want 1), differs %d, records %d:\n%s", out, more, differs, rep.CheckRecords, all.String())
	}
}

// Two consecutive records edited to point far ahead are both blamed, and
// nothing else: the look-ahead sees the intact records come back.
func TestVerifyState_TwoJumpsBlameTwo(t *testing.T) {
	defer gateway.SetStateWindow(6)()
	const n = 40
	st, db := crossingChecks(t, n)
	// t-05 and t-06 move 30 entries on (onto the entries of t-35, t-36).
	if _, err := db.Exec(`UPDATE checks SET log_index = log_index + 30 WHERE transfer_id IN ('t-05', 't-06')`); err != nil {
		t.Fatal(err)
	}
	rep := stateOf(t, st)
	var out, differs, deleted int
	var all strings.Builder
	for _, p := range rep.Problems {
		fmt.Fprintln(&all, p.Text)
		switch {
		case strings.Contains(p.Text, "is out of log order"):
			out++
		case strings.Contains(p.Text, "differs from its entry"):
			differs++
		case strings.Contains(p.Text, "has no check record"):
			deleted++
		}
	}
	// Each edited record: out of order and unlike its new entry; the two
	// entries they left have no record. Nothing about intact records.
	if out != 2 || differs != 2 || deleted != 2 || len(rep.Problems) != 6 {
		t.Errorf("out of order %d, differs %d, without record %d (want 2 each, 6 in all):\n%s", out, differs, deleted, all.String())
	}
}

// crossingChecks makes n allowed checks (t-00, t-01, ...) on a fresh SQLite
// database and returns the store and a direct connection to edit it.
func crossingChecks(t *testing.T, n int) (store.Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.db")
	st := openSQLite(t, path)
	g := setupOn(t, st, gateway.Options{})
	for i := 0; i < n; i++ {
		if _, _, _, gerr := check(t, g, fmt.Sprintf("k-%02d", i), gatewaytest.CrossingCheck(fmt.Sprintf("t-%02d", i))); gerr != nil {
			t.Fatal(gerr)
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return st, db
}

// stateOf runs VerifyState in one read transaction.
func stateOf(t *testing.T, st store.Store) *gateway.StateReport {
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
