package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

// loadExperiment loads CONFIG: a file, or the name of a built-in
// experiment (the default one when path is empty), with the command line's
// --set values and --sweep axes.
func loadExperiment(path string, o experiments.Overrides) (*experiments.Experiment, error) {
	var (
		exp *experiments.Experiment
		err error
	)
	switch {
	case path == "":
		exp, err = experiments.LoadShippedWith(experiments.DefaultName, o)
	case builtIn(path):
		exp, err = experiments.LoadShippedWith(path, o)
	default:
		if _, serr := os.Stat(path); errors.Is(serr, os.ErrNotExist) && !strings.ContainsAny(path, `/\`) && !strings.HasSuffix(path, ".toml") {
			return nil, badInput(fmt.Errorf("%q is neither a file nor a built-in experiment (built-in: %s)%s", path, strings.Join(experiments.Shipped(), ", "), suggest(path, experiments.Shipped())))
		}
		exp, err = experiments.LoadWith(path, o)
	}
	if err != nil {
		return nil, badInput(err)
	}
	return exp, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "[CONFIG] [--out DIR] [--workers N] [--plots png,svg,pdf] [--set key=value ...] [--sweep key=a,b,c ...] [--wait] [--force-new] [--allow-external]", stderr)
	out := fs.String("out", "", "results folder `DIR` (default out/<experiment>)")
	workers := fs.Int("workers", 0, "`N` parallel runs (default: all cores)")
	quiet := fs.Bool("quiet", false, "no progress bar and no closing table")
	plots := fs.String("plots", "svg,pdf", "figure `FORMATS`, comma-separated: png, svg, pdf, eps (the report embeds PNG if written, else SVG)")
	shardFlag := fs.String("shard", "", "run shard I of N (`I/N`) of the sweep; default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX")
	wait := fs.Bool("wait", false, "if another grind command is using the results folder, wait for it (default: exit 3 at once)")
	forceNew := fs.Bool("force-new", false, "if the results folder holds results of another config or shard, remove the files grind wrote there and start afresh (default: exit 2 naming what differs)")
	allowExternal := fs.Bool("allow-external", false, "run the external agent programs the config names (grind validate shows them); else each must be listed in "+experiments.DefaultAllowFile)
	var sets multiFlag
	fs.Var(&sets, "set", "override a knob, e.g. --set env.verifier.coverage=0.5 (repeatable)")
	sweeps := sweepFlag(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return badInput(fmt.Errorf("at most one CONFIG, got %d", len(pos)))
	}
	if *workers < 0 {
		return badInput(fmt.Errorf("--workers %d: must be at least 1 (0 means all cores)", *workers))
	}
	path := ""
	if len(pos) == 1 {
		path = pos[0]
	}
	exp, err := loadExperiment(path, experiments.Overrides{Sets: sets, Sweeps: *sweeps})
	if err != nil {
		return err
	}
	formats, err := results.ParsePlotFormats(*plots)
	if err != nil {
		return badInput(fmt.Errorf("--plots: %w", err))
	}
	shard, err := experiments.ParseShard(*shardFlag, nil)
	if err != nil {
		return badInput(err)
	}
	if *out == "" {
		*out = experiments.DefaultOut(exp)
	}
	runs := shard.Select(experiments.Plan(exp))
	if len(runs) == 0 {
		// More shards than runs: this shard has nothing to do.
		fmt.Fprintf(stdout, "%s: shard %s of this sweep has no runs; nothing written\n", exp.Config.Experiment, shard)
		return nil
	}
	if st, err := os.Stat(*out); err == nil && !st.IsDir() {
		return badInput(fmt.Errorf("--out %s is a file: name a folder", *out))
	}

	sig := interruptible()
	defer sig.stop()
	lock, err := lockFolder(sig.ctx, *out, true, *wait, stderr, "run")
	if err != nil {
		return sig.wrap(err)
	}
	defer lock.Unlock()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opt := experiments.RunOptions{Out: *out, Workers: *workers, Log: log, Shard: shard, ForceNew: *forceNew, AllowExternal: *allowExternal}
	prog := newProgress(stderr, *quiet)
	opt.Progress = prog.runs
	prog.runs(0, len(runs))
	res, err := experiments.Run(sig.ctx, exp, opt)
	if err == nil {
		prog.runs(len(runs), len(runs)) // also when every run was done before
	}
	if err != nil {
		return sig.wrap(err)
	}
	// Every output is written atomically and rebuilt whole by a rerun, so
	// an interrupt may stop the output step at once.
	sig.stop()
	if err := sig.caught("the sweep finished, its outputs are not written"); err != nil {
		return err
	}
	bopt := results.BuildOptions{Loaded: res.Loaded, PlotFormats: formats, Workers: *workers, Progress: prog.outputs}
	if exp.Config.Report.Measure {
		// sig.ctx is stopped by now, as for the other outputs.
		if bopt.Measured, err = measure(context.Background(), exp, *out); err != nil {
			return sig.wrap(err)
		}
	}
	built, page, err := writeOutputs(*out, bopt)
	prog.done()
	if err != nil {
		return fmt.Errorf("outputs: %w", err)
	}
	if !*quiet {
		fmt.Fprintf(stdout, "%s: %d runs (%d now, %d from an earlier invocation, %d failed) in %s\n\n",
			exp.Config.Experiment, len(res.Runs), res.Ran, res.Skipped, len(res.Failed), *out)
		fmt.Fprint(stdout, built.Headline)
		fmt.Fprintln(stdout, "\nWritten:")
		printFiles(stdout, *out, append([]string{filepath.Join(*out, results.ManifestFile), filepath.Join(*out, results.RunsDir, "*.jsonl.gz")}, built.Files...))
		fmt.Fprintf(stdout, "\nReport: %s (every table and plot on one page; open it in a browser)\n", page)
	}
	if n := len(res.Damaged); n > 0 {
		fmt.Fprintf(stderr, "grind run: %d damaged or foreign record files were moved aside to %s and their runs run again\n", n, filepath.Join(*out, results.DamagedDir))
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d of %d runs failed; see %s", len(res.Failed), len(res.Runs), filepath.Join(*out, results.ManifestFile))
	}
	return nil
}

func cmdValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "CONFIG [--set key=value ...] [--sweep key=a,b,c ...]", stderr)
	var sets multiFlag
	fs.Var(&sets, "set", "override a knob (repeatable)")
	sweeps := sweepFlag(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput(fmt.Errorf("want exactly one CONFIG, got %d", len(pos)))
	}
	exp, err := loadExperiment(pos[0], experiments.Overrides{Sets: sets, Sweeps: *sweeps})
	if err != nil {
		return err
	}
	runs := experiments.Plan(exp)
	fmt.Fprintf(stdout, "%s: valid; %d sweep points x %d agents x %d seeds = %d runs\n",
		pos[0], len(exp.Points), len(exp.Config.Agents), exp.Config.Seeds, len(runs))
	fmt.Fprintf(stdout, "estimated: %s (limits: max_steps, max_record_bytes, max_memory, max_draws)\n", exp.Estimate)
	printExternal(stdout, exp)
	return nil
}

// printFiles lists files compactly: one line per folder and extension, with
// a count where there are several.
func printFiles(w io.Writer, dir string, files []string) {
	type group struct {
		pattern string
		n       int
	}
	var order []string
	groups := map[string]*group{}
	for _, f := range files {
		pat := filepath.Join(filepath.Dir(f), "*"+filepath.Ext(f))
		g := groups[pat]
		if g == nil {
			g = &group{pattern: pat}
			groups[pat] = g
			order = append(order, pat)
		}
		g.n++
		if g.n == 1 {
			g.pattern = f
		} else {
			g.pattern = pat
		}
	}
	for _, pat := range order {
		g := groups[pat]
		if g.n > 1 {
			fmt.Fprintf(w, "  %-48s (%d files)\n", g.pattern, g.n)
		} else {
			fmt.Fprintf(w, "  %s\n", g.pattern)
		}
	}
}

// builtIn reports whether name is a built-in experiment and no file of that
// name exists (a file always wins).
func builtIn(name string) bool {
	if _, err := os.Stat(name); err == nil {
		return false
	}
	for _, b := range experiments.Shipped() {
		if b == name {
			return true
		}
	}
	return false
}

// measure measures V and G of every sweep point (report.measure), writes
// them to the results folder (results.MeasuredFile, which grind report
// reads again, and measured.md with their CIs) and returns them for Build.
func measure(ctx context.Context, exp *experiments.Experiment, out string) ([]results.EnvMeasure, error) {
	scores, err := experiments.MeasureExperiment(ctx, exp, experiments.ProbeOptions{})
	if err != nil {
		return nil, fmt.Errorf("measuring V and G: %w", err)
	}
	var b strings.Builder
	if err := results.WriteEnvScores(&b, scores, "markdown"); err != nil {
		return nil, err
	}
	if err := results.WriteFileAtomic(filepath.Join(out, "measured.md"), []byte(b.String())); err != nil {
		return nil, err
	}
	m := results.EnvMeasures(scores)
	return m, results.WriteMeasured(out, m)
}
