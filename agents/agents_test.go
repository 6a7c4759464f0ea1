package agents

import (
	"math"
	"strings"
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

func testSpec() envs.Spec {
	return envs.Spec{Actions: 3, MaxLen: 2, Channels: []envs.Channel{
		{Name: "x", Kind: envs.Dense, Size: 2},
		{Name: "desc", Kind: envs.Dense, Size: 3},
		{Name: "id", Kind: envs.Index, Size: 4},
	}}
}

func testObs() *envs.Obs {
	return &envs.Obs{Dense: [][]float64{{0.5, -1.2}, {0.3, 0.0, -0.9}, nil}, Index: []int{0, 0, 2}}
}

// testModels builds each registered model on testSpec with non-trivial
// parameters.
func testModels(t *testing.T) map[string]Model {
	t.Helper()
	out := map[string]Model{}
	for _, name := range ModelNames() {
		f, _ := LookupModel(name)
		m, err := NewModel(testSpec(), PolicyConfig{Model: name, Temperature: 0.7, Knobs: f.NewConfig()}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Params() {
			m.Params()[i] = p + 0.3*math.Sin(float64(i)+1)
		}
		out[name] = m
	}
	// The bilinear model with its identity features scaled (id_scale).
	knobs := DefaultBilinear()
	knobs.IDScale = 2.5
	m, err := NewModel(testSpec(), PolicyConfig{Model: "bilinear", Temperature: 0.7, Knobs: &knobs}, 3)
	if err != nil {
		t.Fatal(err)
	}
	copy(m.Params(), out["bilinear"].Params())
	out["bilinear-id_scale"] = m
	return out
}

// id_scale s multiplies the identity terms' part of the logits by s and
// leaves the rest.
func TestBilinearIDScale(t *testing.T) {
	o := testObs()
	build := func(s float64, id bool) Model {
		k := DefaultBilinear()
		k.IDScale, k.IDChannel = s, id
		m, err := NewModel(testSpec(), PolicyConfig{Model: "bilinear", Temperature: 1, Knobs: &k}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i := range m.Params() {
			m.Params()[i] = 0.3 * math.Sin(float64(i)+1)
		}
		return m
	}
	A := testSpec().Actions
	logits := func(m Model) []float64 { z := make([]float64, A); m.Logits(z, o); return z }
	plain, without := logits(build(1, true)), logits(build(3, false))
	three := logits(build(3, true))
	for a := range A {
		want := without[a] + 3*(plain[a]-without[a])
		if math.Abs(three[a]-want) > 1e-12 || plain[a] == without[a] {
			t.Errorf("action %d: id_scale 3 gives %v, want %v (identity part %v)", a, three[a], want, plain[a]-without[a])
		}
	}
}

// AddLogitGrad must be the gradient of Logits (times the temperature),
// checked against central finite differences on every parameter of every
// model, and it must work when the destination is the parameters themselves.
func TestLogitGradMatchesFiniteDifferences(t *testing.T) {
	s := testSpec()
	o := testObs()
	for name, m := range testModels(t) {
		T := m.Temperature()
		p := m.Params()
		for a := 0; a < s.Actions; a++ {
			coef := make([]float64, s.Actions)
			coef[a] = 1
			g := make([]float64, len(p))
			m.AddLogitGrad(g, o, coef)
			z := make([]float64, s.Actions)
			for i := range p {
				old := p[i]
				p[i] = old + 1e-6
				m.Logits(z, o)
				up := z[a]
				p[i] = old - 1e-6
				m.Logits(z, o)
				down := z[a]
				p[i] = old
				if fd := T * (up - down) / 2e-6; math.Abs(fd-g[i]) > 1e-6 {
					t.Fatalf("%s: action %d param %d: AddLogitGrad %v, finite difference %v", name, a, i, g[i], fd)
				}
			}
			// In place: the same step as through a separate buffer.
			want := append([]float64(nil), p...)
			for i := range want {
				want[i] += g[i]
			}
			c := m.Clone()
			c.AddLogitGrad(c.Params(), o, coef)
			for i := range want {
				if math.Abs(c.Params()[i]-want[i]) > 1e-12 {
					t.Fatalf("%s: in-place gradient differs at %d", name, i)
				}
			}
		}
	}
}

// Terms tile the parameters, and the models ignore an identity of -1 (no
// identity) and one out of range.
func TestModelTermsAndMissingIdentity(t *testing.T) {
	for name, m := range testModels(t) {
		next := 0
		for _, term := range m.Terms() {
			if term.Lo != next || term.Hi <= term.Lo {
				t.Fatalf("%s: term %s [%d, %d) does not continue at %d", name, term.Name, term.Lo, term.Hi, next)
			}
			next = term.Hi
		}
		if next != len(m.Params()) {
			t.Fatalf("%s: terms cover %d of %d parameters", name, next, len(m.Params()))
		}
		shared, mem := TermMass(m)
		if !(shared > 0 && mem > 0) {
			t.Fatalf("%s: masses %v %v, want both > 0", name, shared, mem)
		}
		o := testObs()
		z1, z2, z3 := make([]float64, 3), make([]float64, 3), make([]float64, 3)
		o.Index[2] = -1
		m.Logits(z1, o)
		o.Index[2] = 99
		m.Logits(z2, o)
		o.Index[2] = 2
		m.Logits(z3, o)
		if z1[0] != z2[0] || z1[0] == z3[0] {
			t.Fatalf("%s: identity -1 gives %v, 99 gives %v, 2 gives %v", name, z1, z2, z3)
		}
	}
}

// With one dense channel the bilinear model is linear in it.
func TestBilinearLinearWhenOneDenseChannel(t *testing.T) {
	s := envs.Spec{Actions: 2, MaxLen: 1, Channels: []envs.Channel{{Name: "x", Kind: envs.Dense, Size: 3}}}
	m, err := NewBilinear(s, DefaultBilinear())
	if err != nil {
		t.Fatal(err)
	}
	copy(m.Params(), []float64{1, 2, 3, -1, 0, 1, 0.5, -0.5})
	z := make([]float64, 2)
	m.Logits(z, &envs.Obs{Dense: [][]float64{{1, 1, 2}}, Index: []int{0}})
	if z[0] != 1+2+6+0.5 || z[1] != -1+0+2-0.5 {
		t.Fatalf("logits %v", z)
	}
}

func newTestAgent(t *testing.T, cfg RLVRConfig) *Agent {
	t.Helper()
	base, err := NewModel(testSpec(), DefaultPolicy(), 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Name: "r", Mechanisms: []string{"rlvr"}, Policy: DefaultPolicy(), Knobs: map[string]any{"rlvr": &cfg}}, base, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// feed logs one single-step attempt per action at observation o and hands
// the verdicts to the agent as one group's feedback.
func feed(a *Agent, o *envs.Obs, acts []int, verdicts []envs.Verdict) {
	feedWith(a, nil, o, acts, verdicts)
}

func TestRLVRFollowsVerdictsOnly(t *testing.T) {
	o := testObs()
	logp := func(a *Agent, act int) float64 {
		z := make([]float64, 3)
		a.Weights.Logits(z, o)
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
		a := newTestAgent(t, RLVRConfig{LR: 0.5})
		before := logp(a, 1)
		feed(a, o, []int{1, 2}, tc.verdicts)
		d := logp(a, 1) - before
		switch {
		case tc.want > 0 && !(d > 0), tc.want < 0 && !(d < 0), tc.want == 0 && d != 0:
			t.Errorf("%s: log pi changed by %v, want sign %d", tc.name, d, tc.want)
		}
	}
}

func TestRLVRBaselineWithoutGroups(t *testing.T) {
	o := testObs()
	a := newTestAgent(t, RLVRConfig{LR: 0.5, BaselineRate: 0.5})
	for i := 0; i < 3; i++ {
		feed(a, o, []int{0}, []envs.Verdict{envs.VerdictPass})
	}
	z := make([]float64, 3)
	a.Weights.Logits(z, o)
	if !(z[0] > z[1] && z[0] > z[2]) {
		t.Fatalf("rewarded action 0 is not the most likely: logits %v", z)
	}
	if a.Compute.GradSteps != 3 {
		t.Fatalf("grad steps = %d, want 3", a.Compute.GradSteps)
	}
}

func TestKLPenaltyPullsTowardBase(t *testing.T) {
	o := testObs()
	a := newTestAgent(t, RLVRConfig{LR: 0.5, KL: 1})
	a.Weights.Params()[len(a.Weights.Params())-3] = 3 // bias of action 0: drift away from the (uniform) base
	kl := func() float64 {
		p, q := make([]float64, 3), make([]float64, 3)
		a.Weights.Logits(p, o)
		Softmax(p, p)
		a.Base.Logits(q, o)
		Softmax(q, q)
		return KL(p, q)
	}
	before := kl()
	// A baseline equal to the reward makes the advantage 0: only the KL acts.
	a.mechs[0].(*rlvr).baseline = 1
	feed(a, o, []int{1}, []envs.Verdict{envs.VerdictPass})
	if after := kl(); !(after < before) {
		t.Fatalf("KL to base went from %v to %v; the penalty must reduce it", before, after)
	}
}

// A context changes how the agent acts; once the session ends it is gone
// and the agent's logits are bit-identical to its weights' alone.
func TestContextActsUntilTheSessionEnds(t *testing.T) {
	a := newTestAgent(t, RLVRConfig{LR: 0.5})
	o := testObs()
	withWeights := make([]float64, 3)
	a.Weights.Logits(withWeights, o)
	delta := make([]float64, len(a.Weights.Params()))
	for i := range delta {
		delta[i] = 0.1 * math.Cos(float64(i))
	}
	a.SetContext(delta)
	z := make([]float64, 3)
	a.Acting().Logits(z, o)
	if z[0] == withWeights[0] {
		t.Fatal("the context did not change the acting logits")
	}
	// Learning while a context is present moves the acting model too.
	feed(a, o, []int{1, 2}, []envs.Verdict{envs.VerdictPass, envs.VerdictFail})
	z2 := make([]float64, 3)
	a.Acting().Logits(z2, o)
	if z2[1] == z[1] {
		t.Fatal("a weight update under a context did not reach the acting model")
	}
	if err := a.EndSession(nil); err != nil {
		t.Fatal(err)
	}
	if a.Context() != nil || a.Acting() != a.Weights {
		t.Fatal("the context survived the session's end")
	}
	after := make([]float64, 3)
	a.Acting().Logits(after, o)
	a.Weights.Logits(z, o)
	for k := range z {
		if after[k] != z[k] {
			t.Fatalf("after the session the acting logits %v differ from the weights' %v", after, z)
		}
	}
	if a.Log.Len() != 0 {
		t.Fatalf("the session log kept %d attempts past the session", a.Log.Len())
	}
}

// Composition rules are declared by the mechanisms and reported by name.
func TestCheckComposition(t *testing.T) {
	if msgs := CheckComposition([]string{"rlvr", "frozen-tuned"}); len(msgs) != 0 {
		t.Fatalf("rlvr with frozen-tuned: %v", msgs)
	}
	msgs := CheckComposition([]string{"frozen", "rlvr"})
	if len(msgs) != 1 || !strings.Contains(msgs[0], `frozen means the agent never learns, but "rlvr" learns`) {
		t.Fatalf("frozen with rlvr: %v", msgs)
	}
}

// rlvr's step is the mean over the group: a group of 8 made of four copies
// of a (pass, fail) pair moves the weights exactly as the pair alone does,
// where a summed update would move them 4 times as far.
func TestRLVRStepIndependentOfGroupSize(t *testing.T) {
	o := testObs()
	step := func(g int) []float64 {
		a := newTestAgent(t, RLVRConfig{LR: 0.5})
		before := append([]float64(nil), a.Weights.Params()...)
		acts := make([]int, g)
		verdicts := make([]envs.Verdict, g)
		for i := range g {
			acts[i] = 1 + i%2
			verdicts[i] = envs.VerdictPass
			if i%2 == 1 {
				verdicts[i] = envs.VerdictFail
			}
		}
		feed(a, o, acts, verdicts)
		for i, p := range a.Weights.Params() {
			before[i] = p - before[i]
		}
		return before
	}
	d2, d8 := step(2), step(8)
	norm := 0.0
	for i := range d2 {
		norm += d2[i] * d2[i]
		if math.Abs(d2[i]-d8[i]) > 1e-12 {
			t.Fatalf("param %d moved %v with group 2, %v with group 8", i, d2[i], d8[i])
		}
	}
	if norm == 0 {
		t.Fatal("the group did not move the weights: the test would be vacuous")
	}
}
