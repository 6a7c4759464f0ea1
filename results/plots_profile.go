package results

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// profileThresholds returns the thresholds of a performance profile of
// metric: 101 evenly spaced values spanning its bounds in the metric table
// (0 to 1 for a fraction) when both are finite, else spanning lo to hi.
func profileThresholds(metric string, lo, hi float64) []float64 {
	if m, ok := LookupMetric(metric); ok && m.bounded() {
		lo, hi = m.Min, m.Max
	}
	tau := make([]float64, 101)
	for i := range tau {
		tau[i] = lo + (hi-lo)*float64(i)/100
	}
	return tau
}

// plotProfiles draws performance profiles of metric at one point and day
// (Agarwal et al., 2021): for each agent, the fraction of runs whose score
// exceeds a threshold τ, against τ, with a pointwise percentile-bootstrap
// band over runs (see Summary.profile). With several splits, each run
// counts the fraction of those splits on which it exceeds τ, so every
// split weighs the same; label names the splits in the title (for example
// "train" or "13 held-out splits"). A curve further up and right is
// better. The figure is 6x4 inches, written to every path.
//
// It returns an error if no agent has values.
func plotProfiles(s *Summary, point string, day int, metric string, splits []string, label string, paths ...string) error {
	return drawProfiles(s, point, day, metric, splits, label, profileBands(s, point, day, metric, splits), paths...)
}

// profileBands returns every agent's performance profile of metric at one
// point and day over splits (see plotProfiles), at thresholds spanning
// the metric's bounds; agents without values have N 0.
func profileBands(s *Summary, point string, day int, metric string, splits []string) []profileBand {
	bands, tasks := profileBandTasks(s, point, day, metric, splits)
	for _, t := range tasks {
		t()
	}
	return bands
}

// profileBandTasks is profileBands as one task per agent (each filling its
// own band of the slice returned; the bands are seeded per agent, so the
// tasks may run in any order and side by side).
func profileBandTasks(s *Summary, point string, day int, metric string, splits []string) ([]profileBand, []func()) {
	tau := profileTau(s, point, day, metric)
	bands := make([]profileBand, len(s.Agents))
	tasks := make([]func(), len(s.Agents))
	for i, agent := range s.Agents {
		tasks[i] = func() { bands[i] = s.profile(point, day, agent, metric, splits, tau) }
	}
	return bands, tasks
}

// profileTau is the thresholds of metric's profiles at one point and day:
// its bounds, or the cells' extent for an unbounded metric.
func profileTau(s *Summary, point string, day int, metric string) []float64 {
	tau := profileThresholds(metric, 0, 1)
	if m, ok := LookupMetric(metric); !ok || !m.bounded() {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range s.Cells {
			if c.Point == point && c.Day == day && c.Metric == metric {
				lo, hi = math.Min(lo, c.Lo), math.Max(hi, c.Hi)
			}
		}
		tau = profileThresholds(metric, lo, hi)
	}
	return tau
}

// drawProfiles draws bands (one per agent of s, as profileBands returns
// them).
func drawProfiles(s *Summary, point string, day int, metric string, splits []string, label string, bands []profileBand, paths ...string) error {
	if len(bands) == 0 {
		return fmt.Errorf("results: no runs for a profile at point %q, day %d, metric %q", point, day, metric)
	}
	tau := bands[0].Tau
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Performance profile on %s at day %d%s, %s%% band", label, day, pointSuffix(s, point), levelPercent(s.Level))
	p.X.Label.Text = "threshold τ on " + metricLabel(metric)
	p.Y.Label.Text = "fraction of runs scoring above τ"
	if len(splits) > 1 {
		p.Y.Label.Text = "fraction of runs × splits above τ"
	}
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	var same coincide
	for i, agent := range s.Agents {
		pr := bands[i]
		if pr.N == 0 {
			continue
		}
		line := make(plotter.XYs, len(tau))
		lo := make(plotter.XYs, len(tau))
		hi := make(plotter.XYs, len(tau))
		for t, b := range pr.Band {
			line[t] = plotter.XY{X: tau[t], Y: b.Point}
			lo[t] = plotter.XY{X: tau[t], Y: b.Lo}
			hi[t] = plotter.XY{X: tau[t], Y: b.Hi}
		}
		thumbs, err := curve(p, styleOf(i), line, lo, hi, false)
		if err != nil {
			return fmt.Errorf("results: profile of %s: %w", agent, err)
		}
		legend = append(legend, legendEntry{same.label(agent, line), thumbs})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no runs for a profile at point %q, day %d, metric %q", point, day, metric)
	}
	p.Y.Min, p.Y.Max = -0.02, 1.02
	p.X.Min, p.X.Max = tau[0], tau[len(tau)-1]
	return withLegend(p, legend).save(paths...)
}
