package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/grindbench/grindbench/results"
)

// compareSynopsis is the usage line of grind compare.
const compareSynopsis = "BASE NEW [--metric m ...] [--min-effect x] [--alpha a] [--day last|N] [--format markdown|text|csv|json] [--wait]"

// cmdCompare compares two results folders metric by metric. It exits 1 if
// any cell is a regression (after printing the table) or a folder holds
// damaged record files, 2 on bad input (a folder that is not one, an
// unreadable manifest), 3 if a folder is in use.
func cmdCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", compareSynopsis, stderr)
	var metrics nameFlag
	fs.Var(&metrics, "metric", "metric to compare (repeatable or comma-separated; default "+
		strings.Join(results.DefaultCompareMetrics(), ",")+"); see --list-metrics")
	minEffect := fs.Float64("min-effect", results.DefaultMinEffect, "smallest absolute difference that counts as a regression or improvement")
	alpha := fs.Float64("alpha", results.DefaultAlpha, "family-wise error rate of the Holm correction over all cells")
	day := fs.String("day", "last", "checkpoint to compare (`DAY`): last (each folder's last day) or N days completed")
	format := fs.String("format", results.FormatMarkdown, "output `FORMAT`: markdown (for pull requests: summary first, changed cells, all cells folded), text (for terminals), csv or json")
	resamples := fs.Int("resamples", 2000, "bootstrap resamples per confidence interval")
	perms := fs.Int("permutations", results.DefaultPermutations, "permutations per test (exact below this many relabellings)")
	seed := fs.Uint64("seed", 1, "seed of every bootstrap and permutation")
	list := fs.Bool("list-metrics", false, "list the metrics with their directions and exit")
	wait := fs.Bool("wait", false, "if another grind command is writing a folder, wait for it (default: exit 3 at once)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *list {
		for _, m := range results.Metrics() {
			fmt.Fprintf(stdout, "%-17s %-7s %s\n", m.Name, m.Direction, m.Doc)
		}
		return nil
	}
	if len(pos) != 2 {
		return badInput(fmt.Errorf("want BASE and NEW folders, got %d arguments", len(pos)))
	}

	opt := results.DefaultCompareOptions()
	for _, m := range metrics {
		for _, name := range strings.Split(m, ",") {
			if name = strings.TrimSpace(name); name != "" {
				opt.Metrics = append(opt.Metrics, name)
			}
		}
	}
	opt.MinEffect, opt.Alpha, opt.Seed = *minEffect, *alpha, *seed
	if *resamples < 1 {
		return badInput(fmt.Errorf("--resamples %d: must be at least 1", *resamples))
	}
	if *perms < 1 {
		return badInput(fmt.Errorf("--permutations %d: must be at least 1", *perms))
	}
	opt.Resamples, opt.Permutations = *resamples, *perms
	if *day != "last" {
		n, err := strconv.Atoi(*day)
		if err != nil || n < 0 {
			return badInput(fmt.Errorf("--day %q: want last or a number of days >= 0", *day))
		}
		opt.FixedDay, opt.Day = true, n
	}
	switch *format {
	case results.FormatMarkdown, results.FormatText, results.FormatCSV, results.FormatJSON:
	default:
		return badInput(fmt.Errorf("--format %q: want markdown, text, csv or json", *format))
	}

	for _, d := range pos {
		if _, err := os.Stat(d); err != nil {
			break // CompareDirs names the missing folder
		}
		l, err := lockFolder(context.Background(), d, false, *wait, stderr, "compare")
		if err != nil {
			return err
		}
		defer l.Unlock()
	}
	c, err := results.CompareDirs(pos[0], pos[1], opt)
	var damaged *results.DamagedError
	if errors.As(err, &damaged) {
		return err
	} else if err != nil {
		return badInput(err)
	}
	if err := c.Write(stdout, *format); err != nil {
		return err
	}
	if n := len(c.Regressions()); n > 0 {
		word := "regressions"
		if n == 1 {
			word = "regression"
		}
		return fmt.Errorf("%d %s (see the table above)", n, word)
	}
	return nil
}
