package stats_test

import (
	"fmt"

	"github.com/grindbench/grindbench/results/stats"
)

func ExampleIQM() {
	// Success rates of eight runs. IQM drops the two lowest and two highest
	// (scipy.stats.trim_mean(x, 0.25)) and averages the rest.
	x := []float64{0.1, 0.6, 0.7, 0.65, 0.7, 0.75, 0.95, 0.72}
	fmt.Printf("mean %.4f  median %.4f  IQM %.4f\n", stats.Mean(x), stats.Median(x), stats.IQM(x))
	// Output:
	// mean 0.6462  median 0.7000  IQM 0.6925
}

func ExampleBootstrapCI() {
	x := []float64{0.62, 0.71, 0.68, 0.75, 0.66, 0.70, 0.73, 0.69, 0.64, 0.72}
	ci := stats.BootstrapCI(x, stats.IQM, 0.95, 2000, 1)
	again := stats.BootstrapCI(x, stats.IQM, 0.95, 2000, 1)
	fmt.Printf("IQM %.3f, 95%% CI [%.3f, %.3f] over %d runs; reproducible: %v\n", ci.Point, ci.Lo, ci.Hi, ci.N, ci == again)
	// Output:
	// IQM 0.693, 95% CI [0.660, 0.718] over 10 runs; reproducible: true
}

func ExamplePairedDiff() {
	// Agent a and baseline b at the same five seeds.
	a := []float64{0.70, 0.74, 0.69, 0.80, 0.72}
	b := []float64{0.65, 0.70, 0.70, 0.71, 0.66}
	d := stats.PairedDiff(a, b, 0.95, 2000, 1)
	fmt.Printf("a - b = %+.3f [%+.3f, %+.3f], P(a > b) = %.2f\n", d.Point, d.Lo, d.Hi, stats.ProbImprovement(a, b))
	// Output:
	// a - b = +0.046 [+0.014, +0.072], P(a > b) = 0.80
}

func ExampleProbImprovementCI() {
	// Runs of a new agent and of a baseline, not paired by seed.
	a := []float64{0.70, 0.74, 0.69, 0.80, 0.72, 0.75}
	b := []float64{0.65, 0.70, 0.70, 0.71, 0.66, 0.73}
	p := stats.ProbImprovementCI(a, b, 0.95, 2000, 1)
	fmt.Printf("P(a > b) = %.2f [%.2f, %.2f] over %d runs\n", p.Point, p.Lo, p.Hi, p.N)
	// Output:
	// P(a > b) = 0.78 [0.47, 1.00] over 12 runs
}

func ExampleHolmAdjust() {
	// Four cells' p-values: Holm multiplies the smallest by 4, the next by
	// 3, and so on, keeping the adjusted values in the same order.
	p := []float64{0.01, 0.04, 0.03, 0.005}
	fmt.Println(stats.HolmAdjust(make([]float64, len(p)), p))
	// Output:
	// [0.03 0.06 0.06 0.02]
}

func ExampleSignFlipTest() {
	// Paired differences NEW − BASE at six seeds, all positive: of the
	// 2^6 sign vectors only the observed one and its mirror image reach
	// |sum|, so the exact two-sided p-value is 2/64.
	d := []float64{0.02, 0.05, 0.01, 0.04, 0.03, 0.02}
	fmt.Println(stats.SignFlipTest(d, 10000, 1))
	// Output:
	// 0.03125
}
