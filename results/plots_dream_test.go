package results

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// The dream figures and dream_gap exist exactly when an agent dreamt:
// dream_gap is dream_reward - dream_success per record, summarized with
// CIs, and success_vs_dreams puts real success against dream attempts.
func TestDreamFigures(t *testing.T) {
	for _, dreams := range []bool{true, false} {
		dir := t.TempDir()
		agents := []string{"frozen", "rlvr", "dreamer"}
		writeResultsWith(t, dir, agents, []string{"train", "inspan"}, 4, 3, func(c *Checkpoint) {
			if !dreams || c.Agent != "dreamer" || c.Day == 0 {
				return
			}
			r, s := 0.2+0.1*float64(c.Day)+0.01*float64(c.Seed), 0.1+0.02*float64(c.Day)
			c.DreamReward, c.DreamSuccess = &r, &s
			c.DreamAttempts = int64(100 * c.Day)
		})
		b, err := Build(dir, BuildOptions{PlotFormats: []string{".svg"}})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range b.figures {
			names = append(names, f.Name)
		}
		for _, want := range []string{"dream_vs_truth", "dream_gap", "success_vs_dreams"} {
			if slices.Contains(names, want) != dreams {
				t.Errorf("dreams %v: figure %s present %v (figures %q)", dreams, want, !dreams, names)
			}
		}
		var gaps []Cell
		for _, c := range b.Summary.Cells {
			if c.Metric == "dream_gap" {
				gaps = append(gaps, c)
			}
		}
		if !dreams {
			if len(gaps) != 0 {
				t.Errorf("dream_gap cells without dreams: %+v", gaps)
			}
			continue
		}
		// Two splits x two nights, the dreamer only, with CIs on the
		// figure's split.
		if len(gaps) != 4 {
			t.Fatalf("dream_gap cells %+v", gaps)
		}
		for _, c := range gaps {
			want := 0.2 + 0.1*float64(c.Day) - (0.1 + 0.02*float64(c.Day)) + 0.015
			if c.Agent != "dreamer" || c.N != 4 || math.Abs(c.Mean-want) > 1e-9 {
				t.Errorf("dream_gap cell %+v, want mean %v", c, want)
			}
			if c.Split == "train" && !(c.Lo <= c.IQM && c.IQM <= c.Hi) {
				t.Errorf("dream_gap cell without a CI: %+v", c)
			}
		}
		if !slices.ContainsFunc(b.tables, func(tf tableFile) bool { return strings.Contains(tf.Name, "dream_gap") }) {
			t.Error("no dream_gap table")
		}
	}
}
