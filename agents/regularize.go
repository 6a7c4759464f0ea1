package agents

import "math"

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
