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
//   - Retries: further attempts at the same instance after the first,
//     each made after the previous attempt's verdict has arrived (needs
//     resets: a retry is a reset to an identical instance).
//   - Flakiness: probability that a correct step fails anyway (the world,
//     not the verifier, fails it); keyed per (seed, task, attempt, step).
//   - Granularity: "attempt" gives one verdict per attempt; "step" one
//     verdict per step.
//   - AttemptCost: simulated time one attempt takes.
//   - Delay: simulated time from an attempt's end until its verdict
//     arrives; learners learn only from verdicts that have arrived.
//   - DayBudget: simulated time a day may spend on attempts; the day ends
//     when it is spent (0: no budget, every session runs all its slots).
type GrindConfig struct {
	Resets      bool    `toml:"resets" doc:"whether an identical task instance can be attempted again"`
	GroupSize   int     `toml:"group_size" range:"1,256" doc:"parallel rollouts per task instance (needs resets)"`
	Retries     int     `toml:"retries" range:"0,64" doc:"further attempts at one instance, each after the previous verdict has arrived (needs resets)"`
	Flakiness   float64 `toml:"flakiness" range:"0,1" doc:"probability that a correct step fails anyway"`
	Granularity string  `toml:"granularity" doc:"verdict granularity: attempt (one verdict per attempt) or step (one per step)"`
	AttemptCost float64 `toml:"attempt_cost" range:"1e-9,1e9" doc:"simulated time one attempt takes"`
	Delay       float64 `toml:"delay" range:"0,1e9" doc:"simulated time from an attempt's end until its verdict arrives"`
	DayBudget   float64 `toml:"day_budget" range:"0,1e12" doc:"simulated time a day may spend on attempts; the day ends when it is spent (0: no budget)"`
}

// Verdict granularities.
const (
	GranularityAttempt = "attempt"
	GranularityStep    = "step"
)

// DefaultGrind allows resets and runs one rollout per task, one attempt per
// instance, one verdict per attempt, arriving as the attempt ends.
func DefaultGrind() GrindConfig {
	return GrindConfig{Resets: true, GroupSize: 1, Granularity: GranularityAttempt, AttemptCost: 1}
}

// Validate reports inconsistent grindability knobs.
func (g GrindConfig) Validate() error {
	if g.GroupSize < 1 {
		return fmt.Errorf("grind.group_size = %d: must be at least 1", g.GroupSize)
	}
	if g.GroupSize > 1 && !g.Resets {
		return fmt.Errorf("grind.group_size = %d needs grind.resets = true: parallel rollouts of one instance need an identical reset: set resets = true, or group_size = 1", g.GroupSize)
	}
	if g.Retries > 0 && !g.Resets {
		return fmt.Errorf("grind.retries = %d needs grind.resets = true: a retry attempts the identical instance again: set resets = true, or retries = 0", g.Retries)
	}
	if g.Granularity != GranularityAttempt && g.Granularity != GranularityStep {
		return fmt.Errorf("grind.granularity = %q: want %q or %q", g.Granularity, GranularityAttempt, GranularityStep)
	}
	if !(g.AttemptCost > 0) {
		return fmt.Errorf("grind.attempt_cost = %v: must be positive", g.AttemptCost)
	}
	if g.DayBudget > 0 && g.DayBudget < g.AttemptCost {
		return fmt.Errorf("grind.day_budget = %v is less than one attempt (attempt_cost = %v): no attempt could run", g.DayBudget, g.AttemptCost)
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

// Clocked reports whether any knob beyond resets and group_size differs
// from its default. Only then do records carry simulated time: with the
// defaults a slot takes one unit of time, so the time is the count of slots
// run, and leaving it out keeps such records as they were before the clock.
func (g GrindConfig) Clocked() bool {
	return g.Retries > 0 || g.Flakiness > 0 || g.Granularity != GranularityAttempt ||
		g.AttemptCost != 1 || g.Delay > 0 || g.DayBudget > 0
}

// Flaked reports whether a correct step of the attempt keyed attemptKey
// fails anyway at flakiness f. The world, not the verifier, fails it.
func Flaked(f float64, attemptKey uint64, step int) bool {
	return f > 0 && Uniform(Key(attemptKey, uint64(PurposeFlake), uint64(step))) < f
}

// JudgeStep is the verifier's verdict on one step at granularity "step":
// coverage and the false-positive and false-negative rates apply to each
// step on its own draws; the loophole, a property of whole attempts, does
// not (configs refuse a loophole with step verdicts).
func (v VerifierConfig) JudgeStep(correct bool, attemptKey uint64, step int) Verdict {
	o := Outcome{Steps: 1, Success: correct}
	if correct {
		o.Correct = 1
	}
	return v.Judge(o, Key(attemptKey, uint64(PurposeStepVerdict), uint64(step)))
}
