package results

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Heatmaps of a sweep whose knobs are crossed: for each pair of swept
// knobs that together name the sweep's points (each pair of their values
// is one point), the headline metric on each shown split as a grid over
// the two knobs' values. With a baseline agent each other agent's grid is
// its paired difference from the baseline (the question a sweep usually
// asks: where does the mechanism help?); without one, each agent's IQM.
// Each figure has a table beside it with the same cells and their CIs.

// crossedPairs returns the pairs of swept knobs (in column order) whose
// value pairs each name at most one sweep point, with each knob's values
// in order of appearance.
func crossedPairs(s *Summary, sw sweepCols) [][2]string {
	var out [][2]string
	for i, a := range sw.cols {
		for _, b := range sw.cols[i+1:] {
			seen := map[string]bool{}
			unique := true
			for _, p := range s.Points {
				k := formatSweepValue(sw.values[p][a.name]) + "\x00" + formatSweepValue(sw.values[p][b.name])
				if seen[k] {
					unique = false
					break
				}
				seen[k] = true
			}
			if unique && len(distinctValues(s, sw, a.name)) > 1 && len(distinctValues(s, sw, b.name)) > 1 {
				out = append(out, [2]string{a.name, b.name})
			}
		}
	}
	return out
}

// distinctValues lists knob's values over the sweep's points, formatted,
// in order of appearance (numbers ascending).
func distinctValues(s *Summary, sw sweepCols, knob string) []string {
	var vals []string
	var nums []float64
	numeric := true
	for _, p := range s.Points {
		v := sw.values[p][knob]
		f := formatSweepValue(v)
		if slices.Contains(vals, f) {
			continue
		}
		vals = append(vals, f)
		x, ok := toFloat(v)
		numeric = numeric && ok
		nums = append(nums, x)
	}
	if numeric {
		idx := make([]int, len(vals))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(i, j int) int { return cmpFloat(nums[i], nums[j]) })
		sorted := make([]string, len(vals))
		for i, k := range idx {
			sorted[i] = vals[k]
		}
		vals = sorted
	}
	return vals
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// heatGrid is one agent's cells over two crossed knobs: [row][column] =
// [value of knob a][value of knob b]; NaN where no point or no estimate.
type heatGrid struct {
	agent      string
	diff       bool // paired differences from the baseline, not IQMs
	rows, cols []string
	est        [][]float64
	lo, hi     [][]float64
	n          [][]int
}

// heatGrids returns the grids of metric on split at day over knobs a
// (rows) and b (columns): paired differences of every non-baseline agent
// when the summary has a baseline, else every agent's IQM.
func heatGrids(s *Summary, sw sweepCols, a, b, split, metric string, day int) []heatGrid {
	rows, cols := distinctValues(s, sw, a), distinctValues(s, sw, b)
	var out []heatGrid
	for _, agent := range s.Agents {
		diff := s.Baseline != ""
		if diff && agent == s.Baseline {
			continue
		}
		g := heatGrid{agent: agent, diff: diff, rows: rows, cols: cols}
		g.est, g.lo, g.hi, g.n = nanGrid(len(rows), len(cols)), nanGrid(len(rows), len(cols)), nanGrid(len(rows), len(cols)), make([][]int, len(rows))
		for r := range g.n {
			g.n[r] = make([]int, len(cols))
		}
		found := false
		for _, p := range s.Points {
			r := slices.Index(rows, formatSweepValue(sw.values[p][a]))
			c := slices.Index(cols, formatSweepValue(sw.values[p][b]))
			if diff {
				if d, ok := s.diff(p, split, s.dayAt(p, day), agent, metric); ok {
					g.est[r][c], g.lo[r][c], g.hi[r][c], g.n[r][c] = d.Mean, d.Lo, d.Hi, d.N
					found = true
				}
			} else if cell, ok := s.cell(p, split, s.dayAt(p, day), agent, metric); ok {
				g.est[r][c], g.lo[r][c], g.hi[r][c], g.n[r][c] = cell.IQM, cell.Lo, cell.Hi, cell.N
				found = true
			}
		}
		if found {
			out = append(out, g)
		}
	}
	return out
}

func nanGrid(r, c int) [][]float64 {
	g := make([][]float64, r)
	for i := range g {
		g[i] = make([]float64, c)
		for j := range g[i] {
			g[i][j] = math.NaN()
		}
	}
	return g
}

// what says what a grid's cells are.
func (g *heatGrid) what(s *Summary) string {
	if g.diff {
		return fmt.Sprintf("%s − %s (mean paired difference over seeds)", g.agent, s.Baseline)
	}
	return g.agent + " (IQM over runs)"
}

