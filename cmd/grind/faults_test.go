package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// A results folder with a truncated record file: `grind report` names the
// damaged run, builds everything else from the intact runs, lists the run in
// the report page, and exits 1.
func TestReportOnDamagedFolder(t *testing.T) {
	dir, _ := newResultsFolder(t)
	runs, _ := filepath.Glob(filepath.Join(dir, results.RunsDir, "*.jsonl"))
	victim := runs[0]
	key := strings.TrimSuffix(filepath.Base(victim), ".jsonl")
	data, _ := os.ReadFile(victim)
	if err := os.WriteFile(victim, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cliRun(t, "report", dir, "--quiet")
	if code != 1 || !strings.Contains(stderr, key) || !strings.Contains(stderr, victim) {
		t.Fatalf("exit %d, stderr %q: want 1 and the damaged run %s named", code, stderr, key)
	}
	_ = stdout
	page, err := os.ReadFile(filepath.Join(dir, results.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), key) || !strings.Contains(string(page), "damaged record file") {
		t.Fatal("report.html does not list the damaged run")
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.csv"))
	if err != nil || len(summary) == 0 {
		t.Fatalf("summary.csv was not built from the intact runs: %v", err)
	}
}
