package results

import (
	"math"
	"math/bits"
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

// ProbImprovementCI returns ProbImprovement(x, y) with a percentile-bootstrap
// confidence interval at level (see BootstrapCI for the quantiles): each
// resample draws len(x) values of x and, independently, len(y) values of
// y with replacement. It is AvgProbImprovementCI with a single stratum; N
// is len(x) + len(y). NaN values are left out. It returns NaNs with N = 0
// if x or y has no value.
func ProbImprovementCI(x, y []float64, level float64, resamples int, seed uint64) Interval {
	return AvgProbImprovementCI([][]float64{x}, [][]float64{y}, level, resamples, seed)
}

// AvgProbImprovement returns the probability of improvement of x over y
// averaged over strata: the mean over s of ProbImprovement(x[s], y[s]),
// leaving out NaN values and strata where either side has none. It returns
// NaN if no stratum has values on both sides. It panics if len(x) !=
// len(y).
func AvgProbImprovement(x, y [][]float64) float64 {
	return newPIStrata(x, y).estimate()
}

// AvgProbImprovementCI returns AvgProbImprovement(x, y) with a
// percentile-bootstrap confidence interval at level. x[s][i] is the value
// of run i of the first agent in stratum s (NaN if missing), the same i
// meaning the same run in every stratum; likewise y for the second agent.
// N is the number of runs with a value, of both agents.
//
// The bootstrap resamples runs: each replicate draws the first agent's
// runs with replacement, and independently the second agent's, and keeps
// each drawn run's values in every stratum together (so strata evaluated
// on the same runs keep their dependence, which resampling each stratum on
// its own would hide). Runs of the two agents at the same seed are not
// resampled as pairs: a pairs resample repeats a seed's same-seed
// comparison, which the estimate weighs 1/n and a resample about 2/n, and
// so shifts the replicates whenever same-seed runs are correlated. The
// independent resample is conservative when they are positively correlated.
//
// Each replicate averages the strata as AvgProbImprovement does, computing
// each Mann-Whitney statistic in O(n) from presorted values and integer
// resample counts, so the result is exact and does not depend on the order
// of the strata. It panics if len(x) != len(y) or under the conditions of
// BootstrapCI.
func AvgProbImprovementCI(x, y [][]float64, level float64, resamples int, seed uint64) Interval {
	checkBootstrap(level, resamples)
	p := newPIStrata(x, y)
	point := p.estimate()
	if math.IsNaN(point) {
		return Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	reps := make([]float64, 0, resamples)
	counts := make([]int, p.nx+p.ny)
	src := rand.NewPCG(seed, bootstrapStream)
	for range resamples {
		clear(counts)
		drawCounts(counts[:p.nx], p.nx, src)
		drawCounts(counts[p.nx:], p.ny, src)
		if v := p.average(counts); !math.IsNaN(v) {
			reps = append(reps, v)
		}
	}
	if len(reps) == 0 {
		return Interval{Point: point, Lo: math.NaN(), Hi: math.NaN(), N: p.nx + p.ny}
	}
	slices.Sort(reps)
	lo, hi := percentileBounds(reps, level)
	return Interval{Point: point, Lo: lo, Hi: hi, N: p.nx + p.ny}
}

// piStrata holds strata of two samples laid out for weighted Mann-Whitney
// statistics: every value belongs to a run, a resampling unit (an index
// into a vector of counts: the first agent's runs, then the second's).
type piStrata struct {
	strata []piStratum
	nx, ny int // runs with values
	ones   []int
}

// piStratum is one stratum: values, their runs and their positions in
// ascending order of value.
type piStratum struct {
	x, y   []float64
	xu, yu []int
	xo, yo []int
}

func newPIStrata(x, y [][]float64) *piStrata {
	if len(x) != len(y) {
		panic("results: probability of improvement over different numbers of strata")
	}
	p := &piStrata{}
	xu := runUnits(x, 0)
	p.nx = countUnits(xu)
	yu := runUnits(y, p.nx)
	p.ny = countUnits(yu)
	for s := range x {
		var st piStratum
		for i, v := range x[s] {
			if !math.IsNaN(v) {
				st.x = append(st.x, v)
				st.xu = append(st.xu, xu[i])
			}
		}
		for i, v := range y[s] {
			if !math.IsNaN(v) {
				st.y = append(st.y, v)
				st.yu = append(st.yu, yu[i])
			}
		}
		if len(st.x) == 0 || len(st.y) == 0 {
			continue
		}
		st.xo = argsort(st.x)
		st.yo = argsort(st.y)
		p.strata = append(p.strata, st)
	}
	p.ones = make([]int, p.nx+p.ny)
	for i := range p.ones {
		p.ones[i] = 1
	}
	return p
}

// runUnits numbers, from first, the runs i that have a non-NaN value in
// some stratum of v; other runs get -1.
func runUnits(v [][]float64, first int) []int {
	n := 0
	for _, r := range v {
		n = max(n, len(r))
	}
	u := make([]int, n)
	next := first
	for i := range u {
		u[i] = -1
		for _, r := range v {
			if i < len(r) && !math.IsNaN(r[i]) {
				u[i] = next
				next++
				break
			}
		}
	}
	return u
}

func countUnits(u []int) int {
	n := 0
	for _, v := range u {
		if v >= 0 {
			n++
		}
	}
	return n
}

// argsort returns the positions of v in ascending order of value, ties in
// order of position.
func argsort(v []float64) []int {
	o := make([]int, len(v))
	for i := range o {
		o[i] = i
	}
	slices.SortStableFunc(o, func(a, b int) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	return o
}

func (p *piStrata) estimate() float64 { return p.average(p.ones) }

// average returns the mean over strata of the weighted probability of
// improvement under the given counts per unit, leaving out strata whose
// x or y has zero total count, or NaN if none remains.
func (p *piStrata) average(counts []int) float64 {
	var sum float64
	var k int
	for i := range p.strata {
		if v := p.strata[i].prob(counts); !math.IsNaN(v) {
			sum += v
			k++
		}
	}
	if k == 0 {
		return math.NaN()
	}
	return sum / float64(k)
}

// prob returns sum_ij c(x_i) c(y_j) h(x_i, y_j) / (sum c(x) sum c(y)), with
// h = 1 if x_i > y_j, 1/2 if equal and 0 otherwise: the Mann-Whitney U of
// the resampled values over their product of sizes. It counts in halves,
// in integers, and merges the two sorted orders in one pass.
func (s *piStratum) prob(counts []int) float64 {
	var nx, ny int
	for _, u := range s.xu {
		nx += counts[u]
	}
	for _, u := range s.yu {
		ny += counts[u]
	}
	if nx == 0 || ny == 0 {
		return math.NaN()
	}
	var halves, less, j int // less: total count of y values below the current x
	for _, i := range s.xo {
		c := counts[s.xu[i]]
		if c == 0 {
			continue
		}
		xi := s.x[i]
		for j < len(s.yo) && s.y[s.yo[j]] < xi {
			less += counts[s.yu[s.yo[j]]]
			j++
		}
		eq := 0
		for k := j; k < len(s.yo) && s.y[s.yo[k]] == xi; k++ {
			eq += counts[s.yu[s.yo[k]]]
		}
		halves += c * (2*less + eq)
	}
	return float64(halves) / float64(2*nx*ny)
}

// ProfileCI fills dst with a performance profile and its pointwise
// percentile-bootstrap band: dst[t].Point is the fraction of runs whose
// score exceeds tau[t], and Lo and Hi bound it at level. It returns dst,
// allocated if it is shorter than tau.
//
// runs[i] holds the scores of run i. With more than one score per run (for
// example one per split, to pool several splits), run i contributes the
// fraction of its non-NaN scores above tau, so each score of a run has
// equal weight; runs with no scores are left out. The bootstrap resamples
// runs with replacement (math/rand/v2 PCG seeded by seed), keeping each
// run's scores together, and the band is the (1-level)/2 and (1+level)/2
// quantiles of the replicates at each tau (not a simultaneous band). N is
// the number of runs with scores. ProfileCI panics under the conditions of
// BootstrapCI.
func ProfileCI(dst []Interval, runs [][]float64, tau []float64, level float64, resamples int, seed uint64) []Interval {
	checkBootstrap(level, resamples)
	if len(dst) < len(tau) {
		dst = make([]Interval, len(tau))
	}
	dst = dst[:len(tau)]
	// g[i*T+t] is run i's fraction of scores above tau[t].
	T := len(tau)
	var g []float64
	n := 0
	for _, r := range runs {
		k := 0
		for _, v := range r {
			if !math.IsNaN(v) {
				k++
			}
		}
		if k == 0 {
			continue
		}
		for _, th := range tau {
			above := 0
			for _, v := range r {
				if v > th {
					above++
				}
			}
			g = append(g, float64(above)/float64(k))
		}
		n++
	}
	if n == 0 {
		for t := range dst {
			dst[t] = Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
		}
		return dst
	}
	for t := range T {
		var sum float64
		for i := range n {
			sum += g[i*T+t]
		}
		dst[t] = Interval{Point: sum / float64(n), N: n}
	}
	if n == 1 {
		for t := range dst {
			dst[t].Lo, dst[t].Hi = dst[t].Point, dst[t].Point
		}
		return dst
	}
	reps := make([]float64, T*resamples) // reps[t*resamples+r]
	counts := make([]int, n)
	src := rand.NewPCG(seed, bootstrapStream)
	for r := range resamples {
		clear(counts)
		drawCounts(counts, n, src)
		for t := range T {
			var sum float64
			for i, c := range counts {
				if c != 0 {
					sum += float64(c) * g[i*T+t]
				}
			}
			reps[t*resamples+r] = sum / float64(n)
		}
	}
	for t := range T {
		row := reps[t*resamples : (t+1)*resamples]
		slices.Sort(row)
		dst[t].Lo, dst[t].Hi = percentileBounds(row, level)
	}
	return dst
}
