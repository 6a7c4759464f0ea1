package results

import (
	"math"
	"strconv"
	"strings"
)

// This file is the metric table: the one place that says what each
// per-run quantity of a checkpoint record is. The schema (grind schema),
// summarize, compareRecords (grind compare), the plots and the tables all
// read it; TestMetricTableCoversCheckpoint fails when a numeric column of
// Checkpoint has no entry.

// Direction says which way a metric improves.
type Direction int

// Metric directions.
const (
	// NoDirection marks a metric that is not better when larger or
	// smaller: a diagnostic (a weight norm, a compute counter) or what a
	// learner believes (verdict_reward). grind compare reports a
	// significant change in it as "changed", never as a regression or an
	// improvement, and tables mark no best value.
	NoDirection Direction = iota
	HigherIsBetter
	LowerIsBetter
)

// String returns "higher", "lower" or "none".
func (d Direction) String() string {
	switch d {
	case HigherIsBetter:
		return "higher"
	case LowerIsBetter:
		return "lower"
	}
	return "none"
}

// sign returns +1 for HigherIsBetter, -1 for LowerIsBetter and 0 for
// NoDirection.
func (d Direction) sign() int {
	switch d {
	case HigherIsBetter:
		return 1
	case LowerIsBetter:
		return -1
	}
	return 0
}

// orient returns x signed so that a positive value is better.
func (d Direction) orient(x float64) float64 {
	if d == LowerIsBetter {
		return -x
	}
	return x
}

// Metric is one entry of the metric table: what a per-run quantity is
// called, how to read it from a checkpoint record, which way it improves,
// its unit and bounds, and which outputs show it by default.
type Metric struct {
	// Name is the JSON column of Checkpoint that holds it, or, for a
	// derived metric, its name in grind compare.
	Name string
	// Value reads the metric from a checkpoint record; nil for a derived
	// metric.
	Value func(*Checkpoint) float64
	// ForgettingOf is set for the derived metric forgetting only: the
	// column whose forgetting it is (per run and split, the best value at
	// an earlier checkpoint minus the value now).
	ForgettingOf string
	// From names the columns a per-record derived metric (one with a
	// Value but no column of its own, such as dream_gap) is computed from.
	From []string

	Direction Direction
	Unit      string  // what it measures, for axis labels ("fraction of tasks solved"); "" if the name says it
	Min, Max  float64 // bounds of its values; -Inf or +Inf where unbounded
	Doc       string  // its meaning, without bounds or direction (Schema adds them)

	// Optional marks a column absent unless a config asks for it: Value
	// reads NaN where absent, which the record checks accept.
	Optional bool

	Summarized bool // summarize aggregates it; with a direction, also its gaps, forgetting, transfer and PIs
	Compared   bool // grind compare compares it when no metric is named
	Tabulated  bool // Build writes a split table of it
	Plotted    bool // Build draws its figures (requires Summarized)
}

// unbounded is the upper bound of a metric with none.
var unbounded = math.Inf(1)

