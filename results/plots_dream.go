package results

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The dreaming figures beyond dream_vs_truth: the dream-versus-real gap
// over days, and real success against the amount of dream practice. Both
// draw one panel per dreaming agent (a dreaming experiment has dozens of
// arms, more than colours can tell apart), on shared axes.

// dreamPracticeColumn is the compute counter the practice figure puts on
// its x axis.
const dreamPracticeColumn = "dream_attempts"

// meanColumn returns, per checkpoint of s.Days, the mean over the runs of
// point and agent of column metric on split (NaN where no run has a
// value). ok is false when no run of the agent has any value there.
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
// checkpoint on split, as indices into s.Agents, with their mean
// cumulative dream attempts per checkpoint.
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

// agentGrid returns an empty grid of n panels, three to a row, and the
// size of the figure holding it.
func agentGrid(n int) (grid [][]*plot.Plot, cols int, w, h vg.Length) {
	cols = min(n, 3)
	rows := (n + cols - 1) / cols
	grid = make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	return grid, cols, figureWidth + vg.Inch*vg.Length(max(cols-2, 0)), vg.Inch * (0.5 + 2.6*vg.Length(rows))
}

// neutral is the colour of reference lines and of the legend's style keys.
var neutral = color.Gray{Y: 0x55}

// plotDreamGap draws dream_gap (dream reward - true success of the same
// dreams) over days, one panel per agent that has it, the IQM over runs
// with its CI band and a zero line: above zero the dream verifier passes
// dreams the truth fails.
func plotDreamGap(s *Summary, point, split string, paths ...string) error {
	const m = "dream_gap"
	type series struct {
		i            int
		line, lo, hi plotter.XYs
	}
	var data []series
	ymin, ymax := 0.0, 0.0
	for i, agent := range s.Agents {
		line, lo, hi := cellSeries(s.Cells, point, split, agent, m)
		if len(line) == 0 {
			continue
		}
		for k := range lo {
			ymin, ymax = math.Min(ymin, lo[k].Y), math.Max(ymax, hi[k].Y)
		}
		data = append(data, series{i, line, lo, hi})
	}
	if len(data) == 0 {
		return fmt.Errorf("results: no %s cells for point %q, split %q", m, point, split)
	}
	grid, cols, w, h := agentGrid(len(data))
	rows := len(grid)
	for k, d := range data {
		p := plot.New()
		p.Title.Text = s.Agents[d.i]
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.X.Tick.Marker = integerTicks{}
		p.Add(plotter.NewGrid())
		zero := plotter.NewFunction(func(float64) float64 { return 0 })
		zero.Color, zero.Width = neutral, vg.Points(0.8)
		p.Add(zero)
		if k/cols == rows-1 {
			p.X.Label.Text = "day"
		}
		if k%cols == 0 {
			p.Y.Label.Text = "dream reward - true success"
		}
		st := styleOf(d.i)
		if _, err := curve(p, agentStyle{color: st.color, glyph: draw.CircleGlyph{}, radius: vg.Points(2.8)}, d.line, d.lo, d.hi, true); err != nil {
			return err
		}
		padRange(&p.Y, ymin, ymax)
		p.X.Min, p.X.Max = float64(s.Days[0])-0.3, float64(s.Days[len(s.Days)-1])+0.3
		grid[k/cols][k%cols] = p
	}
	legend := []legendEntry{
		{m, styleThumbs(agentStyle{color: neutral, glyph: draw.CircleGlyph{}, radius: vg.Points(2.8)})},
	}
	title := fmt.Sprintf("Dream-versus-real gap (dream reward - true success of the same dreams)%s: IQM over runs, %s%% CI", pointSuffix(s, point), levelPercent(s.Level))
	return panels(w, h, title, grid, legend).save(paths...)
}

