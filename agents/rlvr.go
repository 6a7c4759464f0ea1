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
	grad                      []float64
}

func (*rlvr) Name() string { return "rlvr" }

func (m *rlvr) scratch(A, params int) {
	if len(m.logits) != A {
		m.logits, m.probs = make([]float64, A), make([]float64, A)
		m.coef, m.base = make([]float64, A), make([]float64, A)
	}
	if len(m.grad) != params {
		m.grad = make([]float64, params)
	}
}

// Learn applies one policy-gradient step per group: the mean over the
// group's members of each member's REINFORCE gradient (its advantage times
// the mean over its steps of grad log pi), taken at the weights as they
// were before the step, as group-relative methods (GRPO) do. The mean is
// over all group_size members, so the step size does not grow with the
// group; members without a verdict contribute nothing: a missing verdict
// is not a reward of 0.
func (m *rlvr) Learn(a *Agent, fb *Feedback) {
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
	w := a.Acting()
	m.scratch(w.Spec().Actions, len(w.Params()))
	clear(m.grad)
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
			o, act := log.Step(at, s)
			w.Logits(m.logits, o)
			Softmax(m.probs, m.logits)
			for k := range m.coef {
				ind := 0.0
				if k == act {
					ind = 1
				}
				m.coef[k] = scale * adv[i] * (ind - m.probs[k])
			}
			if m.cfg.KL > 0 {
				a.Base.Logits(m.base, o)
				Softmax(m.base, m.base)
				SubKLGrad(m.coef, m.probs, m.base, scale*m.cfg.KL)
			}
			w.AddLogitGrad(m.grad, o, m.coef)
			a.Compute.GradSteps++
		}
	}
	if stepped {
		p := a.Weights.Params()
		for k, g := range m.grad {
			p[k] += g
		}
		m.reg.pull(a, fb.Harness, m.cfg.LR, m.cfg.L2, m.cfg.EWC)
	}
}
