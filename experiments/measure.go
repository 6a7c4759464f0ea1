package experiments

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
	"github.com/grindbench/grindbench/results/stats"
)

// Measured V and G (DESIGN 3.3, 3.4; docs/science.md, "Measured V and G").
// Both are computed from a config alone: the family at each probe seed, the
// base model pretrained exactly as a run pretrains it, and reference
// policies played at the job's tasks. No agent runs, and no learner's gain
// enters either score: the grind-vs-verify experiment plots gain against
// them.

// ProbeOptions sets how much the probes play. Zero values take defaults.
type ProbeOptions struct {
	Seeds     int     // probe seeds: cfg.SeedBase .. +Seeds-1 (0: min(cfg.Seeds, 8))
	Attempts  int     // V: attempts per reference policy per seed (0: 256)
	Slots     int     // G: slots (one instance, group_size x (1+retries) attempts) per seed (0: 1024)
	Resamples int     // bootstrap resamples of the CIs (0: cfg.Report.Resamples)
	Level     float64 // CI level (0: 0.95)
}

func (o ProbeOptions) withDefaults(cfg *Config) ProbeOptions {
	if o.Seeds <= 0 {
		o.Seeds = min(cfg.Seeds, 8)
	}
	if o.Attempts <= 0 {
		o.Attempts = 256
	}
	if o.Slots <= 0 {
		o.Slots = 1024
	}
	if o.Resamples <= 0 {
		o.Resamples = cfg.Report.Resamples
	}
	if !(o.Level > 0 && o.Level < 1) {
		o.Level = 0.95
	}
	return o
}

// GScale is the raw grindability (policy-gradient SNR per unit of simulated
// time) that GTransform maps to 1/2. It is a fixed constant of the harness,
// not fitted to any result: about the raw G of the skills family at its
// defaults with attempt_cost 1, so that the default flagship sits near the
// middle of the axis and the scale has room on both sides.
const GScale = 0.002

// GTransform maps raw grindability x >= 0 to [0, 1): (x/GScale) / (1 +
// x/GScale), strictly increasing, 0 at 0, 1/2 at GScale, 1 as x grows
// without bound. A non-positive or NaN x maps to 0.
func GTransform(raw float64) float64 {
	if math.IsInf(raw, 1) {
		return 1
	}
	if !(raw > 0) {
		return 0
	}
	x := raw / GScale
	return x / (1 + x)
}

// SlotTime is the simulated time one slot's learning signal takes: a slot
// runs group_size attempts side by side (attempt_cost), and each of its
// 1+retries rounds waits for its verdicts (delay) before the next can use
// them. Delay enters as latency: a learner that acts on its verdicts gets
// one slot's signal per attempt_cost + delay, however fast attempts could
// be started. Rate = 1/SlotTime.
func SlotTime(g envs.GrindConfig) float64 {
	return float64(1+g.Retries) * (g.AttemptCost + g.Delay)
}

// purposeProbe keys the probes' draws apart from every run's (the rules of
// flakiness and step verdicts are the job loop's; only the keys differ).
var purposeProbe = envs.PurposeOf("probe")

// Reference policies of the probes.
const (
	probeBase   = iota // the pretrained base model, sampled at the first agent's temperature
	probeRandom        // uniform over the actions
	probeOracle        // the correct action (privileged)
	probeLoophole
	probePolicies
)

// seedProbe is what one probe seed measured.
type seedProbe struct {
	v, cov, tpr, fpr float64
	loophole         float64 // NaN without judged loophole attempts
	snr, base        float64
}

// MeasureExperiment measures every sweep point of exp, in exp.Points order;
// each score's Point is the point's label.
// Points that differ only in verifier and grindability knobs share their
// families and base models, built once per seed.
func MeasureExperiment(ctx context.Context, exp *Experiment, opt ProbeOptions) ([]results.EnvScore, error) {
	out := make([]results.EnvScore, 0, len(exp.Points))
	bases := &baseCache{m: map[string]*baseEntry{}}
	for i := range exp.Points {
		p := &exp.Points[i]
		s, err := measureEnv(ctx, &p.Config, opt, bases)
		if err != nil {
			return nil, fmt.Errorf("point %s: %w", p.Label, err)
		}
		s.Point = p.Label
		out = append(out, s)
	}
	return out, nil
}

