package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/gen"
)

// BenchmarkScanTelemetry scans synthetic telemetry with every detector on.
// XBORDER_BENCH_FILE names a larger file to scan instead (bench/scan.sh).
func BenchmarkScanTelemetry(b *testing.B) {
	path := os.Getenv("XBORDER_BENCH_FILE")
	if path == "" {
		var buf bytes.Buffer
		if _, err := gen.Telemetry(&buf, gen.TelemetryOptions{Seed: 1, Size: 64 << 20}); err != nil {
			b.Fatal(err)
		}
		path = filepath.Join(b.TempDir(), "t.csv")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	g := defaultGeo(b)
	b.SetBytes(st.Size())
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := NewScanner(Options{Geo: g})
		if err := s.ScanFiles(context.Background(), []string{path}); err != nil {
			b.Fatal(err)
		}
		if r := s.Report(); r.Files[0].Records == 0 {
			b.Fatal("nothing scanned")
		}
	}
	b.StopTimer()
	// CPU time per byte is steadier than wall time on a shared machine:
	// report it, and the MB/s two fully available cores would give.
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(cpu.Seconds(), "cpu-s/op")
	b.ReportMetric(float64(st.Size())/1e6/(cpu.Seconds()/2), "MB/s@2cores")
}
