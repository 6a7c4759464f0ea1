package results

import (
	"encoding/binary"
	"encoding/csv"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strconv"
)

// Metrics are the checkpoint metrics that Summarize aggregates, in the
// order in which they appear in a Summary.
var Metrics = []string{
	"success_greedy",
	"score_greedy",
	"step_acc_greedy",
	"success_sampled",
	"score_sampled",
	"verdict_reward",
}

// MetricValue returns the value of the named metric in c. The names are the
// JSON names of Checkpoint's float64 fields: every name in Metrics, and
// also step_acc_sampled, verdict_coverage, shared_mass, memorizing_mass and
// temperature. MetricValue panics on any other name.
func MetricValue(c *Checkpoint, metric string) float64 {
	switch metric {
	case "success_greedy":
		return c.SuccessGreedy
	case "score_greedy":
		return c.ScoreGreedy
	case "step_acc_greedy":
		return c.StepAccGreedy
	case "success_sampled":
		return c.SuccessSampled
	case "score_sampled":
		return c.ScoreSampled
	case "step_acc_sampled":
		return c.StepAccSampled
	case "verdict_reward":
		return c.VerdictReward
	case "verdict_coverage":
		return c.VerdictCovered
	case "shared_mass":
		return c.SharedMass
	case "memorizing_mass":
		return c.MemorizingMass
	case "temperature":
		return c.Temperature
	}
	panic("results: unknown metric " + strconv.Quote(metric))
}

// SummaryOptions configures Summarize.
type SummaryOptions struct {
	Baseline  string  // agent compared against; "" for no differences
	Resamples int     // bootstrap resamples (2000 if 0)
	Level     float64 // confidence level (0.95 if 0)

	// Agents, if given, is the order agents appear in (a config's order);
	// agents it does not list follow in order of first appearance.
	Agents []string

	// Seed seeds every bootstrap. Each cell and each difference draws from
	// its own stream, keyed by Seed and a hash of its identity (point,
	// split, day, agent, baseline, metric), so results do not depend on the
	// order of records or on which other cells exist.
	Seed uint64
}

const (
	defaultResamples = 2000
	defaultLevel     = 0.95
)

func (o SummaryOptions) withDefaults() SummaryOptions {
	if o.Resamples == 0 {
		o.Resamples = defaultResamples
	}
	if o.Level == 0 {
		o.Level = defaultLevel
	}
	return o
}

// Cell aggregates one metric of one agent in one stratum (point, split,
// day) over its N runs, one value per seed. Lo and Hi bound the
// percentile-bootstrap confidence interval of the IQM.
type Cell struct {
	Point, Split string
	Day          int
	Agent        string
	Metric       string
	N            int
	Mean         float64
	Median       float64
	IQM          float64
	Lo, Hi       float64
}

// Diff compares one metric of Agent against Baseline in one stratum, paired
// by seed over the N seeds present in both. Mean is the mean paired
// difference Agent - Baseline, and Lo and Hi bound its percentile-bootstrap
// confidence interval (resampling pairs). ProbImprovement is the
// probability that Agent's run beats Baseline's run (see ProbImprovement)
// over the same seeds.
type Diff struct {
	Point, Split    string
	Day             int
	Agent, Baseline string
	Metric          string
	N               int
	Mean, Lo, Hi    float64
	ProbImprovement float64
}

// Summary holds the aggregates of a set of checkpoint records.
//
// Agents, Points and Splits are in order of first appearance in the
// records; Days are ascending. Cells and Diffs are ordered by point, split,
// day and agent in those orders, then by metric in the order of Metrics.
type Summary struct {
	Cells  []Cell
	Diffs  []Diff
	Agents []string
	Points []string
	Splits []string
	Days   []int

	Level float64 // confidence level of every interval
}

