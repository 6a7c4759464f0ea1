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
	"unicode/utf8"
)

// BuildOptions steers Build. Zero values take the manifest's settings or
// the defaults.
type BuildOptions struct {
	Resamples int
	Seed      uint64 // seeds every bootstrap; default 1

	// Loaded holds runs this process ran and wrote: Build takes their
	// records out of it instead of reading back and decoding their files
	// (a run whose file is not the one written, or already taken, is read
	// as usual).
	Loaded *LoadedRuns

	// Workers bounds the goroutines the statistics and figures run on
	// (GOMAXPROCS if 0): grind run passes its --workers, so that the
	// whole command uses the parallelism asked for.
	Workers int

	// Progress, if set, is told as Build goes: the stage ("records",
	// "statistics", "tables", "figures") and, for figures, how many of
	// how many are drawn. It may be called from several goroutines, never
	// at once.
	Progress func(stage string, done, total int)

	// AllCIs bootstraps an interval for every aggregate of summary.csv.
	// Without it (the default) only the intervals the tables, figures and
	// report show are computed; the other rows keep their point estimates
	// with lo and hi empty (grind report --all fills them).
	AllCIs bool

	// PlotFormats are the file extensions every figure is written in
	// (default .svg and .pdf: what the report page embeds and what a
	// paper includes; add .png for raster copies). The report embeds each
	// figure's PNG if written, else its SVG.
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
	sessions *sessionSummary   // nil without attempt records
	slots    *slotSummary      // nil without attempt records
	Files    []string          // every file written, in a stable order
	figures  []figureFile      // in the order of Files
	tables   []tableFile       // in the order of Files
	Headline string            // the main table as plain text, for the terminal
	hashes   map[string]string // run key -> sha256 of the record file Build read (or that was written from the records it was handed)

	// FromMemory is the number of runs whose records were taken from
	// BuildOptions.Loaded rather than read back from their files.
	FromMemory int
}

// headlineMetric is the metric of the main table and plots, and of the
// generalization-gap, transfer and probability-of-improvement tables.
const headlineMetric = "success_greedy"

// defaultPlotFormats are the formats of every figure unless asked
// otherwise. PNG is left out: rasterizing and compressing it cost as much
// as every other output together.
var defaultPlotFormats = []string{".svg", ".pdf"}

// PlotFormats are the figure formats Build can write, as extensions.
var PlotFormats = []string{".png", ".svg", ".pdf", ".eps"}

