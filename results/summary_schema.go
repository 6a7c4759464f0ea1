package results

// SummaryColumn documents one column of summary.csv.
type SummaryColumn struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
}

// SummaryKind documents one kind of summary.csv row: what its numbers are,
// what lo and hi bound, and what n counts.
type SummaryKind struct {
	Kind string `json:"kind"`
	Doc  string `json:"doc"`
	LoHi string `json:"lo_hi"` // what the interval [lo, hi] bounds
	N    string `json:"n"`     // what n counts
}

var summaryColumnDocs = map[string]string{
	"kind":             "row kind (see the kinds below); every kind fills the columns its description names, others are empty",
	"point":            "sweep point label (\"default\" without a [sweep]); with a [sweep], one more column per swept knob follows the last column, named by its knob path (env.verifier.coverage) and holding the point's value",
	"split":            "evaluation split; \"all\", \"prior\" or \"held-out\" for rows averaged over splits",
	"day":              "checkpoint: days completed (0 = before the job)",
	"agent":            "agent name",
	"baseline":         "the agent compared against (diff, pi, pi_mean rows): [report] baseline, or for a [report] pairs entry the pair's second agent; empty otherwise",
	"metric":           "metric name (`grind compare --list-metrics` lists them with their directions)",
	"n":                "how many values the row aggregates; see each kind",
	"mean":             "mean over runs (cell-like rows), mean paired difference (diff), or probability of improvement (pi, pi_mean)",
	"median":           "median over runs (cell-like rows); empty otherwise",
	"iqm":              "interquartile mean over runs (cell-like rows): the mean of the middle 50% (scipy trim_mean 0.25); empty otherwise",
	"lo":               "lower end of the confidence interval; see each kind for what it bounds",
	"hi":               "upper end of the confidence interval",
	"level":            "confidence level of [lo, hi] (0.95 unless the config says otherwise)",
	"prob_improvement": "diff, pi and pi_mean rows: probability that a run of agent beats a run of baseline (ties count one half); empty otherwise",
}

var summaryKinds = []SummaryKind{
	{"cell", "a metric of one agent in one stratum (point, split, day): one value per run", "the IQM, by a seeded percentile bootstrap over runs", "runs (seeds) of the agent in the stratum"},
	{"diff", "agent - baseline, paired at matched seeds (same tasks, same noise): every agent against [report] baseline, and each [report] pairs entry [agent, baseline]", "the mean paired difference, resampling pairs", "seed pairs present for both agents"},
	{"pi", "probability of improvement of agent over baseline in the stratum", "the probability of improvement, resampling pairs", "seed pairs"},
	{"pi_mean", "probability of improvement averaged over the held-out splits (split \"held-out\")", "the averaged probability, resampling runs of both agents", "runs of both agents, summed over the splits averaged"},
	{"gap", "generalization gap: the metric on train minus on this split, per run", "the IQM of the per-run gaps", "runs"},
	{"forgetting", "forgetting: the best earlier checkpoint's value minus this day's, per run", "the IQM of the per-run forgetting", "runs"},
	{"acc", "average accuracy over the splits named by split (GEM ACC)", "the IQM over runs", "runs"},
	{"bwt", "backward transfer over the prior splits (split \"prior\"): change since day 0", "the IQM over runs", "runs"},
	{"fwt", "forward transfer over the held-out splits (split \"held-out\"): change since day 0", "the IQM over runs", "runs"},
	{"session", "a per-run metric of the job's own attempts (split \"job\", day the last checkpoint): morning_success, true success over the first bin of slots (an eighth of a session's slots, rounded up) of every session after the first; session_gain, the last bin's success minus the first's, pooling every session", "the IQM, by a seeded percentile bootstrap over runs", "runs with attempt records"},
	{"session_diff", "a session metric of agent - baseline, paired at matched seeds", "the mean paired difference, resampling pairs", "seed pairs"},
}

// SummarySchema documents summary.csv: its columns in order, and each row
// kind.
func SummarySchema() ([]SummaryColumn, []SummaryKind) {
	cols := make([]SummaryColumn, len(summaryCSVHeader))
	for i, name := range summaryCSVHeader {
		cols[i] = SummaryColumn{name, summaryColumnDocs[name]}
	}
	return cols, append([]SummaryKind(nil), summaryKinds...)
}
