package results

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// EnvMeasure is the measured verifiability V and grindability G (both in
// [0, 1], DESIGN 3.3 and 3.4) of the environment of one sweep point.
type EnvMeasure struct {
	Point string
	V, G  float64
}

// envPoint is one environment placed on the (V, G) plane with an agent's
// gain there: Gain is a point estimate (for example the paired difference
// of an agent's success over the baseline) and [Lo, Hi] its confidence
// interval.
type envPoint struct {
	Label        string
	V, G         float64
	Gain, Lo, Hi float64
}

// envGains joins measured (V, G) per sweep point with the paired gain of
// agent over the baseline of s in metric on split at day (Summary.Diffs),
// in the order of measured. Points without a difference are left out.
func envGains(s *Summary, measured []EnvMeasure, agent, split string, day int, metric string) []envPoint {
	var out []envPoint
	for _, m := range measured {
		if d, ok := s.diff(m.Point, split, s.dayAt(m.Point, day), agent, metric); ok {
			out = append(out, envPoint{Label: m.Point, V: m.V, G: m.G, Gain: d.Mean, Lo: d.Lo, Hi: d.Hi})
		}
	}
	return out
}

// maxEnvLabels is the most environments plotEnvScatter labels.
const maxEnvLabels = 8

// plotEnvScatter draws environments over measured verifiability V (x) and
// grindability G (y), each a marker coloured by its gain on a diverging
// colour-blind-safe scale centred on zero (blue: gain, vermillion: loss),
// with a colour bar. A filled marker's CI excludes zero; a hollow ring's
// includes it. Labels name the points. gainLabel names the gain on the
// colour bar (for example "rlvr − frozen-tuned, success on inspan"). The
// figure is 6x4.5 inches, written to every path.
//
// It returns an error if pts is empty.
func plotEnvScatter(pts []envPoint, title, gainLabel string, paths ...string) error {
	if len(pts) == 0 {
		return fmt.Errorf("results: no environments to plot")
	}
	lim := 0.05
	for _, e := range pts {
		if !math.IsNaN(e.Gain) {
			lim = math.Max(lim, math.Abs(e.Gain))
		}
	}
	lim = math.Ceil(lim*20-1e-9) / 20
	scale := diverging(-lim, lim)

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "measured verifiability V (coverage × (TPR − FPR))"
	p.Y.Label.Text = "measured grindability G"
	p.Add(plotter.NewGrid())
	p.Add(&envMarkers{pts: pts, scale: scale})
	var xys plotter.XYs
	var texts []string
	for _, e := range pts {
		xys = append(xys, plotter.XY{X: e.V, Y: e.G})
		texts = append(texts, e.Label)
	}
	// Beyond a few points, labels pile up and squeeze the axes: a sweep's
	// table (grind_vs_verify) names them instead.
	if len(pts) <= maxEnvLabels {
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			return err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].Font.Size = vg.Points(8)
			labels.TextStyle[i].XAlign = draw.XLeft
			labels.TextStyle[i].YAlign = draw.YCenter
		}
		labels.Offset = vg.Point{X: vg.Points(7)}
		p.Add(labels)
	}
	p.X.Min, p.X.Max = -0.05, 1.05
	p.Y.Min, p.Y.Max = -0.05, 1.05
	bar := colorBar(scale, "gain: "+gainLabel)
	bar.Y.Label.TextStyle.Font.Size = vg.Points(9)
	return withColorBar(figureWidth, 4.5*vg.Inch, p, bar).save(paths...)
}

// envMarkers draws one marker per environment, filled in its gain's colour
// if the gain's CI excludes zero, else a ring in that colour.
type envMarkers struct {
	pts   []envPoint
	scale *colorScale
}

// Plot implements plot.Plotter.
func (m *envMarkers) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for _, e := range m.pts {
		pt := vg.Point{X: tx(e.V), Y: ty(e.G)}
		if !c.Contains(pt) {
			continue
		}
		col := m.scale.color(e.Gain)
		significant := e.Lo > 0 || e.Hi < 0
		if significant {
			c.DrawGlyph(draw.GlyphStyle{Color: col, Shape: draw.CircleGlyph{}, Radius: vg.Points(5.5)}, pt)
			c.DrawGlyph(draw.GlyphStyle{Color: color.Black, Shape: draw.RingGlyph{}, Radius: vg.Points(5.5)}, pt)
		} else {
			// A thick ring in the gain's colour, edged in grey so that a
			// light colour (a gain near zero) still shows on white.
			edge := draw.GlyphStyle{Color: color.Gray{Y: 0x70}, Shape: draw.RingGlyph{}}
			c.DrawGlyph(draw.GlyphStyle{Color: col, Shape: thickRing{}, Radius: vg.Points(5)}, pt)
			edge.Radius = vg.Points(6.2)
			c.DrawGlyph(edge, pt)
			edge.Radius = vg.Points(3.8)
			c.DrawGlyph(edge, pt)
		}
	}
}

// DataRange implements plot.DataRanger.
func (m *envMarkers) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, e := range m.pts {
		xmin, xmax = math.Min(xmin, e.V), math.Max(xmax, e.V)
		ymin, ymax = math.Min(ymin, e.G), math.Max(ymax, e.G)
	}
	return xmin, xmax, ymin, ymax
}

// thickRing is a ring glyph with a thick stroke, readable when hollow.
type thickRing struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (thickRing) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(2.2)})
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
}
