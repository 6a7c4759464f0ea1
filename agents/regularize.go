package agents

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/grindbench/grindbench/envs"
)

// Regularizers shared by every mechanism that changes weights. Each works
// on action probabilities or on flat parameter vectors, so it applies to
// any Model.

// KL returns KL(p || q) for two distributions over the same actions.
// Actions with p = 0 contribute nothing.
func KL(p, q []float64) float64 {
	kl := 0.0
	for k, pk := range p {
		if pk > 0 {
			kl += pk * math.Log(pk/q[k])
		}
	}
	return kl
}

// SubKLGrad subtracts w times the gradient of KL(p || q) with respect to
// the logits of p (before temperature scaling is undone by the caller)
// from coef: d KL / d z_k = p_k (log(p_k / q_k) - KL).
func SubKLGrad(coef, p, q []float64, w float64) {
	kl := KL(p, q)
	for k, pk := range p {
		g := 0.0
		if pk > 0 {
			g = pk * (math.Log(pk/q[k]) - kl)
		}
		coef[k] -= w * g
	}
}

// AddL2Grad adds -w (params - anchor) to dst: a step of size w toward
// anchor (the base model, or the previous day's weights) under the penalty
// (w/2) |params - anchor|^2.
func AddL2Grad(dst, params, anchor []float64, w float64) {
	for i, p := range params {
		dst[i] -= w * (p - anchor[i])
	}
}

// L2Dist returns |a - b|^2 over flat parameter vectors.
func L2Dist(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

// PullToward applies one step of the L2 and EWC penalties toward anchor:
// for every parameter, p -= s (p - anchor) with s = lr (l2 + ewc F_i), the
// gradient step of (l2/2)|p - anchor|^2 + (ewc/2) sum_i F_i (p_i -
// anchor_i)^2. A step that would overshoot the anchor (s >= 1) lands on it,
// so a very large strength keeps the weights at the anchor. fisher may be
// nil when ewc is 0. With l2 = ewc = 0 it does nothing.
func PullToward(params, anchor, fisher []float64, lr, l2, ewc float64) {
	if l2 == 0 && ewc == 0 {
		return
	}
	for i, p := range params {
		s := l2
		if ewc != 0 {
			s += ewc * fisher[i]
		}
		s *= lr
		if s >= 1 {
			params[i] = anchor[i]
		} else if s > 0 {
			params[i] = p - s*(p-anchor[i])
		}
	}
}

// FisherAccumulator accumulates the diagonal of the Fisher information of a
// model's policy over observations: F_i = mean_s sum_a pi(a|s) (d log pi(a|s) / d theta_i)^2, the
// expectation over actions taken exactly. It is EWC's measure of how much
// each parameter matters to what m does on those states.
type FisherAccumulator struct {
	m             Model
	sum           []float64
	g             []float64
	logits, probs []float64
	coef          []float64
	n             int
}

// NewFisherAccumulator returns an accumulator for m's diagonal Fisher.
func NewFisherAccumulator(m Model) *FisherAccumulator {
	A, P := m.Spec().Actions, len(m.Params())
	return &FisherAccumulator{m: m, sum: make([]float64, P), g: make([]float64, P),
		logits: make([]float64, A), probs: make([]float64, A), coef: make([]float64, A)}
}

// Add accumulates the Fisher of one observation.
func (f *FisherAccumulator) Add(o *envs.Obs) {
	f.m.Logits(f.logits, o)
	Softmax(f.probs, f.logits)
	inv := 1 / f.m.Temperature()
	for a, pa := range f.probs {
		if pa == 0 {
			continue
		}
		for k, pk := range f.probs {
			ind := 0.0
			if k == a {
				ind = 1
			}
			f.coef[k] = inv * (ind - pk)
		}
		clear(f.g)
		f.m.AddLogitGrad(f.g, o, f.coef)
		for i, g := range f.g {
			f.sum[i] += pa * g * g
		}
	}
	f.n++
}

// Fisher returns the mean Fisher diagonal over the observations added.
func (f *FisherAccumulator) Fisher() []float64 {
	out := make([]float64, len(f.sum))
	if f.n == 0 {
		return out
	}
	for i, s := range f.sum {
		out[i] = s / float64(f.n)
	}
	return out
}

// anchorPull applies a mechanism's L2 and EWC knobs after each of its
// updates, fetching the base model's Fisher from the harness on first use.
type anchorPull struct{ fisher []float64 }

func (r *anchorPull) pull(a *Agent, h Harness, lr, l2, ewc float64) {
	if l2 == 0 && ewc == 0 {
		return
	}
	if ewc != 0 && r.fisher == nil {
		f, err := h.BaseFisher()
		if err != nil {
			panic(fmt.Errorf("ewc: the base model's Fisher information: %w", err)) // fails the run, with the cause
		}
		r.fisher = f
	}
	PullToward(a.Weights.Params(), a.Base.Params(), r.fisher, lr, l2, ewc)
}

// regularizersNeedLearning reports a regularizer switched on for a
// mechanism whose learning rate is 0: it would have no update to act on.
func regularizersNeedLearning(mech string, lr float64, kl, l2, ewc float64) error {
	if lr != 0 {
		return nil
	}
	for _, r := range []struct {
		knob, what string
		v          float64
	}{{"kl", "A KL penalty", kl}, {"l2", "An L2 pull", l2}, {"ewc", "An EWC pull", ewc}} {
		if r.v > 0 {
			return &KnobError{Knob: r.knob, Msg: fmt.Sprintf("%s (%s = %s) on an agent that does not learn: with %s.lr = 0 there are no updates for it to act on. Set %s.lr > 0, or %s = 0.0",
				strings.ToLower(r.what[:1])+r.what[1:], r.knob, strconv.FormatFloat(r.v, 'g', -1, 64), mech, mech, r.knob)}
		}
	}
	return nil
}
