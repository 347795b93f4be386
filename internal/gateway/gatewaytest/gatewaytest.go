// Package gatewaytest holds what the service's reliability tests share: an
// inventory near two thresholds, an HTTP client for checks, and Verify, which
// checks a database against what clients were told (exact counts, one audit
// entry per recorded check, gap-free indices, a log that verifies, nothing
// half-recorded).
package gatewaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// The threshold inventory. Processor "capped" holds a standard contract
// whose max_individuals admits exactly CapChecks checks of CapPerCheck
// individuals (9 non-sensitive + 1 sensitive: any sensitive PI needs a
// contract, so every check relies on the approval). Processor "crossing"
// has no approval: its checks of CrossPerCheck non-sensitive individuals
// are exempt as small volume while its yearly total stays under 100,000,
// so exactly CrossChecks of them are allowed.
const (
	Cap           = 5000
	CapPerCheck   = 10
	CapChecks     = Cap / CapPerCheck // 500
	CrossPerCheck = 200
	CrossChecks   = (100000 - 1) / CrossPerCheck // 499: the 500th would reach 100,000
	Recipient     = "Overseas Services GmbH"
)

// Inventory is the threshold inventory in the SPEC §2 format.
const Inventory = `processors:
  - id: capped
    name: Capped Data Co., Ltd.
    group: grp
    ciio: false
    legal_entity_in_china: true
    kinds: [oem]
  - id: crossing
    name: Crossing Mobility Co., Ltd.
    group: grp
    ciio: false
    legal_entity_in_china: true
    kinds: [mobility_service]
assets:
  - id: capped-pi
    processor: capped
    item: general.personal_information
    name: Owner accounts
  - id: crossing-pi
    processor: crossing
    item: general.personal_information
    name: Trip records
approvals:
  - id: scc-capped
    kind: standard_contract
    processor: capped
    effective: 2026-01-05
    filed: 2026-01-09
    reference: SCC-CAPPED-1
    scope:
      assets: [capped-pi]
      recipients: [Overseas Services GmbH]
      max_individuals: 5000
`

// CheckBody is a check request body.
func CheckBody(id, processor, asset string, individuals, sensitive int64) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "processor": processor, "assets": []string{asset},
		"recipient": map[string]string{"name": Recipient, "country": "DE"}, "purpose": "after-sales analytics",
		"individuals": individuals, "sensitive_individuals": sensitive})
	return b
}

// CappedCheck and CrossingCheck are the two kinds of threshold checks.
func CappedCheck(id string) []byte { return CheckBody(id, "capped", "capped-pi", CapPerCheck-1, 1) }

// CrossingCheck is a check of the processor without approval.
func CrossingCheck(id string) []byte {
	return CheckBody(id, "crossing", "crossing-pi", CrossPerCheck, 0)
}

// Sent is a check a client sent.
type Sent struct {
	Key      string
	Transfer string
	Body     []byte
}

// Answer is what the client got back. Status 0 means no HTTP answer (the
// connection failed, e.g. the server was killed).
type Answer struct {
	Sent
	Status   int
	Raw      []byte // body as received
	Resp     gateway.Response
	Replayed bool
	Code     string // error code of a non-200 answer
}

// Client posts to a running service.
type Client struct {
	Base  string
	Token string
	HTTP  *http.Client
}

// NewClient returns a client with keep-alive connections for n callers.
func NewClient(base, token string, n int) *Client {
	tr := &http.Transport{MaxIdleConns: 2 * n, MaxIdleConnsPerHost: 2 * n, IdleConnTimeout: 30 * time.Second}
	return &Client{Base: strings.TrimRight(base, "/"), Token: token, HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// PutInventory replaces the service's inventory.
func (c *Client) PutInventory(yaml string) error {
	req, _ := http.NewRequest("PUT", c.Base+"/v1/inventory", strings.NewReader(yaml))
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("PUT /v1/inventory: %s: %s", resp.Status, b)
	}
	return nil
}

// Check posts one check. A transport error is returned as an Answer with
// Status 0 and the error.
func (c *Client) Check(s Sent) (Answer, error) {
	a := Answer{Sent: s}
	req, _ := http.NewRequest("POST", c.Base+"/v1/transfers/check", bytes.NewReader(s.Body))
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", s.Key)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return a, err
	}
	a.Status = resp.StatusCode
	a.Raw = raw
	a.Replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	if a.Status == 200 {
		if err := json.Unmarshal(raw, &a.Resp); err != nil {
			return a, fmt.Errorf("check %s: unreadable answer %q: %v", s.Transfer, raw, err)
		}
	} else {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		a.Code = e.Error.Code
	}
	return a, nil
}

// Fire sends every check with n concurrent callers and returns the answers
// in the order of sent. Callers stop early when stop is closed (the answers
// of checks never sent have Status 0 and no error).
func (c *Client) Fire(sent []Sent, n int, stop <-chan struct{}) ([]Answer, []error) {
	answers := make([]Answer, len(sent))
	errs := make([]error, len(sent))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				answers[i], errs[i] = c.Check(sent[i])
			}
		}()
	}
