package results

import (
	"encoding/csv"
	"encoding/json"
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
	if s.CodeVersion != "" {
		d += ", code " + shortVersion(s.CodeVersion)
	}
	return d + ")"
}

// shortVersion cuts a 40-hex VCS revision to 12 characters, keeping a
// "+modified" suffix.
func shortVersion(v string) string {
	rev, mod, _ := strings.Cut(v, "+")
	if len(rev) == 40 {
		rev = rev[:12]
	}
	if mod != "" {
		return rev + "+" + mod
	}
	return rev
}

// differs says what differs between the folders' configs and code, one
// item per line, or that nothing does.
func (c *Comparison) differs(markdown bool) []string {
	code := func(s string) string {
		if markdown {
			return "`" + s + "`"
		}
		return s
	}
	var out []string
	if b, n := c.Base.CodeVersion, c.New.CodeVersion; b != "" && n != "" && b != n {
		out = append(out, fmt.Sprintf("code version: %s → %s", code(shortVersion(b)), code(shortVersion(n))))
	}
	const most = 20
	for i, d := range c.Differences {
		if i == most {
			out = append(out, fmt.Sprintf("and %d more knobs (grind config on each folder's config lists them)", len(c.Differences)-most))
			break
		}
		key := d.Key
		if d.Point != "" {
			key = d.Point + ": " + key
		}
		b, n := d.Base, d.New
		if b == "" {
			b = "(unset)"
		}
		if n == "" {
			n = "(unset)"
		}
		out = append(out, fmt.Sprintf("%s: %s → %s", code(key), code(b), code(n)))
	}
	if len(out) == 0 && c.Base.ConfigHash != "" && c.New.ConfigHash != "" {
		if c.Base.ConfigHash == c.New.ConfigHash {
			out = append(out, "nothing: the same config (hash "+code(shortHash(c.Base.ConfigHash))+") and code version")
		} else {
			out = append(out, "no knob value: the config files differ only in text (comments, order, question)")
		}
	}
	return out
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// changed returns the comparison restricted to the cells whose verdict is
// not "no change".
func (c *Comparison) changed() *Comparison {
	d := *c
	d.Cells = nil
	for _, cell := range c.Cells {
		if cell.Verdict != VerdictNoChange {
			d.Cells = append(d.Cells, cell)
		}
	}
	return &d
}

// Write writes the comparison in a format:
//
//   - "markdown", for a pull request: a heading with the verdict counts,
//     the two folders, what differs between them (knobs with both values,
//     code versions), the summary, a table of the changed cells only, every
//     cell folded in a <details> block, then the method and any notes;
//   - "text", for a terminal: the same order, with box-drawn tables and the
//     full table unfolded;
//   - "csv", for machines: one row per cell with every field, floats with
//     six significant digits;
//   - "json", for machines: the sides, the differences, the counts and
//     every cell.
func (c *Comparison) Write(w io.Writer, format string) error {
	switch format {
	case FormatCSV:
		return c.writeCSV(w)
	case FormatJSON:
		return c.writeJSON(w)
	case FormatMarkdown, FormatText:
	default:
		return fmt.Errorf("results: unknown comparison format %q (want markdown, text, csv or json)", format)
	}
	md := format == FormatMarkdown
	reg, imp := len(c.withVerdict(VerdictRegression)), len(c.withVerdict(VerdictImprovement))
	same := len(c.withVerdict(VerdictNoChange))
	var b strings.Builder
	head := fmt.Sprintf("grind compare: %s, %s, %d of %d cells no change", plural(reg, "regression"), plural(imp, "improvement"), same, len(c.Cells))
	if md {
		b.WriteString("### " + head + "\n\n")
	} else {
		b.WriteString(head + "\n\n")
	}
	fmt.Fprintf(&b, "BASE %s vs NEW %s.\n\n", c.Base.describe(md), c.New.describe(md))
	if diffs := c.differs(md); len(diffs) > 0 {
		if md {
			b.WriteString("**What differs:**\n\n")
			for _, d := range diffs {
				b.WriteString("- " + d + "\n")
			}
		} else {
			b.WriteString("What differs:\n")
			for _, d := range diffs {
				b.WriteString("  " + d + "\n")
			}
		}
		b.WriteString("\n")
	}
	if md {
		b.WriteString("**Summary:** ")
	} else {
		b.WriteString("Summary: ")
	}
	b.WriteString(c.summary() + "\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	ch := c.changed()
	if len(ch.Cells) == 0 {
		if _, err := io.WriteString(w, "No cell changed beyond the minimum effect at the corrected level.\n\n"); err != nil {
			return err
		}
	} else {
		if !md {
			io.WriteString(w, "Changed cells:\n")
		}
		if err := ch.table(md).Write(w, format); err != nil {
			return err
		}
		io.WriteString(w, "\n")
	}
	if md {
		fmt.Fprintf(w, "<details><summary>All %d cells</summary>\n\n", len(c.Cells))
	} else {
		fmt.Fprintf(w, "All %d cells:\n", len(c.Cells))
	}
	if err := c.table(md).Write(w, format); err != nil {
		return err
	}
	b.Reset()
	if md {
		b.WriteString("\n</details>\n")
	}
	b.WriteString("\n" + c.method() + "\n")
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

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// writeJSON writes the comparison as one JSON object.
func (c *Comparison) writeJSON(w io.Writer) error {
	type cellJSON struct {
		Point, Agent, Split, Metric string
		Direction                   string
		Paired                      bool
		NBase, NNew                 int
		Base, New, Diff, Lo, Hi     *float64
		ProbImprovement, P, PHolm   *float64
		Verdict                     string
	}
	num := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil // JSON has no NaN: null
		}
		return &x
	}
	out := struct {
		Base        CompareSide        `json:"base"`
		New         CompareSide        `json:"new"`
		Differences []ConfigDifference `json:"differences"`
		Counts      map[string]int     `json:"counts"`
		Level       float64            `json:"level"`
		Alpha       float64            `json:"alpha"`
		MinEffect   float64            `json:"min_effect"`
		Cells       []cellJSON         `json:"cells"`
		Notes       []string           `json:"notes"`
	}{Base: c.Base, New: c.New, Differences: c.Differences, Level: c.Options.Level, Alpha: c.Options.Alpha, MinEffect: c.Options.MinEffect, Notes: c.Notes,
		Counts: map[string]int{}}
	if out.Differences == nil {
		out.Differences = []ConfigDifference{}
	}
	for _, v := range []Verdict{VerdictRegression, VerdictImprovement, VerdictChanged, VerdictNoChange} {
		out.Counts[string(v)] = len(c.withVerdict(v))
	}
	for _, cell := range c.Cells {
		out.Cells = append(out.Cells, cellJSON{cell.Point, cell.Agent, cell.Split, cell.Metric, cell.Direction.String(), cell.Paired,
			cell.NBase, cell.NNew, num(cell.Base), num(cell.New), num(cell.Diff), num(cell.Lo), num(cell.Hi),
			num(cell.ProbImprovement), num(cell.P), num(cell.PHolm), string(cell.Verdict)})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
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
