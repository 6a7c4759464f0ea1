package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHolmAdjust(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name    string
		p, want []float64
	}{
		// R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")
		{"monotone step-down", []float64{0.01, 0.04, 0.03, 0.005}, []float64{0.03, 0.06, 0.06, 0.02}},
		// R: p.adjust(c(0.02, 0.02, 0.5), "holm"): ties keep their order
		{"ties", []float64{0.02, 0.02, 0.5}, []float64{0.06, 0.06, 0.5}},
		{"capped at 1", []float64{0.3, 0.6, 0.9}, []float64{0.9, 1, 1}},
		{"NaN is not in the family", []float64{0.01, nan, 0.04}, []float64{0.02, nan, 0.04}},
		{"single", []float64{0.03}, []float64{0.03}},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := HolmAdjust(make([]float64, len(tc.p)), tc.p)
			if !approxEqual(got, tc.want, 1e-12) {
				t.Errorf("HolmAdjust(%v) = %v, want %v", tc.p, got, tc.want)
			}
			in := slices.Clone(tc.p)
			HolmAdjust(in, in)
			if !approxEqual(in, tc.want, 1e-12) {
				t.Errorf("in place: %v, want %v", in, tc.want)
			}
		})
	}
}

func approxEqual(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(a[i]) != math.IsNaN(b[i]) || math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

func TestSignFlipTest(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    []float64
		want float64
	}{
		// Sums of ±1±2±3: 6, 4, 2, 0, 0, -2, -4, -6; two reach |6|.
		{"exact", []float64{1, 2, 3}, 2.0 / 8},
		// ±1±2±3±10: any flip takes |sum| below 16.
		{"exact dominated", []float64{1, 2, 3, 10}, 2.0 / 16},
		{"all zero", []float64{0, 0, 0}, 1},
		{"symmetric", []float64{1, -1}, 1},
		{"single", []float64{0.3}, 1},
	} {
		got := SignFlipTest(tc.d, 1000, 1)
		if math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: SignFlipTest(%v) = %v, want %v", tc.name, tc.d, got, tc.want)
		}
	}
	if p := SignFlipTest(nil, 10, 1); !math.IsNaN(p) {
		t.Errorf("empty: %v, want NaN", p)
	}

	// Monte Carlo: 20 positive differences can only be matched by the two
	// constant sign vectors (probability 2^-19), so p = 1/(R+1).
	d := make([]float64, 20)
	for i := range d {
		d[i] = 0.1 + 0.01*float64(i)
	}
	if p := SignFlipTest(d, 999, 7); p != 1.0/1000 {
		t.Errorf("Monte Carlo on 20 positive differences: %v, want 0.001", p)
	}

	// Monte Carlo agrees with the exact test, and is deterministic.
	r := rand.New(rand.NewPCG(3, 4))
	d = make([]float64, 12)
	for i := range d {
		d[i] = 0.3 + r.NormFloat64()
	}
	exact := SignFlipTest(d, 1<<12, 1)
	mc := SignFlipTest(d, 4000, 1)
	if math.Abs(exact-mc) > 0.02 || exact < 0.05 || exact > 0.95 {
		t.Errorf("exact %v vs Monte Carlo %v", exact, mc)
	}
	if again := SignFlipTest(d, 4000, 1); again != mc {
		t.Errorf("not deterministic: %v, %v", mc, again)
	}
}

func TestPermutationTest(t *testing.T) {
	// Pool 1,2,3,4 into pairs: mean differences -2,-1,0,0,1,2; two reach 2.
	if p := PermutationTest([]float64{1, 2}, []float64{3, 4}, 100, 1); math.Abs(p-1.0/3) > 1e-12 {
		t.Errorf("exact equal sizes: %v, want 1/3", p)
	}
	// x of one value from 0,1,2,3: differences -2, -2/3, 2/3, 2; two reach 2.
	if p := PermutationTest([]float64{0}, []float64{1, 2, 3}, 100, 1); math.Abs(p-0.5) > 1e-12 {
		t.Errorf("exact unequal sizes: %v, want 1/2", p)
	}
	if p := PermutationTest([]float64{1, 1, 1}, []float64{1, 1}, 100, 1); p != 1 {
		t.Errorf("identical values: %v, want 1", p)
	}
	if p := PermutationTest(nil, []float64{1}, 100, 1); !math.IsNaN(p) {
		t.Errorf("empty: %v, want NaN", p)
	}
	// Separated samples of 12: C(24, 12) relabellings, so Monte Carlo;
	// only the observed split and its mirror reach the statistic.
	x, y := make([]float64, 12), make([]float64, 12)
	for i := range x {
		x[i], y[i] = float64(i), float64(100+i)
	}
	if p := PermutationTest(x, y, 999, 1); p != 1.0/1000 {
		t.Errorf("separated: %v, want 0.001", p)
	}
	// Monte Carlo agrees with exact enumeration (C(14, 7) = 3432).
	r := rand.New(rand.NewPCG(5, 6))
	x, y = make([]float64, 7), make([]float64, 7)
	for i := range x {
		x[i], y[i] = r.NormFloat64()+0.8, r.NormFloat64()
	}
	exact := PermutationTest(x, y, 3432, 1)
	mc := PermutationTest(x, y, 3431, 1)
	if math.Abs(exact-mc) > 0.02 || exact > 0.5 {
		t.Errorf("exact %v vs Monte Carlo %v", exact, mc)
	}
}

func TestMinAttainableP(t *testing.T) {
	for _, tc := range []struct {
		got, want float64
	}{
		{MinSignFlipP(6, 10000), 2.0 / 64},
		{MinSignFlipP(20, 10000), 1.0 / 10001},
		{MinSignFlipP(1, 10000), 1},
		{MinPermutationP(2, 2, 100), 2.0 / 6},
		{MinPermutationP(1, 3, 100), 1.0 / 4},
		{MinPermutationP(12, 12, 10000), 1.0 / 10001},
	} {
		if math.Abs(tc.got-tc.want) > 1e-15 {
			t.Errorf("got %v, want %v", tc.got, tc.want)
		}
	}
	// The bound is attained.
	if p := SignFlipTest([]float64{1, 2, 3, 4, 5, 6}, 10000, 1); p != MinSignFlipP(6, 10000) {
		t.Errorf("sign flip of 6 positives: %v", p)
	}
	if p := PermutationTest([]float64{1, 2}, []float64{3, 4}, 100, 1); p != MinPermutationP(2, 2, 100) {
		t.Errorf("permutation of separated pairs: %v", p)
	}
}
