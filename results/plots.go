package results

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// OkabeIto is the colour-blind-safe palette of Okabe and Ito (2008),
// reordered so that the colours hardest to see on white (yellow, black
// last) come last.
var OkabeIto = []color.Color{
	color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
	color.RGBA{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}, // orange
	color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // bluish green
	color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
	color.RGBA{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}, // reddish purple
	color.RGBA{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}, // sky blue
	color.RGBA{R: 0xF0, G: 0xE4, B: 0x42, A: 0xFF}, // yellow
	color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xFF}, // black
}

// AgentColor returns the colour of the agent at index i of Summary.Agents,
// cycling through OkabeIto, so an agent has the same colour in every
// figure made from one Summary.
func AgentColor(i int) color.Color {
	return OkabeIto[i%len(OkabeIto)]
}

// agentGlyphs gives each agent a marker shape as well as a colour, so
// figures survive greyscale printing.
var agentGlyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
	draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
}

// Figure size of every plot, and the resolution of raster formats.
const (
	figureWidth  = 6 * vg.Inch
	figureHeight = 4 * vg.Inch
	figureDPI    = 200
)

// metricUnits describes what each metric measures, for axis labels.
var metricUnits = map[string]string{
	"success_greedy":   "fraction of tasks solved",
	"success_sampled":  "fraction of tasks solved",
	"score_greedy":     "mean partial credit",
	"score_sampled":    "mean partial credit",
	"step_acc_greedy":  "fraction of correct steps",
	"step_acc_sampled": "fraction of correct steps",
	"verdict_reward":   "mean verdict",
	"verdict_coverage": "fraction with a verdict",
	"shared_mass":      "squared norm",
	"memorizing_mass":  "squared norm",
}

// metricLabel returns an axis label for metric: its name and unit.
func metricLabel(metric string) string {
	if u, ok := metricUnits[metric]; ok {
		return metric + " (" + u + ")"
	}
	return metric
}

// withAlpha returns c with the given opacity, premultiplied.
func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	f := uint32(a)
	return color.RGBA{R: uint8(r * f / 0xFFFF), G: uint8(g * f / 0xFFFF), B: uint8(b * f / 0xFFFF), A: a}
}

// PlotLearningCurves plots metric against the day (checkpoint) for every
// agent at one point and split: the IQM over runs as a line with markers,
// and its bootstrap CI as a shaded band. The legend is drawn beside the
// axes so it never hides data. The extension of path chooses the format
// (.png, .svg, .pdf, .eps, ...); the figure is 6x4 inches.
//
// It returns an error if s has no cell for the point, split and metric.
func PlotLearningCurves(s *Summary, point, split, metric string, path string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s on %s%s: IQM over runs, %s%% CI", metric, split, pointSuffix(s, point), levelPercent(s.Level))
	p.X.Label.Text = "day (checkpoint)"
	p.Y.Label.Text = metricLabel(metric)
	p.X.Tick.Marker = integerTicks{}
	p.Add(plotter.NewGrid())

	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, agent := range s.Agents {
		var line, lo, hi plotter.XYs
		for _, c := range s.Cells {
			if c.Point == point && c.Split == split && c.Metric == metric && c.Agent == agent {
				x := float64(c.Day)
				line = append(line, plotter.XY{X: x, Y: c.IQM})
				lo = append(lo, plotter.XY{X: x, Y: c.Lo})
				hi = append(hi, plotter.XY{X: x, Y: c.Hi})
				ymin = math.Min(ymin, c.Lo)
				ymax = math.Max(ymax, c.Hi)
			}
		}
		if len(line) == 0 {
			continue
		}
		slices.SortFunc(line, byX)
		slices.SortFunc(lo, byX)
		slices.SortFunc(hi, byX)
		col := AgentColor(i)

		slices.Reverse(hi)
		band, err := plotter.NewPolygon(append(lo, hi...))
		if err != nil {
			return fmt.Errorf("results: learning curve of %s: %w", agent, err)
		}
		band.Color = withAlpha(col, 0x40)
		band.LineStyle.Width = 0

		l, pts, err := plotter.NewLinePoints(line)
		if err != nil {
			return fmt.Errorf("results: learning curve of %s: %w", agent, err)
		}
		l.Color = col
		l.Width = vg.Points(1.5)
		pts.Color = col
		pts.Shape = agentGlyphs[i%len(agentGlyphs)]
		pts.Radius = vg.Points(2.5)

		p.Add(band, l, pts)
		legend = append(legend, legendEntry{agent, []plot.Thumbnailer{band, l, pts}})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no cells for point %q, split %q, metric %q", point, split, metric)
	}
	padRange(&p.Y, ymin, ymax)
	// Every agent's curve spans the same days axis.
	p.X.Min = math.Min(p.X.Min, float64(s.Days[0]))
	p.X.Max = math.Max(p.X.Max, float64(s.Days[len(s.Days)-1]))
	return saveWithLegend(p, legend, path)
}

func byX(a, b plotter.XY) int {
	switch {
	case a.X < b.X:
		return -1
	case a.X > b.X:
		return 1
	}
	return 0
}

