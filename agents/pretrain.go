package agents

import (
	"fmt"

	"github.com/grindbench/grindbench/envs"
)

// PretrainConfig holds the knobs of supervised pretraining.
type PretrainConfig struct {
	Tasks int     `toml:"tasks" range:"0,10000000" doc:"pretraining tasks (each of L steps) seen once"`
	LR    float64 `toml:"lr" range:"0,100" doc:"learning rate of the cross-entropy gradient"`
}

// DefaultPretrain returns the default pretraining budget.
func DefaultPretrain() PretrainConfig { return PretrainConfig{Tasks: 4000, LR: 0.1} }

// Pretrain fits the base model by supervised learning on demonstrations of
// the family's pretraining split (privileged: it uses the correct actions).
// It trains the shared and bias channels only: the base model is a general
// model and knows no identities. Tasks come from indices at or above
// envs.PrivateIndex, so evaluation never sees them. The result depends only
// on the family (and so the seed) and cfg.
func Pretrain(f envs.Family, cfg PretrainConfig) (*Policy, error) {
	s := f.Spec()
	p := NewPolicy(s, PolicyConfig{Bilinear: true, Bias: true, Temperature: 1})
	env := f.NewEnv()
	obs := envs.NewObs(s)
	logits := make([]float64, s.Actions)
	coef := make([]float64, s.Actions)
	for i := 0; i < cfg.Tasks; i++ {
		t, err := f.Task(envs.SplitPretrain, envs.PrivateIndex+i)
		if err != nil {
			return nil, fmt.Errorf("pretrain: %w", err)
		}
		env.Reset(&t, &obs)
		for {
			want := env.Correct()
			p.Logits(logits, &obs)
			Softmax(coef, logits)
			for a := range coef {
				ind := 0.0
				if a == want {
					ind = 1
				}
				coef[a] = cfg.LR * (ind - coef[a])
			}
			p.AddGrad(&obs, coef)
			if env.Step(want, &obs).Done {
				break
			}
		}
	}
	if err := p.Finite(); err != nil {
		return nil, fmt.Errorf("pretrain diverged: %w", err)
	}
	p.Cfg = DefaultPolicy()
	return p, nil
}