feed:
	for i := range sent {
		answers[i].Sent = sent[i]
		select {
		case next <- i:
		case <-stop:
			for j := i; j < len(sent); j++ {
				answers[j].Sent = sent[j]
			}
			break feed
		}
	}
	close(next)
	wg.Wait()
	return answers, errs
}

// Summary is what Verify found in the database.
type Summary struct {
	Checks   int            // recorded checks
	Allowed  map[string]int // allowed checks per processor
	LogSize  uint64
	Verified *audit.Report
	State    *gateway.StateReport
}

// Verify checks the database behind a service against what its clients
// were told, and the invariants that must hold whatever happened:
//
//   - check sequence numbers run 1..n without a gap, and the audit log's
//     indices 0..size-1 without a gap;
//   - every recorded check has exactly one transfer.check audit entry, at its
//     log index, naming its transfer, decision and counted flag, and no
//     transfer.check entry lacks its record;
//   - a transfer id is allowed at most once;
//   - the stored yearly totals equal the sums over counted records, and each
//     approval's consumed cap the sum over the allowed records relying on it;
//   - every answer a client got with status 200 (not a replay) is recorded
//     with the same bytes, decision and log index;
//   - for every check sent, its idempotency key is stored if and only if its
//     check is recorded (nothing is half-recorded);
//   - audit.Verify recomputes the whole log and finds no problem.
func Verify(t testing.TB, st store.Store, answers []Answer, sent []Sent) Summary {
	t.Helper()
	ctx := context.Background()
	sum := Summary{Allowed: map[string]int{}}
	var recs []store.CheckRecord
	entries := map[uint64]audit.Decoded{}
	var inv *store.Inventory
	err := st.View(ctx, func(tx store.ReadTx) error {
		var err error
		if inv, err = tx.Inventory(ctx); err != nil {
			return err
		}
		for off := 0; ; off += 10000 {
			page, err := tx.Checks(ctx, store.CheckFilter{Limit: 10000, Offset: off})
			if err != nil {
				return err
			}
			recs = append(recs, page...)
			if len(page) < 10000 {
				break
			}
		}
		if sum.LogSize, err = tx.LogSize(ctx); err != nil {
			return err
		}
		next := uint64(0)
		err = tx.Entries(ctx, 0, math.MaxUint64, func(e audit.StoredEntry) error {
			if e.Index != next {
				return fmt.Errorf("audit log: entry %d follows entry %d (gap)", e.Index, int64(next)-1)
			}
			next++
			if e.Data == nil {
				return nil
			}
			d, err := audit.Decode(e.Data)
			if err != nil {
				return fmt.Errorf("audit entry %d: %v", e.Index, err)
			}
			entries[e.Index] = d
			return nil
		})
		if err != nil {
			return err
		}
		if next != sum.LogSize {
			return fmt.Errorf("audit log: %d entries stored, size %d", next, sum.LogSize)
		}
		rep, err := audit.Verify(ctx, store.AuditSource(tx), audit.Options{})
		if err != nil {
			return err
		}
		sum.Verified = rep
		// The totals, approval usage and records recomputed from the log.
		sum.State, err = gateway.VerifyState(ctx, tx)
		return err
	})
	if err != nil {
		t.Fatalf("read the database: %v", err)
	}
	if !sum.Verified.OK() {
		t.Errorf("audit.Verify: first bad entry %d: %v", sum.Verified.FirstBad, sum.Verified.Problems)
	}
	if !sum.State.OK() {
		t.Errorf("gateway.VerifyState: %v", sum.State.Problems)
	}
	sum.Checks = len(recs)

	type entryBody struct {
		Transfer string `json:"transfer"`
		Decision string `json:"decision"`
		Counted  bool   `json:"counted"`
	}
	byTransfer := map[string][]store.CheckRecord{}
	allowedOnce := map[string]int{}
	totals := map[int]map[string]model.Counts{}
	usage := map[string]int64{}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Errorf("check record %d has seq %d: sequence numbers must run 1..n", i, r.Seq)
		}
		byTransfer[r.Transfer.ID] = append(byTransfer[r.Transfer.ID], r)
		e, ok := entries[r.LogIndex]
		var b entryBody
		if ok {
			_ = json.Unmarshal(e.Body, &b)
		}
		switch {
		case !ok:
			t.Errorf("check %d (transfer %s) names audit entry %d, which is missing", r.Seq, r.Transfer.ID, r.LogIndex)
		case e.Kind != "transfer.check" || b.Transfer != r.Transfer.ID || b.Decision != r.Decision || b.Counted != r.Counted:
			t.Errorf("check %d (transfer %s, %s, counted %v) names audit entry %d, which says %s of %s (%s, counted %v)",
				r.Seq, r.Transfer.ID, r.Decision, r.Counted, r.LogIndex, e.Kind, b.Transfer, b.Decision, b.Counted)
		}
		if r.Decision == store.DecisionAllow {
			allowedOnce[r.Transfer.ID]++
			sum.Allowed[r.Transfer.Processor]++
			var resp gateway.Response
			if err := json.Unmarshal(r.Response, &resp); err != nil {
				t.Errorf("check %d: stored answer unreadable: %v", r.Seq, err)
			} else if resp.Coverage.Approval != "" {
				usage[resp.Coverage.Approval] += val(r.Transfer.Individuals) + val(r.Transfer.SensitiveIndividuals)
			}
		}
		if r.Counted {
			y := r.Transfer.Date.Year()
			if totals[y] == nil {
				totals[y] = map[string]model.Counts{}
			}
			c := totals[y][r.Transfer.Processor]
			c.Individuals += val(r.Transfer.Individuals)
			c.SensitiveIndividuals += val(r.Transfer.SensitiveIndividuals)
			c.Unknown = c.Unknown || r.Transfer.Individuals == nil || r.Transfer.SensitiveIndividuals == nil
			totals[y][r.Transfer.Processor] = c
		}
	}
	checkEntries := 0
	for _, e := range entries {
		if e.Kind == "transfer.check" {
			checkEntries++
		}
	}
	if checkEntries != len(recs) {
		t.Errorf("%d transfer.check audit entries for %d recorded checks", checkEntries, len(recs))
	}
	for id, n := range allowedOnce {
		if n > 1 {
			t.Errorf("transfer %s allowed %d times", id, n)
		}
	}

	// Stored counts against the records.
	var procs []string
	for _, p := range inv.Processors {
		procs = append(procs, p.ID)
	}
	var approvals []string
	for _, a := range inv.Approvals {
		approvals = append(approvals, a.ID)
	}
	answered := map[string][]byte{}
	err = st.View(ctx, func(tx store.ReadTx) error {
		years := map[int]bool{model.DateOf(time.Now()).Year(): true}
		for y := range totals {
			years[y] = true
		}
		for y := range years {
			got, err := tx.YearTotals(ctx, y, procs...)
			if err != nil {
				return err
			}
			for _, p := range procs {
				want := totals[y][p]
				if got[p].Individuals != want.Individuals || got[p].SensitiveIndividuals != want.SensitiveIndividuals || got[p].Unknown != want.Unknown {
					t.Errorf("year %d, processor %s: stored totals %+v, counted records sum to %+v", y, p, got[p], want)
				}
			}
		}
		if len(approvals) > 0 {
			got, err := tx.ApprovalUsage(ctx, approvals...)
			if err != nil {
				return err
			}
			for _, a := range approvals {
				if got[a] != usage[a] {
					t.Errorf("approval %s: stored consumed cap %d, allowed records relying on it sum to %d", a, got[a], usage[a])
				}
			}
		}
		// Nothing half-recorded: a sent check's key is stored exactly when
		// its check is, and the stored answer is the recorded one's. Keys
		// are kept in the space of the token that sent them
		// (gateway.ScopedKey): look in every token's, and in the unscoped
		// one of callers without a token.
		toks, err := tx.ListTokens(ctx)
		if err != nil {
			return err
		}
		lookup := func(key string) (store.IdempotencyRecord, error) {
			rec, err := tx.Idempotency(ctx, key)
			for _, tk := range toks {
				if store.CodeOf(err) != store.CodeNotFound {
					break
				}
				rec, err = tx.Idempotency(ctx, gateway.ScopedKey(tk.Hash, key))
			}
			return rec, err
		}
		for _, s := range sent {
			rec, err := lookup(s.Key)
			rs := byTransfer[s.Transfer]
			switch {
			case err == nil && len(rs) == 0:
				t.Errorf("key %s is stored but transfer %s has no recorded check", s.Key, s.Transfer)
			case err == nil:
				var full gateway.Response
				if err := json.Unmarshal(rec.Response, &full); err != nil {
					t.Errorf("key %s: stored answer unreadable: %v", s.Key, err)
					break
				}
				found := false
				for _, r := range rs {
					found = found || (r.LogIndex == full.LogIndex && r.Decision == full.Decision)
				}
				if !found {
					t.Errorf("key %s: the stored answer (log index %d, %s) is not a recorded check's", s.Key, full.LogIndex, full.Decision)
				}
				answered[s.Key] = rec.Response
			case store.CodeOf(err) == store.CodeNotFound && len(rs) > 0:
				t.Errorf("transfer %s is recorded (%d checks) but key %s is not stored", s.Transfer, len(rs), s.Key)
			case store.CodeOf(err) != store.CodeNotFound:
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the database: %v", err)
	}

	// What clients were told.
	for _, a := range answers {
		if a.Status != 200 || a.Replayed {
			continue
		}
		rs := byTransfer[a.Transfer]
		ok := false
		for _, r := range rs {
			if r.LogIndex == a.Resp.LogIndex && r.Decision == a.Resp.Decision {
				ok = true
			}
		}
		if !ok {
			t.Errorf("transfer %s was answered %s (log index %d) with 200 but is not recorded so", a.Transfer, a.Resp.Decision, a.Resp.LogIndex)
		}
		if stored, found := answered[a.Key]; found && !bytes.Equal(stored, bytes.TrimSpace(a.Raw)) {
			t.Errorf("key %s: the stored answer differs from the one the client got", a.Key)
		}
	}
	return sum
}

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
