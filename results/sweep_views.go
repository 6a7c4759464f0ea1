package results

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// The views of a sweep: its independent variables on an axis. For every
// swept knob, a figure of the headline metric against the knob's value on
// each of the train split and the first held-out split, one line per agent
// (and per value of the other swept knobs), with CI bands; and a table per
// split with a row per sweep point (its knob values as columns) and a
// column per agent; where two knobs are crossed, heatmaps over them
// (sweep_heatmap.go). Build writes them first, in their own section, so a
// report opens with what the sweep varied.

const sectionSweep = "Sweep: the metric against each swept knob"

// sweepSplits returns the splits the sweep views show: train and the first
// other split evaluated.
func sweepSplits(s *Summary) []string {
	out := []string{defaultTrainSplit}
	for _, sp := range s.Splits {
		if sp != defaultTrainSplit && !slices.Contains(defaultPriorSplits, sp) {
			return append(out, sp)
		}
	}
	return out
}

// sweepViews queues the sweep's tables and figures.
func (w *builder) sweepViews(sw sweepCols) error {
	s := w.b.Summary
	if len(sw.cols) == 0 || len(s.Points) < 2 {
		return nil
	}
	day := s.viewDay() // each point's own last checkpoint if they differ
	for _, split := range sweepSplits(s) {
		t := sweepTable(s, sw, split, day, headlineMetric)
		if t == nil {
			continue
		}
		if err := w.addTable(t, sectionSweep); err != nil {
			return err
		}
		for _, c := range sw.cols {
			knob, split := c.name, split
			w.figure(filepath.Join("sweep", safeName(headlineMetric+"_"+split+"_"+knob)), sectionSweep,
				fmt.Sprintf("%s on %s against %s", headlineMetric, split, knob),
				fmt.Sprintf("%s on %s at %s against the swept knob %s: IQM over runs with %s (bands), one line per agent and per value of the other swept knobs.", headlineMetric, split, s.dayText(day), knob, ciMethod(s)),
				func(paths ...string) error { return plotSweep(s, sw, knob, split, headlineMetric, day, paths...) })
			if !nominalKnob(s, sw, knob) {
				continue
			}
			for _, x := range computeAxes {
				w.figure(filepath.Join("sweep", safeName(headlineMetric+"_"+split+"_"+knob+"_vs_"+x)), sectionSweep,
					fmt.Sprintf("%s on %s against %s, by %s", headlineMetric, split, x, knob),
					fmt.Sprintf("%s on %s at every checkpoint against %s (matched compute: each value of %s and each agent at the compute it spent), IQM over runs with %s (bands).%s", headlineMetric, split, x, knob, ciMethod(s), heldCaption(s, sw, knob)),
					func(paths ...string) error { return plotSweepCompute(s, sw, knob, split, headlineMetric, x, paths...) })
			}
		}
		// Agents that share a wildcard axis (agent.*.<mechanism>.<knob>)
		// are the methods compared at each point: draw them at matched
		// compute, every swept knob held at its largest value.
		if slices.ContainsFunc(sw.cols, func(c exportColumn) bool { return strings.HasPrefix(c.name, "agent.*.") }) {
			for _, x := range computeAxes {
				split := split
				w.figure(filepath.Join("sweep", safeName(headlineMetric+"_"+split+"_by_agent_vs_"+x)), sectionSweep,
					fmt.Sprintf("%s on %s against %s, by agent", headlineMetric, split, x),
					fmt.Sprintf("%s on %s at every checkpoint against %s (matched compute: each agent at the compute it spent), IQM over runs with %s (bands).%s", headlineMetric, split, x, ciMethod(s), heldCaption(s, sw, "")),
					func(paths ...string) error { return plotSweepCompute(s, sw, "", split, headlineMetric, x, paths...) })
			}
		}
		if err := w.sweepHeatmaps(sw, split, day); err != nil {
			return err
		}
	}
	// With [eval] distance, how far each channel moved from the base
	// against each swept knob: where the sweep puts what is learned (the
	// same value on every split's record; the train split's is drawn).
	for _, m := range []string{"l2_shared", "l2_memorizing"} {
		if s.TrainSplit == "" || !slices.ContainsFunc(s.Cells, func(c Cell) bool { return c.Metric == m && c.Day == s.dayAt(c.Point, day) }) {
			continue
		}
		for _, c := range sw.cols {
			knob, metric, split := c.name, m, s.TrainSplit
			w.figure(filepath.Join("sweep", safeName(metric+"_"+knob)), sectionSweep,
				fmt.Sprintf("%s against %s", metric, knob),
				fmt.Sprintf("%s (%s) at %s against the swept knob %s: IQM over runs with %s (bands), one line per agent and per value of the other swept knobs.", metric, metricLabel(metric), s.dayText(day), knob, ciMethod(s)),
				func(paths ...string) error { return plotSweep(s, sw, knob, split, metric, day, paths...) })
		}
	}
	return nil
}

