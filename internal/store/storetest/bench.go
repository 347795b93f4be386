package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// BenchGroupCommit measures durable checks per second through Group: each
// operation is what the gateway does for one check: read the yearly totals,
// the approval usage and the idempotency key, then record the check, count
// it, consume the approval, store the idempotency answer and append an audit
// entry. Callers run concurrently (clients) so batches form.
func BenchGroupCommit(b *testing.B, st store.Store, clients, maxBatch int, reads bool) {
	ctx := context.Background()
	g := store.NewGroup(st, store.GroupOptions{MaxBatch: maxBatch})
	defer g.Close()
	procs := make([]string, 50)
	for i := range procs {
		procs[i] = fmt.Sprintf("proc-%02d", i)
	}
	var seq atomic.Int64
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, clients)
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				n := seq.Add(1)
				proc := procs[n%int64(len(procs))]
				key := fmt.Sprintf("idem-%d-%d", time.Now().UnixNano(), n)
				body := []byte(fmt.Sprintf(`{"id":"t-%d","processor":%q,"individuals":10}`, n, proc))
				h := sha256.Sum256(body)
				err := g.Do(ctx, func(tx store.Tx) error {
					if reads {
						if _, err := tx.Idempotency(ctx, key); err == nil {
							return nil
						}
						if _, err := tx.YearTotals(ctx, 2026, proc); err != nil {
							return err
						}
						if _, err := tx.ApprovalUsage(ctx, "sa-"+proc); err != nil {
							return err
						}
					}
					idx, err := tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "transfer.check", Actor: "engineer:bench",
						Body: json.RawMessage(fmt.Sprintf(`{"transfer":"t-%d","processor":%q,"decision":"allow","individuals":10,"vin":"vin:h:0123456789abcdef0123456789abcdef"}`, n, proc))})
					if err != nil {
						return err
					}
					rec := store.CheckRecord{Transfer: transfer(fmt.Sprintf("t-%d", n), proc, "2026-06-01", 10), Decision: store.DecisionAllow,
						Counted: true, LogIndex: idx[0], At: now, Response: json.RawMessage(`{"decision":"allow","mechanism":"standard_contract_or_certification"}`)}
					if _, err := tx.RecordCheck(ctx, &rec); err != nil {
						return err
					}
					if err := tx.AddTotals(ctx, 2026, proc, model.Counts{Individuals: 10}); err != nil {
						return err
					}
					if err := tx.AddApprovalUsage(ctx, "sa-"+proc, 10); err != nil {
						return err
					}
					return tx.PutIdempotency(ctx, store.IdempotencyRecord{Key: key, RequestHash: h[:], Response: rec.Response, At: now})
				})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	batches, calls := g.Stats()
	b.ReportMetric(float64(calls)/el.Seconds(), "checks/s")
	// CPU per check is steadier than throughput on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(calls), "cpu-µs/check")
	if batches > 0 {
		b.ReportMetric(float64(calls)/float64(batches), "checks/batch")
	}
}

// BenchUpdateBatch measures the store alone: one writer commits Updates of
// perTx checks each (every check: append an audit entry, record the check,
// count it, consume the approval, store the idempotency answer), no
// savepoints: the shape of a gateway that batches checks itself.
func BenchUpdateBatch(b *testing.B, st store.Store, perTx int) {
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	done := 0
	for done < b.N {
		k := min(perTx, b.N-done)
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := 0; i < k; i++ {
				n := done + i
				proc := fmt.Sprintf("proc-%02d", n%50)
				idx, err := tx.AppendAudit(ctx, audit.Entry{Time: now, Kind: "transfer.check", Actor: "engineer:bench",
					Body: json.RawMessage(fmt.Sprintf(`{"transfer":"t-%d","processor":%q,"decision":"allow","individuals":10,"vin":"vin:h:0123456789abcdef0123456789abcdef"}`, n, proc))})
				if err != nil {
					return err
				}
				rec := store.CheckRecord{Transfer: transfer(fmt.Sprintf("t-%d", n), proc, "2026-06-01", 10), Decision: store.DecisionAllow,
					Counted: true, LogIndex: idx[0], At: now, Response: json.RawMessage(`{"decision":"allow","mechanism":"standard_contract_or_certification"}`)}
				if _, err := tx.RecordCheck(ctx, &rec); err != nil {
					return err
				}
				if err := tx.AddTotals(ctx, 2026, proc, model.Counts{Individuals: 10}); err != nil {
					return err
				}
				if err := tx.AddApprovalUsage(ctx, "sa-"+proc, 10); err != nil {
					return err
				}
				h := sha256.Sum256([]byte(rec.Transfer.ID))
				if err := tx.PutIdempotency(ctx, store.IdempotencyRecord{Key: fmt.Sprintf("%x", h[:16]), RequestHash: h[:], Response: rec.Response, At: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += k
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.N)/el.Seconds(), "checks/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/check")
}

// FillLog appends n entries (realistic ~300-byte check entries) in large
// transactions and signs a checkpoint at the end.
func FillLog(tb testing.TB, st store.Store, n int) {
	ctx := context.Background()
	const per = 5000
	for done := 0; done < n; {
		k := min(per, n-done)
		err := st.Update(ctx, func(tx store.Tx) error {
			es := make([]audit.Entry, k)
			for i := range es {
				j := done + i
				es[i] = audit.Entry{Time: now.Add(time.Duration(j) * time.Millisecond), Kind: "transfer.check", Actor: "engineer:bench",
					Body: json.RawMessage(fmt.Sprintf(`{"transfer":"t-%d","processor":"proc-%02d","decision":"allow","mechanism":"standard_contract_or_certification","individuals":%d,"vin":"vin:h:0123456789abcdef0123456789abcdef","approval":"sa-2026-01"}`, j, j%50, j%1000))}
			}
			_, err := tx.AppendAudit(ctx, es...)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
		done += k
	}
	err := st.Update(ctx, func(tx store.Tx) error {
		s, err := tx.SigningKey(ctx, now)
		if err != nil {
			return err
		}
		_, err = tx.SignCheckpoint(ctx, s, now)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchVerify measures audit.Verify over the stored log (recomputing every
// leaf hash and the tree from the stored entries).
func BenchVerify(b *testing.B, st store.Store, n int) {
	ctx := context.Background()
	b.ResetTimer()
	var el time.Duration
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		err := st.View(ctx, func(tx store.ReadTx) error {
			rep, err := audit.Verify(ctx, store.AuditSource(tx), audit.Options{})
			if err != nil {
				return err
			}
			if !rep.OK() || rep.Size != uint64(n) {
				return fmt.Errorf("verify: %+v", rep)
			}
			return nil
		})
		el += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/el.Seconds(), "entries/s")
	b.ReportMetric(float64(n)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "entries/cpu-s")
}

// cpuTime is the CPU time (user+system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
