package results

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// BuildOptions steers Build. Zero values take the manifest's settings or
// the defaults.
type BuildOptions struct {
	Resamples int
	Seed      uint64 // seeds every bootstrap; default 1

	// PlotFormats are the file extensions every figure is written in
	// (default .png, .svg and .pdf).
	PlotFormats []string

	// Measured, if given, places each sweep point on the (V, G) plane, and
	// Build draws a scatter of the points coloured by each agent's gain
	// over the baseline in headlineMetric on GainSplit (the train split if
	// empty) at the last checkpoint.
	Measured  []EnvMeasure
	GainSplit string

	// SessionBin is the number of task slots per bin of the within-session
	// curves (see summarizeAttempts; 0 for 8 bins per session).
	SessionBin int
}

// figureFile is one figure Build wrote, in every format, with what a report
// page needs to show it.
type figureFile struct {
	Name    string   // stable identifier, the path under plots/ without extension
	Section string   // the group it belongs to, e.g. "Learning curves"
	Title   string   // a short title
	Caption string   // what it shows and how every number was computed
	Path    string   // the PNG if written, else the first format
	Files   []string // every format written, in the order of PlotFormats
}

// tableFile is one table Build wrote, in every format, with the table
// itself, which the report renders.
type tableFile struct {
	Name    string   // stable identifier, the path under tables/ without extension
	Section string   // the group it belongs to, e.g. "Generalization gap"
	Files   []string // .md, .tex, .txt and .csv, in that order
	Table   *table
}

// ErrNoRecords is Build's error for a folder with no usable run records.
var ErrNoRecords = errors.New("no checkpoint records")

// Built lists what Build wrote.
type Built struct {
	Damaged  []DamagedRun // record files left out because they could not be read
	Summary  *Summary
	sessions *sessionSummary // nil without attempt records
	Files    []string        // every file written, in a stable order
	figures  []figureFile    // in the order of Files
	tables   []tableFile     // in the order of Files
	Headline string          // the main table as plain text, for the terminal
}

// headlineMetric is the metric of the main table and plots, and of the
// generalization-gap, transfer and probability-of-improvement tables.
const headlineMetric = "success_greedy"

// defaultPlotFormats are the formats of every figure.
var defaultPlotFormats = []string{".png", ".svg", ".pdf"}

// Sections of tables and figures, in the order Build writes them.
const (
	sectionHeadline    = "Success per split"
	sectionCurves      = "Learning curves"
	sectionSession     = "Within-session learning"
	sectionGap         = "Generalization gap"
	sectionForgetting  = "Forgetting and transfer"
	sectionImprovement = "Probability of improvement"
	sectionProfiles    = "Performance profiles"
	sectionReward      = "Verdict reward vs true success"
	sectionEnvs        = "Environments"
)

