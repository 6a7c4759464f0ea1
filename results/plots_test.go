package results

import (
	"os"
	"path/filepath"
	"testing"
)

func plotSummary() *Summary {
	recs := fakeRecords(
		[]string{"base", "rlvr", "sft-demo", "rlvr+consolidate"},
		[]float64{0.01, 0.06, 0.04, 0.07},
		[]string{"train", "heldout", "long-horizon", "unverified-domain"},
		10, 8)
	return Summarize(recs, SummaryOptions{Baseline: "base", Resamples: 500, Seed: 1})
}

func checkFile(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 {
		t.Fatalf("%s is empty", path)
	}
}

func TestPlotLearningCurves(t *testing.T) {
	s := plotSummary()
	dir := t.TempDir()
	if d := os.Getenv("GRINDBENCH_PLOT_DIR"); d != "" {
		dir = d // keep the figures to look at them
	}
	for _, ext := range []string{".png", ".svg", ".pdf"} {
		path := filepath.Join(dir, "curves_heldout"+ext)
		if err := PlotLearningCurves(s, "default", "heldout", "success_greedy", path); err != nil {
			t.Fatal(err)
		}
		checkFile(t, path)
	}
	if err := PlotLearningCurves(s, "default", "nosuchsplit", "success_greedy", filepath.Join(dir, "x.png")); err == nil {
		t.Error("no error for a missing split")
	}
	if err := PlotLearningCurves(s, "default", "heldout", "success_greedy", filepath.Join(dir, "x.unknown")); err == nil {
		t.Error("no error for an unknown format")
	}
}

func TestPlotSplitBars(t *testing.T) {
	s := plotSummary()
	dir := t.TempDir()
	if d := os.Getenv("GRINDBENCH_PLOT_DIR"); d != "" {
		dir = d
	}
	for _, ext := range []string{".png", ".svg"} {
		path := filepath.Join(dir, "bars_day7"+ext)
		if err := PlotSplitBars(s, "default", 7, "success_greedy", s.Splits, path); err != nil {
			t.Fatal(err)
		}
		checkFile(t, path)
	}
	// Short split names stay horizontal.
	path := filepath.Join(dir, "bars_short.png")
	if err := PlotSplitBars(s, "default", 7, "success_greedy", []string{"train", "heldout"}, path); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)
	// Many long split names are rotated.
	long := Summarize(fakeRecords([]string{"base", "rlvr"}, []float64{0.01, 0.06},
		[]string{"train", "heldout-skills", "heldout-long-horizon", "unverified-domain", "drifted-skills", "calibration"}, 5, 2),
		SummaryOptions{Baseline: "base", Resamples: 200})
	path = filepath.Join(dir, "bars_rotated.png")
	if err := PlotSplitBars(long, "default", 1, "score_greedy", long.Splits, path); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path)
	if err := PlotSplitBars(s, "default", 99, "success_greedy", s.Splits, filepath.Join(dir, "x.png")); err == nil {
		t.Error("no error for a missing day")
	}
}

func TestAgentColorStable(t *testing.T) {
	if AgentColor(0) != OkabeIto[0] || AgentColor(len(OkabeIto)) != OkabeIto[0] || AgentColor(1) == AgentColor(0) {
		t.Error("AgentColor does not cycle through the palette by index")
	}
}
