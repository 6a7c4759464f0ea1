package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// This file queues the figures Build draws and draws them in parallel.

// figureJob is a figure to draw into every format.
type figureJob struct {
	index int // in b.Figures
	draw  func(paths ...string) error
}

// figure queues a figure named name (a path under plots/ without
// extension).
func (w *builder) figure(name, section, title, caption string, draw func(paths ...string) error) {
	f := figureFile{Name: filepath.ToSlash(name), Section: section, Title: title, Caption: caption}
	for _, ext := range w.formats {
		path := filepath.Join(w.dir, "plots", filepath.FromSlash(name)+ext)
		f.Files = append(f.Files, path)
		if ext == ".png" || f.Path == "" {
			f.Path = path
		}
	}
	w.b.figures = append(w.b.figures, f)
	w.jobs = append(w.jobs, figureJob{index: len(w.b.figures) - 1, draw: draw})
}

// figures queues every figure of one point that its data support: those
// of each metric the metric table marks Plotted, then the within-session
// curves and verdict reward against true success.
func (w *builder) figures(point, sub string, day int) {
	for _, m := range metricsWhere(func(m Metric) bool { return m.Plotted }) {
		w.metricFigures(point, sub, day, m.Name)
	}
	s := w.b.Summary
	ci := fmt.Sprintf("IQM over runs with %s", ciMethod(s))
	name := func(parts ...string) string { return filepath.Join(append([]string{sub}, parts...)...) }
	where := pointClause(s, point)
	if ss := w.b.sessions; ss != nil && ss.Slots[point] > 0 {
		w.figure(name("session_success"), sectionSession,
			fmt.Sprintf("True success per real attempt during the job%s", pointSuffix(s, point)),
			fmt.Sprintf("True success of every real job attempt (recorded online, never shown to the agent)%s, averaged per run over bins of %d task slots and all rollouts, against time in the job in days: IQM over runs with %s%% percentile-bootstrap CI over runs (%d resamples). Whole days mark session boundaries, where in-session context is cleared.",
				where, ss.Bin[point], levelPercent(ss.Level), ss.Resamples),
			func(paths ...string) error { return plotSessionCurves(ss, point, paths...) })
	}
	if sl := w.b.slots; sl != nil && sl.Bin[point] > 0 {
		w.figure(name("session_slots"), sectionSession,
			fmt.Sprintf("True success by attempt within a session%s", pointSuffix(s, point)),
			fmt.Sprintf("True success of every real job attempt (recorded online, never shown to the agent)%s against its task slot within the session, in bins of %d slots, pooling the sessions of day 1 (dotted), of the first days of later phases of a drifting job (dashed, if any) and of the other days (solid): IQM over runs with %s%% percentile-bootstrap CI over runs (%d resamples). A curve that climbs again every session is learning that does not outlast the session; a later-day curve that starts above day 1's kept it.",
				where, sl.Bin[point], levelPercent(sl.Level), sl.Resamples),
			func(paths ...string) error { return plotSlotCurves(sl, point, paths...) })
	}
	w.phaseFigures(point, sub)
	// Sampled success beside greedy: a temperature (frozen-tuned) cannot
	// move an argmax, so greedy success alone cannot tell it from frozen.
	if m := "success_sampled"; hasCells(s, point, day, m) {
		w.figure(name(m, "splits_"+m), sectionHeadline,
			fmt.Sprintf("%s per split at day %d%s", m, day, pointSuffix(s, point)),
			fmt.Sprintf("%s at the last checkpoint (day %d%s), a group of bars per split and a bar per agent: %s (whiskers). The same tasks as splits_%s, one sampled attempt each: the metric a temperature can move.", m, day, where, ci, headlineMetric),
			func(paths ...string) error { return plotSplitBars(s, point, day, m, s.Splits, paths...) })
	}
	pkDays := s.passKDays(point)
	for _, day := range pkDays {
		for _, split := range s.Splits {
			if len(s.passKs(point, split, day)) == 0 {
				continue
			}
			file := safeName(split)
			if len(pkDays) > 1 {
				file += fmt.Sprintf("_day%d", day)
			}
			w.figure(name("passk", file), sectionPassK,
				fmt.Sprintf("pass@k on %s at day %d%s", split, day, pointSuffix(s, point)),
				fmt.Sprintf("Unbiased pass@k against k (log scale) on %s%s at day %d: per run, the mean over the split's tasks of the estimate from the checkpoint's n sampled attempts per task; %s (bands). pass@1 is the sampled success; pass@n the coverage (tasks solved at least once).", split, where, day, ci),
				func(paths ...string) error { return plotPassK(s, point, split, day, paths...) })
		}
	}
	if split := rewardSplit(s); split != "" && (hasSplit(s, point, split, "verdict_reward") || hasSplit(s, point, split, "success_sampled")) {
		w.figure(name("reward_vs_success"), sectionReward,
			fmt.Sprintf("Verdict reward vs true success on %s%s", split, pointSuffix(s, point)),
			fmt.Sprintf("Per agent, the mean verdict a learner received (dashed, hollow markers) and the true success of the same sampled attempts (solid) on %s%s at every checkpoint: %s (bands). A verdict reward above true success that grows over time is reward hacking; with an exact verifier the lines coincide.", split, where, ci),
			func(paths ...string) error { return plotRewardVsSuccess(s, point, split, paths...) })
	}
	if split := rewardSplit(s); split != "" && hasSplit(s, point, split, "dream_reward") {
		w.figure(name("dream_vs_truth"), sectionReward,
			fmt.Sprintf("Dream reward vs true success of the same dreams%s", pointSuffix(s, point)),
			fmt.Sprintf("Per dreaming agent, the mean verdict it learnt from on each night's dreams (dashed, hollow markers: its learned verifier's, or the true scorer's for oracle arms) and the true success of the same dreamed attempts (solid), at the checkpoint after each night%s: %s (bands). The distance between them is the dream-versus-real gap; with the oracle the lines coincide.", where, ci),
			func(paths ...string) error {
				return plotBeliefVsTruth(s, point, split, beliefVsTruth{
					truth: "dream_success", belief: "dream_reward",
					truthLabel: "true success of the dreams", beliefLabel: "dream reward (dream verifier)", yLabel: "fraction of dream attempts",
					title: fmt.Sprintf("Dream reward vs true success of the same dreams%s: IQM over runs, %s%% CI", pointSuffix(s, point), levelPercent(s.Level)),
				}, paths...)
			})
	}
	if split := rewardSplit(s); split != "" && hasSplit(s, point, split, "dream_gap") {
		w.figure(name("dream_gap"), sectionReward,
			fmt.Sprintf("Dream-versus-real gap over days%s", pointSuffix(s, point)),
			fmt.Sprintf("Per dreaming agent (one panel each, shared axes), dream_gap: per run, the mean dream reward it learnt from on the night's dreams minus the true success of the same dreamed attempts, at the checkpoint after each night%s: %s (bands). Above zero the dream verifier passes dreams the truth fails; the oracle arms sit at zero. The gap is itself a paired difference (per run, on the same dreams); grind compare --metric dream_gap compares it between two results folders.", where, ci),
			func(paths ...string) error { return plotDreamGap(s, point, split, paths...) })
	}
	if split := s.TrainSplit; split != "" {
		if ag, _ := s.dreamers(point, split); len(ag) > 0 && hasSplit(s, point, split, headlineMetric) {
			metrics := []string{headlineMetric}
			if hasSplit(s, point, split, "success_sampled") {
				metrics = append(metrics, "success_sampled")
			}
			w.figure(name("success_vs_dreams"), sectionReward,
				fmt.Sprintf("Real success against dream practice%s", pointSuffix(s, point)),
				fmt.Sprintf("Per dreaming agent, true success on %s%s (greedy, solid; and sampled, dashed: the success of one real attempt per task) at each checkpoint after the first night, against its cumulative dream attempts (mean over runs, log scale), joined in order of days, one panel per agent on shared axes: %s (whiskers). In grey, the baseline's greedy success (when it does not dream) on the same days at the dreamer's x: what those days give without dreams. A curve that rises then falls is dream practice turning from help into harm.", split, where, ci),
				func(paths ...string) error { return plotSuccessVsDreams(s, point, split, metrics, paths...) })
		}
	}
}

