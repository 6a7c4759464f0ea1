package agents

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// The fast paths must give bit for bit what the plain ones give: the cached
// logits what Logits gives, on many distinct descriptions (so the cache
// grows) and after the parameters change and the cache is Reset.
func TestLogitCacheIsExact(t *testing.T) {
	// An odd shape, and the skills family's (A = 4, d = K = 8: the SIMD
	// kernels and the cache's fast path).
	for _, sh := range [][3]int{{5, 7, 9}, {4, 8, 8}} {
		logitCacheCase(t, envs.Spec{Actions: sh[0], Channels: []envs.Channel{
			{Name: "x", Kind: envs.Dense, Size: sh[1]},
			{Name: "desc", Kind: envs.Dense, Size: sh[2]},
			{Name: "id", Kind: envs.Index, Size: 40},
		}})
	}
}

func logitCacheCase(t *testing.T, s envs.Spec) {
	K := s.Channels[1].Size
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cfg := range []BilinearConfig{DefaultBilinear(), {Bilinear: true}, {IDChannel: true, Bias: true, IDScale: 1}, {IDChannel: true, Bias: true, IDScale: 2.5}} {
		m, err := NewBilinear(s, cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.SetTemperature(0.7)
		descs := make([][]float64, 300)
		for i := range descs {
			descs[i] = make([]float64, K)
			for j := range descs[i] {
				descs[i][j] = rng.NormFloat64()
			}
		}
		descs[7][3] = math.NaN() // a NaN key still hits its own entry
		var c LogitCache
		z1, z2 := make([]float64, s.Actions), make([]float64, s.Actions)
		o := envs.NewObs(s)
		for round := 0; round < 3; round++ {
			for i := range m.Params() {
				m.Params()[i] = rng.NormFloat64()
			}
			c.Reset(m)
			for k := 0; k < 2000; k++ {
				for j := range o.Dense[0] {
					o.Dense[0][j] = rng.NormFloat64()
				}
				copy(o.Dense[1], descs[rng.IntN(len(descs))])
				o.Index[2] = rng.IntN(42) - 1 // also out of range and none
				m.Logits(z1, &o)
				c.Logits(z2, &o)
				for a := range z1 {
					if math.Float64bits(z1[a]) != math.Float64bits(z2[a]) {
						t.Fatalf("%+v round %d: cached logit %d = %v, plain %v", cfg, round, a, z2[a], z1[a])
					}
				}
			}
		}
	}
}

// GradMask.AddTo must leave the parameters as adding the whole buffer does,
// and the buffer zero.
func TestGradMaskAddsWhatWasWritten(t *testing.T) {
	s := testSpec()
	m, _ := NewBilinear(s, DefaultBilinear())
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range m.Params() {
		m.Params()[i] = rng.NormFloat64()
	}
	n := len(m.Params())
	grad := make([]float64, n)
	want := append([]float64(nil), m.Params()...)
	var mask GradMask
	mask.Resize(n)
	o := testObs()
	for k := 0; k < 3; k++ {
		o.Index[2] = k
		coef := []float64{rng.NormFloat64(), 0, rng.NormFloat64()}
		m.AddLogitGrad(grad, o, coef)
		m.MarkGrad(&mask, o)
	}
	for i, g := range grad {
		want[i] += g
	}
	mask.AddTo(m.Params(), grad)
	for i := range want {
		if math.Float64bits(want[i]) != math.Float64bits(m.Params()[i]) || grad[i] != 0 {
			t.Fatalf("param %d: %v, want %v (grad left %v)", i, m.Params()[i], want[i], grad[i])
		}
	}
}

func TestGradMaskMarksRanges(t *testing.T) {
	for _, r := range [][2]int{{0, 1}, {0, 8}, {3, 9}, {0, 512}, {500, 1030}, {511, 513}, {1000, 1001}, {7, 7}} {
		var m GradMask
		m.Resize(1100)
		m.Mark(r[0], r[1])
		for b := 0; b*gradBlock < 1100; b++ {
			want := r[1] > r[0] && b*gradBlock < r[1] && (b+1)*gradBlock > r[0]
			if got := m.bits[b>>6]&(1<<(b&63)) != 0; got != want {
				t.Fatalf("Mark(%d, %d): block %d marked %v, want %v", r[0], r[1], b, got, want)
			}
		}
	}
}

// GroupGrad sums what AddLogitGrad sums, up to rounding, over steps that
// repeat descriptions, and holds nothing back after Flush.
func TestGroupGradSumsTheGradient(t *testing.T) {
	// An odd shape, and the skills family's (d = K = 8: the SIMD kernels
	// and AddNamed's inline case).
	for _, sh := range [][2]int{{5, 6}, {8, 8}} {
		s := envs.Spec{Actions: 4, Channels: []envs.Channel{
			{Name: "x", Kind: envs.Dense, Size: sh[0]},
			{Name: "desc", Kind: envs.Dense, Size: sh[1]},
			{Name: "id", Kind: envs.Index, Size: 7},
		}}
		scaled := DefaultBilinear()
		scaled.IDScale = 2.5
		for _, cfg := range []BilinearConfig{DefaultBilinear(), scaled, {Bilinear: true}} {
			groupGradCase(t, s, cfg)
		}
	}
}

func groupGradCase(t *testing.T, s envs.Spec, cfg BilinearConfig) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, _ := NewBilinear(s, cfg)
	n := len(m.Params())
	descs := make([][]float64, 40) // more than the first table size: it grows
	for i := range descs {
		descs[i] = make([]float64, s.Channels[1].Size)
		descs[i][0], descs[i][1], descs[i][4], descs[i][5] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), 1
	}
	// Observations drawn from a set of 30, named by their index in the
	// rounds that pass it (Add's same), by -1 in the others.
	obs := make([]envs.Obs, 30)
	for i := range obs {
		obs[i] = envs.NewObs(s)
		for j := range obs[i].Dense[0] {
			obs[i].Dense[0][j] = rng.NormFloat64()
		}
		copy(obs[i].Dense[1], descs[rng.IntN(len(descs))])
		obs[i].Index[2] = rng.IntN(8) - 1 // also no identity
	}
	g, named := m.NewGroupGrad(), m.NewGroupGrad()
	var mask, mask2 GradMask
	for round := 0; round < 3; round++ {
		mask.Resize(n)
		mask2.Resize(n)
		want, got, gotNamed := make([]float64, n), make([]float64, n), make([]float64, n)
		for step := 0; step < 200; step++ {
			k := rng.IntN(len(obs))
			o := &obs[k]
			o.Step = rng.IntN(4)
			coef := []float64{rng.NormFloat64(), 0, rng.NormFloat64(), rng.NormFloat64()}
			m.AddLogitGrad(want, o, coef)
			g.Add(got, o, coef, -1)
			if !named.AddNamed(gotNamed, coef, k) { // no observation needed once named
				named.Add(gotNamed, o, coef, k)
			}
		}
		g.Flush(got, &mask)
		named.Flush(gotNamed, &mask2)
		for i := range want {
			if math.Abs(want[i]-got[i]) > 1e-9*(1+math.Abs(want[i])) {
				t.Fatalf("round %d: param %d: grouped %v, step by step %v", round, i, got[i], want[i])
			}
			if math.Float64bits(got[i]) != math.Float64bits(gotNamed[i]) {
				t.Fatalf("round %d: param %d: %v with observations named, %v without", round, i, gotNamed[i], got[i])
			}
			if b := i / gradBlock; got[i] != 0 && mask.bits[b>>6]&(1<<(b&63)) == 0 {
				t.Fatalf("round %d: param %d written but not marked", round, i)
			}
		}
	}
}

func TestGradMaskAddsRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := 0; round < 200; round++ {
		n := 1 + rng.IntN(2000)
		var m GradMask
		m.Resize(n)
		p, grad := make([]float64, n), make([]float64, n)
		want := make([]float64, n)
		for k := rng.IntN(20); k > 0; k-- {
			lo := rng.IntN(n)
			hi := min(n, lo+rng.IntN(700))
			m.Mark(lo, hi)
			for i := lo; i < hi; i++ {
				grad[i] = float64(i + 1)
				want[i] = float64(i + 1)
			}
		}
		m.AddTo(p, grad)
		for i := range p {
			if p[i] != want[i] || grad[i] != 0 {
				t.Fatalf("round %d (n %d): param %d = %v (grad left %v), want %v", round, n, i, p[i], grad[i], want[i])
			}
		}
	}
}

// Softmax skips math.Exp for the maximum: exact only while exp(0) is 1.
func TestExpOfZeroIsOne(t *testing.T) {
	if math.Float64bits(math.Exp(0)) != math.Float64bits(1) {
		t.Fatalf("math.Exp(0) = %v: Softmax's shortcut would change its results", math.Exp(0))
	}
}

// A Learn that wrote nothing keeps the agent's generation (its caches stay
// valid); one that wrote, or a learner that cannot tell, starts a new one.
func TestIdleLearnKeepsTheGeneration(t *testing.T) {
	o := testObs()
	for _, tc := range []struct {
		name     string
		cfg      RLVRConfig
		verdicts []envs.Verdict
		kept     bool
	}{
		{"all advantages 0", RLVRConfig{LR: 0.5}, []envs.Verdict{envs.VerdictPass, envs.VerdictPass}, true},
		{"no verdicts", RLVRConfig{LR: 0.5}, []envs.Verdict{envs.VerdictNone, envs.VerdictNone}, true},
		{"a contrast", RLVRConfig{LR: 0.5}, []envs.Verdict{envs.VerdictPass, envs.VerdictFail}, false},
		{"kl steps at advantage 0", RLVRConfig{LR: 0.5, KL: 1}, []envs.Verdict{envs.VerdictPass, envs.VerdictPass}, false},
	} {
		a := newTestAgent(t, tc.cfg)
		before := slices.Clone(a.Weights.Params())
		gen := a.gen
		feed(a, o, []int{1, 2}, tc.verdicts)
		if kept := a.gen == gen; kept != tc.kept {
			t.Errorf("%s: generation kept = %v, want %v", tc.name, kept, tc.kept)
		}
		if same := slices.Equal(before, a.Weights.Params()); tc.kept && !same {
			t.Errorf("%s: the generation was kept but the weights changed", tc.name)
		}
	}
	// A learner that does not say it was idle counts as having written.
	base, err := NewModel(testSpec(), DefaultPolicy(), 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Name: "s", Mechanisms: []string{"sft-demo"}, Policy: DefaultPolicy()}, base, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.mechs[0].(idleLearner); ok {
		t.Fatal("sft-demo says whether it was idle: pick another learner for this check")
	}
	gen := a.gen
	a.Learn(&Feedback{})
	if a.gen == gen {
		t.Error("a learner that cannot say it was idle kept the generation")
	}
}

