package experiments

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// The job loop (DESIGN 5). Days of sessions of task slots; each slot runs a
// group of attempts at one instance (and, with env.grind.retries, further
// groups at it, each after the previous group's verdicts have arrived), and
// its verdicts join a queue of pending feedback that is delivered to the
// agent when the simulated clock reaches their arrival time.
//
// The clock (docs/science.md, "The grindability knobs"): a group's
// attempts run side by side and take env.grind.attempt_cost; their
// verdicts arrive env.grind.delay after they end. The next slot starts as
// soon as the group ends, so with a delay the agent works on while its
// verdicts are on their way; a retry waits for them. Feedback is delivered
// at delivery points (the end of every group and of every wait) once its
// arrival time has come, never before. A session ends when its last verdict has
// arrived: the worker waits for it (the wait is simulated time), so a
// verdict is always delivered within its session, while the session log it
// refers to is still there. A day with env.grind.day_budget ends when the
// next group would not fit in what is left of the budget (waits count):
// the session in progress ends as usual and the day's remaining slots and
// sessions are skipped (checkpoints count them in skipped_slots).

// job runs one agent through the job protocol and collects its records.
type job struct {
	w     *world
	cfg   *Config
	acfg  agents.Config
	agent *agents.Agent
	ev    *evaluator
	env   envs.Env
	obs   envs.Obs
	br    envs.Brancher    // env, when it is one: groups run as a tree
	tree  *agents.Rollouts // for br
	keys  []uint64         // the group's members' keys
	clock float64          // simulated time

	dayStart float64 // the clock when the day began
	skipped  int     // slots the day's budget skipped

	fresh   []envs.Task // this session's fresh instances (no resets)
	phase   int         // the phase (from 0) of the slot's task; -1 without phases
	pending []*pendingFeedback
	last    *pendingFeedback   // the group queued last
	ready   []*pendingFeedback // scratch of deliver
	free    []*pendingFeedback
}

// pendingFeedback is a group's verdicts on their way to the agent.
type pendingFeedback struct {
	fb       agents.Feedback
	attempts []int
	verdicts []envs.Verdict
	steps    []envs.Verdict   // step verdicts of all members, in order
	ends     []int            // ends[m]: end of member m's step verdicts in steps
	stepv    [][]envs.Verdict // views into steps, one per member
}

// runJob runs agent acfg in world w, writing the run's records to enc as
// they are made, the end record last.
func runJob(ctx context.Context, w *world, cfg *Config, acfg agents.Config, h results.Header, enc *results.Encoder) error {
	_, err := runAgent(ctx, w, cfg, acfg, h, enc)
	return err
}

// runAgent is runJob that also returns the agent as the job left it.
func runAgent(ctx context.Context, w *world, cfg *Config, acfg agents.Config, h results.Header, enc *results.Encoder) (a *agents.Agent, err error) {
	base, err := w.base(acfg)
	if err != nil {
		return nil, err
	}
	a, err = agents.New(acfg, base, w.modelSeed())
	if err != nil {
		return nil, err
	}
	defer func() { // an external agent's child ends with the run (external.go)
		if cerr := a.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := bindRun(ctx, a, w, h); err != nil {
		return a, err
	}
	return a, runLoop(ctx, w, cfg, acfg, a, h, enc)
}

// runLoop runs agent a through the job.
func runLoop(ctx context.Context, w *world, cfg *Config, acfg agents.Config, a *agents.Agent, h results.Header, enc *results.Encoder) error {
	s := w.fam.Spec()
	j := &job{w: w, cfg: cfg, acfg: acfg, agent: a, ev: newEvaluator(w, cfg), env: w.fam.NewEnv(), obs: envs.NewObs(s), phase: -1}
	if br, ok := j.env.(envs.Brancher); ok {
		j.br, j.tree = br, agents.NewRollouts(s)
	}
	if !cfg.Env.Grind.Resets {
		j.fresh = make([]envs.Task, 0, cfg.Job.Tasks)
	}
	h.Schema = results.SchemaVersion
	h.Day = 0
	if err := j.ev.checkpoint(a, h, enc); err != nil {
		return err
	}
	hs := harness{j}
	if err := a.StartJob(hs); err != nil {
		return err
	}
	att := results.Attempt{Header: h}
	att.Kind = results.KindAttempt
	for day := 1; day <= cfg.Job.Days; day++ {
		att.Day = day
		j.dayStart, j.skipped = j.clock, 0
		spent := false
		for sess := 0; sess < cfg.Job.Sessions; sess++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if spent {
				j.skipped += cfg.Job.Tasks
				continue
			}
			att.Session = sess
			j.fresh = j.fresh[:0]
			for slot := 0; slot < cfg.Job.Tasks; slot++ {
				if spent = spent || !j.fits(); spent {
					j.skipped++
					continue
				}
				att.Slot = slot
				if err := j.slot(day, sess, slot, &att, enc); err != nil {
					return err
				}
			}
			j.drain()
			if err := a.EndSession(hs); err != nil {
				return err
			}
		}
		if err := a.Overnight(hs); err != nil {
			return err
		}
		if err := a.EndDay(hs); err != nil {
			return err
		}
		if err := a.Finite(); err != nil {
			return fmt.Errorf("day %d: learning diverged: %w", day, err)
		}
		h.Day = day
		j.ev.phase = cfg.Job.phaseAt(day) + 1
		j.stamp()
		if err := j.ev.checkpoint(a, h, enc); err != nil {
			return err
		}
	}
	return enc.End(h)
}

