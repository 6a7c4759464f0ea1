package results

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/grindbench/grindbench/results/stats"
)

// GEM over the phases of a drifting job (Lopez-Paz and Ranzato, 2017).
//
// A drifting job (experiments' job.phase_days) is a sequence of T phases,
// each introducing a group of skills evaluated at every checkpoint as split
// phase@j (j = 1 .. T). Per run, the accuracy matrix is R[i][j]: the value
// on phase@j at the end of phase i, the last checkpoint whose record says
// Phase == i; b[j] is the value on phase@j at the first checkpoint (day 0,
// before the job). Then, as in GEM,
//
//   - ACC = mean_j R[T][j]: how well the agent does at the end on every
//     phase's skills;
//   - BWT = mean_{j<T} (R[T][j] - R[j][j]): what later phases did to the
//     earlier ones (negative: forgotten);
//   - FWT = mean_{j>1} (R[j-1][j] - b[j]): what the phases before j did for
//     phase j before it began (positive: transferred).
//
// BWT and FWT need T >= 2. Each is a per-run score, aggregated over runs
// (IQM with a percentile-bootstrap CI) and compared with the baseline by
// paired differences at matched seeds. The whole matrix, phase x
// checkpoint, is the cells of the phase@j splits (figure plots/phases/).
//
// The unverified split (the groups of job.unverified_phases evaluated
// together) and the phase splits are practised by the job, so they are no
// held-out splits: the transfer of metrics.go leaves them out of FWT.

// phaseSplit returns j for a split "phase@j" (j >= 1).
func phaseSplit(split string) (int, bool) {
	j, err := strconv.Atoi(strings.TrimPrefix(split, "phase@"))
	return j, err == nil && j >= 1 && strings.HasPrefix(split, "phase@")
}

// jobSplit reports whether a split is practised by a drifting job: a phase
// split, or the unverified split (envs.SplitUnverified).
func jobSplit(split string) bool {
	_, ok := phaseSplit(split)
	return ok || split == "unverified"
}

// gemPhases returns GEM's ACC, BWT and FWT of one run's accuracy matrix
// R[i][j] (T x T, value on phase j at the end of phase i, from 0) and
// b[j] (value on phase j before the job). NaN in a value it reads gives
// NaN; BWT and FWT are NaN for T < 2.
func gemPhases(R [][]float64, b []float64) (acc, bwt, fwt float64) {
	T := len(R)
	if T == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	for j := range T {
		acc += R[T-1][j]
	}
	acc /= float64(T)
	if T < 2 {
		return acc, math.NaN(), math.NaN()
	}
	for j := 0; j < T-1; j++ {
		bwt += R[T-1][j] - R[j][j]
	}
	for j := 1; j < T; j++ {
		fwt += R[j-1][j] - b[j]
	}
	return acc, bwt / float64(T-1), fwt / float64(T-1)
}

// PhaseGEM is one of GEM's ACC, BWT or FWT (Kind: TransferACC,
// TransferBWT, TransferFWT) over the Phases phases of a drifting job, of
// one metric of one agent at one point: IQM over its N runs with a
// percentile-bootstrap CI, and, against Baseline (if set and not the agent
// itself), the mean paired difference Agent - Baseline over DiffN seeds
// with its CI.
type PhaseGEM struct {
	Point, Agent, Metric, Kind string
	Phases                     int
	N                          int
	Mean, Median, IQM, Lo, Hi  float64
	Baseline                   string
	DiffN                      int
	Diff, DiffLo, DiffHi       float64
}

// runGEM returns one run's GEM quantity of kind over phase splits idx (the
// split indices of phase@1 .. phase@T) for metric v, nd checkpoints.
func runGEM(r *runData, idx []int, nd int, v func(*Checkpoint) float64, kind string) float64 {
	T := len(idx)
	// end[i]: the last checkpoint of phase i+1.
	end := make([]int, T)
	for i := range end {
		end[i] = -1
	}
	for k := range nd {
		if c := r.at[idx[0]*nd+k]; c != nil && c.Phase >= 1 && c.Phase <= T {
			end[c.Phase-1] = k
		}
	}
	R := make([][]float64, T)
	b := make([]float64, T)
	for i := range T {
		if end[i] < 0 {
			return math.NaN()
		}
		R[i] = make([]float64, T)
		for j := range T {
			R[i][j] = r.value(idx[j], end[i], nd, v)
		}
		b[i] = r.value(idx[i], 0, nd, v)
	}
	acc, bwt, fwt := gemPhases(R, b)
	switch kind {
	case TransferACC:
		return acc
	case TransferBWT:
		return bwt
	}
	return fwt
}