// A step the act memo recognises shares the observation the session log
// stored for an earlier member instead of copying it: every step must read
// back exactly what it showed, across log Resets (a stored index belongs
// to one) and with weights that stay the same (so the memo keeps hitting).
func TestLogSharesOnlyEqualObservations(t *testing.T) {
	f, err := envs.NewSkills(envs.DefaultSkills(), 3)
	if err != nil {
		t.Fatal(err)
	}
	base, err := NewModel(f.Spec(), DefaultPolicy(), 3)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Name: "r", Mechanisms: []string{"rlvr"}, Policy: DefaultPolicy()}, base, 3)
	if err != nil {
		t.Fatal(err)
	}
	env, obs := f.NewEnv(), envs.NewObs(f.Spec())
	ref := NewSessionLog(f.Spec())
	shared := 0
	for round := range 3 {
		a.Log.Reset()
		ref.Reset()
		task, err := f.Task(envs.SplitTrain, round%2) // round 2 repeats round 0's task after a Reset
		if err != nil {
			t.Fatal(err)
		}
		for m := range 8 {
			env.Reset(&task, &obs)
			a.Log.Begin(&task, m)
			ref.Begin(&task, m)
			for s := uint64(0); ; s++ {
				act := a.Act(&obs, false, envs.Key(uint64(round), uint64(m), s))
				a.Record(&obs, act)
				ref.Record(&obs, act)
				if env.Step(act, &obs).Done {
					break
				}
			}
		}
		shared += len(a.Log.steps) - a.Log.nobs
		for i := range ref.Len() {
			for s := range ref.Steps(i) {
				want, wantAct := ref.Step(i, s)
				wd, wi := slices.Clone(want.Dense), slices.Clone(want.Index)
				got, gotAct := a.Log.Step(i, s)
				for ch := range wd {
					if !slices.Equal(got.Dense[ch], wd[ch]) || got.Index[ch] != wi[ch] || gotAct != wantAct {
						t.Fatalf("round %d attempt %d step %d channel %d: logged %v/%d act %d, shown %v/%d act %d",
							round, i, s, ch, got.Dense[ch], got.Index[ch], gotAct, wd[ch], wi[ch], wantAct)
					}
				}
			}
		}
	}
	if shared == 0 {
		t.Fatal("no step shared a stored observation: the check above tested nothing")
	}
}
