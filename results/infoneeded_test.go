package results

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// infoAttempts makes one run's attempts: 2 days of one session of 16
// slots, success 0 on the first bin of slots (0, 1) of every session but
// morning on day 2's, gain on the last bin (14, 15), 0 elsewhere; so the
// run's session_gain is gain - morning/2 and its morning_success morning.
func infoAttempts(point, agent string, seed int, gain, morning float64) []Attempt {
	var atts []Attempt
	for day := 1; day <= 2; day++ {
		for slot := range 16 {
			v := 0.0
			switch {
			case slot < 2 && day == 2:
				v = morning
			case slot >= 14:
				v = gain
			}
			atts = append(atts, Attempt{Header: Header{Kind: KindAttempt, Point: point, Agent: agent, Seed: seed, Day: day}, Slot: slot, Success: v})
		}
	}
	return atts
}

func TestInfoThreshold(t *testing.T) {
	caps := []float64{64, 128, 256, 512}
	for _, c := range []struct {
		gains []float64
		want  float64
	}{
		{[]float64{0.1, 0.5, 0.95, 1}, 256},
		{[]float64{0.1, 0.5, 0.9, 1}, 256}, // exactly 90% reaches it
		{[]float64{0.1, 0.5, 0.89, 1}, 512},
		{[]float64{1, 1, 1, 1}, 64},
		{[]float64{0.3, 0.2, 0.1, 0}, math.Inf(1)},    // no gain at the largest
		{[]float64{0.3, 0.2, 0.1, -0.1}, math.Inf(1)}, // nor a loss
	} {
		if got := infoThreshold(caps, c.gains); got != c.want {
			t.Errorf("gains %v: I = %v, want %v", c.gains, got, c.want)
		}
	}
}

// Two groups of the other knob (step), 8 seeds, capacities 64 to 512:
//   - step 1: every seed's gain climbs 0.1, 0.5, 0.95, 1 (+ 0.001 x seed):
//     I = 256 in every resample, a point CI;
//   - step 0.5: half the seeds gain 1 at 256, half 0.5, all 1 at 512: the
//     IQM at 256 is 0.75, so I = 512; a resample reaches 90% at 256 only
//     with 6 or more of the saturated seeds (probability 37/256 > 2.5%),
//     so the CI is [256, 512].
//
// sft keeps 0.2 where the capacity holds the session (C >= 256) and 0.05
// below; the ratio table and figure place it at I/C.
func TestInformationNeeded(t *testing.T) {
	caps := []int{64, 128, 256, 512}
	var atts []Attempt
	var points []string
	sw := sweepCols{cols: []exportColumn{{"agent.*.context.capacity", reflect.Int64}, {"agent.*.context.step", reflect.Float64}},
		values: map[string]map[string]any{}}
	for _, step := range []float64{1, 0.5} {
		for k, c := range caps {
			p := fmt.Sprintf("capacity=%d,step=%g", c, step)
			points = append(points, p)
			sw.values[p] = map[string]any{"agent.*.context.capacity": int64(c), "agent.*.context.step": step}
			for seed := range 8 {
				g := []float64{0.1, 0.5, 0.95, 1}[k] + 0.001*float64(seed)
				if step == 0.5 {
					g = []float64{0.1, 0.2, 0.5, 1}[k]
					if k == 2 && seed%2 == 0 {
						g = 1
					}
				}
				kept := 0.05
				if c >= 256 {
					kept = 0.2
				}
				atts = append(atts, infoAttempts(p, "context-only", seed, g, 0)...)
				atts = append(atts, infoAttempts(p, "sft", seed, g, kept)...)
			}
		}
	}
	s := &Summary{Agents: []string{"context-only", "sft"}, Points: points, Days: []int{0, 2}, Level: 0.95, Resamples: 500, Baseline: "context-only"}
	opt := summaryOptions{Baseline: "context-only", Resamples: 500, Seed: 1}
	per := s.summarizeSessionMetrics(atts, opt, nil)
	ax := &CapacityAxis{Key: "agent.*.context.capacity", Controls: []string{"context-only"}}
	s.summarizeInfoNeeded(per, ax, sw, opt)
	if len(s.InfoNeeded) != 2 {
		t.Fatalf("%d InfoNeeded, want 2 (one per step, the control only): %+v", len(s.InfoNeeded), s.InfoNeeded)
	}
	for i, want := range []struct {
		held          string
		point, lo, hi float64
	}{{"step=1", 256, 256, 256}, {"step=0.5", 512, 256, 512}} {
		in := s.InfoNeeded[i]
		if heldLabel(in.Held) != want.held || in.Agent != "context-only" || in.Seeds != 8 || !reflect.DeepEqual(in.Capacity, []float64{64, 128, 256, 512}) {
			t.Errorf("group %d: %+v", i, in)
		}
		if in.Needed.Point != want.point || in.Needed.Lo != want.lo || in.Needed.Hi != want.hi {
			t.Errorf("%s: I = %v [%v, %v], want %v [%v, %v]", want.held, in.Needed.Point, in.Needed.Lo, in.Needed.Hi, want.point, want.lo, want.hi)
		}
	}
	// The same seed gives the same interval.
	again := &Summary{Agents: s.Agents, Points: points, Baseline: "context-only"}
	again.summarizeInfoNeeded(per, ax, sw, opt)
	if !reflect.DeepEqual(again.InfoNeeded, s.InfoNeeded) {
		t.Error("information needed differs between two identical calls")
	}
	// No capacity axis, or an axis the sweep lacks: nothing.
	for _, a := range []*CapacityAxis{nil, {Key: "agent.*.context.radius", Controls: []string{"context-only"}}} {
		none := &Summary{Agents: s.Agents, Points: points}
		none.summarizeInfoNeeded(per, a, sw, opt)
		if len(none.InfoNeeded) != 0 {
			t.Errorf("axis %v: %d InfoNeeded, want 0", a, len(none.InfoNeeded))
		}
	}

	tab := infoNeededTable(s, ax.Key)
	if len(tab.Rows) != 2 || tab.Rows[0][5] != "256" || tab.Rows[1][6] != "[256, 512]" {
		t.Errorf("information_needed rows %q", tab.Rows)
	}
	ratio := infoRatioTable(s, ax.Key)
	if len(ratio.Rows) != 8 {
		t.Fatalf("information_ratio: %d rows, want 8", len(ratio.Rows))
	}
	// step 1, C = 64: I/C = 4; sft keeps 0.05. step 0.5, C = 256: I/C = 2.
	if r := ratio.Rows[0]; r[3] != "4" || !strings.HasPrefix(r[5], "+0.05 [+0.05, +0.05]") {
		t.Errorf("first ratio row %q", r)
	}
	if r := ratio.Rows[6]; r[0] != "step=0.5" || r[1] != "256" || r[3] != "2" || !strings.HasPrefix(r[5], "+0.20") {
		t.Errorf("seventh ratio row %q", r)
	}

	path := filepath.Join(t.TempDir(), "kept.svg")
	if err := plotKeptVsRatio(s, s.InfoNeeded[0], path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ">sft<") || strings.Contains(string(b), ">context-only<") {
		t.Error("kept-gain figure: want sft in the legend and not the baseline")
	}
}