// summarizePhases fills s.PhaseGEM, queuing its bootstraps on tasks. It
// does nothing without phase splits phase@1 .. phase@T (T >= 1, none
// missing).
func (s *Summary) summarizePhases(opt summaryOptions, read ciReader, tasks *[]func()) {
	var idx []int
	for T := 1; ; T++ {
		j := -1
		for k, sp := range s.Splits {
			if sp == "phase@"+strconv.Itoa(T) {
				j = k
			}
		}
		if j < 0 {
			break
		}
		idx = append(idx, j)
	}
	if len(idx) == 0 || len(s.Days) == 0 {
		return
	}
	nd := len(s.Days)
	last := s.Days[nd-1]
	for _, point := range s.Points {
		base := s.runs[pointAgent{point, opt.Baseline}]
		for _, agent := range s.Agents {
			runs := s.runs[pointAgent{point, agent}]
			if len(runs) == 0 {
				continue
			}
			for _, mt := range derivedMetrics() {
				for _, kind := range []string{TransferACC, TransferBWT, TransferFWT} {
					f := func(r *runData) float64 { return runGEM(r, idx, nd, mt.Value, kind) }
					var vals []float64
					for _, r := range runs {
						if v := f(r); !math.IsNaN(v) {
							vals = append(vals, v)
						}
					}
					if len(vals) == 0 {
						continue
					}
					g := PhaseGEM{Point: point, Agent: agent, Metric: mt.Name, Kind: kind, Phases: len(idx), N: len(vals),
						Mean: stats.Mean(vals), Median: stats.Median(vals), IQM: stats.IQM(vals), Lo: math.NaN(), Hi: math.NaN(),
						Diff: math.NaN(), DiffLo: math.NaN(), DiffHi: math.NaN()}
					var x, y []float64
					if opt.Baseline != "" && agent != opt.Baseline && len(base) > 0 {
						x, y = pairBySeed(runs, base, f)
						if len(x) > 0 {
							g.Baseline, g.DiffN, g.Diff = opt.Baseline, len(x), pairedMean(x, y)
						}
					}
					i := len(s.PhaseGEM)
					s.PhaseGEM = append(s.PhaseGEM, g)
					if !read.derived(point, last, mt) {
						continue
					}
					seed := cellSeed(opt.Seed, "phase-"+kind, point, "", last, agent, "", mt.Name)
					*tasks = append(*tasks, func() {
						ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
						s.PhaseGEM[i].IQM, s.PhaseGEM[i].Lo, s.PhaseGEM[i].Hi = ci.Point, ci.Lo, ci.Hi
					})
					if len(x) > 0 {
						dseed := cellSeed(opt.Seed, "phase-diff-"+kind, point, "", last, agent, opt.Baseline, mt.Name)
						*tasks = append(*tasks, func() {
							d := stats.PairedDiff(x, y, opt.Level, opt.Resamples, dseed)
							s.PhaseGEM[i].Diff, s.PhaseGEM[i].DiffLo, s.PhaseGEM[i].DiffHi = d.Point, d.Lo, d.Hi
						})
					}
				}
			}
		}
	}
}