// Summarize aggregates checkpoint records over runs.
//
// Runs are grouped into strata (Point, Split, Day); within a stratum each run,
// one per agent per seed, contributes one value per metric in Metrics. The
// records are expected to come from one experiment: if a (point, split, day,
// agent, seed) occurs more than once, the first record is used. NaN values
// are left out (a run with a NaN metric does not count towards that cell's
// N). Cells with no values are omitted.
//
// If opt.Baseline is set, every other agent is compared with it in each
// stratum where both appear, paired by seed; strata with no common seed
// give no Diff.
//
// Summarize panics if opt.Level is not in (0, 1) or opt.Resamples < 0.
func Summarize(recs []Checkpoint, opt SummaryOptions) *Summary {
	opt = opt.withDefaults()
	s := &Summary{Level: opt.Level}
	agentIdx := make(map[string]int)
	pointIdx := make(map[string]int)
	splitIdx := make(map[string]int)
	dayIdx := make(map[int]bool)
	index := func(m map[string]int, order *[]string, v string) {
		if _, ok := m[v]; !ok {
			m[v] = len(*order)
			*order = append(*order, v)
		}
	}

	type stratum struct {
		point, split int
		day          int
	}
	type run struct {
		agent, seed int
	}
	groups := make(map[stratum]map[run]*Checkpoint)
	present := make(map[string]bool)
	for i := range recs {
		present[recs[i].Agent] = true
	}
	for _, a := range opt.Agents {
		if present[a] {
			index(agentIdx, &s.Agents, a)
		}
	}
	for i := range recs {
		r := &recs[i]
		index(agentIdx, &s.Agents, r.Agent)
		index(pointIdx, &s.Points, r.Point)
		index(splitIdx, &s.Splits, r.Split)
		dayIdx[r.Day] = true
		k := stratum{pointIdx[r.Point], splitIdx[r.Split], r.Day}
		g := groups[k]
		if g == nil {
			g = make(map[run]*Checkpoint)
			groups[k] = g
		}
		rk := run{agentIdx[r.Agent], r.Seed}
		if _, ok := g[rk]; !ok {
			g[rk] = r
		}
	}
	for d := range dayIdx {
		s.Days = append(s.Days, d)
	}
	slices.Sort(s.Days)

	strata := make([]stratum, 0, len(groups))
	for k := range groups {
		strata = append(strata, k)
	}
	slices.SortFunc(strata, func(a, b stratum) int {
		if a.point != b.point {
			return a.point - b.point
		}
		if a.split != b.split {
			return a.split - b.split
		}
		return a.day - b.day
	})

	baseline, hasBaseline := agentIdx[opt.Baseline]
	hasBaseline = hasBaseline && opt.Baseline != ""

	// byAgent[a] lists agent a's runs in the current stratum by seed.
	byAgent := make([][]*Checkpoint, len(s.Agents))
	var vals, base []float64
	for _, k := range strata {
		point, split := s.Points[k.point], s.Splits[k.split]
		for a := range byAgent {
			byAgent[a] = byAgent[a][:0]
		}
		for rk, c := range groups[k] {
			byAgent[rk.agent] = append(byAgent[rk.agent], c)
		}
		for a := range byAgent {
			slices.SortFunc(byAgent[a], func(x, y *Checkpoint) int { return x.Seed - y.Seed })
		}

		for a, runs := range byAgent {
			agent := s.Agents[a]
			for _, m := range Metrics {
				vals = vals[:0]
				for _, c := range runs {
					if v := MetricValue(c, m); !math.IsNaN(v) {
						vals = append(vals, v)
					}
				}
				if len(vals) == 0 {
					continue
				}
				seed := cellSeed(opt.Seed, "cell", point, split, k.day, agent, "", m)
				ci := BootstrapCI(vals, IQM, opt.Level, opt.Resamples, seed)
				s.Cells = append(s.Cells, Cell{
					Point: point, Split: split, Day: k.day, Agent: agent, Metric: m,
					N:    len(vals),
					Mean: Mean(vals), Median: Median(vals), IQM: ci.Point,
					Lo: ci.Lo, Hi: ci.Hi,
				})
			}

			if !hasBaseline || a == baseline {
				continue
			}
			for _, m := range Metrics {
				vals, base = pairBySeed(vals[:0], base[:0], runs, byAgent[baseline], m)
				if len(vals) == 0 {
					continue
				}
				seed := cellSeed(opt.Seed, "diff", point, split, k.day, agent, opt.Baseline, m)
				d := PairedDiff(vals, base, opt.Level, opt.Resamples, seed)
				s.Diffs = append(s.Diffs, Diff{
					Point: point, Split: split, Day: k.day,
					Agent: agent, Baseline: opt.Baseline, Metric: m,
					N:    d.N,
					Mean: d.Point, Lo: d.Lo, Hi: d.Hi,
					ProbImprovement: ProbImprovement(vals, base),
				})
			}
		}
	}
	return s
}

