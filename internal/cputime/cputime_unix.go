//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Self is the CPU time (user and system) the process has used, or 0 if
// getrusage fails.
func Self() time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
