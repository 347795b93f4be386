package audit

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkVerify measures Verify's own cost (hashing, parsing, the tree)
// over an in-memory log, without any storage: the ceiling for a backend.
func BenchmarkVerify(b *testing.B) {
	const n = 200000
	m := newMemLog(b)
	m.appendN(b, n)
	m.checkpoint(b)
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		rep, err := Verify(context.Background(), m, Options{})
		if err != nil || !rep.OK() {
			b.Fatal(err, rep)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "entries/s")
	b.ReportMetric(float64(n*b.N)/(cpuTime()-cpu0).Seconds(), "entries/cpu-s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
