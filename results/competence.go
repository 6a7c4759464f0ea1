package results

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/grindbench/grindbench/results/stats"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Grindability against verifiability (DESIGN 3.2 to 3.4): each sweep point
// is an environment with a measured (V, G) (EnvMeasure, from
// experiments.MeasureExperiment); the outputs place every agent's paired
// gain over the baseline and its days to competence on that plane.
//
// Days to competence: per run, the first checkpoint day whose
// headlineMetric on the train split (the job's own tasks, true scorer)
// reaches the threshold (report.competence), +Inf when no day of the
// horizon does ("not within the horizon"). A point's statistic is the
// median over runs with a percentile-bootstrap CI over runs; a median (or
// bound) that is +Inf is written "> H", H the last day. The median, not
// the mean, so that runs not reaching competence count as late without a
// made-up day.

// MeasuredFile holds the measured (V, G) of every sweep point in a results
// folder when the config asks for it (report.measure); Build reads it when
// BuildOptions.Measured is empty, so grind report redraws the figures.
const MeasuredFile = "measured.json"

// WriteMeasured writes m to dir's MeasuredFile.
func WriteMeasured(dir string, m []EnvMeasure) error {
	return WriteJSONAtomic(filepath.Join(dir, MeasuredFile), m)
}

// readMeasured reads dir's MeasuredFile; none is no error.
func readMeasured(dir string) ([]EnvMeasure, error) {
	b, err := os.ReadFile(filepath.Join(dir, MeasuredFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m []EnvMeasure
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", MeasuredFile, err)
	}
	return m, nil
}

// competenceRule is the threshold of days to competence: absolute
// (report.competence) or the fraction of the gap from a run's day-0 value
// to 1 (report.competence_gap); both 0: none.
type competenceRule struct{ abs, gap float64 }

func (c competenceRule) on() bool { return c.abs > 0 || c.gap > 0 }

// threshold is the rule's threshold for a run whose first checkpoint has v0.
func (c competenceRule) threshold(v0 float64) float64 {
	if c.gap > 0 {
		return v0 + c.gap*(1-v0)
	}
	return c.abs
}

// String says what the rule asks, for captions and titles.
func (c competenceRule) String() string {
	if c.gap > 0 {
		return fmt.Sprintf("closes %g of the gap between its day-%s value (the base model's) and 1", c.gap, "0")
	}
	return fmt.Sprintf("reaches %g", c.abs)
}

// short is String for a plot title.
func (c competenceRule) short() string {
	if c.gap > 0 {
		return fmt.Sprintf("≥ day 0 + %g × (1 − day 0)", c.gap)
	}
	return fmt.Sprintf("≥ %g", c.abs)
}

// competenceOf reads report.competence and report.competence_gap from the
// manifest's resolved configs.
func competenceOf(m *Manifest) competenceRule {
	pts, err := m.ResolvedPoints()
	if err != nil || len(pts) == 0 {
		return competenceRule{}
	}
	abs, _ := pts[0].Config["report.competence"].(float64)
	gap, _ := pts[0].Config["report.competence_gap"].(float64)
	return competenceRule{abs, gap}
}

const sectionGrind = "Grindability against verifiability"

// daysToCompetence returns, per run of agent at point, the first day whose
// metric on split reaches the rule's threshold, +Inf if none does.
func (s *Summary) daysToCompetence(point, agent, split, metric string, rule competenceRule) []float64 {
	j := slices.Index(s.Splits, split)
	if j < 0 {
		return nil
	}
	value := metricValue(metric)
	nd := len(s.Days)
	var out []float64
	for _, r := range s.runs[pointAgent{point, agent}] {
		d := math.Inf(1)
		threshold := rule.threshold(r.value(j, 0, nd, value))
		for k, day := range s.Days {
			if r.value(j, k, nd, value) >= threshold {
				d = float64(day)
				break
			}
		}
		out = append(out, d)
	}
	return out
}

// competence is a point's days to competence for one agent: the median
// over runs with its CI, and how many runs reached the threshold.
type competence struct {
	stats.Interval
	Reached int
}

// A run that never reached it counts as day H+1 (H the last day) in the
// median and its bootstrap, and any statistic beyond H is +Inf: "not within
// the horizon", whatever the day it would have taken.
func (s *Summary) competence(point, agent, split, metric string, rule competenceRule) (competence, bool) {
	d := s.daysToCompetence(point, agent, split, metric, rule)
	if len(d) == 0 {
		return competence{}, false
	}
	late := float64(s.lastDayAt(point) + 1) // the point's own horizon
	c := competence{}
	for i, v := range d {
		if math.IsInf(v, 1) {
			d[i] = late
		} else {
			c.Reached++
		}
	}
	c.Interval = stats.BootstrapCI(d, stats.Median, s.level(), s.resamples(), s.Seed)
	for _, v := range []*float64{&c.Point, &c.Lo, &c.Hi} {
		if *v > late-1 {
			*v = math.Inf(1)
		}
	}
	return c, true
}

// fmtDay writes a day, or "> H" for +Inf (not within the horizon H).
func fmtDay(d float64, horizon int) string {
	if math.IsInf(d, 1) {
		return "> " + strconv.Itoa(horizon)
	}
	return strconv.FormatFloat(d, 'f', -1, 64)
}

func (c competence) text(horizon int) string {
	return fmt.Sprintf("%s [%s, %s] (%d/%d)", fmtDay(c.Point, horizon), fmtDay(c.Lo, horizon), fmtDay(c.Hi, horizon), c.Reached, c.N)
}

// grindTable has a row per sweep point: its measured V and G (when given),
// each agent's paired gain over the baseline in headlineMetric on split at
// day, and (with a threshold) each agent's days to competence.
func grindTable(s *Summary, measured []EnvMeasure, split string, day int, rule competenceRule) *table {
	byPoint := map[string]EnvMeasure{}
	for _, m := range measured {
		byPoint[m.Point] = m
	}
	t := &table{Name: "grind_vs_verify", Title: "Gain and days to competence per environment"}
	t.Header = []string{"point"}
	if len(measured) > 0 {
		t.Header = append(t.Header, "V", "G")
	}
	var gainAgents []string
	for _, a := range s.Agents {
		if s.Baseline != "" && a != s.Baseline {
			gainAgents = append(gainAgents, a)
			t.Header = append(t.Header, a+" − "+s.Baseline)
		}
	}
	if rule.on() {
		for _, a := range s.Agents {
			t.Header = append(t.Header, "days: "+a)
		}
	}
	for _, p := range s.Points {
		horizon := s.lastDayAt(p)
		row := []string{p}
		if len(measured) > 0 {
			m, ok := byPoint[p]
			if !ok {
				row = append(row, "–", "–")
			} else {
				row = append(row, strconv.FormatFloat(m.V, 'f', 2, 64), strconv.FormatFloat(m.G, 'f', 2, 64))
			}
		}
		for _, a := range gainAgents {
			if d, ok := s.diff(p, split, s.dayAt(p, day), a, headlineMetric); ok {
				row = append(row, formatCI(d.Mean, d.Lo, d.Hi, true))
			} else {
				row = append(row, "–")
			}
		}
		if rule.on() {
			for _, a := range s.Agents {
				if c, ok := s.competence(p, a, split, headlineMetric, rule); ok {
					row = append(row, c.text(horizon))
				} else {
					row = append(row, "–")
				}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	t.Caption = fmt.Sprintf("One row per environment (sweep point). V, G: measured verifiability and grindability (point estimates; grind envs gives their CIs). "+
		"Gain: paired difference of %s on %s at %s over %s, mean over seeds with a %s%% percentile-bootstrap CI (%d resamples).",
		headlineMetric, split, s.dayText(day), s.Baseline, levelPercent(s.Level), s.resamples())
	if rule.on() {
		within := fmt.Sprintf("\"> %d\": not within the horizon of %d days", s.lastDay(), s.lastDay())
		if day == lastCheckpoint {
			within = "\"> H\": not within the point's horizon of H days (its own last day)"
		}
		t.Caption += fmt.Sprintf(" Days: per run, the first day whose %s on %s %s (day 0: before the job); median over runs [%s%% percentile-bootstrap CI] (runs that reached it / runs); %s.",
			headlineMetric, split, rule, levelPercent(s.Level), within)
	}
	if len(gainAgents) == 0 && !rule.on() {
		return nil
	}
	return t
}

// grindOutputs writes the grind-vs-verify table and queues a days-to-
// competence heatmap per agent and family.
func (w *builder) grindOutputs(measured []EnvMeasure, sweep sweepCols, rule competenceRule) error {
	s := w.b.Summary
	if s.TrainSplit == "" {
		return nil
	}
	day := s.viewDay()
	if t := grindTable(s, measured, s.TrainSplit, day, rule); t != nil && (len(measured) > 0 || rule.on()) {
		if err := w.addTable(t, sectionGrind); err != nil {
			return err
		}
	}
	if !rule.on() || len(s.Points) < 2 {
		return nil
	}
	for _, g := range competenceGrids(s, measured, sweep) {
		for _, agent := range s.Agents {
			name := "competence_" + safeName(agent)
			title := fmt.Sprintf("Days to competence of %s", agent)
			if g.family != "" {
				name += "_" + safeName(g.family)
				title += " on " + g.family
			}
			within := fmt.Sprintf("\"> %d\": not within the horizon (runs that never reach it count as later than day %d)", day, day)
			if day == lastCheckpoint {
				within = "\"> H\": not within the point's horizon H, its own last day (runs that never reach it count as later than day H)"
			}
			w.figure(filepath.Join("grind", name), sectionGrind, title,
				fmt.Sprintf("Per environment (cell): the median over runs of the first day whose %s on %s %s, with its %s%% percentile-bootstrap CI (%d resamples) in brackets; %s. Columns: verifier settings, ordered by measured V; rows: grindability settings, ordered by measured G (when measured).",
					headlineMetric, s.TrainSplit, rule, levelPercent(s.Level), s.resamples(), within),
				func(paths ...string) error { return plotCompetence(s, g, agent, rule, paths...) })
		}
	}
	return nil
}

// competenceGrid lays the points of one family out as verifier settings
// (columns) by the other swept settings (rows).
type competenceGrid struct {
	family     string
	cols, rows []string          // setting labels
	colV, rowG []float64         // mean measured V per column, G per row (NaN: not measured)
	cell       map[[2]int]string // (row, column) -> point
}

// competenceGrids groups the sweep's points by family (when env.family is
// swept) and lays each group out by its verifier knobs against the rest.
func competenceGrids(s *Summary, measured []EnvMeasure, sweep sweepCols) []competenceGrid {
	mv := map[string]EnvMeasure{}
	for _, m := range measured {
		mv[m.Point] = m
	}
	setting := func(point string, verifier bool) string {
		var parts []string
		for _, c := range sweep.cols {
			if c.name == "env.family" || strings.HasPrefix(c.name, "env.verifier.") != verifier {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s=%v", lastSegment(c.name), sweep.values[point][c.name]))
		}
		return strings.Join(parts, "\n")
	}
	var order []string
	groups := map[string]*competenceGrid{}
	for _, p := range s.Points {
		fam := ""
		if v, ok := sweep.values[p]["env.family"]; ok {
			fam = fmt.Sprint(v)
		}
		g := groups[fam]
		if g == nil {
			g = &competenceGrid{family: fam, cell: map[[2]int]string{}}
			groups[fam] = g
			order = append(order, fam)
		}
		col, row := setting(p, true), setting(p, false)
		ci, ri := slices.Index(g.cols, col), slices.Index(g.rows, row)
		if ci < 0 {
			g.cols, ci = append(g.cols, col), len(g.cols)
		}
		if ri < 0 {
			g.rows, ri = append(g.rows, row), len(g.rows)
		}
		g.cell[[2]int{ri, ci}] = p
	}
	var out []competenceGrid
	for _, fam := range order {
		g := groups[fam]
		g.colV = make([]float64, len(g.cols))
		g.rowG = make([]float64, len(g.rows))
		colSum, colN := make([]float64, len(g.cols)), make([]int, len(g.cols))
		rowSum, rowN := make([]float64, len(g.rows)), make([]int, len(g.rows))
		for key, p := range g.cell {
			if m, ok := mv[p]; ok {
				colSum[key[1]] += m.V
				colN[key[1]]++
				rowSum[key[0]] += m.G
				rowN[key[0]]++
			}
		}
		for k := range g.colV {
			g.colV[k] = colSum[k] / float64(colN[k]) // NaN when none measured
		}
		for k := range g.rowG {
			g.rowG[k] = rowSum[k] / float64(rowN[k])
		}
		out = append(out, *g)
	}
	return out
}

// order returns the indices of labels sorted by key (NaN keys keep their
// place after the others, in sweep order).
func order(keys []float64) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := keys[a], keys[b]
		switch {
		case math.IsNaN(ka) && math.IsNaN(kb):
			return 0
		case math.IsNaN(ka):
			return 1
		case math.IsNaN(kb):
			return -1
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return idx
}

// axisLabel is a setting's tick label: its measured score when there is
// one, then the setting itself.
func axisLabel(score string, v float64, setting string) string {
	if setting == "" {
		setting = "(not swept)"
	}
	if math.IsNaN(v) {
		return setting
	}
	return fmt.Sprintf("%s=%.2f\n%s", score, v, setting)
}

// plotCompetence draws one grid's days to competence for agent: a cell per
// point, coloured by the median day (viridis; beyond the horizon the
// scale's top), written with the median and its CI.
func plotCompetence(s *Summary, g competenceGrid, agent string, rule competenceRule, paths ...string) error {
	top := float64(s.lastDay() + 1)
	scale := viridis(0, top)
	cols, rows := order(g.colV), order(g.rowG)
	h := &heatCells{scale: scale}
	found := false
	for _, ri := range rows {
		var vals []float64
		var labels []string
		for _, ci := range cols {
			p, ok := g.cell[[2]int{ri, ci}]
			c, has := competence{}, false
			if ok {
				c, has = s.competence(p, agent, s.TrainSplit, headlineMetric, rule)
			}
			if !has {
				vals, labels = append(vals, math.NaN()), append(labels, "")
				continue
			}
			found = true
			vals = append(vals, math.Min(c.Point, top)) // not within the horizon: the scale's top
			horizon := s.lastDayAt(p)
			labels = append(labels, fmt.Sprintf("%s [%s, %s]", fmtDay(c.Point, horizon), fmtDay(c.Lo, horizon), fmtDay(c.Hi, horizon)))
		}
		h.vals = append(h.vals, vals)
		h.labels = append(h.labels, labels)
	}
	if !found {
		return fmt.Errorf("results: no runs of %s to place", agent)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Days to competence of %s: %s on %s %s", agent, headlineMetric, s.TrainSplit, rule.short())
	if g.family != "" {
		p.Title.Text += " (" + g.family + ")"
	}
	p.X.Label.Text = "verifier setting (measured V)"
	p.Y.Label.Text = "grindability setting (measured G)"
	p.Add(h)
	var xn, yn []string
	for _, ci := range cols {
		xn = append(xn, axisLabel("V", g.colV[ci], g.cols[ci]))
	}
	for _, ri := range rows {
		yn = append(yn, axisLabel("G", g.rowG[ri], g.rows[ri]))
	}
	p.NominalX(xn...)
	p.NominalY(yn...)
	p.X.Min, p.X.Max = -0.5, float64(len(xn))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(yn))-0.5
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	bar := colorBar(scale, fmt.Sprintf("median day (top: not within %d days)", s.lastDay()))
	bar.Y.Label.TextStyle.Font.Size = vg.Points(9)
	height := vg.Inch*2.2 + vg.Length(len(yn))*vg.Points(40)
	return withColorBar(figureWidth*1.3, max(height, 3.5*vg.Inch), p, bar).save(paths...)
}

// checkpointTimes returns, per day of s.Days, the mean over agent's runs at
// point of the simulated time at that checkpoint on split; ok is false if
// a checkpoint after the first carries none (the job was not clocked).
func (s *Summary) checkpointTimes(point, agent, split string) (times []float64, ok bool) {
	j := slices.Index(s.Splits, split)
	runs := s.runs[pointAgent{point, agent}]
	if j < 0 || len(runs) == 0 {
		return nil, false
	}
	nd := len(s.Days)
	for k := range s.Days {
		sum, n := 0.0, 0
		for _, r := range runs {
			if c := r.at[j*nd+k]; c != nil {
				sum += c.Time
				n++
			}
		}
		if n == 0 || (k > 0 && sum == 0) {
			return nil, false
		}
		times = append(times, sum/float64(n))
	}
	return times, true
}

// plotTimeCurves plots metric on split against simulated time for every
// agent at point: each checkpoint at the mean simulated time of the
// agent's runs there, the IQM over runs with its CI band. Agents that take
// different times per day (retries, waits) are compared at equal time.
func plotTimeCurves(s *Summary, point, split, metric string, paths ...string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s on %s against simulated time: IQM over runs, %s%% CI", metric, split, levelPercent(s.Level))
	p.X.Label.Text = "simulated time (mean over runs at each checkpoint)"
	p.Y.Label.Text = metricLabel(metric)
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, agent := range s.Agents {
		times, ok := s.checkpointTimes(point, agent, split)
		if !ok {
			continue
		}
		line, lo, hi := cellSeries(s.Cells, point, split, agent, metric)
		if len(line) != len(times) {
			continue
		}
		for k := range line {
			line[k].X, lo[k].X, hi[k].X = times[k], times[k], times[k]
			ymin, ymax = math.Min(ymin, lo[k].Y), math.Max(ymax, hi[k].Y)
		}
		thumbs, err := curve(p, styleOf(i), line, lo, hi, true)
		if err != nil {
			return fmt.Errorf("results: time curve of %s: %w", agent, err)
		}
		legend = append(legend, legendEntry{agent, thumbs})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no simulated time at point %q", point)
	}
	padRange(&p.Y, ymin, ymax)
	return withLegend(p, legend).save(paths...)
}

// hasTime reports whether some agent's runs at point carry simulated time.
func hasTime(s *Summary, point, split string) bool {
	for _, a := range s.Agents {
		if _, ok := s.checkpointTimes(point, a, split); ok {
			return true
		}
	}
	return false
}
