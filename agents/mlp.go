package agents

import (
	"fmt"
	"math"
	"slices"

	"github.com/grindbench/grindbench/envs"
)

func init() {
	RegisterModel(ModelFactory{
		Name:      "mlp",
		Doc:       "softmax over a one-hidden-layer tanh network of the family's dense channels (and, optionally, its index channels one-hot): for tasks a bilinear map cannot represent",
		NewConfig: func() any { c := DefaultMLP(); return &c },
		New: func(s envs.Spec, knobs any, seed uint64) (Model, error) {
			c, ok := knobs.(*MLPConfig)
			if !ok {
				return nil, fmt.Errorf("knobs have type %T, want *MLPConfig", knobs)
			}
			return NewMLP(s, *c, seed)
		},
		// The layout depends on every knob, so the base is pretrained with
		// the agent's own.
		PretrainKnobs: func(k any) any { c := *k.(*MLPConfig); return &c },
	})
}

// MLPConfig holds the MLP's knobs.
type MLPConfig struct {
	Hidden      int     `toml:"hidden" range:"1,4096" doc:"hidden tanh units"`
	IndexInputs bool    `toml:"index_inputs" doc:"feed each index channel one-hot as an input (memorizing weights: a new identity's column is never trained)"`
	InitScale   float64 `toml:"init_scale" range:"0,10" doc:"scale of the random initial weights (times 1/sqrt(fan-in))"`
}

// Validate reports knobs that contradict one another.
func (c *MLPConfig) Validate() error {
	if c.InitScale == 0 {
		return &KnobError{Knob: "init_scale", Msg: "init_scale = 0.0 starts every weight of both layers at zero: the gradient of every weight but the output bias is then zero, so the model never learns anything but a bias. Use init_scale > 0"}
	}
	return nil
}

// DefaultMLP returns the MLP's defaults.
func DefaultMLP() MLPConfig { return MLPConfig{Hidden: 32, IndexInputs: true, InitScale: 1} }

// purposeInit keys a model's random initialization.
var purposeInit = envs.PurposeOf("model-init")

// MLP is the softmax policy over z = W2 tanh(W1 u + b1) + b2, with u the
// concatenated dense channels followed, when IndexInputs, by each index
// channel one-hot (never materialized: its columns of W1 are looked up).
type MLP struct {
	spec                envs.Spec
	cfg                 MLPConfig
	temp                float64
	p                   []float64
	dense               []int // dense channel positions, in input order
	in                  int   // dense input width
	ids                 []bilinIndex
	w1, w1i, b1, w2, b2 int // term offsets
	nIdx                int // one-hot input width
	terms               []Term
	h, dh               []float64 // scratch
}

// NewMLP returns an MLP for s with weights drawn from seed.
func NewMLP(s envs.Spec, cfg MLPConfig, seed uint64) (*MLP, error) {
	if cfg.Hidden < 1 {
		return nil, fmt.Errorf("mlp: hidden = %d: need at least 1 unit", cfg.Hidden)
	}
	m := &MLP{spec: s, cfg: cfg, temp: 1, dense: s.Dense()}
	for _, ch := range m.dense {
		m.in += s.Channels[ch].Size
	}
	if cfg.IndexInputs {
		for _, ch := range s.Indices() {
			n := s.Channels[ch].Size
			m.ids = append(m.ids, bilinIndex{ch: ch, n: n, off: m.nIdx})
			m.nIdx += n
		}
	}
	if m.in == 0 && m.nIdx == 0 {
		return nil, fmt.Errorf("mlp: no inputs: the family declares no dense channel and index_inputs is off")
	}
	H, A := cfg.Hidden, s.Actions
	off := 0
	add := func(name string, role TermRole, n int) int {
		if n > 0 {
			m.terms = append(m.terms, Term{Name: name, Role: role, Lo: off, Hi: off + n})
		}
		off += n
		return off - n
	}
	m.w1 = add("hidden", RoleShared, H*m.in)
	m.w1i = add("hidden:index", RoleMemorizing, H*m.nIdx)
	m.b1 = add("hidden:bias", RoleShared, H)
	m.w2 = add("output", RoleShared, A*H)
	m.b2 = add("bias", RoleOther, A)
	m.p = make([]float64, off)
	m.h, m.dh = make([]float64, H), make([]float64, H)
	rng := envs.Rand(envs.Key(seed, uint64(purposeInit)))
	fanIn := float64(m.in + len(m.ids))
	s1 := cfg.InitScale / math.Sqrt(max(fanIn, 1))
	for i := m.w1; i < m.w1i; i++ { // identity columns start at zero, like a new identity's
		m.p[i] = s1 * rng.NormFloat64()
	}
	s2 := cfg.InitScale / math.Sqrt(float64(H))
	for i := m.w2; i < m.b2; i++ {
		m.p[i] = s2 * rng.NormFloat64()
	}
	return m, nil
}

