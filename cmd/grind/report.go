package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/grindbench/grindbench/results"
)

// cmdReport regenerates a results folder's summary, tables, plots and
// report page from its records alone.
func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", "DIR [--resamples N] [--all] [--plots png,svg,pdf] [--wait]", stderr)
	resamples := fs.Int("resamples", 0, "bootstrap resamples per CI (default: the manifest's)")
	all := fs.Bool("all", false, "bootstrap a CI for every row of summary.csv, not only those the tables, plots and report show")
	quiet := fs.Bool("quiet", false, "print nothing on success")
	wait := fs.Bool("wait", false, "if another grind command is using the folder (a run still going), wait for it (default: exit 3 at once)")
	plots := fs.String("plots", "svg,pdf", "figure `FORMATS`, comma-separated: png, svg, pdf, eps (the report embeds PNG if written, else SVG)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput(fmt.Errorf("want exactly one results folder DIR, got %d", len(pos)))
	}
	if *resamples < 0 {
		return badInput(fmt.Errorf("--resamples %d: must be positive (0 means the manifest's)", *resamples))
	}
	formats, err := results.ParsePlotFormats(*plots)
	if err != nil {
		return badInput(fmt.Errorf("--plots: %w", err))
	}
	dir := pos[0]
	if st, err := os.Stat(dir); err != nil {
		return badInput(fmt.Errorf("results folder: %w", err))
	} else if !st.IsDir() {
		return badInput(fmt.Errorf("%s is not a folder", dir))
	}
	// A running sweep holds the folder: its outputs would be stale at once.
	lock, err := lockFolder(context.Background(), dir, true, *wait, stderr, "report")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	// A folder without a usable manifest, or without records, is bad
	// input; damaged records are named and left out (exit 1); a failure to
	// write the outputs is not bad input either.
	if _, err := results.ReadManifest(dir); errors.Is(err, os.ErrNotExist) {
		return badInput(fmt.Errorf("%s has no %s: not a results folder of grind run", dir, results.ManifestFile))
	} else if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, results.RunsDir)); err != nil {
		return badInput(fmt.Errorf("%s: no records (%s/*.jsonl.gz); is it a results folder of grind run? %w", dir, results.RunsDir, err))
	}
	built, page, err := writeOutputs(dir, results.BuildOptions{Resamples: *resamples, AllCIs: *all, PlotFormats: formats})
	if errors.Is(err, results.ErrNoRecords) {
		return badInput(err)
	} else if err != nil {
		return err
	}
	for _, d := range built.Damaged {
		fmt.Fprintf(stderr, "grind report: damaged run %s left out: %s: %s\n", d.Key, d.Path, d.Err)
	}
	if !*quiet {
		fmt.Fprintf(stdout, "%s: rebuilt from %s\n", dir, filepath.Join(dir, results.RunsDir, "*.jsonl.gz"))
		printFiles(stdout, dir, append(built.Files, page))
		fmt.Fprintf(stdout, "\nOpen %s in a browser.\n", page)
	}
	if len(built.Damaged) > 0 {
		// The rest is built; the exit code still says something is wrong.
		return fmt.Errorf("%d damaged record files left out of every aggregate (listed above and in %s); rerun the same `grind run` to restore them", len(built.Damaged), page)
	}
	return nil
}