// MeasureEnv measures V, G and the loophole pass rate of cfg's environment
// (its family with env.verifier and env.grind) over probe seeds, in
// parallel; the result does not depend on the number of workers. Point is
// "default"; MeasureExperiment names sweep points.
func MeasureEnv(ctx context.Context, cfg *Config, opt ProbeOptions) (results.EnvScore, error) {
	return measureEnv(ctx, cfg, opt, nil)
}

func measureEnv(ctx context.Context, cfg *Config, opt ProbeOptions, bases *baseCache) (results.EnvScore, error) {
	opt = opt.withDefaults(cfg)
	if err := cfg.Env.Grind.Validate(); err != nil {
		return results.EnvScore{}, err
	}
	per := make([]seedProbe, opt.Seeds)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k := range per {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			r, err := probeSeed(cfg, cfg.SeedBase+k, opt, bases)
			if err != nil {
				return fmt.Errorf("probe seed %d: %w", cfg.SeedBase+k, err)
			}
			per[k] = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return results.EnvScore{}, err
	}
	rate := 1 / SlotTime(cfg.Env.Grind)
	s := results.EnvScore{Point: "default", Family: cfg.Env.Family, Granularity: cfg.Env.Grind.Granularity, Seeds: opt.Seeds, Rate: rate}
	ci := func(field int, f func(r seedProbe) float64) stats.Interval {
		var x []float64
		for _, r := range per {
			if v := f(r); !math.IsNaN(v) {
				x = append(x, v)
			}
		}
		return stats.BootstrapCI(x, stats.Mean, opt.Level, opt.Resamples, envs.Key(uint64(cfg.SeedBase), uint64(purposeProbe), uint64(field)))
	}
	s.V = ci(0, func(r seedProbe) float64 { return r.v })
	s.G = ci(1, func(r seedProbe) float64 { return GTransform(r.snr * rate) })
	s.Loophole = ci(2, func(r seedProbe) float64 { return r.loophole })
	s.Coverage = ci(3, func(r seedProbe) float64 { return r.cov })
	s.TPR = ci(4, func(r seedProbe) float64 { return r.tpr })
	s.FPR = ci(5, func(r seedProbe) float64 { return r.fpr })
	s.SNR = ci(6, func(r seedProbe) float64 { return r.snr })
	s.GRaw = ci(7, func(r seedProbe) float64 { return r.snr * rate })
	s.BaseSuccess = ci(8, func(r seedProbe) float64 { return r.base })
	return s, nil
}

// prober plays reference policies at one seed's job tasks.
type prober struct {
	cfg     *Config
	fam     envs.Family
	env     envs.Env
	obs     envs.Obs
	m       agents.Model
	loop    envs.LoopholeActor
	pool    []envs.Task
	seedKey uint64
	logits  []float64
	probs   []float64
	coef    []float64
	stepOK  []bool      // per step of the last attempt: correct and not flaked
	grads   [][]float64 // per step of the last attempt: grad log pi of its action (when asked)
}

// probeBaseModel builds the family at seed and pretrains the base model
// exactly as a run's world does (same seed keys, cfg.Pretrain, the first
// agent's policy), at that policy's temperature.
func probeBaseModel(cfg *Config, seed int) (envs.Family, agents.Model, error) {
	fam, err := buildFamily(cfg, seed)
	if err != nil {
		return nil, nil, err
	}
	policy := probePolicy(cfg)
	base, err := agents.Pretrain(fam, cfg.Pretrain, policy, modelSeedOf(seed))
	if err != nil {
		return nil, nil, err
	}
	m := base.Clone()
	if policy.Temperature > 0 {
		m.SetTemperature(policy.Temperature)
	}
	return fam, m, nil
}

