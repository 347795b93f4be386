package gateway_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/store"
)

// BenchmarkCheck measures the check path without HTTP: parse, decide against
// stored counts, and the durable group commit, with GOMAXPROCS*p concurrent
// callers (b.SetParallelism) on SQLite. Run with
//
//	go test ./internal/gateway -run '^$' -bench Check -benchtime 20000x -cpuprofile /tmp/gw.prof
func BenchmarkCheck(b *testing.B) {
	for _, par := range []int{32} {
		b.Run(fmt.Sprintf("sqlite/callers=%dxGOMAXPROCS", par), func(b *testing.B) {
			st := openSQLite(b, filepath.Join(b.TempDir(), "b.db"))
			g := newGateway(b, st, store.GroupOptions{MaxBatch: 256, QueueSize: 4096})
			putInventory(b, g, benchInventory(50, 5))
			var n atomic.Int64
			b.SetParallelism(par)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					p := i % 50
					body := fmt.Sprintf(`{"id":"t-%d","processor":"p-%02d","assets":["p-%02d-a%d"],"recipient":{"name":"Overseas Services GmbH","country":"DE"},"purpose":"after-sales analytics","individuals":%d,"sensitive_individuals":1}`,
						i, p, p, i%4, 1+i%20)
					if _, _, _, err := g.Check(context.Background(), gateway.Actor{Role: store.RoleEngineer, Name: "bench"}, fmt.Sprintf("k-%d", i), []byte(body)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			batches, calls := g.Stats()
			if batches > 0 {
				b.ReportMetric(float64(calls)/float64(batches), "checks/commit")
			}
		})
	}
}
