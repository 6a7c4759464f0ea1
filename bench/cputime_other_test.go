//go:build !unix

package bench

import "time"

// cpuTime is 0 where getrusage is missing: CPU-second metrics are left out.
func cpuTime() time.Duration { return 0 }