// metricTable is every metric, in the order of Summary.Cells, of the
// split tables Build writes and of the metrics grind compare compares by
// default. Every numeric column of Checkpoint is here, including the
// number of tasks and the compute counters: they have no direction and no
// default output, but grind compare --metric can compare them.
var metricTable = []Metric{
	{
		Name: "success_greedy", Value: func(c *Checkpoint) float64 { return c.SuccessGreedy },
		Direction: HigherIsBetter, Unit: "fraction of tasks solved", Min: 0, Max: 1,
		Doc:        "fraction of tasks fully solved with greedy actions",
		Summarized: true, Compared: true, Tabulated: true, Plotted: true,
	},
	{
		Name: "score_greedy", Value: func(c *Checkpoint) float64 { return c.ScoreGreedy },
		Direction: HigherIsBetter, Unit: "mean partial credit", Min: 0, Max: 1,
		Doc:        "mean partial credit with greedy actions",
		Summarized: true, Compared: true,
	},
	{
		Name: "step_acc_greedy", Value: func(c *Checkpoint) float64 { return c.StepAccGreedy },
		Direction: HigherIsBetter, Unit: "fraction of correct steps", Min: 0, Max: 1,
		Doc:        "fraction of correct steps with greedy actions",
		Summarized: true, Compared: true, Tabulated: true,
	},
	{
		Name: "success_sampled", Value: func(c *Checkpoint) float64 { return c.SuccessSampled },
		Direction: HigherIsBetter, Unit: "fraction of tasks solved", Min: 0, Max: 1,
		Doc:        "fraction of tasks fully solved with sampled actions",
		Summarized: true, Compared: true, Tabulated: true,
	},
	{
		Name: "score_sampled", Value: func(c *Checkpoint) float64 { return c.ScoreSampled },
		Direction: HigherIsBetter, Unit: "mean partial credit", Min: 0, Max: 1,
		Doc:        "mean partial credit with sampled actions",
		Summarized: true,
	},
	{
		Name: "step_acc_sampled", Value: func(c *Checkpoint) float64 { return c.StepAccSampled },
		Direction: HigherIsBetter, Unit: "fraction of correct steps", Min: 0, Max: 1,
		Doc: "fraction of correct steps with sampled actions",
	},
	{
		Name: "verdict_reward", Value: func(c *Checkpoint) float64 { return c.VerdictReward },
		Direction: NoDirection, Unit: "mean verdict", Min: 0, Max: 1,
		Doc: "mean verdict on the sampled attempts that got one: what a learner believes, not its true score. " +
			"It has no direction: a verdict reward that rises while success_sampled falls is reward hacking, " +
			"not an improvement, so read it beside success_sampled",
		Summarized: true, Tabulated: true,
	},
	{
		Name: "verdict_coverage", Value: func(c *Checkpoint) float64 { return c.VerdictCovered },
		Direction: NoDirection, Unit: "fraction with a verdict", Min: 0, Max: 1,
		Doc: "fraction of sampled attempts that got a verdict: a property of the verifier",
	},
	{
		Name: "shared_mass", Value: func(c *Checkpoint) float64 { return c.SharedMass },
		Direction: NoDirection, Unit: "squared norm", Min: 0, Max: unbounded,
		Doc: "squared norm of the policy model's shared terms, those that generalize across situations (skills with the bilinear model: the x (x) c channel)",
	},
	{
		Name: "memorizing_mass", Value: func(c *Checkpoint) float64 { return c.MemorizingMass },
		Direction: NoDirection, Unit: "squared norm", Min: 0, Max: unbounded,
		Doc: "squared norm of the policy model's memorizing terms, keyed by an identity a new situation does not share (bilinear: x (x) onehot(id))",
	},
	{
		Name: "temperature", Value: func(c *Checkpoint) float64 { return c.Temperature },
		Direction: NoDirection, Min: 0, Max: unbounded,
		Doc: "softmax temperature of the policy",
	},
	{
		Name: "coverage", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.Coverage) },
		Direction: HigherIsBetter, Unit: "fraction of tasks solved at least once", Min: 0, Max: 1,
		Doc:        "fraction of tasks solved at least once in passk_samples sampled attempts (pass@n); present only with [eval] passk_samples",
		Summarized: true, Tabulated: true,
	},
	{
		Name: "kl_base_current", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.KLBaseCurrent) },
		Direction: NoDirection, Unit: "nats per step", Min: 0, Max: unbounded,
		Doc:        "KL(base || current) per step, averaged over the states the acting policy visits in a sampled attempt of each task of the split; present only with [eval] distance",
		Summarized: true, Tabulated: true,
	},
	{
		Name: "kl_current_base", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.KLCurrentBase) },
		Direction: NoDirection, Unit: "nats per step", Min: 0, Max: unbounded,
		Doc:        "KL(current || base) per step on the same states as kl_base_current; present only with [eval] distance",
		Summarized: true,
	},
	{
		Name: "kl_base_current_job", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.KLBaseCurrentJob) },
		Direction: NoDirection, Unit: "nats per step", Min: 0, Max: unbounded,
		Doc:        "KL(base || current) per step on the states the acting policy visits on the job's own tasks (the same value on every split's record); present only with [eval] distance",
		Summarized: true,
	},
	{
		Name: "kl_current_base_job", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.KLCurrentBaseJob) },
		Direction: NoDirection, Unit: "nats per step", Min: 0, Max: unbounded,
		Doc:        "KL(current || base) per step on the job's own tasks; present only with [eval] distance",
		Summarized: true,
	},
	{
		Name: "l2_from_base", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.L2FromBase) },
		Direction: NoDirection, Unit: "Euclidean distance", Min: 0, Max: unbounded,
		Doc:        "Euclidean distance of the weights from the base model's; present only with [eval] distance",
		Summarized: true,
	},
	{
		Name: "l2_shared", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.L2Shared) },
		Direction: NoDirection, Unit: "Euclidean distance", Min: 0, Max: unbounded,
		Doc:        "Euclidean distance from the base of the model's shared terms; present only with [eval] distance",
		Summarized: true, Tabulated: true,
	},
	{
		Name: "l2_memorizing", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.L2Memorizing) },
		Direction: NoDirection, Unit: "Euclidean distance", Min: 0, Max: unbounded,
		Doc:        "Euclidean distance from the base of the model's memorizing terms; present only with [eval] distance",
		Summarized: true, Tabulated: true,
	},
	{
		Name: "passk_samples", Value: func(c *Checkpoint) float64 { return float64(c.PassKSamples) },
		Direction: NoDirection, Unit: "attempts per task", Min: 0, Max: unbounded,
		Doc: "sampled attempts per task behind pass_at_k and coverage (0: none)",
	},
	{
		Name: "forgetting", ForgettingOf: "success_greedy",
		Direction: LowerIsBetter, Unit: "drop in fraction of tasks solved", Min: -1, Max: 1,
		Doc: "per run and split, the best success_greedy at an earlier checkpoint minus success_greedy now " +
			"(DESIGN 6; positive: lost); undefined at day 0",
	},
	{
		Name: "tasks", Value: func(c *Checkpoint) float64 { return float64(c.Tasks) },
		Direction: NoDirection, Unit: "tasks", Min: 0, Max: unbounded,
		Doc: "tasks evaluated on this split at this checkpoint",
	},
	{
		Name: "attempts", Value: func(c *Checkpoint) float64 { return float64(c.Attempts) },
		Direction: NoDirection, Unit: "attempts", Min: 0, Max: unbounded,
		Doc: "compute counter: cumulative real attempts up to this checkpoint",
	},
	{
		Name: "env_steps", Value: func(c *Checkpoint) float64 { return float64(c.EnvSteps) },
		Direction: NoDirection, Unit: "environment steps", Min: 0, Max: unbounded,
		Doc: "compute counter: cumulative environment steps up to this checkpoint",
	},
	{
		Name: "verifier_calls", Value: func(c *Checkpoint) float64 { return float64(c.VerifierCalls) },
		Direction: NoDirection, Unit: "verifier calls", Min: 0, Max: unbounded,
		Doc: "compute counter: cumulative real verifier calls up to this checkpoint",
	},
	{
		Name: "grad_steps", Value: func(c *Checkpoint) float64 { return float64(c.GradSteps) },
		Direction: NoDirection, Unit: "gradient steps", Min: 0, Max: unbounded,
		Doc: "compute counter: cumulative gradient steps up to this checkpoint",
	},
	{
		Name: "time", Value: func(c *Checkpoint) float64 { return c.Time },
		Direction: NoDirection, Unit: "simulated time", Min: 0, Max: unbounded,
		Doc: "simulated time at this checkpoint (env.grind.attempt_cost per group, delay and waits included); written only by clocked jobs (a grindability knob beyond resets and group_size set), absent (0) otherwise",
	},
	{
		Name: "skipped_slots", Value: func(c *Checkpoint) float64 { return float64(c.SkippedSlots) },
		Direction: NoDirection, Unit: "task slots", Min: 0, Max: unbounded,
		Doc: "task slots of this checkpoint's day that env.grind.day_budget skipped (the day ended when its budget was spent); absent (0) otherwise",
	},
	{
		Name: "phase", Value: func(c *Checkpoint) float64 { return float64(c.Phase) },
		Direction: NoDirection, Unit: "phase", Min: 0, Max: unbounded,
		Doc: "a drifting job's current phase (from 1; 0 before the job or without phases): where each phase ends, for GEM over phases (phases.go); not aggregated",
	},
	// Dreams: absent from the records of agents that never dreamt. The
	// window metrics read NaN there, so they make no cells.
	{
		Name: "dream_attempts", Value: func(c *Checkpoint) float64 { return float64(c.DreamAttempts) },
		Direction: NoDirection, Unit: "dream attempts", Min: 0, Max: unbounded,
		Doc: "compute counter: cumulative dream attempts (imagined, no real verifier call) up to this checkpoint",
	},
	{
		Name: "dream_steps", Value: func(c *Checkpoint) float64 { return float64(c.DreamSteps) },
		Direction: NoDirection, Unit: "dream steps", Min: 0, Max: unbounded,
		Doc: "compute counter: cumulative steps of dream attempts up to this checkpoint",
	},
	{
		Name: "dream_grad_steps", Value: func(c *Checkpoint) float64 { return float64(c.DreamGradSteps) },
		Direction: NoDirection, Unit: "gradient steps", Min: 0, Max: unbounded,
		Doc: "compute counter: the part of grad_steps learnt from dreams, cumulative",
	},
	{
		Name: "learned_verifier_steps", Value: func(c *Checkpoint) float64 { return float64(c.LearnedVerifierSteps) },
		Direction: NoDirection, Unit: "gradient steps", Min: 0, Max: unbounded,
		Doc: "compute counter: cumulative step gradients spent fitting the dream mechanism's learned verifier (not in grad_steps)",
	},
	{
		Name: "dream_reward", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.DreamReward) },
		Direction: NoDirection, Unit: "mean dream verdict", Min: 0, Max: 1,
		Doc: "mean verdict the agent learnt from on its dreams since the last checkpoint (its learned verifier's, or the true scorer's with verifier = oracle): " +
			"what the dreamer believes; read it beside dream_success",
		Summarized: true,
	},
	{
		Name: "dream_success", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.DreamSuccess) },
		Direction: NoDirection, Unit: "fraction of dream attempts solved", Min: 0, Max: 1,
		Doc:        "true success of the same dream attempts (never shown to the agent): dream_reward - dream_success is the dream-versus-real gap",
		Summarized: true,
	},
	{
		Name: "dream_disagreement", Optional: true, Value: func(c *Checkpoint) float64 { return opt(c.DreamDisagreement) },
		Direction: NoDirection, Unit: "fraction of dream attempts", Min: 0, Max: 1,
		Doc:        "fraction of the dream attempts since the last checkpoint on which the learned verifier's verdict differs from the truth",
		Summarized: true,
	},
	{
		Name: "dream_gap", From: []string{"dream_reward", "dream_success"}, Optional: true,
		Value:     func(c *Checkpoint) float64 { return opt(c.DreamReward) - opt(c.DreamSuccess) },
		Direction: NoDirection, Unit: "dream reward - true success", Min: -1, Max: 1,
		Doc: "the dream-versus-real gap: dream_reward - dream_success on the same dreams since the last checkpoint (positive: the dream verifier passes dreams the truth fails); " +
			"derived per record, absent where either is",
		Summarized: true, Tabulated: true,
	},
}

