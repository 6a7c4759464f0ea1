package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// grind run with standard error not a terminal (a file, as under Slurm or
// CI) prints plain progress lines during both phases: the runs, then the
// output phase's stages and figures, then how long the outputs took.
func TestRunPrintsProgressLinesToALog(t *testing.T) {
	old := progressEvery
	progressEvery = 0 // every event: the test must not wait seconds
	defer func() { progressEvery = old }()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tiny.toml")
	if err := os.WriteFile(cfg, []byte(`experiment = "tiny"
seeds = 2
[job]
days = 1
tasks = 8
[eval]
tasks = 8
splits = ["train", "inspan"]
[pretrain]
tasks = 50
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := realMain([]string{"run", cfg, "--out", filepath.Join(dir, "out")}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	log := errOut.String()
	for _, want := range []string{
		`(?m)^grind run: runs 0/2 \(0%\)`,
		`(?m)^grind run: runs 2/2 \(100%\)`,
		`(?m)^grind run: outputs: records$`,
		`(?m)^grind run: outputs: statistics$`,
		`(?m)^grind run: outputs: figures \d+/\d+`,
		`(?m)^grind run: outputs written in `,
	} {
		if !regexp.MustCompile(want).MatchString(log) {
			t.Errorf("standard error lacks %s:\n%s", want, log)
		}
	}
	if strings.Index(log, "runs 2/2") > strings.Index(log, "outputs: records") {
		t.Errorf("the output phase reported before the runs finished:\n%s", log)
	}
	// --quiet prints none of it.
	errOut.Reset()
	if code := realMain([]string{"run", cfg, "--quiet", "--out", filepath.Join(dir, "out2")}, &out, &errOut); code != 0 || strings.Contains(errOut.String(), "grind run: runs") {
		t.Errorf("--quiet: exit %d, stderr %q", code, errOut.String())
	}
}
