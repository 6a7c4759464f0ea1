package experiments

import (
	"fmt"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// The harness's side of dreaming (agents.DreamHarness): it runs imagined
// attempts without the real verifier and keeps, out of the agent's sight,
// their true outcomes beside the dream verifier's verdicts, for the
// checkpoint's dream measurements.

var purposeDream = envs.PurposeOf("dream-harness")

var _ agents.DreamHarness = harness{}

// DreamKey implements agents.DreamHarness.
func (h harness) DreamKey() uint64 { return envs.Key(h.j.w.seed, uint64(purposeDream)) }

// Neighbour implements agents.DreamHarness through the family's
// envs.Dreamer.
func (h harness) Neighbour(t *envs.Task, distance float64, key uint64) (envs.Task, error) {
	d, ok := h.j.w.fam.(envs.Dreamer)
	if !ok {
		return envs.Task{}, fmt.Errorf("family %s cannot make generative dreams (envs.Dreamer): use dream.kind = %q", h.j.w.fam.Name(), agents.DreamReplay)
	}
	return d.Neighbour(t, distance, key)
}

// Dream implements agents.DreamHarness.
func (h harness) Dream(m agents.Model, t *envs.Task, key uint64, oracle bool, visit func(o *envs.Obs, action int), judge func() envs.Verdict) envs.Verdict {
	j := h.j
	o := j.ev.attempt(m, t, false, key, visit)
	h.chargeDream(o)
	learned := judge()
	v := learned
	if oracle {
		v = verdictOf(o.Success)
	}
	j.ev.dream.add(v == envs.VerdictPass, o.Success, learned == envs.VerdictPass)
	return v
}

// StepVerdicts implements agents.DreamHarness.
func (h harness) StepVerdicts() bool {
	return h.j.cfg.Env.Grind.Granularity == envs.GranularityStep
}

// DreamSteps implements agents.DreamHarness. The attempt's dream verdict,
// for the measurements, is a pass on every step, as a real attempt passes
// at step granularity; its truth is the attempt's success.
func (h harness) DreamSteps(m agents.Model, t *envs.Task, key uint64, oracle bool, visit func(o *envs.Obs, action int), judge func(dst []envs.Verdict) []envs.Verdict, dst []envs.Verdict) []envs.Verdict {
	j := h.j
	e := j.ev
	e.keepSteps, e.stepTruth = true, e.stepTruth[:0]
	o := e.attempt(m, t, false, key, visit)
	e.keepSteps = false
	h.chargeDream(o)
	dst = judge(dst)
	learned := allPass(dst)
	if oracle {
		dst = dst[:0]
		for _, ok := range e.stepTruth {
			dst = append(dst, verdictOf(ok))
		}
	}
	e.dream.add(allPass(dst), o.Success, learned)
	return dst
}

// chargeDream counts a dream attempt into the agent's dream compute (never
// its real attempts, steps or verifier calls).
func (h harness) chargeDream(o envs.Outcome) {
	c := &h.j.agent.Compute
	c.DreamAttempts++
	c.DreamSteps += int64(o.Steps)
}

// allPass reports whether every step verdict of vs is a pass.
func allPass(vs []envs.Verdict) bool {
	for _, v := range vs {
		if v != envs.VerdictPass {
			return false
		}
	}
	return len(vs) > 0
}

func verdictOf(pass bool) envs.Verdict {
	if pass {
		return envs.VerdictPass
	}
	return envs.VerdictFail
}

// add counts one dream: whether the verdict learnt from passed it, whether
// it truly succeeded, and whether the learned verifier passed it.
func (s *dreamStats) add(reward, success, learned bool) {
	s.n++
	if reward {
		s.reward++
	}
	if success {
		s.success++
	}
	if learned != success {
		s.disagree++
	}
}

// dreamStats are the dreams since the last checkpoint: the verdicts
// learnt from, the true outcomes, and the learned verifier's disagreement
// with them.
type dreamStats struct{ n, reward, success, disagree float64 }

// fill writes the dream measurements into a checkpoint record: the
// compute counters whenever the agent has dreamt, the window's means when
// it dreamt since the last checkpoint.
func (s *dreamStats) fill(rec *results.Checkpoint, c agents.Compute) {
	rec.DreamAttempts, rec.DreamSteps, rec.DreamGradSteps = c.DreamAttempts, c.DreamSteps, c.DreamGradSteps
	rec.LearnedVerifierSteps = c.LearnedVerifierSteps
	if s.n == 0 {
		return
	}
	r, su, d := s.reward/s.n, s.success/s.n, s.disagree/s.n
	rec.DreamReward, rec.DreamSuccess, rec.DreamDisagreement = &r, &su, &d
}
