package results

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/grindbench/grindbench/results/stats"
)

// EnvScore is the measured verifiability V, grindability G and loophole
// pass rate of one environment (a family with its verifier and grindability
// knobs; one sweep point), each a mean over probe seeds with a bootstrap CI
// over them. experiments.MeasureEnv makes it; docs/science.md ("Measured V
// and G") defines every field.
type EnvScore struct {
	Point       string // sweep point label, or the family's name in `grind envs`
	Family      string
	Granularity string // the verdict granularity V and G were measured at
	Seeds       int    // probe seeds

	V        stats.Interval // coverage x (TPR - FPR), loophole off
	G        stats.Interval // GTransform(GRaw)
	Loophole stats.Interval // P(pass | a judged loophole-behaving attempt); NaN when none was seen

	Coverage, TPR, FPR stats.Interval
	SNR                stats.Interval // policy-gradient signal-to-noise ratio of one slot's estimate
	Rate               float64        // slots per unit of simulated time
	GRaw               stats.Interval // SNR x Rate, before the transform
	BaseSuccess        stats.Interval // true success of the base policy's sampled attempts at the job's tasks
}

// Measure is the point estimate in the form Build's (V, G) scatter takes.
func (e EnvScore) Measure() EnvMeasure { return EnvMeasure{Point: e.Point, V: e.V.Point, G: e.G.Point} }

// EnvMeasures converts scores for BuildOptions.Measured.
func EnvMeasures(s []EnvScore) []EnvMeasure {
	out := make([]EnvMeasure, len(s))
	for i, e := range s {
		out[i] = e.Measure()
	}
	return out
}

// envScoreTable lays scores out as a table, one row per environment.
func envScoreTable(s []EnvScore) *table {
	t := &table{
		Name:  "envs_vg",
		Title: "Measured verifiability V and grindability G",
		Caption: "V = coverage × (TPR − FPR) of the verdicts at the verdict granularity, probed with the base, uniform-random " +
			"and oracle policies, loophole off; G = x/(1+x) of x = (policy-gradient SNR of one slot at the base policy with " +
			"perfect verdicts) × (slots per unit of simulated time) / GScale; loophole = pass rate of judged loophole-behaving " +
			"attempts. Means over probe seeds with 95% bootstrap CIs over seeds (docs/science.md, Measured V and G).",
		Header: []string{"environment", "V", "G", "loophole", "coverage", "TPR", "FPR", "SNR/slot", "slots/time", "base success", "seeds"},
		TidyHeader: []string{"environment", "family", "granularity", "seeds", "rate",
			"v", "v_lo", "v_hi", "g", "g_lo", "g_hi", "loophole", "loophole_lo", "loophole_hi",
			"coverage", "coverage_lo", "coverage_hi", "tpr", "tpr_lo", "tpr_hi", "fpr", "fpr_lo", "fpr_hi",
			"snr", "snr_lo", "snr_hi", "g_raw", "g_raw_lo", "g_raw_hi", "base_success", "base_success_lo", "base_success_hi"},
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	ci := func(i stats.Interval) []string { return []string{num(i.Point), num(i.Lo), num(i.Hi)} }
	for _, e := range s {
		snr := fmt.Sprintf("%.3g [%.3g, %.3g]", e.SNR.Point, e.SNR.Lo, e.SNR.Hi)
		t.Rows = append(t.Rows, []string{e.Point,
			formatCI(e.V.Point, e.V.Lo, e.V.Hi, false), formatCI(e.G.Point, e.G.Lo, e.G.Hi, false),
			formatCI(e.Loophole.Point, e.Loophole.Lo, e.Loophole.Hi, false),
			formatCI(e.Coverage.Point, e.Coverage.Lo, e.Coverage.Hi, false),
			formatCI(e.TPR.Point, e.TPR.Lo, e.TPR.Hi, false), formatCI(e.FPR.Point, e.FPR.Lo, e.FPR.Hi, false),
			snr, num(e.Rate), formatCI(e.BaseSuccess.Point, e.BaseSuccess.Lo, e.BaseSuccess.Hi, false), strconv.Itoa(e.Seeds)})
		row := []string{e.Point, e.Family, e.Granularity, strconv.Itoa(e.Seeds), num(e.Rate)}
		for _, i := range []stats.Interval{e.V, e.G, e.Loophole, e.Coverage, e.TPR, e.FPR, e.SNR, e.GRaw, e.BaseSuccess} {
			row = append(row, ci(i)...)
		}
		t.TidyRows = append(t.TidyRows, row)
	}
	return t
}

// WriteEnvScores writes scores as a table in format: "text" (box-drawn),
// "markdown" or "csv" (one row per environment, every estimate with its
// bounds in columns of its own).
func WriteEnvScores(w io.Writer, s []EnvScore, format string) error {
	switch format {
	case FormatText, FormatMarkdown, FormatCSV:
		return envScoreTable(s).Write(w, format)
	}
	return fmt.Errorf("results: unknown format %q (want text, markdown or csv)", format)
}

// PlotEnvScores draws environments on the (V, G) plane: a marker per
// environment at its point estimates with its CIs as error bars in both
// directions, named by Point in a legend. The figure is written to every path, in
// the format its extension names (svg, png, pdf).
func PlotEnvScores(s []EnvScore, title string, paths ...string) error {
	if len(s) == 0 {
		return fmt.Errorf("results: no environments to plot")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "measured verifiability V (coverage × (TPR − FPR))"
	p.Y.Label.Text = "measured grindability G"
	p.Add(plotter.NewGrid())
	var xys plotter.XYs
	var texts []string
	var xerr plotter.XErrors
	var yerr plotter.YErrors
	for _, e := range s {
		v, g := finiteOr0(e.V.Point), finiteOr0(e.G.Point)
		xys = append(xys, plotter.XY{X: v, Y: g})
		texts = append(texts, e.Point)
		xerr = append(xerr, struct{ Low, High float64 }{v - finiteOr(e.V.Lo, v), finiteOr(e.V.Hi, v) - v})
		yerr = append(yerr, struct{ Low, High float64 }{g - finiteOr(e.G.Lo, g), finiteOr(e.G.Hi, g) - g})
	}
	if _, _, err := crossBars(p, xys, xerr, yerr, color.Gray{Y: 0x60}); err != nil {
		return err
	}
	// A marker per environment in its own colour and shape, named in the
	// legend: environments often share a place (every family's defaults
	// sit at V = 1), where labels beside the markers would overprint.
	var entries []legendEntry
	for i, xy := range xys {
		st := styleOf(i)
		sc, err := plotter.NewScatter(plotter.XYs{xy})
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: st.color, Shape: st.glyph, Radius: st.radius + vg.Points(1)}
		p.Add(sc)
		entries = append(entries, legendEntry{name: texts[i], thumbs: []plot.Thumbnailer{sc}})
	}
	p.X.Min, p.X.Max = -0.05, 1.05
	p.Y.Min, p.Y.Max = -0.05, 1.05
	return withLegend(p, entries).save(paths...)
}

func finiteOr0(v float64) float64 { return finiteOr(v, 0) }

func finiteOr(v, def float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return def
	}
	return v
}
