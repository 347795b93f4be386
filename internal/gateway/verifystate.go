package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// StateReport is what VerifyState found. The Merkle log proves its entries
// were not changed; the state a decision reads (yearly totals, approval
// usage, the recorded checks) lives beside it in ordinary tables, so it is
// recomputed from the entries and compared: an edited total would change
// later answers without touching the log.
type StateReport struct {
	CheckEntries   int             `json:"check_entries"`
	CheckRecords   int             `json:"check_records"`
	YearTotals     int             `json:"year_totals"`
	ApprovalUsages int             `json:"approval_usages"`
	Archived       uint64          `json:"archived"`
	Skipped        []string        `json:"skipped"`
	Problems       []audit.Problem `json:"problems"`
	Elapsed        string          `json:"elapsed"`
}

// OK reports whether the state matches the log.
func (r *StateReport) OK() bool { return len(r.Problems) == 0 }

// checkEntry is the part of a transfer.check body the state depends on.
type checkEntry struct {
	Approval             string `json:"approval"`
	Counted              bool   `json:"counted"`
	Date                 string `json:"date"`
	Decision             string `json:"decision"`
	Individuals          *int64 `json:"individuals"`
	Processor            string `json:"processor"`
	SensitiveIndividuals *int64 `json:"sensitive_individuals"`
	Transfer             string `json:"transfer"`
}

type totKey struct {
	year int
	proc string // as logged: redacted
}

