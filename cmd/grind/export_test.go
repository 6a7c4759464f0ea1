package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

const exportTestConfig = `
experiment = "export-test"
seeds = 2
[job]
days = 1
tasks = 8
[eval]
tasks = 8
splits = ["train", "inspan"]
[pretrain]
tasks = 50
[env.grind]
group_size = 2
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
[sweep]
"env.verifier.coverage" = [0.5, 1.0]
"env.grind.group_size" = [2, 4]
`

func readParquet(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewGenericReader[map[string]any](f, pf.Schema())
	var out []map[string]any
	buf := make([]map[string]any, 64)
	for {
		for i := range buf {
			buf[i] = map[string]any{}
		}
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// grind export writes the checkpoint and attempt records and the summary
// as Parquet, every swept knob a typed column: read back, they equal the
// records.
func TestExportParquet(t *testing.T) {
	exp, err := experiments.Parse("export.toml", []byte(exportTestConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: dir}); err != nil {
		t.Fatal(err)
	}
	built, err := results.Build(dir, results.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	page, err := results.WriteReport(dir, built)
	if err != nil {
		t.Fatal(err)
	}
	// The sweep views: a table per shown split with a row per point, a
	// figure of the metric against each swept knob, the report opening with
	// them and folding the per-point sections.
	for _, f := range []string{"tables/sweep_success_greedy_train.md", "tables/sweep_success_greedy_inspan.csv",
		"plots/sweep/success_greedy_train_env.verifier.coverage.svg", "plots/sweep/success_greedy_inspan_env.grind.group_size.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("no sweep view %s: %v", f, err)
		}
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	h := string(html)
	sweepAt, pointAt := strings.Index(h, "Sweep: the metric against each swept knob"), strings.Index(h, "<details><summary>Per sweep point")
	if sweepAt < 0 || pointAt < 0 || sweepAt > pointAt || !strings.Contains(h, "success_greedy on train against env.verifier.coverage") {
		t.Errorf("the report does not open with the sweep views and fold the per-point sections (sweep at %d, folded at %d)", sweepAt, pointAt)
	}
	// The two knobs are crossed: a heatmap of the metric over both, per
	// agent, with a table of its cells and their CIs, referenced by the
	// report.
	heat := "heatmap_success_greedy_inspan_coverage_x_group_size_rlvr"
	for _, f := range []string{"plots/sweep/" + heat + ".svg", "tables/" + heat + ".md", "tables/" + heat + ".csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("no heatmap view %s: %v", f, err)
		}
	}
	if heatCSV, err := os.ReadFile(filepath.Join(dir, "tables", heat+".csv")); err != nil || !strings.Contains(string(heatCSV), "[") {
		t.Errorf("the heatmap's table has no CIs: %s", heatCSV)
	}
	if !strings.Contains(h, "plots/sweep/"+heat) || !strings.Contains(h, "success_greedy on inspan over coverage x group_size") {
		t.Errorf("the report does not reference the heatmap %s", heat)
	}
	var out, errOut strings.Builder
	if code := realMain([]string{"export", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	recs, err := results.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := readParquet(t, filepath.Join(dir, results.ExportDir, results.ExportCheckpoints))
	if len(rows) != len(recs.Checkpoints) {
		t.Fatalf("%d checkpoint rows, %d records", len(rows), len(recs.Checkpoints))
	}
	for i, c := range recs.Checkpoints {
		r := rows[i]
		if r["run"] != c.Run || r["split"] != c.Split || r["success_greedy"] != c.SuccessGreedy || r["seed"] != int64(c.Seed) || r["day"] != int64(c.Day) {
			t.Fatalf("row %d = %v, record %+v", i, r, c)
		}
		cov, ok := r["env.verifier.coverage"].(float64)
		gs, ok2 := r["env.grind.group_size"].(int64)
		label := "coverage=" + strconv.FormatFloat(cov, 'g', -1, 64) + ",group_size=" + strconv.FormatInt(gs, 10)
		if !ok || !ok2 || c.Point != label {
			t.Fatalf("row %d: sweep columns coverage %v (%T) group_size %v (%T) for point %s", i, r["env.verifier.coverage"], r["env.verifier.coverage"], r["env.grind.group_size"], r["env.grind.group_size"], c.Point)
		}
	}
	if att := readParquet(t, filepath.Join(dir, results.ExportDir, results.ExportAttempts)); len(att) != len(recs.Attempts) {
		t.Fatalf("%d attempt rows, %d records", len(att), len(recs.Attempts))
	}
	sum := readParquet(t, filepath.Join(dir, results.ExportDir, results.ExportSummary))
	if len(sum) == 0 || sum[0]["kind"] != "cell" {
		t.Fatalf("summary rows: %d, first %v", len(sum), sum[0])
	}
	if _, ok := sum[0]["n"].(int64); !ok {
		t.Fatalf("summary n is %T, want an integer column", sum[0]["n"])
	}
	// summary.csv carries each swept knob as a column of its own, typed
	// (so the Parquet copy has an integer group_size and a float coverage).
	csvText, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	header := strings.SplitN(string(csvText), "\n", 2)[0]
	if !strings.HasSuffix(header, ",env.verifier.coverage,env.grind.group_size") {
		t.Fatalf("summary.csv header lacks the swept knobs: %s", header)
	}
	for _, r := range sum {
		cov, ok := r["env.verifier.coverage"].(float64)
		gs, ok2 := r["env.grind.group_size"].(int64)
		if label := "coverage=" + strconv.FormatFloat(cov, 'g', -1, 64) + ",group_size=" + strconv.FormatInt(gs, 10); !ok || !ok2 || r["point"] != label {
			t.Fatalf("summary row %v: sweep columns do not match its point", r)
		}
	}
}