func (m *MLP) Spec() envs.Spec          { return m.spec }
func (m *MLP) Params() []float64        { return m.p }
func (m *MLP) Terms() []Term            { return m.terms }
func (m *MLP) Temperature() float64     { return m.temp }
func (m *MLP) SetTemperature(t float64) { m.temp = t }

// Clone implements Model.
func (m *MLP) Clone() Model {
	q := *m
	q.p = slices.Clone(m.p)
	q.h, q.dh = make([]float64, len(m.h)), make([]float64, len(m.dh))
	return &q
}

// hidden writes tanh(W1 u + b1) into m.h.
func (m *MLP) hidden(o *envs.Obs) {
	p := m.p
	for k := range m.h {
		s := p[m.b1+k]
		row := p[m.w1+k*m.in : m.w1+(k+1)*m.in]
		j := 0
		for _, ch := range m.dense {
			for _, v := range o.Dense[ch] {
				s += row[j] * v
				j++
			}
		}
		for _, ix := range m.ids {
			if id := o.Index[ix.ch]; id >= 0 && id < ix.n {
				s += p[m.w1i+k*m.nIdx+ix.off+id]
			}
		}
		m.h[k] = math.Tanh(s)
	}
}

// Logits implements Model.
func (m *MLP) Logits(dst []float64, o *envs.Obs) {
	m.hidden(o)
	H := len(m.h)
	inv := 1 / m.temp
	for a := range dst[:m.spec.Actions] {
		z := m.p[m.b2+a]
		row := m.p[m.w2+a*H : m.w2+(a+1)*H]
		for k, h := range m.h {
			z += row[k] * h
		}
		dst[a] = z * inv
	}
}

// AddLogitGrad implements Model by backpropagation through the hidden layer.
func (m *MLP) AddLogitGrad(dst []float64, o *envs.Obs, coef []float64) {
	m.hidden(o)
	H := len(m.h)
	p := m.p
	// Back through W2 first, at the parameters as they were on entry (dst
	// may be p itself).
	for k := range m.dh {
		s := 0.0
		for a, g := range coef[:m.spec.Actions] {
			s += g * p[m.w2+a*H+k]
		}
		m.dh[k] = s * (1 - m.h[k]*m.h[k])
	}
	for a, g := range coef[:m.spec.Actions] {
		if g == 0 {
			continue
		}
		row := dst[m.w2+a*H : m.w2+(a+1)*H]
		for k, h := range m.h {
			row[k] += g * h
		}
		dst[m.b2+a] += g
	}
	for k, g := range m.dh {
		if g == 0 {
			continue
		}
		dst[m.b1+k] += g
		row := dst[m.w1+k*m.in : m.w1+(k+1)*m.in]
		j := 0
		for _, ch := range m.dense {
			for _, v := range o.Dense[ch] {
				row[j] += g * v
				j++
			}
		}
		for _, ix := range m.ids {
			if id := o.Index[ix.ch]; id >= 0 && id < ix.n {
				dst[m.w1i+k*m.nIdx+ix.off+id] += g
			}
		}
	}
}
