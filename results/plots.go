package results

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The plots in this package share one look: the Okabe-Ito palette, one
// colour, marker and dash pattern per agent (by its index in
// Summary.Agents, which follows the config's order), legends beside the
// axes so they hide no data, and axis labels with units. Every Plot
// function takes one or more output paths; the extension of each chooses
// the format (.png at 200 dpi, .svg, .pdf with embedded fonts, or another
// format registered with gonum plot, such as .eps).

// pdfDate is the creation and modification date of every PDF figure. A
// PDF otherwise carries the time it was drawn and lists its resources in
// map order; a fixed date and sorted catalogs make a figure the same bytes
// whenever it is drawn, so rebuilding a folder changes nothing.
var pdfDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func init() {
	fpdf.SetDefaultCreationDate(pdfDate)
	fpdf.SetDefaultModificationDate(pdfDate)
	fpdf.SetDefaultCatalogSort(true)
}

// okabeIto is the colour-blind-safe palette of Okabe and Ito (2008),
// reordered so that the colours hardest to see on white (yellow, black
// last) come last.
var okabeIto = []color.Color{
	color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
	color.RGBA{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}, // orange
	color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // bluish green
	color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
	color.RGBA{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}, // reddish purple
	color.RGBA{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}, // sky blue
	color.RGBA{R: 0xF0, G: 0xE4, B: 0x42, A: 0xFF}, // yellow
	color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xFF}, // black
}

// agentColor returns the colour of the agent at index i of Summary.Agents,
// cycling through okabeIto, so an agent has the same colour in every
// figure made from one Summary.
func agentColor(i int) color.Color {
	return okabeIto[i%len(okabeIto)]
}

// agentGlyphs gives each agent a marker shape as well as a colour, so
// figures survive greyscale printing. Filled and hollow shapes alternate so
// that a later agent's marker drawn over an earlier one's leaves both
// visible.
var agentGlyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
	draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
}

// agentDashes gives each agent a dash pattern, so that agents whose curves
// coincide exactly (frozen and frozen-tuned often do on greedy metrics)
// stay distinguishable: the later, dashed line lets the earlier one show
// through its gaps.
var agentDashes = [][]vg.Length{
	nil,
	{vg.Points(5), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
}

// agentStyle is how agent i is drawn in every figure.
type agentStyle struct {
	color  color.Color
	glyph  draw.GlyphDrawer
	dashes []vg.Length
	radius vg.Length
}

func styleOf(i int) agentStyle {
	return agentStyle{
		color:  agentColor(i),
		glyph:  agentGlyphs[i%len(agentGlyphs)],
		dashes: agentDashes[i%len(agentDashes)],
		// Earlier agents get slightly larger markers, so that a later
		// marker at the same place sits inside an earlier one.
		radius: vg.Points(3.2 - 0.3*float64(i%4)),
	}
}

// Figure sizes, and the resolution of raster formats.
const (
	figureWidth  = 6 * vg.Inch
	figureHeight = 4 * vg.Inch
	figureDPI    = 200
	figureMargin = vg.Length(6) // points around the figure
)

// withAlpha returns c with the given opacity, premultiplied.
func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	f := uint32(a)
	return color.RGBA{R: uint8(r * f / 0xFFFF), G: uint8(g * f / 0xFFFF), B: uint8(b * f / 0xFFFF), A: a}
}

// figure is a drawing of a given size that can be saved in any format.
type figure struct {
	w, h vg.Length
	draw func(dc draw.Canvas)
}

