package results

import (
	"encoding/binary"
	"encoding/csv"
	"hash/fnv"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/grindbench/grindbench/results/stats"
)

// summaryOptions configures summarize.
type summaryOptions struct {
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

	// TrainSplit is the split the job trains on ("train" if empty), and
	// PriorSplits the splits of skills learned before the job (["pretrain"]
	// if nil). Every other split is held out. See metrics.go for how the
	// roles enter gaps, forgetting and transfer.
	TrainSplit  string
	PriorSplits []string
}

const (
	defaultResamples  = 2000
	defaultLevel      = 0.95
	defaultTrainSplit = "train"
)

var defaultPriorSplits = []string{"pretrain"}

func (o summaryOptions) withDefaults() summaryOptions {
	if o.Resamples == 0 {
		o.Resamples = defaultResamples
	}
	if o.Level == 0 {
		o.Level = defaultLevel
	}
	if o.TrainSplit == "" {
		o.TrainSplit = defaultTrainSplit
	}
	if o.PriorSplits == nil {
		o.PriorSplits = defaultPriorSplits
	}
	return o
}

// Cell aggregates one per-run quantity of one agent in one stratum (point,
// split, day) over its N runs, one value per seed. Lo and Hi bound the
// percentile-bootstrap confidence interval of the IQM.
//
// In Summary.Cells the quantity is Metric itself; in Summary.Gaps it is
// the generalization gap of Metric between the train split and Split; in
// Summary.Forgetting it is the forgetting of Metric on Split at Day (see
// metrics.go).
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
// probability that Agent's run beats Baseline's run (see stats.ProbImprovement)
// over the same seeds, and ProbLo and ProbHi bound its percentile-bootstrap
// interval (resampling each agent's runs, see stats.ProbImprovementCI).
type Diff struct {
	Point, Split    string
	Day             int
	Agent, Baseline string
	Metric          string
	N               int
	Mean, Lo, Hi    float64
	ProbImprovement float64
	ProbLo, ProbHi  float64
}

// Transfer kinds.
const (
	TransferACC = "acc" // average accuracy over every split
	TransferBWT = "bwt" // backward transfer, over prior splits
	TransferFWT = "fwt" // forward transfer, over held-out splits
)

// Transfer aggregates a GEM-style per-run quantity (Kind: TransferACC,
// TransferBWT or TransferFWT; see metrics.go for the definitions) of one
// metric of one agent at one point and checkpoint over its N runs. Splits
// are the splits averaged within each run. Lo and Hi bound the
// percentile-bootstrap CI of the IQM.
type Transfer struct {
	Point         string
	Day           int
	Agent, Metric string
	Kind          string
	Splits        []string
	N             int
	Mean, Median  float64
	IQM, Lo, Hi   float64
}

// PI is the probability of improvement of Agent over Baseline on one metric
// at one point and checkpoint, averaged over the held-out Splits (the
// strata): the mean over splits of stats.ProbImprovement of the two agents' runs
// at the seeds both have, with a percentile-bootstrap CI that resamples
// each agent's runs, keeping a run's splits together (see
// stats.AvgProbImprovementCI). N is the number of runs of both agents.
type PI struct {
	Point                   string
	Day                     int
	Agent, Baseline, Metric string
	Splits                  []string
	N                       int
	P, Lo, Hi               float64
}

// Summary holds the aggregates of a set of checkpoint records.
//
// Agents lists summaryOptions.Agents first, in that order, whether or not
// they have records (so an agent's index, and colour, is its index in a
// config), then other agents in order of first appearance; Points and
// Splits are in order of first appearance; Days are ascending. Cells, Diffs,
// Gaps and Forgetting are ordered by point, split, day and agent in those
// orders, then by metric in the order of the metric table; Transfer by point, day,
// agent, metric and kind (acc, bwt, fwt); PIs by point, day, agent, metric.
type Summary struct {
	Cells      []Cell
	Diffs      []Diff
	Gaps       []Cell
	Forgetting []Cell
	Transfer   []Transfer
	PIs        []PI

	Agents []string
	Points []string
	Splits []string
	Days   []int

	// Split roles among Splits: the train split ("" if it has no records),
	// the prior splits and the held-out splits, in the order of Splits.
	TrainSplit    string
	PriorSplits   []string
	HeldOutSplits []string

	Baseline  string  // the agent Diffs and PIs compare against
	Level     float64 // confidence level of every interval
	Resamples int     // bootstrap resamples of every interval
	Seed      uint64  // base seed of every bootstrap

	runs map[pointAgent][]*runData // for runValues and profile
}

