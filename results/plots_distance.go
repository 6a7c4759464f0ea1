package results

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// This file draws forgetting against the distance from the base model
// ([eval] distance), over every sweep point of a folder: one point per
// run, and one curve per agent of new-task against old-task success.

// distanceMetric is the distance the forgetting figures put on their x
// axis: KL(base || current) on the states the policy visits on the job's
// own tasks.
const distanceMetric = "kl_base_current_job"

// hasDistance reports whether s can draw the forgetting figures: records
// with the distance, a train split and a prior split.
func hasDistance(s *Summary) bool {
	if s.TrainSplit == "" || len(s.PriorSplits) == 0 {
		return false
	}
	for _, c := range s.Cells {
		if c.Metric == distanceMetric {
			return true
		}
	}
	return false
}

// plotDistanceVsRetained plots, one marker per run at the last checkpoint
// of every sweep point, success_greedy on the first prior split against
// the run's KL from its base on the job's tasks, coloured per agent.
func plotDistanceVsRetained(s *Summary, paths ...string) error {
	prior, day := s.PriorSplits[0], s.lastDay()
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Retained %s success against distance from the base, day %d (one marker per run)", prior, day)
	p.X.Label.Text = "KL(base || current) on the job's tasks (nats per step)"
	p.Y.Label.Text = fmt.Sprintf("success_greedy on %s (fraction of tasks solved)", prior)
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	v := metricValue(distanceMetric)
	for i, agent := range s.Agents {
		var xy plotter.XYs
		for _, point := range s.Points {
			for _, r := range s.runs[pointAgent{point, agent}] {
				c := s.at(r, prior, day)
				if c == nil {
					continue
				}
				if x := v(c); !math.IsNaN(x) {
					xy = append(xy, plotter.XY{X: x, Y: c.SuccessGreedy})
				}
			}
		}
		if len(xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		st := styleOf(i)
		sc.Color, sc.Shape, sc.Radius = st.color, st.glyph, st.radius
		p.Add(sc)
		legend = append(legend, legendEntry{agent, []plot.Thumbnailer{sc}})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no run records the distance on %s", prior)
	}
	return withLegend(p, legend).save(paths...)
}

// plotNewVsOld plots, per agent, success_greedy on the train split (new
// task) against success on the first prior split (old task) at the last
// checkpoint of every sweep point: the IQM over runs with CI whiskers
// both ways, the points of an agent joined in order of train success.
func plotNewVsOld(s *Summary, paths ...string) error {
	prior, day := s.PriorSplits[0], s.lastDay()
	p := plot.New()
	p.Title.Text = fmt.Sprintf("New-task against old-task success at day %d, a point per sweep point: IQM, %s%% CI", day, levelPercent(s.Level))
	p.X.Label.Text = fmt.Sprintf("success_greedy on %s (new task)", s.TrainSplit)
	p.Y.Label.Text = fmt.Sprintf("success_greedy on %s (old task)", prior)
	p.Add(plotter.NewGrid())
	cell := map[[3]string]Cell{}
	for _, c := range s.Cells {
		if c.Day == day && c.Metric == headlineMetric {
			cell[[3]string{c.Point, c.Split, c.Agent}] = c
		}
	}
	var legend []legendEntry
	for i, agent := range s.Agents {
		type pt struct{ x, y Cell }
		var pts []pt
		for _, point := range s.Points {
			x, okx := cell[[3]string{point, s.TrainSplit, agent}]
			y, oky := cell[[3]string{point, prior, agent}]
			if okx && oky {
				pts = append(pts, pt{x, y})
			}
		}
		if len(pts) == 0 {
			continue
		}
		slices.SortStableFunc(pts, func(a, b pt) int {
			switch {
			case a.x.IQM < b.x.IQM:
				return -1
			case a.x.IQM > b.x.IQM:
				return 1
			}
			return 0
		})
		xy := make(plotter.XYs, len(pts))
		xe, ye := make(plotter.XErrors, len(pts)), make(plotter.YErrors, len(pts))
		for j, q := range pts {
			xy[j] = plotter.XY{X: q.x.IQM, Y: q.y.IQM}
			lo, hi := ciOr(q.x)
			xe[j] = struct{ Low, High float64 }{q.x.IQM - lo, hi - q.x.IQM}
			lo, hi = ciOr(q.y)
			ye[j] = struct{ Low, High float64 }{q.y.IQM - lo, hi - q.y.IQM}
		}
		st := styleOf(i)
		thumbs, err := curve(p, st, xy, nil, nil, true)
		if err != nil {
			return err
		}
		bars := struct {
			plotter.XYs
			plotter.XErrors
			plotter.YErrors
		}{xy, xe, ye}
		xb, err := plotter.NewXErrorBars(bars)
		if err != nil {
			return err
		}
		yb, err := plotter.NewYErrorBars(bars)
		if err != nil {
			return err
		}
		xb.Color, yb.Color = withAlpha(st.color, 0x90), withAlpha(st.color, 0x90)
		xb.CapWidth, yb.CapWidth = vg.Points(3), vg.Points(3)
		p.Add(xb, yb)
		legend = append(legend, legendEntry{agent, thumbs})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no agent has both %s and %s cells", s.TrainSplit, prior)
	}
	return withLegend(p, legend).save(paths...)
}
