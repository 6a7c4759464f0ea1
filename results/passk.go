package results

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/grindbench/grindbench/results/stats"
)

// This file aggregates what a checkpoint record holds as a list rather
// than a column: pass@k for each recorded k ([eval] passk_samples). Like
// every column metric it is aggregated from per-run values: the IQM over
// runs with a percentile-bootstrap CI, and paired differences against the
// baseline at matched seeds.

// sectionPassK groups the pass@k outputs.
const sectionPassK = "pass@k"

// passKCell is pass@k at one k of one agent in one stratum.
type passKCell struct {
	K  int
	N  int
	CI stats.Interval // the IQM over runs and its CI
	// Diff is the paired difference with the baseline at matched seeds
	// (NaN-valued without one).
	Diff stats.Interval
}

// passKOf returns the pass@k of c at k, NaN if c does not hold it.
func passKOf(c *Checkpoint, k int) float64 {
	if c == nil {
		return math.NaN()
	}
	for _, p := range c.PassAtK {
		if p.K == k {
			return p.Value
		}
	}
	return math.NaN()
}

// passKs returns the k recorded on split at day at point, ascending.
func (s *Summary) passKs(point, split string, day int) []int {
	var ks []int
	for _, agent := range s.Agents {
		for _, r := range s.runs[pointAgent{point, agent}] {
			if c := s.at(r, split, day); c != nil {
				for _, p := range c.PassAtK {
					if !slices.Contains(ks, p.K) {
						ks = append(ks, p.K)
					}
				}
			}
		}
	}
	slices.Sort(ks)
	return ks
}

// at returns run r's checkpoint on split at day, nil if missing.
func (s *Summary) at(r *runData, split string, day int) *Checkpoint {
	j, k := slices.Index(s.Splits, split), slices.Index(s.Days, day)
	if j < 0 || k < 0 {
		return nil
	}
	return r.at[j*len(s.Days)+k]
}

// passKCells aggregates pass@k of agent on split at day at point, one cell
// per recorded k.
func (s *Summary) passKCells(point, split string, day int, agent string) []passKCell {
	var out []passKCell
	runs := s.runs[pointAgent{point, agent}]
	for _, k := range s.passKs(point, split, day) {
		var vals []float64
		for _, r := range runs {
			if v := passKOf(s.at(r, split, day), k); !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			continue
		}
		metric := "pass@" + strconv.Itoa(k)
		c := passKCell{K: k, N: len(vals), Diff: stats.Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}}
		c.CI = stats.BootstrapCI(vals, stats.IQM, s.Level, s.resamples(), cellSeed(s.Seed, "passk", point, split, day, agent, "", metric))
		if b := s.Baseline; b != "" && b != agent {
			x, y := pairBySeed(runs, s.runs[pointAgent{point, b}], func(r *runData) float64 { return passKOf(s.at(r, split, day), k) })
			if len(x) > 0 {
				c.Diff = stats.PairedDiff(x, y, s.Level, s.resamples(), cellSeed(s.Seed, "passk-diff", point, split, day, agent, b, metric))
			}
		}
		out = append(out, c)
	}
	return out
}

// passKDays returns the checkpoints at point with pass@k, ascending.
func (s *Summary) passKDays(point string) []int {
	var out []int
	for _, d := range s.Days {
		if s.hasPassK(point, d) {
			out = append(out, d)
		}
	}
	return out
}

// hasPassK reports whether any record at point holds pass@k at day.
func (s *Summary) hasPassK(point string, day int) bool {
	for _, split := range s.Splits {
		if len(s.passKs(point, split, day)) > 0 {
			return true
		}
	}
	return false
}