// PlotSplitBars draws grouped bars of metric at one point and day: a group
// per split (in the given order), a bar per agent with the IQM over runs
// and a whisker for its bootstrap CI. Long or many split names are rotated
// so they stay readable. The legend is drawn beside the axes. The extension
// of path chooses the format; the figure is 6x4 inches.
//
// It returns an error if s has no cell for the point, day and metric in
// any of splits.
func PlotSplitBars(s *Summary, point string, day int, metric string, splits []string, path string) error {
	if len(splits) == 0 {
		return fmt.Errorf("results: no splits to plot")
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s at day %d%s: IQM over runs, %s%% CI", metric, day, pointSuffix(s, point), levelPercent(s.Level))
	p.Y.Label.Text = metricLabel(metric)
	p.X.Label.Text = "split"
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	p.Add(grid)

	// Agents with data, so that bars are spread over those only.
	var agents []int
	for i, a := range s.Agents {
		for _, sp := range splits {
			if _, ok := s.Cell(point, sp, day, a, metric); ok {
				agents = append(agents, i)
				break
			}
		}
	}
	if len(agents) == 0 {
		return fmt.Errorf("results: no cells for point %q, day %d, metric %q", point, day, metric)
	}

	const groupWidth = 0.8 // fraction of each split's slot filled by bars
	w := groupWidth / float64(len(agents))
	var legend []legendEntry
	ymin, ymax := 0.0, math.Inf(-1)
	for k, i := range agents {
		agent := s.Agents[i]
		col := AgentColor(i)
		off := -groupWidth/2 + (float64(k)+0.5)*w
		var rings []plotter.XYer
		var errs plotter.YErrorBars
		for j, sp := range splits {
			c, ok := s.Cell(point, sp, day, agent, metric)
			if !ok {
				continue
			}
			x := float64(j) + off
			rings = append(rings, plotter.XYs{
				{X: x - w/2, Y: 0}, {X: x + w/2, Y: 0}, {X: x + w/2, Y: c.IQM}, {X: x - w/2, Y: c.IQM},
			})
			errs.XYs = append(errs.XYs, plotter.XY{X: x, Y: c.IQM})
			errs.YErrors = append(errs.YErrors, struct{ Low, High float64 }{c.IQM - c.Lo, c.Hi - c.IQM})
			ymin = math.Min(ymin, c.Lo)
			ymax = math.Max(ymax, c.Hi)
		}
		if len(rings) == 0 {
			continue
		}
		bars, err := plotter.NewPolygon(rings...)
		if err != nil {
			return fmt.Errorf("results: bars of %s: %w", agent, err)
		}
		bars.Color = col
		bars.LineStyle.Color = color.Black
		bars.LineStyle.Width = vg.Points(0.5)
		errs.LineStyle = plotter.DefaultLineStyle
		errs.LineStyle.Width = vg.Points(1)
		errs.CapWidth = vg.Points(4)
		p.Add(bars, &errs)
		legend = append(legend, legendEntry{agent, []plot.Thumbnailer{bars}})
	}

	p.NominalX(splits...)
	p.X.Min, p.X.Max = -0.5, float64(len(splits))-0.5
	if rotateLabels(p, splits) {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	padRange(&p.Y, ymin, ymax)
	if ymin >= 0 {
		p.Y.Min = 0 // bars start at zero
	}
	return saveWithLegend(p, legend, path)
}

// rotateLabels reports whether the widest split name would not fit in its
// share of the axis (taken as 4.3 inches, the figure less the y axis and a
// typical legend), leaving a small gap.
func rotateLabels(p *plot.Plot, names []string) bool {
	slot := 4.3 * vg.Inch / vg.Length(len(names))
	for _, n := range names {
		if p.X.Tick.Label.Width(n) > 0.85*slot {
			return true
		}
	}
	return false
}

// pointSuffix names the point in a title when there is more than one or
// it is not the default.
func pointSuffix(s *Summary, point string) string {
	if point == "default" && len(s.Points) <= 1 {
		return ""
	}
	return " (" + point + ")"
}

// padRange sets the axis range to [lo, hi] widened by 5% on each side.
func padRange(a *plot.Axis, lo, hi float64) {
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 0.05 * math.Max(math.Abs(hi), 1)
	}
	a.Min, a.Max = lo-pad, hi+pad
}

// integerTicks marks whole numbers only, for days.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	step := 1.0
	for (hi-lo)/step > 10 {
		step *= 2
	}
	var ticks []plot.Tick
	for v := lo; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
	}
	return ticks
}

type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// saveWithLegend draws p with the legend in a column to the right of it,
// and writes the figure to path in the format named by its extension (PNG
// at 200 dpi).
func saveWithLegend(p *plot.Plot, entries []legendEntry, path string) (err error) {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	var c vg.CanvasWriterTo
	if format == "png" {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(figureWidth, figureHeight), vgimg.UseDPI(figureDPI))}
	} else {
		c, err = draw.NewFormattedCanvas(figureWidth, figureHeight, format)
		if err != nil {
			return fmt.Errorf("results: %s: %w", path, err)
		}
	}
	const margin = vg.Length(6) // points around the figure
	dc := draw.Crop(draw.New(c), margin, -margin, margin, -margin)

	l := plot.NewLegend()
	l.Left = true
	l.Top = true
	l.Padding = vg.Points(4)
	l.TextStyle.Font.Size = vg.Points(10)
	for _, e := range entries {
		l.Add(e.name, e.thumbs...)
	}
	const gap = vg.Length(8) // points between the axes and the legend
	width := l.Rectangle(dc).Size().X + gap
	plotArea := draw.Crop(dc, 0, -width, 0, 0)
	p.Draw(plotArea)
	// Top-align the legend with the plot's data area, below the title.
	legendArea := draw.Crop(dc, dc.Size().X-width+gap, 0, 0, 0)
	legendArea.Max.Y = p.DataCanvas(plotArea).Max.Y
	l.Draw(legendArea)

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if e := f.Close(); err == nil {
			err = e
		}
	}()
	_, err = c.WriteTo(f)
	return err
}
