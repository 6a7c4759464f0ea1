package results

import (
	"fmt"
	"math"
	"strconv"

	"github.com/grindbench/grindbench/results/stats"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// changeMatrix returns, for one agent at one point, the IQM over runs of
// each run's change of metric since the first checkpoint, per split and
// day: change[j][k] for s.Splits[j] and s.Days[k], NaN where no run has
// both values. It is the colour of plotForgettingMatrix.
func (s *Summary) changeMatrix(point, agent, metric string) [][]float64 {
	out := make([][]float64, len(s.Splits))
	nd := len(s.Days)
	runs := s.runs[pointAgent{point, agent}]
	value := metricValue(metric)
	for j := range s.Splits {
		out[j] = make([]float64, nd)
		for k := range s.Days {
			var vals []float64
			for _, r := range runs {
				if d := r.value(j, k, nd, value) - r.value(j, 0, nd, value); !math.IsNaN(d) {
					vals = append(vals, d)
				}
			}
			out[j][k] = stats.IQM(vals)
		}
	}
	return out
}

// changeLimit returns a symmetric colour range for change matrices of all
// agents at a point, at least ±0.05 and rounded up to a multiple of 0.05,
// so every agent's figure shares one scale.
func changeLimit(s *Summary, point, metric string) float64 {
	m := 0.05
	for _, a := range s.Agents {
		for _, row := range s.changeMatrix(point, a, metric) {
			for _, v := range row {
				if !math.IsNaN(v) {
					m = math.Max(m, math.Abs(v))
				}
			}
		}
	}
	return math.Ceil(m*20-1e-9) / 20
}

// plotForgettingMatrix draws the forgetting matrix of one agent at one
// point: a row per split and a column per checkpoint; each cell is written
// with the IQM over runs of metric there, and coloured by the IQM over
// runs of each run's change since the first checkpoint (a diverging
// colour-blind-safe scale, shared by every agent of s at the point):
// vermillion where the agent lost accuracy (forgetting), blue where it
// gained (learning or transfer). The figure is 6 inches wide, written to
// every path.
//
// It returns an error if the agent has no cell at the point for metric.
func plotForgettingMatrix(s *Summary, point, agent, metric string, paths ...string) error {
	title := fmt.Sprintf("Forgetting matrix of %s: %s%s, IQM over runs", agent, metric, pointSuffix(s, point))
	return plotSplitMatrix(s, point, agent, metric, nil, title, "split", paths...)
}

// plotSplitMatrix is plotForgettingMatrix over the splits keep accepts
// (every split if keep is nil), with its own title and row label.
func plotSplitMatrix(s *Summary, point, agent, metric string, keep func(split string) bool, title, rowLabel string, paths ...string) error {
	nd := len(s.Days)
	acc := make([][]float64, len(s.Splits))
	found := false
	var splits []int
	for j, sp := range s.Splits {
		acc[j] = make([]float64, nd)
		if keep != nil && !keep(sp) {
			continue
		}
		has := false
		for k, d := range s.Days {
			acc[j][k] = math.NaN()
			if c, ok := s.cell(point, sp, d, agent, metric); ok {
				acc[j][k] = c.IQM
				has = true
			}
		}
		if has {
			splits = append(splits, j)
			found = true
		}
	}
	if !found {
		return fmt.Errorf("results: no cells for point %q, agent %q, metric %q", point, agent, metric)
	}
	change := s.changeMatrix(point, agent, metric)
	lim := changeLimit(s, point, metric)
	scale := diverging(-lim, lim)

	h := &heatCells{scale: scale}
	var names []string
	for r := len(splits) - 1; r >= 0; r-- { // first split at the top
		j := splits[r]
		names = append(names, s.Splits[j])
		var vals []float64
		var labels []string
		for k := range s.Days {
			vals = append(vals, change[j][k])
			l := ""
			if !math.IsNaN(acc[j][k]) {
				l = strconv.FormatFloat(acc[j][k], 'f', 2, 64)
			}
			labels = append(labels, l)
		}
		h.vals = append(h.vals, vals)
		h.labels = append(h.labels, labels)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "day (checkpoint)"
	p.Y.Label.Text = rowLabel
	p.Add(h)
	days := make([]string, nd)
	for k, d := range s.Days {
		days[k] = strconv.Itoa(d)
	}
	p.NominalX(days...)
	p.NominalY(names...)
	p.X.Min, p.X.Max = -0.5, float64(nd)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(names))-0.5
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(9)
	bar := colorBar(scale, fmt.Sprintf("colour: change since day %d (IQM over runs)", s.Days[0]))
	bar.Y.Label.TextStyle.Font.Size = vg.Points(9)
	height := vg.Inch*1.3 + vg.Length(len(names))*vg.Points(17)
	return withColorBar(figureWidth, max(height, 3*vg.Inch), p, bar).save(paths...)
}

// heatCells is a plot.Plotter of coloured cells at integer (column, row)
// positions, each with a text label in a colour that reads on it.
type heatCells struct {
	vals   [][]float64 // [row][column]; NaN is left blank
	labels [][]string
	scale  *colorScale
}

// Plot implements plot.Plotter.
func (h *heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	sty := p.X.Tick.Label
	sty.Font.Size = vg.Points(7.5)
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YCenter
	sty.Rotation = 0
	for r, row := range h.vals {
		for k, v := range row {
			if math.IsNaN(v) {
				continue
			}
			x0, x1 := tx(float64(k)-0.5), tx(float64(k)+0.5)
			y0, y1 := ty(float64(r)-0.5), ty(float64(r)+0.5)
			bg := h.scale.color(v)
			c.FillPolygon(bg, c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}))
			if l := h.labels[r][k]; l != "" {
				sty.Color = textColorOn(bg)
				c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, l)
			}
		}
	}
}

// DataRange implements plot.DataRanger.
func (h *heatCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	cols := 0
	for _, r := range h.vals {
		cols = max(cols, len(r))
	}
	return -0.5, float64(cols) - 0.5, -0.5, float64(len(h.vals)) - 0.5
}
