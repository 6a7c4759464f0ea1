package agents

import (
	"math/bits"
	"slices"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/vec"
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

// idleLearner is a Learner that can tell its last Learn wrote nothing an
// agent acts with (rlvr when every advantage of its group was 0): the
// agent then keeps its generation, and with it the logit cache, the
// memo and the probabilities its session log kept. Learners without it
// count as having written.
type idleLearner interface {
	Learner
	idle() bool
}

// GroupGradModel is a Model that sums the logit gradients of many
// observations at fixed parameters faster than one AddLogitGrad each, by
// grouping them on shared inputs: the bilinear model sums coef x^T over the
// steps that show one (description, identity) and applies one outer
// product with the description per distinct one, so a group whose members
// share each step's skill pays for one outer product per distinct skill
// instead of one per step. The sum differs from AddLogitGrad's step by
// step one in rounding only.
type GroupGradModel interface {
	Model
	// NewGroupGrad returns an empty accumulator (it allocates; Add and
	// Flush must not once it has grown to a group's distinct inputs).
	NewGroupGrad() GroupGrad
}

// GroupGrad accumulates a sum of logit gradients.
type GroupGrad interface {
	// Add adds sum_a coef[a] d z_a / d params at o to dst, as
	// AddLogitGrad does, except for the part it holds back until Flush.
	// same >= 0 names o until the next Flush: calls with equal same have
	// equal observations (a session log's stored observation), so the
	// accumulator may find o's inputs by it; -1 names nothing.
	Add(dst []float64, o *envs.Obs, coef []float64, same int)
	// AddNamed is Add without the observation, for one an Add since the
	// last Flush was passed with same: it reports false, having done
	// nothing, if none was.
	AddNamed(dst, coef []float64, same int) bool
	// Flush adds the part held back to dst, marks in mask everything Add
	// and Flush wrote since the last Flush, and empties the accumulator.
	Flush(dst []float64, mask *GradMask)
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
			// A run of marked blocks [b, b+n) within the word, in one go.
			tz := bits.TrailingZeros64(word)
			n := bits.TrailingZeros64(^(word >> tz))
			if tz+n >= 64 {
				n = 64 - tz
				word = 0
			} else {
				word &^= (uint64(1)<<n - 1) << tz
			}
			b := w*64 + tz
			lo, hi := b*gradBlock, min((b+n)*gradBlock, m.n)
			if hi-lo == 8 { // one block (an identity row): inline, not a kernel call
				g := (*[8]float64)(grad[lo:hi])
				vec.Add8((*[8]float64)(p[lo:hi]), g)
				*g = [8]float64{}
				continue
			}
			vec.AddClear(p[lo:hi], grad[lo:hi])
		}
		m.bits[w] = 0
	}
}

// extend returns s with n zero values appended, allocating only when its
// capacity is short (append(s, make([]float64, n)...) may allocate the
// temporary under the race detector).
func extend(s []float64, n int) []float64 {
	l := len(s)
	if cap(s)-l < n {
		s = slices.Grow(s, n)
	}
	s = s[:l+n]
	clear(s[l:])
	return s
}
