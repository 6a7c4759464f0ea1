package results

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func TestIQM(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		want float64 // scipy.stats.trim_mean(x, 0.25), computed by hand
	}{
		{"n=1", []float64{3}, 3},
		{"n=3 nothing cut", []float64{3, 1, 2}, 2},
		// n=4: cut int(1.0)=1 from each end of [1 2 3 10] -> mean(2,3).
		{"n=4", []float64{10, 2, 1, 3}, 2.5},
		// n=5: cut 1 from each end of [0 1 1 1 9] -> mean(1,1,1).
		{"n=5 ties", []float64{1, 9, 1, 0, 1}, 1},
		// n=7: cut int(1.75)=1 of [0 0 0.25 0.5 0.5 0.75 1] -> mean(0,0.25,0.5,0.5,0.75).
		{"n=7 ties", []float64{0.5, 0, 1, 0.25, 0.75, 0.5, 0}, 2.0 / 5},
		// n=8: cut 2 of [1 2 2 2 3 3 4 100] -> mean(2,2,3,3).
		{"n=8 ties", []float64{3, 2, 100, 1, 2, 4, 3, 2}, 2.5},
	} {
		x := slices.Clone(tc.x)
		got := IQM(x)
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: IQM(%v) = %v, want %v", tc.name, tc.x, got, tc.want)
		}
		if !slices.Equal(x, tc.x) {
			t.Errorf("%s: IQM modified its input", tc.name)
		}
	}
	if !math.IsNaN(IQM(nil)) {
		t.Error("IQM(nil) is not NaN")
	}
}

func TestMeanMedian(t *testing.T) {
	x := []float64{4, 1, 3, 2}
	if got := Mean(x); got != 2.5 {
		t.Errorf("Mean = %v, want 2.5", got)
	}
	if got := Median(x); got != 2.5 {
		t.Errorf("Median even = %v, want 2.5", got)
	}
	if got := Median([]float64{5, 1, 3}); got != 3 {
		t.Errorf("Median odd = %v, want 3", got)
	}
	if !slices.Equal(x, []float64{4, 1, 3, 2}) {
		t.Error("Median modified its input")
	}
	if !math.IsNaN(Mean(nil)) || !math.IsNaN(Median(nil)) {
		t.Error("Mean or Median of nil is not NaN")
	}
}

func sample(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = r.Float64()
	}
	return x
}

func TestBootstrapCIDeterministic(t *testing.T) {
	x := sample(10, 1)
	a := BootstrapCI(x, IQM, 0.95, 1000, 7)
	b := BootstrapCI(slices.Clone(x), IQM, 0.95, 1000, 7)
	if a != b {
		t.Errorf("same seed, different intervals: %+v %+v", a, b)
	}
	c := BootstrapCI(x, IQM, 0.95, 1000, 8)
	if a.Lo == c.Lo && a.Hi == c.Hi {
		t.Errorf("different seeds, same interval: %+v %+v", a, c)
	}
	if a.Point != c.Point || a.Point != IQM(x) {
		t.Errorf("point estimate depends on the seed: %v %v", a.Point, c.Point)
	}
	if !(a.Lo <= a.Point && a.Point <= a.Hi) || a.N != 10 {
		t.Errorf("bad interval %+v", a)
	}
	// Input order does not matter.
	rev := slices.Clone(x)
	slices.Reverse(rev)
	if d := BootstrapCI(rev, IQM, 0.95, 1000, 7); d != a {
		t.Errorf("interval depends on input order: %+v %+v", d, a)
	}
}

func TestBootstrapCIEdge(t *testing.T) {
	e := BootstrapCI(nil, Mean, 0.95, 100, 1)
	if !math.IsNaN(e.Point) || !math.IsNaN(e.Lo) || !math.IsNaN(e.Hi) || e.N != 0 {
		t.Errorf("empty: %+v", e)
	}
	one := BootstrapCI([]float64{0.3}, Mean, 0.95, 100, 1)
	if one != (Interval{Point: 0.3, Lo: 0.3, Hi: 0.3, N: 1}) {
		t.Errorf("single: %+v", one)
	}
	c := BootstrapCI([]float64{2, 2, 2}, IQM, 0.95, 100, 1)
	if c != (Interval{Point: 2, Lo: 2, Hi: 2, N: 3}) {
		t.Errorf("constant: %+v", c)
	}
}

func TestBootstrapCICoverage(t *testing.T) {
	// A loose sanity check: the 95% interval of the mean of 30 uniform
	// values covers 0.5 in most of 200 independent samples.
	covered := 0
	for s := range uint64(200) {
		ci := BootstrapCI(sample(30, 100+s), Mean, 0.95, 500, s)
		if ci.Lo <= 0.5 && 0.5 <= ci.Hi {
			covered++
		}
	}
	if covered < 170 {
		t.Errorf("coverage %d/200, want about 190", covered)
	}
}

func TestPairedDiff(t *testing.T) {
	x := sample(12, 3)
	d := PairedDiff(x, slices.Clone(x), 0.95, 1000, 5)
	if d != (Interval{Point: 0, Lo: 0, Hi: 0, N: 12}) {
		t.Errorf("identical: %+v, want exactly 0 [0, 0]", d)
	}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i] - 0.25
	}
	d = PairedDiff(x, y, 0.95, 1000, 5)
	if math.Abs(d.Point-0.25) > 1e-12 || math.Abs(d.Lo-0.25) > 1e-12 || math.Abs(d.Hi-0.25) > 1e-12 {
		t.Errorf("constant shift: %+v, want 0.25 [0.25, 0.25]", d)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for different lengths")
		}
	}()
	PairedDiff(x, x[1:], 0.95, 10, 1)
}

func TestProbImprovement(t *testing.T) {
	x := []float64{0.1, 0.5, 0.5, 0.9}
	if p := ProbImprovement(x, x); p != 0.5 {
		t.Errorf("identical: %v, want 0.5", p)
	}
	if p := ProbImprovement([]float64{2, 3, 4}, []float64{0, 1}); p != 1 {
		t.Errorf("separated: %v, want 1", p)
	}
	if p := ProbImprovement([]float64{0, 1}, []float64{2, 3, 4}); p != 0 {
		t.Errorf("separated below: %v, want 0", p)
	}
	// x=1 beats 0, ties 1, loses to 2: (1 + 0.5) / 3.
	if p := ProbImprovement([]float64{1}, []float64{0, 1, 2}); p != 0.5 {
		t.Errorf("mixed: %v, want 0.5", p)
	}
	if p := ProbImprovement([]float64{1, 2}, []float64{1}); p != 0.75 {
		t.Errorf("tie: %v, want 0.75", p)
	}
	if !math.IsNaN(ProbImprovement(nil, x)) {
		t.Error("empty is not NaN")
	}
}

func BenchmarkBootstrapCI(b *testing.B) {
	for _, n := range []int{10, 100} {
		x := sample(n, 1)
		b.Run("IQM/n="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				BootstrapCI(x, IQM, 0.95, 2000, 1)
			}
		})
		b.Run("Mean/n="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				BootstrapCI(x, Mean, 0.95, 2000, 1)
			}
		})
	}
}