type pointAgent struct{ point, agent string }

// runData is one run's checkpoints: at[split*len(Days)+day index], nil
// where missing.
type runData struct {
	seed int
	at   []*Checkpoint
}

// value returns the metric read by m at split j and day index k, NaN if
// missing.
func (r *runData) value(j, k, days int, m func(*Checkpoint) float64) float64 {
	if c := r.at[j*days+k]; c != nil {
		return m(c)
	}
	return math.NaN()
}

// summarize aggregates checkpoint records over runs.
//
// Runs are grouped into strata (Point, Split, Day); within a stratum each
// run, one per agent per seed, contributes one value per metric the metric
// table marks Summarized.
// The records are expected to come from one experiment: if a (point, split,
// day, agent, seed) occurs more than once, the first record is used. NaN
// values are left out (a run with a NaN metric does not count towards that
// cell's N). Cells with no values are omitted.
//
// If opt.Baseline is set, every other agent is compared with it in each
// stratum where both appear, paired by seed; strata with no common seed
// give no Diff. PIs average the probability of improvement over the
// held-out splits at each point and checkpoint.
//
// For each of those metrics with a direction (not verdict_reward: a learner's
// belief is no score to transfer or forget) it also aggregates, per run: the
// generalization gap to every non-train split at every checkpoint (if the
// train split has records), forgetting on every split at every checkpoint
// after the first, and average accuracy, backward transfer (if there are
// prior splits) and forward transfer (if there are held-out splits) at
// every checkpoint after the first (average accuracy also at the first).
// Checkpoint 0 in the definitions of metrics.go is the first day of Days.
//
// The bootstraps run in parallel on GOMAXPROCS goroutines; each draws from
// its own seeded stream, so the result does not depend on scheduling.
// summarize panics if opt.Level is not in (0, 1) or opt.Resamples < 0.
func summarize(recs []Checkpoint, opt summaryOptions) *Summary {
	opt = opt.withDefaults()
	checkBootstrap(opt.Level, opt.Resamples)
	metrics, derived := summaryMetrics(), derivedMetrics()
	s := &Summary{Level: opt.Level, Resamples: opt.Resamples, Seed: opt.Seed, Baseline: opt.Baseline}
	agentIdx := make(map[string]int)
	pointIdx := make(map[string]int)
	splitIdx := make(map[string]int)
	dayIdx := make(map[int]int)
	index := func(m map[string]int, order *[]string, v string) {
		if _, ok := m[v]; !ok {
			m[v] = len(*order)
			*order = append(*order, v)
		}
	}
	for _, a := range opt.Agents {
		index(agentIdx, &s.Agents, a)
	}
	for i := range recs {
		r := &recs[i]
		index(agentIdx, &s.Agents, r.Agent)
		index(pointIdx, &s.Points, r.Point)
		index(splitIdx, &s.Splits, r.Split)
		if _, ok := dayIdx[r.Day]; !ok {
			dayIdx[r.Day] = 0
			s.Days = append(s.Days, r.Day)
		}
	}
	slices.Sort(s.Days)
	for k, d := range s.Days {
		dayIdx[d] = k
	}
	nd := len(s.Days)

	// Index the runs: byRun[point][agent] lists runs in seed order.
	type runKey struct{ point, agent, seed int }
	index2 := make(map[runKey]*runData)
	byRun := make([][][]*runData, len(s.Points))
	for p := range byRun {
		byRun[p] = make([][]*runData, len(s.Agents))
	}
	for i := range recs {
		r := &recs[i]
		p, a := pointIdx[r.Point], agentIdx[r.Agent]
		k := runKey{p, a, r.Seed}
		rd := index2[k]
		if rd == nil {
			rd = &runData{seed: r.Seed, at: make([]*Checkpoint, len(s.Splits)*nd)}
			index2[k] = rd
			byRun[p][a] = append(byRun[p][a], rd)
		}
		if j := splitIdx[r.Split]*nd + dayIdx[r.Day]; rd.at[j] == nil {
			rd.at[j] = r
		}
	}
	s.runs = make(map[pointAgent][]*runData)
	for p := range byRun {
		for a := range byRun[p] {
			slices.SortFunc(byRun[p][a], func(x, y *runData) int { return x.seed - y.seed })
			if len(byRun[p][a]) > 0 {
				s.runs[pointAgent{s.Points[p], s.Agents[a]}] = byRun[p][a]
			}
		}
	}

	// Split roles.
	train := -1
	var prior, heldOut []int
	for j, sp := range s.Splits {
		switch {
		case sp == opt.TrainSplit:
			train = j
			s.TrainSplit = sp
		case slices.Contains(opt.PriorSplits, sp):
			prior = append(prior, j)
			s.PriorSplits = append(s.PriorSplits, sp)
		default:
			heldOut = append(heldOut, j)
			s.HeldOutSplits = append(s.HeldOutSplits, sp)
		}
	}

	baseline, hasBaseline := agentIdx[opt.Baseline]
	hasBaseline = hasBaseline && opt.Baseline != ""

	var tasks []func()
	// aggregate appends a cell of per-run values vals to *dst and queues its
	// bootstrap.
	aggregate := func(dst *[]Cell, c Cell, vals []float64, kind string) {
		if len(vals) == 0 {
			return
		}
		c.N = len(vals)
		c.Mean, c.Median = stats.Mean(vals), stats.Median(vals)
		i := len(*dst)
		*dst = append(*dst, c)
		seed := cellSeed(opt.Seed, kind, c.Point, c.Split, c.Day, c.Agent, "", c.Metric)
		tasks = append(tasks, func() {
			ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
			(*dst)[i].IQM, (*dst)[i].Lo, (*dst)[i].Hi = ci.Point, ci.Lo, ci.Hi
		})
	}
	// collect returns f of every run of point p and agent a with a non-NaN
	// value.
	collect := func(p, a int, f func(r *runData) float64) []float64 {
		var vals []float64
		for _, r := range byRun[p][a] {
			if v := f(r); !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		return vals
	}

	for p, point := range s.Points {
		for j, split := range s.Splits {
			for k, day := range s.Days {
				for a, agent := range s.Agents {
					for _, mt := range metrics {
						m, v := mt.Name, mt.Value
						vals := collect(p, a, func(r *runData) float64 { return r.value(j, k, nd, v) })
						aggregate(&s.Cells, Cell{Point: point, Split: split, Day: day, Agent: agent, Metric: m}, vals, "cell")
					}
					if !hasBaseline || a == baseline {
						continue
					}
					for _, mt := range metrics {
						m, v := mt.Name, mt.Value
						x, y := pairBySeed(byRun[p][a], byRun[p][baseline], func(r *runData) float64 { return r.value(j, k, nd, v) })
						if len(x) == 0 {
							continue
						}
						i := len(s.Diffs)
						s.Diffs = append(s.Diffs, Diff{
							Point: point, Split: split, Day: day,
							Agent: agent, Baseline: opt.Baseline, Metric: m,
							N: len(x), ProbImprovement: stats.ProbImprovement(x, y),
						})
						seed := cellSeed(opt.Seed, "diff", point, split, day, agent, opt.Baseline, m)
						piSeed := cellSeed(opt.Seed, "pi", point, split, day, agent, opt.Baseline, m)
						tasks = append(tasks, func() {
							d := stats.PairedDiff(x, y, opt.Level, opt.Resamples, seed)
							pi := stats.ProbImprovementCI(x, y, opt.Level, opt.Resamples, piSeed)
							s.Diffs[i].Mean, s.Diffs[i].Lo, s.Diffs[i].Hi = d.Point, d.Lo, d.Hi
							s.Diffs[i].ProbLo, s.Diffs[i].ProbHi = pi.Lo, pi.Hi
						})
					}
				}
			}
		}
	}

	// Generalization gaps and forgetting, per run.
	for p, point := range s.Points {
		for j, split := range s.Splits {
			for k, day := range s.Days {
				for a, agent := range s.Agents {
					for _, mt := range derived {
						m, v := mt.Name, mt.Value
						id := Cell{Point: point, Split: split, Day: day, Agent: agent, Metric: m}
						if train >= 0 && j != train {
							vals := collect(p, a, func(r *runData) float64 {
								return gap(r.value(train, k, nd, v), r.value(j, k, nd, v))
							})
							aggregate(&s.Gaps, id, vals, "gap")
						}
						if k > 0 {
							series := make([]float64, k+1)
							vals := collect(p, a, func(r *runData) float64 {
								for l := range series {
									series[l] = r.value(j, l, nd, v)
								}
								return forgetting(series, k)
							})
							aggregate(&s.Forgetting, id, vals, "forgetting")
						}
					}
				}
			}
		}
	}

	// Average accuracy and transfer, per run.
	all := make([]int, len(s.Splits))
	for j := range all {
		all[j] = j
	}
	kinds := []struct {
		kind   string
		splits []int
	}{{TransferACC, all}, {TransferBWT, prior}, {TransferFWT, heldOut}}
	names := func(idx []int) []string {
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = s.Splits[j]
		}
		return out
	}
	for p, point := range s.Points {
		for k, day := range s.Days {
			for a, agent := range s.Agents {
				for _, mt := range derived {
					m, v := mt.Name, mt.Value
					for _, kd := range kinds {
						if len(kd.splits) == 0 || (k == 0 && kd.kind != TransferACC) {
							continue
						}
						now := make([]float64, len(kd.splits))
						then := make([]float64, len(kd.splits))
						vals := collect(p, a, func(r *runData) float64 {
							for i, j := range kd.splits {
								now[i], then[i] = r.value(j, k, nd, v), r.value(j, 0, nd, v)
							}
							if kd.kind == TransferACC {
								return averageAccuracy(now)
							}
							return meanChange(now, then)
						})
						if len(vals) == 0 {
							continue
						}
						i := len(s.Transfer)
						s.Transfer = append(s.Transfer, Transfer{
							Point: point, Day: day, Agent: agent, Metric: m, Kind: kd.kind,
							Splits: names(kd.splits), N: len(vals), Mean: stats.Mean(vals), Median: stats.Median(vals),
						})
						seed := cellSeed(opt.Seed, kd.kind, point, "", day, agent, "", m)
						tasks = append(tasks, func() {
							ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
							s.Transfer[i].IQM, s.Transfer[i].Lo, s.Transfer[i].Hi = ci.Point, ci.Lo, ci.Hi
						})
					}
				}
			}
		}
	}

	// Probability of improvement averaged over held-out splits.
	if hasBaseline && len(heldOut) > 0 {
		for p, point := range s.Points {
			for k, day := range s.Days {
				for a, agent := range s.Agents {
					if a == baseline {
						continue
					}
					seeds := pairRuns(byRun[p][a], byRun[p][baseline])
					if len(seeds) == 0 {
						continue
					}
					for _, mt := range derived {
						m, v := mt.Name, mt.Value
						x := make([][]float64, len(heldOut))
						y := make([][]float64, len(heldOut))
						var splits []string
						for h, j := range heldOut {
							x[h] = make([]float64, len(seeds))
							y[h] = make([]float64, len(seeds))
							paired := false
							for i, pr := range seeds {
								x[h][i] = pr[0].value(j, k, nd, v)
								y[h][i] = pr[1].value(j, k, nd, v)
								paired = paired || (!math.IsNaN(x[h][i]) && !math.IsNaN(y[h][i]))
							}
							if paired {
								splits = append(splits, s.Splits[j])
							}
						}
						if len(splits) == 0 {
							continue
						}
						i := len(s.PIs)
						s.PIs = append(s.PIs, PI{Point: point, Day: day, Agent: agent, Baseline: opt.Baseline, Metric: m, Splits: splits})
						seed := cellSeed(opt.Seed, "pi_mean", point, "", day, agent, opt.Baseline, m)
						tasks = append(tasks, func() {
							ci := stats.AvgProbImprovementCI(x, y, opt.Level, opt.Resamples, seed)
							s.PIs[i].N, s.PIs[i].P, s.PIs[i].Lo, s.PIs[i].Hi = ci.N, ci.Point, ci.Lo, ci.Hi
						})
					}
				}
			}
		}
	}

	parallelDo(tasks)
	return s
}

