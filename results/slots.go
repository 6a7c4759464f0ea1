package results

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/grindbench/grindbench/results/stats"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Within-session curves by attempt index: true success against the task
// slot within a session, pooling the sessions of the first day and those of
// the later days. An agent that learns only in its context starts every
// session (every morning) where it started the first and climbs again; one
// that keeps what it learned in its weights starts later sessions higher.
// sessions.go draws the same attempts against time in the job.

// Day groups of the slot curves, in their order. In a drifting job the
// first day of each later phase is a group of its own (a new phase's
// morning), and days 2+ are the others.
const (
	slotFirstDay  = "day 1"
	slotPhaseDays = "new-phase days"
	slotLaterDays = "days 2+"
)

var slotGroups = []string{slotFirstDay, slotPhaseDays, slotLaterDays}

// phaseStarts returns, per point, the days (after day 1) on which a new
// phase of a drifting job begins: those whose checkpoint's phase is above
// the previous checkpoint's. Phases are a property of the config, so any
// run's checkpoints tell.
func phaseStarts(recs []Checkpoint) map[string]map[int]bool {
	phase := map[string]map[int]int{}
	for i := range recs {
		c := &recs[i]
		if c.Phase == 0 {
			continue
		}
		if phase[c.Point] == nil {
			phase[c.Point] = map[int]int{}
		}
		phase[c.Point][c.Day] = c.Phase
	}
	out := map[string]map[int]bool{}
	for p, days := range phase {
		for d, ph := range days {
			if d > 1 && ph > days[d-1] {
				if out[p] == nil {
					out[p] = map[int]bool{}
				}
				out[p][d] = true
			}
		}
	}
	return out
}

// slotPoint aggregates one agent's true success in one bin of slots over
// the sessions of one day group: each run contributes the mean success of
// its attempts there (every rollout, every session of the group); IQM, Lo
// and Hi are the IQM over runs and its percentile-bootstrap CI.
type slotPoint struct {
	Point, Agent, Days string // Days: one of slotGroups
	SlotLo, SlotHi     int    // the bin's slots, [SlotLo, SlotHi)
	N                  int
	IQM, Lo, Hi        float64
	vals               map[int]float64 // by seed, for the table's paired gains
}

// slotSummary holds the slot curves of every agent, ordered by point,
// agent (in the order of Agents), day group and bin.
type slotSummary struct {
	Points    []slotPoint
	Agents    []string
	Bin       map[string]int // slots per bin, per point
	Level     float64
	Resamples int
	seed      uint64
}

