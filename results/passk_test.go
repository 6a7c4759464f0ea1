package results

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// withOptional gives fake records pass@k (pass@1 is the sampled success,
// pass@4 the coverage) and a distance from the base.
func withOptional(recs []Checkpoint) []Checkpoint {
	for i := range recs {
		c := &recs[i]
		p1 := c.SuccessSampled
		p4 := 1 - math.Pow(1-p1, 4)
		c.PassKSamples = 4
		c.PassAtK = []PassAtK{{K: 1, Value: p1}, {K: 4, Value: p4}}
		c.Coverage = &p4
		kl := 0.1 * float64(c.Day) * (1 + float64(c.Seed))
		c.KLBaseCurrentJob = &kl
	}
	return recs
}

// pass@k aggregates like a column: its IQM and CI at k = 1 are those of
// success_sampled when the two are the same per-run values, and its
// paired difference is the column's. The table and figures draw.
func TestPassKAggregatesLikeAColumn(t *testing.T) {
	recs := withOptional(fakeRecords([]string{"base", "rlvr"}, []float64{0.02, 0.08}, []string{"train", "pretrain"}, 6, 3))
	s := summarize(recs, summaryOptions{Baseline: "base", Resamples: 500, Seed: 1})
	cells := s.passKCells("default", "train", 2, "rlvr")
	if len(cells) != 2 || cells[0].K != 1 || cells[1].K != 4 {
		t.Fatalf("cells %+v", cells)
	}
	for _, c := range s.Cells {
		if c.Agent == "rlvr" && c.Split == "train" && c.Day == 2 && c.Metric == "success_sampled" {
			if math.Abs(c.IQM-cells[0].CI.Point) > 1e-12 {
				t.Errorf("pass@1 IQM %v, success_sampled IQM %v", cells[0].CI.Point, c.IQM)
			}
		}
	}
	for _, d := range s.Diffs {
		if d.Agent == "rlvr" && d.Split == "train" && d.Day == 2 && d.Metric == "success_sampled" {
			if math.Abs(d.Mean-cells[0].Diff.Point) > 1e-12 || !(cells[0].Diff.Lo <= cells[0].Diff.Point) {
				t.Errorf("pass@1 difference %+v, success_sampled's %v", cells[0].Diff, d.Mean)
			}
		}
	}
	if !(cells[1].CI.Point > cells[0].CI.Point) {
		t.Errorf("pass@4 %v not above pass@1 %v", cells[1].CI.Point, cells[0].CI.Point)
	}
	tab, err := passKTable(s, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 12 || !strings.Contains(strings.Join(tab.Header, " "), "rlvr - base") {
		t.Errorf("table %q rows %q", tab.Header, tab.Rows)
	}
	if !hasDistance(s) {
		t.Fatal("records with the distance: no distance figures")
	}
	dir := t.TempDir()
	for name, draw := range map[string]func(...string) error{
		"passk":    func(p ...string) error { return plotPassK(s, "default", "train", 2, p...) },
		"retained": func(p ...string) error { return plotDistanceVsRetained(s, s.Agents, p...) },
		"new_old":  func(p ...string) error { return plotNewVsOld(s, s.Agents, p...) },
	} {
		if err := draw(filepath.Join(dir, name+".svg")); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	many := &Summary{Agents: []string{"frozen", "rlvr-a", "rlvr-b", "sft-a", "sft-b", "sft-c", "rlvr-c", "rlvr-d", "sft-d"}}
	names, groups := agentFamilies(many)
	if !slices.Equal(names, []string{"rlvr", "sft"}) || !slices.Equal(groups[0], []string{"frozen", "rlvr-a", "rlvr-b", "rlvr-c", "rlvr-d"}) ||
		!slices.Equal(groups[1], []string{"frozen", "sft-a", "sft-b", "sft-c", "sft-d"}) {
		t.Errorf("families %q %q", names, groups)
	}
	plain := summarize(fakeRecords([]string{"base"}, []float64{0.02}, []string{"train", "pretrain"}, 3, 2), summaryOptions{Resamples: 100, Seed: 1})
	if plain.hasPassK("default", 1) || hasDistance(plain) {
		t.Error("records without the optional fields: pass@k or distance outputs")
	}
}
