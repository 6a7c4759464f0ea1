package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

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
