//go:build unix

package idp

import (
	"syscall"
	"time"
)

// cpuNow is the CPU time (user + system) the process has used: the benchmarks' measure of
// cost, which unlike wall time includes work done on other threads (GC) and excludes waits.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
