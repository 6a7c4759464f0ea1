package agents

import (
	"fmt"
	"math"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/registry"
)

// Model is a softmax policy over a family's declared observation channels:
// logits from an observation, and their gradient with respect to one flat
// parameter vector. Mechanisms, evaluation, pretraining and the
// regularizers speak to models through this interface alone, so a new
// model (one file plus a RegisterModel call) works with all of them.
//
// A Model may hold scratch space (an MLP's hidden layer), so it is used by
// one goroutine at a time; Clone only reads, so a shared base model may be
// cloned concurrently.
type Model interface {
	// Spec is the family shape the model was built for.
	Spec() envs.Spec
	// Params is the flat parameter vector, live: writing it changes the
	// model. Its layout is fixed at construction and described by Terms.
	Params() []float64
	// Terms names contiguous ranges of Params (a channel's weights, a
	// layer), each with its role.
	Terms() []Term
	// Logits writes the temperature-scaled logits of o into dst (length
	// Spec().Actions).
	Logits(dst []float64, o *envs.Obs)
	// AddLogitGrad adds sum_a coef[a] * d z_a / d params into dst (length
	// len(Params())), where z are the logits before temperature. Terms the
	// model's knobs switch off get nothing. dst may be Params() itself: the
	// gradient is taken at the parameters as they were on entry.
	AddLogitGrad(dst []float64, o *envs.Obs, coef []float64)
	// Temperature is the softmax temperature the logits are divided by.
	Temperature() float64
	SetTemperature(t float64)
	// Clone returns a deep copy with its own scratch space.
	Clone() Model
}

// TermRole says what a term of a model can learn, for the records' channel
// masses: a shared term generalizes across situations, a memorizing one is
// keyed by an identity a new situation does not share.
type TermRole uint8

const (
	RoleShared TermRole = iota
	RoleMemorizing
	RoleOther // biases and the like
)

// Term is a named range [Lo, Hi) of a model's parameters.
type Term struct {
	Name   string
	Role   TermRole
	Lo, Hi int
}

// ModelFactory describes one registered model.
type ModelFactory struct {
	Name string
	Doc  string
	// NewConfig returns a pointer to the model's knobs with defaults; they
	// are decoded from the agent's [agent.policy] table beside model and
	// temperature.
	NewConfig func() any
	// New builds a model for spec from knobs made by NewConfig. seed keys
	// any random initialization.
	New func(spec envs.Spec, knobs any, seed uint64) (Model, error)
	// PretrainKnobs returns the knobs the base model is pretrained with for
	// an agent whose knobs are these: pretraining is shared by every agent
	// whose model name and pretraining knobs agree. The agent's own knobs
	// are applied to a copy of the pretrained parameters, so they must give
	// the same parameter layout.
	PretrainKnobs func(knobs any) any
}

var models = registry.New[ModelFactory]("model")

// RegisterModel adds a model. It panics on a duplicate name.
func RegisterModel(f ModelFactory) { models.Register(f.Name, f) }

// LookupModel returns the model registered under name.
func LookupModel(name string) (ModelFactory, error) { return models.Lookup(name) }

// ModelNames lists registered models in sorted order.
func ModelNames() []string { return models.Names() }

// PolicyConfig chooses an agent's model and its softmax temperature; the
// model's own knobs sit in the same table.
type PolicyConfig struct {
	Model       string  `toml:"model" doc:"the policy model: a registered model name (bilinear, mlp)"`
	Temperature float64 `toml:"temperature" range:"0.01,100" doc:"softmax temperature of sampled actions"`
	// Knobs is the model's knob struct (ModelFactory.NewConfig), decoded
	// from the same [agent.policy] table.
	Knobs any `toml:"-"`
}

// DefaultPolicy is the bilinear model with every term on at temperature 1.
func DefaultPolicy() PolicyConfig {
	f, _ := LookupModel("bilinear")
	return PolicyConfig{Model: "bilinear", Temperature: 1, Knobs: f.NewConfig()}
}