// VerifyState recomputes the yearly totals, the approval usage and the set
// of recorded checks from the transfer.check entries of the log and compares
// them with what is stored. Entries archived after the retention period have
// no content: years and approvals they may have touched are skipped and
// named in the report.
func VerifyState(ctx context.Context, tx store.ReadTx) (*StateReport, error) {
	start := time.Now()
	rep := &StateReport{Skipped: []string{}, Problems: []audit.Problem{}}
	k, err := tx.PseudonymKey(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := audit.NewPseudonymizer(k)
	if err != nil {
		return nil, err
	}
	size, err := tx.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	// Problems come from parallel decoders in no fixed order: keep the
	// first by entry index, so every run names the same ones.
	var probs []audit.Problem
	problem := func(entry int64, format string, args ...any) {
		probs = append(probs, audit.Problem{Entry: entry, Text: fmt.Sprintf(format, args...)})
	}
	defer func() {
		sort.SliceStable(probs, func(i, j int) bool {
			a, b := probs[i].Entry, probs[j].Entry
			if (a < 0) != (b < 0) {
				return a >= 0 // entries first, then state-wide problems
			}
			return a < b
		})
		// At most 100 of each kind: state-wide problems (totals, usage,
		// counts of what was not listed) must not be pushed out by a flood
		// of entry problems.
		var entryProbs, stateProbs []audit.Problem
		for _, p := range probs {
			if p.Entry >= 0 {
				entryProbs = append(entryProbs, p)
			} else {
				stateProbs = append(stateProbs, p)
			}
		}
		if n := len(entryProbs) - 100; n > 0 {
			entryProbs = append(entryProbs[:100], audit.Problem{Entry: -1, Text: fmt.Sprintf("%d more problems with entries not listed", n)})
		}
		rep.Problems = append(rep.Problems, entryProbs...)
		rep.Problems = append(rep.Problems, stateProbs[:min(len(stateProbs), 100)]...)
	}()

	totals := map[totKey]store.YearTotal{}
	usage := map[string]int64{}
	var lastArchived time.Time
	var archivedTo uint64 // archiving empties a prefix of the log: entries below this
	sum := func(idx uint64, c checkEntry) {
		if c.Decision != store.DecisionAllow {
			return
		}
		date, err := model.ParseDate(c.Date)
		if err != nil {
			problem(int64(idx), "entry %d: date %q: %v", idx, c.Date, err)
			return
		}
		var n int64
		if c.Individuals != nil {
			n += *c.Individuals
		}
		if c.SensitiveIndividuals != nil {
			n += *c.SensitiveIndividuals
		}
		if c.Counted {
			tk := totKey{date.Year(), c.Processor}
			t := totals[tk]
			t.Year, t.Processor = tk.year, c.Processor
			if c.Individuals != nil {
				t.Individuals += *c.Individuals
			}
			if c.SensitiveIndividuals != nil {
				t.SensitiveIndividuals += *c.SensitiveIndividuals
			}
			if c.Individuals == nil || c.SensitiveIndividuals == nil {
				t.Unknown++
			}
			totals[tk] = t
		}
		if c.Approval != "" {
			usage[c.Approval] += n
		}
	}

	// The log and the check records are both in log order (a check appends
	// its entry and records itself in one transaction, in that order), so
	// they are merged a window of entries at a time: memory stays bounded
	// by the window, not by the size of the log. A record out of log order
	// (only an edit makes one) is compared on its own at the end.
	recs := &recordCursor{tx: tx}
	var missing []missingRecord // entries without a record, until the stragglers are seen
	var stragglers []decodedRecord
	strayAt := map[uint64]bool{} // entries named by stragglers past maxStragglers
	strayMore := 0
	var lastRecorded int64 = -1 // log index of the last record merged
	// merge takes the records that point below hi (all when hi is
	// beyond the log) and compares each in order with its entry.
	merge := func(hi uint64, entries map[uint64]checkEntry, found map[uint64]bool) error {
		for {
			r, ok, err := recs.peekAt(ctx, 0)
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			// A record far ahead may be an edited record that jumped
			// forward: if records after it come back in order, it is the
			// straggler, not every intact record after it.
			jumped := spike(ctx, recs, r, lastRecorded)
			if hi < size && r.row.LogIndex >= hi && !jumped {
				return nil // it belongs to a later window
			}
			recs.next()
			rep.CheckRecords++
			if int64(r.row.LogIndex) <= lastRecorded || jumped {
				if len(stragglers) < maxStragglers {
					stragglers = append(stragglers, r)
				} else {
					strayAt[r.row.LogIndex] = true
					strayMore++
				}
				continue
			}
			lastRecorded = int64(r.row.LogIndex)
			e, ok := entries[r.row.LogIndex]
			compareRecord(ps, r, e, ok, archivedTo, size, problem)
			if ok {
				found[r.row.LogIndex] = true
			}
		}
	}
	for lo := uint64(0); ; lo += stateWindow {
		hi := min(lo+stateWindow, size)
		entries, err := checkEntries(ctx, tx, lo, hi, problem, func(e audit.StoredEntry) {
			rep.Archived++
			archivedTo = e.Index + 1
			if t := time.Unix(0, e.Time); t.After(lastArchived) {
				lastArchived = t
			}
		})
		if err != nil {
			return nil, err
		}
		rep.CheckEntries += len(entries)
		for idx, c := range entries {
			sum(idx, c)
		}
		found := map[uint64]bool{}
		if err := merge(hi, entries, found); err != nil {
			return nil, err
		}
		for idx, c := range entries {
			if !found[idx] {
				missing = append(missing, missingRecord{idx, c.Transfer, c.Decision})
			}
		}
		if hi == size {
			break
		}
	}
	// What is left points beyond the log (merge reports it so).
	if err := merge(size, nil, map[uint64]bool{}); err != nil {
		return nil, err
	}
	resolved := strayAt
	noProblem := func(int64, string, ...any) {} // the window pass reported the entry's own problems
	for _, r := range stragglers {
		problem(int64(r.row.LogIndex), "check record %d (transfer %s) is out of log order: it points at entry %d, not after the entry of the record before it", r.row.Seq, r.doc.ID, r.row.LogIndex)
		var e checkEntry
		ok := false
		if r.row.LogIndex < size {
			one, err := checkEntries(ctx, tx, r.row.LogIndex, r.row.LogIndex+1, noProblem, func(audit.StoredEntry) {})
			if err != nil {
				return nil, err
			}
			e, ok = one[r.row.LogIndex]
		}
		compareRecord(ps, r, e, ok, archivedTo, size, problem)
		if ok {
			resolved[r.row.LogIndex] = true
		}
	}
	if strayMore > 0 {
		problem(-1, "%d more check records are out of log order (not compared with their entries one by one)", strayMore)
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].idx < missing[j].idx })
	for _, m := range missing {
		if !resolved[m.idx] {
			problem(int64(m.idx), "entry %d (transfer %s, %s) has no check record: the record was deleted", m.idx, m.transfer, m.decision)
		}
	}

	// Archived entries are older than the retention period: their years
	// cannot be recomputed, nor the usage of approvals they relied on.
	skipYear := 0
	if rep.Archived > 0 {
		skipYear = model.DateOf(lastArchived).Year()
		rep.Skipped = append(rep.Skipped, fmt.Sprintf("yearly totals of %d and earlier, and approval usage (%d archived entries)", skipYear, rep.Archived))
	}

	stored, err := tx.AllYearTotals(ctx)
	if err != nil {
		return nil, err
	}
	rep.YearTotals = len(stored)
	seen := map[totKey]bool{}
	for _, y := range stored {
		// Ids are logged through the redactor; an id logged before a
		// detector change may be in either form.
		tk := totKey{y.Year, y.Processor}
		if _, ok := totals[tk]; !ok {
			tk.proc = redact(ps, y.Processor)
		}
		seen[tk] = true
		if y.Year <= skipYear {
			continue
		}
		want := totals[tk]
		if y.Individuals != want.Individuals || y.SensitiveIndividuals != want.SensitiveIndividuals || y.Unknown != want.Unknown {
			problem(-1, "yearly totals of %s in %d: stored %d non-sensitive, %d sensitive, %d without counts; the log's allowed checks give %d, %d, %d",
				y.Processor, y.Year, y.Individuals, y.SensitiveIndividuals, y.Unknown, want.Individuals, want.SensitiveIndividuals, want.Unknown)
		}
	}
	for _, tk := range sortedTotKeys(totals) {
		t := totals[tk]
		if !seen[tk] && tk.year > skipYear && (t.Individuals != 0 || t.SensitiveIndividuals != 0 || t.Unknown != 0) {
			problem(-1, "yearly totals of %s in %d: none stored; the log's allowed checks give %d non-sensitive, %d sensitive, %d without counts",
				tk.proc, tk.year, t.Individuals, t.SensitiveIndividuals, t.Unknown)
		}
	}

	if rep.Archived == 0 {
		su, err := tx.AllApprovalUsage(ctx)
		if err != nil {
			return nil, err
		}
		rep.ApprovalUsages = len(su)
		for _, id := range sortedKeys(su, usage) {
			if su[id] != usage[id] {
				problem(-1, "usage of approval %s: stored %d individuals, the log's allowed checks relying on it give %d", id, su[id], usage[id])
			}
		}
	}

	rep.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return rep, nil
}

