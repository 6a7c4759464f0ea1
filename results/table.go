package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Output formats: of Comparison.Write (text, Markdown and CSV), and of the
// tables Build writes (all four).
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	formatLaTeX    = "latex"
	FormatCSV      = "csv"
	FormatJSON     = "json" // comparisons only
)

// tableFormats lists every table format with its file extension, in the
// order Build writes them.
var tableFormats = []struct{ Format, Ext string }{
	{FormatMarkdown, ".md"},
	{formatLaTeX, ".tex"},
	{FormatText, ".txt"},
	{FormatCSV, ".csv"},
}

// table is a grid of formatted cells with a caption, built once and written
// in any of several formats. Its first column holds row labels.
type table struct {
	Name    string // file stem and LaTeX label, e.g. "splits_success_greedy"
	Title   string // a short title, e.g. for a report page
	Caption string // what the table shows and how every number was computed
	Header  []string
	Rows    [][]string

	// Best, if not nil, has the shape of Rows and marks the cells holding
	// the best value of their row or column; BestScope says which ("row"
	// or "column") for the caption. Text marks a best cell with "*",
	// Markdown and LaTeX set it in bold.
	Best      [][]bool
	BestScope string

	// TidyHeader and TidyRows, if set, are what the CSV format writes: one
	// observation per row, numbers unformatted in separate columns.
	// Otherwise CSV writes Header and Rows.
	TidyHeader []string
	TidyRows   [][]string
}

// fullCaption returns the caption as written in format: Caption followed,
// if any cell is marked best, by a sentence saying how ("marked *" in
// text, "in bold" otherwise).
func (t *table) fullCaption(format string) string {
	if !t.hasBest() {
		return t.Caption
	}
	how := "in bold"
	if format == FormatText {
		how = "marked *"
	}
	scope := t.BestScope
	if scope == "" {
		scope = "row"
	}
	return strings.TrimSpace(t.Caption + fmt.Sprintf(" Best value per %s %s.", scope, how))
}

func (t *table) hasBest() bool {
	for _, r := range t.Best {
		for _, b := range r {
			if b {
				return true
			}
		}
	}
	return false
}

func (t *table) best(i, j int) bool {
	return i < len(t.Best) && j < len(t.Best[i]) && t.Best[i][j]
}

// Write writes t to w in the given format:
//
//   - "text": a box-drawn table (tablewriter) with the caption above it;
//   - "markdown": a Markdown table (tablewriter) with the caption as a
//     paragraph above it;
//   - "latex": a booktabs table environment with caption and label;
//   - "csv": the tidy rows if set, else the header and rows, as plain CSV
//     (no caption).
//
// Any other format is an error. Text and Markdown measure ambiguous-width
// characters (box drawing, "−", "–") as narrow whatever the locale, so the
// output is the same everywhere; note that this sets tablewriter's global
// East Asian width setting off.
func (t *table) Write(w io.Writer, format string) error {
	switch format {
	case FormatText, FormatMarkdown:
		return t.writeTablewriter(w, format)
	case formatLaTeX:
		return t.writeLaTeX(w)
	case FormatCSV:
		return t.writeCSV(w)
	}
	return fmt.Errorf("results: unknown table format %q (want text, markdown, latex or csv)", format)
}

func (t *table) writeTablewriter(w io.Writer, format string) error {
	var r tw.Renderer
	caption := t.fullCaption(format) + "\n"
	if format == FormatMarkdown {
		r = renderer.NewMarkdown()
		caption += "\n"
	} else {
		r = renderer.NewBlueprint()
	}
	if caption = strings.TrimLeft(caption, "\n"); caption != "" {
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
	marked := t.hasBest()
	for i, row := range t.Rows {
		out := row
		if marked {
			out = make([]string, len(row))
			for j, v := range row {
				out[j] = markCell(v, t.best(i, j), format, j > 0 && t.markableColumn(j))
			}
		}
		if err := tab.Append(out); err != nil {
			return err
		}
	}
	return tab.Render()
}

// markableColumn reports whether any cell of column j may be marked, so
// that text pads the others of that column to stay aligned.
func (t *table) markableColumn(j int) bool {
	for i := range t.Rows {
		if t.best(i, j) {
			return true
		}
	}
	return false
}

// markCell marks a best cell: bold in Markdown, a trailing "*" in text. In
// text, other cells of a column with marks get two trailing spaces so that
// numbers stay aligned.
func markCell(v string, best bool, format string, pad bool) string {
	switch {
	case format == FormatMarkdown && best:
		return "**" + v + "**"
	case format == FormatText && best:
		return v + " *"
	case format == FormatText && pad:
		return v + "  "
	}
	return v
}

// writeCSV writes the tidy rows, or else header and rows: a CSV file stays
// machine-readable, and its caption lives in the other formats.
func (t *table) writeCSV(w io.Writer) error {
	header, rows := t.Header, t.Rows
	if t.TidyHeader != nil {
		header, rows = t.TidyHeader, t.TidyRows
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// writeLaTeX writes a table environment with booktabs rules (\toprule,
// \midrule, \bottomrule; needs \usepackage{booktabs}), the caption above
// the tabular and a label tab:Name. Text is escaped for LaTeX; best cells
// are set in \textbf.
func (t *table) writeLaTeX(w io.Writer) error {
	var b strings.Builder
	b.WriteString("\\begin{table}[htbp]\n\\centering\n\\small\n")
	fmt.Fprintf(&b, "\\caption{%s}\n", latexEscape(t.fullCaption(formatLaTeX)))
	if t.Name != "" {
		fmt.Fprintf(&b, "\\label{tab:%s}\n", latexLabel(t.Name))
	}
	spec := strings.Repeat("r", max(len(t.Header)-1, 0))
	fmt.Fprintf(&b, "\\begin{tabular}{l%s}\n\\toprule\n", spec)
	row := func(cells []string, i int) {
		for j, c := range cells {
			if j > 0 {
				b.WriteString(" & ")
			}
			c = latexEscape(c)
			if i >= 0 && t.best(i, j) {
				c = "\\textbf{" + c + "}"
			}
			b.WriteString(c)
		}
		b.WriteString(" \\\\\n")
	}
	row(t.Header, -1)
	b.WriteString("\\midrule\n")
	for i, r := range t.Rows {
		row(r, i)
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n\\end{table}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// latexReplacer escapes LaTeX's special characters and maps the few
// non-ASCII symbols the tables use to LaTeX.
var latexReplacer = strings.NewReplacer(
	`\`, `\textbackslash{}`,
	`&`, `\&`, `%`, `\%`, `$`, `\$`, `#`, `\#`, `_`, `\_`,
	`{`, `\{`, `}`, `\}`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	`<`, `\textless{}`, `>`, `\textgreater{}`, `|`, `\textbar{}`,
	"−", "$-$", "–", "--", "×", `$\times$`, "·", `$\cdot$`, "½", `$\frac{1}{2}$`,
	"≥", `$\geq$`, "≤", `$\leq$`, "τ", `$\tau$`,
)

// minusNumber finds a hyphen used as a minus sign before a number.
var minusNumber = regexp.MustCompile(`(^|[\s\[(,])-([0-9.])`)

// latexEscape escapes s for LaTeX text mode, writing a minus sign before a
// number as $-$.
func latexEscape(s string) string {
	s = minusNumber.ReplaceAllString(s, "${1}\x00${2}")
	s = latexReplacer.Replace(s)
	return strings.ReplaceAll(s, "\x00", "$-$")
}

// latexLabel keeps the characters of s that are safe in a \label.
func latexLabel(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == ':', r == '.':
			return r
		}
		return '-'
	}, s)
}
