package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

// compareTestConfig is the headline experiment made small: 12 seeds, 2
// days, three splits. rlvr learns visibly in 2 days of 128 tasks, and 12
// paired seeds are enough for an exact sign-flip test to survive Holm's
// correction over the 36 cells (3 agents x 3 splits x 4 metrics): the
// smallest p-value is 2/2^12, times 36 = 0.018.
const compareTestConfig = `
experiment = "compare-test"
seeds = 12
[job]
days = 2
tasks = 128
[eval]
tasks = 32
splits = ["train", "inspan", "pretrain"]
[pretrain]
tasks = 500
[env]
family = "skills"
[env.grind]
group_size = 4
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "frozen-tuned"
mechanisms = ["frozen-tuned"]
[agent.frozen-tuned]
attempts = 16
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
[agent.rlvr]
lr = 0.5
`

// compareFolders runs compareTestConfig under each set of overrides into
// a temporary folder: "base" (none), "seeds100" (seed_base = 100), "lr0"
// (rlvr's learning rate 0), and "tiny" (2 seeds, 1 day: quick to read).
func compareFolders(t *testing.T) map[string]string {
	t.Helper()
	root := t.TempDir()
	dirs := map[string]string{}
	for _, v := range []struct {
		name string
		sets []string
	}{
		{"base", nil},
		{"seeds100", []string{"seed_base=100"}},
		{"lr0", []string{"agent.rlvr.rlvr.lr=0"}},
		{"tiny", []string{"seeds=2", "job.days=1", "job.tasks=8", "eval.tasks=8"}},
	} {
		exp, err := experiments.Parse("compare-test.toml", []byte(compareTestConfig), v.sets)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, v.name)
		out, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failed) > 0 {
			t.Fatalf("%s: failed runs: %v", v.name, out.Failed)
		}
		dirs[v.name] = dir
	}
	return dirs
}

// grindCompare runs grind compare in-process.
func grindCompare(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = realMain(append([]string{"compare"}, args...), &o, &e)
	return code, o.String(), e.String()
}

// TestCompareCLI runs the experiments once and compares them in subtests.
func TestCompareCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three small experiments")
	}
	dirs := compareFolders(t)
	t.Run("different seeds exit 0", func(t *testing.T) { testCompareDifferentSeeds(t, dirs) })
	t.Run("rlvr without learning exits 1", func(t *testing.T) { testCompareNoLearning(t, dirs) })
	t.Run("identical folders", func(t *testing.T) { testCompareIdentical(t, dirs) })
	t.Run("bad input exits 2", func(t *testing.T) { testCompareBadInput(t, dirs) })
	t.Run("header names what differs", func(t *testing.T) { testCompareHeaderGolden(t, dirs) })
	t.Run("json", func(t *testing.T) { testCompareJSON(t, dirs) })
}

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// The Markdown comment for a pull request opens with the verdict counts,
// the folders, what differs between them (the --set knob with both values)
// and the summary, before any table: checked against a golden file with
// the temporary folders and code versions replaced.
func testCompareHeaderGolden(t *testing.T, dirs map[string]string) {
	_, out, _ := grindCompare(dirs["base"], dirs["lr0"])
	head, _, ok := strings.Cut(out, "\n| ")
	if !ok {
		t.Fatalf("no table in:\n%s", out)
	}
	head = strings.ReplaceAll(head, dirs["base"], "BASE_DIR")
	head = strings.ReplaceAll(head, dirs["lr0"], "NEW_DIR")
	head = regexp.MustCompile(`code [0-9a-z+]+\)`).ReplaceAllString(head, "code VERSION)")
	golden := filepath.Join("testdata", "compare-header.md.golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(head), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if head != string(want) {
		t.Errorf("compare header differs from %s (go test -update to accept):\n got:\n%s\nwant:\n%s", golden, head, want)
	}
	if !strings.Contains(head, "`agent.rlvr.rlvr.lr`: `0.5` → `0`") {
		t.Errorf("the header does not name the --set knob with both values:\n%s", head)
	}
	if strings.Index(head, "**Summary:**") < 0 || strings.Contains(out, "<details><summary>All 36 cells</summary>") == false {
		t.Errorf("summary first and all cells folded expected:\n%s", out)
	}
}

func testCompareJSON(t *testing.T, dirs map[string]string) {
	code, out, _ := grindCompare("--format", "json", dirs["base"], dirs["lr0"])
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a regression)", code)
	}
	var c struct {
		Differences []struct{ Key, Base, New string }
		Counts      map[string]int
		Cells       []struct{ Agent, Split, Metric, Verdict string }
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(c.Differences) != 1 || c.Differences[0].Key != "agent.rlvr.rlvr.lr" || c.Differences[0].Base != "0.5" || c.Differences[0].New != "0" {
		t.Errorf("differences = %+v", c.Differences)
	}
	if c.Counts["regression"] == 0 || len(c.Cells) != 36 {
		t.Errorf("counts %v, %d cells", c.Counts, len(c.Cells))
	}
}

