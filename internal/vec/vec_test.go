package vec

import (
	"math"
	"testing"
)

func TestSameIsBitEquality(t *testing.T) {
	nan := math.NaN()
	for _, n := range []int{0, 1, 4, 7, 8, 9, 16} {
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(i) + 0.5
		}
		b := append([]float64(nil), a...)
		if !Same(a, b) {
			t.Fatalf("n=%d: equal slices differ", n)
		}
		if Same(a, b[:n/2]) && n > 0 {
			t.Fatalf("n=%d: lengths differ but Same", n)
		}
		for i := range a {
			for _, v := range []float64{math.Copysign(0, -1), nan, a[i] + 1e-12} {
				c := append([]float64(nil), a...)
				c[i] = v
				want := math.Float64bits(c[i]) == math.Float64bits(a[i])
				if got := Same(a, c); got != want {
					t.Errorf("n=%d i=%d v=%v: Same = %v, want %v", n, i, v, got, want)
				}
			}
			c := append([]float64(nil), a...)
			c[i], a[i] = 0, math.Copysign(0, -1) // -0 == 0 as numbers, not as bits
			if Same(a, c) {
				t.Errorf("n=%d i=%d: -0 and 0 compared the same", n, i)
			}
			a[i] = float64(i) + 0.5
		}
	}
}
