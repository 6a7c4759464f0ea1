package agents

import (
	"math"
	"slices"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// stubHarness serves a fixed Fisher to regularized mechanisms.
type stubHarness struct {
	Harness
	fisher []float64
}

func (h stubHarness) BaseFisher() ([]float64, error) { return h.fisher, nil }

// feedWith is feed with harness h in the feedback (the regularizers read
// their anchor through it).
func feedWith(a *Agent, h Harness, o *envs.Obs, acts []int, verdicts []envs.Verdict) {
	fb := Feedback{Harness: h, Verdicts: verdicts}
	for m, act := range acts {
		i := a.Log.Begin(nil, m)
		a.Log.Record(o, act)
		fb.Attempts = append(fb.Attempts, i)
	}
	a.Learn(&fb)
}

// EWC with a zero Fisher is no regularizer at all (bit-identical weights);
// EWC or L2 at a very large strength keeps the weights at the base.
func TestEWCAndL2Limits(t *testing.T) {
	o := testObs()
	run := func(cfg RLVRConfig, fisher []float64) []float64 {
		a := newTestAgent(t, cfg)
		if fisher != nil && len(fisher) != len(a.Weights.Params()) {
			fisher = make([]float64, len(a.Weights.Params()))
			for i := range fisher {
				fisher[i] = 1
			}
		}
		for range 5 {
			feedWith(a, stubHarness{fisher: fisher}, o, []int{1, 2}, []envs.Verdict{envs.VerdictPass, envs.VerdictFail})
		}
		return slices.Clone(a.Weights.Params())
	}
	plain := run(RLVRConfig{LR: 0.5}, nil)
	base := newTestAgent(t, RLVRConfig{LR: 0.5}).Base.Params()
	if slices.Equal(plain, base) {
		t.Fatal("rlvr did not move the weights: the test would be vacuous")
	}
	zero := make([]float64, len(plain))
	if got := run(RLVRConfig{LR: 0.5, EWC: 5}, zero); !slices.Equal(got, plain) {
		t.Error("EWC with a zero Fisher changed the weights")
	}
	for _, cfg := range []RLVRConfig{{LR: 0.5, EWC: 1e6}, {LR: 0.5, L2: 1e6}} {
		if got := run(cfg, []float64{}); !slices.Equal(got, base) {
			t.Errorf("%+v: weights left the base", cfg)
		}
	}
	// A moderate strength lands between.
	mid := run(RLVRConfig{LR: 0.5, L2: 0.5}, nil)
	if L2Dist(mid, base) >= L2Dist(plain, base) || L2Dist(mid, base) == 0 {
		t.Errorf("L2 0.5: distance to base %v, unregularized %v", L2Dist(mid, base), L2Dist(plain, base))
	}
}

// The Fisher diagonal equals sum_a pi(a) (d log pi(a) / d theta_i)^2 by
// finite differences, for both models.
func TestFisherMatchesFiniteDifferences(t *testing.T) {
	o := testObs()
	for name, m := range testModels(t) {
		acc := NewFisherAccumulator(m)
		acc.Add(o)
		acc.Add(o) // the mean of equal terms
		got := acc.Fisher()
		p := m.Params()
		A := m.Spec().Actions
		z, probs := make([]float64, A), make([]float64, A)
		logp := func(a int) float64 {
			m.Logits(z, o)
			Softmax(probs, z)
			return math.Log(probs[a])
		}
		m.Logits(z, o)
		pi := make([]float64, A)
		Softmax(pi, z)
		for i := range p {
			want := 0.0
			for a := range A {
				old := p[i]
				p[i] = old + 1e-6
				up := logp(a)
				p[i] = old - 1e-6
				down := logp(a)
				p[i] = old
				d := (up - down) / 2e-6
				want += pi[a] * d * d
			}
			if math.Abs(got[i]-want) > 1e-6*max(1, want) {
				t.Fatalf("%s: Fisher[%d] = %v, finite differences %v", name, i, got[i], want)
			}
		}
	}
}