// parallelDo runs every task on up to GOMAXPROCS goroutines.
func parallelDo(tasks []func()) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tasks)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tasks) {
					return
				}
				tasks[i]()
			}
		})
	}
	wg.Wait()
}

// pairBySeed returns the values f of the runs whose seeds are present, with
// non-NaN values, in both x and y, which are sorted by seed.
func pairBySeed(x, y []*runData, f func(*runData) float64) (a, b []float64) {
	for _, pr := range pairRuns(x, y) {
		u, v := f(pr[0]), f(pr[1])
		if !math.IsNaN(u) && !math.IsNaN(v) {
			a = append(a, u)
			b = append(b, v)
		}
	}
	return a, b
}

// pairRuns returns the pairs of runs of x and y with the same seed, in
// seed order; x and y are sorted by seed.
func pairRuns(x, y []*runData) [][2]*runData {
	var out [][2]*runData
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i].seed < y[j].seed:
			i++
		case x[i].seed > y[j].seed:
			j++
		default:
			out = append(out, [2]*runData{x[i], y[j]})
			i++
			j++
		}
	}
	return out
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

// cell returns the cell of the given identity, if s has one.
func (s *Summary) cell(point, split string, day int, agent, metric string) (Cell, bool) {
	return findCell(s.Cells, point, split, day, agent, metric)
}

