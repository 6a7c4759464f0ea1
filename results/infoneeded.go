package results

import (
	"cmp"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	gstat "gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/grindbench/grindbench/results/stats"
)

// The information a session needs, I, measured along a sweep of the
// context's capacity C (the manifest's CapacityAxis): for each control
// agent (one whose in-session learning is its context alone) and each
// combination of the other swept knobs, I is the smallest swept capacity
// whose session_gain (IQM over seeds) reaches infoFraction of the largest
// swept capacity's. The largest capacity stands in for an unbounded
// context, so I is only as good as the grid: a gain still rising at the
// largest C makes I an underestimate (the ratio table shows every
// capacity's gain, so a reader sees whether it saturates). Its CI
// resamples seeds, each resample taking a seed's runs at every capacity
// together (matched seeds see the same tasks), recomputes the IQMs and the
// threshold, and takes empirical percentiles, so its bounds are swept
// capacities. A resample whose largest capacity gains nothing (<= 0) has
// no I; it counts as beyond the grid (+Inf), as does the point estimate.
//
// Every sweep point then has the ratio I/C (I of its own other knobs), the
// issue's "information a session needs divided by the context capacity",
// and each agent's kept gain there: morning_success minus the baseline's
// (the context-only control in back-to-weights), paired by seed.

// infoFraction is the share of the largest capacity's in-session gain the
// information needed reaches.
const infoFraction = 0.9

// InfoNeeded is the information a session needs at one combination of the
// other swept knobs, for one control agent.
type InfoNeeded struct {
	Agent    string   // the control: context without consolidation
	Held     []string // the other swept knobs' values, "knob=value", in axis order
	Points   []string // the group's points, by ascending capacity
	Capacity []float64
	Gain     []float64 // IQM of session_gain over the Seeds at each capacity
	Seeds    int       // seeds with a run at every capacity, resampled together
	// Needed is I with its CI (Point, Lo, Hi are swept capacities, or
	// +Inf where the largest capacity gains nothing).
	Needed stats.Interval
}

// infoGroup is a set of points that differ only in capacity.
type infoGroup struct {
	held   []string
	points []string
	caps   []float64
}

// capacityGroups groups the points of s by the values of every swept knob
// but key, in order of first appearance, each group's points by ascending
// capacity.
func capacityGroups(s *Summary, sw sweepCols, key string) []*infoGroup {
	var groups []*infoGroup
	for _, p := range s.Points {
		c, ok := toFloat(sw.values[p][key])
		if !ok {
			continue
		}
		var held []string
		for _, col := range sw.cols {
			if col.name != key {
				held = append(held, lastSegment(col.name)+"="+formatSweepValue(sw.values[p][col.name]))
			}
		}
		i := slices.IndexFunc(groups, func(g *infoGroup) bool { return slices.Equal(g.held, held) })
		if i < 0 {
			groups = append(groups, &infoGroup{held: held})
			i = len(groups) - 1
		}
		groups[i].points = append(groups[i].points, p)
		groups[i].caps = append(groups[i].caps, c)
	}
	for _, g := range groups {
		idx := make([]int, len(g.points))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case g.caps[a] < g.caps[b]:
				return -1
			case g.caps[a] > g.caps[b]:
				return 1
			}
			return 0
		})
		pts, caps := make([]string, len(idx)), make([]float64, len(idx))
		for i, j := range idx {
			pts[i], caps[i] = g.points[j], g.caps[j]
		}
		g.points, g.caps = pts, caps
	}
	return groups
}

// infoThreshold returns the smallest caps[k] whose gains[k] reaches
// infoFraction of the last's, or +Inf if the last is not above 0.
func infoThreshold(caps, gains []float64) float64 {
	top := gains[len(gains)-1]
	if !(top > 0) {
		return math.Inf(1)
	}
	for k, g := range gains {
		if g >= infoFraction*top {
			return caps[k]
		}
	}
	return caps[len(caps)-1]
}