// ParsePlotFormats reads a comma-separated list of figure formats ("svg,
// pdf", ".png"), in its order, for BuildOptions.PlotFormats.
func ParsePlotFormats(list string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !strings.HasPrefix(f, ".") {
			f = "." + f
		}
		if !slices.Contains(PlotFormats, f) {
			return nil, fmt.Errorf("figure format %q: want some of png, svg, pdf, eps", strings.TrimPrefix(f, "."))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no figure format in %q: want some of png, svg, pdf, eps", list)
	}
	return out, nil
}

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
// and this one did not write. Running it twice gives byte-identical files,
// figures included (PDFs carry a fixed date).
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
//	plots/session_slots.*                  success by attempt within a session, day 1 vs later (slotTable too)
//	plots/gap_success_greedy.*             generalization-gap bars
//	plots/forgetting/<agent>.*             forgetting matrices
//	tables/phases_success_greedy.*         GEM over a drifting job's phases (phaseTable)
//	plots/phases/<agent>.*                 its accuracy matrix R (phase x checkpoint)
//	plots/profiles/{train,held-out}.*      performance profiles
//	plots/reward_vs_success.*              verdict reward vs true success
//	plots/horizon.*                        success vs k on longer@k, with p^(kL)
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
	progress := opt.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	// A damaged record file is named and left out; the rest is built.
	progress("records", 0, 0)
	recs, err := readRuns(dir, readOptions{foldAttempts: true, loaded: opt.Loaded, workers: opt.Workers})
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
	progress("statistics", 0, 0)
	sopt := summaryOptions{Baseline: m.Baseline, Pairs: pairsOf(m), Resamples: opt.Resamples, Seed: opt.Seed, Agents: m.Agents, OnlyRead: !opt.AllCIs, Workers: opt.Workers}
	s := summarize(recs.Checkpoints, sopt)
	sopt.Agents = s.Agents // so that colours match across figures
	b := &Built{Damaged: recs.Damaged, Summary: s, sessions: summarizeAttempts(recs.Attempts, sopt, opt.SessionBin), hashes: recs.Hashes, FromMemory: recs.FromMemory}
	b.slots = summarizeSlots(recs.Attempts, sopt, opt.SessionBin, phaseStarts(recs.Checkpoints))
	var perRun map[sessionRun][2]float64
	if b.slots != nil {
		perRun = s.summarizeSessionMetrics(recs.Attempts, sopt, b.slots.Bin)
	}

	w := &builder{dir: dir, b: b, formats: opt.PlotFormats, workers: opt.Workers, progress: progress}
	var buf bytes.Buffer
	sweep, err := sweepColumns(m)
	if err != nil {
		return nil, err
	}
	s.summarizeInfoNeeded(perRun, m.Capacity, sweep, sopt)
	if err := s.writeCSVSweep(&buf, sweep); err != nil {
		return nil, err
	}
	if err := w.write(filepath.Join(dir, SummaryFile), buf.Bytes()); err != nil {
		return nil, err
	}

	progress("tables", 0, 0)
	if err := w.sweepViews(sweep); err != nil {
		return nil, err
	}
	if err := w.infoNeededOutputs(m.Capacity); err != nil {
		return nil, err
	}
	if len(opt.Measured) == 0 {
		if opt.Measured, err = readMeasured(dir); err != nil {
			return nil, err
		}
	}
	if err := w.grindOutputs(opt.Measured, sweep, competenceOf(m)); err != nil {
		return nil, err
	}
	// Each point's tables and figures read its own last checkpoint: a
	// sweep of job.days gives points different ones.
	for _, point := range s.Points {
		sub := ""
		if len(s.Points) > 1 {
			sub = safeName(point)
		}
		if err := w.tables(point, sub, s.lastDayAt(point)); err != nil {
			return nil, err
		}
	}
	for _, point := range s.Points {
		sub := ""
		if len(s.Points) > 1 {
			sub = safeName(point)
		}
		w.figures(point, sub, s.lastDayAt(point))
		if split := s.TrainSplit; split != "" && hasTime(s, point, split) {
			w.figure(filepath.Join(sub, "time", safeName(split)), sectionCurves,
				fmt.Sprintf("%s on %s against simulated time%s", headlineMetric, split, pointSuffix(s, point)),
				fmt.Sprintf("%s on %s%s at every checkpoint, placed at the mean simulated time of the agent's runs there (env.grind.attempt_cost per group, delays, waits and the day budget): IQM over runs with %s (bands).", headlineMetric, split, pointClause(s, point), ciMethod(s)),
				func(paths ...string) error { return plotTimeCurves(s, point, split, headlineMetric, paths...) })
		}
	}
	w.horizonFigure(m)
	if hasDistance(s) {
		names, groups := agentFamilies(s)
		for i, agents := range groups {
			suffix, of := "", ""
			if names[i] != "" {
				suffix, of = "_"+safeName(names[i]), " ("+names[i]+")"
			}
			w.figure("distance_vs_retained"+suffix, sectionForgetting,
				fmt.Sprintf("Retained %s success against KL from the base%s", s.PriorSplits[0], of),
				fmt.Sprintf("One marker per run at the last checkpoint (%s) of every sweep point: success_greedy on %s against KL(base || current) per step on the states the run's policy visits on the job's own tasks, per agent%s.", s.dayText(s.viewDay()), s.PriorSplits[0], of),
				func(paths ...string) error { return plotDistanceVsRetained(s, agents, paths...) })
			w.figure("new_vs_old"+suffix, sectionForgetting,
				fmt.Sprintf("New-task against old-task success (%s vs %s)%s", s.TrainSplit, s.PriorSplits[0], of),
				fmt.Sprintf("Per agent%s (and sweep point), success_greedy on %s against success_greedy on %s at every checkpoint, IQM over runs with %s (whiskers both ways, where computed), joined in order of days from day 0: up and right is better; a curve that falls as it moves right trades old skills for new ones.", of, s.TrainSplit, s.PriorSplits[0], ciMethod(s)),
				func(paths ...string) error { return plotNewVsOld(s, agents, paths...) })
		}
	}
	if len(opt.Measured) > 0 {
		w.envFigures(opt)
	}
	if err := w.render(); err != nil {
		return nil, err
	}
	if err := w.writeProfiles(sweep); err != nil {
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
	workers int
	formats []string
	jobs    []figureJob
	pre     []func() // tasks render runs before drawing (bandsFirst)
	// profiles are the performance profiles the figures drew, for
	// tables/profiles.csv.
	profMu   sync.Mutex
	profiles []keptProfile
	// progress reports figures drawn (BuildOptions.Progress).
	progress func(stage string, done, total int)
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

// addTable writes t as tables/<name>.* in every table format and lists it
// under section.
func (w *builder) addTable(t *table, section string) error { return w.addTableIn(t, section, "") }

// addTableIn is addTable under tables/<sub>/.
func (w *builder) addTableIn(t *table, section, sub string) error {
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
	}
	w.b.tables = append(w.b.tables, tf)
	return nil
}

