package results

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func plotSummary() *Summary {
	recs := fakeRecords(
		[]string{"base", "rlvr", "sft-demo", "rlvr+consolidate"},
		[]float64{0.01, 0.06, 0.04, 0.07},
		[]string{"train", "heldout", "long-horizon", "pretrain"},
		10, 8)
	// A clone of base, to check that coinciding curves stay visible.
	for _, r := range recs {
		if r.Agent == "base" {
			r.Agent = "base-tuned"
			recs = append(recs, r)
		}
	}
	return summarize(recs, summaryOptions{Baseline: "base", Resamples: 200, Seed: 1,
		Agents: []string{"base", "base-tuned", "rlvr", "sft-demo", "rlvr+consolidate"}})
}

// plotDir is where plot tests write: a temporary folder, or
// $GRINDBENCH_PLOT_DIR to keep the figures and look at them.
func plotDir(t *testing.T) string {
	if d := os.Getenv("GRINDBENCH_PLOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// checkFigure checks that every format of a figure was written: a PNG of
// the expected size at 200 dpi, an SVG and a PDF.
func checkFigure(t *testing.T, stem string) {
	t.Helper()
	for _, ext := range []string{".png", ".svg", ".pdf"} {
		b, err := os.ReadFile(stem + ext)
		if err != nil {
			t.Fatal(err)
		}
		switch ext {
		case ".png":
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", stem+ext, err)
			}
			// 6 inches at 200 dpi; panels of three agents take 7.
			if w := img.Bounds().Dx(); w != 1200 && w != 1400 {
				t.Errorf("%s: %d pixels wide, want 1200 or 1400 (6 or 7 inches at 200 dpi)", stem+ext, w)
			}
		case ".svg":
			if !bytes.Contains(b, []byte("<svg")) {
				t.Errorf("%s is not an SVG", stem+ext)
			}
		case ".pdf":
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Errorf("%s is not a PDF", stem+ext)
			}
		}
	}
}

func formats(stem string) []string {
	return []string{stem + ".png", stem + ".svg", stem + ".pdf"}
}

func TestPlots(t *testing.T) {
	s := plotSummary()
	dir := plotDir(t)
	for _, tc := range []struct {
		name string
		draw func(paths ...string) error
	}{
		{"curves_heldout", func(p ...string) error { return plotLearningCurves(s, "default", "heldout", "success_greedy", p...) }},
		{"bars_day7", func(p ...string) error { return plotSplitBars(s, "default", 7, "success_greedy", s.Splits, p...) }},
		{"gap_day7", func(p ...string) error { return plotGapBars(s, "default", 7, "success_greedy", p...) }},
		{"forgetting_rlvr", func(p ...string) error { return plotForgettingMatrix(s, "default", "rlvr", "success_greedy", p...) }},
		{"profile_train", func(p ...string) error {
			return plotProfiles(s, "default", 7, "success_greedy", []string{"train"}, "train", p...)
		}},
		{"profile_heldout", func(p ...string) error {
			return plotProfiles(s, "default", 7, "success_greedy", s.HeldOutSplits, "2 held-out splits", p...)
		}},
		{"reward_vs_success", func(p ...string) error { return plotRewardVsSuccess(s, "default", "train", p...) }},
	} {
		// Every figure as SVG (fast); the learning curves in every
		// format (rasterizing is slow under -race).
		stem := filepath.Join(dir, tc.name)
		paths := []string{stem + ".svg"}
		if tc.name == "curves_heldout" {
			paths = formats(stem)
		}
		if err := tc.draw(paths...); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(paths) > 1 {
			checkFigure(t, stem)
		} else if b, err := os.ReadFile(paths[0]); err != nil || !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("%s: not an SVG (%v)", paths[0], err)
		}
	}
}

