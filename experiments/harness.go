package experiments

import (
	"errors"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

// harness implements agents.Harness for mechanisms acting outside the job's
// own attempts. Everything it runs is charged to the agent's compute.
type harness struct{ j *job }

var errNoResets = errors.New("re-posing a task needs env.grind.resets = true")

// Now implements agents.Harness.
func (h harness) Now() float64 { return h.j.clock }

// PassRate implements agents.Harness: n sampled attempts at pool tasks,
// the same tasks and keys for every call so candidates meet the same noise.
// Without resets, the attempts are at fresh instances the job never meets
// (past all of the job's own), so no instance is attempted twice by the job.
func (h harness) PassRate(m agents.Model, n int) (float64, int) {
	j := h.j
	sum, covered := 0.0, 0
	c := &j.cfg.Job
	jobInstances := c.Days * c.Sessions * c.Tasks
	j.ev.cache.Reset(m) // m is fixed for the call
	for i := 0; i < n; i++ {
		key := envs.Key(j.w.seed, uint64(purposeTune), uint64(i))
		t := &j.w.pool[int(envs.Uniform(key)*float64(len(j.w.pool)))]
		if !j.cfg.Env.Grind.Resets {
			fresh, err := j.w.fam.Task(envs.SplitTrain, envs.FreshTask(jobInstances+i))
			if err != nil {
				panic(err) // the family built the pool, so it builds fresh instances
			}
			t = &fresh
		}
		o := j.ev.cached(t, false, key)
		j.charge(o, 1)
		if r, ok := j.cfg.Env.Verifier.Judge(o, key).Reward(); ok {
			sum += r
			covered++
		}
	}
	if covered == 0 {
		return 0, 0
	}
	return sum / float64(covered), covered
}

// Replay implements agents.Harness.
func (h harness) Replay(m agents.Model, t *envs.Task, key uint64, visit func(o *envs.Obs, action int)) (envs.Verdict, error) {
	j := h.j
	if !j.cfg.Env.Grind.Resets {
		return envs.VerdictNone, errNoResets
	}
	o := j.ev.attempt(m, t, false, key, visit)
	if j.unverifiedTask(t) {
		// An unverified phase's task has no verifier, replayed or not.
		j.charge(o, 0)
		return envs.VerdictNone, nil
	}
	j.charge(o, 1)
	return j.cfg.Env.Verifier.Judge(o, key), nil
}

// Pose implements agents.Harness.
func (h harness) Pose(m agents.Model, t *envs.Task, key uint64, visit func(o *envs.Obs, action int)) error {
	j := h.j
	if !j.cfg.Env.Grind.Resets {
		return errNoResets
	}
	j.charge(j.ev.attempt(m, t, false, key, visit), 0)
	return nil
}

// Demonstrate implements agents.Harness: the correct action at every step,
// with the accepted ones.
func (h harness) Demonstrate(t *envs.Task, visit func(o *envs.Obs, correct int, accepted []bool)) {
	e := h.j.ev
	e.env.Reset(t, &e.obs)
	acc, multi := e.env.(envs.Acceptor)
	steps := 0
	for {
		c := e.env.Correct()
		if multi {
			acc.Accepted(e.accepted)
		} else {
			clear(e.accepted)
			e.accepted[c] = true
		}
		visit(&e.obs, c, e.accepted)
		steps++
		if e.env.Step(c, &e.obs).Done {
			break
		}
	}
	h.j.agent.Compute.EnvSteps += int64(steps)
}

// BaseFisher implements agents.Harness.
func (h harness) BaseFisher() ([]float64, error) {
	return h.j.w.fisher(h.j.cfg, h.j.acfg)
}
