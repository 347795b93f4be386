package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/store/storetest"
)

// BenchmarkGroupCommit: XBORDER_TEST_POSTGRES=... go test -run XXX -bench GroupCommit ./internal/store/postgres
func BenchmarkGroupCommit(b *testing.B) {
	for _, reads := range []bool{false, true} {
		for _, batch := range []int{1, 50, 200} {
			b.Run(fmt.Sprintf("batch=%d/reads=%v", batch, reads), func(b *testing.B) {
				st, err := Open(context.Background(), freshSchema(b))
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				storetest.BenchGroupCommit(b, st, 256, batch, reads)
			})
		}
	}
}

// BenchmarkVerify: XBORDER_BENCH_ENTRIES=1000000 XBORDER_TEST_POSTGRES=... go test -run XXX -bench Verify -benchtime 3x ./internal/store/postgres
func BenchmarkVerify(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("XBORDER_BENCH_ENTRIES")); err == nil && v > 0 {
		n = v
	}
	st, err := Open(context.Background(), freshSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storetest.FillLog(b, st, n)
	storetest.BenchVerify(b, st, n)
}

// BenchmarkUpdateBatch: one writer, Updates of 50 checks each (random idempotency keys).
func BenchmarkUpdateBatch(b *testing.B) {
	for _, per := range []int{50, 200} {
		b.Run(fmt.Sprintf("checks=%d", per), func(b *testing.B) {
			st := benchStore(b)
			defer st.Close()
			storetest.BenchUpdateBatch(b, st, per)
		})
	}
}

func benchStore(b *testing.B) store.Store {
	st, err := Open(context.Background(), freshSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	return st
}