func TestPlotErrors(t *testing.T) {
	s := plotSummary()
	x := filepath.Join(t.TempDir(), "x.png")
	for name, err := range map[string]error{
		"missing split":  plotLearningCurves(s, "default", "nosuchsplit", "success_greedy", x),
		"unknown format": plotLearningCurves(s, "default", "heldout", "success_greedy", x+".unknown"),
		"no path":        plotLearningCurves(s, "default", "heldout", "success_greedy"),
		"missing day":    plotSplitBars(s, "default", 99, "success_greedy", s.Splits, x),
		"no splits":      plotSplitBars(s, "default", 7, "success_greedy", nil, x),
		"no gaps":        plotGapBars(s, "default", 99, "success_greedy", x),
		"missing agent":  plotForgettingMatrix(s, "default", "nobody", "success_greedy", x),
		"no profile":     plotProfiles(s, "default", 99, "success_greedy", []string{"train"}, "train", x),
		"no reward":      plotRewardVsSuccess(s, "default", "nosuchsplit", x),
		"no envs":        plotEnvScatter(nil, "t", "g", x),
		"no attempts":    plotSessionCurves(nil, "default", x),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPlotSplitBarsLabels(t *testing.T) {
	s := plotSummary()
	dir := plotDir(t)
	// Short split names stay horizontal.
	if err := plotSplitBars(s, "default", 7, "success_greedy", []string{"train", "heldout"}, filepath.Join(dir, "bars_short.svg")); err != nil {
		t.Fatal(err)
	}
	// Many long split names are rotated.
	long := summarize(fakeRecords([]string{"base", "rlvr"}, []float64{0.01, 0.06},
		[]string{"train", "heldout-skills", "heldout-long-horizon", "unverified-domain", "drifted-skills", "calibration"}, 5, 2),
		summaryOptions{Baseline: "base", Resamples: 100})
	if err := plotSplitBars(long, "default", 1, "score_greedy", long.Splits, filepath.Join(dir, "bars_rotated.svg")); err != nil {
		t.Fatal(err)
	}
}

func TestPlotSessionCurves(t *testing.T) {
	var atts []Attempt
	for _, agent := range []string{"frozen", "context"} {
		for seed := range 4 {
			for day := 1; day <= 3; day++ {
				for slot := range 32 {
					succ := 0.0
					// The context agent learns within each session and
					// forgets overnight.
					if agent == "context" && (slot*7+seed*3)%32 < slot {
						succ = 1
					}
					atts = append(atts, Attempt{
						Header: Header{Schema: SchemaVersion, Kind: KindAttempt, Point: "default", Agent: agent, Seed: seed, Day: day},
						Slot:   slot, Success: succ,
					})
				}
			}
		}
	}
	ss := summarizeAttempts(atts, summaryOptions{Agents: []string{"frozen", "context"}, Resamples: 100}, 0)
	stem := filepath.Join(plotDir(t), "session")
	if err := plotSessionCurves(ss, "default", stem+".svg"); err != nil {
		t.Fatal(err)
	}
	if err := plotSessionCurves(ss, "other", stem+".png"); err == nil {
		t.Error("no error for a point without attempts")
	}
}

func TestPlotEnvScatter(t *testing.T) {
	// Synthetic environments on a grid over (V, G), with a gain that needs
	// both, and CIs that exclude zero only where the gain is large.
	var pts []envPoint
	for _, v := range []float64{0.1, 0.5, 0.9} {
		for _, g := range []float64{0.1, 0.5, 0.9} {
			gain := 0.4*v*g - 0.05
			pts = append(pts, envPoint{
				Label: "V" + strings.TrimPrefix(formatFloat(v), "0") + " G" + strings.TrimPrefix(formatFloat(g), "0"),
				V:     v, G: g, Gain: gain, Lo: gain - 0.06, Hi: gain + 0.06,
			})
		}
	}
	stem := filepath.Join(plotDir(t), "vg_scatter")
	if err := plotEnvScatter(pts, "Gain of rlvr over measured (V, G)", "rlvr − frozen-tuned, success on train", formats(stem)...); err != nil {
		t.Fatal(err)
	}
	checkFigure(t, stem)

	// envGains joins measured points with the Summary's differences.
	s := plotSummary()
	got := envGains(s, []EnvMeasure{{Point: "default", V: 0.8, G: 0.3}, {Point: "absent", V: 0.1, G: 0.1}}, "rlvr", "train", 7, "success_greedy")
	d, _ := s.diff("default", "train", 7, "rlvr", "success_greedy")
	if len(got) != 1 || got[0] != (envPoint{Label: "default", V: 0.8, G: 0.3, Gain: d.Mean, Lo: d.Lo, Hi: d.Hi}) {
		t.Errorf("EnvGains = %+v", got)
	}
}

func TestAgentColorStable(t *testing.T) {
	if agentColor(0) != okabeIto[0] || agentColor(len(okabeIto)) != okabeIto[0] || agentColor(1) == agentColor(0) {
		t.Error("AgentColor does not cycle through the palette by index")
	}
	// Neighbouring agents differ in colour, marker and dash pattern.
	for i := range 4 {
		a, b := styleOf(i), styleOf(i+1)
		if a.color == b.color || a.glyph == b.glyph || (a.dashes == nil) == (b.dashes == nil) && i == 0 {
			t.Errorf("agents %d and %d look alike", i, i+1)
		}
	}
}

func TestColorScale(t *testing.T) {
	d := diverging(-1, 1)
	if d.color(0) != (d.stops[3]) || d.color(-5) != d.stops[0] || d.color(5) != d.stops[len(d.stops)-1] {
		t.Error("diverging scale is not centred or not clamped")
	}
	v := viridis(0, 1)
	if textColorOn(v.color(0)) == textColorOn(v.color(1)) {
		t.Error("the same text colour on the darkest and lightest viridis")
	}
}
