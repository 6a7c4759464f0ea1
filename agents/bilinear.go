package agents

import (
	"fmt"
	"slices"

	"github.com/grindbench/grindbench/envs"
)

func init() {
	RegisterModel(ModelFactory{
		Name:      "bilinear",
		Doc:       "softmax over bilinear terms x (x) c, per-identity terms x (x) onehot(id) and a per-action bias, built from the family's channels (docs/science.md)",
		NewConfig: func() any { c := DefaultBilinear(); return &c },
		New: func(s envs.Spec, knobs any, _ uint64) (Model, error) {
			c, ok := knobs.(*BilinearConfig)
			if !ok {
				return nil, fmt.Errorf("knobs have type %T, want *BilinearConfig", knobs)
			}
			return NewBilinear(s, *c)
		},
		// The base model is pretrained with its shared terms and bias; the
		// identity terms stay zero (pretraining never trains memorizing
		// terms), so every agent's switches apply to one shared base.
		PretrainKnobs: func(any) any { c := DefaultBilinear(); return &c },
	})
}

// BilinearConfig switches the bilinear model's terms on and off.
type BilinearConfig struct {
	Bilinear  bool `toml:"bilinear" doc:"the shared terms x (x) c between the first dense channel x and each other dense channel c (x alone when there is none): generalize across descriptions"`
	IDChannel bool `toml:"id_channel" doc:"the memorizing terms x (x) onehot(id) for each index channel: a new identity has zero weight"`
	Bias      bool `toml:"bias" doc:"a per-action bias (makes loopholes such as always-answer-0 expressible)"`
}

// DefaultBilinear turns every term on.
func DefaultBilinear() BilinearConfig {
	return BilinearConfig{Bilinear: true, IDChannel: true, Bias: true}
}

// Bilinear is the softmax policy over the logits
//
//	z_a = ( sum_c x^T W^c_a c  +  sum_k x^T U^k_{a,id_k}  +  b_a ) / T
//
// where x is the family's first dense channel, c ranges over its other
// dense channels (the constant 1 when there is none: a linear map) and id_k
// over its index channels. On the skills family (x, desc, id) these are
// DESIGN 3.1's shared channel W, memorizing channel U and bias b.
type Bilinear struct {
	spec  envs.Spec
	cfg   BilinearConfig
	temp  float64
	p     []float64
	x     int          // position of the context channel
	pairs []bilinPair  // W^c blocks
	ids   []bilinIndex // U^k blocks
	bias  int          // offset of b
	terms []Term
}

type bilinPair struct{ ch, k, off int } // ch = -1: the constant 1
type bilinIndex struct{ ch, n, off int }

var one = []float64{1}

// NewBilinear returns a bilinear model for s with all weights zero.
func NewBilinear(s envs.Spec, cfg BilinearConfig) (*Bilinear, error) {
	dense := s.Dense()
	if len(dense) == 0 {
		return nil, fmt.Errorf("bilinear: the family declares no dense channel to use as x")
	}
	m := &Bilinear{spec: s, cfg: cfg, temp: 1, x: dense[0]}
	A, d := s.Actions, s.Channels[m.x].Size
	off := 0
	add := func(name string, role TermRole, n int) int {
		m.terms = append(m.terms, Term{Name: name, Role: role, Lo: off, Hi: off + n})
		off += n
		return off - n
	}
	if len(dense) == 1 {
		m.pairs = append(m.pairs, bilinPair{ch: -1, k: 1, off: add("linear:"+s.Channels[m.x].Name, RoleShared, A*d)})
	}
	for _, ch := range dense[1:] {
		k := s.Channels[ch].Size
		m.pairs = append(m.pairs, bilinPair{ch: ch, k: k, off: add("bilinear:"+s.Channels[ch].Name, RoleShared, A*d*k)})
	}
	for _, ch := range s.Indices() {
		n := s.Channels[ch].Size
		m.ids = append(m.ids, bilinIndex{ch: ch, n: n, off: add("id:"+s.Channels[ch].Name, RoleMemorizing, A*n*d)})
	}
	m.bias = add("bias", RoleOther, A)
	m.p = make([]float64, off)
	return m, nil
}

func (m *Bilinear) Spec() envs.Spec          { return m.spec }
func (m *Bilinear) Params() []float64        { return m.p }
func (m *Bilinear) Terms() []Term            { return m.terms }
func (m *Bilinear) Temperature() float64     { return m.temp }
func (m *Bilinear) SetTemperature(t float64) { m.temp = t }

// Clone implements Model.
func (m *Bilinear) Clone() Model {
	q := *m
	q.p = slices.Clone(m.p)
	return &q
}

// Logits implements Model.
func (m *Bilinear) Logits(dst []float64, o *envs.Obs) {
	A := m.spec.Actions
	x := o.Dense[m.x]
	d := len(x)
	p := m.p
	inv := 1 / m.temp
	for a := 0; a < A; a++ {
		z := 0.0
		if m.cfg.Bilinear {
			for _, q := range m.pairs {
				c := one
				if q.ch >= 0 {
					c = o.Dense[q.ch]
				}
				K := q.k
				for i := 0; i < d; i++ {
					row := p[q.off+(a*d+i)*K : q.off+(a*d+i+1)*K]
					s := 0.0
					for j, cj := range c {
						s += row[j] * cj
					}
					z += x[i] * s
				}
			}
		}
		if m.cfg.IDChannel {
			for _, k := range m.ids {
				if id := o.Index[k.ch]; id >= 0 && id < k.n {
					u := p[k.off+(a*k.n+id)*d : k.off+(a*k.n+id+1)*d]
					for i, xi := range x {
						z += u[i] * xi
					}
				}
			}
		}
		if m.cfg.Bias {
			z += p[m.bias+a]
		}
		dst[a] = z * inv
	}
}

// AddLogitGrad implements Model: W^c_a += coef[a] x c^T, U^k_{a,id} +=
// coef[a] x, b_a += coef[a], for the terms that are on.
func (m *Bilinear) AddLogitGrad(dst []float64, o *envs.Obs, coef []float64) {
	A := m.spec.Actions
	x := o.Dense[m.x]
	d := len(x)
	for a := 0; a < A; a++ {
		g := coef[a]
		if g == 0 {
			continue
		}
		if m.cfg.Bilinear {
			for _, q := range m.pairs {
				c := one
				if q.ch >= 0 {
					c = o.Dense[q.ch]
				}
				K := q.k
				for i := 0; i < d; i++ {
					gx := g * x[i]
					row := dst[q.off+(a*d+i)*K : q.off+(a*d+i+1)*K]
					for j, cj := range c {
						row[j] += gx * cj
					}
				}
			}
		}
		if m.cfg.IDChannel {
			for _, k := range m.ids {
				if id := o.Index[k.ch]; id >= 0 && id < k.n {
					u := dst[k.off+(a*k.n+id)*d : k.off+(a*k.n+id+1)*d]
					for i, xi := range x {
						u[i] += g * xi
					}
				}
			}
		}
		if m.cfg.Bias {
			dst[m.bias+a] += g
		}
	}
}