// sweepHeatmaps queues a figure and a table per crossed pair of knobs,
// shown split and grid.
func (w *builder) sweepHeatmaps(sw sweepCols, split string, day int) error {
	s := w.b.Summary
	for _, pair := range crossedPairs(s, sw) {
		a, b := pair[0], pair[1]
		for _, g := range heatGrids(s, sw, a, b, split, headlineMetric, day) {
			name := safeName("heatmap_" + headlineMetric + "_" + split + "_" + lastSegment(a) + "_x_" + lastSegment(b) + "_" + g.agent)
			t := heatTable(s, &g, a, b, split, day, name)
			if err := w.addTable(t, sectionSweep); err != nil {
				return err
			}
			g := g
			w.figure(filepath.Join("sweep", name), sectionSweep,
				fmt.Sprintf("%s on %s over %s x %s: %s", headlineMetric, split, lastSegment(a), lastSegment(b), g.what(s)),
				fmt.Sprintf("%s on %s at %s over the crossed knobs %s (rows) and %s (columns): %s; the table %s gives each cell's %s.",
					headlineMetric, split, s.dayText(day), a, b, g.what(s), t.Name, ciMethod(s)),
				func(paths ...string) error { return plotHeatmap(s, &g, a, b, split, day, paths...) })
		}
	}
	return nil
}

// heatTable is a grid's cells with their CIs: a row per value of a, a
// column per value of b.
func heatTable(s *Summary, g *heatGrid, a, b, split string, day int, name string) *table {
	t := &table{Name: name, Title: fmt.Sprintf("%s on %s over %s x %s: %s", headlineMetric, split, lastSegment(a), lastSegment(b), g.what(s))}
	t.Header = append(t.Header, lastSegment(a)+` \ `+lastSegment(b))
	t.Header = append(t.Header, g.cols...)
	for r, rv := range g.rows {
		row := []string{rv}
		for c := range g.cols {
			cell := "–"
			switch est := g.est[r][c]; {
			case math.IsNaN(est):
			case math.IsNaN(g.lo[r][c]):
				cell = fmt.Sprintf("%+.3f", est)
			default:
				cell = fmt.Sprintf("%+.3f [%+.3f, %+.3f]", est, g.lo[r][c], g.hi[r][c])
			}
			if !g.diff {
				cell = strings.ReplaceAll(cell, "+", "")
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Caption = fmt.Sprintf("%s on %s at %s: %s, with %s, for every pair of values of %s (rows) and %s (columns).",
		headlineMetric, split, s.dayText(day), g.what(s), ciMethod(s), a, b)
	return t
}

// plotHeatmap draws a grid as coloured cells labelled with their values:
// a diverging scale centred on 0 for differences, viridis for IQMs.
func plotHeatmap(s *Summary, g *heatGrid, a, b, split string, day int, paths ...string) error {
	lim, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, row := range g.est {
		for _, v := range row {
			if !math.IsNaN(v) {
				lim = math.Max(lim, math.Abs(v))
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	scale := viridis(math.Min(lo, 0), math.Max(hi, 1))
	barLabel := "IQM over runs"
	if g.diff {
		if lim == 0 {
			lim = 0.01
		}
		scale = diverging(-lim, lim)
		barLabel = "paired difference vs " + s.Baseline
	}
	h := &heatCells{scale: scale}
	for r := len(g.rows) - 1; r >= 0; r-- { // first value at the top
		var labels []string
		for _, v := range g.est[r] {
			l := ""
			if !math.IsNaN(v) {
				l = strconv.FormatFloat(v, 'f', 2, 64)
			}
			labels = append(labels, l)
		}
		h.vals = append(h.vals, g.est[r])
		h.labels = append(h.labels, labels)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s on %s, %s: %s", headlineMetric, split, dayShort(day), g.agent)
	if g.diff {
		p.Title.Text += " − " + s.Baseline
	}
	p.X.Label.Text = b
	p.Y.Label.Text = a
	p.Add(h)
	rows := slices.Clone(g.rows)
	slices.Reverse(rows)
	p.NominalX(g.cols...)
	p.NominalY(rows...)
	p.X.Min, p.X.Max = -0.5, float64(len(g.cols))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(g.rows))-0.5
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(9)
	bar := colorBar(scale, barLabel)
	bar.Y.Label.TextStyle.Font.Size = vg.Points(9)
	height := vg.Inch*1.3 + vg.Length(len(g.rows))*vg.Points(28)
	return withColorBar(figureWidth, max(height, 3*vg.Inch), p, bar).save(paths...)
}