// sweepTable has a row per sweep point (its swept knobs' values first) and
// a column per agent: IQM [CI] of metric on split at day (for
// lastCheckpoint, each point's own last day, in a column of its own).
func sweepTable(s *Summary, sw sweepCols, split string, day int, metric string) *table {
	t := &table{Name: "sweep_" + metric + "_" + safeName(split),
		Title: fmt.Sprintf("%s on %s across the sweep", metric, split)}
	for _, c := range sw.cols {
		t.Header = append(t.Header, c.name)
	}
	if day == lastCheckpoint {
		t.Header = append(t.Header, "day")
	}
	t.Header = append(t.Header, s.Agents...)
	found := false
	for _, p := range s.Points {
		row := make([]string, 0, len(t.Header))
		for _, c := range sw.cols {
			row = append(row, formatSweepValue(sw.values[p][c.name]))
		}
		if day == lastCheckpoint {
			row = append(row, strconv.Itoa(s.lastDayAt(p)))
		}
		for _, a := range s.Agents {
			cell := "–"
			for _, c := range s.Cells {
				if c.Point == p && c.Split == split && c.Day == s.dayAt(p, day) && c.Agent == a && c.Metric == metric {
					cell = fmt.Sprintf("%.2f [%.2f, %.2f]", c.IQM, c.Lo, c.Hi)
					if math.IsNaN(c.Lo) {
						cell = fmt.Sprintf("%.2f", c.IQM)
					}
					found = true
				}
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	if !found {
		return nil
	}
	t.Caption = fmt.Sprintf("%s on %s at %s for every sweep point: IQM over runs with %s.", metric, split, s.dayText(day), ciMethod(s))
	return t
}

// plotSweep draws metric on split at day against one swept knob's value:
// one line per agent and per combination of the other knobs' values, CI
// bands. A knob whose values are not all numbers is placed at its values'
// positions in sweep order.
func plotSweep(s *Summary, sw sweepCols, knob, split, metric string, day int, paths ...string) error {
	type series struct {
		label        string
		line, lo, hi plotter.XYs
		style        int
	}
	var order []string
	byLabel := map[string]*series{}
	var cats []string // non-numeric values, in order of appearance
	numeric := true
	for _, p := range s.Points {
		if _, ok := toFloat(sw.values[p][knob]); !ok {
			numeric = false
		}
	}
	for _, p := range s.Points {
		v := sw.values[p][knob]
		x, _ := toFloat(v)
		if !numeric {
			label := formatSweepValue(v)
			i := slices.Index(cats, label)
			if i < 0 {
				cats = append(cats, label)
				i = len(cats) - 1
			}
			x = float64(i)
		}
		var others []string
		for _, c := range sw.cols {
			if c.name != knob {
				others = append(others, lastSegment(c.name)+"="+formatSweepValue(sw.values[p][c.name]))
			}
		}
		for ai, a := range s.Agents {
			for _, c := range s.Cells {
				if c.Point != p || c.Split != split || c.Day != s.dayAt(p, day) || c.Agent != a || c.Metric != metric {
					continue
				}
				label := strings.Join(append([]string{a}, others...), " ")
				sr := byLabel[label]
				if sr == nil {
					sr = &series{label: label, style: ai}
					byLabel[label] = sr
					order = append(order, label)
				}
				lo, hi := ciOr(c)
				sr.line = append(sr.line, plotter.XY{X: x, Y: c.IQM})
				sr.lo = append(sr.lo, plotter.XY{X: x, Y: lo})
				sr.hi = append(sr.hi, plotter.XY{X: x, Y: hi})
			}
		}
	}
	if len(order) == 0 {
		return fmt.Errorf("results: no cells of %s on %s at %s", metric, split, s.dayText(day))
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s on %s vs %s (IQM, %s%% CI)", metric, split, lastSegment(knob), levelPercent(s.Level))
	p.X.Label.Text = knob
	p.Y.Label.Text = metricLabel(metric)
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for k, label := range order {
		sr := byLabel[label]
		slices.SortFunc(sr.line, byX)
		slices.SortFunc(sr.lo, byX)
		slices.SortFunc(sr.hi, byX)
		for i := range sr.lo {
			ymin, ymax = math.Min(ymin, sr.lo[i].Y), math.Max(ymax, sr.hi[i].Y)
		}
		st := styleOf(sr.style)
		if len(order) > len(s.Agents) {
			st = styleOf(k) // several lines per agent: each its own style
		}
		thumbs, err := curve(p, st, sr.line, sr.lo, sr.hi, true)
		if err != nil {
			return err
		}
		legend = append(legend, legendEntry{label, thumbs})
	}
	padRange(&p.Y, ymin, ymax)
	if !numeric {
		nominalX(p, cats)
	}
	return withLegend(p, legend).save(paths...)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// lastSegment is a knob path's last segment (coverage for
// env.verifier.coverage), for short labels.
func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}
