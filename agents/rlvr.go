package agents

import (
	"fmt"
	"math"
)

func init() {
	RegisterMechanism(MechanismFactory{
		Name:      "rlvr",
		Doc:       "policy gradient from verdicts: REINFORCE with a baseline, group-relative advantages when group_size > 1, optional KL-to-base penalty",
		Learns:    true,
		Verdicts:  true,
		NewConfig: func() any { c := DefaultRLVR(); return &c },
		New: func(cfg any) (Mechanism, error) {
			c := cfg.(*RLVRConfig)
			if c.LR < 0 || c.KL < 0 {
				return nil, fmt.Errorf("rlvr: lr and kl must be >= 0")
			}
			return &rlvr{cfg: *c, baseline: c.BaselineInit}, nil
		},
	})
}

// RLVRConfig holds rlvr's knobs.
type RLVRConfig struct {
	LR           float64 `toml:"lr" range:"0,1000" doc:"learning rate of the policy gradient"`
	KL           float64 `toml:"kl" range:"0,1000" doc:"weight of the KL(policy || base) penalty on visited states; 0 turns it off"`
	BaselineRate float64 `toml:"baseline_rate" range:"0,1" doc:"step size of the running-mean baseline used when group_size = 1"`
	BaselineInit float64 `toml:"baseline_init" range:"0,1" doc:"initial value of the running-mean baseline"`
	NormalizeStd bool    `toml:"normalize_std" doc:"divide group-relative advantages by the group's standard deviation"`
	L2           float64 `toml:"l2" range:"0,1000" doc:"strength of the L2 pull toward the base model's weights after every update; 0 turns it off"`
	EWC          float64 `toml:"ewc" range:"0,1000000" doc:"strength of the EWC pull toward the base weights, each weighted by the base model's Fisher information on pretraining data; 0 turns it off"`
}

// Validate reports knobs that contradict one another.
func (c *RLVRConfig) Validate() error {
	return regularizersNeedLearning("rlvr", c.LR, c.KL, c.L2, c.EWC)
}

// DefaultRLVR returns rlvr's defaults.
func DefaultRLVR() RLVRConfig {
	return RLVRConfig{LR: 0.5, BaselineRate: 0.05, BaselineInit: 0}
}

type rlvr struct {
	cfg      RLVRConfig
	reg      anchorPull
	baseline float64
	adv      []float64
	// scratch, sized on first use
	logits, probs, coef, base []float64
	grad                      []float64 // zero between updates
	mask                      GradMask  // what grad holds
	baseCache                 LogitCache
	group                     GroupGrad // of groupOf, when it is a GroupGradModel
	groupOf                   Model
	wrote                     bool // the last Learn changed the weights
}

func (m *rlvr) idle() bool { return !m.wrote }

func (*rlvr) Name() string { return "rlvr" }

func (m *rlvr) scratch(A, params int) {
	if len(m.logits) != A {
		m.logits, m.probs = make([]float64, A), make([]float64, A)
		m.coef, m.base = make([]float64, A), make([]float64, A)
	}
	if len(m.grad) != params {
		m.grad = make([]float64, params)
		m.mask.Resize(params)
	}
}