// phaseTable returns GEM's ACC, BWT and FWT over the job's phases of one
// metric at one point, a row per agent: each quantity's IQM over runs with
// its CI, then its paired difference from the baseline. The CSV form is
// tidy, one row per (agent, quantity).
func phaseTable(s *Summary, point string, _ int, metric string) (*table, error) {
	kinds := []string{TransferACC, TransferBWT, TransferFWT}
	cells := map[[2]string]PhaseGEM{}
	var agents []string
	phases, runs := 0, countRange{}
	for _, g := range s.PhaseGEM {
		if g.Point != point || g.Metric != metric {
			continue
		}
		if _, ok := cells[[2]string{g.Agent, TransferACC}]; !ok && g.Kind == TransferACC {
			agents = append(agents, g.Agent)
		}
		cells[[2]string{g.Agent, g.Kind}] = g
		phases = g.Phases
		runs.add(g.N)
	}
	if len(agents) == 0 {
		return nil, fmt.Errorf("results: no phases for point %q, metric %q", point, metric)
	}
	t := &table{
		Name:       "phases_" + metric,
		Title:      fmt.Sprintf("GEM over the job's %d phases: %s%s", phases, metric, pointSuffix(s, point)),
		Header:     []string{"agent", "ACC", "BWT", "FWT"},
		TidyHeader: []string{"agent", "quantity", "point", "metric", "phases", "n", "mean", "median", "iqm", "lo", "hi", "baseline", "diff_n", "diff", "diff_lo", "diff_hi"},
	}
	hasDiff := false
	for _, g := range cells {
		hasDiff = hasDiff || g.Baseline != ""
	}
	if hasDiff {
		t.Header = append(t.Header, "ACC − "+s.Baseline, "BWT − "+s.Baseline, "FWT − "+s.Baseline)
	}
	for _, a := range agents {
		row := []string{a}
		var diffs []string
		for _, k := range kinds {
			g, ok := cells[[2]string{a, k}]
			if !ok {
				row = append(row, "–")
				diffs = append(diffs, "–")
				continue
			}
			row = append(row, formatCI(g.IQM, g.Lo, g.Hi, k != TransferACC))
			d := "–"
			if g.Baseline != "" {
				d = formatCI(g.Diff, g.DiffLo, g.DiffHi, true)
			}
			diffs = append(diffs, d)
			t.TidyRows = append(t.TidyRows, []string{a, k, point, metric, strconv.Itoa(g.Phases), strconv.Itoa(g.N),
				formatFloat(g.Mean), formatFloat(g.Median), formatFloat(g.IQM), formatFloat(g.Lo), formatFloat(g.Hi),
				g.Baseline, strconv.Itoa(g.DiffN), formatFloat(g.Diff), formatFloat(g.DiffLo), formatFloat(g.DiffHi)})
		}
		if hasDiff {
			row = append(row, diffs...)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Caption = fmt.Sprintf("GEM's average accuracy, backward and forward transfer of %s over the job's %d phases%s (Lopez-Paz and Ranzato, 2017), per run from the accuracy matrix R[i][j], the value on phase j's skills at the last checkpoint of phase i: "+
		"ACC = mean_j R[T][j]; BWT = mean_{j<T} (R[T][j] − R[j][j]) (negative: forgotten); FWT = mean_{j>1} (R[j−1][j] − b[j]), b the value before the job (positive: transferred). "+
		"IQM over runs (N = %s runs per cell) with %s; differences are mean paired differences from %s at matched seeds with their %s%% percentile-bootstrap CI (%d resamples).",
		metric, phases, pointClause(s, point), runs, ciMethod(s), s.Baseline, levelPercent(s.Level), s.resamples())
	return t, nil
}

// phaseFigures queues, for a drifting job, each agent's accuracy matrix R
// of the headline metric: a row per phase, a column per checkpoint.
func (w *builder) phaseFigures(point, sub string) {
	s := w.b.Summary
	if len(s.Days) < 2 || !hasSplit(s, point, "phase@1", headlineMetric) {
		return
	}
	keep := func(sp string) bool { _, ok := phaseSplit(sp); return ok }
	for _, agent := range s.Agents {
		if !hasAgent(s, point, agent, headlineMetric) {
			continue
		}
		title := fmt.Sprintf("Accuracy matrix R of %s: %s%s, IQM over runs", agent, headlineMetric, pointSuffix(s, point))
		w.figure(filepath.Join(sub, "phases", safeName(agent)), sectionForgetting, title,
			fmt.Sprintf("%s of %s%s on each phase's skills (rows, phase@j) at every checkpoint (columns): the accuracy matrix R of GEM (table phases_%s). Numbers: IQM over runs. Colour: IQM over runs of each run's change since day %d, on a scale shared by every agent (vermillion: lost, blue: gained).", headlineMetric, agent, pointClause(s, point), headlineMetric, s.Days[0]),
			func(paths ...string) error {
				return plotSplitMatrix(s, point, agent, headlineMetric, keep, title, "phase", paths...)
			})
	}
}