// save writes f to every path, in the format named by its extension.
func (f figure) save(paths ...string) error {
	if len(paths) == 0 {
		return fmt.Errorf("results: no path to save the figure to")
	}
	for _, path := range paths {
		format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
		var c vg.CanvasWriterTo
		switch format {
		case "png":
			c = fastPNG{vgimg.NewWith(vgimg.UseWH(f.w, f.h), vgimg.UseDPI(figureDPI))}
		case "svg":
			c = vgsvg.New(f.w, f.h)
		case "pdf":
			pc := vgpdf.New(f.w, f.h)
			pc.EmbedFonts(true) // publishers require embedded fonts
			c = pc
		default:
			var err error
			if c, err = draw.NewFormattedCanvas(f.w, f.h, format); err != nil {
				return fmt.Errorf("results: %s: %w", path, err)
			}
		}
		dc := draw.Crop(draw.New(c), figureMargin, -figureMargin, figureMargin, -figureMargin)
		f.draw(dc)
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return fmt.Errorf("results: %s: %w", path, err)
		}
		if err := WriteFileAtomic(path, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// fastPNG is vgimg.PngCanvas with the fastest deflate level: the same
// pixels, for about a third of the encoding time and slightly larger files.
type fastPNG struct{ *vgimg.Canvas }

func (c fastPNG) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(cw, c.Image())
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// legendEntry is one line of a legend.
type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// newLegend returns a legend of entries, drawn in a column.
func newLegend(entries []legendEntry) plot.Legend {
	l := plot.NewLegend()
	l.Left = true
	l.Top = true
	l.Padding = vg.Points(4)
	l.ThumbnailWidth = vg.Points(24)
	l.TextStyle.Font.Size = vg.Points(10)
	for _, e := range entries {
		l.Add(e.name, e.thumbs...)
	}
	return l
}

// legendGap is the space between the axes and a legend beside them.
const legendGap = vg.Length(8)

// withLegend returns a figure of the standard size drawing p with the
// legend in a column to the right of it, top-aligned with the data area,
// so that it hides no data.
func withLegend(p *plot.Plot, entries []legendEntry) figure {
	return figure{w: figureWidth, h: figureHeight, draw: func(dc draw.Canvas) {
		l := newLegend(entries)
		width := vg.Length(0)
		if len(entries) > 0 {
			width = l.Rectangle(dc).Size().X + legendGap
		}
		plotArea := draw.Crop(dc, 0, -width, 0, 0)
		p.Draw(plotArea)
		if len(entries) > 0 {
			legendArea := draw.Crop(dc, dc.Size().X-width+legendGap, 0, 0, 0)
			legendArea.Max.Y = p.DataCanvas(plotArea).Max.Y
			l.Draw(legendArea)
		}
	}}
}

// panels returns a figure of the given size drawing plots in a grid
// (aligned axes, empty cells allowed as nil), with a title above and a
// legend in a column at the right.
func panels(w, h vg.Length, title string, plots [][]*plot.Plot, entries []legendEntry) figure {
	return figure{w: w, h: h, draw: func(dc draw.Canvas) {
		if title != "" {
			sty := plot.New().Title.TextStyle
			sty.XAlign = draw.XCenter
			sty.YAlign = draw.YTop
			// A title wider than the figure (a long point label) breaks
			// before its statistics clause instead of running off the edges.
			if i := strings.LastIndex(title, ": "); i > 0 && sty.Width(title) > dc.Size().X {
				title = title[:i+1] + "\n" + title[i+2:]
			}
			dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y}, title)
			dc = draw.Crop(dc, 0, 0, 0, -sty.Height(title)-vg.Points(4))
		}
		l := newLegend(entries)
		width := vg.Length(0)
		if len(entries) > 0 {
			width = l.Rectangle(dc).Size().X + legendGap
		}
		area := draw.Crop(dc, 0, -width, 0, 0)
		rows := len(plots)
		cols := len(plots[0])
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(10), PadY: vg.Points(8)}
		canvases := plot.Align(plots, tiles, area)
		for i := range plots {
			for j, p := range plots[i] {
				if p != nil {
					p.Draw(canvases[i][j])
				}
			}
		}
		if len(entries) > 0 {
			legendArea := draw.Crop(dc, dc.Size().X-width+legendGap, 0, 0, 0)
			legendArea.Max.Y = area.Max.Y - vg.Points(20)
			l.Draw(legendArea)
		}
	}}
}

