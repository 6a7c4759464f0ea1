package results

import (
	"bytes"
	"encoding/csv"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name.golden, rewriting the file instead
// when the -update flag is set.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

func tableSummary() *Summary {
	recs := fakeRecords([]string{"base", "rlvr", "sft"}, []float64{0.02, 0.08, 0.05}, []string{"train", "heldout", "long_horizon", "pretrain"}, 10, 3)
	return summarize(recs, summaryOptions{Baseline: "base", Resamples: 500, Seed: 1})
}

// TestTablesGolden writes every table in every format and compares it with
// testdata/<name>.<ext>.golden (go test -run TestTablesGolden -update
// rewrites them).
func TestTablesGolden(t *testing.T) {
	s := tableSummary()
	for _, mk := range []func(*Summary, string, int, string) (*table, error){splitTable, gapTable, transferTable, piTable} {
		tab, err := mk(s, "default", 2, "success_greedy")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tableFormats {
			var buf bytes.Buffer
			if err := tab.Write(&buf, f.Format); err != nil {
				t.Fatal(err)
			}
			golden(t, tab.Name+f.Ext, buf.Bytes())
		}
	}
}

func TestSplitTable(t *testing.T) {
	s := tableSummary()
	tab, err := splitTable(s, "default", 2, "success_greedy")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Header, ","); got != "split,base,rlvr,sft,rlvr − base,sft − base" {
		t.Errorf("header %q", got)
	}
	if len(tab.Rows) != 4 || tab.Rows[0][0] != "train" || tab.Rows[2][0] != "long_horizon" {
		t.Errorf("rows %q", tab.Rows)
	}
	c, _ := s.cell("default", "heldout", 2, "rlvr", "success_greedy")
	if want := formatCI(c.IQM, c.Lo, c.Hi, false); tab.Rows[1][2] != want {
		t.Errorf("cell %q, want %q", tab.Rows[1][2], want)
	}
	d, _ := s.diff("default", "heldout", 2, "sft", "success_greedy")
	if want := formatCI(d.Mean, d.Lo, d.Hi, true); tab.Rows[1][5] != want {
		t.Errorf("diff cell %q, want %q", tab.Rows[1][5], want)
	}
	// rlvr is best in every row; no difference column is marked.
	for i, row := range tab.Best {
		if !row[2] || row[1] || row[3] || row[4] || row[5] {
			t.Errorf("row %d marks %v, want rlvr only", i, row)
		}
	}
	for _, want := range []string{"success_greedy", "day 2", "Rows are splits, columns agents", "N = 10 runs per cell",
		"95% percentile-bootstrap CI over runs (500 resamples)", "paired by seed"} {
		if !strings.Contains(tab.Caption, want) {
			t.Errorf("caption %q lacks %q", tab.Caption, want)
		}
	}
	if got := tab.fullCaption(FormatText); !strings.HasSuffix(got, "Best value per row marked *.") {
		t.Errorf("text caption %q", got)
	}
	if got := tab.fullCaption(formatLaTeX); !strings.HasSuffix(got, "Best value per row in bold.") {
		t.Errorf("LaTeX caption %q", got)
	}

	// The CSV form is tidy and reads back.
	var buf bytes.Buffer
	if err := tab.Write(&buf, FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 1+4*3+4*2 || rows[0][10] != "iqm" {
		t.Errorf("csv read back: %d rows, %v, header %q", len(rows), err, rows[0])
	}

	if _, err := splitTable(s, "default", 99, "success_greedy"); err == nil {
		t.Error("no error for a missing day")
	}
	if err := tab.Write(&buf, "html"); err == nil {
		t.Error("no error for an unknown format")
	}
	// A metric without a direction marks nothing.
	if tab, _ := splitTable(s, "default", 2, "verdict_reward"); tab.hasBest() {
		t.Error("best marked for verdict_reward")
	}

	// Without a baseline there are no difference columns.
	s.Diffs = nil
	tab, _ = splitTable(s, "default", 2, "success_greedy")
	if len(tab.Header) != 4 || strings.Contains(tab.Caption, "paired") {
		t.Errorf("without diffs: %q %q", tab.Header, tab.Caption)
	}
	if _, err := piTable(s, "default", 2, "success_greedy"); err == nil {
		t.Error("a probability-of-improvement table without a baseline")
	}
}

func TestMarkBest(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		vals []float64
		dir  int
		want []bool
	}{
		{[]float64{0.1, 0.5, 0.3}, 1, []bool{false, true, false}},
		{[]float64{0.1, 0.5, 0.3}, -1, []bool{true, false, false}},
		{[]float64{0.501, 0.499, 0.2}, 1, []bool{true, true, false}}, // equal as shown
		{[]float64{0.4, 0.4}, 1, []bool{false, false}},               // all tie
		{[]float64{nan, 0.4}, 1, []bool{false, false}},               // one value
		{[]float64{nan, 0.4, 0.1}, 1, []bool{false, true, false}},
	} {
		if got := markBest(tc.vals, tc.dir); !slices.Equal(got, tc.want) {
			t.Errorf("markBest(%v, %d) = %v, want %v", tc.vals, tc.dir, got, tc.want)
		}
	}
}

func TestLaTeX(t *testing.T) {
	for in, want := range map[string]string{
		"success_greedy":       `success\_greedy`,
		"95% & #1 {x} ~ ^ $":   `95\% \& \#1 \{x\} \textasciitilde{} \textasciicircum{} \$`,
		`a\b`:                  `a\textbackslash{}b`,
		"rlvr − base":          "rlvr $-$ base",
		"-0.05 [-0.10, +0.01]": "$-$0.05 [$-$0.10, +0.01]",
		"long-horizon 8–10":    "long-horizon 8--10",
		"P(a > b)":             `P(a \textgreater{} b)`,
	} {
		if got := latexEscape(in); got != want {
			t.Errorf("latexEscape(%q) = %q, want %q", in, got, want)
		}
	}
	tab := &table{Name: "x_y", Caption: "A_1.", Header: []string{"h", "v"}, Rows: [][]string{{"r_1", "1"}, {"r2", "2"}},
		Best: [][]bool{{false, true}, {false, false}}, BestScope: "column"}
	var buf bytes.Buffer
	if err := tab.Write(&buf, formatLaTeX); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{`\toprule`, `\midrule`, `\bottomrule`, `\caption{A\_1. Best value per column in bold.}`,
		`\label{tab:x-y}`, `r\_1 & \textbf{1} \\`, `\begin{tabular}{lr}`} {
		if !strings.Contains(got, want) {
			t.Errorf("LaTeX lacks %q:\n%s", want, got)
		}
	}
}

// TestLaTeXCompiles typesets every LaTeX golden table with pdflatex, when
// it is installed, to catch escaping mistakes that string tests miss.
func TestLaTeXCompiles(t *testing.T) {
	pdflatex, err := exec.LookPath("pdflatex")
	if err != nil {
		t.Skip("pdflatex not installed")
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.tex.golden"))
	if len(paths) == 0 {
		t.Fatal("no LaTeX goldens")
	}
	var doc bytes.Buffer
	doc.WriteString("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n\\usepackage[margin=1cm,landscape]{geometry}\n\\begin{document}\n")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		doc.Write(b)
	}
	doc.WriteString("\\end{document}\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tables.tex"), doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdflatex, "-interaction=nonstopmode", "-halt-on-error", "tables.tex")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdflatex: %v\n%s", err, out)
	}
}
