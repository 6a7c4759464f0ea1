package stats

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

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
		panic("stats: bootstrap of an empty sample")
	}
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	src := rand.NewPCG(seed, bootstrapStream)
	counts := make([]int, n)
	sample := make([]float64, n)
	for r := range dst {
		clear(counts)
		drawCounts(counts, n, src)
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

// drawCounts makes draws uniform draws of an index into counts, with
// replacement, and increments the count of each index drawn. The draws are
// those of rand.New(src).IntN(len(counts)), computed here with the concrete
// source so that the hot loop makes no interface calls.
func drawCounts(counts []int, draws int, src *rand.PCG) {
	n := uint64(len(counts))
	if n&(n-1) == 0 { // a power of two: IntN masks
		for range draws {
			counts[src.Uint64()&(n-1)]++
		}
		return
	}
	for range draws {
		// Lemire's multiply-shift with rejection, as math/rand/v2's uint64n.
		hi, lo := bits.Mul64(src.Uint64(), n)
		if lo < n {
			thresh := -n % n
			for lo < thresh {
				hi, lo = bits.Mul64(src.Uint64(), n)
			}
		}
		counts[hi]++
	}
}

// percentileBounds returns the two-sided percentile interval at level from
// sorted replicates.
func percentileBounds(sorted []float64, level float64) (lo, hi float64) {
	a := (1 - level) / 2
	return stat.Quantile(a, stat.LinInterp, sorted, nil), stat.Quantile(1-a, stat.LinInterp, sorted, nil)
}

func checkBootstrap(level float64, resamples int) {
	if !(level > 0 && level < 1) {
		panic("stats: bootstrap level not in (0, 1)")
	}
	if resamples < 1 {
		panic("stats: bootstrap resamples < 1")
	}
}

// PairedDiff returns the mean of the paired differences a[i]-b[i] with a
// percentile-bootstrap confidence interval that resamples pairs (see
// BootstrapCI for the method). The caller guarantees that a[i] and b[i]
// come from the same seed. Identical a and b give exactly 0 with a CI of
// [0, 0]. PairedDiff panics if len(a) != len(b).
func PairedDiff(a, b []float64, level float64, resamples int, seed uint64) Interval {
	if len(a) != len(b) {
		panic("stats: paired samples of different lengths")
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return BootstrapCI(d, Mean, level, resamples, seed)
}

// UnpairedDiff returns mean(x) − mean(y) with a percentile-bootstrap
// confidence interval at level that resamples x and y independently (each
// from its own stream, both keyed by seed; see BootstrapCI for the method).
// N is len(x)+len(y). If either sample is empty every field but N is NaN.
// It panics if level is not in (0, 1) or resamples < 1.
func UnpairedDiff(x, y []float64, level float64, resamples int, seed uint64) Interval {
	checkBootstrap(level, resamples)
	n := len(x) + len(y)
	if len(x) == 0 || len(y) == 0 {
		return Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), N: n}
	}
	rx := BootstrapReplicates(make([]float64, resamples), x, Mean, seed)
	ry := BootstrapReplicates(make([]float64, resamples), y, Mean, seed^0x3c6ef372fe94f82b)
	for i := range rx {
		rx[i] -= ry[i]
	}
	slices.Sort(rx)
	lo, hi := percentileBounds(rx, level)
	return Interval{Point: Mean(x) - Mean(y), Lo: lo, Hi: hi, N: n}
}
