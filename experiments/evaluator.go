package experiments

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// evalResult is one split's evaluation in one mode.
type evalResult struct{ success, score, stepAcc float64 }

// evaluator runs attempts with learning off and the true scorer on.
type evaluator struct {
	w      *world
	cfg    *Config
	env    envs.Env
	obs    envs.Obs
	logits []float64
	probs  []float64
	// accepted is the scratch of the harness's demonstrations.
	accepted []bool
	// agent acts instead of the model while a checkpoint evaluates an
	// agent with an Actor (an external agent).
	agent *agents.Agent
	// cache holds the logits work of one model while its weights are
	// fixed: a checkpoint, a base-model evaluation, a PassRate call (each
	// Resets it first). Attempts that call back into a mechanism (Replay,
	// Pose) go to the model directly.
	cache agents.LogitCache

	// The last checkpoint's acting model (its identity, temperature and
	// parameters) and outcomes per split.
	last       []splitOutcome
	lastModel  agents.Model
	lastTemp   float64
	lastParams []float64

	// phase is the job's current phase (from 1) at the checkpoint, 0
	// before the job or without phases: results finds the end of each
	// phase by it.
	phase int
	dream dreamStats // dreams since the last checkpoint (dream.go)
	// time and skipped go into the next checkpoint's records (the job
	// sets them when it is clocked).
	time    float64
	skipped int
}

func newEvaluator(w *world, cfg *Config) *evaluator {
	s := w.fam.Spec()
	return &evaluator{w: w, cfg: cfg, env: w.fam.NewEnv(), obs: envs.NewObs(s),
		logits: make([]float64, s.Actions), probs: make([]float64, s.Actions), accepted: make([]bool, s.Actions)}
}

// attempt runs one attempt of model m at t with learning off, calling visit
// (if not nil) on every step.
func (e *evaluator) attempt(m agents.Model, t *envs.Task, greedy bool, key uint64, visit func(o *envs.Obs, action int)) envs.Outcome {
	return e.run(m.Logits, t, greedy, key, visit)
}

// cached runs one attempt through e.cache, which the caller Reset to the
// model.
func (e *evaluator) cached(t *envs.Task, greedy bool, key uint64) envs.Outcome {
	return e.run(e.cache.Logits, t, greedy, key, nil)
}

func (e *evaluator) run(logits func(dst []float64, o *envs.Obs), t *envs.Task, greedy bool, key uint64, visit func(o *envs.Obs, action int)) envs.Outcome {
	e.env.Reset(t, &e.obs)
	for step := uint64(0); ; step++ {
		var a int
		if e.agent != nil {
			a = e.agent.ActEval(&e.obs, greedy, envs.Key(key, step))
		} else {
			logits(e.logits, &e.obs)
			a = agents.Choose(e.logits, e.probs, greedy, envs.Key(key, step))
		}
		if visit != nil {
			visit(&e.obs, a)
		}
		if e.env.Step(a, &e.obs).Done {
			return e.env.Outcome()
		}
	}
}

// model evaluates m greedily on tasks.
func (e *evaluator) model(m agents.Model, tasks []envs.Task) evalResult {
	var r evalResult
	steps, correct := 0, 0
	e.cache.Reset(m)
	for i := range tasks {
		o := e.cached(&tasks[i], true, envs.Key(e.w.seed, uint64(purposeEval), tasks[i].Key, 0))
		if o.Success {
			r.success++
		}
		r.score += o.Score
		steps += o.Steps
		correct += o.Correct
	}
	n := float64(len(tasks))
	r.success /= n
	r.score /= n
	r.stepAcc = float64(correct) / float64(steps)
	return r
}

