package agents

import (
	"math"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

func TestChooseBreaksTiesByKey(t *testing.T) {
	logits := []float64{1, 3, 3, 3}
	probs := make([]float64, 4)
	counts := make([]int, 4)
	const n = 30000
	for i := 0; i < n; i++ {
		counts[Choose(logits, probs, true, uint64(i))]++
	}
	if counts[0] != 0 {
		t.Fatalf("greedy chose a non-maximal action %d times", counts[0])
	}
	for a := 1; a < 4; a++ {
		if f := float64(counts[a]) / n; math.Abs(f-1.0/3) > 0.02 {
			t.Errorf("tie share of action %d = %.3f, want 1/3: ties must not favour the lowest index", a, f)
		}
	}
	if Choose(logits, probs, true, 5) != Choose(logits, probs, true, 5) {
		t.Fatal("same key, different choice")
	}
}

func TestChooseSamplesSoftmax(t *testing.T) {
	logits := []float64{0, math.Log(2), math.Log(3), math.Log(4)}
	probs := make([]float64, 4)
	counts := make([]int, 4)
	const n = 100000
	for i := 0; i < n; i++ {
		counts[Choose(logits, probs, false, uint64(i))]++
	}
	for a := range counts {
		want := float64(a+1) / 10
		if got := float64(counts[a]) / n; math.Abs(got-want) > 4*math.Sqrt(want*(1-want)/n) {
			t.Errorf("action %d sampled at %.4f, want %.4f", a, got, want)
		}
	}
}

func testSpec() envs.Spec { return envs.Spec{Actions: 3, XDim: 2, DescDim: 3, NumIDs: 4, MaxLen: 2} }

func testObs() *envs.Obs {
	return &envs.Obs{X: []float64{0.5, -1.2}, Desc: []float64{0.3, 0.0, -0.9}, ID: 2}
}

// AddGrad must be the gradient of Logits (times the temperature): checked
// against central finite differences on every weight.
func TestAddGradMatchesFiniteDifferences(t *testing.T) {
	s := testSpec()
	p := NewPolicy(s, DefaultPolicy())
	for i := range p.W {
		p.W[i] = math.Sin(float64(i))
	}
	for i := range p.U {
		p.U[i] = math.Cos(float64(i))
	}
	o := testObs()
	for a := 0; a < s.Actions; a++ {
		coef := make([]float64, s.Actions)
		coef[a] = 1
		g := NewPolicy(s, DefaultPolicy())
		g.AddGrad(o, coef)
		for _, ch := range []struct{ w, gw []float64 }{{p.W, g.W}, {p.U, g.U}, {p.B, g.B}} {
			for i := range ch.w {
				z := make([]float64, s.Actions)
				old := ch.w[i]
				ch.w[i] = old + 1e-6
				p.Logits(z, o)
				up := z[a]
				ch.w[i] = old - 1e-6
				p.Logits(z, o)
				down := z[a]
				ch.w[i] = old
				if fd := (up - down) / 2e-6; math.Abs(fd-ch.gw[i]) > 1e-6 {
					t.Fatalf("action %d weight %d: AddGrad %v, finite difference %v", a, i, ch.gw[i], fd)
				}
			}
		}
	}
}

func newTestAgent(t *testing.T, group int, cfg RLVRConfig) *Agent {
	t.Helper()
	s := testSpec()
	base := NewPolicy(s, DefaultPolicy())
	a, err := New(Config{Name: "r", Mechanisms: []string{"rlvr"}, Policy: DefaultPolicy(), Knobs: map[string]any{"rlvr": &cfg}}, base, group)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRLVRFollowsVerdictsOnly(t *testing.T) {
	o := testObs()
	logp := func(a *Agent, act int) float64 {
		z := make([]float64, 3)
		a.Policy.Logits(z, o)
		Softmax(z, z)
		return math.Log(z[act])
	}
	for _, tc := range []struct {
		name     string
		verdicts []envs.Verdict
		want     int // sign of the change of log pi(action of member 0)
	}{
		{"pass beats fail", []envs.Verdict{envs.VerdictPass, envs.VerdictFail}, +1},
		{"fail below pass", []envs.Verdict{envs.VerdictFail, envs.VerdictPass}, -1},
		{"missing verdicts teach nothing", []envs.Verdict{envs.VerdictNone, envs.VerdictNone}, 0},
		{"one verdict in a group has no contrast", []envs.Verdict{envs.VerdictPass, envs.VerdictNone}, 0},
	} {
		a := newTestAgent(t, 2, RLVRConfig{LR: 0.5})
		tr := a.BeginGroup(2)
		tr.Record(0, o, 1)
		tr.Record(1, o, 2)
		before := logp(a, 1)
		a.EndGroup(tc.verdicts)
		d := logp(a, 1) - before
		switch {
		case tc.want > 0 && !(d > 0), tc.want < 0 && !(d < 0), tc.want == 0 && d != 0:
			t.Errorf("%s: log pi changed by %v, want sign %d", tc.name, d, tc.want)
		}
	}
}

func TestRLVRBaselineWithoutGroups(t *testing.T) {
	o := testObs()
	a := newTestAgent(t, 1, RLVRConfig{LR: 0.5, BaselineRate: 0.5})
	for i := 0; i < 3; i++ {
		tr := a.BeginGroup(1)
		tr.Record(0, o, 0)
		a.EndGroup([]envs.Verdict{envs.VerdictPass})
	}
	z := make([]float64, 3)
	a.Policy.Logits(z, o)
	if !(z[0] > z[1] && z[0] > z[2]) {
		t.Fatalf("rewarded action 0 is not the most likely: logits %v", z)
	}
	if a.Compute.GradSteps != 3 {
		t.Fatalf("grad steps = %d, want 3", a.Compute.GradSteps)
	}
}

func TestKLPenaltyPullsTowardBase(t *testing.T) {
	o := testObs()
	a := newTestAgent(t, 1, RLVRConfig{LR: 0.5, KL: 1})
	a.Policy.B[0] = 3 // drift away from the (uniform) base
	kl := func() float64 {
		p, q := make([]float64, 3), make([]float64, 3)
		a.Policy.Logits(p, o)
		Softmax(p, p)
		a.Base.Logits(q, o)
		Softmax(q, q)
		s := 0.0
		for i := range p {
			s += p[i] * math.Log(p[i]/q[i])
		}
		return s
	}
	before := kl()
	// A baseline equal to the reward makes the advantage 0: only the KL acts.
	a.mechs[0].(*rlvr).baseline = 1
	tr := a.BeginGroup(1)
	tr.Record(0, o, 1)
	a.EndGroup([]envs.Verdict{envs.VerdictPass})
	if after := kl(); !(after < before) {
		t.Fatalf("KL to base went from %v to %v; the penalty must reduce it", before, after)
	}
}
