package agents

import (
	"fmt"

	"github.com/grindbench/grindbench/envs"
)

func init() {
	RegisterMechanism(MechanismFactory{
		Name:      "sft-demo",
		Doc:       "PRIVILEGED: supervised cross-entropy on true demonstrations of the job's tasks, on rlvr's schedule (one demonstration per attempt); never asks the verifier: the SFT side of the SFT-vs-RL contrast",
		Learns:    true,
		NewConfig: func() any { c := DefaultSFTDemo(); return &c },
		New: func(cfg any) (Mechanism, error) {
			c := cfg.(*SFTDemoConfig)
			return &sftDemo{cfg: *c}, nil
		},
	})
}

// Demonstration rules for steps that accept several actions.
const (
	RuleCanonical     = "canonical"      // one fixed correct action per situation, as a dataset's single reference answer
	RuleBasePreferred = "base-preferred" // the accepted action the base model rates highest: an oracle-labelled arm
)

// SFTDemoConfig holds sft-demo's knobs.
type SFTDemoConfig struct {
	LR   float64 `toml:"lr" range:"0,1000" doc:"learning rate of the cross-entropy gradient, per group (the mean over its demonstrations, like rlvr's)"`
	KL   float64 `toml:"kl" range:"0,1000" doc:"weight of the KL(policy || base) penalty on demonstrated states; 0 turns it off"`
	L2   float64 `toml:"l2" range:"0,1000" doc:"strength of the L2 pull toward the base model's weights after every update; 0 turns it off"`
	EWC  float64 `toml:"ewc" range:"0,1000000" doc:"strength of the EWC pull toward the base weights, weighted by the base model's Fisher information on pretraining data; 0 turns it off"`
	Rule string  `toml:"rule" doc:"which correct action a demonstration shows where a step accepts several: canonical (one fixed answer) or base-preferred (the accepted action the base model rates highest; oracle-labelled)"`
}

// DefaultSFTDemo returns sft-demo's defaults.
func DefaultSFTDemo() SFTDemoConfig { return SFTDemoConfig{LR: 0.5, Rule: RuleCanonical} }

// Validate reports an unknown rule and regularizers without learning.
func (c *SFTDemoConfig) Validate() error {
	if err := regularizersNeedLearning("sft-demo", c.LR, c.KL, c.L2, c.EWC); err != nil {
		return err
	}
	if c.Rule != RuleCanonical && c.Rule != RuleBasePreferred {
		return &KnobError{Knob: "rule", Msg: fmt.Sprintf("unknown demonstration rule %q: want %q or %q", c.Rule, RuleCanonical, RuleBasePreferred)}
	}
	return nil
}

type sftDemo struct {
	cfg                       SFTDemoConfig
	reg                       anchorPull
	logits, probs, coef, base []float64
	grad                      []float64
	visit                     func(o *envs.Obs, correct int, accepted []bool)
	agent                     *Agent
	scale                     float64
}

func (*sftDemo) Name() string { return "sft-demo" }

// Learn takes one cross-entropy step per group: the mean, over the group's
// attempts, of the gradient of log pi(demonstrated action) on a true
// demonstration of the attempted task, at the weights before the step. The
// verdicts are ignored (and none is asked for): the arm is privileged.
func (m *sftDemo) Learn(a *Agent, fb *Feedback) {
	n := len(fb.Attempts)
	if n == 0 || fb.Task == nil || fb.Harness == nil || m.cfg.LR == 0 {
		return
	}
	w := a.Acting()
	A := w.Spec().Actions
	if len(m.logits) != A {
		m.logits, m.probs, m.coef, m.base = make([]float64, A), make([]float64, A), make([]float64, A), make([]float64, A)
	}
	if len(m.grad) != len(w.Params()) {
		m.grad = make([]float64, len(w.Params()))
	}
	if m.visit == nil {
		m.visit = m.step
	}
	clear(m.grad)
	m.agent = a
	// Every attempt of a group is at the same task, so its n
	// demonstrations are one demonstration weighted n times: the mean over
	// the group is that demonstration's gradient.
	m.scale = m.cfg.LR / w.Temperature() / float64(fb.Task.Len)
	fb.Harness.Demonstrate(fb.Task, m.visit)
	p := a.Weights.Params()
	for k, g := range m.grad {
		p[k] += g
	}
	m.reg.pull(a, fb.Harness, m.cfg.LR, m.cfg.L2, m.cfg.EWC)
}

// step adds one demonstrated step's cross-entropy gradient to m.grad.
func (m *sftDemo) step(o *envs.Obs, correct int, accepted []bool) {
	a := m.agent
	w := a.Acting()
	target := correct
	if m.cfg.Rule == RuleBasePreferred {
		a.Base.Logits(m.base, o)
		best := -1
		for k, ok := range accepted {
			if ok && (best < 0 || m.base[k] > m.base[best]) {
				best = k
			}
		}
		if best >= 0 {
			target = best
		}
	}
	w.Logits(m.logits, o)
	Softmax(m.probs, m.logits)
	for k := range m.coef {
		ind := 0.0
		if k == target {
			ind = 1
		}
		m.coef[k] = m.scale * (ind - m.probs[k])
	}
	if m.cfg.KL > 0 {
		a.Base.Logits(m.base, o)
		Softmax(m.base, m.base)
		SubKLGrad(m.coef, m.probs, m.base, m.scale*m.cfg.KL)
	}
	w.AddLogitGrad(m.grad, o, m.coef)
	a.Compute.GradSteps++
}
