//go:build unix

package geo

import "syscall"

// processCPUSeconds is the CPU time (user + system) this process has used.
// Benchmarks report rates per CPU second beside wall-clock rates because the
// shared 2-core machine is often busy with other work, which inflates
// wall-clock time per operation but not CPU time.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
