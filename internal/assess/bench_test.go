package assess_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/rulepack"
)

// benchInventory builds a loaded model (no YAML) of nAssets assets over every
// item of the pack, with a mix of known, unknown and threshold-crossing facts,
// 50 processors in 5 groups, nTransfers transfers over one year and 100 approvals.
func benchInventory(set *rulepack.Set, nAssets, nTransfers int) *model.Inventory {
	rng := rand.New(rand.NewPCG(1, 2))
	inv := &model.Inventory{}
	for i := 0; i < 50; i++ {
		inv.Processors = append(inv.Processors, &model.Processor{ID: fmt.Sprintf("p%02d", i), Group: fmt.Sprintf("g%d", i%5), CIIO: i == 7})
	}
	items := set.ItemOrder
	for i := 0; i < nAssets; i++ {
		it := set.Items[items[i%len(items)]]
		fs := model.FactSet{}
		for _, c := range it.Criteria {
			for _, f := range c.Facts {
				if rng.IntN(10) == 0 || set.Facts[f].Derived {
					continue // about one fact in ten left unknown
				}
				var v any
				switch set.Facts[f].Type {
				case model.TypeInt:
					v = int64(rng.IntN(200000))
				case model.TypeNumber:
					v = float64(rng.IntN(60))
				case model.TypeBool:
					v = rng.IntN(4) == 0
				case model.TypeEnum:
					vals := set.Facts[f].Values
					v = vals[rng.IntN(len(vals))]
				case model.TypeList:
					v = []string{}
				}
				fs[f] = model.FactValue{Value: v, Source: model.SourceDeclared}
			}
		}
		inv.Assets = append(inv.Assets, &model.Asset{ID: fmt.Sprintf("a%06d", i), Processor: fmt.Sprintf("p%02d", i%50), Item: it.ID, Facts: fs})
	}
	for i := 0; i < 100; i++ {
		kind := model.ApprovalKinds[i%3]
		max := int64(5_000_000)
		a := &model.Approval{ID: fmt.Sprintf("ap%03d", i), Kind: kind, Processor: fmt.Sprintf("p%02d", i%50),
			Issued: model.MustDate("2025-06-01"), Effective: model.MustDate("2025-06-01"), Expires: model.NoDate, Filed: model.NoDate,
			Scope: model.Scope{Recipients: []string{"Recipient GmbH"}, MaxIndividuals: &max}}
		inv.Approvals = append(inv.Approvals, a)
	}
	start := model.MustDate("2026-01-01")
	for i := 0; i < nTransfers; i++ {
		p := i % 50
		ind := int64(rng.IntN(20000))
		sens := int64(0)
		if rng.IntN(10) == 0 {
			sens = int64(rng.IntN(500))
		}
		t := &model.Transfer{ID: fmt.Sprintf("t%06d", i), Processor: fmt.Sprintf("p%02d", p), Date: start.AddDays(rng.IntN(365)),
			Recipient: model.Recipient{Name: "Recipient GmbH"}, Individuals: &ind, SensitiveIndividuals: &sens, ExemptionFiled: model.NoDate}
		if rng.IntN(50) == 0 {
			t.Individuals = nil
		}
		for k := 0; k < 1+rng.IntN(3); k++ {
			t.Assets = append(t.Assets, fmt.Sprintf("a%06d", (rng.IntN(nAssets/50))*50+p))
		}
		inv.Transfers = append(inv.Transfers, t)
	}
	return inv
}

// BenchmarkAssess100kAssets20kTransfers measures the loaded model to results
// (YAML parsing is measured separately in internal/inventory). Target: under
// 2 s and 500 MB on a 2-core machine.
//
//	go test ./internal/assess -run '^$' -bench Assess100k -benchtime 3x -benchmem
func BenchmarkAssess100kAssets20kTransfers(b *testing.B) {
	set, err := rulepack.LoadWithDefaults(nil, rulepack.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	inv := benchInventory(set, 100_000, 20_000)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var a *model.Assessment
	for i := 0; i < b.N; i++ {
		a = assess.Run(context.Background(), inv, set, assess.Options{AsOf: model.MustDate("2026-12-31")})
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/1e6, "MB-alloc/op")
	b.ReportMetric(float64(after.HeapInuse)/1e6, "MB-heap-inuse")
	counts := map[string]int{}
	for _, r := range a.Assets {
		counts[r.Result]++
	}
	if len(a.Assets) != 100_000 || len(a.Transfers) != 20_000 {
		b.Fatalf("got %d assets, %d transfers", len(a.Assets), len(a.Transfers))
	}
	b.Logf("results: %v; findings %d", counts, len(a.Findings))
}