// metricFigures queues the figures of metric m at one point: bars per
// split, learning curves, generalization-gap bars, forgetting matrices and
// performance profiles. Those of headlineMetric sit directly under plots/
// (or the point's folder), those of another metric in a folder named
// after it.
func (w *builder) metricFigures(point, sub string, day int, m string) {
	s := w.b.Summary
	ci := fmt.Sprintf("IQM over runs with %s", ciMethod(s))
	folder := []string{sub}
	if m != headlineMetric {
		folder = append(folder, safeName(m))
	}
	name := func(parts ...string) string { return filepath.Join(append(slices.Clone(folder), parts...)...) }
	where := pointClause(s, point)
	what := "" // titles name a metric other than the headline's
	if m != headlineMetric {
		what = m + ": "
	}

	if hasCells(s, point, day, m) {
		w.figure(name("splits_"+m), sectionHeadline,
			fmt.Sprintf("%s per split at day %d%s", m, day, pointSuffix(s, point)),
			fmt.Sprintf("%s at the last checkpoint (day %d%s), a group of bars per split and a bar per agent: %s (whiskers).", m, day, where, ci),
			func(paths ...string) error { return plotSplitBars(s, point, day, m, s.Splits, paths...) })
	}
	for _, split := range s.Splits {
		if !hasSplit(s, point, split, m) {
			continue
		}
		w.figure(name("curves", safeName(split)), sectionCurves,
			what+fmt.Sprintf("Learning curve on %s%s", split, pointSuffix(s, point)),
			fmt.Sprintf("%s on %s%s at every checkpoint (day 0 is before the job): %s (bands). Agents whose curves coincide are told apart by marker and dash pattern.", m, split, where, ci),
			func(paths ...string) error { return plotLearningCurves(s, point, split, m, paths...) })
	}
	if hasGaps(s, point, day, m) {
		w.figure(name("gap_"+m), sectionGap,
			what+fmt.Sprintf("Generalization gap at day %d%s", day, pointSuffix(s, point)),
			fmt.Sprintf("Generalization gap of %s at day %d%s: per run, the value on %s minus the value on each other split (above zero: better on what it practised), %s (whiskers).", m, day, where, s.TrainSplit, ci),
			func(paths ...string) error { return plotGapBars(s, point, day, m, paths...) })
	}
	if len(s.Days) > 1 {
		for _, agent := range s.Agents {
			if !hasAgent(s, point, agent, m) {
				continue
			}
			w.figure(name("forgetting", safeName(agent)), sectionForgetting,
				what+fmt.Sprintf("Forgetting matrix of %s%s", agent, pointSuffix(s, point)),
				fmt.Sprintf("%s of %s%s per split (rows) and checkpoint (columns). Numbers: IQM over runs. Colour: IQM over runs of each run's change since day %d, on a scale shared by every agent (vermillion: lost, blue: gained).", m, agent, where, s.Days[0]),
				func(paths ...string) error { return plotForgettingMatrix(s, point, agent, m, paths...) })
		}
	}
	if s.TrainSplit != "" && hasSplit(s, point, s.TrainSplit, m) {
		w.figure(name("profiles", "train"), sectionProfiles,
			what+fmt.Sprintf("Performance profile on %s at day %d%s", s.TrainSplit, day, pointSuffix(s, point)),
			fmt.Sprintf("Fraction of runs whose %s on %s at day %d%s exceeds each threshold τ, per agent, with a pointwise %s%% percentile-bootstrap band over runs (%d resamples).", m, s.TrainSplit, day, where, levelPercent(s.Level), s.resamples()),
			w.bandsFirst(func() ([]profileBand, []func()) {
				return profileBandTasks(s, point, day, m, []string{s.TrainSplit})
			}, func(bands []profileBand, paths ...string) error {
				w.keepProfiles(profileTrain, bands)
				return drawProfiles(s, point, day, m, []string{s.TrainSplit}, s.TrainSplit, bands, paths...)
			}))
	}
	if len(s.HeldOutSplits) > 0 {
		held := s.HeldOutSplits
		label := fmt.Sprintf("%d held-out splits", len(held))
		if len(held) == 1 {
			label = held[0]
		}
		w.figure(name("profiles", "held-out"), sectionProfiles,
			what+fmt.Sprintf("Performance profile on held-out splits at day %d%s", day, pointSuffix(s, point)),
			fmt.Sprintf("Fraction of (run, split) pairs whose %s at day %d%s exceeds each threshold τ, pooling the held-out splits (%s) with equal weight, per agent, with a pointwise %s%% percentile-bootstrap band resampling runs (%d resamples).", m, day, where, strings.Join(held, ", "), levelPercent(s.Level), s.resamples()),
			w.bandsFirst(func() ([]profileBand, []func()) {
				return profileBandTasks(s, point, day, m, held)
			}, func(bands []profileBand, paths ...string) error {
				w.keepProfiles(profileHeldOut, bands)
				return drawProfiles(s, point, day, m, held, label, bands, paths...)
			}))
	}
}