// probePolicy is the policy the probes pretrain: the first agent's, or the
// default without agents.
func probePolicy(cfg *Config) agents.PolicyConfig {
	if len(cfg.Agents) > 0 {
		return cfg.Agents[0].Policy
	}
	return agents.DefaultPolicy()
}

// baseCache keeps the family and base model of each (family knobs,
// pretraining, policy, seed) for the points of one experiment. A cached
// model is only cloned, never used, so concurrent seeds may share it.
type baseCache struct {
	mu sync.Mutex
	m  map[string]*baseEntry
}

type baseEntry struct {
	once sync.Once
	fam  envs.Family
	m    agents.Model
	err  error
}

// get returns the family and a clone of the base model for cfg at seed,
// building them on first use (bc may be nil: no cache).
func (bc *baseCache) get(cfg *Config, seed int) (envs.Family, agents.Model, error) {
	if bc == nil {
		return probeBaseModel(cfg, seed)
	}
	policy := probePolicy(cfg)
	pk, err := agents.PretrainKey(policy)
	if err != nil {
		return nil, nil, err
	}
	key := fmt.Sprintf("%s %+v|%+v|%s|%v|%d", cfg.Env.Family, cfg.Env.Knobs, cfg.Pretrain, pk, policy.Temperature, seed)
	bc.mu.Lock()
	e := bc.m[key]
	if e == nil {
		e = &baseEntry{}
		bc.m[key] = e
	}
	bc.mu.Unlock()
	e.once.Do(func() { e.fam, e.m, e.err = probeBaseModel(cfg, seed) })
	if e.err != nil {
		return nil, nil, e.err
	}
	return e.fam, e.m.Clone(), nil
}

func probeSeed(cfg *Config, seed int, opt ProbeOptions, bases *baseCache) (seedProbe, error) {
	fam, m, err := bases.get(cfg, seed)
	if err != nil {
		return seedProbe{}, err
	}
	s := fam.Spec()
	p := &prober{cfg: cfg, fam: fam, env: fam.NewEnv(), obs: envs.NewObs(s), m: m,
		seedKey: envs.Key(uint64(seed), uint64(purposeProbe)),
		logits:  make([]float64, s.Actions), probs: make([]float64, s.Actions), coef: make([]float64, s.Actions)}
	p.loop, _ = fam.(envs.LoopholeActor)
	if cfg.Env.Grind.Resets {
		if p.pool, err = trainPool(fam, cfg); err != nil {
			return seedProbe{}, err
		}
	}
	var r seedProbe
	if err := p.measureV(opt, &r); err != nil {
		return r, err
	}
	if err := p.measureG(opt, &r); err != nil {
		return r, err
	}
	return r, nil
}

// task returns the j-th job task a probe stream plays: a keyed draw from
// the pool with resets, else a fresh instance.
func (p *prober) task(stream, j int) (envs.Task, error) {
	if p.cfg.Env.Grind.Resets {
		u := envs.Uniform(envs.Key(p.seedKey, uint64(stream), uint64(j), uint64(envs.PurposeSchedule)))
		return p.pool[int(u*float64(len(p.pool)))], nil
	}
	// Streams take disjoint runs of fresh instances (2^24 each; FreshTask
	// has room for 2^29, so every stream fits).
	if j >= 1<<24 {
		return envs.Task{}, fmt.Errorf("probe: %d fresh instances per stream, at most %d", j+1, 1<<24)
	}
	return p.fam.Task(envs.SplitTrain, envs.FreshTask(stream<<24+j))
}

