package results

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// The statistics in this file are computed over per-run scores: one value
// per run (for example the success rate of one agent at one seed on one
// split), never over the 0/1 outcomes of single tasks. None of them modify
// their arguments, and all of them are deterministic: the bootstrap draws
// come from a math/rand/v2 PCG source seeded by the caller.

// Mean returns the arithmetic mean of x, summed in order. It returns NaN
// for an empty x.
func Mean(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return stat.Mean(x, nil)
}

// Median returns the median of x: the middle value of the sorted values for
// an odd length, the mean of the two middle values for an even length (as
// numpy.median). It returns NaN for an empty x.
func Median(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	s := sortedCopy(x)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// IQM returns the interquartile mean of x, the 25% trimmed mean used by
// rliable (Agarwal et al., 2021, "Deep reinforcement learning at the edge of
// the statistical precipice"). It matches scipy.stats.trim_mean(x, 0.25):
// with n = len(x), k = floor(0.25*n) values are dropped from each end of the
// sorted values and the remaining n-2k are averaged. So nothing is dropped
// for n < 4, one value from each end for n = 4..7, two for n = 8..11, and so
// on; ties are kept by position, not by value. It returns NaN for an empty x.
func IQM(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	s := sortedCopy(x)
	k := n / 4 // int(0.25*n) in scipy; identical for every n.
	return stat.Mean(s[k:n-k], nil)
}

// sortedCopy returns x in ascending order, copying it only when it is not
// already sorted. The result must not be modified.
func sortedCopy(x []float64) []float64 {
	if slices.IsSorted(x) {
		return x
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return s
}

// Interval is a point estimate with a confidence interval [Lo, Hi] computed
// from N values.
type Interval struct {
	Point, Lo, Hi float64
	N             int
}

// BootstrapCI returns stat(x) with a percentile-bootstrap confidence
// interval at the given level (for example 0.95).
//
// The method: draw resamples samples of len(x) values from x uniformly with
// replacement, compute stat on each, and take the (1-level)/2 and
// (1+level)/2 quantiles of those replicates (gonum stat.Quantile with
// stat.LinInterp, R type 4) as Lo and Hi. Point is stat(x) on the original
// sample. The draws come from rand.New(rand.NewPCG(seed, bootstrapStream)),
// so the same x, stat, level, resamples and seed give the same interval bit
// for bit.
//
// Each resample is handed to stat in ascending order (the draws are counted
// per sorted position and written out in order), so order-based statistics
// such as IQM and Median need not sort; stat must therefore be a symmetric
// function of its input, and must not retain or modify its argument. The resample and
// replicate buffers are allocated once per call and reused.
//
// For an empty x every field but N is NaN. For len(x) == 1, Lo and Hi equal
// Point. BootstrapCI panics if level is not in (0, 1) or resamples < 1.
func BootstrapCI(x []float64, stat func([]float64) float64, level float64, resamples int, seed uint64) Interval {
	checkBootstrap(level, resamples)
	n := len(x)
	switch n {
	case 0:
		return Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	case 1:
		p := stat(x)
		return Interval{Point: p, Lo: p, Hi: p, N: 1}
	}
	reps := BootstrapReplicates(make([]float64, resamples), x, stat, seed)
	slices.Sort(reps)
	lo, hi := percentileBounds(reps, level)
	return Interval{Point: stat(x), Lo: lo, Hi: hi, N: n}
}

// bootstrapStream is the second PCG seed word of every bootstrap source, so
// that bootstrap streams differ from other streams seeded with the same
// first word.
const bootstrapStream = 0x6a09e667f3bcc908

// BootstrapReplicates fills dst with len(dst) bootstrap replicates of
// stat(x), as drawn by BootstrapCI with the same seed, and returns dst. Each
// resample is handed to stat in ascending order. It panics if x is empty.
func BootstrapReplicates(dst, x []float64, stat func([]float64) float64, seed uint64) []float64 {
	n := len(x)
	if n == 0 {
		panic("results: bootstrap of an empty sample")
	}
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	rnd := rand.New(rand.NewPCG(seed, bootstrapStream))
	counts := make([]int, n)
	sample := make([]float64, n)
	for r := range dst {
		clear(counts)
		for range n {
			counts[rnd.IntN(n)]++
		}
		j := 0
		for i, c := range counts {
			for range c {
				sample[j] = sorted[i]
				j++
			}
		}
		dst[r] = stat(sample)
	}
	return dst
}

// percentileBounds returns the two-sided percentile interval at level from
// sorted replicates.
func percentileBounds(sorted []float64, level float64) (lo, hi float64) {
	a := (1 - level) / 2
	return stat.Quantile(a, stat.LinInterp, sorted, nil), stat.Quantile(1-a, stat.LinInterp, sorted, nil)
}

func checkBootstrap(level float64, resamples int) {
	if !(level > 0 && level < 1) {
		panic("results: bootstrap level not in (0, 1)")
	}
	if resamples < 1 {
		panic("results: bootstrap resamples < 1")
	}
}

// PairedDiff returns the mean of the paired differences a[i]-b[i] with a
// percentile-bootstrap confidence interval that resamples pairs (see
// BootstrapCI for the method). The caller guarantees that a[i] and b[i]
// come from the same seed. Identical a and b give exactly 0 with a CI of
// [0, 0]. PairedDiff panics if len(a) != len(b).
func PairedDiff(a, b []float64, level float64, resamples int, seed uint64) Interval {
	if len(a) != len(b) {
		panic("results: paired samples of different lengths")
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return BootstrapCI(d, Mean, level, resamples, seed)
}

// ProbImprovement returns the probability that a run drawn from x scores
// higher than a run drawn from y, ties counting one half: the Mann-Whitney
// U statistic of x over y divided by len(x)*len(y). It is 0.5 for identical
// samples and 1 when every x exceeds every y. It returns NaN if either is
// empty.
func ProbImprovement(x, y []float64) float64 {
	if len(x) == 0 || len(y) == 0 {
		return math.NaN()
	}
	// Count in halves so that the sum is exact.
	var halves int
	for _, xi := range x {
		for _, yj := range y {
			switch {
			case xi > yj:
				halves += 2
			case xi == yj:
				halves++
			}
		}
	}
	return float64(halves) / float64(2*len(x)*len(y))
}
