package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

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

// AvgProbImprovementPoint returns AvgProbImprovement(x, y) as Point and the
// number of runs with a value, of both agents, as N, without an interval
// (Lo and Hi are NaN): what AvgProbImprovementCI returns but its bounds.
func AvgProbImprovementPoint(x, y [][]float64) Interval {
	p := newPIStrata(x, y)
	point := p.estimate()
	if math.IsNaN(point) {
		return Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return Interval{Point: point, Lo: math.NaN(), Hi: math.NaN(), N: p.nx + p.ny}
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
		panic("stats: probability of improvement over different numbers of strata")
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
