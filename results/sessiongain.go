package results

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/grindbench/grindbench/results/stats"
)

// Per-run metrics of the job's own attempts (attempt records), for the
// question of what an agent keeps from one session to the next:
//
//   - morning_success: true success over the first bin of task slots of
//     every session after the run's first (the "mornings" after learning
//     began). A context-only agent starts every session from its weights,
//     so what a consolidating agent scores above it here is the in-session
//     gain its weights kept.
//   - session_gain: true success over the last bin of slots minus over the
//     first bin, pooling every session of the run: how much the agent
//     climbs within a session. A frozen agent's is 0 up to noise; a
//     context agent's is its in-session gain.
//
// The bin is that of the within-session curves (slots.go): an eighth of a
// session's slots, rounded up (16 of 128), unless BuildOptions.SessionBin
// says otherwise. Each metric is aggregated
// over runs (IQM with a percentile-bootstrap CI) and compared with the
// baseline agent by paired differences at matched seeds; they are written
// to summary.csv (kinds "session" and "session_diff", split "job", day the
// last checkpoint) and to the table session_metrics.

// Session metric names.
const (
	MetricMorningSuccess = "morning_success"
	MetricSessionGain    = "session_gain"
)

var sessionMetricNames = []string{MetricMorningSuccess, MetricSessionGain}

// sessionSplit is the split column of the session metrics: they are over
// the job's attempts, not an evaluation split.
const sessionSplit = "job"

type sessionRun struct {
	point, agent string
	seed         int
}

// sessionRunMetrics returns, per run, its morning_success and session_gain
// (in the order of sessionMetricNames; NaN where a run has no attempts to
// compute one from), with bin[point] slots per bin (an eighth of the
// point's slots, rounded up, where bin has none).
func sessionRunMetrics(atts []Attempt, bin map[string]int) map[sessionRun][2]float64 {
	slots := map[string]int{}
	first := map[sessionRun][2]int{} // the run's first (day, session)
	for i := range atts {
		a := &atts[i]
		slots[a.Point] = max(slots[a.Point], a.Slot+1)
		k := sessionRun{a.Point, a.Agent, a.Seed}
		ds := [2]int{a.Day, a.Session}
		if f, ok := first[k]; !ok || slices.Compare(ds[:], f[:]) < 0 {
			first[k] = ds
		}
	}
	type acc struct{ morning, firstBin, lastBin [2]float64 } // sum, n
	sums := map[sessionRun]*acc{}
	for i := range atts {
		a := &atts[i]
		if math.IsNaN(a.Success) {
			continue
		}
		b := bin[a.Point]
		if b <= 0 {
			b = max(1, (slots[a.Point]+7)/8)
		}
		k := sessionRun{a.Point, a.Agent, a.Seed}
		s := sums[k]
		if s == nil {
			s = &acc{}
			sums[k] = s
		}
		n := float64(max(1, a.folded)) // Success of a folded attempt is a sum
		add := func(x *[2]float64) { x[0] += a.Success; x[1] += n }
		if a.Slot < b {
			add(&s.firstBin)
			if [2]int{a.Day, a.Session} != first[k] {
				add(&s.morning)
			}
		}
		if lastLo := ((slots[a.Point] - 1) / b) * b; lastLo > 0 && a.Slot >= lastLo {
			add(&s.lastBin)
		}
	}
	mean := func(x [2]float64) float64 {
		if x[1] == 0 {
			return math.NaN()
		}
		return x[0] / x[1]
	}
	out := make(map[sessionRun][2]float64, len(sums))
	for k, s := range sums {
		out[k] = [2]float64{mean(s.morning), mean(s.lastBin) - mean(s.firstBin)}
	}
	return out
}