// gap returns the generalization-gap cell of the given identity, if s has
// one.
func (s *Summary) gap(point, split string, day int, agent, metric string) (Cell, bool) {
	return findCell(s.Gaps, point, split, day, agent, metric)
}

func findCell(cells []Cell, point, split string, day int, agent, metric string) (Cell, bool) {
	for _, c := range cells {
		if c.Point == point && c.Split == split && c.Day == day && c.Agent == agent && c.Metric == metric {
			return c, true
		}
	}
	return Cell{}, false
}

// diff returns the difference of agent against any baseline in the given
// stratum and metric, if s has one.
func (s *Summary) diff(point, split string, day int, agent, metric string) (Diff, bool) {
	for _, d := range s.Diffs {
		if d.Point == point && d.Split == split && d.Day == day && d.Agent == agent && d.Metric == metric {
			return d, true
		}
	}
	return Diff{}, false
}

// lastDay returns the last checkpoint, or 0 if s has none.
func (s *Summary) lastDay() int {
	if len(s.Days) == 0 {
		return 0
	}
	return s.Days[len(s.Days)-1]
}

// runValues returns the seeds and values of metric for agent's runs in one
// stratum, in seed order, leaving out NaN values.
func (s *Summary) runValues(point, split string, day int, agent, metric string) (seeds []int, vals []float64) {
	j, k := slices.Index(s.Splits, split), slices.Index(s.Days, day)
	if j < 0 || k < 0 {
		return nil, nil
	}
	value := metricValue(metric)
	for _, r := range s.runs[pointAgent{point, agent}] {
		if v := r.value(j, k, len(s.Days), value); !math.IsNaN(v) {
			seeds = append(seeds, r.seed)
			vals = append(vals, v)
		}
	}
	return seeds, vals
}

