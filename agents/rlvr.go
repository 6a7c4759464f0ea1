package agents

import (
	"fmt"
	"math"

	"github.com/grindbench/grindbench/envs"
)

func init() {
	RegisterMechanism(MechanismFactory{
		Name:      "rlvr",
		Doc:       "policy gradient from verdicts: REINFORCE with a baseline, group-relative advantages when group_size > 1, optional KL-to-base penalty",
		Learns:    true,
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
}

// DefaultRLVR returns rlvr's defaults.
func DefaultRLVR() RLVRConfig {
	return RLVRConfig{LR: 0.5, BaselineRate: 0.05, BaselineInit: 0}
}

type rlvr struct {
	cfg      RLVRConfig
	baseline float64
	adv      []float64
}

func (*rlvr) Name() string { return "rlvr" }

// LearnGroup applies one REINFORCE update per attempt that got a verdict.
// Attempts without a verdict contribute nothing: a missing verdict is not a
// reward of 0.
func (m *rlvr) LearnGroup(a *Agent, g *Transcript, verdicts []envs.Verdict) {
	n := g.Members()
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
	inv := 1 / a.Policy.Cfg.Temperature
	for i := 0; i < n; i++ {
		if math.IsNaN(adv[i]) || (adv[i] == 0 && m.cfg.KL == 0) {
			continue
		}
		steps := g.Len(i)
		scale := m.cfg.LR * inv / float64(steps)
		for s := 0; s < steps; s++ {
			o, act := g.Step(i, s)
			a.Policy.Logits(a.logits, o)
			Softmax(a.probs, a.logits)
			for k := range a.scr {
				ind := 0.0
				if k == act {
					ind = 1
				}
				a.scr[k] = scale * adv[i] * (ind - a.probs[k])
			}
			if m.cfg.KL > 0 {
				addKLGrad(a, o, scale*m.cfg.KL)
			}
			a.Policy.AddGrad(o, a.scr)
			a.Compute.GradSteps++
		}
	}
}

// addKLGrad subtracts w times the gradient of KL(pi || pi_base) with respect
// to the logits from a.scr; a.probs must hold pi at o.
func addKLGrad(a *Agent, o *envs.Obs, w float64) {
	a.Base.Logits(a.scr2, o)
	Softmax(a.scr2, a.scr2)
	kl := 0.0
	for k, p := range a.probs {
		if p > 0 {
			kl += p * math.Log(p/a.scr2[k])
		}
	}
	for k, p := range a.probs {
		g := 0.0
		if p > 0 {
			g = p * (math.Log(p/a.scr2[k]) - kl)
		}
		a.scr[k] -= w * g
	}
}