// plotSuccessVsDreams plots, per dreaming agent at point (one panel each,
// shared axes), true success on split against its cumulative dream
// attempts: a marker per checkpoint after the first night (x the mean over
// runs of dream_attempts, y the IQM over runs with its CI as whiskers),
// joined in order of days, on a log x axis since ratios differ by powers.
// metrics[0] (greedy success) is solid; metrics[1], if given (sampled
// success: what one real attempt achieves), dashed with hollow markers.
// With a baseline that does not dream, its metrics[0] at the same
// checkpoints is drawn in grey at the dreamer's x: what the same days
// give without dreams. A curve that rises then falls is dream practice
// turning from help into harm.
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
	baseline := ""
	if b := s.Baseline; b != "" && !slices.Contains(agents, slices.Index(s.Agents, b)) {
		baseline = b
	}
	// series returns agent's metric at the checkpoints where x[k] > 0.
	series := func(agent, metric string, x []float64) (xy plotter.XYs, ye plotter.YErrors) {
		for k, day := range s.Days {
			c, ok := cell[key{agent, metric, day}]
			if !ok || !(x[k] > 0) {
				continue
			}
			lo, hi := ciOr(c)
			xy = append(xy, plotter.XY{X: x[k], Y: c.IQM})
			ye = append(ye, struct{ Low, High float64 }{c.IQM - lo, hi - c.IQM})
		}
		return xy, ye
	}
	styles := []func(st agentStyle) agentStyle{
		func(st agentStyle) agentStyle {
			return agentStyle{color: st.color, glyph: draw.CircleGlyph{}, radius: vg.Points(2.8)}
		},
		func(st agentStyle) agentStyle {
			return agentStyle{color: st.color, glyph: draw.RingGlyph{}, radius: vg.Points(3.4), dashes: []vg.Length{vg.Points(4), vg.Points(2.5)}}
		},
	}
	grey := agentStyle{color: neutral, glyph: draw.CrossGlyph{}, radius: vg.Points(2.6), dashes: []vg.Length{vg.Points(1.5), vg.Points(2)}}
	grid, cols, w, h := agentGrid(len(agents))
	w += vg.Inch // room for the legend
	rows := len(grid)
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	drawn := false
	for k, i := range agents {
		p := plot.New()
		p.Title.Text = s.Agents[i]
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = inRange{plot.LogTicks{Prec: -1}}
		p.Add(plotter.NewGrid())
		if k/cols == rows-1 {
			p.X.Label.Text = "dream attempts"
		}
		if k%cols == 0 {
			p.Y.Label.Text = "fraction of tasks solved"
		}
		type layer struct {
			agent, metric string
			st            agentStyle
		}
		layers := []layer{}
		if baseline != "" {
			layers = append(layers, layer{baseline, metrics[0], grey})
		}
		for mi, m := range metrics[:min(len(metrics), len(styles))] {
			layers = append(layers, layer{s.Agents[i], m, styles[mi](styleOf(i))})
		}
		for _, l := range layers {
			xy, ye := series(l.agent, l.metric, attempts[k])
			if len(xy) == 0 {
				continue
			}
			if _, err := curve(p, l.st, xy, nil, nil, true); err != nil {
				return err
			}
			yb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xy, ye})
			if err != nil {
				return err
			}
			yb.Color, yb.CapWidth = withAlpha(l.st.color, 0x90), vg.Points(3)
			p.Add(yb)
			for n := range xy {
				xmin, xmax = math.Min(xmin, xy[n].X), math.Max(xmax, xy[n].X)
				ymin, ymax = math.Min(ymin, xy[n].Y-ye[n].Low), math.Max(ymax, xy[n].Y+ye[n].High)
			}
			drawn = true
		}
		grid[k/cols][k%cols] = p
	}
	if !drawn {
		return fmt.Errorf("results: no %v cells on %s for the dreaming agents at point %q", metrics, split, point)
	}
	for _, row := range grid {
		for _, p := range row {
			if p != nil {
				padRange(&p.Y, ymin, ymax)
				p.X.Min, p.X.Max = xmin/1.3, xmax*1.3
			}
		}
	}
	var legend []legendEntry
	for mi, m := range metrics[:min(len(metrics), len(styles))] {
		legend = append(legend, legendEntry{m, styleThumbs(styles[mi](agentStyle{color: neutral}))})
	}
	if baseline != "" {
		legend = append(legend, legendEntry{baseline + ", same day", styleThumbs(grey)})
	}
	title := fmt.Sprintf("Real success on %s against dream practice%s: IQM over runs, %s%% CI", split, pointSuffix(s, point), levelPercent(s.Level))
	return panels(w, h, title, grid, legend).save(paths...)
}

// inRange keeps the ticks of a ticker inside the axis range: LogTicks
// marks whole decades beyond it, which would widen a narrow panel.
type inRange struct{ plot.Ticker }

// Ticks implements plot.Ticker.
func (t inRange) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, k := range t.Ticker.Ticks(min, max) {
		if k.Value >= min && k.Value <= max {
			out = append(out, k)
		}
	}
	return out
}
