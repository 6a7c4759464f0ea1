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
	if err := (GrindConfig{Resets: false, GroupSize: 4}).Validate(); err == nil {
		t.Fatal("group_size > 1 without resets must be rejected")
	}
	ok := DefaultGrind() // granularity and attempt cost set
	ok.GroupSize = 4
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
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