// summarizeSessionMetrics fills s.SessionCells and s.SessionDiffs from the
// attempt records (nothing without them), bins as sessionRunMetrics, and
// returns the per-run values it aggregated.
func (s *Summary) summarizeSessionMetrics(atts []Attempt, opt summaryOptions, bin map[string]int) map[sessionRun][2]float64 {
	if len(atts) == 0 {
		return nil
	}
	opt = opt.withDefaults()
	per := sessionRunMetrics(atts, bin)
	// Runs by point and agent, in seed order.
	byPA := map[pointAgent][]sessionRun{}
	var points []string
	for k := range per {
		pa := pointAgent{k.point, k.agent}
		byPA[pa] = append(byPA[pa], k)
		if !slices.Contains(points, k.point) {
			points = append(points, k.point)
		}
	}
	order := func(p string) int {
		if i := slices.Index(s.Points, p); i >= 0 {
			return i
		}
		return len(s.Points)
	}
	slices.SortFunc(points, func(a, b string) int {
		if c := order(a) - order(b); c != 0 {
			return c
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	agents := slices.Clone(s.Agents)
	for pa := range byPA {
		if !slices.Contains(agents, pa.agent) {
			agents = append(agents, pa.agent)
		}
	}
	slices.SortStableFunc(agents[len(s.Agents):], func(a, b string) int {
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	day := s.lastDay()
	var tasks []func()
	values := func(runs []sessionRun, m int) map[int]float64 {
		out := map[int]float64{}
		for _, r := range runs {
			if v := per[r][m]; !math.IsNaN(v) {
				out[r.seed] = v
			}
		}
		return out
	}
	sortedVals := func(byseed map[int]float64) []float64 {
		vals := make([]float64, 0, len(byseed))
		for _, sd := range slices.Sorted(maps.Keys(byseed)) {
			vals = append(vals, byseed[sd])
		}
		return vals
	}
	for _, point := range points {
		base := byPA[pointAgent{point, opt.Baseline}]
		for _, agent := range agents {
			runs := byPA[pointAgent{point, agent}]
			if len(runs) == 0 {
				continue
			}
			for m, name := range sessionMetricNames {
				byseed := values(runs, m)
				vals := sortedVals(byseed)
				if len(vals) == 0 {
					continue
				}
				c := Cell{Point: point, Split: sessionSplit, Day: day, Agent: agent, Metric: name, N: len(vals),
					Mean: stats.Mean(vals), Median: stats.Median(vals)}
				i := len(s.SessionCells)
				s.SessionCells = append(s.SessionCells, c)
				seed := cellSeed(opt.Seed, "session", point, sessionSplit, day, agent, "", name)
				tasks = append(tasks, func() {
					ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
					s.SessionCells[i].IQM, s.SessionCells[i].Lo, s.SessionCells[i].Hi = ci.Point, ci.Lo, ci.Hi
				})
				if opt.Baseline == "" || agent == opt.Baseline || len(base) == 0 {
					continue
				}
				bs := values(base, m)
				var seeds []int
				for sd := range byseed {
					if _, ok := bs[sd]; ok {
						seeds = append(seeds, sd)
					}
				}
				if len(seeds) == 0 {
					continue
				}
				slices.Sort(seeds)
				x, y := make([]float64, len(seeds)), make([]float64, len(seeds))
				for j, sd := range seeds {
					x[j], y[j] = byseed[sd], bs[sd]
				}
				j := len(s.SessionDiffs)
				s.SessionDiffs = append(s.SessionDiffs, Diff{Point: point, Split: sessionSplit, Day: day, Agent: agent,
					Baseline: opt.Baseline, Metric: name, N: len(x), ProbImprovement: stats.ProbImprovement(x, y),
					Mean: pairedMean(x, y), ProbLo: math.NaN(), ProbHi: math.NaN()})
				dseed := cellSeed(opt.Seed, "session-diff", point, sessionSplit, day, agent, opt.Baseline, name)
				tasks = append(tasks, func() {
					d := stats.PairedDiff(x, y, opt.Level, opt.Resamples, dseed)
					s.SessionDiffs[j].Mean, s.SessionDiffs[j].Lo, s.SessionDiffs[j].Hi = d.Point, d.Lo, d.Hi
				})
			}
		}
	}
	parallelDo(opt.Workers, tasks)
	return per
}

// sessionMetricsTable tabulates, per agent at one point, morning_success
// and session_gain (IQM over runs with CIs) and their paired differences
// from the baseline.
func sessionMetricsTable(s *Summary, point string, bin int) (*table, error) {
	type key struct{ agent, metric string }
	cells := map[key]Cell{}
	diffs := map[key]Diff{}
	var agents []string
	var runs countRange
	for _, c := range s.SessionCells {
		if c.Point != point {
			continue
		}
		if !slices.Contains(agents, c.Agent) {
			agents = append(agents, c.Agent)
		}
		cells[key{c.Agent, c.Metric}] = c
		runs.add(c.N)
	}
	if len(agents) == 0 {
		return nil, fmt.Errorf("results: no session metrics for point %q", point)
	}
	for _, d := range s.SessionDiffs {
		if d.Point == point {
			diffs[key{d.Agent, d.Metric}] = d
		}
	}
	t := &table{
		Name:       "session_metrics",
		Title:      fmt.Sprintf("What the weights keep across sessions, and the gain within one%s", pointSuffix(s, point)),
		Header:     []string{"agent", MetricMorningSuccess, MetricSessionGain},
		TidyHeader: []string{"agent", "point", "metric", "n", "iqm", "lo", "hi", "baseline", "diff_n", "diff", "diff_lo", "diff_hi"},
	}
	if len(diffs) > 0 {
		t.Header = append(t.Header, MetricMorningSuccess+" − "+s.Baseline, MetricSessionGain+" − "+s.Baseline)
	}
	for _, a := range agents {
		row := []string{a}
		var drow []string
		for _, m := range sessionMetricNames {
			c, ok := cells[key{a, m}]
			if !ok {
				row = append(row, "–")
				drow = append(drow, "–")
				continue
			}
			row = append(row, formatCI(c.IQM, c.Lo, c.Hi, m == MetricSessionGain))
			tidy := []string{a, point, m, strconv.Itoa(c.N), formatFloat(c.IQM), formatFloat(c.Lo), formatFloat(c.Hi), "", "", "", "", ""}
			if d, ok := diffs[key{a, m}]; ok {
				drow = append(drow, formatCI(d.Mean, d.Lo, d.Hi, true))
				tidy = append(tidy[:7], d.Baseline, strconv.Itoa(d.N), formatFloat(d.Mean), formatFloat(d.Lo), formatFloat(d.Hi))
			} else {
				drow = append(drow, "–")
			}
			t.TidyRows = append(t.TidyRows, tidy)
		}
		if len(diffs) > 0 {
			row = append(row, drow...)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Caption = fmt.Sprintf("Per run, from the attempt records (true success, never shown to the agent)%s: %s is the success over the first %d task slots of every session after the run's first (what the weights start a session with, once learning has begun); %s is the success over the last bin of %d slots minus over the first, pooling every session (the climb within a session). IQM over runs (N = %s runs per cell) with %s%% percentile-bootstrap CIs; differences are mean paired differences from %s at matched seeds with their CIs (%d resamples).",
		pointClause(s, point), MetricMorningSuccess, bin, MetricSessionGain, bin, runs, levelPercent(s.Level), s.Baseline, s.resamples())
	return t, nil
}
