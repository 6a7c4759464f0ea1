package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// This file writes a Comparison: as a table, a method paragraph and a
// summary line, in Markdown, text or CSV.

// label names a key for the summary line: agent split metric, with the
// point first when it is not "default" or all is set.
func (k CompareKey) label(all bool) string {
	s := k.Agent + " " + k.Split + " " + k.Metric
	if all || k.Point != "default" {
		s = k.Point + " " + s
	}
	return s
}

// multiPoint reports whether the output needs a point column.
func (c *Comparison) multiPoint() bool {
	for _, cell := range c.Cells {
		if cell.Point != c.Cells[0].Point || cell.Point != "default" {
			return true
		}
	}
	return false
}

// table returns the comparison as a table, one row per cell in order:
// point (only if there is more than one point or it is not "default"),
// agent, split, metric, runs ("N pairs" or "N vs M"), base and new means,
// diff [CI], PI, p (Holm) and verdict. markdown bolds regressions.
func (c *Comparison) table(markdown bool) *table {
	t := &table{}
	points := c.multiPoint()
	if points {
		t.Header = append(t.Header, "point")
	}
	t.Header = append(t.Header, "agent", "split", "metric", "runs", "base", "new", "diff [CI]", "PI", "p (Holm)", "verdict")
	for _, cell := range c.Cells {
		var row []string
		if points {
			row = append(row, cell.Point)
		}
		runs := fmt.Sprintf("%d vs %d", cell.NBase, cell.NNew)
		if cell.Paired {
			runs = fmt.Sprintf("%d pairs", cell.NNew)
		}
		v := string(cell.Verdict)
		if markdown && cell.Verdict == VerdictRegression {
			v = "**" + v + "**"
		}
		row = append(row, cell.Agent, cell.Split, cell.Metric, runs,
			fmt.Sprintf("%.3f", cell.Base), fmt.Sprintf("%.3f", cell.New),
			fmt.Sprintf("%+.3f [%+.3f, %+.3f]", cell.Diff, cell.Lo, cell.Hi),
			cmpFormatPI(cell.ProbImprovement), cmpFormatP(cell.PHolm), v)
		t.Rows = append(t.Rows, row)
	}
	return t
}

func cmpFormatPI(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return fmt.Sprintf("%.2f", p)
}

func cmpFormatP(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// method returns one paragraph stating how every number was computed.
func (c *Comparison) method() string {
	o := c.Options
	paired := 0
	for _, cell := range c.Cells {
		if cell.Paired {
			paired++
		}
	}
	return fmt.Sprintf("diff = NEW − BASE of the mean over runs at the compared checkpoint, "+
		"paired by seed where the same runs exist in both folders (%d of %d cells), else unpaired; "+
		"%s%% percentile-bootstrap CI (%d resamples; pairs resampled when paired, each side independently otherwise). "+
		"PI: probability that a NEW run beats a BASE run in the metric's direction. "+
		"p: two-sided sign-flip test (paired) or permutation test of the difference of means (unpaired), "+
		"exact up to %d relabellings, else %d seeded random ones; Holm-adjusted over all %d cells. "+
		"A cell is a regression (improvement) if p (Holm) <= %g and it is worse (better) by more than %g.",
		paired, len(c.Cells), levelPercent(o.Level), o.Resamples, o.Permutations, o.Permutations,
		len(c.Cells), o.Alpha, o.MinEffect)
}

// summary returns the one-line verdict, e.g. "2 regressions: rlvr inspan
// success_greedy -0.120, rlvr train success_greedy -0.300; no improvements;
// 190 of 192 cells no change." At most ten cells are named per verdict.
func (c *Comparison) summary() string {
	all := c.multiPoint()
	list := func(v Verdict, one, many string) string {
		cells := c.withVerdict(v)
		switch len(cells) {
		case 0:
			return "no " + many
		}
		word := many
		if len(cells) == 1 {
			word = one
		}
		var names []string
		for i, cell := range cells {
			if i == 10 {
				names = append(names, fmt.Sprintf("and %d more", len(cells)-10))
				break
			}
			names = append(names, fmt.Sprintf("%s %+.3f", cell.label(all), cell.Diff))
		}
		return fmt.Sprintf("%d %s: %s", len(cells), word, strings.Join(names, ", "))
	}
	parts := []string{
		list(VerdictRegression, "regression", "regressions"),
		list(VerdictImprovement, "improvement", "improvements"),
	}
	if n := len(c.withVerdict(VerdictChanged)); n > 0 {
		parts = append(parts, list(VerdictChanged, "change in a metric with no direction", "changes in metrics with no direction"))
	}
	parts = append(parts, fmt.Sprintf("%d of %d cells no change", len(c.withVerdict(VerdictNoChange)), len(c.Cells)))
	return strings.Join(parts, "; ") + "."
}

func (s CompareSide) describe(markdown bool) string {
	label := s.Label
	if label == "" {
		label = "(records)"
	}
	if markdown {
		label = "`" + label + "`"
	}
	d := fmt.Sprintf("%s (%s, %d runs, day %d", label, s.Experiment, s.Runs, s.Day)
	if s.Failed > 0 {
		d += fmt.Sprintf(", %d failed", s.Failed)
	}
	return d + ")"
}

// Write writes the comparison in a format:
//
//   - "markdown", for a pull request: a heading, the two folders, the
//     method, the table, the summary line and any notes;
//   - "text", for a terminal: the same with a box-drawn table;
//   - "csv", for machines: one row per cell with every field, floats with
//     six significant digits.
func (c *Comparison) Write(w io.Writer, format string) error {
	switch format {
	case FormatCSV:
		return c.writeCSV(w)
	case FormatMarkdown, FormatText:
	default:
		return fmt.Errorf("results: unknown comparison format %q (want markdown, text or csv)", format)
	}
	md := format == FormatMarkdown
	var b strings.Builder
	if md {
		b.WriteString("### grind compare\n\n")
	}
	fmt.Fprintf(&b, "BASE %s vs NEW %s.\n\n", c.Base.describe(md), c.New.describe(md))
	b.WriteString(c.method() + "\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := c.table(md).Write(w, format); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("\n")
	if md {
		b.WriteString("**Summary:** ")
	}
	b.WriteString(c.summary() + "\n")
	for _, n := range c.Notes {
		if md {
			b.WriteString("\n> " + n + "\n")
		} else {
			b.WriteString("Note: " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// compareCSVHeader is the header row of a comparison's CSV.
var compareCSVHeader = []string{
	"point", "agent", "split", "metric", "direction", "paired", "n_base", "n_new",
	"base", "new", "diff", "lo", "hi", "level", "prob_improvement", "p", "p_holm", "verdict",
}

func (c *Comparison) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(compareCSVHeader); err != nil {
		return err
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, cell := range c.Cells {
		err := cw.Write([]string{
			cell.Point, cell.Agent, cell.Split, cell.Metric, cell.Direction.String(),
			strconv.FormatBool(cell.Paired), strconv.Itoa(cell.NBase), strconv.Itoa(cell.NNew),
			g(cell.Base), g(cell.New), g(cell.Diff), g(cell.Lo), g(cell.Hi), g(c.Options.Level),
			g(cell.ProbImprovement), g(cell.P), g(cell.PHolm), string(cell.Verdict),
		})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