// curve adds to p an agent's line through xy with markers, in its style,
// and a band from lo to hi if they are given; it returns the legend
// thumbnails.
func curve(p *plot.Plot, st agentStyle, xy, lo, hi plotter.XYs, markers bool) ([]plot.Thumbnailer, error) {
	var thumbs []plot.Thumbnailer
	if len(lo) > 0 {
		band, err := plotter.NewPolygon(append(append(plotter.XYs{}, lo...), reversed(hi)...))
		if err != nil {
			return nil, err
		}
		band.Color = withAlpha(st.color, 0x38)
		band.LineStyle.Width = 0
		p.Add(band)
		thumbs = append(thumbs, band)
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.Color = st.color
	l.Width = vg.Points(1.6)
	l.Dashes = st.dashes
	p.Add(l)
	thumbs = append(thumbs, l)
	if markers {
		pts, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		pts.Color = st.color
		pts.Shape = st.glyph
		pts.Radius = st.radius
		p.Add(pts)
		thumbs = append(thumbs, pts)
	}
	return thumbs, nil
}

// sortedCurve is curve with markers for points gathered out of x order
// (one per sweep point or capacity): it sorts line and band first.
func sortedCurve(p *plot.Plot, st agentStyle, line, lo, hi plotter.XYs) ([]plot.Thumbnailer, error) {
	slices.SortStableFunc(line, byX)
	slices.SortStableFunc(lo, byX)
	slices.SortStableFunc(hi, byX)
	return curve(p, st, line, lo, hi, true)
}

// crossBars adds to p error bars both ways around the points xy, in colour
// c, and returns them for callers to style further.
func crossBars(p *plot.Plot, xy plotter.XYs, xe plotter.XErrors, ye plotter.YErrors, c color.Color) (*plotter.XErrorBars, *plotter.YErrorBars, error) {
	bars := struct {
		plotter.XYs
		plotter.XErrors
		plotter.YErrors
	}{xy, xe, ye}
	xb, err := plotter.NewXErrorBars(bars)
	if err != nil {
		return nil, nil, err
	}
	yb, err := plotter.NewYErrorBars(bars)
	if err != nil {
		return nil, nil, err
	}
	xb.Color, yb.Color = c, c
	p.Add(xb, yb)
	return xb, yb, nil
}

func reversed(xy plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	for i, p := range xy {
		out[len(xy)-1-i] = p
	}
	return out
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
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) || math.IsNaN(lo) || math.IsNaN(hi) {
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
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprint(int(v))})
	}
	return ticks
}

// rotateLabels reports whether the widest name would not fit in its share
// of the axis (taken as 4.3 inches, the figure less the y axis and a
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

// nominalX puts names under 0, 1, ..., rotated if they would not fit.
func nominalX(p *plot.Plot, names []string) {
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	if rotateLabels(p, names) {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
}

// colorScale is a continuous colour map by linear interpolation between
// evenly spaced control colours, over [min, max]. It implements
// palette.ColorMap, for colour bars.
type colorScale struct {
	stops    []color.RGBA
	min, max float64
	alpha    float64
}

// viridis is the perceptually uniform, colour-blind-safe sequential map of
// matplotlib (van der Walt and Smith), sampled at nine points.
func viridis(min, max float64) *colorScale {
	return &colorScale{min: min, max: max, alpha: 1, stops: []color.RGBA{
		{0x44, 0x01, 0x54, 0xFF}, {0x47, 0x2D, 0x7B, 0xFF}, {0x3B, 0x52, 0x8B, 0xFF},
		{0x2C, 0x72, 0x8E, 0xFF}, {0x21, 0x91, 0x8C, 0xFF}, {0x28, 0xAE, 0x80, 0xFF},
		{0x5E, 0xC9, 0x62, 0xFF}, {0xAD, 0xDC, 0x30, 0xFF}, {0xFD, 0xE7, 0x25, 0xFF},
	}}
}

// diverging is a colour-blind-safe diverging map from Okabe-Ito
// vermillion (min: a loss) through light grey to blue (max: a gain),
// centred on the middle of [min, max].
func diverging(min, max float64) *colorScale {
	return &colorScale{min: min, max: max, alpha: 1, stops: []color.RGBA{
		{0x8F, 0x3A, 0x00, 0xFF}, {0xD5, 0x5E, 0x00, 0xFF}, {0xF0, 0xA8, 0x78, 0xFF},
		{0xF2, 0xF2, 0xF2, 0xFF},
		{0x8C, 0xBF, 0xDE, 0xFF}, {0x00, 0x72, 0xB2, 0xFF}, {0x00, 0x4E, 0x7A, 0xFF},
	}}
}

// color returns the colour of v, clamped into range.
func (c *colorScale) color(v float64) color.RGBA {
	t := 0.5
	if c.max > c.min {
		t = (v - c.min) / (c.max - c.min)
	}
	t = math.Max(0, math.Min(1, t))
	if math.IsNaN(t) {
		t = 0.5
	}
	f := t * float64(len(c.stops)-1)
	i := min(int(f), len(c.stops)-2)
	u := f - float64(i)
	a, b := c.stops[i], c.stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-u) + float64(y)*u)) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 0xFF}
}