// play runs one attempt of policy at t with the attempt's key. Flakiness
// is the job loop's rule (envs.Flaked per step, then flake on the outcome),
// so V and G see the world a run sees. If grad is set, the gradient of log
// pi of every step's action is kept in p.grads. It returns the true outcome
// as flakiness leaves it.
func (p *prober) play(policy int, t *envs.Task, key uint64, grad bool) envs.Outcome {
	p.env.Reset(t, &p.obs)
	p.stepOK = p.stepOK[:0]
	flaky := p.cfg.Env.Grind.Flakiness
	flaked := 0
	inv := 1 / p.m.Temperature()
	for step := 0; ; step++ {
		var a int
		switch policy {
		case probeBase:
			p.m.Logits(p.logits, &p.obs)
			a = agents.Choose(p.logits, p.probs, false, envs.Key(key, uint64(step)))
			if grad {
				if step >= len(p.grads) {
					p.grads = append(p.grads, make([]float64, len(p.m.Params())))
				}
				g := p.grads[step]
				clear(g)
				for k := range p.coef {
					p.coef[k] = -p.probs[k] * inv
				}
				p.coef[a] += inv
				p.m.AddLogitGrad(g, &p.obs, p.coef)
			}
		case probeRandom:
			a = int(envs.Uniform(envs.Key(key, uint64(step), uint64(envs.PurposeAct))) * float64(len(p.logits)))
		case probeOracle:
			a = p.env.Correct()
		case probeLoophole:
			a = p.loop.LoopholeAction(&p.obs)
		}
		res := p.env.Step(a, &p.obs)
		ok := res.Correct
		if ok && envs.Flaked(flaky, key, step) {
			ok = false
			flaked++
		}
		p.stepOK = append(p.stepOK, ok)
		if res.Done {
			break
		}
	}
	return flake(p.env.Outcome(), flaked)
}

// measureV plays the base, random and oracle policies (and the family's
// loophole rule, if it has one) at the job's tasks and judges every unit
// (attempt or step, by grind.granularity) with the configured verifier,
// loophole off: coverage, TPR and FPR over the pooled units give V. The
// loophole rate judges, with the loophole on, every attempt that showed the
// loophole behaviour without succeeding.
func (p *prober) measureV(opt ProbeOptions, r *seedProbe) error {
	ver := p.cfg.Env.Verifier
	noLoop := ver
	noLoop.Loophole = 0
	step := p.cfg.Env.Grind.Granularity == envs.GranularityStep
	var units, judged, pos, neg, tp, fp, loopJudged, loopPass, baseOK, baseN float64
	judge := func(o envs.Outcome, key uint64) {
		if o.Loophole && !o.Success {
			if v := ver.Judge(o, envs.Key(key, 1)); v != envs.VerdictNone {
				loopJudged++
				if v == envs.VerdictPass {
					loopPass++
				}
			}
		}
	}
	for policy := 0; policy < probePolicies; policy++ {
		if policy == probeLoophole && p.loop == nil {
			continue
		}
		for j := 0; j < opt.Attempts; j++ {
			t, err := p.task(policy, j)
			if err != nil {
				return err
			}
			key := envs.Key(p.seedKey, uint64(policy), uint64(j))
			o := p.play(policy, &t, key, false)
			judge(o, key)
			if policy == probeLoophole {
				continue
			}
			if policy == probeBase {
				baseN++
				if o.Success {
					baseOK++
				}
			}
			one := func(truth bool, v envs.Verdict) {
				units++
				if v == envs.VerdictNone {
					return
				}
				judged++
				if truth {
					pos++
					if v == envs.VerdictPass {
						tp++
					}
				} else {
					neg++
					if v == envs.VerdictPass {
						fp++
					}
				}
			}
			if !step {
				one(o.Success, noLoop.Judge(o, key))
				continue
			}
			for s, ok := range p.stepOK {
				one(ok, noLoop.JudgeStep(ok, key, s))
			}
		}
	}
	r.cov = judged / units
	r.tpr, r.fpr = tp/pos, fp/neg
	switch {
	case judged == 0:
		r.v = 0 // no verdict at all: no verifiability, whatever TPR and FPR would be
	default:
		r.v = r.cov * (r.tpr - r.fpr) // NaN when a class never occurred: the seed is left out
	}
	r.loophole = math.NaN()
	if loopJudged > 0 {
		r.loophole = loopPass / loopJudged
	}
	r.base = baseOK / baseN
	return nil
}