// Learn applies one policy-gradient step per group: the mean over the
// group's members of each member's REINFORCE gradient (its advantage times
// the mean over its steps of grad log pi), taken at the weights as they
// were before the step, as group-relative methods (GRPO) do. The mean is
// over all group_size members, so the step size does not grow with the
// group; members without a verdict contribute nothing: a missing verdict
// is not a reward of 0.
//
// The probabilities of each step are those the agent acted with when its
// session log kept them at the current weights (the usual case: a group's
// verdicts arrive before the weights change), else recomputed; the
// gradient is summed step by step into a buffer and added to the weights
// once, touching only what the steps wrote (SparseGradModel). A model that
// groups gradients (GroupGradModel: the bilinear one, by description)
// sums them per distinct input: the same sum up to rounding.
func (m *rlvr) Learn(a *Agent, fb *Feedback) {
	m.wrote = false
	if fb.StepVerdicts != nil {
		m.learnSteps(a, fb)
		return
	}
	verdicts := fb.Verdicts
	n := len(verdicts)
	if cap(m.adv) < n {
		m.adv = make([]float64, n)
	}
	adv := m.adv[:n]
	covered, sum, sumSq := 0, 0.0, 0.0
	for i := 0; i < n; i++ {
		if r, ok := verdicts[i].Reward(); ok {
			covered++
			sum += r
			sumSq += r * r
		}
	}
	if covered == 0 {
		return
	}
	if n > 1 {
		// Group-relative: each attempt against the mean of its group.
		mean := sum / float64(covered)
		std := math.Sqrt(max(sumSq/float64(covered)-mean*mean, 0))
		for i := 0; i < n; i++ {
			r, ok := verdicts[i].Reward()
			if !ok {
				adv[i] = math.NaN()
				continue
			}
			adv[i] = r - mean
			if m.cfg.NormalizeStd {
				adv[i] /= std + 1e-6
			}
		}
	} else {
		r, _ := verdicts[0].Reward()
		adv[0] = r - m.baseline
		m.baseline += m.cfg.BaselineRate * (r - m.baseline)
	}
	// The gradient is of the policy that acted, the weights plus any
	// context (on-policy), and it is applied to the weights.
	w, sparse := m.prepare(a)
	inv := 1 / w.Temperature()
	log := a.Log
	stepped := false
	for i := 0; i < n; i++ {
		if math.IsNaN(adv[i]) || (adv[i] == 0 && m.cfg.KL == 0) {
			continue
		}
		stepped = true
		at := fb.Attempts[i]
		steps := log.Steps(at)
		scale := m.cfg.LR * inv / float64(steps) / float64(n)
		for s := 0; s < steps; s++ {
			if s = m.addNamed(a, at, s, steps, scale, adv[i]); s < steps {
				m.addStep(a, w, sparse, at, s, scale, adv[i])
			}
		}
	}
	if stepped {
		m.apply(a, fb.Harness)
	}
}

// addNamed is addStep's common case, in a loop over steps from..steps-1
// of attempt at: no KL term, the probabilities acted with at the current
// weights, and a group accumulator (which takes a step's observation by
// its stored index once it has seen it). It returns the first step the
// case does not apply to (steps if none), having done the steps before it
// as addStep would.
func (m *rlvr) addNamed(a *Agent, at, from, steps int, scale, adv float64) int {
	if m.group == nil || m.cfg.KL > 0 {
		return from
	}
	log := a.Log
	A := len(m.coef)
	c := scale * adv // addStep's scale * adv * (...), left to right
	run := log.steps[log.entries[at].first:][:steps]
	for s := from; s < steps; s++ {
		st := &run[s]
		if st.stamp != a.gen {
			return s
		}
		m.setCoef(c, log.probs[int(st.probs)*A:int(st.probs+1)*A], int(st.act))
		if !m.group.AddNamed(m.grad, m.coef, int(st.obs)) {
			// The first step showing this stored observation: the
			// accumulator needs it once (it names it from now on).
			o, _ := log.Step(at, s)
			m.group.Add(m.grad, o, m.coef, int(st.obs))
		}
		a.Compute.GradSteps++
	}
	return steps
}

// setCoef writes the policy gradient's coefficients c (ind - p) into
// m.coef, ind = 1 at the action taken and 0 elsewhere, written as such
// without a branch per action (0 - p, not -p, keeps p = 0 at +0). c is
// scale * adv, so each coefficient is scale * adv * (...) computed left to
// right.
func (m *rlvr) setCoef(c float64, probs []float64, act int) {
	coef := m.coef
	for k, p := range probs[:len(coef)] {
		coef[k] = c * (0 - p)
	}
	if act >= 0 && act < len(coef) {
		coef[act] = c * (1 - probs[act])
	}
}

// prepare readies the scratch for one Learn's gradient of the acting model
// w (the policy that acted: weights plus any context, on-policy); sparse is
// w as a SparseGradModel, or nil.
func (m *rlvr) prepare(a *Agent) (w Model, sparse SparseGradModel) {
	w = a.Acting()
	m.scratch(w.Spec().Actions, len(w.Params()))
	sparse, _ = w.(SparseGradModel)
	if m.cfg.KL > 0 {
		m.baseCache.Reset(a.Base) // the base never changes: a no-op after the first
	}
	if m.groupOf != w {
		m.groupOf, m.group = w, nil
		if gm, ok := w.(GroupGradModel); ok {
			m.group = gm.NewGroupGrad()
		}
	}
	if m.group == nil && sparse == nil {
		m.mask.MarkAll()
	}
	return w, sparse
}