// At implements palette.ColorMap.
func (c *colorScale) At(v float64) (color.Color, error) { return c.color(v), nil }

// Max implements palette.ColorMap.
func (c *colorScale) Max() float64 { return c.max }

// SetMax implements palette.ColorMap.
func (c *colorScale) SetMax(v float64) { c.max = v }

// Min implements palette.ColorMap.
func (c *colorScale) Min() float64 { return c.min }

// SetMin implements palette.ColorMap.
func (c *colorScale) SetMin(v float64) { c.min = v }

// Alpha implements palette.ColorMap.
func (c *colorScale) Alpha() float64 { return c.alpha }

// SetAlpha implements palette.ColorMap.
func (c *colorScale) SetAlpha(a float64) { c.alpha = a }

// Palette implements palette.ColorMap.
func (c *colorScale) Palette(n int) palette.Palette {
	cols := make([]color.Color, n)
	for i := range cols {
		cols[i] = c.color(c.min + (c.max-c.min)*float64(i)/float64(max(n-1, 1)))
	}
	return plainPalette(cols)
}

type plainPalette []color.Color

func (p plainPalette) Colors() []color.Color { return p }

// textColorOn returns black or white, whichever reads better on bg.
func textColorOn(bg color.RGBA) color.Color {
	// Relative luminance, roughly (sRGB weights on gamma-encoded values).
	l := 0.2126*float64(bg.R) + 0.7152*float64(bg.G) + 0.0722*float64(bg.B)
	if l < 110 {
		return color.White
	}
	return color.Black
}

// colorBar returns a narrow plot showing scale as a vertical colour bar
// with label on its axis.
func colorBar(scale *colorScale, label string) *plot.Plot {
	cb := plot.New()
	cb.HideX()
	cb.Add(&plotter.ColorBar{ColorMap: scale, Vertical: true, Colors: 128})
	cb.Y.Label.Text = label
	cb.Y.Min, cb.Y.Max = scale.min, scale.max
	return cb
}

// withColorBar returns a figure of the given size drawing p with a colour
// bar plot at its right.
func withColorBar(w, h vg.Length, p, bar *plot.Plot) figure {
	return figure{w: w, h: h, draw: func(dc draw.Canvas) {
		barWidth := vg.Points(60)
		main := draw.Crop(dc, 0, -barWidth-legendGap, 0, 0)
		p.Draw(main)
		side := draw.Crop(dc, dc.Size().X-barWidth, 0, 0, 0)
		// Align the bar with the data area of the main plot.
		data := p.DataCanvas(main)
		side.Min.Y, side.Max.Y = data.Min.Y, data.Max.Y
		// The bar's own y axis label and ticks take room on its left.
		bar.Draw(draw.Crop(side, 0, 0, 0, 0))
	}}
}
