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

// ciOr returns c's interval, or the IQM for both bounds (no whisker, no
// band) where summarize computed none.
func ciOr(c Cell) (lo, hi float64) {
	if math.IsNaN(c.Lo) || math.IsNaN(c.Hi) {
		return c.IQM, c.IQM
	}
	return c.Lo, c.Hi
}

// cellSeries returns the IQM and CI bounds of one agent's cells over days,
// sorted by day.
func cellSeries(cells []Cell, point, split, agent, metric string) (line, lo, hi plotter.XYs) {
	for _, c := range cells {
		if c.Point == point && c.Split == split && c.Metric == metric && c.Agent == agent {
			x := float64(c.Day)
			l, h := ciOr(c)
			line = append(line, plotter.XY{X: x, Y: c.IQM})
			lo = append(lo, plotter.XY{X: x, Y: l})
			hi = append(hi, plotter.XY{X: x, Y: h})
		}
	}
	slices.SortFunc(line, byX)
	slices.SortFunc(lo, byX)
	slices.SortFunc(hi, byX)
	return line, lo, hi
}

// plotLearningCurves plots metric against the day (checkpoint) for every
// agent at one point and split: the IQM over runs as a line with markers,
// and its bootstrap CI as a shaded band. Each agent has its colour, marker
// and dash pattern, so curves that coincide stay distinguishable. The
// legend is drawn beside the axes so it never hides data. The figure is
// 6x4 inches, written to every path.
//
// It returns an error if s has no cell for the point, split and metric.
func plotLearningCurves(s *Summary, point, split, metric string, paths ...string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s on %s%s: IQM over runs, %s%% CI", metric, split, pointSuffix(s, point), levelPercent(s.Level))
	p.X.Label.Text = "day (checkpoint at the end of the day; 0 = before the job)"
	p.Y.Label.Text = metricLabel(metric)
	p.X.Tick.Marker = integerTicks{}
	p.Add(plotter.NewGrid())

	var legend []legendEntry
	var same coincide
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, agent := range s.Agents {
		line, lo, hi := cellSeries(s.Cells, point, split, agent, metric)
		if len(line) == 0 {
			continue
		}
		for k := range lo {
			ymin, ymax = math.Min(ymin, lo[k].Y), math.Max(ymax, hi[k].Y)
		}
		thumbs, err := curve(p, styleOf(i), line, lo, hi, true)
		if err != nil {
			return fmt.Errorf("results: learning curve of %s: %w", agent, err)
		}
		legend = append(legend, legendEntry{same.label(agent, line), thumbs})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no cells for point %q, split %q, metric %q", point, split, metric)
	}
	padRange(&p.Y, ymin, ymax)
	// Every agent's curve spans the same days axis.
	p.X.Min, p.X.Max = float64(s.Days[0])-0.2, float64(s.Days[len(s.Days)-1])+0.2
	return withLegend(p, legend).save(paths...)
}

// plotRewardVsSuccess plots, for every agent at one point and split, the
// verdict reward a learner receives (verdict_reward, dashed, hollow
// markers) against its true success with the same sampled actions
// (success_sampled, solid, filled markers) over days, IQM over runs with
// CI bands: a verdict reward that rises while true success does not is
// reward hacking. One panel per agent, in its colour; the panels share the
// y axis. With an exact verifier the two lines coincide.
//
// It returns an error if s has neither metric for the point and split.
func plotRewardVsSuccess(s *Summary, point, split string, paths ...string) error {
	return plotBeliefVsTruth(s, point, split, beliefVsTruth{
		truth: "success_sampled", belief: "verdict_reward",
		truthLabel: "true success", beliefLabel: "verdict reward", yLabel: "fraction of sampled attempts",
		title: fmt.Sprintf("Verdict reward vs true success on %s%s (sampled actions): IQM over runs, %s%% CI", split, pointSuffix(s, point), levelPercent(s.Level)),
	}, paths...)
}

