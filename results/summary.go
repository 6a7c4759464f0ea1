package results

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/grindbench/grindbench/results/stats"
)

// summaryOptions configures summarize.
type summaryOptions struct {
	Baseline  string      // agent compared against; "" for no differences
	Pairs     [][2]string // more (agent, against) pairs compared as with Baseline ([report] pairs)
	Resamples int         // bootstrap resamples (2000 if 0)
	Level     float64     // confidence level (0.95 if 0)

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

	// Workers bounds the goroutines the bootstraps run on (GOMAXPROCS if
	// 0).
	Workers int

	// OnlyRead bootstraps intervals only for the aggregates a table,
	// figure or the report reads (see ciReader); the others keep their
	// point estimates with Lo and Hi NaN. Build sets it unless asked for
	// every interval.
	OnlyRead bool
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
	PairDiffs  []Diff // summaryOptions.Pairs, as Diffs (Baseline: the pair's second agent); by point, split, day, pair, metric
	Gaps       []Cell
	Forgetting []Cell
	Transfer   []Transfer
	PIs        []PI
	// PhaseGEM holds GEM over a drifting job's phases (phases.go), by
	// point, agent, metric and kind.
	PhaseGEM []PhaseGEM
	// SessionCells and SessionDiffs hold the per-run metrics of the job's
	// attempts (sessiongain.go: morning_success, session_gain), split
	// "job", day the last checkpoint; empty without attempt records.
	SessionCells []Cell
	SessionDiffs []Diff
	// InfoNeeded holds the information a session needs along a sweep of
	// the context's capacity (infoneeded.go), per group of the other
	// swept knobs and control agent; empty without such a sweep.
	InfoNeeded []InfoNeeded

	Agents []string
	Points []string
	Splits []string
	Days   []int

	// Split roles among Splits: the train split ("" if it has no records),
	// the prior splits and the held-out splits, in the order of Splits.
	TrainSplit    string
	PriorSplits   []string
	HeldOutSplits []string
	// JobSplits are a drifting job's phase splits and the unverified
	// split: practised by the job, so neither held out nor prior.
	JobSplits []string

	Baseline  string  // the agent Diffs and PIs compare against
	Level     float64 // confidence level of every interval
	Resamples int     // bootstrap resamples of every interval
	Seed      uint64  // base seed of every bootstrap

	runs map[pointAgent][]*runData // for profile and changeMatrix
	// lastDays is each point's own last checkpoint (lastDayAt).
	lastDays map[string]int
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
// The bootstraps run in parallel on opt.Workers goroutines; each draws from
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
		if d, ok := s.lastDays[r.Point]; !ok || r.Day > d {
			if s.lastDays == nil {
				s.lastDays = make(map[string]int)
			}
			s.lastDays[r.Point] = r.Day
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
		case jobSplit(sp):
			s.JobSplits = append(s.JobSplits, sp)
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
	read := newCIReader(s, opt)
	aggregate := func(dst *[]Cell, c Cell, vals []float64, kind string, want bool) {
		if len(vals) == 0 {
			return
		}
		c.N = len(vals)
		i := len(*dst)
		*dst = append(*dst, c)
		// Point estimates too are computed by the tasks, in parallel.
		if !want {
			tasks = append(tasks, func() {
				d := &(*dst)[i]
				d.Mean, d.Median, d.IQM, d.Lo, d.Hi = stats.Mean(vals), stats.Median(vals), stats.IQM(vals), math.NaN(), math.NaN()
			})
			return
		}
		seed := cellSeed(opt.Seed, kind, c.Point, c.Split, c.Day, c.Agent, "", c.Metric)
		tasks = append(tasks, func() {
			ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
			d := &(*dst)[i]
			d.Mean, d.Median, d.IQM, d.Lo, d.Hi = stats.Mean(vals), stats.Median(vals), ci.Point, ci.Lo, ci.Hi
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

	// addDiffs appends to *dst the paired differences agent a - agent b in
	// the stratum (p, j, k), one per metric, and queues their bootstraps:
	// the baseline's differences and those of [report] pairs alike.
	addDiffs := func(dst *[]Diff, p, j, k, a, b int) {
		point, split, day, agent, against := s.Points[p], s.Splits[j], s.Days[k], s.Agents[a], s.Agents[b]
		for _, mt := range metrics {
			m, v := mt.Name, mt.Value
			x, y := pairBySeed(byRun[p][a], byRun[p][b], func(r *runData) float64 { return r.value(j, k, nd, v) })
			if len(x) == 0 {
				continue
			}
			i := len(*dst)
			*dst = append(*dst, Diff{
				Point: point, Split: split, Day: day,
				Agent: agent, Baseline: against, Metric: m,
				N: len(x), Lo: math.NaN(), Hi: math.NaN(),
				ProbLo: math.NaN(), ProbHi: math.NaN(),
			})
			// The point estimates too are computed by the task.
			wantDiff, wantPI := read.diff(point, day, mt), read.diffPI(point, day, mt)
			seed := cellSeed(opt.Seed, "diff", point, split, day, agent, against, m)
			piSeed := cellSeed(opt.Seed, "pi", point, split, day, agent, against, m)
			tasks = append(tasks, func() {
				d := &(*dst)[i]
				d.ProbImprovement, d.Mean = stats.ProbImprovement(x, y), pairedMean(x, y)
				if wantDiff {
					ci := stats.PairedDiff(x, y, opt.Level, opt.Resamples, seed)
					d.Mean, d.Lo, d.Hi = ci.Point, ci.Lo, ci.Hi
				}
				if wantPI {
					pi := stats.ProbImprovementCI(x, y, opt.Level, opt.Resamples, piSeed)
					d.ProbLo, d.ProbHi = pi.Lo, pi.Hi
				}
			})
		}
	}
	// The pairs whose agents both have records, as indices.
	var pairs [][2]int
	for _, pr := range opt.Pairs {
		a, oka := agentIdx[pr[0]]
		b, okb := agentIdx[pr[1]]
		if oka && okb && a != b {
			pairs = append(pairs, [2]int{a, b})
		}
	}

	for p, point := range s.Points {
		for j, split := range s.Splits {
			for k, day := range s.Days {
				for a, agent := range s.Agents {
					for _, mt := range metrics {
						m, v := mt.Name, mt.Value
						vals := collect(p, a, func(r *runData) float64 { return r.value(j, k, nd, v) })
						aggregate(&s.Cells, Cell{Point: point, Split: split, Day: day, Agent: agent, Metric: m}, vals, "cell", read.cell(point, split, day, mt))
					}
					if hasBaseline && a != baseline {
						addDiffs(&s.Diffs, p, j, k, a, baseline)
					}
				}
				for _, pr := range pairs {
					addDiffs(&s.PairDiffs, p, j, k, pr[0], pr[1])
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
							aggregate(&s.Gaps, id, vals, "gap", read.derived(point, day, mt))
						}
						if k > 0 {
							series := make([]float64, k+1)
							vals := collect(p, a, func(r *runData) float64 {
								for l := range series {
									series[l] = r.value(j, l, nd, v)
								}
								return forgetting(series, k)
							})
							aggregate(&s.Forgetting, id, vals, "forgetting", read.derived(point, day, mt))
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
						if !read.derived(point, day, mt) {
							s.Transfer[i].IQM, s.Transfer[i].Lo, s.Transfer[i].Hi = stats.IQM(vals), math.NaN(), math.NaN()
							continue
						}
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
						if !read.derived(point, day, mt) {
							tasks = append(tasks, func() {
								pi := stats.AvgProbImprovementPoint(x, y)
								s.PIs[i].N, s.PIs[i].P, s.PIs[i].Lo, s.PIs[i].Hi = pi.N, pi.Point, math.NaN(), math.NaN()
							})
							continue
						}
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

	s.summarizePhases(opt, read, &tasks)
	parallelDo(opt.Workers, tasks)
	return s
}

// ciReader says which aggregates Build's tables, figures and report read
// an interval of, so that summarize bootstraps those alone (unless
// OnlyRead is off): at the last checkpoint, the cells and paired differences of
// every tabulated metric, the probabilities of improvement of the
// headline metric, and the gaps, forgetting, transfer and averaged
// probabilities of improvement of every plotted metric; at every
// checkpoint, the cells of every plotted metric (learning curves) and of
// verdict_reward and success_sampled (and the dream measurements) on the
// split the reward-vs-success (and dream) figures show.
type ciReader struct {
	all         bool
	s           *Summary
	rewardSplit string
}

func newCIReader(s *Summary, opt summaryOptions) ciReader {
	return ciReader{all: !opt.OnlyRead, s: s, rewardSplit: rewardSplit(s)}
}

// last reports whether day is a last checkpoint the outputs read at
// point: the experiment's, or the point's own (a sweep of job.days).
func (r ciReader) last(point string, day int) bool {
	return day == r.s.lastDay() || day == r.s.lastDayAt(point)
}

func (r ciReader) cell(point, split string, day int, m Metric) bool {
	return r.all || m.Plotted || (r.last(point, day) && m.Tabulated) ||
		(split == r.rewardSplit && (m.Name == "verdict_reward" || m.Name == "success_sampled" ||
			m.Name == "dream_reward" || m.Name == "dream_success" || m.Name == "dream_gap" || m.Name == "dream_disagreement"))
}

func (r ciReader) diff(point string, day int, m Metric) bool {
	return r.all || (r.last(point, day) && m.Tabulated)
}

func (r ciReader) diffPI(point string, day int, m Metric) bool {
	return r.all || (r.last(point, day) && m.Name == headlineMetric)
}

func (r ciReader) derived(point string, day int, m Metric) bool {
	return r.all || (r.last(point, day) && m.Plotted)
}

// pairedMean is the mean of the differences x[i] - y[i], as
// stats.PairedDiff computes its point estimate.
func pairedMean(x, y []float64) float64 {
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	return stats.Mean(d)
}

// parallelDo runs every task on up to workers goroutines (GOMAXPROCS if
// workers is 0).
func parallelDo(workers int, tasks []func()) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(tasks)) {
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
