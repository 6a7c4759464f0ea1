package experiments

import (
	"fmt"
	"slices"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

// Job drift (DESIGN 5): the job as a sequence of phases. The family cuts
// its training skills into one group per phase (envs.Phased); phase k
// begins on job.phase_days[k] and from then on the job draws its tasks from
// phase k's group (and every earlier group still present: all of them, or
// none with job.withdraw). Every checkpoint evaluates every phase's group as
// split phase@k, so the records hold the accuracy matrix R (phase x
// checkpoint) from which results computes GEM's ACC, BWT and FWT over the
// phases. Tasks of job.unverified_phases are attempted with verdict
// coverage 0 (no verifier call, no charge), and their groups are evaluated
// together as the unverified split.

// Validate checks the drift knobs against each other and the job's days.
func (c JobConfig) Validate() error {
	n := len(c.PhaseDays)
	if n == 0 {
		switch {
		case c.Withdraw:
			return &agents.KnobError{Knob: "withdraw", Msg: "withdraw = true needs phases: set phase_days"}
		case len(c.UnverifiedPhases) > 0:
			return &agents.KnobError{Knob: "unverified_phases", Msg: "unverified phases need phases: set phase_days"}
		}
		return nil
	}
	if c.PhaseDays[0] != 1 {
		return &agents.KnobError{Knob: "phase_days", Msg: fmt.Sprintf("the first phase begins on day %d: it must begin on day 1, or the job has no tasks before it", c.PhaseDays[0])}
	}
	for k := 1; k < n; k++ {
		if c.PhaseDays[k] <= c.PhaseDays[k-1] {
			return &agents.KnobError{Knob: "phase_days", Msg: fmt.Sprintf("phase %d begins on day %d, not after phase %d (day %d): list the days in ascending order, each phase at least one day long", k+1, c.PhaseDays[k], k, c.PhaseDays[k-1])}
		}
	}
	if last := c.PhaseDays[n-1]; last > c.Days {
		return &agents.KnobError{Knob: "phase_days", Msg: fmt.Sprintf("phase %d begins on day %d, after the job's last day %d", n, last, c.Days)}
	}
	for i, p := range c.UnverifiedPhases {
		if p > n {
			return &agents.KnobError{Knob: "unverified_phases", Msg: fmt.Sprintf("phase %d does not exist: phase_days lists %d phases", p, n)}
		}
		if slices.Index(c.UnverifiedPhases, p) < i {
			return &agents.KnobError{Knob: "unverified_phases", Msg: fmt.Sprintf("phase %d is listed twice: list it once", p)}
		}
	}
	return nil
}

// phaseAt returns the phase (from 0) current on day (from 1), -1 without
// phases.
func (c JobConfig) phaseAt(day int) int {
	g := -1
	for k, d := range c.PhaseDays {
		if d <= day {
			g = k
		}
	}
	return g
}

// unverified reports whether phase g's (from 0) tasks go without a
// verifier.
func (c JobConfig) unverified(g int) bool { return g >= 0 && slices.Contains(c.UnverifiedPhases, g+1) }

// unverifiedTask reports whether t belongs to an unverified phase (the
// harness's Replay asks: such a task has no verifier however it is posed).
func (j *job) unverifiedTask(t *envs.Task) bool {
	for _, p := range j.cfg.Job.UnverifiedPhases {
		if t.Split == envs.PhaseSplit(p-1) {
			return true
		}
	}
	return false
}

// checkPhased reports why family fam cannot run the config's phases.
func checkPhased(fam envs.Family, c JobConfig) error {
	n := len(c.PhaseDays)
	if n == 0 {
		return nil
	}
	p, ok := fam.(envs.Phased)
	if !ok {
		return fmt.Errorf("family %s cannot drift: it does not cut its training tasks into phases (envs.Phased)", fam.Name())
	}
	if m := p.MaxPhases(); n > m {
		return fmt.Errorf("%d phases, but family %s can cut its training tasks into at most %d groups", n, fam.Name(), m)
	}
	return nil
}

// phaseTasks builds every phase's pool (phases[g]) and evaluation tasks
// (the first eval.tasks of the pool, like the train split's), adding the
// splits phase@1 .. phase@n and, with unverified phases, unverified to the
// world's evaluated splits.
func (w *world) phaseTasks(cfg *Config) error {
	n := len(cfg.Job.PhaseDays)
	if n == 0 {
		return nil
	}
	if err := checkPhased(w.fam, cfg.Job); err != nil {
		return err
	}
	p := w.fam.(envs.Phased)
	size := p.PhasePool(n)
	w.phases = make([][]envs.Task, n)
	var unverified []envs.Task
	for g := range n {
		for i := range size {
			t, err := p.PhaseTask(n, g, i)
			if err != nil {
				return err
			}
			w.phases[g] = append(w.phases[g], t)
		}
		split := envs.PhaseSplit(g)
		w.splits = append(w.splits, split)
		w.eval[split] = w.phases[g][:min(size, cfg.Eval.Tasks)]
		if cfg.Job.unverified(g) {
			unverified = append(unverified, w.eval[split]...)
		}
	}
	if len(unverified) > 0 {
		w.splits = append(w.splits, envs.SplitUnverified)
		w.eval[envs.SplitUnverified] = unverified
	}
	return nil
}

// phaseTask draws a slot's instance in a drifting job: uniformly over the
// pools of the groups present on day (from the pools with resets, a fresh
// instance of a uniformly drawn group without), and returns it with its
// group.
func (j *job) phaseTask(day, sess, slot int) (*envs.Task, int, error) {
	cur := j.cfg.Job.phaseAt(day)
	first := 0
	if j.cfg.Job.Withdraw {
		first = cur
	}
	u := envs.Uniform(envs.Key(j.slotKey(day, sess, slot), uint64(envs.PurposeSchedule)))
	if j.cfg.Env.Grind.Resets {
		total := 0
		for g := first; g <= cur; g++ {
			total += len(j.w.phases[g])
		}
		ti := int(u * float64(total))
		for g := first; g <= cur; g++ {
			if ti < len(j.w.phases[g]) {
				return &j.w.phases[g][ti], g, nil
			}
			ti -= len(j.w.phases[g])
		}
		return nil, 0, fmt.Errorf("day %d: no phase task drawn", day) // unreachable: u < 1
	}
	g := first + int(u*float64(cur-first+1))
	n := ((day-1)*j.cfg.Job.Sessions+sess)*j.cfg.Job.Tasks + slot
	t, err := j.w.fam.(envs.Phased).PhaseTask(len(j.w.phases), g, envs.FreshTask(n))
	if err != nil {
		return nil, 0, fmt.Errorf("fresh instance %d of phase %d: %w", n, g+1, err)
	}
	j.fresh = append(j.fresh, t)
	return &j.fresh[len(j.fresh)-1], g, nil
}
