package stats

import (
	"cmp"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// HolmAdjust writes into dst the p-values p adjusted by Holm's step-down
// procedure, and returns dst: with the m non-NaN p-values in ascending
// order p(1) <= ... <= p(m), the adjusted value of p(i) is
// max over j <= i of min(1, (m-j+1) p(j)). Rejecting every hypothesis whose
// adjusted p-value is at most alpha controls the family-wise error rate at
// alpha. NaN p-values are not part of the family and stay NaN. dst may be
// p. HolmAdjust panics if len(dst) != len(p).
func HolmAdjust(dst, p []float64) []float64 {
	if len(dst) != len(p) {
		panic("stats: HolmAdjust destination length mismatch")
	}
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	adj := make([]float64, len(idx))
	m := len(idx)
	run := 0.0
	for k, i := range idx {
		run = math.Max(run, math.Min(1, float64(m-k)*p[i]))
		adj[k] = run
	}
	for i := range dst {
		if math.IsNaN(p[i]) {
			dst[i] = math.NaN()
		}
	}
	for k, i := range idx {
		dst[i] = adj[k]
	}
	return dst
}

// testStream is the second PCG seed word of the permutation tests.
const testStream = 0xbb67ae8584caa73b

// atLeast reports whether |t| >= obs up to rounding: relabelled sums are
// computed in other orders than the observed one.
func atLeast(t, obs, scale float64) bool { return math.Abs(t) >= obs-1e-9*scale }

// SignFlipTest returns the two-sided p-value of the sign-flip permutation
// test that paired differences d are symmetric about 0, with the statistic
// |sum(d)| (equivalently |mean(d)|). If 2^len(d) <= permutations the test
// is exact: the fraction of the 2^n sign vectors whose statistic reaches
// the observed one. Otherwise it draws permutations random sign vectors
// from a PCG source seeded with seed and returns (1+k)/(permutations+1),
// where k counts the draws reaching the observed statistic. All-zero d
// gives 1; an empty d gives NaN. It panics if permutations < 1.
func SignFlipTest(d []float64, permutations int, seed uint64) float64 {
	if permutations < 1 {
		panic("stats: permutations < 1")
	}
	n := len(d)
	if n == 0 {
		return math.NaN()
	}
	// A sign vector flipping the subset F gives sum(d) - 2 sum(d[F]), so
	// only the flipped values need adding.
	var total, scale float64
	for _, v := range d {
		total += v
		scale += math.Abs(v)
	}
	obs := math.Abs(total)
	if n < 62 && 1<<n <= permutations {
		k := 0
		for mask := range uint64(1) << n {
			var f float64
			for m := mask; m != 0; m &= m - 1 {
				f += d[bits.TrailingZeros64(m)]
			}
			if atLeast(total-2*f, obs, scale) {
				k++
			}
		}
		return float64(k) / float64(int(1)<<n)
	}
	rnd := rand.New(rand.NewPCG(seed, testStream))
	k := 0
	for range permutations {
		var f float64
		for w := 0; w < n; w += 64 {
			m := rnd.Uint64()
			if rest := n - w; rest < 64 {
				m &= 1<<rest - 1
			}
			for ; m != 0; m &= m - 1 {
				f += d[w+bits.TrailingZeros64(m)]
			}
		}
		if atLeast(total-2*f, obs, scale) {
			k++
		}
	}
	return float64(1+k) / float64(permutations+1)
}

// PermutationTest returns the two-sided p-value of the permutation test
// that x and y come from the same distribution, with the statistic
// |mean(x) − mean(y)|: the values are pooled and relabelled into groups of
// len(x) and len(y). If the number of relabellings C(n, len(x)) is at most
// permutations the test is exact (the fraction of all relabellings whose
// statistic reaches the observed one); otherwise it draws permutations
// random relabellings from a PCG source seeded with seed and returns
// (1+k)/(permutations+1). It returns NaN if x or y is empty and panics if
// permutations < 1.
func PermutationTest(x, y []float64, permutations int, seed uint64) float64 {
	if permutations < 1 {
		panic("stats: permutations < 1")
	}
	nx, ny := len(x), len(y)
	if nx == 0 || ny == 0 {
		return math.NaN()
	}
	pool := append(slices.Clone(x), y...)
	var total, scale float64
	for _, v := range pool {
		total += v
		scale = math.Max(scale, math.Abs(v))
	}
	stat := func(sx float64) float64 { return sx/float64(nx) - (total-sx)/float64(ny) }
	var sx float64
	for _, v := range x {
		sx += v
	}
	obs := math.Abs(stat(sx))

	if c := binomial(nx+ny, nx, permutations); c <= permutations {
		// Enumerate the nx-subsets of the pool in lexicographic order.
		idx := make([]int, nx)
		for i := range idx {
			idx[i] = i
		}
		k := 0
		for {
			var s float64
			for _, i := range idx {
				s += pool[i]
			}
			if atLeast(stat(s), obs, scale) {
				k++
			}
			i := nx - 1
			for i >= 0 && idx[i] == ny+i {
				i--
			}
			if i < 0 {
				break
			}
			idx[i]++
			for j := i + 1; j < nx; j++ {
				idx[j] = idx[j-1] + 1
			}
		}
		return float64(k) / float64(c)
	}
	rnd := rand.New(rand.NewPCG(seed, testStream))
	n := nx + ny
	k := 0
	for range permutations {
		var s float64
		for i := range nx { // a partial Fisher-Yates shuffle picks a uniform nx-subset
			j := i + rnd.IntN(n-i)
			pool[i], pool[j] = pool[j], pool[i]
			s += pool[i]
		}
		if atLeast(stat(s), obs, scale) {
			k++
		}
	}
	return float64(1+k) / float64(permutations+1)
}

// binomial returns C(n, k), or limit+1 if it exceeds limit.
func binomial(n, k, limit int) int {
	k = min(k, n-k)
	c := 1
	for i := 1; i <= k; i++ {
		c = c * (n - k + i) / i // C(n-k+i, i): exact, increasing in i
		if c > limit {
			return limit + 1
		}
	}
	return c
}

// MinSignFlipP is the smallest p-value SignFlipTest can return for n
// distinct nonzero differences.
func MinSignFlipP(n, permutations int) float64 {
	if n < 62 && 1<<n <= permutations {
		return math.Min(1, 2/float64(int(1)<<n))
	}
	return 1 / float64(permutations+1)
}

// MinPermutationP is the smallest p-value PermutationTest can return for
// nx and ny distinct values.
func MinPermutationP(nx, ny, permutations int) float64 {
	if c := binomial(nx+ny, nx, permutations); c <= permutations {
		if nx == ny {
			return math.Min(1, 2/float64(c)) // a relabelling and its mirror image tie
		}
		return 1 / float64(c)
	}
	return 1 / float64(permutations+1)
}