// envFigures queues a (V, G) scatter per compared agent.
func (w *builder) envFigures(opt BuildOptions) {
	s := w.b.Summary
	split := opt.GainSplit
	if split == "" {
		split = s.TrainSplit
	}
	day := s.viewDay()
	for _, agent := range s.Agents {
		if agent == s.Baseline {
			continue
		}
		pts := envGains(s, opt.Measured, agent, split, day, headlineMetric)
		if len(pts) == 0 {
			continue
		}
		label := fmt.Sprintf("%s − %s, %s on %s", agent, s.Baseline, headlineMetric, split)
		w.figure("vg_"+safeName(agent), sectionEnvs,
			fmt.Sprintf("Gain of %s over (V, G)", agent),
			fmt.Sprintf("Each environment (sweep point) at its measured verifiability V and grindability G, coloured by the paired difference %s at %s (mean over seeds, %s%% percentile-bootstrap CI, %d resamples). Filled: the CI excludes zero; hollow: it does not.", label, s.dayText(day), levelPercent(s.Level), s.resamples()),
			func(paths ...string) error {
				return plotEnvScatter(pts, fmt.Sprintf("Gain of %s over measured (V, G)", agent), label, paths...)
			})
	}
}

// bandsFirst returns a figure's draw function whose bands are bootstrapped
// before the figures are drawn, by tasks render runs side by side (one per
// agent): a profile's bootstrap is the longest part of any figure, and as
// one task it would leave the other workers idle at the end.
func (w *builder) bandsFirst(tasks func() ([]profileBand, []func()), draw func(bands []profileBand, paths ...string) error) func(paths ...string) error {
	bands, ts := tasks()
	w.pre = append(w.pre, ts...)
	return func(paths ...string) error { return draw(bands, paths...) }
}

