package results

import (
	"fmt"
	"math"
	"slices"
	"strings"

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
// the run's KL from its base on the job's tasks, for each of agents.
func plotDistanceVsRetained(s *Summary, agents []string, paths ...string) error {
	prior, day := s.PriorSplits[0], s.viewDay()
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s success vs KL from the base, %s, a marker per run", prior, dayShort(day))
	p.X.Label.Text = "KL(base || current) on the job's tasks (nats per step)"
	p.Y.Label.Text = fmt.Sprintf("success_greedy on %s (fraction of tasks solved)", prior)
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	v := metricValue(distanceMetric)
	for i, agent := range agents {
		var xy plotter.XYs
		for _, point := range s.Points {
			for _, r := range s.runs[pointAgent{point, agent}] {
				c := s.at(r, prior, s.dayAt(point, day))
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

// plotNewVsOld plots, per agent and sweep point, success_greedy on the
// train split (new task) against success on the first prior split (old
// task) at every checkpoint: the IQM over runs with CI whiskers both
// ways, joined in order of days, so each curve is one method's path as it
// learns longer.
func plotNewVsOld(s *Summary, agents []string, paths ...string) error {
	prior := s.PriorSplits[0]
	p := plot.New()
	p.Title.Text = fmt.Sprintf("New vs old task over days of learning: IQM, %s%% CI", levelPercent(s.Level))
	p.X.Label.Text = fmt.Sprintf("success_greedy on %s (new task)", s.TrainSplit)
	p.Y.Label.Text = fmt.Sprintf("success_greedy on %s (old task)", prior)
	p.Add(plotter.NewGrid())
	type key struct {
		point, split, agent string
		day                 int
	}
	cell := map[key]Cell{}
	for _, c := range s.Cells {
		if c.Metric == headlineMetric {
			cell[key{c.Point, c.Split, c.Agent, c.Day}] = c
		}
	}
	var legend []legendEntry
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, agent := range agents {
		st := styleOf(i)
		var thumbs []plot.Thumbnailer
		for _, point := range s.Points {
			var xy plotter.XYs
			var xe plotter.XErrors
			var ye plotter.YErrors
			for _, day := range s.Days {
				x, okx := cell[key{point, s.TrainSplit, agent, day}]
				y, oky := cell[key{point, prior, agent, day}]
				if !okx || !oky {
					continue
				}
				xy = append(xy, plotter.XY{X: x.IQM, Y: y.IQM})
				lo, hi := ciOr(x)
				xe = append(xe, struct{ Low, High float64 }{x.IQM - lo, hi - x.IQM})
				xmin, xmax = math.Min(xmin, lo), math.Max(xmax, hi)
				lo, hi = ciOr(y)
				ye = append(ye, struct{ Low, High float64 }{y.IQM - lo, hi - y.IQM})
				ymin, ymax = math.Min(ymin, lo), math.Max(ymax, hi)
			}
			if len(xy) == 0 {
				continue
			}
			t, err := curve(p, st, xy, nil, nil, true)
			if err != nil {
				return err
			}
			thumbs = t
			xb, yb, err := crossBars(p, xy, xe, ye, withAlpha(st.color, 0x90))
			if err != nil {
				return err
			}
			xb.CapWidth, yb.CapWidth = vg.Points(3), vg.Points(3)
		}
		if thumbs != nil {
			legend = append(legend, legendEntry{agent, thumbs})
		}
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no agent has both %s and %s cells", s.TrainSplit, prior)
	}
	padRange(&p.X, xmin, xmax)
	padRange(&p.Y, ymin, ymax)
	return withLegend(p, legend).save(paths...)
}

// maxAgentsPerFigure is the most agents a forgetting figure tells apart:
// beyond it their styles repeat.
const maxAgentsPerFigure = 8

// agentFamilies splits s's agents for the forgetting figures: all in one
// group when few, else one group per family (the name up to its first
// '-', e.g. rlvr-lr4-kl1 is of family rlvr), each with the agents whose
// name has no '-' (frozen) as references. Names are "" for one group.
func agentFamilies(s *Summary) (names []string, groups [][]string) {
	if len(s.Agents) <= maxAgentsPerFigure {
		return []string{""}, [][]string{s.Agents}
	}
	var refs []string
	index := map[string]int{}
	for _, a := range s.Agents {
		fam, _, ok := strings.Cut(a, "-")
		if !ok {
			refs = append(refs, a)
			continue
		}
		if _, seen := index[fam]; !seen {
			index[fam] = len(names)
			names = append(names, fam)
			groups = append(groups, nil)
		}
		groups[index[fam]] = append(groups[index[fam]], a)
	}
	for i := range groups {
		groups[i] = append(slices.Clone(refs), groups[i]...)
	}
	return names, groups
}
