package results_test

import (
	"fmt"

	"github.com/grindbench/grindbench/results"
)

func ExampleIQM() {
	// Success rates of eight runs. IQM drops the two lowest and two highest
	// (scipy.stats.trim_mean(x, 0.25)) and averages the rest.
	x := []float64{0.1, 0.6, 0.7, 0.65, 0.7, 0.75, 0.95, 0.72}
	fmt.Printf("mean %.4f  median %.4f  IQM %.4f\n", results.Mean(x), results.Median(x), results.IQM(x))
	// Output:
	// mean 0.6462  median 0.7000  IQM 0.6925
}

func ExampleBootstrapCI() {
	x := []float64{0.62, 0.71, 0.68, 0.75, 0.66, 0.70, 0.73, 0.69, 0.64, 0.72}
	ci := results.BootstrapCI(x, results.IQM, 0.95, 2000, 1)
	again := results.BootstrapCI(x, results.IQM, 0.95, 2000, 1)
	fmt.Printf("IQM %.3f, 95%% CI [%.3f, %.3f] over %d runs; reproducible: %v\n", ci.Point, ci.Lo, ci.Hi, ci.N, ci == again)
	// Output:
	// IQM 0.693, 95% CI [0.660, 0.718] over 10 runs; reproducible: true
}

func ExamplePairedDiff() {
	// Agent a and baseline b at the same five seeds.
	a := []float64{0.70, 0.74, 0.69, 0.80, 0.72}
	b := []float64{0.65, 0.70, 0.70, 0.71, 0.66}
	d := results.PairedDiff(a, b, 0.95, 2000, 1)
	fmt.Printf("a - b = %+.3f [%+.3f, %+.3f], P(a > b) = %.2f\n", d.Point, d.Lo, d.Hi, results.ProbImprovement(a, b))
	// Output:
	// a - b = +0.046 [+0.014, +0.072], P(a > b) = 0.80
}
