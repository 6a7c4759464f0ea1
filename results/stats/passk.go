package stats

import "fmt"

// PassAtK is the unbiased estimator of pass@k from n samples of a task of
// which c passed (Chen et al. 2021, "Evaluating Large Language Models
// Trained on Code"): the probability that at least one of k samples drawn
// without replacement from the n passes,
//
//	pass@k = 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i),
//
// computed as the product to stay exact for large n. Its mean over tasks
// is an unbiased estimate of the mean over tasks of 1 - (1-p)^k, where p is
// a task's pass probability. It panics unless 0 <= c <= n and 1 <= k <= n:
// those are programming errors.
func PassAtK(n, c, k int) float64 {
	if c < 0 || c > n || k < 1 || k > n {
		panic(fmt.Sprintf("stats: PassAtK(n=%d, c=%d, k=%d) needs 0 <= c <= n and 1 <= k <= n", n, c, k))
	}
	if n-c < k {
		return 1
	}
	q := 1.0
	for i := n - c + 1; i <= n; i++ {
		q *= 1 - float64(k)/float64(i)
	}
	return 1 - q
}
