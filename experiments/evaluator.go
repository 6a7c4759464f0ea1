package experiments

import (
	"fmt"

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
}

func newEvaluator(w *world, cfg *Config) *evaluator {
	s := w.fam.Spec()
	return &evaluator{w: w, cfg: cfg, env: w.fam.NewEnv(), obs: envs.NewObs(s),
		logits: make([]float64, s.Actions), probs: make([]float64, s.Actions), accepted: make([]bool, s.Actions)}
}

// attempt runs one attempt of model m at t with learning off, calling visit
// (if not nil) on every step.
func (e *evaluator) attempt(m agents.Model, t *envs.Task, greedy bool, key uint64, visit func(o *envs.Obs, action int)) envs.Outcome {
	e.env.Reset(t, &e.obs)
	for step := uint64(0); ; step++ {
		var a int
		if e.agent != nil {
			a = e.agent.ActEval(&e.obs, greedy, envs.Key(key, step))
		} else {
			m.Logits(e.logits, &e.obs)
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
	for i := range tasks {
		o := e.attempt(m, &tasks[i], true, envs.Key(e.w.seed, uint64(purposeEval), tasks[i].Key, 0), nil)
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
// are the agent's own.
func (e *evaluator) checkpoint(a *agents.Agent, h results.Header, enc *results.Encoder) error {
	h.Kind = results.KindCheckpoint
	shared, mem := agents.TermMass(a.Weights)
	m := a.Acting()
	if a.Acts() {
		e.agent = a
		defer func() { e.agent = nil }()
	}
	for _, split := range e.w.splits {
		tasks := e.w.eval[split]
		rec := results.Checkpoint{Header: h, Split: split, Tasks: len(tasks),
			SharedMass: shared, MemorizingMass: mem, Temperature: m.Temperature(),
			Attempts: a.Compute.Attempts, EnvSteps: a.Compute.EnvSteps,
			VerifierCalls: a.Compute.VerifierCalls, GradSteps: a.Compute.GradSteps}
		var stepsG, corrG, stepsS, corrS, covered int
		var reward float64
		for i := range tasks {
			t := &tasks[i]
			g := e.attempt(m, t, true, envs.Key(e.w.seed, uint64(purposeEval), t.Key, 0), nil)
			key := envs.Key(e.w.seed, uint64(purposeEval), t.Key, 1)
			s := e.attempt(m, t, false, key, nil)
			if err := a.Err(); err != nil {
				return fmt.Errorf("day %d: evaluating %s: %w", h.Day, split, err)
			}
			rec.SuccessGreedy += b2f(g.Success)
			rec.ScoreGreedy += g.Score
			stepsG += g.Steps
			corrG += g.Correct
			rec.SuccessSampled += b2f(s.Success)
			rec.ScoreSampled += s.Score
			stepsS += s.Steps
			corrS += s.Correct
			if r, ok := e.cfg.Env.Verifier.Judge(s, key).Reward(); ok {
				covered++
				reward += r
			}
		}
		n := float64(len(tasks))
		rec.SuccessGreedy /= n
		rec.ScoreGreedy /= n
		rec.SuccessSampled /= n
		rec.ScoreSampled /= n
		rec.StepAccGreedy = float64(corrG) / float64(stepsG)
		rec.StepAccSampled = float64(corrS) / float64(stepsS)
		rec.VerdictCovered = float64(covered) / n
		if covered > 0 {
			rec.VerdictReward = reward / float64(covered)
		}
		if err := enc.Write(&rec); err != nil {
			return err
		}
	}
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