// checkpoint evaluates the agent's acting model on every split, greedy and
// sampled, and writes one record per split. Evaluation keys do not depend
// on the day, so checkpoints share their noise and differences between days
// are the agent's own. For the same reason a checkpoint whose acting model
// is the last one's, bit for bit (parameters and temperature: a frozen
// agent, a tuned one after its tuning), has the last one's outcomes, and
// takes them instead of running the same attempts again.
func (e *evaluator) checkpoint(a *agents.Agent, h results.Header, enc *results.Encoder) error {
	h.Kind = results.KindCheckpoint
	shared, mem := agents.TermMass(a.Weights)
	m := a.Acting()
	if a.Acts() {
		// An agent that acts for itself (an external one) is asked at
		// every step, and its state may change between checkpoints.
		e.agent = a
		defer func() { e.agent = nil }()
	}
	same := !a.Acts() && e.last != nil && e.lastModel == m && math.Float64bits(e.lastTemp) == math.Float64bits(m.Temperature()) &&
		bitsEqual(e.lastParams, m.Params())
	if !same {
		e.cache.Reset(m) // the weights are fixed for the whole checkpoint
		e.last = e.last[:0]
		for _, split := range e.w.splits {
			e.last = append(e.last, e.split(e.w.eval[split]))
			if err := a.Err(); err != nil {
				return fmt.Errorf("day %d: evaluating %s: %w", h.Day, split, err)
			}
		}
		e.lastModel, e.lastTemp = m, m.Temperature()
		e.lastParams = append(e.lastParams[:0], m.Params()...)
	}
	for i, split := range e.w.splits {
		rec := results.Checkpoint{Header: h, Split: split,
			SharedMass: shared, MemorizingMass: mem, Temperature: m.Temperature(),
			Attempts: a.Compute.Attempts, EnvSteps: a.Compute.EnvSteps,
			VerifierCalls: a.Compute.VerifierCalls, GradSteps: a.Compute.GradSteps,
			Time: e.time, SkippedSlots: e.skipped, Phase: e.phase}
		e.last[i].fill(&rec)
		e.dream.fill(&rec, a.Compute)
		if err := enc.Write(&rec); err != nil {
			return err
		}
	}
	e.dream = dreamStats{}
	return nil
}

// bitsEqual reports whether a and b hold the same values bit for bit.
func bitsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// splitOutcome is a split's evaluation: the outcome fields of a checkpoint
// record.
type splitOutcome struct {
	tasks                                      int
	successG, scoreG, successS, scoreS         float64
	stepAccG, stepAccS, covered, reward, steps float64
}

func (o *splitOutcome) fill(rec *results.Checkpoint) {
	rec.Tasks = o.tasks
	rec.SuccessGreedy, rec.ScoreGreedy = o.successG, o.scoreG
	rec.SuccessSampled, rec.ScoreSampled = o.successS, o.scoreS
	rec.StepAccGreedy, rec.StepAccSampled = o.stepAccG, o.stepAccS
	rec.VerdictCovered, rec.VerdictReward = o.covered, o.reward
}

// split evaluates the model e.cache is bound to on tasks, one greedy and
// one sampled attempt each.
func (e *evaluator) split(tasks []envs.Task) splitOutcome {
	r := splitOutcome{tasks: len(tasks)}
	var stepsG, corrG, stepsS, corrS, covered int
	var reward float64
	for i := range tasks {
		t := &tasks[i]
		g := e.cached(t, true, envs.Key(e.w.seed, uint64(purposeEval), t.Key, 0))
		key := envs.Key(e.w.seed, uint64(purposeEval), t.Key, 1)
		s := e.cached(t, false, key)
		r.successG += b2f(g.Success)
		r.scoreG += g.Score
		stepsG += g.Steps
		corrG += g.Correct
		r.successS += b2f(s.Success)
		r.scoreS += s.Score
		stepsS += s.Steps
		corrS += s.Correct
		if v, ok := e.cfg.Env.Verifier.Judge(s, key).Reward(); ok {
			covered++
			reward += v
		}
	}
	n := float64(len(tasks))
	r.successG /= n
	r.scoreG /= n
	r.successS /= n
	r.scoreS /= n
	r.stepAccG = float64(corrG) / float64(stepsG)
	r.stepAccS = float64(corrS) / float64(stepsS)
	r.covered = float64(covered) / n
	if covered > 0 {
		r.reward = reward / float64(covered)
	}
	r.steps = float64(stepsG + stepsS)
	evalSteps.Add(int64(stepsG + stepsS))
	return r
}

// evalSteps counts the env steps checkpoint evaluation has run in this
// process (a checkpoint that takes the last one's outcomes runs none), for
// benchmarks that count only work done.
var evalSteps atomic.Int64

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