// measureG estimates the signal-to-noise ratio of one slot's
// policy-gradient estimate at the base policy with perfect verdicts. A slot
// is one instance attempted group_size x (1+retries) times; its estimate is
// the sum over its attempts of the advantage times grad log pi (at attempt
// granularity: the attempt's reward times the mean over its steps; at step
// granularity: each step's reward times its own grad log pi). With more
// than one attempt in a slot the advantage is the reward minus the slot's
// mean reward (group-relative); with one, the reward minus the seed's mean
// reward (the best constant baseline). Over Slots slots x_j, with mean m
// and total variance tr C: SNR = max(0, |m|^2 - tr C / Slots) / tr C (the
// numerator an unbiased estimate of |E x|^2), 0 when tr C = 0: then every
// attempt got the same reward and there is no signal to learn from.
func (p *prober) measureG(opt ProbeOptions, r *seedProbe) error {
	gr := p.cfg.Env.Grind
	n := gr.GroupSize * (1 + gr.Retries)
	step := gr.Granularity == envs.GranularityStep
	P := len(p.m.Params())
	R := make([][]float64, opt.Slots) // per slot: sum of advantage (or reward) x score
	S := make([][]float64, opt.Slots) // per slot, single-attempt slots: sum of scores
	scores := make([][]float64, n)    // per member: its unit score vectors, flattened per unit
	rewards := make([][]float64, n)
	var sumR, cntR float64
	for j := range R {
		t, err := p.task(probePolicies+1, j)
		if err != nil {
			return err
		}
		var mean, cnt float64
		for i := 0; i < n; i++ {
			key := envs.Key(p.seedKey, uint64(probePolicies+1), uint64(j), uint64(i))
			o := p.play(probeBase, &t, key, true)
			units := 1
			if step {
				units = len(p.stepOK)
			}
			if cap(scores[i]) < units*P {
				scores[i] = make([]float64, units*P)
			}
			scores[i] = scores[i][:units*P]
			clear(scores[i])
			rewards[i] = rewards[i][:0]
			if step {
				for s, ok := range p.stepOK {
					copy(scores[i][s*P:(s+1)*P], p.grads[s])
					rewards[i] = append(rewards[i], b2f(ok))
				}
			} else {
				inv := 1 / float64(o.Steps)
				for s := 0; s < o.Steps; s++ {
					for k, v := range p.grads[s] {
						scores[i][k] += v * inv
					}
				}
				rewards[i] = append(rewards[i], b2f(o.Success))
			}
			for _, rw := range rewards[i] {
				mean += rw
				cnt++
			}
		}
		sumR += mean
		cntR += cnt
		mean /= cnt
		R[j] = make([]float64, P)
		if n == 1 {
			S[j] = make([]float64, P)
		}
		for i := 0; i < n; i++ {
			for u, rw := range rewards[i] {
				sc := scores[i][u*P : (u+1)*P]
				a := rw
				if n > 1 {
					a = rw - mean
				}
				for k, v := range sc {
					R[j][k] += a * v
				}
				if n == 1 {
					for k, v := range sc {
						S[j][k] += v
					}
				}
			}
		}
	}
	b := sumR / cntR
	x := R
	if n == 1 {
		for j := range x {
			for k := range x[j] {
				x[j][k] -= b * S[j][k]
			}
		}
	}
	r.snr = gradientSNR(x)
	return nil
}

// gradientSNR is |E x|^2 / tr Cov(x) estimated from samples x_j: the
// numerator |mean|^2 - tr C / N (unbiased), floored at 0; 0 when the
// samples do not vary.
func gradientSNR(x [][]float64) float64 {
	N := float64(len(x))
	if len(x) < 2 {
		return 0
	}
	P := len(x[0])
	m := make([]float64, P)
	for _, v := range x {
		for k, e := range v {
			m[k] += e / N
		}
	}
	var tr, m2 float64
	for _, v := range x {
		for k, e := range v {
			d := e - m[k]
			tr += d * d
		}
	}
	tr /= N - 1
	for _, e := range m {
		m2 += e * e
	}
	if !(tr > 0) {
		return 0
	}
	return max(0, m2-tr/N) / tr
}
