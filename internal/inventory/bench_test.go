package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// benchInventory writes an inventory of nAssets assets and nTransfers
// transfers over 50 processors in 5 groups, with a few facts per asset and
// the flow style a generator would use for transfers.
func benchInventory(nAssets, nTransfers int) []byte {
	var b strings.Builder
	b.Grow(nAssets*170 + nTransfers*200)
	b.WriteString("processors:\n")
	for p := 0; p < 50; p++ {
		fmt.Fprintf(&b, "  - id: proc-%02d\n    name: Processor %d Co., Ltd.\n    group: group-%d\n    kinds: [oem]\n", p, p, p%5)
	}
	b.WriteString("assets:\n")
	for i := 0; i < nAssets; i++ {
		fmt.Fprintf(&b, "  - id: asset-%06d\n    processor: proc-%02d\n    item: rd.testing.road_test\n    facts:\n      vehicles_in_china: %d\n      infers_sensitive_geo: %t\n      time_span_days: %d.5\n",
			i, i%50, i*7, i%3 == 0, i%90)
	}
	b.WriteString("transfers:\n")
	perProc := nAssets / 50 // asset p+50*j belongs to processor p
	for i := 0; i < nTransfers; i++ {
		p := i % 50
		fmt.Fprintf(&b, "  - {id: t-%06d, processor: proc-%02d, date: 2026-%02d-%02d, assets: [asset-%06d, asset-%06d], recipient: {name: Recipient %d, country: DE}, individuals: %d, sensitive_individuals: 0}\n",
			i, p, 1+i%12, 1+i%28, p+50*(i%perProc), p+50*((i+1)%perProc), p, i*3)
	}
	b.WriteString("approvals:\n")
	for p := 0; p < 50; p++ {
		fmt.Fprintf(&b, "  - {id: sa-%02d, kind: security_assessment, processor: proc-%02d, issued: 2025-06-01, scope: {recipients: [Recipient %d]}}\n", p, p, p)
	}
	return []byte(b.String())
}

// BenchmarkParse100kAssets20kTransfers measures YAML parsing and validation
// of the benchmark size (the assessment itself is measured elsewhere).
func BenchmarkParse100kAssets20kTransfers(b *testing.B) {
	data := benchInventory(100_000, 20_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		inv, err := Parse("bench.yaml", data, testOpts)
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Assets) != 100_000 || len(inv.Transfers) != 20_000 {
			b.Fatalf("loaded %d assets, %d transfers", len(inv.Assets), len(inv.Transfers))
		}
	}
}

// The generator must produce a valid inventory at a size a test can afford,
// so the benchmark never measures an error path.
func TestBenchInventoryIsValid(t *testing.T) {
	inv, err := Parse("bench.yaml", benchInventory(2000, 400), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Assets) != 2000 || len(inv.Transfers) != 400 || len(inv.Processors) != 50 {
		t.Errorf("loaded %d/%d/%d", len(inv.Assets), len(inv.Transfers), len(inv.Processors))
	}
}
