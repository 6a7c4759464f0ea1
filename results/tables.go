package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file makes the tables Build writes from a Summary, and formats their
// numbers and captions.

// cellKey identifies a cell of one point, day and metric.
type cellKey struct{ agent, split string }

// indexCells indexes cells by (agent, split) for one point, day and
// metric, and returns the range of their run counts.
func indexCells(cells []Cell, point string, day int, metric string) (map[cellKey]Cell, countRange) {
	m := make(map[cellKey]Cell)
	var runs countRange
	for _, c := range cells {
		if c.Point == point && c.Day == day && c.Metric == metric {
			m[cellKey{c.Agent, c.Split}] = c
			runs.add(c.N)
		}
	}
	return m, runs
}

// splitTable returns a table of one metric at one point and day: a row per
// split and a column per agent, each cell the IQM over runs with its
// bootstrap CI, formatted "0.71 [0.66, 0.75]"; then, if s has differences,
// a column "A − baseline" per compared agent with the paired mean
// difference and its CI, formatted "+0.05 [+0.01, +0.09]". Missing cells
// are "–". Agents and splits keep the order of s, leaving out those with no
// data. Splits go down the rows so that a table of many splits still fits a
// terminal. For a metric with a direction in the metric table, the agents'
// best IQM in each row (compared as displayed, to two decimals) is marked;
// ties are all marked, and a row where every agent ties marks none. The caption states
// the metric, point, day, the number of runs per cell and the method.
//
// The CSV form is tidy: one row per cell (kind "cell") and per difference
// (kind "diff"), with n, mean, median, iqm, lo and hi in columns.
//
// It returns an error if s has no cell for the point, day and metric.
func splitTable(s *Summary, point string, day int, metric string) (*table, error) {
	cells, runs := indexCells(s.Cells, point, day, metric)
	if len(cells) == 0 {
		return nil, fmt.Errorf("results: no cells for point %q, day %d, metric %q", point, day, metric)
	}
	diffs := make(map[cellKey]Diff)
	var pairs countRange
	var baseline string
	for _, d := range s.Diffs {
		if d.Point == point && d.Day == day && d.Metric == metric {
			diffs[cellKey{d.Agent, d.Split}] = d
			pairs.add(d.N)
			baseline = d.Baseline
		}
	}
	hasCell := func(a, sp string) bool { _, ok := cells[cellKey{a, sp}]; return ok }
	hasDiff := func(a, sp string) bool { _, ok := diffs[cellKey{a, sp}]; return ok }
	var splits []string
	for _, sp := range s.Splits {
		for _, a := range s.Agents {
			if hasCell(a, sp) || hasDiff(a, sp) {
				splits = append(splits, sp)
				break
			}
		}
	}
	agents := agentsWith(s.Agents, splits, hasCell)
	compared := agentsWith(s.Agents, splits, hasDiff)

	t := &table{
		Name:       "splits_" + metric,
		Title:      fmt.Sprintf("%s per split at day %d%s", metric, day, pointSuffix(s, point)),
		Header:     []string{"split"},
		BestScope:  "row",
		TidyHeader: []string{"kind", "point", "day", "metric", "split", "agent", "baseline", "n", "mean", "median", "iqm", "lo", "hi", "best"},
	}
	t.Header = append(t.Header, agents...)
	for _, a := range compared {
		t.Header = append(t.Header, a+" − "+baseline)
	}
	for _, sp := range splits {
		row := []string{sp}
		var vals []float64
		for _, a := range agents {
			v, x := "–", math.NaN()
			if c, ok := cells[cellKey{a, sp}]; ok {
				v, x = formatCI(c.IQM, c.Lo, c.Hi, false), c.IQM
			}
			row = append(row, v)
			vals = append(vals, x)
		}
		best := make([]bool, len(row))
		if dir := metricDirection(metric).sign(); dir != 0 {
			copy(best[1:], markBest(vals, dir))
		}
		for k, a := range agents {
			if c, ok := cells[cellKey{a, sp}]; ok {
				t.TidyRows = append(t.TidyRows, []string{"cell", point, strconv.Itoa(day), metric, sp, a, "",
					strconv.Itoa(c.N), formatFloat(c.Mean), formatFloat(c.Median), formatFloat(c.IQM),
					formatFloat(c.Lo), formatFloat(c.Hi), strconv.FormatBool(best[k+1])})
			}
		}
		for _, a := range compared {
			v := "–"
			if d, ok := diffs[cellKey{a, sp}]; ok {
				v = formatCI(d.Mean, d.Lo, d.Hi, true)
				t.TidyRows = append(t.TidyRows, []string{"diff", point, strconv.Itoa(day), metric, sp, a, d.Baseline,
					strconv.Itoa(d.N), formatFloat(d.Mean), "", "", formatFloat(d.Lo), formatFloat(d.Hi), "false"})
			}
			row = append(row, v)
		}
		best = append(best, make([]bool, len(row)-len(best))...)
		t.Rows = append(t.Rows, row)
		t.Best = append(t.Best, best)
	}

	caption := fmt.Sprintf("%s at day %d%s. Rows are splits, columns agents: IQM over runs (N = %s runs per cell) with %s",
		metric, day, pointClause(s, point), runs, ciMethod(s))
	if len(diffs) > 0 {
		caption += fmt.Sprintf("; the difference columns (agent − %s) are paired by seed: mean paired difference with %s%% CI resampling pairs, N = %s pairs",
			baseline, levelPercent(s.Level), pairs)
	}
	t.Caption = caption + "."
	return t, nil
}

