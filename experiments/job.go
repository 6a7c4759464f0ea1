package experiments

import (
	"context"
	"fmt"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// world is what every agent at one (point, seed) shares: the family, its
// tasks and the pretrained base model.
type world struct {
	fam    envs.Family
	base   *agents.Policy
	pool   []envs.Task            // the job's training pool
	eval   map[string][]envs.Task // tasks evaluated at each checkpoint
	splits []string               // evaluated splits, in the family's order
	seed   uint64                 // root key of every draw at this seed
	info   results.PretrainEntry
}

// Purposes the job protocol draws for.
var (
	purposeEval = envs.PurposeOf("eval")
	purposeJob  = envs.PurposeOf("job")
	purposeTune = envs.PurposeOf("tune")
)

// newWorld builds the family at seed, checks its splits are disjoint,
// generates tasks and pretrains the base model.
func newWorld(cfg *Config, seed int) (*world, error) {
	fac, err := envs.Lookup(cfg.Env.Family)
	if err != nil {
		return nil, err
	}
	fam, err := fac.New(cfg.Env.Knobs, uint64(seed))
	if err != nil {
		return nil, err
	}
	w := &world{fam: fam, eval: map[string][]envs.Task{}, seed: envs.Key(uint64(seed))}
	if err := fam.CheckDisjoint(cfg.Eval.Tasks); err != nil {
		return nil, fmt.Errorf("held-out splits are not disjoint from training: %w", err)
	}
	w.splits = fam.Splits()
	if len(cfg.Eval.Splits) > 0 {
		w.splits = cfg.Eval.Splits
	}
	for _, split := range w.splits {
		n := cfg.Eval.Tasks
		if p := fam.PoolSize(split); p > 0 {
			n = min(n, p)
		}
		for i := 0; i < n; i++ {
			t, err := fam.Task(split, i)
			if err != nil {
				return nil, err
			}
			w.eval[split] = append(w.eval[split], t)
		}
	}
	n := fam.PoolSize(envs.SplitTrain)
	if n == 0 {
		n = cfg.Eval.Tasks
	}
	for i := 0; i < n; i++ {
		t, err := fam.Task(envs.SplitTrain, i)
		if err != nil {
			return nil, err
		}
		w.pool = append(w.pool, t)
	}
	w.base, err = agents.Pretrain(fam, cfg.Pretrain)
	if err != nil {
		return nil, err
	}
	w.info = results.PretrainEntry{Seed: seed, EvaluatedOn: cfg.Eval.Tasks, PretrainTask: cfg.Pretrain.Tasks}
	ev := newEvaluator(w, cfg)
	if ts, ok := w.eval[envs.SplitPretrain]; ok {
		w.info.PretrainAcc = ev.policy(w.base, ts).stepAcc
	}
	r := ev.policy(w.base, w.pool[:min(len(w.pool), cfg.Eval.Tasks)])
	w.info.JobSuccess, w.info.JobStepAcc = r.success, r.stepAcc
	return w, nil
}

// evalResult is one split's evaluation in one mode.
type evalResult struct{ success, score, stepAcc float64 }

// evaluator runs attempts with learning off.
type evaluator struct {
	w      *world
	cfg    *Config
	env    envs.Env
	obs    envs.Obs
	logits []float64
	probs  []float64
}

func newEvaluator(w *world, cfg *Config) *evaluator {
	s := w.fam.Spec()
	return &evaluator{w: w, cfg: cfg, env: w.fam.NewEnv(), obs: envs.NewObs(s),
		logits: make([]float64, s.Actions), probs: make([]float64, s.Actions)}
}

// attempt runs one attempt of policy p at t with learning off.
func (e *evaluator) attempt(p *agents.Policy, t *envs.Task, greedy bool, key uint64) envs.Outcome {
	e.env.Reset(t, &e.obs)
	for step := uint64(0); ; step++ {
		p.Logits(e.logits, &e.obs)
		a := agents.Choose(e.logits, e.probs, greedy, envs.Key(key, step))
		if e.env.Step(a, &e.obs).Done {
			return e.env.Outcome()
		}
	}
}

// policy evaluates p greedily on tasks.
func (e *evaluator) policy(p *agents.Policy, tasks []envs.Task) evalResult {
	var r evalResult
	steps, correct := 0, 0
	for i := range tasks {
		o := e.attempt(p, &tasks[i], true, envs.Key(e.w.seed, uint64(purposeEval), tasks[i].Key, 0))
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

// checkpoint evaluates every split, greedy and sampled, and writes one record
// per split. Evaluation keys do not depend on the day, so checkpoints share
// their noise and differences between days are the agent's own.
func (e *evaluator) checkpoint(a *agents.Agent, h results.Header, enc *results.Encoder) error {
	h.Kind = results.KindCheckpoint
	shared, mem := a.Policy.ChannelMass()
	for _, split := range e.w.splits {
		tasks := e.w.eval[split]
		rec := results.Checkpoint{Header: h, Split: split, Tasks: len(tasks),
			SharedMass: shared, MemorizingMass: mem, Temperature: a.Policy.Cfg.Temperature,
			Attempts: a.Compute.Attempts, EnvSteps: a.Compute.EnvSteps,
			VerifierCalls: a.Compute.VerifierCalls, GradSteps: a.Compute.GradSteps}
		var stepsG, corrG, stepsS, corrS, covered int
		var reward float64
		for i := range tasks {
			t := &tasks[i]
			g := e.attempt(a.Policy, t, true, envs.Key(e.w.seed, uint64(purposeEval), t.Key, 0))
			key := envs.Key(e.w.seed, uint64(purposeEval), t.Key, 1)
			s := e.attempt(a.Policy, t, false, key)
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

// job runs one agent through the job protocol (DESIGN 5) and returns its
// records.
type job struct {
	w     *world
	cfg   *Config
	agent *agents.Agent
	ev    *evaluator
	env   envs.Env
	obs   envs.Obs
	// per-group buffers, allocated once
	verdicts []envs.Verdict
}

// harness implements agents.Harness for mechanisms acting outside the job.
type harness struct{ j *job }

// TrainPassRate implements agents.Harness: n sampled attempts at pool tasks,
// the same tasks and keys for every call so candidates meet the same noise.
func (h harness) TrainPassRate(p *agents.Policy, n int) (float64, int) {
	j := h.j
	sum, covered := 0.0, 0
	for i := 0; i < n; i++ {
		key := envs.Key(j.w.seed, uint64(purposeTune), uint64(i))
		t := &j.w.pool[int(envs.Uniform(key)*float64(len(j.w.pool)))]
		o := j.ev.attempt(p, t, false, key)
		j.agent.Compute.Attempts++
		j.agent.Compute.EnvSteps += int64(o.Steps)
		j.agent.Compute.VerifierCalls++
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

// runJob runs agent cfg in world w and returns the run's records.
func runJob(ctx context.Context, w *world, cfg *Config, acfg agents.Config, h results.Header) ([]byte, error) {
	g := cfg.Env.Grind.GroupSize
	a, err := agents.New(acfg, w.base, g)
	if err != nil {
		return nil, err
	}
	s := w.fam.Spec()
	j := &job{w: w, cfg: cfg, agent: a, ev: newEvaluator(w, cfg), env: w.fam.NewEnv(),
		obs: envs.NewObs(s), verdicts: make([]envs.Verdict, g)}
	enc := results.NewEncoder()
	h.Schema = results.SchemaVersion
	h.Day = 0
	if err := j.ev.checkpoint(a, h, enc); err != nil {
		return nil, err
	}
	if err := a.StartJob(harness{j}); err != nil {
		return nil, err
	}
	att := results.Attempt{Header: h}
	att.Kind = results.KindAttempt
	for day := 1; day <= cfg.Job.Days; day++ {
		att.Day = day
		for sess := 0; sess < cfg.Job.Sessions; sess++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			att.Session = sess
			for slot := 0; slot < cfg.Job.Tasks; slot++ {
				att.Slot = slot
				if err := j.group(day, sess, slot, &att, enc); err != nil {
					return nil, err
				}
			}
			if err := a.EndSession(harness{j}); err != nil {
				return nil, err
			}
		}
		if err := a.Policy.Finite(); err != nil {
			return nil, fmt.Errorf("day %d: learning diverged: %w", day, err)
		}
		h.Day = day
		if err := j.ev.checkpoint(a, h, enc); err != nil {
			return nil, err
		}
	}
	if err := enc.End(h); err != nil {
		return nil, err
	}
	return enc.Bytes(), nil
}

// group runs one task slot: group_size attempts at one pool task (the
// harness resets the instance between them), then one learning step from
// their verdicts.
func (j *job) group(day, sess, slot int, att *results.Attempt, enc *results.Encoder) error {
	slotKey := envs.Key(j.w.seed, uint64(purposeJob), uint64(day), uint64(sess), uint64(slot))
	ti := int(envs.Uniform(envs.Key(slotKey, uint64(envs.PurposeSchedule))) * float64(len(j.w.pool)))
	t := &j.w.pool[ti]
	n := len(j.verdicts)
	learns := j.agent.Learns()
	tr := j.agent.BeginGroup(n)
	for m := 0; m < n; m++ {
		key := envs.Key(slotKey, t.Key, uint64(m))
		j.env.Reset(t, &j.obs)
		for step := uint64(0); ; step++ {
			act := j.agent.Act(&j.obs, false, envs.Key(key, step))
			if learns {
				tr.Record(m, &j.obs, act)
			}
			if j.env.Step(act, &j.obs).Done {
				break
			}
		}
		o := j.env.Outcome()
		v := j.cfg.Env.Verifier.Judge(o, key)
		j.verdicts[m] = v
		c := &j.agent.Compute
		c.Attempts++
		c.EnvSteps += int64(o.Steps)
		c.VerifierCalls++
		if j.cfg.Job.RecordAttempts {
			att.Member, att.Task = m, ti
			att.Success, att.Score, att.Verdict = b2f(o.Success), o.Score, v.String()
			if err := enc.Write(att); err != nil {
				return err
			}
		}
	}
	if learns {
		j.agent.EndGroup(j.verdicts)
	}
	return nil
}