// stateWindow is how many log entries VerifyState holds decoded at once.
var stateWindow uint64 = 1 << 16

// recordBatch is how many check records are read per query.
const recordBatch = 8192

type missingRecord struct {
	idx                uint64
	transfer, decision string
}

// checkEntries decodes the transfer.check entries in [lo, hi), on every
// core; archived entries (no content) go to archived.
func checkEntries(ctx context.Context, tx store.ReadTx, lo, hi uint64, problem func(int64, string, ...any), archived func(audit.StoredEntry)) (map[uint64]checkEntry, error) {
	entries := map[uint64]checkEntry{}
	if lo >= hi {
		return entries, nil
	}
	kind := []byte("\nkind transfer.check\n")
	type decoded struct {
		idx uint64
		c   checkEntry
		err error
	}
	type raw struct {
		idx  uint64
		data []byte
	}
	dec := pipeline(func(in raw) decoded {
		d, err := audit.Decode(in.data)
		if err != nil {
			return decoded{idx: in.idx, err: err}
		}
		var c checkEntry
		if err := json.Unmarshal(d.Body, &c); err != nil {
			return decoded{idx: d.Index, err: fmt.Errorf("transfer.check body: %w", err)}
		}
		return decoded{idx: d.Index, c: c}
	}, func(r decoded) {
		if r.err != nil {
			problem(int64(r.idx), "entry %d: %v", r.idx, r.err)
			return
		}
		entries[r.idx] = r.c
	})
	err := tx.Entries(ctx, lo, hi, func(e audit.StoredEntry) error {
		if e.Data == nil {
			archived(e)
			return nil
		}
		if bytes.Contains(e.Data[:min(len(e.Data), 160)], kind) {
			dec.send(raw{e.Index, bytes.Clone(e.Data)})
		}
		return nil
	})
	dec.close()
	return entries, err
}

// decodedRecord is a check record with its transfer document decoded.
type decodedRecord struct {
	row store.CheckRow
	doc transferDoc
	err error
}

// recordCursor reads the check records in sequence order, a batch at a
// time, decoding each batch's documents on every core.
type recordCursor struct {
	tx    store.ReadTx
	buf   []decodedRecord
	pos   int
	after int64
	done  bool
}

// peekAt returns the k-th record from the cursor's position without
// taking it, reading further batches as needed.
func (c *recordCursor) peekAt(ctx context.Context, k int) (decodedRecord, bool, error) {
	for c.pos+k >= len(c.buf) && !c.done {
		var rows []store.CheckRow
		if err := c.tx.ChecksAfter(ctx, c.after, recordBatch, func(r store.CheckRow) error {
			rows = append(rows, r)
			return nil
		}); err != nil {
			return decodedRecord{}, false, err
		}
		c.done = len(rows) < recordBatch
		if len(rows) > 0 {
			c.after = rows[len(rows)-1].Seq
		}
		batch := make([]decodedRecord, len(rows))
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(rows); i += workers {
					var d transferDoc
					err := json.Unmarshal(rows[i].Transfer, &d)
					batch[i] = decodedRecord{row: rows[i], doc: d, err: err}
				}
			}()
		}
		wg.Wait()
		c.buf = append(c.buf[c.pos:], batch...)
		c.pos = 0
	}
	if c.pos+k >= len(c.buf) {
		return decodedRecord{}, false, nil
	}
	return c.buf[c.pos+k], true, nil
}

