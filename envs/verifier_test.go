package envs

import (
	"math"
	"testing"
)

func TestVerifierRates(t *testing.T) {
	const n = 200000
	v := VerifierConfig{Coverage: 0.7, FalsePositive: 0.1, FalseNegative: 0.2, Loophole: 0.5}
	count := func(o Outcome) (none, pass int) {
		for i := 0; i < n; i++ {
			switch v.Judge(o, Key(42, uint64(i))) {
			case VerdictNone:
				none++
			case VerdictPass:
				pass++
			}
		}
		return
	}
	within := func(name string, got, want float64, m int) {
		t.Helper()
		se := math.Sqrt(want * (1 - want) / float64(m))
		if math.Abs(got-want) > 4*se+1e-12 {
			t.Errorf("%s = %.4f, want %.4f +- %.4f", name, got, want, 4*se)
		}
	}
	none, pass := count(Outcome{Success: false})
	within("coverage", 1-float64(none)/n, v.Coverage, n)
	within("false positive rate", float64(pass)/float64(n-none), v.FalsePositive, n-none)
	none, pass = count(Outcome{Success: true})
	within("true positive rate", float64(pass)/float64(n-none), 1-v.FalseNegative, n-none)
	none, pass = count(Outcome{Success: false, Loophole: true})
	// A loophole attempt passes through the loophole or through a false positive.
	within("loophole pass rate", float64(pass)/float64(n-none), v.Loophole+(1-v.Loophole)*v.FalsePositive, n-none)
}

func TestMissingVerdictIsNotAFailure(t *testing.T) {
	if _, ok := VerdictNone.Reward(); ok {
		t.Fatal("a missing verdict must carry no reward")
	}
	v := VerifierConfig{Coverage: 0}
	for i := 0; i < 1000; i++ {
		if got := v.Judge(Outcome{Success: true}, uint64(i)); got != VerdictNone {
			t.Fatalf("coverage 0 gave verdict %v", got)
		}
	}
}

func TestGrindValidate(t *testing.T) {
	with := func(f func(g *GrindConfig)) GrindConfig {
		g := DefaultGrind()
		f(&g)
		return g
	}
	for _, tc := range []struct {
		name string
		g    GrindConfig
		ok   bool
	}{
		{"defaults", DefaultGrind(), true},
		{"group with resets", with(func(g *GrindConfig) { g.GroupSize = 4 }), true},
		{"group without resets", with(func(g *GrindConfig) { g.GroupSize, g.Resets = 4, false }), false},
		{"retries without resets", with(func(g *GrindConfig) { g.Retries, g.Resets = 2, false }), false},
		{"unknown granularity", with(func(g *GrindConfig) { g.Granularity = "episode" }), false},
		{"step granularity", with(func(g *GrindConfig) { g.Granularity = GranularityStep }), true},
		{"zero attempt cost", with(func(g *GrindConfig) { g.AttemptCost = 0 }), false},
		{"budget below one attempt", with(func(g *GrindConfig) { g.AttemptCost, g.DayBudget = 4, 2 }), false},
		{"budget of one attempt", with(func(g *GrindConfig) { g.AttemptCost, g.DayBudget = 4, 4 }), true},
	} {
		if err := tc.g.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v, want ok = %v", tc.name, err, tc.ok)
		}
	}
}

// Clocked is false exactly when every knob beyond resets and group_size
// has its default.
func TestGrindClocked(t *testing.T) {
	g := DefaultGrind()
	g.GroupSize, g.Resets = 8, false
	if g.Clocked() {
		t.Fatal("resets and group_size alone made the job clocked")
	}
	for _, f := range []func(g *GrindConfig){
		func(g *GrindConfig) { g.Retries = 1 }, func(g *GrindConfig) { g.Flakiness = 0.1 },
		func(g *GrindConfig) { g.Granularity = GranularityStep }, func(g *GrindConfig) { g.AttemptCost = 2 },
		func(g *GrindConfig) { g.Delay = 1 }, func(g *GrindConfig) { g.DayBudget = 10 },
	} {
		h := DefaultGrind()
		f(&h)
		if !h.Clocked() {
			t.Fatalf("%+v is not clocked", h)
		}
	}
}

func TestKeyedDrawsAreStable(t *testing.T) {
	// Changing these values changes every record ever written: the test pins them.
	if got := Key(1, 2, 3); got != Key(1, 2, 3) || got == Key(3, 2, 1) {
		t.Fatal("Key must be deterministic and order-sensitive")
	}
	s := NewStream()
	a := s.Reset(99).NormFloat64()
	s.Reset(5)
	if b := s.Reset(99).NormFloat64(); a != b {
		t.Fatalf("Stream.Reset(99) gave %v then %v", a, b)
	}
	if u := Uniform(7); u < 0 || u >= 1 {
		t.Fatalf("Uniform out of [0,1): %v", u)
	}
}

// Step verdicts: a perfect verifier reports each step's correctness; the
// rates apply per step on their own draws; the loophole does not apply.
func TestJudgeStep(t *testing.T) {
	perfect := DefaultVerifier()
	for s := range 50 {
		if perfect.JudgeStep(true, 7, s) != VerdictPass || perfect.JudgeStep(false, 7, s) != VerdictFail {
			t.Fatal("a perfect verifier misjudged a step")
		}
	}
	noisy := VerifierConfig{Coverage: 0.5, FalsePositive: 0.3, Loophole: 1}
	n, judged, passed := 20000, 0, 0
	for s := range n {
		switch noisy.JudgeStep(false, 11, s) {
		case VerdictPass:
			passed++
			judged++
		case VerdictFail:
			judged++
		}
	}
	if c, fp := float64(judged)/float64(n), float64(passed)/float64(judged); math.Abs(c-0.5) > 0.02 || math.Abs(fp-0.3) > 0.02 {
		t.Fatalf("step coverage %.3f, false-positive rate %.3f; want 0.5 and 0.3 (the loophole must not apply)", c, fp)
	}
}
