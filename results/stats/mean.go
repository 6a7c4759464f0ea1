package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

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
