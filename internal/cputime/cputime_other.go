//go:build !unix

package cputime

import "time"

// Self is 0 where getrusage is missing: CPU-second metrics are left out.
func Self() time.Duration { return 0 }