// NewModel builds the model cfg names for spec, at cfg's temperature.
func NewModel(spec envs.Spec, cfg PolicyConfig, seed uint64) (Model, error) {
	f, err := LookupModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	knobs := cfg.Knobs
	if knobs == nil {
		knobs = f.NewConfig()
	}
	m, err := f.New(spec, knobs, seed)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", cfg.Model, err)
	}
	if cfg.Temperature > 0 {
		m.SetTemperature(cfg.Temperature)
	}
	return m, nil
}

// TermMass returns the squared norm of m's parameters summed over the terms
// of each role: what the shared and the memorizing terms hold.
func TermMass(m Model) (shared, memorizing float64) {
	p := m.Params()
	for _, t := range m.Terms() {
		s := 0.0
		for _, v := range p[t.Lo:t.Hi] {
			s += v * v
		}
		switch t.Role {
		case RoleShared:
			shared += s
		case RoleMemorizing:
			memorizing += s
		}
	}
	return shared, memorizing
}

// Finite reports the first parameter of m that is not a finite number.
func Finite(m Model) error {
	p := m.Params()
	for _, t := range m.Terms() {
		for i, v := range p[t.Lo:t.Hi] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("model term %s weight %d is %v", t.Name, i, v)
			}
		}
	}
	return nil
}

// Softmax writes softmax(logits) into dst; dst may alias logits.
func Softmax(dst, logits []float64) {
	if len(logits) == 4 && len(dst) >= 4 {
		softmax4((*[4]float64)(dst), (*[4]float64)(logits))
		return
	}
	m := math.Inf(-1)
	for _, z := range logits {
		m = max(m, z)
	}
	s := 0.0
	for i, z := range logits {
		e := 1.0 // exp(0), for the maximum, without the call (math.Exp(0) is exactly 1)
		if d := z - m; d != 0 {
			e = math.Exp(d)
		}
		dst[i] = e
		s += e
	}
	for i := range dst {
		dst[i] /= s
	}
}

// softmax4 is Softmax at 4 values, unrolled: the same operations in the
// same order.
func softmax4(dst, z *[4]float64) {
	m := max(max(max(max(math.Inf(-1), z[0]), z[1]), z[2]), z[3])
	e0, e1, e2, e3 := 1.0, 1.0, 1.0, 1.0
	if d := z[0] - m; d != 0 {
		e0 = math.Exp(d)
	}
	if d := z[1] - m; d != 0 {
		e1 = math.Exp(d)
	}
	if d := z[2] - m; d != 0 {
		e2 = math.Exp(d)
	}
	if d := z[3] - m; d != 0 {
		e3 = math.Exp(d)
	}
	s := 0.0
	s += e0
	s += e1
	s += e2
	s += e3
	dst[0], dst[1], dst[2], dst[3] = e0/s, e1/s, e2/s, e3/s
}

// Choose picks an action from logits: the argmax when greedy, else a sample
// from softmax(logits) into probs. Both draws are keyed by the step's key:
// ties are broken uniformly by keyed randomness, never by lowest index.
func Choose(logits, probs []float64, greedy bool, key uint64) int {
	if greedy {
		best := math.Inf(-1)
		n := 0
		for _, z := range logits {
			if z > best {
				best, n = z, 1
			} else if z == best {
				n++
			}
		}
		if n == 1 { // no tie: the draw below would pick 0 whatever it is
			for a, z := range logits {
				if z == best {
					return a
				}
			}
		}
		pick := int(envs.Uniform(envs.Key(key, uint64(envs.PurposeTie))) * float64(n))
		for a, z := range logits {
			if z == best {
				if pick == 0 {
					return a
				}
				pick--
			}
		}
		return len(logits) - 1 // NaN logits: no maximum exists
	}
	Softmax(probs, logits)
	return sample(probs, key)
}

// sample draws an action from probs with the step's key, as Choose does
// once it has them.
func sample(probs []float64, key uint64) int {
	u := envs.Uniform(envs.Then(envs.Key(key), uint64(envs.PurposeAct)))
	acc := 0.0
	for a, p := range probs {
		acc += p
		if u < acc {
			return a
		}
	}
	return len(probs) - 1 // rounding: u beyond the last partial sum
}
