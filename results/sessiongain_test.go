package results

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sessionAttempts makes attempts of three agents over 2 days of 2 sessions
// of 16 slots, two rollouts per slot, every value shifted by 0.01 x seed
// (so that runs differ and only a paired difference is exact):
// "context-only" climbs from 0 to 1 within every session (slot/15);
// "keeper" climbs the same way in the run's first session and starts the
// later ones at 0.5 (max(slot/15, 0.5)); "frozen" is 0.25 throughout.
func sessionAttempts(seeds int) []Attempt {
	var atts []Attempt
	for seed := range seeds {
		shift := 0.01 * float64(seed)
		for day := 1; day <= 2; day++ {
			for sess := range 2 {
				for slot := range 16 {
					for member := range 2 {
						for _, agent := range []string{"context-only", "keeper", "frozen"} {
							v := float64(slot) / 15
							switch {
							case agent == "frozen":
								v = 0.25
							case agent == "keeper" && (day > 1 || sess > 0):
								v = math.Max(v, 0.5)
							}
							atts = append(atts, Attempt{Header: Header{Kind: KindAttempt, Point: "default", Agent: agent, Seed: seed, Day: day},
								Session: sess, Slot: slot, Member: member, Success: v + shift})
						}
					}
				}
			}
		}
	}
	return atts
}

// morning_success and session_gain per run, by hand: bins of 2 slots (an
// eighth of 16); the first bin holds slots 0 and 1, the last 14 and 15.
func TestSessionRunMetrics(t *testing.T) {
	per := sessionRunMetrics(sessionAttempts(3), nil)
	first := 1.0 / 30 // mean of 0 and 1/15
	last := 29.0 / 30 // mean of 14/15 and 1
	for _, c := range []struct {
		agent         string
		morning, gain float64
	}{
		{"context-only", first, last - first},
		{"keeper", 0.5, last - (first+3*0.5)/4},
		{"frozen", 0.25, 0},
	} {
		for seed := range 3 {
			got := per[sessionRun{"default", c.agent, seed}]
			shift := 0.01 * float64(seed)
			if math.Abs(got[0]-(c.morning+shift)) > 1e-12 || math.Abs(got[1]-c.gain) > 1e-12 {
				t.Errorf("%s seed %d: morning %v gain %v, want %v %v", c.agent, seed, got[0], got[1], c.morning+shift, c.gain)
			}
		}
	}
	// A bin of 8 slots: the first bin is slots 0-7, the last 8-15.
	per = sessionRunMetrics(sessionAttempts(1), map[string]int{"default": 8})
	if got, want := per[sessionRun{"default", "context-only", 0}][1], (8.0+15)/2/15-(0.0+7)/2/15; math.Abs(got-want) > 1e-12 {
		t.Errorf("bin 8: context-only gain %v, want %v", got, want)
	}
	// One session only: no morning after it.
	var one []Attempt
	for _, a := range sessionAttempts(1) {
		if a.Day == 1 && a.Session == 0 {
			one = append(one, a)
		}
	}
	if got := sessionRunMetrics(one, nil)[sessionRun{"default", "keeper", 0}]; !math.IsNaN(got[0]) {
		t.Errorf("one session: morning %v, want NaN", got[0])
	}
}