// passKTable is pass@k at point: a row per split, checkpoint with pass@k
// and k, a column per agent (IQM [CI]) and one per difference with the
// baseline.
func passKTable(s *Summary, point string) (*table, error) {
	days := s.passKDays(point)
	if len(days) == 0 {
		return nil, fmt.Errorf("results: no pass@k at point %q", point)
	}
	t := &table{Name: "passk", Title: "pass@k per split and checkpoint" + pointSuffix(s, point),
		Caption: fmt.Sprintf("Unbiased pass@k (Chen et al. 2021) from the n sampled attempts per task of a checkpoint, averaged per run over the split's tasks%s: %s. Differences with %s are paired at matched seeds. Where the curves of two agents cross, the one ahead at k = 1 and behind at large k has sharpened what the other could already do rather than gained new capability.",
			pointClause(s, point), fmt.Sprintf("IQM over runs with %s", ciMethod(s)), s.Baseline)}
	t.Header = []string{"split", "day", "k"}
	var diffAgents []string
	for _, a := range s.Agents {
		t.Header = append(t.Header, a)
	}
	for _, a := range s.Agents {
		if s.Baseline != "" && a != s.Baseline {
			diffAgents = append(diffAgents, a)
			t.Header = append(t.Header, a+" - "+s.Baseline)
		}
	}
	t.TidyHeader = []string{"split", "day", "k", "agent", "baseline", "n", "iqm_or_diff", "lo", "hi"}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, split := range s.Splits {
		for _, day := range days {
			t.passKRows(s, point, split, day, diffAgents, num)
		}
	}
	return t, nil
}

// passKRows appends the rows of one split and checkpoint to t.
func (t *table) passKRows(s *Summary, point, split string, day int, diffAgents []string, num func(float64) string) {
	{
		ks := s.passKs(point, split, day)
		if len(ks) == 0 {
			return
		}
		d := strconv.Itoa(day)
		cells := map[string]map[int]passKCell{}
		for _, a := range s.Agents {
			cells[a] = map[int]passKCell{}
			for _, c := range s.passKCells(point, split, day, a) {
				cells[a][c.K] = c
				t.TidyRows = append(t.TidyRows, []string{split, d, strconv.Itoa(c.K), a, "", strconv.Itoa(c.N), num(c.CI.Point), num(c.CI.Lo), num(c.CI.Hi)})
				if !math.IsNaN(c.Diff.Point) {
					t.TidyRows = append(t.TidyRows, []string{split, d, strconv.Itoa(c.K), a, s.Baseline, strconv.Itoa(c.N), num(c.Diff.Point), num(c.Diff.Lo), num(c.Diff.Hi)})
				}
			}
		}
		for _, k := range ks {
			row := []string{split, d, strconv.Itoa(k)}
			for _, a := range s.Agents {
				c, ok := cells[a][k]
				if !ok {
					row = append(row, "")
					continue
				}
				row = append(row, formatCI(c.CI.Point, c.CI.Lo, c.CI.Hi, false))
			}
			for _, a := range diffAgents {
				c, ok := cells[a][k]
				if !ok || math.IsNaN(c.Diff.Point) {
					row = append(row, "")
					continue
				}
				row = append(row, formatCI(c.Diff.Point, c.Diff.Lo, c.Diff.Hi, true))
			}
			t.Rows = append(t.Rows, row)
		}
	}
}

// plotPassK plots pass@k against k (log axis) for every agent on one
// split at day at point: the IQM over runs with its CI band.
func plotPassK(s *Summary, point, split string, day int, paths ...string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("pass@k on %s at day %d%s: IQM over runs, %s%% CI", split, day, pointSuffix(s, point), levelPercent(s.Level))
	p.X.Label.Text = "k (sampled attempts per task, log scale)"
	p.Y.Label.Text = "pass@k (fraction of tasks solved in k attempts)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	xmax := 1.0
	for i, agent := range s.Agents {
		var line, lo, hi plotter.XYs
		for _, c := range s.passKCells(point, split, day, agent) {
			x := float64(c.K)
			line = append(line, plotter.XY{X: x, Y: c.CI.Point})
			lo = append(lo, plotter.XY{X: x, Y: c.CI.Lo})
			hi = append(hi, plotter.XY{X: x, Y: c.CI.Hi})
			ymin, ymax, xmax = math.Min(ymin, c.CI.Lo), math.Max(ymax, c.CI.Hi), math.Max(xmax, x)
		}
		if len(line) == 0 {
			continue
		}
		thumbs, err := curve(p, styleOf(i), line, lo, hi, true)
		if err != nil {
			return fmt.Errorf("results: pass@k of %s: %w", agent, err)
		}
		legend = append(legend, legendEntry{agent, thumbs})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no pass@k for point %q, split %q, day %d", point, split, day)
	}
	padRange(&p.Y, ymin, ymax)
	p.X.Min, p.X.Max = 0.8, xmax*1.25
	return withLegend(p, legend).save(paths...)
}
