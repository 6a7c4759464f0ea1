package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

// cliRun runs the CLI in-process and returns its exit code and output.
func cliRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

// reportTestConfig is a tiny experiment (about a second) whose results
// folder has every kind of output: tables, curves and bars, differences
// against a baseline.
const reportTestConfig = `# a tiny experiment for the CLI and report tests
experiment = "tiny"
question = "Does the tiny experiment <still> work & render?"
reading = "Cells are IQMs over 3 seeds; rlvr - frozen is paired."
seeds = 3
[job]
days = 2
tasks = 16
[eval]
tasks = 16
splits = ["train", "inspan", "outspan@1", "pretrain"]
[report]
baseline = "frozen"
resamples = 100
[pretrain]
tasks = 500
[env]
family = "skills"
[env.grind]
group_size = 2
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
`

// newResultsFolder runs reportTestConfig into a temporary folder and
// builds its outputs (not the report): the browser test's folder.
func newResultsFolder(t *testing.T) (string, *results.Built) {
	t.Helper()
	exp, err := experiments.Parse("tiny.toml", []byte(reportTestConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tiny")
	res, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) > 0 {
		t.Fatalf("failed runs: %v", res.Failed)
	}
	built, err := results.Build(dir, results.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, built
}

func TestHelpAndUnknownCommand(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in stdout for 0, stderr otherwise
	}{
		{[]string{"--help"}, 0, "Commands:"},
		{[]string{"help"}, 0, "report"},
		{nil, 0, "Usage: grind COMMAND"},
		{[]string{"run", "--help"}, 0, "--out"},
		{[]string{"report", "--help"}, 0, "Usage: grind report"},
		{[]string{"schema", "-h"}, 0, "-json"},
		{[]string{"config", "--help"}, 0, "-defaults"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"run", "--no-such-flag"}, 2, "no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := cliRun(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			got := stdout
			if tt.code != 0 || strings.Contains(strings.Join(tt.args, " "), "-h") {
				got += stderr // flag usage goes to stderr
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tt.want, stdout, stderr)
			}
		})
	}
}

// TestRunBadConfig: a config with an unknown key, a wrong type or a value
// out of range exits 2, names the file, the line and the key, and creates
// no output folder.
func TestRunBadConfig(t *testing.T) {
	base := strings.Replace(reportTestConfig, "seeds = 3\n", "seeds = 3\nSEEDLINE\n", 1)
	tests := []struct {
		name, line, key, msg string
	}{
		{"unknown key", `job_days = 3`, "job_days", "unknown"},
		{"wrong type", `seed_base = "zero"`, "seed_base", "wrong type"},
		{"out of range", `seed_base = -5`, "seed_base", "-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := strings.Replace(base, "SEEDLINE", tt.line, 1)
			lineNo := 1 + strings.Count(src[:strings.Index(src, tt.line)], "\n")
			cfg := filepath.Join(dir, "bad.toml")
			if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			code, stdout, stderr := cliRun(t, "run", cfg, "--out", out, "--quiet")
			if code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			where := cfg + ":" + strconv.Itoa(lineNo) + ":"
			for _, want := range []string{where, tt.key, tt.msg} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output folder %s exists after a bad config (stat: %v)", out, err)
			}
			// validate says the same and exits 2 too.
			if code, _, stderr := cliRun(t, "validate", cfg); code != 2 || !strings.Contains(stderr, where) {
				t.Errorf("validate: exit %d, stderr %q", code, stderr)
			}
		})
	}
}

func TestValidateShipped(t *testing.T) {
	path := filepath.Join("..", "..", "experiments", "headline.toml")
	code, stdout, stderr := cliRun(t, "validate", path)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "valid") {
		t.Errorf("stdout: %s", stdout)
	}
}

