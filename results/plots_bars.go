package results

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// plotSplitBars draws grouped bars of metric at one point and day: a group
// per split (in the given order), a bar per agent with the IQM over runs
// and a whisker for its bootstrap CI. Long or many split names are rotated
// so they stay readable. The legend is drawn beside the axes. The figure is
// 6x4 inches, written to every path.
//
// It returns an error if s has no cell for the point, day and metric in
// any of splits.
func plotSplitBars(s *Summary, point string, day int, metric string, splits []string, paths ...string) error {
	if len(splits) == 0 {
		return fmt.Errorf("results: no splits to plot")
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s at day %d%s: IQM over runs, %s%% CI", metric, day, pointSuffix(s, point), levelPercent(s.Level))
	p.Y.Label.Text = metricLabel(metric)
	p.X.Label.Text = "split"
	lookup := func(split, agent string) (Cell, bool) { return s.cell(point, split, day, agent, metric) }
	if err := groupedBars(p, s.Agents, splits, lookup); err != nil {
		return fmt.Errorf("results: no cells for point %q, day %d, metric %q: %w", point, day, metric, err)
	}
	return withLegend(p, barLegend(s.Agents, splits, lookup)).save(paths...)
}

// plotGapBars draws the generalization gap of metric at one point and day
// (see metrics.go): a group per split other than the train split, a bar
// per agent with the IQM over runs of the per-run gap train - split and a
// whisker for its bootstrap CI. Bars above zero mean better on train. The
// figure is 6x4 inches, written to every path.
//
// It returns an error if s has no gap for the point, day and metric.
func plotGapBars(s *Summary, point string, day int, metric string, paths ...string) error {
	var splits []string
	for _, sp := range s.Splits {
		for _, a := range s.Agents {
			if _, ok := s.gap(point, sp, day, a, metric); ok {
				splits = append(splits, sp)
				break
			}
		}
	}
	if len(splits) == 0 {
		return fmt.Errorf("results: no generalization gaps for point %q, day %d, metric %q", point, day, metric)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Generalization gap (%s − split), %s at day %d%s", s.TrainSplit, metric, day, pointSuffix(s, point))
	p.Y.Label.Text = fmt.Sprintf("gap in %s (%s − split)", metric, s.TrainSplit)
	p.X.Label.Text = fmt.Sprintf("held-out split (IQM over runs, %s%% CI)", levelPercent(s.Level))
	lookup := func(split, agent string) (Cell, bool) { return s.gap(point, split, day, agent, metric) }
	if err := groupedBars(p, s.Agents, splits, lookup); err != nil {
		return err
	}
	zero := plotter.NewFunction(func(float64) float64 { return 0 })
	zero.Color = color.Black
	zero.Width = vg.Points(0.8)
	p.Add(zero)
	return withLegend(p, barLegend(s.Agents, splits, lookup)).save(paths...)
}

// groupedBars adds to p a group of bars per name and a bar per agent with
// data, in the agent's colour, with CI whiskers, and sets the axes.
func groupedBars(p *plot.Plot, agents, names []string, lookup func(name, agent string) (Cell, bool)) error {
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	p.Add(grid)
	var with []int
	for i, a := range agents {
		for _, n := range names {
			if _, ok := lookup(n, a); ok {
				with = append(with, i)
				break
			}
		}
	}
	if len(with) == 0 {
		return fmt.Errorf("no data")
	}
	const groupWidth = 0.8 // fraction of each slot filled by bars
	w := groupWidth / float64(len(with))
	ymin, ymax := 0.0, 0.0
	for k, i := range with {
		agent := agents[i]
		off := -groupWidth/2 + (float64(k)+0.5)*w
		var rings []plotter.XYer
		var errs plotter.YErrorBars
		for j, n := range names {
			c, ok := lookup(n, agent)
			if !ok {
				continue
			}
			x := float64(j) + off
			rings = append(rings, plotter.XYs{
				{X: x - w/2, Y: 0}, {X: x + w/2, Y: 0}, {X: x + w/2, Y: c.IQM}, {X: x - w/2, Y: c.IQM},
			})
			lo, hi := ciOr(c)
			errs.XYs = append(errs.XYs, plotter.XY{X: x, Y: c.IQM})
			errs.YErrors = append(errs.YErrors, struct{ Low, High float64 }{c.IQM - lo, hi - c.IQM})
			ymin = math.Min(ymin, lo)
			ymax = math.Max(ymax, hi)
		}
		if len(rings) == 0 {
			continue
		}
		bars, err := plotter.NewPolygon(rings...)
		if err != nil {
			return fmt.Errorf("bars of %s: %w", agent, err)
		}
		bars.Color = agentColor(i)
		bars.LineStyle.Color = color.Black
		bars.LineStyle.Width = vg.Points(0.5)
		errs.LineStyle = plotter.DefaultLineStyle
		errs.LineStyle.Width = vg.Points(1)
		errs.CapWidth = vg.Points(min(4, 0.6*float64(barPoints(w, len(names)))))
		p.Add(bars, &errs)
	}
	nominalX(p, names)
	padRange(&p.Y, ymin, ymax)
	if ymin >= 0 {
		p.Y.Min = 0 // bars start at zero
	}
	return nil
}

// barPoints estimates the width of one bar in points (the plot being about
// 4.3 inches wide).
func barPoints(w float64, groups int) vg.Length {
	return vg.Length(w * 4.3 * 72 / float64(groups))
}

// barLegend returns a legend entry per agent with data: a swatch of its
// colour.
func barLegend(agents, names []string, lookup func(name, agent string) (Cell, bool)) []legendEntry {
	var out []legendEntry
	for i, a := range agents {
		for _, n := range names {
			if _, ok := lookup(n, a); ok {
				sw, _ := plotter.NewPolygon(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 1}})
				sw.Color = agentColor(i)
				sw.LineStyle.Color = color.Black
				sw.LineStyle.Width = vg.Points(0.5)
				out = append(out, legendEntry{a, []plot.Thumbnailer{sw}})
				break
			}
		}
	}
	return out
}
