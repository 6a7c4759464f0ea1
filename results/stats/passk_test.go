package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPassAtKExact(t *testing.T) {
	binom := func(n, k int) float64 {
		r := 1.0
		for i := 1; i <= k; i++ {
			r = r * float64(n-k+i) / float64(i)
		}
		return r
	}
	for _, tc := range []struct {
		n, c, k int
		want    float64
	}{
		{10, 0, 1, 0},
		{10, 10, 5, 1},
		{10, 3, 1, 0.3},       // pass@1 is the pass rate
		{4, 1, 2, 0.5},        // 1 - C(3,2)/C(4,2) = 1 - 3/6
		{5, 2, 2, 1 - 3.0/10}, // 1 - C(3,2)/C(5,2)
		{5, 2, 4, 1},          // n - c < k: any 4 of 5 include a pass
		{20, 1, 20, 1},        // all samples
		{100, 7, 10, 1 - binom(93, 10)/binom(100, 10)},
	} {
		if got := PassAtK(tc.n, tc.c, tc.k); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("PassAtK(%d, %d, %d) = %v, want %v", tc.n, tc.c, tc.k, got, tc.want)
		}
	}
}

// Against simulated Bernoulli tasks of known pass probability, the mean
// estimate over many tasks matches 1 - (1-p)^k within 4 standard errors:
// the estimator is unbiased.
func TestPassAtKUnbiased(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const tasks, n = 20000, 16
	for _, p := range []float64{0.02, 0.1, 0.5} {
		for _, k := range []int{1, 4, 16} {
			sum, sumSq := 0.0, 0.0
			for range tasks {
				c := 0
				for range n {
					if rng.Float64() < p {
						c++
					}
				}
				e := PassAtK(n, c, k)
				sum += e
				sumSq += e * e
			}
			mean := sum / tasks
			se := math.Sqrt((sumSq/tasks - mean*mean) / tasks)
			want := 1 - math.Pow(1-p, float64(k))
			// The estimator lies in [0, 1] with mean want, so its standard
			// deviation is at most sqrt(want (1 - want)): a floor on the
			// s.e. when the sample shows no spread.
			se = max(se, math.Sqrt(want*(1-want)/tasks))
			if math.Abs(mean-want) > 4*se {
				t.Errorf("p=%v k=%d: mean estimate %.5f, want %.5f (s.e. %.5f)", p, k, mean, want, se)
			}
		}
	}
}

func TestPassAtKPanics(t *testing.T) {
	for _, a := range [][3]int{{5, 6, 1}, {5, -1, 1}, {5, 2, 0}, {5, 2, 6}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PassAtK%v did not panic", a)
				}
			}()
			PassAtK(a[0], a[1], a[2])
		}()
	}
}