// slot works one task slot: a group of attempts at its instance and, with
// env.grind.retries, further groups at it, each made once the previous
// verdicts have arrived and only if none of them was a pass.
func (j *job) slot(day, sess, slot int, att *results.Attempt, enc *results.Encoder) error {
	t, err := j.task(day, sess, slot)
	if err != nil {
		return err
	}
	for r := 0; r <= j.cfg.Env.Grind.Retries; r++ {
		if r > 0 {
			passed := j.last.passed()
			j.wait(j.last.fb.Arrived)
			if passed || !j.fits() {
				return nil
			}
		}
		att.Retry = r
		if err := j.group(t, day, sess, slot, r, att, enc); err != nil {
			return err
		}
		j.deliver()
	}
	return nil
}

// stamp hands the evaluator the clock and the day's skipped slots for the
// next checkpoint's records (only when the job is clocked: envs.Clocked).
func (j *job) stamp() {
	if j.cfg.Env.Grind.Clocked() {
		j.ev.time, j.ev.skipped = j.clock, j.skipped
	}
}

// fits reports whether one more group fits in what is left of the day's
// budget.
func (j *job) fits() bool {
	g := &j.cfg.Env.Grind
	return g.DayBudget == 0 || j.clock-j.dayStart+g.AttemptCost <= g.DayBudget
}

// wait advances the clock to t (if it is later) and delivers what has
// arrived by then.
func (j *job) wait(t float64) {
	j.clock = max(j.clock, t)
	j.deliver()
}

// drain waits for every verdict still on its way: the session's end.
func (j *job) drain() {
	t := j.clock
	for _, p := range j.pending {
		t = max(t, p.fb.Arrived)
	}
	j.wait(t)
}

// task returns the instance a slot works on: a draw from the job's pool
// when resets are allowed, else a fresh instance no slot has seen.
func (j *job) task(day, sess, slot int) (*envs.Task, error) {
	if len(j.w.phases) > 0 {
		t, g, err := j.phaseTask(day, sess, slot)
		j.phase = g
		return t, err
	}
	if j.cfg.Env.Grind.Resets {
		slotKey := j.slotKey(day, sess, slot)
		ti := int(envs.Uniform(envs.Key(slotKey, uint64(envs.PurposeSchedule))) * float64(len(j.w.pool)))
		return &j.w.pool[ti], nil
	}
	n := ((day-1)*j.cfg.Job.Sessions+sess)*j.cfg.Job.Tasks + slot
	t, err := j.w.fam.Task(envs.SplitTrain, envs.FreshTask(n))
	if err != nil {
		return nil, fmt.Errorf("fresh instance %d: %w", n, err)
	}
	j.fresh = append(j.fresh, t) // capacity is a session's slots: pointers stay valid
	return &j.fresh[len(j.fresh)-1], nil
}

