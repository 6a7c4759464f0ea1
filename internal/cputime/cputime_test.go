package cputime

import (
	"runtime"
	"testing"
)

// Busy work must show up as CPU time where getrusage exists.
func TestSelfAdvances(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no getrusage")
	}
	c0 := Self()
	x := 0.0
	for i := 0; Self()-c0 <= 0 && i < 1e9; i++ {
		x += float64(i)
	}
	if Self() <= c0 {
		t.Fatalf("CPU time did not advance (%v)", x)
	}
}