// Build regenerates summary.csv, tables and plots of results folder dir
// from its records alone (and the manifest's report settings), and removes
// files of those kinds that an earlier Build left in tables/ and plots/
// and this one did not write. Running it twice gives byte-identical tables
// and CSV (figures are redrawn; PNG and SVG are also identical, PDF carries
// a timestamp).
//
// The folder's layout, with a subfolder per sweep point under tables/ and
// plots/ when there is more than one point:
//
//	summary.csv                            every aggregate (Summary.writeCSV)
//	tables/splits_<metric>.{md,tex,txt,csv}  per split, per agent (splitTable)
//	tables/gap_success_greedy.*            generalization gap (gapTable)
//	tables/transfer_success_greedy.*       forgetting and transfer (transferTable)
//	tables/pi_success_greedy.*             probability of improvement (piTable)
//	plots/splits_success_greedy.{png,svg,pdf}
//	plots/curves/<split>.*                 learning curves per checkpoint
//	plots/session_success.*                within-session curves
//	plots/gap_success_greedy.*             generalization-gap bars
//	plots/forgetting/<agent>.*             forgetting matrices
//	plots/profiles/{train,held-out}.*      performance profiles
//	plots/reward_vs_success.*              verdict reward vs true success
//	plots/vg_<agent>.*                     gain over (V, G), with Measured
//
// Tables and figures whose data are missing (no baseline, one checkpoint,
// no attempt records, no train split) are left out.
func Build(dir string, opt BuildOptions) (*Built, error) {
	m, err := ReadManifest(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if m == nil {
		m = &Manifest{}
	}
	// A damaged record file is named and left out; the rest is built.
	recs, err := readRuns(dir, readOptions{foldAttempts: true})
	if err != nil {
		return nil, err
	}
	if len(recs.Checkpoints) == 0 {
		return nil, fmt.Errorf("%s: %w under %s", dir, ErrNoRecords, RunsDir)
	}
	if opt.Resamples == 0 {
		opt.Resamples = m.Resamples
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if len(opt.PlotFormats) == 0 {
		opt.PlotFormats = defaultPlotFormats
	}
	sopt := summaryOptions{Baseline: m.Baseline, Resamples: opt.Resamples, Seed: opt.Seed, Agents: m.Agents}
	s := summarize(recs.Checkpoints, sopt)
	sopt.Agents = s.Agents // so that colours match across figures
	b := &Built{Damaged: recs.Damaged, Summary: s, sessions: summarizeAttempts(recs.Attempts, sopt, opt.SessionBin)}

	w := &builder{dir: dir, b: b, formats: opt.PlotFormats}
	var buf bytes.Buffer
	if err := s.writeCSV(&buf); err != nil {
		return nil, err
	}
	if err := w.write(filepath.Join(dir, "summary.csv"), buf.Bytes()); err != nil {
		return nil, err
	}

	last := s.lastDay()
	for _, point := range s.Points {
		sub := ""
		if len(s.Points) > 1 {
			sub = safeName(point)
		}
		if err := w.tables(point, sub, last); err != nil {
			return nil, err
		}
	}
	for _, point := range s.Points {
		sub := ""
		if len(s.Points) > 1 {
			sub = safeName(point)
		}
		w.figures(point, sub, last)
	}
	if len(opt.Measured) > 0 {
		w.envFigures(opt)
	}
	if err := w.render(); err != nil {
		return nil, err
	}
	if err := pruneStale(dir, b.Files); err != nil {
		return nil, err
	}
	return b, nil
}

// builder accumulates Build's outputs.
type builder struct {
	dir     string
	b       *Built
	formats []string
	jobs    []figureJob
}

// figureJob is a figure to draw into every format.
type figureJob struct {
	index int // in b.Figures
	draw  func(paths ...string) error
}

func (w *builder) write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return err
	}
	w.b.Files = append(w.b.Files, path)
	return nil
}

