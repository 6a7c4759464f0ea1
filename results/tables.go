package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table formats.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatCSV      = "csv"
)

// Table is a grid of formatted cells with a caption, built once and written
// in any of several formats. Its first column holds row labels.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// Write writes t to w in the given format:
//
//   - "text": a box-drawn table (tablewriter) with the caption above it;
//   - "markdown": a Markdown table (tablewriter) with the caption as a
//     paragraph above it;
//   - "csv": the header and rows as plain CSV (no caption).
//
// Any other format is an error. Text and Markdown measure ambiguous-width
// characters (box drawing, "−", "–") as narrow whatever the locale, so the
// output is the same everywhere; note that this sets tablewriter's global
// East Asian width setting off.
func (t *Table) Write(w io.Writer, format string) error {
	switch format {
	case FormatText, FormatMarkdown:
		return t.writeTablewriter(w, format)
	case FormatCSV:
		return t.writeCSV(w)
	}
	return fmt.Errorf("results: unknown table format %q (want text, markdown or csv)", format)
}

func (t *Table) writeTablewriter(w io.Writer, format string) error {
	var r tw.Renderer
	caption := t.Caption + "\n"
	if format == FormatMarkdown {
		r = renderer.NewMarkdown()
		caption += "\n"
	} else {
		r = renderer.NewBlueprint()
	}
	if t.Caption != "" {
		if _, err := io.WriteString(w, caption); err != nil {
			return err
		}
	}
	align := make([]tw.Align, len(t.Header))
	for i := range align {
		align[i] = tw.AlignRight
	}
	if len(align) > 0 {
		align[0] = tw.AlignLeft
	}
	tab := tablewriter.NewTable(w,
		tablewriter.WithRenderer(r),
		tablewriter.WithEastAsian(tw.Off),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	tab.Header(t.Header)
	for _, row := range t.Rows {
		if err := tab.Append(row); err != nil {
			return err
		}
	}
	return tab.Render()
}

// writeCSV writes header and rows only: a CSV file stays machine-readable,
// and its caption lives in the Markdown and text versions.
func (t *Table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return err
	}
	return cw.Error()
}

// WriteSplitTable writes the split table of one metric at one point and day
// (see SplitTable) in the given format ("text", "markdown" or "csv").
func WriteSplitTable(w io.Writer, s *Summary, format string, point string, day int, metric string) error {
	t, err := SplitTable(s, point, day, metric)
	if err != nil {
		return err
	}
	return t.Write(w, format)
}

// SplitTable returns a table of one metric at one point and day: a row per
// split and a column per agent, each cell the IQM over runs with its
// bootstrap CI, formatted "0.71 [0.66, 0.75]"; then, if s has differences,
// a column "A − baseline" per compared agent with the paired mean
// difference and its CI, formatted "+0.05 [+0.01, +0.09]". Missing cells
// are "–". Agents and splits keep the order of s, leaving out those with no
// data. Splits go down the rows so that a table of many splits still fits a
// terminal. The caption states the metric, point, day, the number of runs
// per cell and the method.
//
// It returns an error if s has no cell for the point, day and metric.
func SplitTable(s *Summary, point string, day int, metric string) (*Table, error) {
	type key struct{ agent, split string }
	cells := make(map[key]Cell)
	diffs := make(map[key]Diff)
	var runs, pairs countRange
	var baseline string
	for _, c := range s.Cells {
		if c.Point == point && c.Day == day && c.Metric == metric {
			cells[key{c.Agent, c.Split}] = c
			runs.add(c.N)
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("results: no cells for point %q, day %d, metric %q", point, day, metric)
	}
	for _, d := range s.Diffs {
		if d.Point == point && d.Day == day && d.Metric == metric {
			diffs[key{d.Agent, d.Split}] = d
			pairs.add(d.N)
			baseline = d.Baseline
		}
	}
	has := func(m func(agent, split string) bool, agent string, splits []string) bool {
		for _, sp := range splits {
			if m(agent, sp) {
				return true
			}
		}
		return false
	}
	hasCell := func(a, sp string) bool { _, ok := cells[key{a, sp}]; return ok }
	hasDiff := func(a, sp string) bool { _, ok := diffs[key{a, sp}]; return ok }
	var splits, agents, compared []string
	for _, sp := range s.Splits {
		for _, a := range s.Agents {
			if hasCell(a, sp) || hasDiff(a, sp) {
				splits = append(splits, sp)
				break
			}
		}
	}
	for _, a := range s.Agents {
		if has(hasCell, a, splits) {
			agents = append(agents, a)
		}
		if has(hasDiff, a, splits) {
			compared = append(compared, a)
		}
	}

	t := &Table{Header: []string{"split"}}
	for _, a := range agents {
		t.Header = append(t.Header, a)
	}
	for _, a := range compared {
		t.Header = append(t.Header, a+" − "+baseline)
	}
	for _, sp := range splits {
		row := []string{sp}
		for _, a := range agents {
			v := "–"
			if c, ok := cells[key{a, sp}]; ok {
				v = formatCI(c.IQM, c.Lo, c.Hi, false)
			}
			row = append(row, v)
		}
		for _, a := range compared {
			v := "–"
			if d, ok := diffs[key{a, sp}]; ok {
				v = formatCI(d.Mean, d.Lo, d.Hi, true)
			}
			row = append(row, v)
		}
		t.Rows = append(t.Rows, row)
	}

	pct := levelPercent(s.Level)
	caption := fmt.Sprintf("%s at day %d", metric, day)
	if point != "default" || len(s.Points) > 1 {
		caption += fmt.Sprintf(", point %s", point)
	}
	caption += fmt.Sprintf(" (N = %s runs per cell). IQM with %s%% percentile-bootstrap CI over runs", runs, pct)
	if len(diffs) > 0 {
		caption += fmt.Sprintf("; differences are paired by seed (mean paired difference with %s%% CI, N = %s pairs)", pct, pairs)
	}
	t.Caption = caption + "."
	return t, nil
}

// formatCI formats a point estimate and its interval with two decimals,
// with explicit signs if signed.
func formatCI(point, lo, hi float64, signed bool) string {
	f := "%.2f [%.2f, %.2f]"
	if signed {
		f = "%+.2f [%+.2f, %+.2f]"
	}
	return fmt.Sprintf(f, point, lo, hi)
}

// levelPercent formats a confidence level as a percentage, 95 if unset.
func levelPercent(level float64) string {
	if level == 0 {
		level = defaultLevel
	}
	return strconv.FormatFloat(100*level, 'g', 4, 64)
}

// countRange is the range of a set of counts, formatted "10" or "8–10".
type countRange struct {
	min, max int
	set      bool
}

func (r *countRange) add(n int) {
	if !r.set {
		r.min, r.max, r.set = n, n, true
		return
	}
	r.min = min(r.min, n)
	r.max = max(r.max, n)
}

func (r countRange) String() string {
	if r.min == r.max {
		return strconv.Itoa(r.min)
	}
	return fmt.Sprintf("%d–%d", r.min, r.max)
}