// agentsWith returns the agents, in order, for which has is true in some
// split.
func agentsWith(all, splits []string, has func(agent, split string) bool) []string {
	var out []string
	for _, a := range all {
		for _, sp := range splits {
			if has(a, sp) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// markBest marks the best of vals (the largest if dir > 0, the smallest if
// dir < 0), comparing values rounded to two decimals as they are shown.
// Ties are all marked; NaNs never are; if every non-NaN value ties, or
// fewer than two are present, none is marked.
func markBest(vals []float64, dir int) []bool {
	best := make([]bool, len(vals))
	round := func(v float64) float64 { return math.Round(v*100) / 100 * float64(dir) }
	top := math.Inf(-1)
	n := 0
	for _, v := range vals {
		if !math.IsNaN(v) {
			top = math.Max(top, round(v))
			n++
		}
	}
	k := 0
	for i, v := range vals {
		if !math.IsNaN(v) && round(v) == top {
			best[i] = true
			k++
		}
	}
	if n < 2 || k == n {
		clear(best)
	}
	return best
}

// gapTable returns the generalization-gap table of one metric at one point
// and day: a row per split other than the train split, a column per agent,
// each cell the IQM over runs of the per-run gap train - split with its
// bootstrap CI (see metrics.go). No value is marked best: a small gap may
// only mean the agent learned nothing on train. The CSV form is tidy.
//
// It returns an error if s has no gap for the point, day and metric.
func gapTable(s *Summary, point string, day int, metric string) (*table, error) {
	cells, runs := indexCells(s.Gaps, point, day, metric)
	if len(cells) == 0 {
		return nil, fmt.Errorf("results: no generalization gaps for point %q, day %d, metric %q", point, day, metric)
	}
	t := &table{
		Name:       "gap_" + metric,
		Title:      fmt.Sprintf("Generalization gap of %s at day %d%s", metric, day, pointSuffix(s, point)),
		TidyHeader: []string{"point", "day", "metric", "split", "agent", "n", "mean", "median", "iqm", "lo", "hi"},
	}
	t.fillGrid(s, cells, func(c Cell) []string {
		return []string{point, strconv.Itoa(day), metric, c.Split, c.Agent, strconv.Itoa(c.N),
			formatFloat(c.Mean), formatFloat(c.Median), formatFloat(c.IQM), formatFloat(c.Lo), formatFloat(c.Hi)}
	})
	t.Caption = fmt.Sprintf("Generalization gap of %s at day %d%s: per run, the value on %s minus the value on the split (positive: the run does better on what it practised). "+
		"Rows are splits, columns agents: IQM over runs (N = %s runs per cell) with %s.",
		metric, day, pointClause(s, point), s.TrainSplit, runs, ciMethod(s))
	return t, nil
}

// fillGrid fills t with a row per split and a column per agent of cells,
// signed, and the tidy rows given by tidy.
func (t *table) fillGrid(s *Summary, cells map[cellKey]Cell, tidy func(Cell) []string) {
	has := func(a, sp string) bool { _, ok := cells[cellKey{a, sp}]; return ok }
	var splits []string
	for _, sp := range s.Splits {
		if len(agentsWith(s.Agents, []string{sp}, has)) > 0 {
			splits = append(splits, sp)
		}
	}
	agents := agentsWith(s.Agents, splits, has)
	t.Header = append([]string{"split"}, agents...)
	for _, sp := range splits {
		row := []string{sp}
		for _, a := range agents {
			v := "–"
			if c, ok := cells[cellKey{a, sp}]; ok {
				v = formatCI(c.IQM, c.Lo, c.Hi, true)
				t.TidyRows = append(t.TidyRows, tidy(c))
			}
			row = append(row, v)
		}
		t.Rows = append(t.Rows, row)
	}
}

// transferTable returns the forgetting and transfer table of one metric at
// one point and day, a column per agent: rows "ACC", "BWT" and "FWT" (GEM's
// average accuracy, backward and forward transfer, when s has them), then
// a row "forgetting: S" per split S (see metrics.go for the definitions).
// Each cell is the IQM over runs with its bootstrap CI. For a metric where
// higher is better, the best agent per row is marked: the largest ACC, BWT
// and FWT, the smallest forgetting (the other way round where lower is
// better; none for a metric with no direction). The CSV form is tidy, one row per
// (quantity, agent).
//
// It returns an error if s has neither transfer nor forgetting for the
// point, day and metric.
func transferTable(s *Summary, point string, day int, metric string) (*table, error) {
	type row struct {
		label, quantity, splits string
		dir                     int
		cells                   map[string]Cell // by agent
	}
	var rows []row
	var runs countRange
	descr := map[string]string{
		TransferACC: "ACC",
		TransferBWT: "BWT",
		TransferFWT: "FWT",
	}
	for _, kind := range []string{TransferACC, TransferBWT, TransferFWT} {
		r := row{quantity: kind, dir: 1, cells: map[string]Cell{}}
		for _, tr := range s.Transfer {
			if tr.Point == point && tr.Day == day && tr.Metric == metric && tr.Kind == kind {
				r.cells[tr.Agent] = Cell{Point: point, Day: day, Agent: tr.Agent, Metric: metric, N: tr.N,
					Mean: tr.Mean, Median: tr.Median, IQM: tr.IQM, Lo: tr.Lo, Hi: tr.Hi}
				r.splits = strings.Join(tr.Splits, " ")
				r.label = fmt.Sprintf("%s (%s)", descr[kind], splitList(tr.Splits))
				runs.add(tr.N)
			}
		}
		if len(r.cells) > 0 {
			rows = append(rows, r)
		}
	}
	forgetting, fr := indexCells(s.Forgetting, point, day, metric)
	if len(forgetting) > 0 {
		runs.add(fr.min)
		runs.add(fr.max)
	}
	for _, sp := range s.Splits {
		r := row{label: "forgetting: " + sp, quantity: "forgetting", splits: sp, dir: -1, cells: map[string]Cell{}}
		for _, a := range s.Agents {
			if c, ok := forgetting[cellKey{a, sp}]; ok {
				r.cells[a] = c
			}
		}
		if len(r.cells) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("results: no forgetting or transfer for point %q, day %d, metric %q", point, day, metric)
	}
	var agents []string
	for _, a := range s.Agents {
		for _, r := range rows {
			if _, ok := r.cells[a]; ok {
				agents = append(agents, a)
				break
			}
		}
	}
	t := &table{
		Name:       "transfer_" + metric,
		Title:      fmt.Sprintf("Forgetting and transfer of %s at day %d%s", metric, day, pointSuffix(s, point)),
		Header:     append([]string{"quantity"}, agents...),
		BestScope:  "row",
		TidyHeader: []string{"quantity", "point", "day", "metric", "splits", "agent", "n", "mean", "median", "iqm", "lo", "hi", "best"},
	}
	for _, r := range rows {
		out := []string{r.label}
		vals := make([]float64, len(agents))
		for k, a := range agents {
			vals[k] = math.NaN()
			v := "–"
			if c, ok := r.cells[a]; ok {
				v = formatCI(c.IQM, c.Lo, c.Hi, r.quantity != TransferACC)
				vals[k] = c.IQM
			}
			out = append(out, v)
		}
		best := make([]bool, len(out))
		if dir := metricDirection(metric).sign(); dir != 0 {
			copy(best[1:], markBest(vals, dir*r.dir))
		}
		for k, a := range agents {
			if c, ok := r.cells[a]; ok {
				t.TidyRows = append(t.TidyRows, []string{r.quantity, point, strconv.Itoa(day), metric, r.splits, a,
					strconv.Itoa(c.N), formatFloat(c.Mean), formatFloat(c.Median), formatFloat(c.IQM),
					formatFloat(c.Lo), formatFloat(c.Hi), strconv.FormatBool(best[k+1])})
			}
		}
		t.Rows = append(t.Rows, out)
		t.Best = append(t.Best, best)
	}
	first := "the first checkpoint"
	if len(s.Days) > 0 {
		first = fmt.Sprintf("day %d", s.Days[0])
	}
	t.Caption = fmt.Sprintf("Forgetting and transfer of %s at day %d%s, per run: "+
		"ACC is the mean over splits of the value at day %d (GEM average accuracy); "+
		"BWT the mean over prior splits of the value at day %d minus the value at %s (negative: forgotten); "+
		"FWT the same over held-out splits (positive: transferred); "+
		"forgetting on a split is the best value at an earlier checkpoint minus the value at day %d (positive: lost). "+
		"Columns are agents: IQM over runs (N = %s runs per cell) with %s.",
		metric, day, pointClause(s, point), day, day, first, day, runs, ciMethod(s))
	return t, nil
}

// splitList names a list of splits briefly: all of them if there are at
// most three, else their number.
func splitList(splits []string) string {
	if len(splits) <= 3 {
		return strings.Join(splits, ", ")
	}
	return fmt.Sprintf("%d splits", len(splits))
}

// piTable returns the probability-of-improvement table of one metric at one
// point and day: a row per split and a last row averaging over the held-out
// splits, a column "P(A > baseline)" per compared agent. Each cell is the
// probability that a run of the agent scores higher than a run of the
// baseline (ties count one half) over the seeds both have, with its
// percentile-bootstrap CI resampling runs (see stats.ProbImprovementCI and PI).
// No value is marked best. The CSV form is tidy.
//
// It returns an error if s has no difference for the point, day and
// metric (there is no baseline).
func piTable(s *Summary, point string, day int, metric string) (*table, error) {
	diffs := make(map[cellKey]Diff)
	var pairs countRange
	var baseline string
	for _, d := range s.Diffs {
		if d.Point == point && d.Day == day && d.Metric == metric {
			diffs[cellKey{d.Agent, d.Split}] = d
			pairs.add(d.N)
			baseline = d.Baseline
		}
	}
	if len(diffs) == 0 {
		return nil, fmt.Errorf("results: no probabilities of improvement for point %q, day %d, metric %q (no baseline?)", point, day, metric)
	}
	has := func(a, sp string) bool { _, ok := diffs[cellKey{a, sp}]; return ok }
	var splits []string
	for _, sp := range s.Splits {
		if len(agentsWith(s.Agents, []string{sp}, has)) > 0 {
			splits = append(splits, sp)
		}
	}
	agents := agentsWith(s.Agents, splits, has)
	t := &table{
		Name:       "pi_" + metric,
		Title:      fmt.Sprintf("Probability of improvement over %s, %s at day %d%s", baseline, metric, day, pointSuffix(s, point)),
		Header:     []string{"split"},
		TidyHeader: []string{"scope", "point", "day", "metric", "split", "agent", "baseline", "n", "p", "lo", "hi"},
	}
	for _, a := range agents {
		t.Header = append(t.Header, fmt.Sprintf("P(%s > %s)", a, baseline))
	}
	for _, sp := range splits {
		row := []string{sp}
		for _, a := range agents {
			v := "–"
			if d, ok := diffs[cellKey{a, sp}]; ok {
				v = formatCI(d.ProbImprovement, d.ProbLo, d.ProbHi, false)
				t.TidyRows = append(t.TidyRows, []string{"split", point, strconv.Itoa(day), metric, sp, a, baseline,
					strconv.Itoa(d.N), formatFloat(d.ProbImprovement), formatFloat(d.ProbLo), formatFloat(d.ProbHi)})
			}
			row = append(row, v)
		}
		t.Rows = append(t.Rows, row)
	}
	var avgSplits []string
	avg := []string{""}
	found := false
	for _, a := range agents {
		v := "–"
		for _, p := range s.PIs {
			if p.Point == point && p.Day == day && p.Metric == metric && p.Agent == a {
				v = formatCI(p.P, p.Lo, p.Hi, false)
				avgSplits = p.Splits
				found = true
				t.TidyRows = append(t.TidyRows, []string{"mean", point, strconv.Itoa(day), metric, strings.Join(p.Splits, " "), a, baseline,
					strconv.Itoa(p.N), formatFloat(p.P), formatFloat(p.Lo), formatFloat(p.Hi)})
			}
		}
		avg = append(avg, v)
	}
	if found {
		avg[0] = fmt.Sprintf("mean over held-out (%s)", splitList(avgSplits))
		t.Rows = append(t.Rows, avg)
	}
	t.Caption = fmt.Sprintf("Probability of improvement of %s at day %d%s: the probability that a run of the agent scores higher than a run of %s "+
		"(Mann-Whitney U/(N·M), ties count ½), over the seeds both have (N = %s per split)",
		metric, day, pointClause(s, point), baseline, pairs)
	if found {
		t.Caption += "; the last row averages it over the held-out splits"
	}
	t.Caption += fmt.Sprintf(". %s%% percentile-bootstrap CIs (%d resamples) resample each agent's runs independently, keeping a run's splits together.",
		levelPercent(s.Level), s.resamples())
	return t, nil
}

// ciMethod states the interval method of s for captions.
func ciMethod(s *Summary) string {
	return fmt.Sprintf("%s%% percentile-bootstrap CI over runs (%d resamples)", levelPercent(s.Level), s.resamples())
}

// pointClause names the point in a caption when there is more than one or
// it is not the default.
func pointClause(s *Summary, point string) string {
	if point == "default" && len(s.Points) <= 1 {
		return ""
	}
	return ", point " + point
}

// formatCI formats a point estimate and its interval with two decimals,
// with explicit signs if signed, or "–" for a NaN estimate. A value that
// rounds to zero is written without a minus sign.
func formatCI(point, lo, hi float64, signed bool) string {
	if math.IsNaN(point) {
		return "–"
	}
	f := "%.2f"
	if signed {
		f = "%+.2f"
	}
	num := func(v float64) string {
		out := fmt.Sprintf(f, v)
		// Negative zero prints as zero; a tiny negative value keeps its
		// sign, so an interval that excludes 0 never looks as if it held it.
		if out == "-0.00" && !(v < 0) {
			out = fmt.Sprintf(f, 0.0)
		}
		return out
	}
	return num(point) + " [" + num(lo) + ", " + num(hi) + "]"
}

// levelPercent formats a confidence level as a percentage, 95 if unset.
func levelPercent(level float64) string {
	if level == 0 {
		level = defaultLevel
	}
	return strconv.FormatFloat(100*level, 'g', 4, 64)
}

// countRange is the range of a set of counts, formatted "10" or "8–10".
type countRange struct {
	min, max int
	set      bool
}

func (r *countRange) add(n int) {
	if !r.set {
		r.min, r.max, r.set = n, n, true
		return
	}
	r.min = min(r.min, n)
	r.max = max(r.max, n)
}

func (r countRange) String() string {
	if r.min == r.max {
		return strconv.Itoa(r.min)
	}
	return fmt.Sprintf("%d–%d", r.min, r.max)
}