// tables writes every table of one point.
func (w *builder) tables(point, sub string, day int) error {
	s := w.b.Summary
	add := func(section string, t *table) error {
		if err := w.addTableIn(t, section, sub); err != nil {
			return err
		}
		if t.Name == "splits_"+headlineMetric {
			if len(s.Points) > 1 {
				w.b.Headline += "point " + point + "\n"
			}
			// The closing table of grind run: agents' cells without their
			// intervals (the differences keep theirs), to fit a terminal;
			// the full table is in tables/.
			var short bytes.Buffer
			if err := compactTable(t).Write(&short, FormatText); err != nil {
				return err
			}
			w.b.Headline += short.String()
		}
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
	for _, m := range metricsWhere(func(m Metric) bool { return m.Tabulated }) {
		if t, err := pairsTable(s, point, day, m.Name); err == nil {
			if err := add(sectionPairs, t); err != nil {
				return err
			}
		}
	}
	if t, err := passKTable(s, point); err == nil {
		if err := add(sectionPassK, t); err != nil {
			return err
		}
	}
	for _, mk := range []struct {
		section string
		make    func(*Summary, string, int, string) (*table, error)
	}{
		{sectionGap, gapTable},
		{sectionForgetting, transferTable},
		{sectionForgetting, phaseTable},
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
	if t, err := slotTable(w.b.slots, s, point); err == nil {
		if err := add(sectionSession, t); err != nil {
			return err
		}
	}
	if w.b.slots != nil {
		if t, err := sessionMetricsTable(s, point, w.b.slots.Bin[point]); err == nil {
			return add(sectionSession, t)
		}
	}
	return nil
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

// compactTable returns t with every agent column's cells cut to their
// point estimate: "0.58 [0.53, 0.62] *" becomes "0.58*". Difference
// columns (a header with " − ") keep their intervals.
func compactTable(t *table) *table {
	c := *t
	c.Caption = wrapWords(strings.SplitN(t.Caption, ". ", 2)[0]+". Agent columns: IQM over runs; differences paired by seed with 95% CIs (full table with every CI: tables/"+t.Name+".txt).", 100)
	c.Rows = make([][]string, len(t.Rows))
	for i, row := range t.Rows {
		c.Rows[i] = slices.Clone(row)
		for j := 1; j < len(row) && j < len(t.Header); j++ {
			if strings.Contains(t.Header[j], " − ") {
				continue
			}
			if f := strings.Fields(row[j]); len(f) > 0 {
				c.Rows[i][j] = f[0]
			}
		}
	}
	return &c
}

// wrapWords breaks text into lines of at most width runes at spaces.
func wrapWords(text string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		l := utf8.RuneCountInString(w)
		if i > 0 && n+1+l > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += l
	}
	return b.String()
}