// tables writes every table of one point.
func (w *builder) tables(point, sub string, day int) error {
	s := w.b.Summary
	add := func(section string, t *table) error {
		name := filepath.ToSlash(filepath.Join(sub, t.Name))
		tf := tableFile{Name: name, Section: section, Table: t}
		var buf bytes.Buffer
		for _, f := range tableFormats {
			buf.Reset()
			if err := t.Write(&buf, f.Format); err != nil {
				return fmt.Errorf("table %s: %w", name, err)
			}
			path := filepath.Join(w.dir, "tables", sub, t.Name+f.Ext)
			if err := w.write(path, buf.Bytes()); err != nil {
				return err
			}
			tf.Files = append(tf.Files, path)
			if f.Format == FormatText && t.Name == "splits_"+headlineMetric {
				if len(s.Points) > 1 {
					w.b.Headline += "point " + point + "\n"
				}
				w.b.Headline += buf.String()
			}
		}
		w.b.tables = append(w.b.tables, tf)
		return nil
	}
	for _, m := range metricsWhere(func(m Metric) bool { return m.Tabulated }) {
		t, err := splitTable(s, point, day, m.Name)
		if err != nil {
			continue // no data for this metric
		}
		if err := add(sectionHeadline, t); err != nil {
			return err
		}
	}
	for _, mk := range []struct {
		section string
		make    func(*Summary, string, int, string) (*table, error)
	}{
		{sectionGap, gapTable},
		{sectionForgetting, transferTable},
		{sectionImprovement, piTable},
	} {
		t, err := mk.make(s, point, day, headlineMetric)
		if err != nil {
			continue // the data do not support it
		}
		if err := add(mk.section, t); err != nil {
			return err
		}
	}
	return nil
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
	if split := rewardSplit(s); split != "" && (hasSplit(s, point, split, "verdict_reward") || hasSplit(s, point, split, "success_sampled")) {
		w.figure(name("reward_vs_success"), sectionReward,
			fmt.Sprintf("Verdict reward vs true success on %s%s", split, pointSuffix(s, point)),
			fmt.Sprintf("Per agent, the mean verdict a learner received (dashed, hollow markers) and the true success of the same sampled attempts (solid) on %s%s at every checkpoint: %s (bands). A verdict reward above true success that grows over time is reward hacking; with an exact verifier the lines coincide.", split, where, ci),
			func(paths ...string) error { return plotRewardVsSuccess(s, point, split, paths...) })
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
			func(paths ...string) error {
				return plotProfiles(s, point, day, m, []string{s.TrainSplit}, s.TrainSplit, paths...)
			})
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
			func(paths ...string) error { return plotProfiles(s, point, day, m, held, label, paths...) })
	}
}

// envFigures queues a (V, G) scatter per compared agent.
func (w *builder) envFigures(opt BuildOptions) {
	s := w.b.Summary
	split := opt.GainSplit
	if split == "" {
		split = s.TrainSplit
	}
	day := s.lastDay()
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
			fmt.Sprintf("Each environment (sweep point) at its measured verifiability V and grindability G, coloured by the paired difference %s at day %d (mean over seeds, %s%% percentile-bootstrap CI, %d resamples). Filled: the CI excludes zero; hollow: it does not.", label, day, levelPercent(s.Level), s.resamples()),
			func(paths ...string) error {
				return plotEnvScatter(pts, fmt.Sprintf("Gain of %s over measured (V, G)", agent), label, paths...)
			})
	}
}

// render draws every queued figure, on up to GOMAXPROCS goroutines, and
// appends the files to b.Files in the order the figures were queued.
func (w *builder) render() error {
	errs := make([]error, len(w.jobs))
	tasks := make([]func(), len(w.jobs))
	for i, j := range w.jobs {
		tasks[i] = func() {
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
	parallelDo(tasks)
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

// builtExts are the extensions of the files Build writes under tables/ and
// plots/.
var builtExts = []string{".md", ".tex", ".txt", ".csv", ".png", ".svg", ".pdf", ".eps"}

// pruneStale removes files with an extension Build writes from dir's
// tables/ and plots/ folders if Build did not write them this time (left
// by an earlier layout, a removed split or agent), then empty folders.
func pruneStale(dir string, written []string) error {
	keep := make(map[string]bool, len(written))
	for _, f := range written {
		keep[filepath.Clean(f)] = true
	}
	for _, sub := range []string{"tables", "plots"} {
		root := filepath.Join(dir, sub)
		var dirs []string
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				dirs = append(dirs, path)
				return nil
			}
			if slices.Contains(builtExts, strings.ToLower(filepath.Ext(path))) && !keep[filepath.Clean(path)] {
				return os.Remove(path)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("prune %s: %w", root, err)
		}
		// Deepest first; a folder that is not empty stays.
		for i := len(dirs) - 1; i > 0; i-- {
			os.Remove(dirs[i])
		}
	}
	return nil
}

// safeName maps a split, agent or point label to a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '=', r == '@':
			return r
		}
		return '_'
	}, s)
}
