package experiments

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// A sweep of job.days gives points different last checkpoints: the outputs
// build, each point's tables read its own last day, the sweep table names
// each point's day, summary.csv holds each point's last-day cells with
// their CIs, and grind compare compares each point at its own last day.
func TestSweepJobDaysBuilds(t *testing.T) {
	src := knobConfig("rlvr") + `
[[agent]]
name = "b"
mechanisms = ["frozen"]
[report]
baseline = "b"
competence = 0.3
[sweep]
"job.days" = [1, 2]
`
	exp := mustParse(t, src, "seeds=2", "job.tasks=8", "eval.tasks=8", "pretrain.tasks=100", "job.record_attempts=false")
	dir, _ := mustRun(t, exp, 2)
	b, err := results.Build(dir, results.BuildOptions{PlotFormats: []string{".svg"}})
	if err != nil {
		t.Fatalf("build of a job.days sweep: %v", err)
	}
	s := b.Summary
	for _, tc := range []struct {
		point string
		day   int
	}{{"days=1", 1}, {"days=2", 2}} {
		found := false
		for _, c := range s.Cells {
			if c.Point == tc.point && c.Day == tc.day && c.Split == "train" && c.Agent == "a" && c.Metric == "success_greedy" {
				found = !math.IsNaN(c.Lo) // tabulated at the point's last day: its CI is computed
			}
		}
		if !found {
			t.Errorf("%s: no success_greedy cell with a CI at its last day %d", tc.point, tc.day)
		}
		table, err := os.ReadFile(filepath.Join(dir, "tables", tc.point, "splits_success_greedy.md"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "at day " + string(rune('0'+tc.day)); !strings.Contains(string(table), want) {
			t.Errorf("%s's table does not read %q:\n%s", tc.point, want, table)
		}
	}
	sweep, err := os.ReadFile(filepath.Join(dir, "tables", "sweep_success_greedy_train.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sweep)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "job.days,day,") || !strings.HasPrefix(lines[1], "1,1,") || !strings.HasPrefix(lines[2], "2,2,") {
		t.Errorf("sweep table does not give each point's own last day:\n%s", sweep)
	}
	csv, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "\ndiff,days=1,train,1,a,b,success_greedy,") {
		t.Errorf("summary.csv has no diff at days=1's last day")
	}
	c, err := results.CompareDirs(dir, dir, results.DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(c.Notes, "\n"), "days=1: day 1, days=2: day 2") {
		t.Errorf("compare does not say each point is compared at its own last day: %q", c.Notes)
	}
}

// [report] pairs reaches the outputs (a pairs table, diff rows naming the
// pair's second agent in summary.csv) and leaves the config hash alone.
func TestReportPairsOutputs(t *testing.T) {
	src := knobConfig("rlvr") + `
[[agent]]
name = "b"
mechanisms = ["frozen"]
[[agent]]
name = "c"
mechanisms = ["sft-demo"]
[report]
baseline = "b"
`
	sets := []string{"seeds=2", "job.days=1", "job.tasks=8", "eval.tasks=8", "pretrain.tasks=100", "job.record_attempts=false"}
	plain := mustParse(t, src, sets...)
	exp := mustParse(t, src, append(sets, `report.pairs=[["c", "a"]]`)...)
	if exp.Hash != plain.Hash {
		t.Errorf("report.pairs changed the config hash: %s vs %s", exp.Hash, plain.Hash)
	}
	dir, _ := mustRun(t, exp, 2)
	if _, err := results.Build(dir, results.BuildOptions{PlotFormats: []string{".svg"}}); err != nil {
		t.Fatal(err)
	}
	table, err := os.ReadFile(filepath.Join(dir, "tables", "pairs_success_greedy.md"))
	if err != nil {
		t.Fatalf("no pairs table: %v", err)
	}
	if !strings.Contains(string(table), "c − a") {
		t.Errorf("pairs table has no column c − a:\n%s", table)
	}
	csv, err := os.ReadFile(filepath.Join(dir, results.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "\ndiff,default,train,1,c,a,success_greedy,2,") {
		t.Errorf("summary.csv has no diff row c - a")
	}
	// Without the knob: neither.
	dir, _ = mustRun(t, plain, 2)
	if _, err := results.Build(dir, results.BuildOptions{PlotFormats: []string{".svg"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tables", "pairs_success_greedy.md")); err == nil {
		t.Error("a pairs table without report.pairs")
	}
}
