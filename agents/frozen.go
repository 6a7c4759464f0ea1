package agents

import (
	"fmt"
	"math"
)

func init() {
	RegisterMechanism(MechanismFactory{
		Name:             "frozen",
		Doc:              "the pretrained base model; no learning",
		ExcludesLearners: true,
		New:              func(any) (Mechanism, error) { return frozen{}, nil },
	})
	RegisterMechanism(MechanismFactory{
		Name: "frozen-tuned",
		Doc:  "the base model with its softmax temperature tuned on train from verdicts: separates real learning from mere sharpening",
		NewConfig: func() any {
			return &TuneConfig{Temperatures: []float64{0.125, 0.25, 0.5, 1, 2}, Attempts: 256}
		},
		New: func(cfg any) (Mechanism, error) {
			c := cfg.(*TuneConfig)
			if len(c.Temperatures) == 0 {
				return nil, fmt.Errorf("temperatures is empty: list at least one candidate temperature, e.g. [0.5, 1.0, 2.0]")
			}
			return &frozenTuned{cfg: *c}, nil
		},
	})
}

type frozen struct{}

func (frozen) Name() string { return "frozen" }

// TuneConfig holds frozen-tuned's knobs.
type TuneConfig struct {
	Temperatures []float64 `toml:"temperatures" range:"0.01,100" doc:"candidate softmax temperatures"`
	Attempts     int       `toml:"attempts" range:"1,1000000" doc:"verified training attempts spent on each candidate"`
}

type frozenTuned struct{ cfg TuneConfig }

func (*frozenTuned) Name() string { return "frozen-tuned" }

// StartJob picks the temperature with the best verdict pass rate on the
// job's training tasks. Ties go to the candidate nearest temperature 1 (on a
// log scale), so an uninformative verifier leaves the base model unchanged.
func (m *frozenTuned) StartJob(a *Agent, h Harness) error {
	w := a.Weights
	bestRate, bestT := math.Inf(-1), w.Temperature()
	for _, t := range m.cfg.Temperatures {
		w.SetTemperature(t)
		rate, covered := h.PassRate(w, m.cfg.Attempts)
		if covered == 0 {
			continue
		}
		if rate > bestRate || (rate == bestRate && math.Abs(math.Log(t)) < math.Abs(math.Log(bestT))) {
			bestRate, bestT = rate, t
		}
	}
	w.SetTemperature(bestT)
	return nil
}

// HarnessAttempts is the attempts frozen-tuned makes through the harness
// (PassRate on every candidate), for the estimate of a config's work.
func (c *TuneConfig) HarnessAttempts() int { return len(c.Temperatures) * c.Attempts }