func TestSchemaCommand(t *testing.T) {
	code, stdout, stderr := cliRun(t, "schema")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, c := range results.Schema() {
		if !strings.Contains(stdout, c.Name) || !strings.Contains(stdout, c.Doc) {
			t.Errorf("text schema lacks column %s", c.Name)
		}
	}
	code, stdout, stderr = cliRun(t, "schema", "--json")
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, stderr)
	}
	var got struct {
		Version int              `json:"schema_version"`
		Columns []results.Column `json:"columns"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if got.Version != results.SchemaVersion || len(got.Columns) != len(results.Schema()) {
		t.Errorf("--json: version %d, %d columns", got.Version, len(got.Columns))
	}
	if code, _, _ := cliRun(t, "schema", "extra"); code != 2 {
		t.Errorf("schema extra: exit %d, want 2", code)
	}
}

func TestConfigDefaults(t *testing.T) {
	code, stdout, stderr := cliRun(t, "config", "--defaults")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	header := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "KNOB") {
			header = i
		}
	}
	if header < 0 {
		t.Fatalf("no header line:\n%s", stdout)
	}
	col := strings.Index(lines[header], "DEFAULT")
	for _, d := range experiments.KnobDocs() {
		var line string
		for _, l := range lines[header+1:] {
			if strings.HasPrefix(l, d.Path+" ") {
				line = l
			}
		}
		if line == "" {
			t.Errorf("knob %s missing", d.Path)
			continue
		}
		// Aligned: every default starts in the DEFAULT column.
		if !strings.HasPrefix(line[col:], d.Default) {
			t.Errorf("knob %s: default %q not aligned under DEFAULT in %q", d.Path, d.Default, line)
		}
		if d.Range != "" && !strings.Contains(line, d.Range) {
			t.Errorf("knob %s: range %q missing", d.Path, d.Range)
		}
	}
	code, stdout, _ = cliRun(t, "config", "--defaults", "--json")
	var knobs []map[string]string
	if code != 0 || json.Unmarshal([]byte(stdout), &knobs) != nil || len(knobs) != len(experiments.KnobDocs()) {
		t.Errorf("--defaults --json: exit %d, %d knobs", code, len(knobs))
	}
}

func TestConfigResolved(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sweep.toml")
	src := reportTestConfig + "\n[sweep]\n\"env.verifier.coverage\" = [0.5, 1.0]\n"
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cliRun(t, "config", cfg, "--set", "job.days=3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"# --set job.days=3", "job.days = 3", "env.verifier.coverage = 0.5", "env.verifier.coverage = 1.0", "agent.rlvr.rlvr.lr = ", `question = "Does the tiny`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("resolved config lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "\n# point "); n != 2 {
		t.Errorf("%d points printed, want 2", n)
	}
	code, stdout, stderr = cliRun(t, "config", cfg, "--json")
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, stderr)
	}
	var got struct {
		Points []struct {
			Point  string         `json:"point"`
			Config map[string]any `json:"config"`
		} `json:"points"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if len(got.Points) != 2 || got.Points[0].Config["env.verifier.coverage"] != 0.5 || got.Points[1].Config["job.days"] != 2.0 {
		t.Errorf("--json points: %+v", got.Points)
	}
	for _, args := range [][]string{{"config"}, {"config", "--defaults", cfg}, {"config", filepath.Join(dir, "missing.toml")}} {
		if code, _, _ := cliRun(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

// TestRunAndReport: grind run writes report.html and names it; grind
// report then regenerates every output from the records alone, byte for
// byte the same as the run's (two builds in a row), and refuses bad
// folders with exit 2.
func TestRunAndReport(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tiny.toml")
	if err := os.WriteFile(cfg, []byte(reportTestConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := cliRun(t, "run", cfg, "--out", out, "--workers", "2")
	if code != 0 {
		t.Fatalf("run: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	page := filepath.Join(out, results.ReportFile)
	if !strings.Contains(stdout, "Report: "+page) {
		t.Errorf("grind run does not name the report:\n%s", stdout)
	}
	snapshot := func() map[string][]byte {
		files := map[string][]byte{}
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(p) {
			case ".md", ".csv", ".txt", ".tex", ".html":
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				files[p] = b
			}
			return nil
		})
		return files
	}
	first := snapshot()
	if first[page] == nil || first[filepath.Join(out, "summary.csv")] == nil {
		t.Fatalf("report or summary missing after grind run: %d files", len(first))
	}
	// Remove every output: report must bring them back from the records.
	for _, p := range []string{"summary.csv", "tables", "plots", results.ReportFile} {
		if err := os.RemoveAll(filepath.Join(out, p)); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr = cliRun(t, "report", out)
	if code != 0 {
		t.Fatalf("report: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{page, "summary.csv", "tables", "plots"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("grind report does not name %q:\n%s", want, stdout)
		}
	}
	second := snapshot()
	if len(first) != len(second) {
		t.Errorf("grind run wrote %d tables, CSV and pages, grind report %d", len(first), len(second))
	}
	for p, b := range first {
		if !bytes.Equal(b, second[p]) {
			t.Errorf("%s differs between grind run and grind report", p)
		}
	}

	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, results.RunsDir), 0o755)
	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, results.RunsDir), 0o755)
	os.WriteFile(filepath.Join(bad, results.RunsDir, "x.jsonl"), []byte("{not json\n"), 0o644)
	for _, args := range [][]string{
		{"report"},
		{"report", filepath.Join(empty, "missing")},
		{"report", cfg},
		{"report", empty},
		{"report", bad},
		{"report", out, out},
		{"report", out, "--resamples", "-1"},
	} {
		code, _, stderr := cliRun(t, args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
	}
}
