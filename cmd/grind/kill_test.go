package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/grindbench/grindbench/experiments"
)

// killSets make sweepConfig a sweep of 16 runs whose run phase and output
// phase each take a second or two on two cores.
var killSets = []string{"seeds=8", "job.tasks=384", "eval.tasks=32", "pretrain.tasks=500", "report.resamples=200"}

// TestKill9ResumesIdentically kills grind run with SIGKILL at random
// moments of a sweep (alternately in the run phase and the output phase of
// an uninterrupted run's timing, uniformly within each), resumes each
// time, and checks that the folder is byte for byte what an uninterrupted
// run writes: records, manifest, summary, tables, figures and report page.
// GRIND_KILLS sets the number of kills: a few in CI, 20 under make
// test-long.
func TestKill9ResumesIdentically(t *testing.T) {
	bin := buildGrind(t)
	kills := 3
	if v := os.Getenv("GRIND_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GRIND_KILLS=%q: want a positive number", v)
		}
		kills = n
	}
	work := t.TempDir()
	cfg := filepath.Join(work, "sweep.toml")
	if err := os.WriteFile(cfg, []byte(sweepConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	exp, err := experiments.Load(cfg, killSets)
	if err != nil {
		t.Fatal(err)
	}
	total := len(experiments.Plan(exp))
	run := func(out string) *exec.Cmd {
		args := []string{"run", cfg, "--out", out, "--quiet", "--workers", "2"}
		for _, s := range killSets {
			args = append(args, "--set", s)
		}
		return exec.Command(bin, args...)
	}
	// The uninterrupted run, timed: when its last run file appears the
	// output phase begins.
	ref := filepath.Join(work, "ref")
	cmd := run(ref)
	var refOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &refOut, &refOut
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var runPhase time.Duration
	for runPhase == 0 {
		select {
		case err := <-exited:
			t.Fatalf("uninterrupted run: %v before its runs were seen to finish\n%s", err, refOut.String())
		case <-time.After(5 * time.Millisecond):
			if countRuns(ref) == total {
				runPhase = time.Since(began)
			}
		}
	}
	if err := <-exited; err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, refOut.String())
	}
	wall := time.Since(began)
	want := readFiles(t, ref)

	// Kills alternate between the run phase and the output phase, each at
	// a moment drawn uniformly within it.
	rng := rand.New(rand.NewPCG(11, uint64(kills)))
	phases := map[string]int{}
	for i := range kills {
		dir := filepath.Join(work, "kill-"+strconv.Itoa(i))
		at := time.Duration(rng.Float64() * float64(runPhase))
		if i%2 == 1 {
			at = runPhase + time.Duration(rng.Float64()*float64(wall-runPhase))
		}
		cmd := run(dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(at)
		finished := countRuns(dir)
		cmd.Process.Signal(syscall.SIGKILL)
		phase := "run phase"
		switch err := cmd.Wait(); {
		case err == nil:
			phase = "after the end"
		case finished == total:
			phase = "output phase"
		}
		phases[phase]++
		if b, err := run(dir).CombinedOutput(); err != nil {
			t.Fatalf("kill %d at %v (%s, %d of %d runs done): resume: %v\n%s", i, at, phase, finished, total, err, b)
		}
		got := readFiles(t, dir)
		var diff []string
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				diff = append(diff, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				diff = append(diff, name+" (extra)")
			}
		}
		if len(diff) > 0 {
			slices.Sort(diff)
			t.Errorf("kill %d at %v (%s, %d of %d runs done): after the resume %d files differ from an uninterrupted run: %v", i, at, phase, finished, total, len(diff), diff)
		}
		os.RemoveAll(dir)
	}
	t.Logf("%d kills -9 over a sweep of %d runs (run phase %v, output phase %v): %v; every resumed folder identical to the uninterrupted one",
		kills, total, runPhase.Round(time.Millisecond), (wall - runPhase).Round(time.Millisecond), phases)
}