func (j *job) slotKey(day, sess, slot int) uint64 {
	return envs.Key(j.w.seed, uint64(purposeJob), uint64(day), uint64(sess), uint64(slot))
}

// charge counts one attempt (and its verifier calls) into the agent's
// compute.
func (j *job) charge(o envs.Outcome, calls int) {
	c := &j.agent.Compute
	c.Attempts++
	c.EnvSteps += int64(o.Steps)
	c.VerifierCalls += int64(calls)
}

// group runs one round of a task slot: group_size attempts at one instance
// (the harness resets it between them), then queues their verdicts. Retry
// r > 0 is a further round at the same instance.
func (j *job) group(t *envs.Task, day, sess, slot, r int, att *results.Attempt, enc *results.Encoder) error {
	slotKey := j.slotKey(day, sess, slot)
	g := &j.cfg.Env.Grind
	n := g.GroupSize
	log := j.agent.Log
	// A retry is decided on the verdicts, so with retries every agent's
	// attempts are judged (a learner that ignores them still learns nothing
	// from them).
	verify := j.agent.WantsVerdicts() || g.Retries > 0
	// An unverified phase's tasks get no verifier call: coverage 0.
	verify = verify && !j.cfg.Job.unverified(j.phase)
	perStep := g.Granularity == envs.GranularityStep
	p := j.newPending(n)
	start := j.clock
	end := start + g.AttemptCost // the group's attempts run side by side
	keys := j.keys[:0]
	for m := 0; m < n; m++ {
		key := envs.Key(slotKey, t.Key, uint64(m))
		if r > 0 {
			key = envs.Key(slotKey, t.Key, uint64(m), uint64(r))
		}
		keys = append(keys, key)
	}
	j.keys = keys
	tree := j.br != nil && !j.agent.Acts()
	if tree {
		// The members as a tree of their distinct states (agents.Rollouts):
		// the same attempts and session log as stepping them one by one.
		j.tree.Run(j.agent, j.br, t, keys)
		if log != nil {
			copy(p.attempts, j.tree.Attempts())
		}
	}
	for m, key := range keys {
		flaked, lo := 0, len(p.steps)
		var o envs.Outcome
		if tree {
			for step := range j.tree.Steps(m) {
				res := j.tree.Result(m, step)
				if res.Correct && envs.Flaked(g.Flakiness, key, step) {
					res.Correct = false
					flaked++
				}
				if perStep && verify {
					p.steps = append(p.steps, j.cfg.Env.Verifier.JudgeStep(res.Correct, key, step))
				}
			}
			o = j.tree.Outcome(m)
		} else {
			j.env.Reset(t, &j.obs)
			if log != nil {
				p.attempts[m] = log.Begin(t, m)
			}
			for step := uint64(0); ; step++ {
				act := j.agent.Act(&j.obs, false, envs.Key(key, step))
				if log != nil {
					j.agent.Record(&j.obs, act)
				}
				res := j.env.Step(act, &j.obs)
				if res.Correct && envs.Flaked(g.Flakiness, key, int(step)) {
					res.Correct = false
					flaked++
				}
				if perStep && verify {
					p.steps = append(p.steps, j.cfg.Env.Verifier.JudgeStep(res.Correct, key, int(step)))
				}
				if res.Done {
					break
				}
			}
			o = j.env.Outcome()
		}
		p.ends[m] = len(p.steps)
		if err := j.agent.Err(); err != nil {
			return fmt.Errorf("day %d session %d slot %d: %w", day, sess, slot, err)
		}
		o = flake(o, flaked)
		v, calls := envs.VerdictNone, 0
		switch {
		case verify && perStep:
			calls = o.Steps
		case verify:
			v, calls = j.cfg.Env.Verifier.Judge(o, key), 1
		}
		p.verdicts[m] = v
		j.charge(o, calls)
		if j.cfg.Job.RecordAttempts {
			att.Member, att.Task, att.Phase = m, t.Index, j.phase+1
			att.Success, att.Score, att.Verdict = b2f(o.Success), o.Score, v.String()
			if g.Clocked() {
				att.Time = end
			}
			if perStep && verify {
				att.StepVerdicts = stepString(p.steps[lo:p.ends[m]])
			}
			if err := enc.Write(att); err != nil {
				return err
			}
		}
	}
	j.clock = end
	p.fb = agents.Feedback{Harness: harness{j}, Task: t, Attempts: p.attempts, Verdicts: p.verdicts, Retry: r, Sent: start, Arrived: end + g.Delay}
	if perStep && verify {
		for m := range n {
			lo := 0
			if m > 0 {
				lo = p.ends[m-1]
			}
			p.stepv[m] = p.steps[lo:p.ends[m]]
		}
		p.fb.StepVerdicts = p.stepv
	}
	if log != nil {
		for m := range n {
			log.End(p.attempts[m], end)
		}
	}
	j.pending = append(j.pending, p)
	j.last = p
	return nil
}

