package agents

import (
	"math/bits"

	"github.com/grindbench/grindbench/envs"
)

// Fast paths a model may offer beside the Model interface. Each is
// optional: LogitCache and the learners fall back to the plain interface
// for models without them, and every fast path gives bit for bit what the
// plain one gives.

// CachingModel is a Model whose logits share work across observations
// while its parameters stay as they are: the bilinear model projects each
// description once (W c, an A x d matrix), after which a step's logits cost
// A x d instead of A x d x K.
type CachingModel interface {
	Model
	// NewLogitCache returns an empty cache of m's logits. It allocates; the
	// cache's own Logits and Reset must not once it has grown to the
	// situations it meets.
	NewLogitCache() ModelCache
}

// ModelCache is a cache of one model's logits.
type ModelCache interface {
	// Logits writes exactly what the model's Logits writes, reusing work
	// from earlier calls since the last Reset. The temperature is read at
	// every call, so changing it needs no Reset.
	Logits(dst []float64, o *envs.Obs)
	// Reset forgets the cached work: the model's parameters changed.
	Reset()
}

// LogitCache computes a model's logits through the model's own cache when
// it has one (CachingModel), else through Model.Logits. Whoever writes the
// model's parameters while a LogitCache is bound to it must Reset it
// before its next Logits; the Agent does so after every phase.
type LogitCache struct {
	m     Model
	cache ModelCache // nil: no cache, Logits goes to m
}

// Reset binds c to m and forgets cached work. Binding a model c was not
// bound to allocates its cache; resetting for the same model does not.
func (c *LogitCache) Reset(m Model) {
	if c.m == m {
		if c.cache != nil {
			c.cache.Reset()
		}
		return
	}
	c.m, c.cache = m, nil
	if cm, ok := m.(CachingModel); ok {
		c.cache = cm.NewLogitCache()
	}
}

// Logits writes the bound model's logits of o into dst.
func (c *LogitCache) Logits(dst []float64, o *envs.Obs) {
	if c.cache != nil {
		c.cache.Logits(dst, o)
		return
	}
	c.m.Logits(dst, o)
}

// SparseGradModel is a Model whose logit gradient at one observation
// touches a small part of its parameters (the bilinear model's identity
// terms: one row per action), so that a learner summing gradients over a
// group can apply and clear only what was written.
type SparseGradModel interface {
	Model
	// MarkGrad marks in mask every parameter AddLogitGrad(dst, o, coef)
	// may write, whatever coef.
	MarkGrad(mask *GradMask, o *envs.Obs)
}

// GradMask marks parameters a gradient buffer holds in blocks of
// gradBlock, so that applying and clearing the buffer costs what was
// written, not the model's size.
type GradMask struct {
	n    int
	bits []uint64
}

const gradBlock = 8

// Resize makes the mask cover n parameters, all unmarked.
func (m *GradMask) Resize(n int) {
	w := (n + gradBlock*64 - 1) / (gradBlock * 64)
	if cap(m.bits) < w {
		m.bits = make([]uint64, w)
	}
	m.bits = m.bits[:w]
	m.n = n
	clear(m.bits)
}

// Mark marks parameters [lo, hi).
func (m *GradMask) Mark(lo, hi int) {
	if hi <= lo {
		return
	}
	first, last := lo/gradBlock, (hi-1)/gradBlock // blocks, inclusive
	for w := first >> 6; w <= last>>6; w++ {
		word := ^uint64(0)
		if w == first>>6 {
			word &= ^uint64(0) << (first & 63)
		}
		if w == last>>6 {
			word &= ^uint64(0) >> (63 - last&63)
		}
		m.bits[w] |= word
	}
}

// MarkAll marks every parameter.
func (m *GradMask) MarkAll() { m.Mark(0, m.n) }

// AddTo adds the marked entries of grad to p and zeroes them in grad, then
// unmarks everything. Entries outside the mask must be zero in grad (so
// adding them would change nothing: parameters built by additions are
// never -0, and x + 0 = x for every other x).
func (m *GradMask) AddTo(p, grad []float64) {
	for w, word := range m.bits {
		for word != 0 {
			b := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			lo, hi := b*gradBlock, min((b+1)*gradBlock, m.n)
			g := grad[lo:hi]
			q := p[lo:hi]
			for i, v := range g {
				q[i] += v
			}
			clear(g)
		}
		m.bits[w] = 0
	}
}
