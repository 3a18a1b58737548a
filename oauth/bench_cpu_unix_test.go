//go:build unix

package oauth_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system, every thread) the
// process has used, for pair. Unlike the time on the clock, it does not
// grow while the machine is busy with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns the most memory the process has held resident so far
// (its high-water mark), in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}
