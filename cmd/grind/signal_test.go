package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

// sweepConfig is long enough (a few seconds on 2 cores) to be interrupted.
const sweepConfig = `
experiment = "interrupt"
seeds = 40
[job]
days = 4
tasks = 128
[eval]
tasks = 64
[pretrain]
tasks = 1000
[env]
family = "skills"
[env.grind]
group_size = 4
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
`

// grindBin is the command, built once per test binary by buildGrind and
// removed by TestMain.
var grindBin struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildGrind compiles the command once per test binary.
func buildGrind(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	grindBin.once.Do(func() {
		if grindBin.dir, grindBin.err = os.MkdirTemp("", "grind-test-bin-*"); grindBin.err != nil {
			return
		}
		grindBin.path = filepath.Join(grindBin.dir, "grind")
		if out, err := exec.Command("go", "build", "-o", grindBin.path, ".").CombinedOutput(); err != nil {
			grindBin.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if grindBin.err != nil {
		t.Fatal(grindBin.err)
	}
	return grindBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if grindBin.dir != "" {
		os.RemoveAll(grindBin.dir)
	}
	os.Exit(code)
}

func countRuns(dir string) int {
	m, _ := filepath.Glob(filepath.Join(dir, results.RunsDir, "*"+results.RunExt))
	return len(m)
}

// startSweep writes sweepConfig to a file and starts the grind binary
// running it into a folder (with extra arguments), and waits until n runs
// have finished: the config, the folder, the process and its stderr.
func startSweep(t *testing.T, bin string, n int, extra ...string) (cfg, out string, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	work := t.TempDir()
	cfg = filepath.Join(work, "sweep.toml")
	if err := os.WriteFile(cfg, []byte(sweepConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(work, "out")
	cmd = exec.Command(bin, append([]string{"run", cfg, "--out", out, "--quiet", "--workers", "2"}, extra...)...)
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(60 * time.Second)
	for countRuns(out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs not finished within 60 s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cfg, out, cmd, stderr
}

// interruptAndResume starts a sweep, sends sig once some runs are done,
// checks nothing partial is left, reruns it, and compares every record
// with an uninterrupted run.
func interruptAndResume(t *testing.T, sig syscall.Signal) {
	bin := buildGrind(t)
	cfg, out, cmd, stderr := startSweep(t, bin, 5)
	work := filepath.Dir(out)
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	stopped := time.Since(sent)
	if err == nil {
		t.Fatalf("the sweep finished before the signal landed; make sweepConfig longer")
	}
	kept := countRuns(out)
	exp, perr := experiments.Load(cfg, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	total := len(experiments.Plan(exp))
	t.Logf("%v: stopped %v after the signal with %d of %d runs kept; stderr: %s", sig, stopped, kept, total, strings.TrimSpace(stderr.String()))
	if sig == syscall.SIGTERM && stopped > 10*time.Second {
		t.Errorf("SIGTERM took %v to stop the workers", stopped)
	}
	if kept >= total {
		t.Fatalf("all %d runs finished: nothing was interrupted", total)
	}
	if _, err := results.ReadDir(out); err != nil {
		t.Fatalf("a kept record file is damaged: %v", err)
	}
	// SIGTERM removes the temporary files of the runs it stops; SIGKILL
	// leaves them, and the next start removes them.
	if temps := tempFiles(out); sig != syscall.SIGKILL && len(temps) > 0 {
		t.Errorf("partial files left behind: %v", temps)
	}

	// Resume, then compare with an uninterrupted run of the same config.
	if b, err := exec.Command(bin, "run", cfg, "--out", out, "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, b)
	}
	if temps := tempFiles(out); len(temps) > 0 {
		t.Errorf("partial files left behind after the resume: %v", temps)
	}
	ref := filepath.Join(work, "ref")
	if _, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: ref}); err != nil {
		t.Fatal(err)
	}
	for _, r := range experiments.Plan(exp) {
		a, err1 := os.ReadFile(results.RunPath(out, r.Key))
		b, err2 := os.ReadFile(results.RunPath(ref, r.Key))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("run %s after resume differs from an uninterrupted run (%v, %v)", r.Key, err1, err2)
		}
	}
}

// tempFiles lists the temporary files of atomic writes under dir.
func tempFiles(dir string) []string {
	var temps []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(filepath.Base(p), ".tmp-") {
			temps = append(temps, p)
		}
		return nil
	})
	return temps
}

func TestSIGTERMKeepsFinishedRunsAndResumes(t *testing.T) { interruptAndResume(t, syscall.SIGTERM) }
func TestSIGKILLLosesNothingFinished(t *testing.T)        { interruptAndResume(t, syscall.SIGKILL) }
