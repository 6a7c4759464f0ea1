package stats

import (
	"strconv"
	"testing"
)

func BenchmarkIQM(b *testing.B) {
	for _, n := range []int{10, 100} {
		x := sample(n, 1)
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				IQM(x)
			}
		})
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

func BenchmarkUnpairedDiff(b *testing.B) {
	x, y := sample(20, 1), sample(20, 2)
	b.ReportAllocs()
	for b.Loop() {
		UnpairedDiff(x, y, 0.95, 2000, 1)
	}
}

func BenchmarkProbImprovementCI(b *testing.B) {
	x, y := sample(20, 1), sample(20, 2)
	b.ReportAllocs()
	for b.Loop() {
		ProbImprovementCI(x, y, 0.95, 2000, 1)
	}
}

func BenchmarkProfileCI(b *testing.B) {
	runs := make([][]float64, 20)
	for i := range runs {
		runs[i] = sample(14, uint64(i))
	}
	// The thresholds of a profile of a metric in [0, 1].
	tau := make([]float64, 101)
	for i := range tau {
		tau[i] = float64(i) / 100
	}
	dst := make([]Interval, len(tau))
	b.ReportAllocs()
	for b.Loop() {
		ProfileCI(dst, runs, tau, 0.95, 2000, 1)
	}
}

func BenchmarkSignFlipTest(b *testing.B) {
	for _, n := range []int{12, 20} { // exact below 2^n <= 10000, else Monte Carlo
		d := sample(n, 3)
		for i := range d {
			d[i] -= 0.4
		}
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				SignFlipTest(d, 10000, 1)
			}
		})
	}
}

func BenchmarkPermutationTest(b *testing.B) {
	x, y := sample(20, 1), sample(20, 2)
	b.ReportAllocs()
	for b.Loop() {
		PermutationTest(x, y, 10000, 1)
	}
}
