package results

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// sectionHorizon holds the horizon figure; sectionOrder does not list it,
// so it follows the sections before it.
const sectionHorizon = "Horizon"

// longerPrefix names the held-out splits of k times the job's task length.
const longerPrefix = "longer@"

// longerSplits returns the horizon multiples k of s's longer@k splits,
// ascending.
func longerSplits(s *Summary) []int {
	var ks []int
	for _, sp := range s.Splits {
		if k, err := strconv.Atoi(strings.TrimPrefix(sp, longerPrefix)); err == nil && strings.HasPrefix(sp, longerPrefix) && k >= 1 {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// taskLengths reads every point's job task length from the manifest's
// resolved configs: the knob env.<family>.length, which a family offering
// longer@k splits uses for the job's task length (its longer@k tasks have
// k times as many steps). Points without one are left out.
func taskLengths(m *Manifest) map[string]int {
	out := map[string]int{}
	pts, err := m.ResolvedPoints()
	if err != nil {
		return out
	}
	for _, p := range pts {
		fam, _ := p.Config["env.family"].(string)
		if l, ok := p.Config["env."+fam+".length"].(float64); ok && l >= 1 {
			out[p.Point] = int(l)
		}
	}
	return out
}

// horizonFigure queues the horizon figure when the summary has at least
// two longer@k splits and the manifest gives every point's task length.
func (w *builder) horizonFigure(m *Manifest) {
	s := w.b.Summary
	ks := longerSplits(s)
	lengths := taskLengths(m)
	if len(ks) < 2 {
		return
	}
	for _, p := range s.Points {
		if lengths[p] == 0 {
			return
		}
	}
	day := s.viewDay()
	w.figure("horizon", sectionHorizon,
		fmt.Sprintf("Success against the test horizon multiple k (%s)", dayShort(day)),
		fmt.Sprintf("Per point (trained horizon L, the job's task length) and agent: greedy success on longer@k (tasks of kL steps) at %s, IQM over runs with %s (solid, bands), beside the per-step power law p^(kL) (dashed), with p the IQM of the same runs' per-step accuracy on longer@k (its band: the CI's bounds to the same power). Where the solid line falls below the dashed one, failures cluster beyond what independent steps would give.", s.dayText(day), ciMethod(s)),
		func(paths ...string) error { return plotHorizon(s, ks, lengths, day, paths...) })
}

// plotHorizon draws one panel per point: for each agent, success on
// longer@k against k with its CI band, and the power law p_k^(kL) from the
// per-step accuracy p_k on the same split, dashed.
func plotHorizon(s *Summary, ks []int, lengths map[string]int, day int, paths ...string) error {
	find := func(point, split, agent, metric string) (Cell, bool) {
		for _, c := range s.Cells {
			if c.Point == point && c.Split == split && c.Agent == agent && c.Metric == metric && c.Day == s.dayAt(point, day) {
				return c, true
			}
		}
		return Cell{}, false
	}
	n := len(s.Points)
	cols := min(n, 3)
	rows := (n + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
	}
	var legend []legendEntry
	drawn := 0
	for pi, point := range s.Points {
		L := lengths[point]
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (L = %d)", point, L)
		if n == 1 {
			p.Title.Text = fmt.Sprintf("L = %d", L)
		}
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.X.Tick.Marker = integerTicks{}
		p.Add(plotter.NewGrid())
		if pi/cols == rows-1 {
			p.X.Label.Text = "test horizon multiple k"
		}
		if pi%cols == 0 {
			p.Y.Label.Text = "greedy success on longer@k"
		}
		for ai, agent := range s.Agents {
			var succ, slo, shi, law, llo, lhi plotter.XYs
			for _, k := range ks {
				split := longerPrefix + strconv.Itoa(k)
				c, ok := find(point, split, agent, "success_greedy")
				a, okA := find(point, split, agent, "step_acc_greedy")
				if !ok || !okA {
					continue
				}
				x := float64(k)
				lo, hi := ciOr(c)
				succ, slo, shi = append(succ, plotter.XY{X: x, Y: c.IQM}), append(slo, plotter.XY{X: x, Y: lo}), append(shi, plotter.XY{X: x, Y: hi})
				e := float64(k * L)
				alo, ahi := ciOr(a)
				law = append(law, plotter.XY{X: x, Y: math.Pow(a.IQM, e)})
				llo, lhi = append(llo, plotter.XY{X: x, Y: math.Pow(alo, e)}), append(lhi, plotter.XY{X: x, Y: math.Pow(ahi, e)})
			}
			if len(succ) == 0 {
				continue
			}
			drawn++
			st := styleOf(ai)
			solid := agentStyle{color: st.color, glyph: st.glyph, radius: st.radius}
			thumbs, err := curve(p, solid, succ, slo, shi, true)
			if err != nil {
				return err
			}
			dashed := agentStyle{color: st.color, glyph: draw.RingGlyph{}, radius: vg.Points(2.5), dashes: []vg.Length{vg.Points(4), vg.Points(2.5)}}
			if _, err := curve(p, dashed, law, llo, lhi, false); err != nil {
				return err
			}
			if pi == 0 {
				legend = append(legend, legendEntry{agent, thumbs})
			}
		}
		p.Y.Min, p.Y.Max = 0, 1
		p.X.Min, p.X.Max = float64(ks[0])-0.2, float64(ks[len(ks)-1])+0.2
		grid[pi/cols][pi%cols] = p
	}
	if drawn == 0 {
		return fmt.Errorf("results: no success_greedy and step_acc_greedy cells on longer@k splits at day %d", day)
	}
	grey := color.Gray{Y: 0x55}
	legend = append(legend,
		legendEntry{"measured", styleThumbs(agentStyle{color: grey, glyph: draw.CircleGlyph{}, radius: vg.Points(2.8)})},
		legendEntry{"p^(kL)", styleThumbs(agentStyle{color: grey, glyph: draw.RingGlyph{}, radius: vg.Points(2.5), dashes: []vg.Length{vg.Points(4), vg.Points(2.5)}})})
	title := fmt.Sprintf("Success vs test horizon multiple k, with the per-step power law (day %d): IQM over runs, %s%% CI", day, levelPercent(s.Level))
	w := figureWidth + vg.Inch*vg.Length(max(cols-2, 0))
	h := vg.Inch * (0.6 + 2.6*vg.Length(rows))
	return panels(w, h, title, grid, legend).save(paths...)
}