// summarizeSlots aggregates Attempt records into slot curves, binning
// slots like summarizeAttempts (bin slots per bin; 0 for 8 bins per
// session); starts (from phaseStarts) marks the new-phase days of each
// point. It returns nil without attempts.
func summarizeSlots(atts []Attempt, opt summaryOptions, bin int, starts map[string]map[int]bool) *slotSummary {
	if len(atts) == 0 {
		return nil
	}
	opt = opt.withDefaults()
	ss := &slotSummary{Bin: map[string]int{}, Level: opt.Level, Resamples: opt.Resamples, seed: opt.Seed}
	var points []string
	slots := map[string]int{}
	for _, a := range opt.Agents {
		if !slices.Contains(ss.Agents, a) {
			ss.Agents = append(ss.Agents, a)
		}
	}
	for i := range atts {
		a := &atts[i]
		if !slices.Contains(ss.Agents, a.Agent) {
			ss.Agents = append(ss.Agents, a.Agent)
		}
		if _, ok := slots[a.Point]; !ok {
			points = append(points, a.Point)
		}
		slots[a.Point] = max(slots[a.Point], a.Slot+1)
	}
	for _, p := range points {
		ss.Bin[p] = bin
		if bin <= 0 {
			ss.Bin[p] = max(1, (slots[p]+7)/8)
		}
	}
	type key struct {
		point, agent string
		later, bin   int
	}
	type acc struct{ sum, n float64 }
	sums := map[key]map[int]*acc{} // by seed
	for i := range atts {
		a := &atts[i]
		if math.IsNaN(a.Success) {
			continue
		}
		group := 2
		switch {
		case a.Day <= 1:
			group = 0
		case starts[a.Point][a.Day]:
			group = 1
		}
		k := key{a.Point, a.Agent, group, a.Slot / ss.Bin[a.Point]}
		if sums[k] == nil {
			sums[k] = map[int]*acc{}
		}
		s := sums[k][a.Seed]
		if s == nil {
			s = &acc{}
			sums[k][a.Seed] = s
		}
		s.sum += a.Success
		s.n += float64(max(1, a.folded)) // Success of a folded attempt is a sum
	}
	keys := make([]key, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := slices.Index(points, a.point) - slices.Index(points, b.point); c != 0 {
			return c
		}
		if c := slices.Index(ss.Agents, a.agent) - slices.Index(ss.Agents, b.agent); c != 0 {
			return c
		}
		return slices.Compare([]int{a.later, a.bin}, []int{b.later, b.bin})
	})
	var tasks []func()
	for _, k := range keys {
		seeds := make([]int, 0, len(sums[k]))
		for s := range sums[k] {
			seeds = append(seeds, s)
		}
		slices.Sort(seeds)
		vals := make([]float64, len(seeds))
		byseed := map[int]float64{}
		for i, s := range seeds {
			vals[i] = sums[k][s].sum / sums[k][s].n
			byseed[s] = vals[i]
		}
		days := slotGroups[k.later]
		b := ss.Bin[k.point]
		i := len(ss.Points)
		ss.Points = append(ss.Points, slotPoint{Point: k.point, Agent: k.agent, Days: days,
			SlotLo: k.bin * b, SlotHi: min((k.bin+1)*b, slots[k.point]), N: len(vals), vals: byseed})
		seed := cellSeed(opt.Seed, "slot", k.point, days+"/"+strconv.Itoa(k.bin), 0, k.agent, "", "success")
		tasks = append(tasks, func() {
			ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
			ss.Points[i].IQM, ss.Points[i].Lo, ss.Points[i].Hi = ci.Point, ci.Lo, ci.Hi
		})
	}
	parallelDo(opt.Workers, tasks)
	return ss
}

// curve returns the points of one agent's curve for one day group, in
// slot order.
func (ss *slotSummary) curve(point, agent, days string) []slotPoint {
	var out []slotPoint
	for _, p := range ss.Points {
		if p.Point == point && p.Agent == agent && p.Days == days {
			out = append(out, p)
		}
	}
	return out
}

// plotSlotCurves draws true success against the slot within a session,
// per agent: solid for the later days' sessions, dotted for the first
// day's, with bands for the CIs.
func plotSlotCurves(ss *slotSummary, point string, paths ...string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Success by attempt in a session: IQM, %s%% CI", levelPercent(ss.Level))
	if point != "default" {
		p.Title.Text = fmt.Sprintf("Success by attempt in a session (%s): IQM, %s%% CI", point, levelPercent(ss.Level))
	}
	p.X.Label.Text = fmt.Sprintf("task slot within the session (bins of %d)", ss.Bin[point])
	p.Y.Label.Text = "true success (fraction of attempts)"
	p.Add(plotter.NewGrid())
	var legend []legendEntry
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, agent := range ss.Agents {
		for _, days := range slotGroups {
			pts := ss.curve(point, agent, days)
			if len(pts) == 0 {
				continue
			}
			var line, lo, hi plotter.XYs
			for _, sp := range pts {
				x := float64(sp.SlotLo+sp.SlotHi) / 2
				line = append(line, plotter.XY{X: x, Y: sp.IQM})
				lo = append(lo, plotter.XY{X: x, Y: sp.Lo})
				hi = append(hi, plotter.XY{X: x, Y: sp.Hi})
				ymin, ymax = math.Min(ymin, sp.Lo), math.Max(ymax, sp.Hi)
			}
			st := styleOf(i)
			switch days {
			case slotFirstDay:
				st.dashes = []vg.Length{vg.Points(1), vg.Points(2.5)}
			case slotPhaseDays:
				st.dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}
			default:
				st.dashes = nil
			}
			thumbs, err := curve(p, st, line, lo, hi, len(line) <= 40)
			if err != nil {
				return fmt.Errorf("results: slot curve of %s: %w", agent, err)
			}
			legend = append(legend, legendEntry{agent + ", " + days, thumbs})
		}
	}
	if len(legend) == 0 {
		return fmt.Errorf("results: no attempts for point %q", point)
	}
	padRange(&p.Y, ymin, ymax)
	return withLegend(p, legend).save(paths...)
}

