package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

// A results folder with a truncated record file: `grind report` names the
// damaged run, builds everything else from the intact runs, lists the run in
// the report page, and exits 1.
func TestReportOnDamagedFolder(t *testing.T) {
	dir, _ := newResultsFolder(t)
	runs, _ := filepath.Glob(filepath.Join(dir, results.RunsDir, "*"+results.RunExt))
	victim := runs[0]
	key := results.RunKey(victim)
	data, _ := os.ReadFile(victim)
	if err := os.WriteFile(victim, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cliRun(t, "report", dir, "--quiet")
	if code != 1 || !strings.Contains(stderr, key) || !strings.Contains(stderr, victim) {
		t.Fatalf("exit %d, stderr %q: want 1 and the damaged run %s named", code, stderr, key)
	}
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

// `grind merge` leaves the folder an unsharded `grind run` would: the same
// summary and a report page.
func TestMergeCLIWritesTheWholeFolder(t *testing.T) {
	exp, err := experiments.Parse("tiny.toml", []byte(reportTestConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	whole := filepath.Join(work, "whole")
	if _, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: whole}); err != nil {
		t.Fatal(err)
	}
	var shards []string
	for i := 0; i < 2; i++ {
		d := filepath.Join(work, "shard", strconv.Itoa(i))
		if _, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: d, Shard: experiments.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(work, "merged")
	if code, _, stderr := cliRun(t, append([]string{"merge", "--out", merged}, shards...)...); code != 0 {
		t.Fatalf("merge exit %d: %s", code, stderr)
	}
	if code, _, stderr := cliRun(t, "report", whole, "--quiet"); code != 0 {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	for _, f := range []string{"summary.csv", results.ReportFile} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Fatalf("merged folder lacks %s", f)
		}
	}
	a, _ := os.ReadFile(filepath.Join(whole, "summary.csv"))
	b, _ := os.ReadFile(filepath.Join(merged, "summary.csv"))
	if !bytes.Equal(a, b) {
		t.Fatal("summary.csv of the merged folder differs from the unsharded run's")
	}
}
