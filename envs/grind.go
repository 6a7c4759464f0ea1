package envs

import "fmt"

// GrindConfig holds the grindability knobs (DESIGN 3.4). The harness, not
// each family, applies them, so every family can sit anywhere on the
// grindability axis.
//
//   - Resets: with resets, the job draws instances from the split's finite
//     pool and may meet one again (and group_size > 1 runs parallel
//     rollouts of one instance). Without, every attempt is at a fresh
//     instance (Task indices from FreshIndex on) that is never attempted
//     again.
//   - GroupSize: rollouts of one instance whose verdicts are learned from
//     together.
type GrindConfig struct {
	Resets    bool `toml:"resets" doc:"whether an identical task instance can be attempted again"`
	GroupSize int  `toml:"group_size" range:"1,256" doc:"parallel rollouts per task instance (needs resets)"`
}

// DefaultGrind allows resets and runs one rollout per task.
func DefaultGrind() GrindConfig { return GrindConfig{Resets: true, GroupSize: 1} }

// Validate reports inconsistent grindability knobs.
func (g GrindConfig) Validate() error {
	if g.GroupSize < 1 {
		return fmt.Errorf("grind.group_size = %d: must be at least 1", g.GroupSize)
	}
	if g.GroupSize > 1 && !g.Resets {
		return fmt.Errorf("grind.group_size = %d needs grind.resets = true: parallel rollouts of one instance need an identical reset: set resets = true, or group_size = 1", g.GroupSize)
	}
	return nil
}

// FreshTask is the index of the n-th fresh instance of a pooled split, for
// jobs without resets.
func FreshTask(n int) int {
	if n < 0 || n >= PrivateIndex-FreshIndex {
		panic(fmt.Sprintf("envs: fresh instance %d out of range", n))
	}
	return FreshIndex + n
}