// beliefVsTruth names the two metrics of a belief-versus-truth figure and
// their labels.
type beliefVsTruth struct {
	truth, belief                   string
	truthLabel, beliefLabel, yLabel string
	title                           string
}

// plotBeliefVsTruth draws what a learner believes (f.belief, dashed, hollow
// markers) against the truth (f.truth, solid) per agent over days, one
// panel per agent: plotRewardVsSuccess and the dream figure.
func plotBeliefVsTruth(s *Summary, point, split string, f beliefVsTruth, paths ...string) error {
	type agentData struct {
		i                int
		succ, slo, shi   plotter.XYs
		reward, rlo, rhi plotter.XYs
	}
	var data []agentData
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, agent := range s.Agents {
		var d agentData
		d.i = i
		d.succ, d.slo, d.shi = cellSeries(s.Cells, point, split, agent, f.truth)
		d.reward, d.rlo, d.rhi = cellSeries(s.Cells, point, split, agent, f.belief)
		if len(d.succ) == 0 && len(d.reward) == 0 {
			continue
		}
		for _, xy := range [][]plotter.XY{d.slo, d.shi, d.rlo, d.rhi} {
			for _, v := range xy {
				ymin, ymax = math.Min(ymin, v.Y), math.Max(ymax, v.Y)
			}
		}
		data = append(data, d)
	}
	if len(data) == 0 {
		return fmt.Errorf("results: no %s or %s cells for point %q, split %q", f.truth, f.belief, point, split)
	}
	cols := min(len(data), 3)
	rows := (len(data) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	for k, d := range data {
		p := plot.New()
		p.Title.Text = s.Agents[d.i]
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.X.Tick.Marker = integerTicks{}
		p.Add(plotter.NewGrid())
		if k/cols == rows-1 {
			p.X.Label.Text = "day"
		}
		if k%cols == 0 {
			p.Y.Label.Text = f.yLabel
		}
		st := styleOf(d.i)
		solid := agentStyle{color: st.color, glyph: draw.CircleGlyph{}, radius: vg.Points(2.8)}
		dashed := agentStyle{color: st.color, glyph: draw.RingGlyph{}, radius: vg.Points(3.4), dashes: []vg.Length{vg.Points(4), vg.Points(2.5)}}
		if len(d.succ) > 0 {
			if _, err := curve(p, solid, d.succ, d.slo, d.shi, true); err != nil {
				return err
			}
		}
		if len(d.reward) > 0 {
			if _, err := curve(p, dashed, d.reward, d.rlo, d.rhi, true); err != nil {
				return err
			}
		}
		padRange(&p.Y, ymin, ymax)
		p.X.Min, p.X.Max = float64(s.Days[0])-0.3, float64(s.Days[len(s.Days)-1])+0.3
		grid[k/cols][k%cols] = p
	}
	// The legend explains line styles in neutral grey; colours are agents.
	grey := color.Gray{Y: 0x55}
	legend := []legendEntry{
		{f.truthLabel, styleThumbs(agentStyle{color: grey, glyph: draw.CircleGlyph{}, radius: vg.Points(2.8)})},
		{f.beliefLabel, styleThumbs(agentStyle{color: grey, glyph: draw.RingGlyph{}, radius: vg.Points(3.4), dashes: []vg.Length{vg.Points(4), vg.Points(2.5)}})},
	}
	title := f.title
	w := figureWidth + vg.Inch*vg.Length(max(cols-2, 0))
	h := vg.Inch * (0.5 + 2.6*vg.Length(rows))
	return panels(w, h, title, grid, legend).save(paths...)
}

// styleThumbs returns legend thumbnails of a line and marker in st.
func styleThumbs(st agentStyle) []plot.Thumbnailer {
	l := &plotter.Line{LineStyle: draw.LineStyle{Color: st.color, Width: vg.Points(1.6), Dashes: st.dashes}}
	g := &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: st.color, Shape: st.glyph, Radius: st.radius}}
	return []plot.Thumbnailer{l, g}
}