// summarizeInfoNeeded fills s.InfoNeeded from the runs' session_gain (per,
// as sessionRunMetrics returns it) along the capacity axis ax.
func (s *Summary) summarizeInfoNeeded(per map[sessionRun][2]float64, ax *CapacityAxis, sw sweepCols, opt summaryOptions) {
	if ax == nil || len(per) == 0 || !slices.ContainsFunc(sw.cols, func(c exportColumn) bool { return c.name == ax.Key }) {
		return
	}
	opt = opt.withDefaults()
	const gain = 1 // session_gain's index in sessionRunMetrics's values
	seedsOf := map[pointAgent][]int{}
	for k := range per {
		pa := pointAgent{k.point, k.agent}
		seedsOf[pa] = append(seedsOf[pa], k.seed)
	}
	for _, g := range capacityGroups(s, sw, ax.Key) {
		if len(g.points) < 2 {
			continue
		}
		for _, agent := range ax.Controls {
			// The seeds with a session_gain at every capacity.
			var seeds []int
			for i, p := range g.points {
				var have []int
				for _, sd := range seedsOf[pointAgent{p, agent}] {
					if !math.IsNaN(per[sessionRun{p, agent, sd}][gain]) && (i == 0 || slices.Contains(seeds, sd)) {
						have = append(have, sd)
					}
				}
				seeds = have
			}
			if len(seeds) == 0 {
				continue
			}
			slices.Sort(seeds)
			gains := make([][]float64, len(g.points)) // [capacity][seed]
			for k, p := range g.points {
				gains[k] = make([]float64, len(seeds))
				for j, sd := range seeds {
					gains[k][j] = per[sessionRun{p, agent, sd}][gain]
				}
			}
			buf, iqm := make([]float64, len(seeds)), make([]float64, len(g.points))
			// threshold of a resample of seed indices (handed over sorted).
			threshold := func(idx []float64) float64 {
				for k := range gains {
					for i, j := range idx {
						buf[i] = gains[k][int(j)]
					}
					iqm[k] = stats.IQM(buf)
				}
				return infoThreshold(g.caps, iqm)
			}
			ids := make([]float64, len(seeds))
			for i := range ids {
				ids[i] = float64(i)
			}
			in := InfoNeeded{Agent: agent, Held: g.held, Points: g.points, Capacity: g.caps, Seeds: len(seeds)}
			in.Needed.Point, in.Needed.N = threshold(ids), len(seeds)
			in.Gain = slices.Clone(iqm)
			seed := cellSeed(opt.Seed, "information-needed", strings.Join(g.held, ","), sessionSplit, 0, agent, "", MetricSessionGain)
			reps := stats.BootstrapReplicates(make([]float64, opt.Resamples), ids, threshold, seed)
			slices.Sort(reps)
			a := (1 - opt.Level) / 2
			in.Needed.Lo = gstat.Quantile(a, gstat.Empirical, reps, nil)
			in.Needed.Hi = gstat.Quantile(1-a, gstat.Empirical, reps, nil)
			s.InfoNeeded = append(s.InfoNeeded, in)
		}
	}
}

// infoRef returns, per group, the InfoNeeded the ratio table and figure
// use: the baseline's if it is a control, else the first control's.
func infoRef(s *Summary) []InfoNeeded {
	var out []InfoNeeded
	for _, in := range s.InfoNeeded {
		i := slices.IndexFunc(out, func(o InfoNeeded) bool { return slices.Equal(o.Held, in.Held) })
		switch {
		case i < 0:
			out = append(out, in)
		case in.Agent == s.Baseline:
			out[i] = in
		}
	}
	return out
}

