package results

import "math"

// Derived per-run quantities: the generalization gap, forgetting and
// transfer of a metric of the metric table (metric.go).
//
// Notation: a run is one (point, agent, seed). a[k][j] is the value of a
// checkpoint metric (for example success_greedy) of one run at checkpoint k
// (k = 0 is the checkpoint before the job, K the last one) on split j.
// Splits have roles, set by summaryOptions:
//
//   - the train split (default "train"): the job's skills, practised during
//     the job;
//   - prior splits (default "pretrain"): skills learned before the job, at
//     pretraining, so "learned" at checkpoint 0;
//   - held-out splits: every other split, never trained on.
//
// The quantities below are computed per run and then aggregated over runs
// within a stratum like any metric (IQM with a percentile-bootstrap CI over
// runs), never over single task outcomes.
//
//   - Generalization gap at checkpoint k on held-out or prior split j:
//     gap[k][j] = a[k][train] - a[k][j]. Positive: the run does better on
//     what it practised than on j.
//
//   - Forgetting at checkpoint k on split j (Chaudhry et al., 2018, as in
//     DESIGN 6): f[k][j] = max_{l<k} a[l][j] - a[k][j], the drop from the
//     best earlier checkpoint. Splits play the role of skill groups: on a
//     prior split it measures forgetting of pretraining skills. It is 0 for
//     a run whose accuracy never changes and negative for one that is
//     better now than at any earlier checkpoint.
//
//   - Average accuracy at checkpoint k (GEM's ACC, Lopez-Paz and Ranzato,
//     2017): ACC[k] = mean_j a[k][j] over every split evaluated.
//
//   - Backward transfer at checkpoint k (GEM's BWT): GEM averages, over
//     tasks learned earlier, final accuracy minus the accuracy just after
//     the task was learned. In a job the skills learned before it are those
//     of the prior splits, learned at checkpoint 0, so
//     BWT[k] = mean_{j in prior} (a[k][j] - a[0][j]). Negative BWT is
//     forgetting caused by the job. The train split is left out: it is
//     learned throughout the job, so no checkpoint marks it as learned.
//
//   - Forward transfer at checkpoint k (GEM's FWT): GEM averages, over
//     tasks not yet learned, their accuracy minus that of the model before
//     any learning. Held-out splits are never learned and the model before
//     the job is checkpoint 0, so FWT[k] = mean_{j in held-out}
//     (a[k][j] - a[0][j]): what practising the job did for skills it never
//     practised.
//
// When a job introduces skills on given days and records carry a split per
// cohort, the same definitions apply with a[0] replaced by the checkpoint
// at which the cohort was learned.

// gap returns the generalization gap train - heldout of one run at one
// checkpoint, NaN if either is NaN.
func gap(train, heldout float64) float64 { return train - heldout }

// forgetting returns max_{l<k} a[l] - a[k] for one run's series a over
// checkpoints on one split, leaving out NaN values. It returns NaN if a[k]
// is NaN or no earlier value is present. It panics if k is out of range.
func forgetting(a []float64, k int) float64 {
	best := math.Inf(-1)
	for _, v := range a[:k] {
		if v > best { // false for NaN
			best = v
		}
	}
	if math.IsInf(best, -1) || math.IsNaN(a[k]) {
		return math.NaN()
	}
	return best - a[k]
}

// averageAccuracy returns GEM's average accuracy: the mean of one run's
// values over splits at one checkpoint, NaN if any is missing (NaN) or
// there are none.
func averageAccuracy(a []float64) float64 {
	if len(a) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, v := range a {
		sum += v
	}
	return sum / float64(len(a))
}

// meanChange returns mean_j (now[j] - then[j]): backward transfer when j runs
// over prior splits, forward transfer when j runs over held-out splits (see
// the definitions above), with then the values at checkpoint 0. It returns
// NaN if any value is NaN or there are none, and panics if the lengths
// differ.
func meanChange(now, then []float64) float64 {
	if len(now) != len(then) {
		panic("results: transfer over different numbers of splits")
	}
	if len(now) == 0 {
		return math.NaN()
	}
	var sum float64
	for j := range now {
		sum += now[j] - then[j]
	}
	return sum / float64(len(now))
}
