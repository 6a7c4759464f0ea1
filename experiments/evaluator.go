package experiments

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
	"github.com/grindbench/grindbench/results/stats"
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
	// base and its probabilities, while a checkpoint measures the distance
	// from it ([eval] distance); nil otherwise.
	base      agents.Model
	baseLog   []float64
	baseProbs []float64
	lastJob   distance
	// passK is set while a checkpoint measures pass@k, lastPassK if the
	// last one did.
	passK, lastPassK bool
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
	// With keepSteps, run appends to stepTruth whether each step is
	// correct (dreams judged per step: dream.go).
	keepSteps bool
	tree      *agents.Rollouts // pass@k's samples, when the env is a Brancher
	keys      []uint64
	stepTruth []bool
	// time and skipped go into the next checkpoint's records (the job
	// sets them when it is clocked).
	time    float64
	skipped int
}

func newEvaluator(w *world, cfg *Config) *evaluator {
	s := w.fam.Spec()
	return &evaluator{w: w, cfg: cfg, env: w.fam.NewEnv(), obs: envs.NewObs(s),
		logits: make([]float64, s.Actions), probs: make([]float64, s.Actions), accepted: make([]bool, s.Actions),
		baseLog: make([]float64, s.Actions), baseProbs: make([]float64, s.Actions)}
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
		r := e.env.Step(a, &e.obs)
		if e.keepSteps {
			e.stepTruth = append(e.stepTruth, r.Correct)
		}
		if r.Done {
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
	e.passK = e.cfg.Eval.passKAt(h.Day)
	same := !a.Acts() && e.last != nil && e.passK == e.lastPassK && e.lastModel == m && math.Float64bits(e.lastTemp) == math.Float64bits(m.Temperature()) &&
		bitsEqual(e.lastParams, m.Params())
	if e.cfg.Eval.Distance && !a.Acts() {
		e.base = a.Base
		defer func() { e.base = nil }()
	}
	if !same {
		e.cache.Reset(m) // the weights are fixed for the whole checkpoint
		e.last = e.last[:0]
		if e.base != nil {
			e.lastJob = e.distance(e.w.pool[:min(len(e.w.pool), e.cfg.Eval.Tasks)])
		}
		for _, split := range e.w.splits {
			e.last = append(e.last, e.split(e.w.eval[split]))
			if err := a.Err(); err != nil {
				return fmt.Errorf("day %d: evaluating %s: %w", h.Day, split, err)
			}
		}
		e.lastModel, e.lastTemp, e.lastPassK = m, m.Temperature(), e.passK
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
		if e.base != nil {
			rec.KLBaseCurrentJob, rec.KLCurrentBaseJob = ptr(e.lastJob.klBaseCur), ptr(e.lastJob.klCurBase)
			weightDistance(&rec, a.Weights, a.Base)
		}
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

	samples  int               // [eval] passk_samples
	passK    []results.PassAtK // with [eval] passk_samples
	coverage float64
	dist     *distance // with [eval] distance
}

// distance is the KL between the base and the acting policy, both ways,
// per step over the states the acting policy visits.
type distance struct{ klBaseCur, klCurBase float64 }

func (o *splitOutcome) fill(rec *results.Checkpoint) {
	rec.Tasks = o.tasks
	rec.SuccessGreedy, rec.ScoreGreedy = o.successG, o.scoreG
	rec.SuccessSampled, rec.ScoreSampled = o.successS, o.scoreS
	rec.StepAccGreedy, rec.StepAccSampled = o.stepAccG, o.stepAccS
	rec.VerdictCovered, rec.VerdictReward = o.covered, o.reward
	// Copies: records may outlive this outcome (kept in memory for the
	// report), and e.last is reused.
	if o.passK != nil {
		rec.PassKSamples = o.samples
		rec.PassAtK, rec.Coverage = slices.Clone(o.passK), ptr(o.coverage)
	}
	if o.dist != nil {
		rec.KLBaseCurrent, rec.KLCurrentBase = ptr(o.dist.klBaseCur), ptr(o.dist.klCurBase)
	}
}

func ptr(v float64) *float64 { return &v }

// weightDistance writes the Euclidean distance of w's parameters from
// base's into rec: in all, per role and per term.
func weightDistance(rec *results.Checkpoint, w, base agents.Model) {
	p, b := w.Params(), base.Params()
	var all, shared, mem float64
	for _, t := range w.Terms() {
		d := agents.L2Dist(p[t.Lo:t.Hi], b[t.Lo:t.Hi])
		all += d
		role := "other"
		switch t.Role {
		case agents.RoleShared:
			shared += d
			role = "shared"
		case agents.RoleMemorizing:
			mem += d
			role = "memorizing"
		}
		rec.L2Terms = append(rec.L2Terms, results.TermDistance{Term: t.Name, Role: role, L2: math.Sqrt(d)})
	}
	all, shared, mem = math.Sqrt(all), math.Sqrt(shared), math.Sqrt(mem)
	rec.L2FromBase, rec.L2Shared, rec.L2Memorizing = &all, &shared, &mem
}

// distance runs one sampled attempt of the model e.cache is bound to on
// each task (the evaluation's sampled attempt, same key) and returns the
// KL between e.base and it, both ways, averaged over every step.
func (e *evaluator) distance(tasks []envs.Task) distance {
	var d distance
	steps := 0
	visit := func(o *envs.Obs, _ int) {
		// e.probs holds the acting policy's probabilities at o: Choose
		// wrote them for this step's sample.
		e.base.Logits(e.baseLog, o)
		agents.Softmax(e.baseProbs, e.baseLog)
		d.klBaseCur += agents.KL(e.baseProbs, e.probs)
		d.klCurBase += agents.KL(e.probs, e.baseProbs)
		steps++
	}
	for i := range tasks {
		t := &tasks[i]
		e.run(e.cache.Logits, t, false, envs.Key(e.w.seed, uint64(purposeEval), t.Key, 1), visit)
	}
	evalSteps.Add(int64(steps))
	if steps > 0 {
		d.klBaseCur /= float64(steps)
		d.klCurBase /= float64(steps)
	}
	return d
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
	if n := e.cfg.Eval.PassKSamples; n > 0 && e.passK {
		e.passKs(&r, tasks, n)
	}
	if e.base != nil {
		d := e.distance(tasks)
		r.dist = &d
	}
	return r
}

// passKs runs n sampled attempts of each task, the first of them the
// evaluation's sampled attempt (same key), and fills r's pass@k for every
// configured k and its coverage.
func (e *evaluator) passKs(r *splitOutcome, tasks []envs.Task, n int) {
	ks := e.cfg.Eval.passKs()
	r.samples = n
	r.passK = make([]results.PassAtK, len(ks))
	for j, k := range ks {
		r.passK[j].K = k
	}
	steps := 0
	// The samples of a task as a tree of their distinct states
	// (agents.Rollouts.Sample) when the environment allows: the same
	// attempts as one by one, for a fraction of the work.
	br, _ := e.env.(envs.Brancher)
	tree := br != nil && e.agent == nil && !e.keepSteps
	if tree && e.tree == nil {
		e.tree = agents.NewRollouts(e.w.fam.Spec())
	}
	for i := range tasks {
		t := &tasks[i]
		c := 0
		if tree {
			keys := e.keys[:0]
			for j := range n {
				keys = append(keys, envs.Key(e.w.seed, uint64(purposeEval), t.Key, uint64(1+j)))
			}
			e.keys = keys
			e.tree.Sample(e.cache.Logits, br, t, keys)
			for j := range n {
				o := e.tree.Outcome(j)
				c += int(b2f(o.Success))
				steps += o.Steps
			}
		}
		for j := 0; j < n && !tree; j++ {
			o := e.cached(t, false, envs.Key(e.w.seed, uint64(purposeEval), t.Key, uint64(1+j)))
			c += int(b2f(o.Success))
			steps += o.Steps
		}
		for j, k := range ks {
			r.passK[j].Value += stats.PassAtK(n, c, k)
		}
		if c > 0 {
			r.coverage++
		}
	}
	for j := range r.passK {
		r.passK[j].Value /= float64(len(tasks))
	}
	r.coverage /= float64(len(tasks))
	evalSteps.Add(int64(steps))
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