// addStep accumulates step s of attempt at into the gradient: the policy
// gradient of the action taken with advantage adv (scaled by scale), less
// the KL pull toward the base. Learn and learnSteps share it so both
// granularities do the same float operations in the same order.
func (m *rlvr) addStep(a *Agent, w Model, sparse SparseGradModel, at, s int, scale, adv float64) {
	log := a.Log
	probs, stamp := log.stepProbs(at, s)
	same, act := log.stepObs(at, s), log.stepAct(at, s)
	o, _ := log.Step(at, s)
	if stamp != a.gen {
		w.Logits(m.logits, o)
		Softmax(m.probs, m.logits)
		probs = m.probs
	}
	m.setCoef(scale*adv, probs, act)
	if m.cfg.KL > 0 {
		m.baseCache.Logits(m.base, o)
		Softmax(m.base, m.base)
		SubKLGrad(m.coef, probs, m.base, scale*m.cfg.KL)
	}
	switch {
	case m.group != nil:
		m.group.Add(m.grad, o, m.coef, same) // it marks what it writes at Flush
	case sparse != nil:
		w.AddLogitGrad(m.grad, o, m.coef)
		sparse.MarkGrad(&m.mask, o)
	default:
		w.AddLogitGrad(m.grad, o, m.coef)
	}
	a.Compute.GradSteps++
}

// apply adds the gradient accumulated over a Learn onto the weights (the
// acting model is a copy while a context is present), then the
// regularizers' pull toward their anchor.
func (m *rlvr) apply(a *Agent, h Harness) {
	m.wrote = true
	if m.group != nil {
		m.group.Flush(m.grad, &m.mask)
	}
	m.mask.AddTo(a.Weights.Params(), m.grad)
	m.reg.pull(a, h, m.cfg.LR, m.cfg.L2, m.cfg.EWC)
}

// learnSteps is Learn at step granularity (env.grind.granularity = "step"):
// every step carries its own verdict, and its advantage is that verdict's
// reward minus a baseline: the mean of the group's covered step verdicts
// when group_size > 1 (group-relative, divided by their standard deviation
// under normalize_std), else the running-mean baseline, which then tracks
// the rate of passed steps. A step's gradient is its own advantage times
// grad log pi of its action, scaled as in Learn (lr / steps / group_size),
// so credit goes to the step the verdict judged, not to the whole attempt.
// Steps without a verdict contribute nothing, not even the KL penalty.
func (m *rlvr) learnSteps(a *Agent, fb *Feedback) {
	sv := fb.StepVerdicts
	n := len(sv)
	covered, sum, sumSq := 0, 0.0, 0.0
	for _, vs := range sv {
		for _, v := range vs {
			if r, ok := v.Reward(); ok {
				covered++
				sum += r
				sumSq += r * r
			}
		}
	}
	if covered == 0 {
		return
	}
	mean := sum / float64(covered)
	norm := 1.0
	if n > 1 && m.cfg.NormalizeStd {
		norm = 1 / (math.Sqrt(max(sumSq/float64(covered)-mean*mean, 0)) + 1e-6)
	}
	base := mean
	if n == 1 {
		base = m.baseline
		m.baseline += m.cfg.BaselineRate * (mean - m.baseline)
	}
	w, sparse := m.prepare(a)
	inv := 1 / w.Temperature()
	log := a.Log
	stepped := false
	for i, vs := range sv {
		at := fb.Attempts[i]
		steps := log.Steps(at)
		scale := m.cfg.LR * inv / float64(steps) / float64(n)
		for s := 0; s < steps && s < len(vs); s++ {
			r, ok := vs[s].Reward()
			if !ok {
				continue
			}
			adv := (r - base) * norm
			if adv == 0 && m.cfg.KL == 0 {
				continue
			}
			stepped = true
			m.addStep(a, w, sparse, at, s, scale, adv)
		}
	}
	if stepped {
		m.apply(a, fb.Harness)
	}
}
