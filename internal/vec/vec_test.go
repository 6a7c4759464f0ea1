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

func TestCopyIsCopy(t *testing.T) {
	for _, c := range []struct{ dst, src int }{{8, 8}, {4, 4}, {8, 4}, {4, 8}, {3, 3}, {9, 9}, {0, 0}} {
		for name, cp := range map[string]func(d, s []float64){"Copy": Copy, "Copy4": Copy4} {
			src := make([]float64, c.src)
			for i := range src {
				src[i] = math.Copysign(float64(i)+0.25, float64(i%2)-0.5)
			}
			got, want := make([]float64, c.dst), make([]float64, c.dst)
			for i := range got {
				got[i], want[i] = -7, -7
			}
			cp(got, src)
			copy(want, src)
			if !Same(got, want) {
				t.Errorf("%s dst %d src %d: %v, want %v", name, c.dst, c.src, got, want)
			}
		}
	}
}