// opt reads an optional column: NaN when absent, so summaries leave the
// run out instead of counting a zero.
func opt(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// Metrics returns a copy of the metric table, in its order.
func Metrics() []Metric { return append([]Metric(nil), metricTable...) }

// LookupMetric returns the entry of the metric table with the given name.
func LookupMetric(name string) (Metric, bool) {
	for _, m := range metricTable {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// DefaultCompareMetrics returns the names of the metrics grind compare
// compares when none are named (those marked Compared), in table order.
func DefaultCompareMetrics() []string {
	var out []string
	for _, m := range metricsWhere(func(m Metric) bool { return m.Compared }) {
		out = append(out, m.Name)
	}
	return out
}

// metricsWhere returns the metrics of the table for which keep is true, in
// table order.
func metricsWhere(keep func(Metric) bool) []Metric {
	var out []Metric
	for _, m := range metricTable {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// summaryMetrics are the metrics summarize aggregates, in the order of
// Summary.Cells.
func summaryMetrics() []Metric {
	return metricsWhere(func(m Metric) bool { return m.Summarized })
}

// derivedMetrics are the summarized metrics with a direction: those whose
// generalization gaps, forgetting, transfer and averaged probability of
// improvement summarize computes.
func derivedMetrics() []Metric {
	return metricsWhere(func(m Metric) bool { return m.Summarized && m.Direction != NoDirection })
}

// metricValue returns the accessor of a column metric. It panics on a
// name that is not a column of the table: callers pass names of metrics
// summarize aggregates.
func metricValue(name string) func(*Checkpoint) float64 {
	m, ok := LookupMetric(name)
	if !ok || m.Value == nil {
		panic("results: unknown metric column " + strconv.Quote(name))
	}
	return m.Value
}

// metricDirection returns the direction of a metric, NoDirection for an
// unknown name.
func metricDirection(name string) Direction {
	m, _ := LookupMetric(name)
	return m.Direction
}

// bounded reports whether both bounds of m are finite.
func (m Metric) bounded() bool {
	return !math.IsInf(m.Min, 0) && !math.IsInf(m.Max, 0)
}

// label returns an axis label for m: its name and unit.
func (m Metric) label() string {
	if m.Unit == "" {
		return m.Name
	}
	return m.Name + " (" + m.Unit + ")"
}

// metricLabel returns the axis label of a metric by name: its name and
// unit, or the name alone if the table does not know it.
func metricLabel(name string) string {
	if m, ok := LookupMetric(name); ok {
		return m.label()
	}
	return name
}

// schemaDoc returns m's meaning as grind schema shows it: the doc, then
// its bounds and direction, e.g. "fraction of tasks fully solved with
// greedy actions (in [0, 1], higher is better)".
func (m Metric) schemaDoc() string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var notes []string
	switch {
	case m.bounded():
		notes = append(notes, "in ["+g(m.Min)+", "+g(m.Max)+"]")
	case !math.IsInf(m.Min, 0):
		notes = append(notes, ">= "+g(m.Min))
	case !math.IsInf(m.Max, 0):
		notes = append(notes, "<= "+g(m.Max))
	}
	switch m.Direction {
	case HigherIsBetter:
		notes = append(notes, "higher is better")
	case LowerIsBetter:
		notes = append(notes, "lower is better")
	default:
		notes = append(notes, "no direction")
	}
	return m.Doc + " (" + strings.Join(notes, ", ") + ")"
}