// slotTable tabulates, per agent, true success in the first and the last
// bin of slots of a session, on the first day and on later days, and the
// within-session gain (last bin minus first, per run) of each: IQM over
// runs with its CI. A context-only agent shows the same gain every day; a
// consolidating one a higher first bin on later days.
func slotTable(ss *slotSummary, s *Summary, point string) (*table, error) {
	if ss == nil {
		return nil, fmt.Errorf("results: no attempt records")
	}
	t := &table{
		Name:       "session_slots",
		Title:      fmt.Sprintf("True success by attempt within a session%s", pointSuffix(s, point)),
		Header:     []string{"agent"},
		TidyHeader: []string{"agent", "point", "days", "quantity", "slot_lo", "slot_hi", "n", "iqm", "lo", "hi"},
	}
	var groups []string
	for _, days := range slotGroups {
		for _, p := range ss.Points {
			if p.Point == point && p.Days == days {
				groups = append(groups, days)
				break
			}
		}
	}
	for _, days := range groups {
		t.Header = append(t.Header, days+": first slots", days+": last slots", days+": gain")
	}
	found := false
	for _, agent := range ss.Agents {
		row := []string{agent}
		for gi, days := range groups {
			pts := ss.curve(point, agent, days)
			if len(pts) == 0 {
				row = append(row, "–", "–", "–")
				continue
			}
			found = true
			first, last := pts[0], pts[len(pts)-1]
			var gain []float64
			for seed, v := range first.vals {
				if w, ok := last.vals[seed]; ok {
					gain = append(gain, w-v)
				}
			}
			slices.Sort(gain) // map order: the bootstrap sees a fixed order
			g := stats.BootstrapCI(gain, stats.IQM, ss.Level, ss.Resamples, cellSeed(ss.seed, "slot-gain", point, days, gi, agent, "", "success"))
			row = append(row, formatCI(first.IQM, first.Lo, first.Hi, false), formatCI(last.IQM, last.Lo, last.Hi, false), formatCI(g.Point, g.Lo, g.Hi, true))
			for _, q := range []struct {
				name   string
				lo, hi int
				n      int
				v      stats.Interval
			}{
				{"first", first.SlotLo, first.SlotHi, first.N, stats.Interval{Point: first.IQM, Lo: first.Lo, Hi: first.Hi}},
				{"last", last.SlotLo, last.SlotHi, last.N, stats.Interval{Point: last.IQM, Lo: last.Lo, Hi: last.Hi}},
				{"gain", first.SlotLo, last.SlotHi, len(gain), g},
			} {
				t.TidyRows = append(t.TidyRows, []string{agent, point, days, q.name, strconv.Itoa(q.lo), strconv.Itoa(q.hi), strconv.Itoa(q.n),
					formatFloat(q.v.Point), formatFloat(q.v.Lo), formatFloat(q.v.Hi)})
			}
		}
		t.Rows = append(t.Rows, row)
	}
	if !found {
		return nil, fmt.Errorf("results: no attempts for point %q", point)
	}
	t.Caption = fmt.Sprintf("True success of real job attempts (recorded online, never shown to the agent)%s in the first and the last bin of %d task slots of a session, pooling the sessions of day 1, of the first days of later phases of a drifting job (new-phase days, if any) and of the other days (days 2+); gain is each run's last bin minus its first. IQM over runs with %s%% percentile-bootstrap CIs over runs (%d resamples).",
		pointClause(s, point), ss.Bin[point], levelPercent(ss.Level), ss.Resamples)
	return t, nil
}
