package results

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// competenceSummary has one point and agent with a run per row of success,
// one value per day from 0.
func competenceSummary(success [][]float64) *Summary {
	var recs []Checkpoint
	for seed, row := range success {
		for day, v := range row {
			h := Header{Kind: KindCheckpoint, Run: fmt.Sprintf("default__rlvr__s%04d", seed), Point: "default", Agent: "rlvr", Seed: seed, Day: day}
			recs = append(recs, Checkpoint{Header: h, Split: "train", Tasks: 1, SuccessGreedy: v, Time: 10 * float64(day)})
		}
	}
	return summarize(recs, summaryOptions{Resamples: 200})
}

func TestDaysToCompetence(t *testing.T) {
	s := competenceSummary([][]float64{
		{0.1, 0.2, 0.5, 0.6},
		{0.2, 0.65, 0.3, 0.7},
		{0.1, 0.1, 0.1, 0.1},
		{0.6, 0.6, 0.6, 0.6},
	})
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		rule competenceRule
		want []float64
	}{
		{"absolute", competenceRule{abs: 0.5}, []float64{2, 1, inf, 0}},
		// Thresholds 0.1+0.5*0.9 = 0.55, 0.6, 0.55, 0.8 (day 0 + half the gap to 1) to day 0.
		{"gap", competenceRule{gap: 0.5}, []float64{3, 1, inf, inf}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.daysToCompetence("default", "rlvr", "train", headlineMetric, tc.rule); !slices.Equal(got, tc.want) {
				t.Fatalf("days %v, want %v", got, tc.want)
			}
		})
	}
	// Median of {0, 1, 2, 4 (never: H+1)} is 1.5; never reached by more
	// than half the runs: "> 3".
	c, ok := s.competence("default", "rlvr", "train", headlineMetric, competenceRule{abs: 0.5})
	if !ok || c.Point != 1.5 || c.Reached != 3 || c.N != 4 || !math.IsInf(c.Hi, 1) {
		t.Fatalf("competence %+v", c)
	}
	if got := c.text(3); !strings.HasPrefix(got, "1.5 [") || !strings.HasSuffix(got, ", > 3] (3/4)") {
		t.Fatalf("text %q", got)
	}
	c, _ = s.competence("default", "rlvr", "train", headlineMetric, competenceRule{abs: 0.95})
	if !math.IsInf(c.Point, 1) || c.Reached != 0 || c.text(3) != "> 3 [> 3, > 3] (0/4)" {
		t.Fatalf("never reached: %+v, %q", c, c.text(3))
	}
}

// Simulated time: checkpoints place each day at the mean time of the runs;
// runs without time (an unclocked job) have none.
func TestCheckpointTimes(t *testing.T) {
	s := competenceSummary([][]float64{{0.1, 0.2, 0.3}, {0.1, 0.2, 0.3}})
	if ts, ok := s.checkpointTimes("default", "rlvr", "train"); !ok || !slices.Equal(ts, []float64{0, 10, 20}) {
		t.Fatalf("times %v %v", ts, ok)
	}
	for i := range s.runs[pointAgent{"default", "rlvr"}] {
		for _, c := range s.runs[pointAgent{"default", "rlvr"}][i].at {
			c.Time = 0
		}
	}
	if _, ok := s.checkpointTimes("default", "rlvr", "train"); ok {
		t.Fatal("times from runs without simulated time")
	}
}
