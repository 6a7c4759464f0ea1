package results

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The dreaming figures beyond dream_vs_truth: the dream-versus-real gap
// over days (plotLearningCurves of dream_gap) and real success against the
// amount of dream practice.

// dreamPracticeColumn is the compute counter the practice figure puts on
// its x axis.
const dreamPracticeColumn = "dream_attempts"

// meanColumn returns, per checkpoint of s.Days, the mean over the runs of
// point and agent of column metric on split (NaN where no run has a
// record). ok is false when no run of the agent has any record there.
func (s *Summary) meanColumn(point, agent, split, metric string) (means []float64, ok bool) {
	j := slices.Index(s.Splits, split)
	runs := s.runs[pointAgent{point, agent}]
	if j < 0 || len(runs) == 0 {
		return nil, false
	}
	v := metricValue(metric)
	nd := len(s.Days)
	for k := range s.Days {
		sum, n := 0.0, 0
		for _, r := range runs {
			if x := r.value(j, k, nd, v); !math.IsNaN(x) {
				sum += x
				n++
			}
		}
		if n == 0 {
			means = append(means, math.NaN())
			continue
		}
		ok = true
		means = append(means, sum/float64(n))
	}
	return means, ok
}

// dreamers returns the agents at point that have dreamt by some
// checkpoint on split, in s.Agents order, with their mean cumulative
// dream attempts per checkpoint.
func (s *Summary) dreamers(point, split string) (agents []int, attempts [][]float64) {
	for i, a := range s.Agents {
		xs, ok := s.meanColumn(point, a, split, dreamPracticeColumn)
		if ok && slices.ContainsFunc(xs, func(x float64) bool { return x > 0 }) {
			agents = append(agents, i)
			attempts = append(attempts, xs)
		}
	}
	return agents, attempts
}

// plotSuccessVsDreams plots, per dreaming agent at point, true success on
// split against its cumulative dream attempts: one marker per checkpoint
// after the first dream (x the mean over runs of dream_attempts, y the IQM
// over runs of the metric with its CI as whiskers), joined in order of
// days; log x axis, since ratios differ by powers. One panel per metric
// (greedy success, and sampled success: what one real attempt achieves).
// A curve that rises then falls is dream practice turning from help into
// harm.
//
// It returns an error if no agent at point has dreamt.
func plotSuccessVsDreams(s *Summary, point, split string, metrics []string, paths ...string) error {
	agents, attempts := s.dreamers(point, split)
	if len(agents) == 0 {
		return fmt.Errorf("results: no agent dreams at point %q", point)
	}
	type key struct {
		agent, metric string
		day           int
	}
	cell := map[key]Cell{}
	for _, c := range s.Cells {
		if c.Point == point && c.Split == split && slices.Contains(metrics, c.Metric) {
			cell[key{c.Agent, c.Metric, c.Day}] = c
		}
	}
	var row []*plot.Plot
	var legend []legendEntry
	for mi, m := range metrics {
		p := plot.New()
		p.Title.Text = m
		p.X.Label.Text = "cumulative dream attempts (mean over runs)"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Label.Text = metricLabel(m)
		p.Add(plotter.NewGrid())
		ymin, ymax := math.Inf(1), math.Inf(-1)
		drawn := false
		for ai, i := range agents {
			st := styleOf(i)
			var xy plotter.XYs
			var ye plotter.YErrors
			for k, day := range s.Days {
				c, ok := cell[key{s.Agents[i], m, day}]
				x := attempts[ai][k]
				if !ok || !(x > 0) {
					continue
				}
				lo, hi := ciOr(c)
				xy = append(xy, plotter.XY{X: x, Y: c.IQM})
				ye = append(ye, struct{ Low, High float64 }{c.IQM - lo, hi - c.IQM})
				ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
			}
			if len(xy) == 0 {
				continue
			}
			thumbs, err := curve(p, st, xy, nil, nil, true)
			if err != nil {
				return err
			}
			yb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xy, ye})
			if err != nil {
				return err
			}
			yb.Color, yb.CapWidth = withAlpha(st.color, 0x90), vg.Points(3)
			p.Add(yb)
			drawn = true
			if mi == 0 {
				legend = append(legend, legendEntry{s.Agents[i], thumbs})
			}
		}
		if !drawn {
			return fmt.Errorf("results: no %s cells on %s for the dreaming agents at point %q", m, split, point)
		}
		padRange(&p.Y, ymin, ymax)
		row = append(row, p)
	}
	title := fmt.Sprintf("Real success on %s against dream practice%s: IQM over runs, %s%% CI", split, pointSuffix(s, point), levelPercent(s.Level))
	return panels(vg.Length(len(metrics))*4*vg.Inch+2*vg.Inch, figureHeight, title, [][]*plot.Plot{row}, legend).save(paths...)
}