// profileBand is a performance profile of one agent: for each threshold Tau[t],
// Band[t].Point is the fraction of runs whose Metric exceeds it, pooled
// over Splits (each run contributes the fraction of its splits above the
// threshold), and Band[t].Lo and Hi bound it pointwise (see stats.ProfileCI). N
// is the number of runs.
type profileBand struct {
	Point         string
	Day           int
	Agent, Metric string
	Splits        []string
	N             int
	Tau           []float64
	Band          []stats.Interval
}

// profile returns the performance profile of agent on metric at one point
// and day over splits, at thresholds tau, with a percentile-bootstrap band
// over runs at s.Level with s.Resamples resamples, seeded from s.Seed and
// the profile's identity. N is 0 if the agent has no values there.
func (s *Summary) profile(point string, day int, agent, metric string, splits []string, tau []float64) profileBand {
	pr := profileBand{Point: point, Day: day, Agent: agent, Metric: metric, Splits: splits, Tau: tau}
	k := slices.Index(s.Days, day)
	value := metricValue(metric)
	var runs [][]float64
	if k >= 0 {
		for _, r := range s.runs[pointAgent{point, agent}] {
			v := make([]float64, len(splits))
			for i, sp := range splits {
				v[i] = math.NaN()
				if j := slices.Index(s.Splits, sp); j >= 0 {
					v[i] = r.value(j, k, len(s.Days), value)
				}
			}
			runs = append(runs, v)
		}
	}
	seed := cellSeed(s.Seed, "profile", point, strings.Join(splits, "\x00"), day, agent, "", metric)
	pr.Band = stats.ProfileCI(nil, runs, tau, s.level(), s.resamples(), seed)
	if len(pr.Band) > 0 {
		pr.N = pr.Band[0].N
	}
	return pr
}