func (c *recordCursor) next() { c.pos++ }

// spike reports whether r, the record at the cursor, jumped ahead of the
// records after it: one of the next spikeLookahead records points back
// between the last merged record and r. An edit of one record's log index,
// or of a few consecutive ones, makes exactly that; intact records only
// ever point further on.
func spike(ctx context.Context, c *recordCursor, r decodedRecord, last int64) bool {
	for k := 1; k <= spikeLookahead; k++ {
		n, ok, err := c.peekAt(ctx, k)
		if err != nil || !ok {
			return false // a read error surfaces at the next peek
		}
		if n.row.LogIndex < r.row.LogIndex && int64(n.row.LogIndex) > last {
			return true
		}
	}
	return false
}

// spikeLookahead is how many records after a jump are looked at to tell an
// edited record from a real gap in the log.
const spikeLookahead = 16

// maxStragglers bounds the records out of log order that are compared with
// their entries one by one (a query each): beyond it they are counted.
var maxStragglers = 1000

// compareRecord checks one record against its entry (ok: the entry is a
// retained transfer.check).
func compareRecord(ps *audit.Pseudonymizer, r decodedRecord, e checkEntry, ok bool, archivedTo, size uint64, problem func(int64, string, ...any)) {
	row, d := r.row, r.doc
	if r.err != nil {
		problem(int64(row.LogIndex), "check record %d: transfer document: %v", row.Seq, r.err)
		return
	}
	if !ok {
		switch {
		case row.LogIndex >= size:
			problem(-1, "check record %d (transfer %s) points at entry %d, beyond the log (size %d)", row.Seq, d.ID, row.LogIndex, size)
		case row.LogIndex >= archivedTo:
			problem(int64(row.LogIndex), "check record %d (transfer %s) points at entry %d, which is not a transfer.check", row.Seq, d.ID, row.LogIndex)
		}
		return
	}
	if !sameID(ps, e.Transfer, d.ID) || !sameID(ps, e.Processor, d.Processor) || e.Date != d.Date || e.Decision != row.Decision ||
		e.Counted != row.Counted || !sameCount(e.Individuals, d.Individuals) || !sameCount(e.SensitiveIndividuals, d.SensitiveIndividuals) {
		problem(int64(row.LogIndex), "check record %d differs from its entry %d: record %s, entry %s",
			row.Seq, row.LogIndex, recordSummary(d, row.Decision, row.Counted), recordSummary(transferDoc{ID: e.Transfer, Processor: e.Processor,
				Date: e.Date, Individuals: e.Individuals, SensitiveIndividuals: e.SensitiveIndividuals}, e.Decision, e.Counted))
	}
}

func sortedTotKeys(m map[totKey]store.YearTotal) []totKey {
	out := make([]totKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].year != out[j].year {
			return out[i].year < out[j].year
		}
		return out[i].proc < out[j].proc
	})
	return out
}

func sortedKeys(a, b map[string]int64) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]int64{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// transferDoc is the part of a stored transfer document the log also holds.
type transferDoc struct {
	ID                   string `json:"id"`
	Processor            string `json:"processor"`
	Date                 string `json:"date"`
	Individuals          *int64 `json:"individuals"`
	SensitiveIndividuals *int64 `json:"sensitive_individuals"`
}

func sameCount(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// pipe decodes items on every core and hands the results to one collecting
// goroutine (collect needs no locking); close waits for both.
type pipe[I, O any] struct {
	in   chan I
	done chan struct{}
}

func pipeline[I, O any](decode func(I) O, collect func(O)) *pipe[I, O] {
	p := &pipe[I, O]{in: make(chan I, 256), done: make(chan struct{})}
	out := make(chan O, 256)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range p.in {
				out <- decode(it)
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()
	go func() {
		defer close(p.done)
		for o := range out {
			collect(o)
		}
	}()
	return p
}

func (p *pipe[I, O]) send(it I) { p.in <- it }
func (p *pipe[I, O]) close()    { close(p.in); <-p.done }

// sameID reports whether a logged id is the stored one, raw or redacted.
func sameID(ps *audit.Pseudonymizer, logged, stored string) bool {
	return logged == stored || logged == redact(ps, stored)
}

func recordSummary(d transferDoc, decision string, counted bool) string {
	n := func(v *int64) string {
		if v == nil {
			return "?"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprintf("transfer %s of %s on %s, %s, counted %v, %s+%s individuals", d.ID, d.Processor, d.Date, decision, counted, n(d.Individuals), n(d.SensitiveIndividuals))
}
