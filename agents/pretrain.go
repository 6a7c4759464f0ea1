package agents

import (
	"fmt"

	"github.com/grindbench/grindbench/envs"
)

// PretrainConfig holds the knobs of supervised pretraining.
type PretrainConfig struct {
	Tasks       int     `toml:"tasks" range:"0,10000000" doc:"pretraining tasks (each of L steps) seen once"`
	LR          float64 `toml:"lr" range:"0,100" doc:"learning rate of the cross-entropy gradient"`
	FisherTasks int     `toml:"fisher_tasks" range:"1,1000000" doc:"pretraining tasks the base model's Fisher information (for EWC) is estimated on; computed only when an agent uses ewc"`
}

// DefaultPretrain returns the default pretraining budget.
func DefaultPretrain() PretrainConfig { return PretrainConfig{Tasks: 4000, LR: 0.1, FisherTasks: 200} }

// PretrainFisher estimates the diagonal Fisher information of base on
// pretraining data: fresh pretraining tasks (after the cfg.Tasks it was
// trained on), walked with the correct actions and seen as pretraining saw
// them (no identities). It is EWC's measure of what the base model's
// parameters do for the skills it already had.
func PretrainFisher(f envs.Family, base Model, cfg PretrainConfig) ([]float64, error) {
	s := f.Spec()
	m := base.Clone()
	m.SetTemperature(1)
	acc := NewFisherAccumulator(m)
	env := f.NewEnv()
	obs := envs.NewObs(s)
	indices := s.Indices()
	for i := 0; i < cfg.FisherTasks; i++ {
		t, err := f.Task(envs.SplitPretrain, envs.PrivateIndex+cfg.Tasks+i)
		if err != nil {
			return nil, fmt.Errorf("fisher: %w", err)
		}
		env.Reset(&t, &obs)
		for {
			want := env.Correct()
			for _, ch := range indices {
				obs.Index[ch] = -1
			}
			acc.Add(&obs)
			if env.Step(want, &obs).Done {
				break
			}
		}
	}
	return acc.Fisher(), nil
}

// PretrainKey names the base model an agent with this policy starts from:
// agents whose keys agree share one pretrained base at a seed.
func PretrainKey(policy PolicyConfig) (string, error) {
	f, err := LookupModel(policy.Model)
	if err != nil {
		return "", err
	}
	knobs := policy.Knobs
	if knobs == nil {
		knobs = f.NewConfig()
	}
	return fmt.Sprintf("%s %+v", policy.Model, f.PretrainKnobs(knobs)), nil
}

// Pretrain fits a base model by supervised learning on demonstrations of
// the family's pretraining split (privileged: it uses the correct actions).
// The model is the one policy names, with its factory's pretraining knobs,
// at temperature 1. The base model is a general model and knows no
// identities: every index channel reads as "none" (-1) while it learns, so
// memorizing terms stay as built. Tasks come from indices at or above
// envs.PrivateIndex, so evaluation never sees them. The result depends only
// on the family (and so the seed), cfg, the model and seed.
func Pretrain(f envs.Family, cfg PretrainConfig, policy PolicyConfig, seed uint64) (Model, error) {
	fac, err := LookupModel(policy.Model)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	knobs := policy.Knobs
	if knobs == nil {
		knobs = fac.NewConfig()
	}
	s := f.Spec()
	m, err := NewModel(s, PolicyConfig{Model: policy.Model, Temperature: 1, Knobs: fac.PretrainKnobs(knobs)}, seed)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	env := f.NewEnv()
	obs := envs.NewObs(s)
	indices := s.Indices()
	logits := make([]float64, s.Actions)
	coef := make([]float64, s.Actions)
	p := m.Params()
	for i := 0; i < cfg.Tasks; i++ {
		t, err := f.Task(envs.SplitPretrain, envs.PrivateIndex+i)
		if err != nil {
			return nil, fmt.Errorf("pretrain: %w", err)
		}
		env.Reset(&t, &obs)
		for {
			want := env.Correct()
			for _, ch := range indices {
				obs.Index[ch] = -1
			}
			m.Logits(logits, &obs)
			Softmax(coef, logits)
			for a := range coef {
				ind := 0.0
				if a == want {
					ind = 1
				}
				coef[a] = cfg.LR * (ind - coef[a])
			}
			m.AddLogitGrad(p, &obs, coef)
			if env.Step(want, &obs).Done {
				break
			}
		}
	}
	if err := Finite(m); err != nil {
		return nil, fmt.Errorf("pretrain diverged: %w", err)
	}
	return m, nil
}