// plotSessionCurves plots the within-session learning curves of one point:
// every agent's true success per real attempt (as recorded online, never
// shown to the agent) against time in the job, from summarizeAttempts: the
// IQM over runs of each bin of task slots with its CI band. The x axis is
// in days, each day's sessions filling the unit interval before the
// checkpoint that ends it, so a dip at each whole day is a new session
// starting without the previous session's context. Colours follow
// agents, the order of ss.Agents (give summarizeAttempts the Summary's
// agents so colours match the other figures).
//
// It returns an error if ss has no data for the point.
func plotSessionCurves(ss *sessionSummary, point string, paths ...string) error {
	if ss == nil {
		return fmt.Errorf("results: no attempt records")
	}
	p := plot.New()
	slots := ss.Slots[point]
	sessions := ss.Sessions[point]
	p.Title.Text = fmt.Sprintf("True success per real attempt during the job: IQM over runs, %s%% CI", levelPercent(ss.Level))
	if point != "default" {
		p.Title.Text = fmt.Sprintf("True success per real attempt (%s): IQM over runs, %s%% CI", point, levelPercent(ss.Level))
	}
	what := "session"
	if sessions > 1 {
		what = fmt.Sprintf("%d sessions", sessions)
	}
	p.X.Label.Text = fmt.Sprintf("time in the job (days; a day = %s of %d task slots, in bins of %d)", what, slots, ss.Bin[point])
	p.Y.Label.Text = "true success (fraction of attempts)"
	p.X.Tick.Marker = integerTicks{}
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	xmax := 0.0
	for i, agent := range ss.Agents {
		var line, lo, hi plotter.XYs
		for _, sp := range ss.Points {
			if sp.Point == point && sp.Agent == agent {
				line = append(line, plotter.XY{X: sp.X, Y: sp.IQM})
				lo = append(lo, plotter.XY{X: sp.X, Y: sp.Lo})
				hi = append(hi, plotter.XY{X: sp.X, Y: sp.Hi})
				ymin, ymax = math.Min(ymin, sp.Lo), math.Max(ymax, sp.Hi)
				xmax = math.Max(xmax, math.Ceil(sp.X))
			}
		}
		if len(line) == 0 {
			continue
		}
		// Break the line and band at each session, so no segment joins
		// the end of one session to the start of the next.
		var thumbs []plot.Thumbnailer
		start := 0
		for k := 1; k <= len(line); k++ {
			if k < len(line) && sameSession(line[k-1].X, line[k].X, sessions) {
				continue
			}
			t, err := curve(p, styleOf(i), line[start:k], lo[start:k], hi[start:k], len(line) <= 40)
			if err != nil {
				return fmt.Errorf("results: session curve of %s: %w", agent, err)
			}
			thumbs = t
			start = k
		}
		legend = append(legend, legendEntry{agent, thumbs})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no attempts for point %q", point)
	}
	padRange(&p.Y, ymin, ymax)
	p.X.Min, p.X.Max = 0, xmax
	return withLegend(p, legend).save(paths...)
}

// sameSession reports whether two job times lie in one session.
func sameSession(a, b float64, sessions int) bool {
	n := float64(max(sessions, 1))
	return math.Floor(a*n) == math.Floor(b*n)
}

// coincide notices curves identical to an earlier one, so that a legend
// can say so: overlapping lines hide each other however they are styled.
type coincide struct {
	names []string
	lines []plotter.XYs
}

// label returns name, followed by "(= other)" if line equals the line of
// an earlier agent other, and remembers line.
func (c *coincide) label(name string, line plotter.XYs) string {
	out := name
	for i, l := range c.lines {
		if slices.Equal(l, line) {
			out = fmt.Sprintf("%s (= %s)", name, c.names[i])
			break
		}
	}
	c.names = append(c.names, name)
	c.lines = append(c.lines, line)
	return out
}
