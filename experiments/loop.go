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
// group of attempts at one instance, and its verdicts join a queue of
// pending feedback that is delivered to the agent when the simulated clock
// reaches their arrival time. Today every group takes one unit of time and
// its verdicts arrive when it ends, so each group's feedback is delivered
// before the next slot; retries, per-step verdicts, delays and time budgets
// change when slots run and when feedback arrives, not the loop's shape.

// job runs one agent through the job protocol and collects its records.
type job struct {
	w     *world
	cfg   *Config
	acfg  agents.Config
	agent *agents.Agent
	ev    *evaluator
	env   envs.Env
	obs   envs.Obs
	clock float64 // simulated time

	fresh   []envs.Task // this session's fresh instances (no resets)
	phase   int         // the phase (from 0) of the slot's task; -1 without phases
	pending []*pendingFeedback
	ready   []*pendingFeedback // scratch of deliver
	free    []*pendingFeedback
}

// pendingFeedback is a group's verdicts on their way to the agent.
type pendingFeedback struct {
	fb       agents.Feedback
	attempts []int
	verdicts []envs.Verdict
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
		for sess := 0; sess < cfg.Job.Sessions; sess++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			att.Session = sess
			j.fresh = j.fresh[:0]
			for slot := 0; slot < cfg.Job.Tasks; slot++ {
				att.Slot = slot
				t, err := j.task(day, sess, slot)
				if err != nil {
					return err
				}
				if err := j.group(t, day, sess, slot, &att, enc); err != nil {
					return err
				}
				j.deliver()
			}
			j.deliver()
			if len(j.pending) > 0 {
				// Unreachable while verdicts arrive when their group ends.
				return fmt.Errorf("day %d session %d: %d groups of verdicts still pending at the session's end", day, sess, len(j.pending))
			}
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
		if err := j.ev.checkpoint(a, h, enc); err != nil {
			return err
		}
	}
	return enc.End(h)
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

// charge counts one attempt (and its verifier call) into the agent's
// compute.
func (j *job) charge(o envs.Outcome, verified bool) {
	c := &j.agent.Compute
	c.Attempts++
	c.EnvSteps += int64(o.Steps)
	if verified {
		c.VerifierCalls++
	}
}

// group runs one task slot: group_size attempts at one instance (the
// harness resets it between them), then queues their verdicts.
func (j *job) group(t *envs.Task, day, sess, slot int, att *results.Attempt, enc *results.Encoder) error {
	slotKey := j.slotKey(day, sess, slot)
	n := j.cfg.Env.Grind.GroupSize
	log := j.agent.Log
	p := j.newPending(n)
	for m := 0; m < n; m++ {
		key := envs.Key(slotKey, t.Key, uint64(m))
		j.env.Reset(t, &j.obs)
		if log != nil {
			p.attempts[m] = log.Begin(t, m)
		}
		for step := uint64(0); ; step++ {
			act := j.agent.Act(&j.obs, false, envs.Key(key, step))
			if log != nil {
				j.agent.Record(&j.obs, act)
			}
			if j.env.Step(act, &j.obs).Done {
				break
			}
		}
		if err := j.agent.Err(); err != nil {
			return fmt.Errorf("day %d session %d slot %d: %w", day, sess, slot, err)
		}
		o := j.env.Outcome()
		v := envs.VerdictNone
		// An unverified phase's tasks get no verifier call: coverage 0.
		verified := j.agent.WantsVerdicts() && !j.cfg.Job.unverified(j.phase)
		if verified {
			v = j.cfg.Env.Verifier.Judge(o, key)
		}
		p.verdicts[m] = v
		j.charge(o, verified)
		if j.cfg.Job.RecordAttempts {
			att.Member, att.Task, att.Phase = m, t.Index, j.phase+1
			att.Success, att.Score, att.Verdict = b2f(o.Success), o.Score, v.String()
			if err := enc.Write(att); err != nil {
				return err
			}
		}
	}
	// The group's attempts run side by side: one unit of time.
	sent := j.clock
	j.clock++
	p.fb = agents.Feedback{Harness: harness{j}, Task: t, Attempts: p.attempts, Verdicts: p.verdicts, Sent: sent, Arrived: j.clock}
	if log != nil {
		for m := range n {
			log.End(p.attempts[m], j.clock)
		}
	}
	j.pending = append(j.pending, p)
	return nil
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
	}
	p.attempts, p.verdicts = p.attempts[:n], p.verdicts[:n]
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
