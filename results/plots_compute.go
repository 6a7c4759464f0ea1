package results

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Matched compute. For a swept knob whose values are names (a mechanism's
// method, say), a figure of the headline metric against days and against
// each compute counter, one line per agent and value of the knob, the other
// swept knobs held at their largest values: methods compared at matched days
// and at matched compute (gradient steps, environment steps).

// computeAxes are the x axes of the matched-compute figures: the day, then
// compute counters from the metric table.
var computeAxes = []string{"day", "grad_steps", "env_steps"}

// lastValues returns, for every swept knob but knob, the value it is held
// at: its largest value when all its values are numbers (the strongest
// setting, say an unbounded capacity), else its value at the last point.
func lastValues(s *Summary, sw sweepCols, knob string) map[string]string {
	out := map[string]string{}
	if len(s.Points) == 0 {
		return out
	}
	last := s.Points[len(s.Points)-1]
	for _, c := range sw.cols {
		if c.name == knob {
			continue
		}
		v := sw.values[last][c.name]
		if !nominalKnob(s, sw, c.name) {
			best := math.Inf(-1)
			for _, p := range s.Points {
				if x, _ := toFloat(sw.values[p][c.name]); x > best {
					best, v = x, sw.values[p][c.name]
				}
			}
		}
		out[c.name] = formatSweepValue(v)
	}
	return out
}

// nominalKnob reports whether some value of knob is not a number.
func nominalKnob(s *Summary, sw sweepCols, knob string) bool {
	for _, p := range s.Points {
		if _, ok := toFloat(sw.values[p][knob]); !ok {
			return true
		}
	}
	return false
}

// plotSweepCompute draws metric on split at every checkpoint against x
// (the day, or the IQM of a compute counter at that checkpoint), one line
// per agent and value of knob, at the points whose other swept knobs have
// the values lastValues holds them at. With knob "" every swept knob is
// held, one line per agent.
func plotSweepCompute(s *Summary, sw sweepCols, knob, split, metric, x string, paths ...string) error {
	held := lastValues(s, sw, knob)
	cell := func(p, a, m string, day int) (Cell, bool) {
		for _, c := range s.Cells {
			if c.Point == p && c.Agent == a && c.Metric == m && c.Split == split && c.Day == day {
				return c, true
			}
		}
		return Cell{}, false
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s on %s by %s (IQM, %s%% CI)", metric, split, lastSegment(knob), levelPercent(s.Level))
	if knob == "" {
		p.Title.Text = fmt.Sprintf("%s on %s by agent (IQM, %s%% CI)", metric, split, levelPercent(s.Level))
	}
	p.X.Label.Text = x
	if x != "day" {
		p.X.Label.Text = x + " (cumulative, mean over runs)"
	}
	p.Y.Label.Text = metricLabel(metric)
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	k := 0
	baselineDrawn := false
	for _, pt := range s.Points {
		match := true
		for name, v := range held {
			if formatSweepValue(sw.values[pt][name]) != v {
				match = false
			}
		}
		if !match {
			continue
		}
		for _, a := range s.Agents {
			if a == s.Baseline && baselineDrawn {
				continue // the baseline does not depend on the knob: one line
			}
			var line, lo, hi plotter.XYs
			for day := 0; day <= s.lastDay(); day++ {
				c, ok := cell(pt, a, metric, day)
				if !ok {
					continue
				}
				xv := float64(day)
				if x != "day" {
					if xv = s.meanCounter(pt, a, split, day, x); math.IsNaN(xv) {
						continue
					}
				}
				l, h := ciOr(c)
				line = append(line, plotter.XY{X: xv, Y: c.IQM})
				lo = append(lo, plotter.XY{X: xv, Y: l})
				hi = append(hi, plotter.XY{X: xv, Y: h})
				ymin, ymax = math.Min(ymin, l), math.Max(ymax, h)
			}
			if len(line) == 0 {
				continue
			}
			thumbs, err := sortedCurve(p, styleOf(k), line, lo, hi)
			if err != nil {
				return err
			}
			k++
			label := a + " " + lastSegment(knob) + "=" + formatSweepValue(sw.values[pt][knob])
			if a == s.Baseline {
				label, baselineDrawn = a, true
			}
			if knob == "" {
				label = a
			}
			legend = append(legend, legendEntry{label, thumbs})
		}
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no cells of %s on %s by %s", metric, split, knob)
	}
	padRange(&p.Y, ymin, ymax)
	return withLegend(p, legend).save(paths...)
}

// heldCaption names where the other swept knobs are held.
func heldCaption(s *Summary, sw sweepCols, knob string) string {
	held := lastValues(s, sw, knob)
	var parts []string
	for _, c := range sw.cols {
		if v, ok := held[c.name]; ok {
			parts = append(parts, c.name+" = "+v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf(" The other swept knobs are held at their largest values (%s).", strings.Join(parts, ", "))
}

// meanCounter is the mean over runs of a metric-table value (a compute
// counter) of agent at point on split at day; NaN if there is none.
func (s *Summary) meanCounter(point, agent, split string, day int, metric string) float64 {
	m, ok := LookupMetric(metric)
	j, k := slices.Index(s.Splits, split), slices.Index(s.Days, day)
	if !ok || m.Value == nil || j < 0 || k < 0 {
		return math.NaN()
	}
	sum, n := 0.0, 0
	for _, r := range s.runs[pointAgent{point, agent}] {
		if v := r.value(j, k, len(s.Days), m.Value); !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