func testCompareDifferentSeeds(t *testing.T, dirs map[string]string) {
	code, out, errOut := grindCompare(dirs["base"], dirs["seeds100"],
		"--format", "text", "--day", "1", "--min-effect", "0.05", "--alpha", "0.1")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "12 vs 12") || strings.Contains(out, "12 pairs") {
		t.Errorf("seeds 0-11 vs 100-111 should be compared unpaired:\n%s", out)
	}
	// The flags reach the comparison, and the text format draws boxes.
	for _, want := range []string{"day 1", "p (Holm) <= 0.1 ", "by more than 0.05.", "┌", "Summary: no regressions; ", "What differs:\n  seed_base: 0 → 100"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func testCompareNoLearning(t *testing.T, dirs map[string]string) {
	code, out, errOut := grindCompare(dirs["base"], dirs["lr0"])
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	summary := regexp.MustCompile(`(?m)^\*\*Summary:\*\* (\d+) regressions?: (.*)$`).FindStringSubmatch(out)
	if summary == nil {
		t.Fatalf("no regression summary line:\n%s", out)
	}
	if !strings.Contains(summary[2], "rlvr train success_greedy") {
		t.Errorf("summary does not name rlvr train success_greedy: %s", summary[0])
	}
	if !regexp.MustCompile(`\| rlvr +\| +train +\| +success_greedy +\|.*\*\*regression\*\*`).MatchString(out) {
		t.Errorf("the table does not mark rlvr train success_greedy as a regression:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "regression**") && !strings.Contains(line, "| rlvr ") {
			t.Errorf("only rlvr changed, but: %s", line)
		}
	}
	if !strings.Contains(errOut, "regression") {
		t.Errorf("stderr does not say why it failed: %q", errOut)
	}
}

func testCompareIdentical(t *testing.T, dirs map[string]string) {
	dir := dirs["base"]
	code, out, errOut := grindCompare("--format", "csv", "--metric", "success_greedy,score_sampled", "--metric", "forgetting", dir, dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if got, want := len(rows), 1+3*3*3; got != want {
		t.Fatalf("%d CSV lines, want %d:\n%s", got, want, out)
	}
	for _, row := range rows[1:] {
		f := strings.Split(row, ",")
		// point,agent,split,metric,direction,paired,n_base,n_new,base,new,diff,lo,hi,level,pi,p,p_holm,verdict
		if f[5] != "true" || f[10] != "0" || f[11] != "0" || f[12] != "0" || f[16] != "1" || f[17] != "no change" {
			t.Errorf("identical folders: %s", row)
		}
		if f[3] != "forgetting" && f[14] != "0.5" {
			t.Errorf("PI of identical runs is not 0.5: %s", row)
		}
	}
}

func testCompareBadInput(t *testing.T, dirs map[string]string) {
	dir := dirs["tiny"]
	empty := t.TempDir()
	noRuns := t.TempDir()
	if err := os.MkdirAll(filepath.Join(noRuns, results.RunsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing folder", []string{dir, filepath.Join(empty, "nope")}, "no such file"},
		{"no records", []string{noRuns, dir}, "no checkpoint records"},
		{"one folder", []string{dir}, "want BASE and NEW"},
		{"unknown metric", []string{"--metric", "succes_greedy", dir, dir}, `unknown metric "succes_greedy"`},
		{"missing day", []string{"--day", "99", dir, dir}, "no checkpoint at day 99"},
		{"bad day", []string{"--day", "first", dir, dir}, "--day"},
		{"bad format", []string{"--format", "html", dir, dir}, "--format"},
		{"bad alpha", []string{"--alpha", "1.5", dir, dir}, "alpha"},
		{"bad min effect", []string{"--min-effect", "-0.1", dir, dir}, "minimum effect"},
		{"bad flag", []string{"--bogus", dir, dir}, "bogus"},
		{"no overlap", []string{"--day", "0", "--metric", "forgetting", dir, dir}, "no (point, agent, split, metric) cell"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := grindCompare(tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q does not contain %q", errOut, tc.want)
			}
		})
	}
}

func TestCompareListMetrics(t *testing.T) {
	code, out, _ := grindCompare("--list-metrics")
	if code != 0 || !strings.Contains(out, "success_greedy") || !strings.Contains(out, "forgetting        lower") {
		t.Errorf("exit %d\n%s", code, out)
	}
}