// The summary aggregates them over runs and pairs them with the baseline
// at matched seeds: keeper - context-only is the same for every seed, so
// its interval is a point; summary.csv and the table carry them.
func TestSummarizeSessionMetrics(t *testing.T) {
	s := &Summary{Agents: []string{"context-only", "keeper", "frozen"}, Points: []string{"default"}, Days: []int{0, 2}, Level: 0.95, Resamples: 200, Baseline: "context-only"}
	s.summarizeSessionMetrics(sessionAttempts(6), summaryOptions{Baseline: "context-only", Resamples: 200, Seed: 1}, nil)
	if len(s.SessionCells) != 6 || len(s.SessionDiffs) != 4 {
		t.Fatalf("%d cells, %d diffs; want 6 and 4", len(s.SessionCells), len(s.SessionDiffs))
	}
	want := 0.5 - 1.0/30
	var found bool
	for _, d := range s.SessionDiffs {
		if d.Agent == "keeper" && d.Metric == MetricMorningSuccess {
			found = true
			if d.N != 6 || math.Abs(d.Mean-want) > 1e-12 || math.Abs(d.Lo-want) > 1e-12 || math.Abs(d.Hi-want) > 1e-12 || d.Split != "job" || d.Day != 2 {
				t.Errorf("keeper - context-only morning: %+v, want %v with a point interval over 6 pairs", d, want)
			}
		}
		if d.Agent == "frozen" && d.Metric == MetricSessionGain && !(d.Hi < 0) {
			t.Errorf("frozen - context-only session gain %+v, want below 0", d)
		}
	}
	if !found {
		t.Fatal("no keeper morning diff")
	}
	for _, c := range s.SessionCells {
		if c.Agent == "context-only" && c.Metric == MetricMorningSuccess && !(c.Lo < c.IQM && c.IQM < c.Hi) {
			t.Errorf("context-only morning %+v: runs differ, want a proper interval", c)
		}
	}
	var buf bytes.Buffer
	if err := s.writeCSV(&buf); err != nil {
		t.Fatal(err)
	}
	csv := buf.String()
	if !strings.Contains(csv, "session,default,job,2,keeper,,morning_success,6,") || !strings.Contains(csv, "session_diff,default,job,2,keeper,context-only,morning_success,6,0.466667,") {
		t.Errorf("summary.csv lacks the session rows:\n%s", csv)
	}
	tab, err := sessionMetricsTable(s, "default", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 3 || !strings.HasPrefix(tab.Rows[1][3], "+0.47") {
		t.Errorf("table rows %q", tab.Rows)
	}
	empty := &Summary{}
	empty.summarizeSessionMetrics(nil, summaryOptions{}, nil)
	if len(empty.SessionCells) != 0 {
		t.Error("session cells without attempts")
	}
}

// A wildcard axis (agent.*.<rest>) reads the value of any agent that has
// the knob; other axes read their own key.
func TestAxisValueWildcard(t *testing.T) {
	cfg := map[string]any{"agent.frozen.policy.model": "bilinear", "agent.sft.context.capacity": 64.0,
		"agent.opsd.context.capacity": 64.0, "env.verifier.coverage": 0.5}
	for _, c := range []struct {
		key  string
		want any
	}{
		{"agent.*.context.capacity", 64.0},
		{"env.verifier.coverage", 0.5},
		{"agent.*.rlvr.lr", nil},
	} {
		if got := axisValue(cfg, c.key); got != c.want {
			t.Errorf("%s: %v, want %v", c.key, got, c.want)
		}
	}
}

// With a wildcard axis the matched-compute figure draws every agent once,
// the baseline included, at the point where every swept knob is largest.
func TestSweepComputeByAgent(t *testing.T) {
	var recs []Checkpoint
	agents := []string{"frozen", "context-only", "sft"}
	for _, point := range []string{"capacity=64", "capacity=512"} {
		for ai, agent := range agents {
			for seed := range 3 {
				for day := range 3 {
					recs = append(recs, Checkpoint{Header: Header{Kind: KindCheckpoint, Point: point, Agent: agent, Seed: seed, Day: day}, Split: "train",
						SuccessGreedy: 0.1 * float64(ai*day+seed), GradSteps: int64(100 * ai * day)})
				}
			}
		}
	}
	s := summarize(recs, summaryOptions{Baseline: "context-only", Resamples: 50, Seed: 1})
	sw := sweepCols{cols: []exportColumn{{"agent.*.context.capacity", reflect.Int64}},
		values: map[string]map[string]any{"capacity=64": {"agent.*.context.capacity": int64(64)}, "capacity=512": {"agent.*.context.capacity": int64(512)}}}
	path := filepath.Join(t.TempDir(), "f.svg")
	if err := plotSweepCompute(s, sw, "", "train", headlineMetric, "grad_steps", path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if n := strings.Count(string(b), ">"+a+"<"); n != 1 {
			t.Errorf("agent %s appears %d times in the legend, want 1", a, n)
		}
	}
}
