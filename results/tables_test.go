package results

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
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
	recs := fakeRecords([]string{"base", "rlvr", "sft"}, []float64{0.02, 0.08, 0.05}, []string{"train", "heldout", "long-horizon"}, 10, 3)
	return Summarize(recs, SummaryOptions{Baseline: "base", Resamples: 500, Seed: 1})
}

func TestWriteSplitTableGolden(t *testing.T) {
	s := tableSummary()
	for _, tc := range []struct{ format, ext string }{
		{FormatText, "txt"},
		{FormatMarkdown, "md"},
		{FormatCSV, "csv"},
	} {
		var buf bytes.Buffer
		if err := WriteSplitTable(&buf, s, tc.format, "default", 2, "success_greedy"); err != nil {
			t.Fatal(err)
		}
		golden(t, "split_table."+tc.ext, buf.Bytes())
	}
}

func TestSplitTable(t *testing.T) {
	s := tableSummary()
	tab, err := SplitTable(s, "default", 2, "success_greedy")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Header, ","); got != "split,base,rlvr,sft,rlvr − base,sft − base" {
		t.Errorf("header %q", got)
	}
	if len(tab.Rows) != 3 || tab.Rows[0][0] != "train" || tab.Rows[2][0] != "long-horizon" {
		t.Errorf("rows %q", tab.Rows)
	}
	c, _ := s.Cell("default", "heldout", 2, "rlvr", "success_greedy")
	if want := formatCI(c.IQM, c.Lo, c.Hi, false); tab.Rows[1][2] != want {
		t.Errorf("cell %q, want %q", tab.Rows[1][2], want)
	}
	d, _ := s.Diff("default", "heldout", 2, "sft", "success_greedy")
	if want := formatCI(d.Mean, d.Lo, d.Hi, true); tab.Rows[1][5] != want {
		t.Errorf("diff cell %q, want %q", tab.Rows[1][5], want)
	}
	for _, want := range []string{"success_greedy", "day 2", "N = 10 runs per cell", "IQM with 95% percentile-bootstrap CI over runs", "differences are paired by seed"} {
		if !strings.Contains(tab.Caption, want) {
			t.Errorf("caption %q lacks %q", tab.Caption, want)
		}
	}

	// The CSV form reads back as plain CSV.
	var buf bytes.Buffer
	if err := tab.Write(&buf, FormatCSV); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	rows, err := r.ReadAll()
	if err != nil || len(rows) != 1+len(tab.Rows) {
		t.Errorf("csv read back: %d rows, %v", len(rows), err)
	}

	if _, err := SplitTable(s, "default", 99, "success_greedy"); err == nil {
		t.Error("no error for a missing day")
	}
	if err := WriteSplitTable(&buf, s, "latex", "default", 2, "success_greedy"); err == nil {
		t.Error("no error for an unknown format")
	}

	// Without a baseline there are no difference rows.
	s.Diffs = nil
	tab, _ = SplitTable(s, "default", 2, "success_greedy")
	if len(tab.Header) != 4 || strings.Contains(tab.Caption, "paired") {
		t.Errorf("without diffs: %q %q", tab.Header, tab.Caption)
	}
}