// render draws every queued figure, on up to w.workers goroutines, and
// appends the files to b.Files in the order the figures were queued.
func (w *builder) render() error {
	errs := make([]error, len(w.jobs))
	tasks := make([]func(), len(w.jobs))
	var mu sync.Mutex
	drawn := 0
	w.progress("figures", 0, len(w.jobs))
	// The performance profiles bootstrap their bands as they draw, the
	// longest figures by far: started first, they leave no worker drawing
	// one alone at the end. Files keep the queue's order.
	order := make([]int, 0, len(w.jobs))
	for pass := range 2 {
		for i, j := range w.jobs {
			if (w.b.figures[j.index].Section == sectionProfiles) == (pass == 0) {
				order = append(order, i)
			}
		}
	}
	for k, i := range order {
		j := w.jobs[i]
		tasks[k] = func() {
			defer func() {
				mu.Lock()
				drawn++
				w.progress("figures", drawn, len(w.jobs))
				mu.Unlock()
			}()
			f := w.b.figures[j.index]
			for _, path := range f.Files {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					errs[i] = err
					return
				}
			}
			if err := j.draw(f.Files...); err != nil {
				errs[i] = fmt.Errorf("plot %s: %w", f.Name, err)
			}
		}
	}
	renderMu.Lock()
	defer renderMu.Unlock()
	parallelDo(w.workers, w.pre)
	parallelDo(w.workers, tasks)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, f := range w.b.figures {
		w.b.Files = append(w.b.Files, f.Files...)
	}
	return nil
}

// renderMu serializes Builds in one process, so their figures' parallelism
// does not multiply.
var renderMu sync.Mutex

func hasCells(s *Summary, point string, day int, metric string) bool {
	for _, c := range s.Cells {
		if c.Point == point && c.Day == day && c.Metric == metric {
			return true
		}
	}
	return false
}

func hasSplit(s *Summary, point, split, metric string) bool {
	for _, c := range s.Cells {
		if c.Point == point && c.Split == split && c.Metric == metric {
			return true
		}
	}
	return false
}

func hasAgent(s *Summary, point, agent, metric string) bool {
	for _, c := range s.Cells {
		if c.Point == point && c.Agent == agent && c.Metric == metric {
			return true
		}
	}
	return false
}

func hasGaps(s *Summary, point string, day int, metric string) bool {
	for _, c := range s.Gaps {
		if c.Point == point && c.Day == day && c.Metric == metric {
			return true
		}
	}
	return false
}

// rewardSplit is the split of the reward-vs-success figure: the train
// split, or else the first.
func rewardSplit(s *Summary) string {
	if s.TrainSplit != "" {
		return s.TrainSplit
	}
	if len(s.Splits) > 0 {
		return s.Splits[0]
	}
	return ""
}