// flake is o with flaked of its correct steps failed by the world: the
// attempt fails, and its partial credit shrinks by the fraction of its
// correct steps that failed (a family's own credit rule cannot be rerun
// from outside it).
func flake(o envs.Outcome, flaked int) envs.Outcome {
	if flaked == 0 {
		return o
	}
	if o.Correct > 0 {
		o.Score *= float64(max(o.Correct-flaked, 0)) / float64(o.Correct)
	}
	o.Correct = max(o.Correct-flaked, 0)
	o.Success = false
	return o
}

// stepString writes step verdicts one letter each: p(ass), f(ail), n(one).
func stepString(vs []envs.Verdict) string {
	b := make([]byte, len(vs))
	for i, v := range vs {
		b[i] = v.String()[0]
	}
	return string(b)
}

// passed reports whether any attempt of the group got a pass: at step
// granularity, a pass on every one of its steps.
func (p *pendingFeedback) passed() bool {
	if p.fb.StepVerdicts == nil {
		return slices.Contains(p.verdicts, envs.VerdictPass)
	}
	for _, sv := range p.fb.StepVerdicts {
		all := len(sv) > 0
		for _, v := range sv {
			all = all && v == envs.VerdictPass
		}
		if all {
			return true
		}
	}
	return false
}

func (j *job) newPending(n int) *pendingFeedback {
	var p *pendingFeedback
	if k := len(j.free); k > 0 {
		p, j.free = j.free[k-1], j.free[:k-1]
	} else {
		p = &pendingFeedback{}
	}
	if cap(p.verdicts) < n {
		p.attempts, p.verdicts = make([]int, n), make([]envs.Verdict, n)
		p.ends, p.stepv = make([]int, n), make([][]envs.Verdict, n)
	}
	p.attempts, p.verdicts = p.attempts[:n], p.verdicts[:n]
	p.ends, p.stepv = p.ends[:n], p.stepv[:n]
	p.steps = p.steps[:0]
	return p
}

// deliver hands the agent every pending feedback whose arrival time has
// come, in order of arrival (then of sending), and logs the verdicts.
func (j *job) deliver() {
	k := 0
	j.ready = j.ready[:0]
	for _, p := range j.pending {
		if p.fb.Arrived > j.clock {
			j.pending[k] = p
			k++
			continue
		}
		j.ready = append(j.ready, p)
	}
	clear(j.pending[k:])
	j.pending = j.pending[:k]
	// pending is in order of sending; a stable sort by arrival keeps that
	// order among feedback arriving together.
	slices.SortStableFunc(j.ready, func(a, b *pendingFeedback) int { return cmp.Compare(a.fb.Arrived, b.fb.Arrived) })
	log := j.agent.Log
	for _, p := range j.ready {
		if log != nil {
			for m, v := range p.verdicts {
				log.Judge(p.attempts[m], v, p.fb.Arrived)
			}
			// Every mechanism that takes feedback keeps a log.
			j.agent.Learn(&p.fb)
		}
		j.free = append(j.free, p)
	}
	clear(j.ready)
}
