package agents

import (
	"fmt"
	"math"
	"slices"

	"github.com/grindbench/grindbench/envs"
)

// PolicyConfig selects the policy's feature channels (DESIGN 3.1) and its
// softmax temperature.
type PolicyConfig struct {
	Bilinear    bool    `toml:"bilinear" doc:"the shared channel x (x) c: generalizes across descriptions"`
	IDChannel   bool    `toml:"id_channel" doc:"the memorizing channel x (x) onehot(id): a new skill's identity has zero weight"`
	Bias        bool    `toml:"bias" doc:"a per-action bias (makes loopholes such as always-answer-0 expressible)"`
	Temperature float64 `toml:"temperature" range:"0.01,100" doc:"softmax temperature of sampled actions"`
}

// DefaultPolicy turns every channel on at temperature 1.
func DefaultPolicy() PolicyConfig {
	return PolicyConfig{Bilinear: true, IDChannel: true, Bias: true, Temperature: 1}
}

// Policy is a softmax policy over the logits
//
//	z_a = ( x^T W_a c  +  x^T U_{a,id}  +  b_a ) / T
//
// W is the shared bilinear channel, U the per-identity channel and b the
// per-action bias. A Policy holds no scratch space, so one base policy can be
// read by many agents at once.
type Policy struct {
	Spec envs.Spec
	Cfg  PolicyConfig
	W    []float64 // A x d x K, index (a*d+i)*K+j
	U    []float64 // A x NumIDs x d, index (a*NumIDs+id)*d+i
	B    []float64 // A
}

// NewPolicy returns a policy with all weights zero.
func NewPolicy(s envs.Spec, cfg PolicyConfig) *Policy {
	return &Policy{
		Spec: s, Cfg: cfg,
		W: make([]float64, s.Actions*s.XDim*s.DescDim),
		U: make([]float64, s.Actions*s.NumIDs*s.XDim),
		B: make([]float64, s.Actions),
	}
}

// Clone returns a deep copy.
func (p *Policy) Clone() *Policy {
	q := *p
	q.W, q.U, q.B = slices.Clone(p.W), slices.Clone(p.U), slices.Clone(p.B)
	return &q
}

// Logits writes the logits of o into dst (length A), temperature applied.
func (p *Policy) Logits(dst []float64, o *envs.Obs) {
	A, d, K, N := p.Spec.Actions, p.Spec.XDim, p.Spec.DescDim, p.Spec.NumIDs
	inv := 1 / p.Cfg.Temperature
	for a := 0; a < A; a++ {
		z := 0.0
		if p.Cfg.Bilinear {
			for i := 0; i < d; i++ {
				row := p.W[(a*d+i)*K : (a*d+i+1)*K]
				s := 0.0
				for j, c := range o.Desc {
					s += row[j] * c
				}
				z += o.X[i] * s
			}
		}
		if p.Cfg.IDChannel && o.ID >= 0 && o.ID < N {
			u := p.U[(a*N+o.ID)*d : (a*N+o.ID+1)*d]
			for i, x := range o.X {
				z += u[i] * x
			}
		}
		if p.Cfg.Bias {
			z += p.B[a]
		}
		dst[a] = z * inv
	}
}

// Softmax writes softmax(logits) into dst; dst may alias logits.
func Softmax(dst, logits []float64) {
	m := math.Inf(-1)
	for _, z := range logits {
		m = max(m, z)
	}
	s := 0.0
	for i, z := range logits {
		e := math.Exp(z - m)
		dst[i] = e
		s += e
	}
	for i := range dst {
		dst[i] /= s
	}
}

// AddGrad adds coef[a] times the gradient of logit a (before temperature)
// with respect to every weight: W_a += coef[a] x c^T, U_{a,id} += coef[a] x,
// b_a += coef[a]. Channels that are off are left alone.
func (p *Policy) AddGrad(o *envs.Obs, coef []float64) {
	A, d, K, N := p.Spec.Actions, p.Spec.XDim, p.Spec.DescDim, p.Spec.NumIDs
	for a := 0; a < A; a++ {
		g := coef[a]
		if g == 0 {
			continue
		}
		if p.Cfg.Bilinear {
			for i := 0; i < d; i++ {
				gx := g * o.X[i]
				row := p.W[(a*d+i)*K : (a*d+i+1)*K]
				for j, c := range o.Desc {
					row[j] += gx * c
				}
			}
		}
		if p.Cfg.IDChannel && o.ID >= 0 && o.ID < N {
			u := p.U[(a*N+o.ID)*d : (a*N+o.ID+1)*d]
			for i, x := range o.X {
				u[i] += g * x
			}
		}
		if p.Cfg.Bias {
			p.B[a] += g
		}
	}
}

// Finite reports whether every weight is a finite number.
func (p *Policy) Finite() error {
	for _, ch := range []struct {
		name string
		w    []float64
	}{{"bilinear", p.W}, {"id", p.U}, {"bias", p.B}} {
		for i, v := range ch.w {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("policy %s weight %d is %v", ch.name, i, v)
			}
		}
	}
	return nil
}

// ChannelMass returns the squared Frobenius norms of the shared and the
// memorizing channel.
func (p *Policy) ChannelMass() (shared, memorizing float64) {
	for _, v := range p.W {
		shared += v * v
	}
	for _, v := range p.U {
		memorizing += v * v
	}
	return shared, memorizing
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
	u := envs.Uniform(envs.Key(key, uint64(envs.PurposeAct)))
	acc := 0.0
	for a, p := range probs {
		acc += p
		if u < acc {
			return a
		}
	}
	return len(probs) - 1 // rounding: u beyond the last partial sum
}