// pairBySeed appends to a and b the values of metric for the seeds present,
// with non-NaN values, in both x and y, which are sorted by seed.
func pairBySeed(a, b []float64, x, y []*Checkpoint, metric string) ([]float64, []float64) {
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i].Seed < y[j].Seed:
			i++
		case x[i].Seed > y[j].Seed:
			j++
		default:
			u, v := MetricValue(x[i], metric), MetricValue(y[j], metric)
			if !math.IsNaN(u) && !math.IsNaN(v) {
				a = append(a, u)
				b = append(b, v)
			}
			i++
			j++
		}
	}
	return a, b
}

// cellSeed returns the bootstrap seed of one cell or difference: FNV-1a of
// the base seed and the cell's identity.
func cellSeed(seed uint64, kind, point, split string, day int, agent, baseline, metric string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	for _, f := range []string{kind, point, split, strconv.Itoa(day), agent, baseline, metric} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// Cell returns the cell of the given identity, if s has one.
func (s *Summary) Cell(point, split string, day int, agent, metric string) (Cell, bool) {
	for _, c := range s.Cells {
		if c.Point == point && c.Split == split && c.Day == day && c.Agent == agent && c.Metric == metric {
			return c, true
		}
	}
	return Cell{}, false
}

// Diff returns the difference of agent against any baseline in the given
// stratum and metric, if s has one.
func (s *Summary) Diff(point, split string, day int, agent, metric string) (Diff, bool) {
	for _, d := range s.Diffs {
		if d.Point == point && d.Split == split && d.Day == day && d.Agent == agent && d.Metric == metric {
			return d, true
		}
	}
	return Diff{}, false
}

// CSVHeader is the header row written by Summary.WriteCSV.
var CSVHeader = []string{
	"kind", "point", "split", "day", "agent", "baseline", "metric", "n",
	"mean", "median", "iqm", "lo", "hi", "level", "prob_improvement",
}

// WriteCSV writes s as summary.csv: a header (CSVHeader), then one row per
// cell (kind "cell") and one per difference (kind "diff"), in the order of
// s.Cells and s.Diffs. For a cell, lo and hi bound the IQM and baseline and
// prob_improvement are empty; for a difference, mean, lo and hi are the
// paired mean difference agent - baseline and its bounds, and median and iqm
// are empty. Floats are written with six significant digits
// (strconv.FormatFloat(v, 'g', 6, 64)) so the output is byte-stable.
func (s *Summary) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	level := formatFloat(s.Level)
	for _, c := range s.Cells {
		err := cw.Write([]string{
			"cell", c.Point, c.Split, strconv.Itoa(c.Day), c.Agent, "", c.Metric, strconv.Itoa(c.N),
			formatFloat(c.Mean), formatFloat(c.Median), formatFloat(c.IQM),
			formatFloat(c.Lo), formatFloat(c.Hi), level, "",
		})
		if err != nil {
			return err
		}
	}
	for _, d := range s.Diffs {
		err := cw.Write([]string{
			"diff", d.Point, d.Split, strconv.Itoa(d.Day), d.Agent, d.Baseline, d.Metric, strconv.Itoa(d.N),
			formatFloat(d.Mean), "", "",
			formatFloat(d.Lo), formatFloat(d.Hi), level, formatFloat(d.ProbImprovement),
		})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}