// formatCapacity writes a capacity (or I), "> max" for +Inf.
func formatCapacity(v, max float64) string {
	if math.IsInf(v, 1) {
		return "> " + strconv.FormatFloat(max, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// heldLabel joins a group's other knobs for titles ("" without any).
func heldLabel(held []string) string { return strings.Join(held, ", ") }

// infoNeededTable has a row per group and control: I with its CI, the
// largest capacity and its gain.
func infoNeededTable(s *Summary, key string) *table {
	if len(s.InfoNeeded) == 0 {
		return nil
	}
	t := &table{Name: "information_needed", Title: "Information a session needs, I, measured across the context's capacity",
		Header:     []string{"other knobs", "agent", "seeds", "C max", "session_gain at C max", fmt.Sprintf("I (%g%%)", 100*infoFraction), "I CI"},
		TidyHeader: []string{"held", "agent", "n", "c_max", "gain_c_max", "needed", "needed_lo", "needed_hi"}}
	for _, in := range s.InfoNeeded {
		top := in.Capacity[len(in.Capacity)-1]
		t.Rows = append(t.Rows, []string{cmp.Or(heldLabel(in.Held), "–"), in.Agent, strconv.Itoa(in.Seeds), formatCapacity(top, top),
			fmt.Sprintf("%+.3f", in.Gain[len(in.Gain)-1]), formatCapacity(in.Needed.Point, top),
			"[" + formatCapacity(in.Needed.Lo, top) + ", " + formatCapacity(in.Needed.Hi, top) + "]"})
		t.TidyRows = append(t.TidyRows, []string{heldLabel(in.Held), in.Agent, strconv.Itoa(in.Seeds), formatFloat(top),
			formatFloat(in.Gain[len(in.Gain)-1]), formatFloat(in.Needed.Point), formatFloat(in.Needed.Lo), formatFloat(in.Needed.Hi)})
	}
	t.Caption = fmt.Sprintf("I is the smallest swept context capacity (%s) whose session_gain (success over a session's last bin of slots minus its first, IQM over seeds) reaches %g%% of the largest capacity's, per control agent (its context without consolidation) and combination of the other swept knobs; the largest capacity stands in for an unbounded context (table information_ratio shows every capacity's gain). CI: %s%% empirical percentiles of I over %d bootstrap resamples of seeds (a seed's runs at every capacity resampled together); \"> C max\" where the largest capacity gains nothing.",
		key, 100*infoFraction, levelPercent(s.Level), s.resamples())
	return t
}

// sessionCell and sessionDiff look up one point's session metric.
func (s *Summary) sessionCell(point, agent, metric string) (Cell, bool) {
	for _, c := range s.SessionCells {
		if c.Point == point && c.Agent == agent && c.Metric == metric {
			return c, true
		}
	}
	return Cell{}, false
}

func (s *Summary) sessionDiff(point, agent, metric string) (Diff, bool) {
	for _, d := range s.SessionDiffs {
		if d.Point == point && d.Agent == agent && d.Metric == metric {
			return d, true
		}
	}
	return Diff{}, false
}

// keptAgents are the agents with a morning_success difference from the
// baseline, in agent order.
func keptAgents(s *Summary) []string {
	var out []string
	for _, a := range s.Agents {
		if slices.ContainsFunc(s.SessionDiffs, func(d Diff) bool { return d.Agent == a && d.Metric == MetricMorningSuccess }) {
			out = append(out, a)
		}
	}
	return out
}

// infoRatioTable has a row per sweep point of the capacity axis: its I/C,
// the control's session_gain and every agent's kept gain.
func infoRatioTable(s *Summary, key string) *table {
	refs := infoRef(s)
	if len(refs) == 0 {
		return nil
	}
	kept := keptAgents(s)
	t := &table{Name: "information_ratio", Title: "Every sweep point's information needed over capacity, I/C, and the gain each agent keeps there",
		Header:     []string{"other knobs", lastSegment(key), "I", "I/C"},
		TidyHeader: []string{"point", "held", "capacity", "needed", "ratio", "agent", "metric", "baseline", "n", "value", "lo", "hi"}}
	ref := refs[0].Agent
	t.Header = append(t.Header, ref+" "+MetricSessionGain)
	for _, a := range kept {
		t.Header = append(t.Header, a+" kept")
	}
	for _, in := range refs {
		top := in.Capacity[len(in.Capacity)-1]
		for k, p := range in.Points {
			ratio := in.Needed.Point / in.Capacity[k]
			row := []string{cmp.Or(heldLabel(in.Held), "–"), formatCapacity(in.Capacity[k], top), formatCapacity(in.Needed.Point, top), fmt.Sprintf("%.3g", ratio)}
			tidy := func(agent, metric, baseline string, n int, v, lo, hi float64) {
				t.TidyRows = append(t.TidyRows, []string{p, heldLabel(in.Held), formatFloat(in.Capacity[k]), formatFloat(in.Needed.Point), formatFloat(ratio),
					agent, metric, baseline, strconv.Itoa(n), formatFloat(v), formatFloat(lo), formatFloat(hi)})
			}
			if c, ok := s.sessionCell(p, in.Agent, MetricSessionGain); ok {
				row = append(row, formatCI(c.IQM, c.Lo, c.Hi, true))
				tidy(in.Agent, MetricSessionGain, "", c.N, c.IQM, c.Lo, c.Hi)
			} else {
				row = append(row, "–")
			}
			for _, a := range kept {
				if d, ok := s.sessionDiff(p, a, MetricMorningSuccess); ok {
					row = append(row, formatCI(d.Mean, d.Lo, d.Hi, true))
					tidy(a, MetricMorningSuccess, d.Baseline, d.N, d.Mean, d.Lo, d.Hi)
				} else {
					row = append(row, "–")
				}
			}
			t.Rows = append(t.Rows, row)
		}
	}
	t.Caption = fmt.Sprintf("Per sweep point: its capacity C (%s), the information needed I of its other knobs (table information_needed, measured on %s) and I/C; %s's %s (IQM over runs with %s); and each agent's kept gain, %s minus %s's (success over the first slots of every session after the first), the mean paired difference at matched seeds with its CI. I/C above 1: the session holds more than the context can; below 1: the context has room to spare.",
		key, ref, ref, MetricSessionGain, ciMethod(s), MetricMorningSuccess, s.Baseline)
	return t
}

// plotKeptVsRatio draws, for one group, every agent's kept gain (its
// morning_success minus the baseline's, paired by seed, with CI bands)
// against I/C on a log axis.
func plotKeptVsRatio(s *Summary, in InfoNeeded, paths ...string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Kept gain vs I/C, I = %s", formatCapacity(in.Needed.Point, in.Capacity[len(in.Capacity)-1]))
	if h := heldLabel(in.Held); h != "" {
		p.Title.Text += ", " + h
	}
	p.X.Label.Text = "I/C (log scale)"
	p.Y.Label.Text = MetricMorningSuccess + " − " + s.Baseline
	p.X.Scale = plot.LogScale{}
	var ticks plot.ConstantTicks // one per swept capacity: log ticks label too few
	for _, c := range in.Capacity {
		r := in.Needed.Point / c
		ticks = append(ticks, plot.Tick{Value: r, Label: strconv.FormatFloat(r, 'g', 3, 64)})
	}
	p.X.Tick.Marker = ticks
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, a := range keptAgents(s) {
		var line, lo, hi plotter.XYs
		for k, pt := range in.Points {
			d, ok := s.sessionDiff(pt, a, MetricMorningSuccess)
			if !ok {
				continue
			}
			x := in.Needed.Point / in.Capacity[k]
			l, h := d.Lo, d.Hi
			if math.IsNaN(l) {
				l, h = d.Mean, d.Mean
			}
			line = append(line, plotter.XY{X: x, Y: d.Mean})
			lo = append(lo, plotter.XY{X: x, Y: l})
			hi = append(hi, plotter.XY{X: x, Y: h})
			ymin, ymax = math.Min(ymin, l), math.Max(ymax, h)
		}
		if len(line) == 0 {
			continue
		}
		thumbs, err := sortedCurve(p, styleOf(slices.Index(s.Agents, a)), line, lo, hi)
		if err != nil {
			return err
		}
		legend = append(legend, legendEntry{a, thumbs})
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no kept gain against I/C")
	}
	padRange(&p.Y, math.Min(ymin, 0), math.Max(ymax, 0))
	return withLegend(p, legend).save(paths...)
}

// infoNeededOutputs writes the information-needed tables and queues the
// kept-gain figures, in the sweep's section.
func (w *builder) infoNeededOutputs(ax *CapacityAxis) error {
	s := w.b.Summary
	if ax == nil || len(s.InfoNeeded) == 0 {
		return nil
	}
	for _, t := range []*table{infoNeededTable(s, ax.Key), infoRatioTable(s, ax.Key)} {
		if t == nil {
			continue
		}
		if err := w.addTable(t, sectionSweep); err != nil {
			return err
		}
	}
	if s.Baseline == "" || len(keptAgents(s)) == 0 {
		return nil
	}
	for _, in := range infoRef(s) {
		if math.IsInf(in.Needed.Point, 1) {
			continue // no gain to need information for
		}
		in := in
		name := "kept_vs_information_ratio"
		if h := strings.Join(in.Held, "_"); h != "" {
			name += "_" + safeName(h)
		}
		title := "Kept gain against I/C"
		if h := heldLabel(in.Held); h != "" {
			title += " (" + h + ")"
		}
		w.figure(filepath.Join("information_needed", name), sectionSweep, title,
			fmt.Sprintf("Each agent's %s minus %s's (mean paired difference at matched seeds, %s%% CI bands) at every swept capacity C, placed at I/C with I = %s measured on %s (table information_needed; CI [%s, %s]); log x. Right of 1 the session needs more than the context holds.",
				MetricMorningSuccess, s.Baseline, levelPercent(s.Level), formatCapacity(in.Needed.Point, in.Capacity[len(in.Capacity)-1]), in.Agent,
				formatCapacity(in.Needed.Lo, in.Capacity[len(in.Capacity)-1]), formatCapacity(in.Needed.Hi, in.Capacity[len(in.Capacity)-1])),
			func(paths ...string) error { return plotKeptVsRatio(s, in, paths...) })
	}
	return nil
}