func (s *Summary) level() float64 {
	if s.Level == 0 {
		return defaultLevel
	}
	return s.Level
}

func (s *Summary) resamples() int {
	if s.Resamples == 0 {
		return defaultResamples
	}
	return s.Resamples
}

// summaryCSVHeader is the header row written by Summary.writeCSV.
var summaryCSVHeader = []string{
	"kind", "point", "split", "day", "agent", "baseline", "metric", "n",
	"mean", "median", "iqm", "lo", "hi", "level", "prob_improvement",
}

// writeCSV writes s as summary.csv: a header (summaryCSVHeader), then rows of
// these kinds, each kind in the order of its slice in s:
//
//   - "cell" (Cells): mean, median and iqm over runs, lo and hi bound the
//     IQM; baseline and prob_improvement are empty;
//   - "diff" (Diffs): mean, lo and hi are the paired mean difference agent -
//     baseline and its bounds, prob_improvement its probability of
//     improvement; median and iqm are empty;
//   - "pi" (Diffs): mean, lo and hi are the probability of improvement of
//     agent over baseline in the stratum and its bounds;
//   - "gap" (Gaps) and "forgetting" (Forgetting): as "cell", for the
//     generalization gap train - split and for forgetting;
//   - "acc", "bwt", "fwt" (Transfer): as "cell", with split "all", "prior"
//     or "held-out" naming the splits averaged;
//   - "pi_mean" (PIs): as "pi", averaged over the held-out splits, with
//     split "held-out".
//
// Every row has the confidence level. Floats are written with six
// significant digits (strconv.FormatFloat(v, 'g', 6, 64)) so the output is
// byte-stable.
func (s *Summary) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(summaryCSVHeader); err != nil {
		return err
	}
	level := formatFloat(s.Level)
	cell := func(kind string, c Cell) []string {
		return []string{
			kind, c.Point, c.Split, strconv.Itoa(c.Day), c.Agent, "", c.Metric, strconv.Itoa(c.N),
			formatFloat(c.Mean), formatFloat(c.Median), formatFloat(c.IQM),
			formatFloat(c.Lo), formatFloat(c.Hi), level, "",
		}
	}
	var rows [][]string
	for _, c := range s.Cells {
		rows = append(rows, cell("cell", c))
	}
	for _, d := range s.Diffs {
		rows = append(rows, []string{
			"diff", d.Point, d.Split, strconv.Itoa(d.Day), d.Agent, d.Baseline, d.Metric, strconv.Itoa(d.N),
			formatFloat(d.Mean), "", "",
			formatFloat(d.Lo), formatFloat(d.Hi), level, formatFloat(d.ProbImprovement),
		})
	}
	for _, d := range s.Diffs {
		rows = append(rows, []string{
			"pi", d.Point, d.Split, strconv.Itoa(d.Day), d.Agent, d.Baseline, d.Metric, strconv.Itoa(d.N),
			formatFloat(d.ProbImprovement), "", "",
			formatFloat(d.ProbLo), formatFloat(d.ProbHi), level, formatFloat(d.ProbImprovement),
		})
	}
	for _, c := range s.Gaps {
		rows = append(rows, cell("gap", c))
	}
	for _, c := range s.Forgetting {
		rows = append(rows, cell("forgetting", c))
	}
	groups := map[string]string{TransferACC: "all", TransferBWT: "prior", TransferFWT: "held-out"}
	for _, t := range s.Transfer {
		rows = append(rows, cell(t.Kind, Cell{
			Point: t.Point, Split: groups[t.Kind], Day: t.Day, Agent: t.Agent, Metric: t.Metric,
			N: t.N, Mean: t.Mean, Median: t.Median, IQM: t.IQM, Lo: t.Lo, Hi: t.Hi,
		}))
	}
	for _, p := range s.PIs {
		rows = append(rows, []string{
			"pi_mean", p.Point, "held-out", strconv.Itoa(p.Day), p.Agent, p.Baseline, p.Metric, strconv.Itoa(p.N),
			formatFloat(p.P), "", "",
			formatFloat(p.Lo), formatFloat(p.Hi), level, formatFloat(p.P),
		})
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// sessionPoint aggregates the true success of one agent's real attempts in
// one bin of task slots of one session, over runs: each run contributes the
// mean success of its attempts in the bin (every rollout of every slot), and
// IQM, Lo and Hi are the IQM over runs and its percentile-bootstrap CI.
//
// X places the bin in the job, in days: day d's sessions fill [d-1, d), in
// equal parts, and the bin sits at the middle of its slots, so checkpoint d
// (the end of day d) is at X = d.
type sessionPoint struct {
	Point, Agent   string
	Day, Session   int
	SlotLo, SlotHi int // the bin's slots, [SlotLo, SlotHi)
	X              float64
	N              int
	Mean, Median   float64
	IQM, Lo, Hi    float64
}

// sessionSummary is the within-session learning curve of every agent: true
// success per real attempt, as recorded online (never shown to the agent).
// Points are ordered by point, agent (in the order of Agents), day,
// session and slot.
type sessionSummary struct {
	Points []sessionPoint
	Agents []string
	// Per sweep point: sessions per day, task slots per session and slots
	// per bin, as found in the records.
	Sessions, Slots, Bin map[string]int
	Level                float64
	Resamples            int
}

// summarizeAttempts aggregates Attempt records into within-session
// learning curves. bin is the number of task slots per bin; if it is 0 a
// session is cut into 8 bins (at least one slot each). Each (point, agent,
// day, session, bin) is a stratum; a run's value there is the mean Success
// of its attempts in it; summarize's options give the agent order, level,
// resamples and seed. It returns nil if there are no attempts.
func summarizeAttempts(atts []Attempt, opt summaryOptions, bin int) *sessionSummary {
	if len(atts) == 0 {
		return nil
	}
	opt = opt.withDefaults()
	checkBootstrap(opt.Level, opt.Resamples)
	ss := &sessionSummary{
		Sessions: map[string]int{}, Slots: map[string]int{}, Bin: map[string]int{},
		Level: opt.Level, Resamples: opt.Resamples,
	}
	agentIdx := map[string]int{}
	var points []string
	for _, a := range opt.Agents {
		if _, ok := agentIdx[a]; !ok {
			agentIdx[a] = len(ss.Agents)
			ss.Agents = append(ss.Agents, a)
		}
	}
	for i := range atts {
		a := &atts[i]
		if _, ok := agentIdx[a.Agent]; !ok {
			agentIdx[a.Agent] = len(ss.Agents)
			ss.Agents = append(ss.Agents, a.Agent)
		}
		if _, ok := ss.Slots[a.Point]; !ok {
			points = append(points, a.Point)
		}
		ss.Slots[a.Point] = max(ss.Slots[a.Point], a.Slot+1)
		ss.Sessions[a.Point] = max(ss.Sessions[a.Point], a.Session+1)
	}
	for _, p := range points {
		b := bin
		if b <= 0 {
			b = max(1, (ss.Slots[p]+7)/8)
		}
		ss.Bin[p] = b
	}

	type key struct {
		point, agent      int
		day, session, bin int
	}
	type runKey struct {
		key
		seed int
	}
	type acc struct {
		sum float64
		n   int
	}
	pointIdx := map[string]int{}
	for i, p := range points {
		pointIdx[p] = i
	}
	sums := map[runKey]*acc{}
	for i := range atts {
		a := &atts[i]
		if math.IsNaN(a.Success) {
			continue
		}
		k := runKey{key{pointIdx[a.Point], agentIdx[a.Agent], a.Day, a.Session, a.Slot / ss.Bin[a.Point]}, a.Seed}
		s := sums[k]
		if s == nil {
			s = &acc{}
			sums[k] = s
		}
		s.sum += a.Success
		s.n += max(1, a.folded) // Success of a folded attempt is a sum
	}
	// Per stratum, the runs' values in seed order.
	type run struct {
		seed int
		v    float64
	}
	strata := map[key][]run{}
	for k, s := range sums {
		strata[k.key] = append(strata[k.key], run{k.seed, s.sum / float64(s.n)})
	}
	keys := make([]key, 0, len(strata))
	for k := range strata {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return slices.Compare([]int{a.point, a.agent, a.day, a.session, a.bin}, []int{b.point, b.agent, b.day, b.session, b.bin})
	})
	var tasks []func()
	for _, k := range keys {
		runs := strata[k]
		slices.SortFunc(runs, func(a, b run) int { return a.seed - b.seed })
		vals := make([]float64, len(runs))
		for i, r := range runs {
			vals[i] = r.v
		}
		point := points[k.point]
		b, slots, sessions := ss.Bin[point], ss.Slots[point], ss.Sessions[point]
		lo, hi := k.bin*b, min((k.bin+1)*b, slots)
		i := len(ss.Points)
		ss.Points = append(ss.Points, sessionPoint{
			Point: point, Agent: ss.Agents[k.agent], Day: k.day, Session: k.session,
			SlotLo: lo, SlotHi: hi,
			X:    float64(k.day-1) + (float64(k.session)+float64(lo+hi)/2/float64(slots))/float64(sessions),
			N:    len(vals),
			Mean: stats.Mean(vals), Median: stats.Median(vals),
		})
		seed := cellSeed(opt.Seed, "session", point, strconv.Itoa(k.session)+"/"+strconv.Itoa(k.bin), k.day, ss.Agents[k.agent], "", "success")
		tasks = append(tasks, func() {
			ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
			ss.Points[i].IQM, ss.Points[i].Lo, ss.Points[i].Hi = ci.Point, ci.Lo, ci.Hi
		})
	}
	parallelDo(tasks)
	return ss
}

// checkBootstrap panics on bootstrap settings that package stats rejects,
// so that summarize fails early even when it has nothing to resample.
func checkBootstrap(level float64, resamples int) {
	if !(level > 0 && level < 1) {
		panic("results: bootstrap level not in (0, 1)")
	}
	if resamples < 1 {
		panic("results: bootstrap resamples < 1")
	}
}
