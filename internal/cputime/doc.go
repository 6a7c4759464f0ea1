// Package cputime reads the process's CPU time for the benchmarks that
// report CPU seconds next to wall time (the machine is shared, so wall time
// alone is noisy).
package cputime
