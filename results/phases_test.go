package results

import (
	"math"
	"strings"
	"testing"
)

// Calibration: GEM's quantities of a hand-made accuracy matrix are the
// textbook ones.
func TestGEMPhasesTextbook(t *testing.T) {
	R := [][]float64{
		{0.8, 0.1, 0.2},
		{0.6, 0.9, 0.3},
		{0.5, 0.7, 0.95},
	}
	b := []float64{0.1, 0.2, 0.25}
	acc, bwt, fwt := gemPhases(R, b)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"ACC", acc, (0.5 + 0.7 + 0.95) / 3},
		{"BWT", bwt, ((0.5 - 0.8) + (0.7 - 0.9)) / 2},
		{"FWT", fwt, ((0.1 - 0.2) + (0.3 - 0.25)) / 2},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	acc, bwt, fwt = gemPhases([][]float64{{0.4}}, []float64{0.1})
	if acc != 0.4 || !math.IsNaN(bwt) || !math.IsNaN(fwt) {
		t.Errorf("one phase: %v %v %v, want 0.4 NaN NaN", acc, bwt, fwt)
	}
}

// phaseRecords makes records of a job with phases beginning on days 1 and
// 3 of 4: agent "frozen" has a constant value per phase, agent "learner"
// learns each phase while it is current (+0.5 on its first day) and loses
// 0.2 of every earlier phase when a new one begins. Phase splits sit
// beside a train and a held-out split.
func phaseRecords(seeds int) []Checkpoint {
	phaseOf := []int{0, 1, 1, 2, 2} // by day
	var recs []Checkpoint
	for seed := range seeds {
		for day := range 5 {
			for _, agent := range []string{"frozen", "learner"} {
				for _, split := range []string{"train", "heldout", "phase@1", "phase@2"} {
					v := 0.1 + 0.01*float64(seed)
					if j, ok := phaseSplit(split); ok && agent == "learner" {
						cur := phaseOf[day]
						switch {
						case cur == j:
							v += 0.5
						case cur > j:
							v += 0.3
						}
					}
					recs = append(recs, Checkpoint{
						Header: Header{Schema: SchemaVersion, Kind: KindCheckpoint, Run: agent, Point: "default", Agent: agent, Seed: seed, Day: day},
						Split:  split, Tasks: 10, SuccessGreedy: v, SuccessSampled: v, Phase: phaseOf[day],
					})
				}
			}
		}
	}
	return recs
}

// summarize finds each phase's end from the records' phase, and gives the
// frozen agent BWT = FWT = 0 exactly and the learner the matrix's values;
// phase splits are not held out.
func TestSummarizePhases(t *testing.T) {
	s := summarize(phaseRecords(6), summaryOptions{Baseline: "frozen", Resamples: 200, Seed: 1})
	for _, sp := range s.HeldOutSplits {
		if jobSplit(sp) {
			t.Errorf("%s is treated as held out", sp)
		}
	}
	got := map[[2]string]PhaseGEM{}
	for _, g := range s.PhaseGEM {
		if g.Metric == "success_greedy" {
			got[[2]string{g.Agent, g.Kind}] = g
		}
	}
	// learner, seed 0: R = [[0.6, 0.1], [0.4, 0.6]], b = [0.1, 0.1].
	for _, c := range []struct {
		agent, kind string
		mean, diff  float64
	}{
		{"frozen", TransferBWT, 0, math.NaN()},
		{"frozen", TransferFWT, 0, math.NaN()},
		{"learner", TransferACC, 0.5 + 0.025, 0.4},
		{"learner", TransferBWT, -0.2, -0.2},
		{"learner", TransferFWT, 0, 0},
	} {
		g, ok := got[[2]string{c.agent, c.kind}]
		if !ok {
			t.Fatalf("no %s %s", c.agent, c.kind)
		}
		if math.Abs(g.Mean-c.mean) > 1e-9 || g.N != 6 || g.Phases != 2 {
			t.Errorf("%s %s: mean %v over %d runs and %d phases, want %v over 6 and 2", c.agent, c.kind, g.Mean, g.N, g.Phases, c.mean)
		}
		if !math.IsNaN(c.diff) && (math.Abs(g.Diff-c.diff) > 1e-9 || g.DiffN != 6 || !(g.DiffLo <= g.Diff && g.Diff <= g.DiffHi)) {
			t.Errorf("%s %s: paired diff %v [%v, %v] over %d, want %v over 6", c.agent, c.kind, g.Diff, g.DiffLo, g.DiffHi, g.DiffN, c.diff)
		}
	}
	if g := got[[2]string{"frozen", TransferBWT}]; g.Lo != 0 || g.Hi != 0 {
		t.Errorf("frozen BWT CI [%v, %v], want exactly [0, 0]", g.Lo, g.Hi)
	}
	tab, err := phaseTable(s, "default", 4, "success_greedy")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || !strings.Contains(tab.Rows[1][2], "-0.20") {
		t.Errorf("table rows %v", tab.Rows)
	}
	// Without phase splits there is nothing.
	if s := summarize(fakeRecords([]string{"a"}, []float64{0.1}, []string{"train"}, 3, 2), summaryOptions{Resamples: 100}); len(s.PhaseGEM) != 0 {
		t.Errorf("%d PhaseGEM without phases", len(s.PhaseGEM))
	}
}
