package results

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results/stats"
)

func testScores() []EnvScore {
	iv := func(p float64) stats.Interval { return stats.Interval{Point: p, Lo: p - 0.05, Hi: p + 0.05, N: 4} }
	nan := stats.Interval{Point: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	return []EnvScore{
		{Point: "skills", Family: "skills", Granularity: "attempt", Seeds: 4, V: iv(1), G: iv(0.46), Loophole: iv(0.3),
			Coverage: iv(1), TPR: iv(1), FPR: iv(0), SNR: iv(0.0018), Rate: 1, GRaw: iv(0.0018), BaseSuccess: iv(0.08)},
		{Point: "arith", Family: "arith", Granularity: "step", Seeds: 4, V: iv(0.5), G: iv(0.2), Loophole: nan,
			Coverage: iv(0.5), TPR: iv(1), FPR: iv(0), SNR: iv(0.001), Rate: 0.5, GRaw: iv(0.0005), BaseSuccess: iv(0.3)},
	}
}

// TestWriteEnvScores: every format has a row per environment with V, G and
// the loophole rate ("–" when none was measured); CSV has the bounds.
func TestWriteEnvScores(t *testing.T) {
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{FormatText, []string{"│ skills", "1.00 [0.95, 1.05]", "0.46 [0.41, 0.51]", "│ arith", "–"}},
		{FormatMarkdown, []string{"| environment |", "| skills", "0.20 [0.15, 0.25]"}},
		{FormatCSV, []string{"environment,family,granularity,seeds,rate,v,v_lo,v_hi,g,g_lo,g_hi,loophole", "skills,skills,attempt,4,1,1,0.95,1.05,0.46,0.41,0.51,0.3,", "arith,arith,step,4,0.5,0.5,0.45,0.55,0.2,0.15,0.25,NaN"}},
	} {
		var buf bytes.Buffer
		if err := WriteEnvScores(&buf, testScores(), tc.format); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: no %q in\n%s", tc.format, w, buf.String())
			}
		}
	}
	if err := WriteEnvScores(&bytes.Buffer{}, testScores(), "latex"); err == nil {
		t.Error("latex accepted")
	}
	m := EnvMeasures(testScores())
	if len(m) != 2 || m[1] != (EnvMeasure{Point: "arith", V: 0.5, G: 0.2}) {
		t.Errorf("EnvMeasures: %+v", m)
	}
}

func TestPlotEnvScores(t *testing.T) {
	stem := filepath.Join(plotDir(t), "envs_vg")
	if err := PlotEnvScores(testScores(), "test", stem+".png", stem+".svg", stem+".pdf"); err != nil {
		t.Fatal(err)
	}
	checkFigure(t, stem)
	if err := PlotEnvScores(nil, "none", stem+".svg"); err == nil {
		t.Error("no environments: want an error")
	}
}

// TestHorizonFigure: with two or more longer@k splits and every point's
// task length in the manifest, Build draws the horizon figure; without the
// length it does not.
func TestHorizonFigure(t *testing.T) {
	recs := fakeRecords([]string{"frozen", "rlvr"}, []float64{0, 0.05}, []string{"train", "longer@1", "longer@2", "longer@3"}, 4, 3)
	s := summarize(recs, summaryOptions{Resamples: 100, Seed: 1})
	if ks := longerSplits(s); len(ks) != 3 || ks[0] != 1 || ks[2] != 3 {
		t.Fatalf("longer splits %v", ks)
	}
	stem := filepath.Join(plotDir(t), "horizon")
	if err := plotHorizon(s, longerSplits(s), map[string]int{"default": 4}, 2, stem+".png", stem+".svg", stem+".pdf"); err != nil {
		t.Fatal(err)
	}
	checkFigure(t, stem)
	resolved, _ := json.Marshal([]ResolvedPoint{{Point: "default", Config: map[string]any{"env.family": "skills", "env.skills.length": 4.0}}})
	for _, tc := range []struct {
		m    *Manifest
		want bool
	}{{&Manifest{Resolved: resolved}, true}, {&Manifest{}, false}} {
		w := &builder{b: &Built{Summary: s}, formats: []string{".svg"}}
		w.horizonFigure(tc.m)
		if got := len(w.b.figures) == 1 && w.b.figures[0].Name == "horizon"; got != tc.want {
			t.Errorf("manifest with length %v: figures %+v", tc.want, w.b.figures)
		}
	}
	if got := taskLengths(&Manifest{Resolved: resolved}); got["default"] != 4 {
		t.Errorf("task lengths %v", got)
	}
}
