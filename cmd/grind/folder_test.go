package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

// The tests in this file are the scenarios of the issue "A results folder
// you can trust", one per numbered finding; each failed before the folder
// was made trustworthy.

// endToEnd skips a test that runs whole sweeps and builds their outputs
// in -short mode (CI's race pass): the plain pass runs it.
func endToEnd(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs sweeps end to end")
	}
}

// tinyFolder writes reportTestConfig (with extra appended) to a file and
// runs it to completion into a new folder: the config's path and the
// folder.
func tinyFolder(t *testing.T, extra string, sets ...string) (cfg, dir string) {
	t.Helper()
	work := t.TempDir()
	cfg = filepath.Join(work, "tiny.toml")
	if err := os.WriteFile(cfg, []byte(reportTestConfig+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(work, "out")
	args := []string{"run", cfg, "--out", dir, "--quiet"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	if code, _, stderr := cliRun(t, args...); code != 0 {
		t.Fatalf("grind run: exit %d: %s", code, stderr)
	}
	return cfg, dir
}

// interrupted runs cfg into dir and stops it once `after` runs have
// finished, as SIGTERM does: some runs are done, the rest are not.
func interrupted(t *testing.T, cfg, dir string, after int) {
	t.Helper()
	exp, err := experiments.Load(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = experiments.Run(ctx, exp, experiments.RunOptions{Out: dir, Workers: 1, Progress: func(done, total int) {
		if done >= after {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("the sweep finished: nothing was interrupted")
	}
	if n := countRuns(dir); n < after || n >= len(experiments.Plan(exp)) {
		t.Fatalf("%d runs finished before the interrupt; want at least %d and not all", n, after)
	}
}

// readFiles returns every file under dir (relative path -> bytes), the lock
// file aside.
func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || info.Name() == ".grind.lock" {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Finding 1: a folder resumed with another config (here another learning
// rate) is refused, naming the knob with both values, and its records are
// left as they were; --force-new starts it afresh.
func TestResumeWithAnotherConfigIsRefused(t *testing.T) {
	endToEnd(t)
	work := t.TempDir()
	cfg := filepath.Join(work, "tiny.toml")
	if err := os.WriteFile(cfg, []byte(reportTestConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "out")
	interrupted(t, cfg, dir, 2)
	before := readFiles(t, filepath.Join(dir, results.RunsDir))

	code, _, stderr := cliRun(t, "run", cfg, "--set", "agent.rlvr.rlvr.lr=0.1", "--out", dir, "--quiet")
	if code != 2 || !strings.Contains(stderr, "agent.rlvr.rlvr.lr is 0.5 in the folder") || !strings.Contains(stderr, "0.1 in this config") || !strings.Contains(stderr, "--force-new") {
		t.Fatalf("resume with another learning rate: exit %d, stderr %q; want 2 naming agent.rlvr.rlvr.lr with both values", code, stderr)
	}
	after := readFiles(t, filepath.Join(dir, results.RunsDir))
	if len(after) != len(before) {
		t.Fatalf("the refused resume changed the records: %d files, were %d", len(after), len(before))
	}
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Fatalf("the refused resume changed %s", name)
		}
	}

	code, _, stderr = cliRun(t, "run", cfg, "--set", "agent.rlvr.rlvr.lr=0.1", "--out", dir, "--quiet", "--force-new")
	if code != 0 {
		t.Fatalf("--force-new: exit %d: %s", code, stderr)
	}
	exp, err := experiments.Load(cfg, []string{"agent.rlvr.rlvr.lr=0.1"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := results.ReadManifest(dir)
	if err != nil || m.ConfigHash != exp.Hash {
		t.Fatalf("after --force-new the manifest is of config %v (err %v), want %.12s", m, err, exp.Hash)
	}
	if _, err := results.ReadDir(dir); err != nil {
		t.Fatalf("after --force-new: %v", err)
	}
	if n := countRuns(dir); n != len(experiments.Plan(exp)) {
		t.Fatalf("after --force-new %d runs, want all %d of the new config", n, len(experiments.Plan(exp)))
	}
}

// Finding 2: a sweep interrupted and resumed ends with the manifest an
// uninterrupted sweep writes, pretraining entries of every seed included.
func TestPretrainEntriesSurviveInterruption(t *testing.T) {
	endToEnd(t)
	cfg, ref := tinyFolder(t, "")
	dir := filepath.Join(t.TempDir(), "out")
	interrupted(t, cfg, dir, 4)
	if code, _, stderr := cliRun(t, "run", cfg, "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	want, err := results.ReadManifest(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := results.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Pretrain) != len(want.Seeds) {
		t.Errorf("the resumed manifest has %d pretraining entries, want one per seed (%d)", len(got.Pretrain), len(want.Seeds))
	}
	a, _ := os.ReadFile(filepath.Join(ref, results.ManifestFile))
	b, _ := os.ReadFile(filepath.Join(dir, results.ManifestFile))
	if !bytes.Equal(a, b) {
		t.Error("the resumed folder's manifest differs from an uninterrupted run's")
	}
}

// Finding 3: edits that keep the JSON valid are detected by report (exit 1
// naming the run), and run moves the edited file aside, runs the run again
// and keeps the original's hash in the manifest.
func TestEditedRecordsAreDetected(t *testing.T) {
	endToEnd(t)
	cfg, orig := tinyFolder(t, "")
	// A file of another experiment under the same name.
	_, other := tinyFolder(t, "", "experiment=other", "job.days=3")
	key := "default__rlvr__s0001"
	good, err := results.ReadRunLines(results.RunPath(orig, key))
	if err != nil {
		t.Fatal(err)
	}
	m, err := results.ReadManifest(orig)
	if err != nil {
		t.Fatal(err)
	}
	var goodHash string
	for _, r := range m.Runs {
		if r.Key == key {
			goodHash = r.Hash
		}
	}
	// replaceFirst edits the first value of a column on a checkpoint line.
	replaceFirst := func(column, value string) func([]byte) []byte {
		return func(b []byte) []byte {
			lines := strings.Split(string(b), "\n")
			for i, l := range lines {
				if !strings.Contains(l, `"kind":"checkpoint"`) {
					continue
				}
				at := strings.Index(l, `"`+column+`":`)
				if at < 0 {
					continue
				}
				start := at + len(column) + 3
				end := start + strings.IndexAny(l[start:], ",}")
				lines[i] = l[:start] + value + l[end:]
				return []byte(strings.Join(lines, "\n"))
			}
			t.Fatalf("no %s column", column)
			return nil
		}
	}
	tests := []struct {
		name string
		edit func([]byte) []byte
	}{
		{"a success value changed", replaceFirst("success_greedy", "0.909")},
		{"a value of 1e308", replaceFirst("shared_mass", "1e308")},
		{"a seed of -5", replaceFirst("seed", "-5")},
		{"a file of another experiment", func([]byte) []byte {
			b, err := results.ReadRunLines(results.RunPath(other, key))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if err := os.CopyFS(dir, os.DirFS(orig)); err != nil {
				t.Fatal(err)
			}
			edited := tt.edit(bytes.Clone(good))
			if bytes.Equal(edited, good) {
				t.Fatal("the edit changed nothing")
			}
			if err := results.WriteRunLines(results.RunPath(dir, key), edited); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := cliRun(t, "report", dir, "--quiet")
			if code != 1 || !strings.Contains(stderr, key) {
				t.Errorf("report: exit %d, stderr %q; want 1 naming %s", code, stderr, key)
			}
			code, _, stderr = cliRun(t, "compare", orig, dir)
			if code != 1 || !strings.Contains(stderr, key) {
				t.Errorf("compare: exit %d, stderr %q; want 1 naming %s", code, stderr, key)
			}
			code, _, stderr = cliRun(t, "run", cfg, "--out", dir, "--quiet")
			if code != 0 || !strings.Contains(stderr, "moved aside") {
				t.Fatalf("run: exit %d, stderr %q; want 0, the file moved aside and its run run again", code, stderr)
			}
			if b, _ := results.ReadRunLines(results.RunPath(dir, key)); !bytes.Equal(b, good) {
				t.Error("the run's records were not restored")
			}
			if b, err := results.ReadRunLines(filepath.Join(dir, results.DamagedDir, key+results.RunExt)); err != nil || !bytes.Equal(b, edited) {
				t.Errorf("the edited file was not kept in %s: %v", results.DamagedDir, err)
			}
			m, err := results.ReadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range m.Runs {
				if r.Key == key && r.Hash != goodHash {
					t.Errorf("the manifest records hash %.12s for %s, want the original %.12s", r.Hash, key, goodHash)
				}
			}
		})
	}
}

// Finding 4: report aggregates only the runs the folder's config plans: a
// consistent run file of a seed the config does not plan is named and left
// out (exit 1), and the summary is the planned runs'.
func TestReportLeavesOutUnplannedRuns(t *testing.T) {
	endToEnd(t)
	cfg, dir := tinyFolder(t, "")
	_, more := tinyFolder(t, "", "seeds=4")
	summary, err := os.ReadFile(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	extra := "default__rlvr__s0003"
	b, err := os.ReadFile(results.RunPath(more, extra))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(results.RunPath(dir, extra), b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cliRun(t, "report", dir, "--quiet")
	if code != 1 || !strings.Contains(stderr, extra) {
		t.Fatalf("report: exit %d, stderr %q; want 1 naming %s", code, stderr, extra)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "summary.csv")); !bytes.Equal(got, summary) {
		t.Error("summary.csv counts the unplanned run")
	}
	// grind run moves it aside: the folder is the config's again.
	if code, _, stderr := cliRun(t, "run", cfg, "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	if code, _, stderr := cliRun(t, "report", dir, "--quiet"); code != 0 {
		t.Fatalf("report after run: exit %d: %s", code, stderr)
	}
}

// Finding 5: merge verifies every shard before copying anything and refuses
// one with a truncated record file, naming the shard and the run.
func TestMergeRefusesDamagedShard(t *testing.T) {
	endToEnd(t)
	exp, err := experiments.Parse("tiny.toml", []byte(reportTestConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	var shards []string
	for i := range 2 {
		d := filepath.Join(work, "shard-"+strconv.Itoa(i))
		if _, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: d, Shard: experiments.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, d)
	}
	runs, _ := filepath.Glob(filepath.Join(shards[1], results.RunsDir, "*"+results.RunExt))
	victim := runs[0]
	key := results.RunKey(victim)
	data, _ := results.ReadRunLines(victim)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if err := results.WriteRunLines(victim, bytes.Join(lines[:len(lines)/2], nil)); err != nil { // cut at a line, compressed whole
		t.Fatal(err)
	}
	merged := filepath.Join(work, "merged")
	code, stdout, stderr := cliRun(t, append([]string{"merge", "--out", merged}, shards...)...)
	if code != 1 || !strings.Contains(stderr, shards[1]) || !strings.Contains(stderr, key) {
		t.Fatalf("merge: exit %d, stdout %q, stderr %q; want 1 naming shard %s and run %s", code, stdout, stderr, shards[1], key)
	}
	if n := countRuns(merged); n != 0 {
		t.Errorf("the refused merge copied %d record files", n)
	}
}

// Finding 6: configs that would grow to gigabytes or run for days, a
// config "file" that never ends and a document-sized question are refused
// before any work with the estimate and the knob to change; raising the
// guard accepts them.
func TestCostlyConfigsAreRefused(t *testing.T) {
	// The built-in headline experiment, changed as the issue found.
	tests := []struct {
		name  string
		args  []string
		want  []string // in stderr
		raise []string // --set that lets it pass; nil if none should
	}{
		{"a million evaluation tasks", []string{"--set", "eval.tasks=1000000"},
			[]string{"eval.tasks", "estimated 7.", "GB of memory", "max_memory"}, []string{"max_memory=10000000000", "max_steps=1000000000000"}},
		{"ten thousand days", []string{"--set", "job.days=10000"},
			[]string{"job", "GB of records", "max_record_bytes"}, []string{"max_record_bytes=1000000000000", "max_memory=100000000000", "max_draws=1000000000000", "max_steps=100000000000"}},
		{"a million resamples", []string{"--set", "report.resamples=1000000"},
			[]string{"report.resamples", "bootstrap draws", "max_draws"}, []string{"max_draws=1000000000000"}},
		{"a hundred thousand sessions", []string{"--set", "job.days=1000", "--set", "job.sessions=100", "--set", "job.record_attempts=false"},
			[]string{"job", "environment steps", "max_steps"}, []string{"max_steps=100000000000"}},
		{"a document as the question", []string{"--set", "question=" + strings.Repeat("why? ", 2000)},
			[]string{"question", "bytes long: at most 4096"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cliRun(t, append([]string{"validate", "headline"}, tt.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, stderr)
				}
			}
			if tt.raise == nil {
				return
			}
			args := append([]string{"validate", "headline"}, tt.args...)
			for _, s := range tt.raise {
				args = append(args, "--set", s)
			}
			if code, stdout, stderr := cliRun(t, args...); code != 0 || !strings.Contains(stdout, "estimated:") {
				t.Errorf("with the guard raised: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		})
	}
	t.Run("a config that never ends", func(t *testing.T) {
		done := make(chan int, 1)
		var stderr string
		go func() {
			var code int
			code, _, stderr = cliRun(t, "run", "/dev/zero", "--out", filepath.Join(t.TempDir(), "z"))
			done <- code
		}()
		select {
		case code := <-done:
			if code != 2 || !strings.Contains(stderr, "1 MiB") {
				t.Fatalf("exit %d, stderr %q; want 2 and the size limit", code, stderr)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("grind run /dev/zero still reading after 20 s")
		}
	})
}

// Finding 8: a second writer is refused while a sweep runs (exit 3, naming
// the holder), report too; report --wait waits for the sweep and then
// builds the whole folder.
func TestSecondWriterIsRefused(t *testing.T) {
	cfg, out, cmd, stderr := startSweep(t, buildGrind(t), 1, "--set", "seeds=12")
	code, _, errs := cliRun(t, "run", cfg, "--out", out, "--quiet", "--set", "seeds=12")
	if code != 3 || !strings.Contains(errs, "in use by another grind command") || !strings.Contains(errs, "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("second grind run: exit %d, stderr %q; want 3 naming the running one (pid %d)", code, errs, cmd.Process.Pid)
	}
	code, _, errs = cliRun(t, "report", out, "--quiet")
	if code != 3 || !strings.Contains(errs, "--wait") {
		t.Errorf("grind report during the run: exit %d, stderr %q; want 3", code, errs)
	}
	code, _, errs = cliRun(t, "report", out, "--quiet", "--wait")
	if code != 0 || !strings.Contains(errs, "waiting") {
		t.Errorf("grind report --wait: exit %d, stderr %q; want 0 after waiting", code, errs)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the sweep: %v: %s", err, stderr.String())
	}
	exp, err := experiments.Load(cfg, []string{"seeds=12"})
	if err != nil {
		t.Fatal(err)
	}
	if n := countRuns(out); n != len(experiments.Plan(exp)) {
		t.Fatalf("%d runs after the sweep, want %d", n, len(experiments.Plan(exp)))
	}
	// The page report --wait built covers every run.
	recs, err := results.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := os.ReadFile(filepath.Join(out, "summary.csv"))
	if len(recs.Runs) != len(experiments.Plan(exp)) || !bytes.Contains(summary, []byte(","+strconv.Itoa(exp.Config.Seeds)+",")) {
		t.Errorf("report --wait built a summary of %d runs", len(recs.Runs))
	}
}

// Finding 9, the smaller ones.
func TestSmallerFolderFindings(t *testing.T) {
	endToEnd(t)
	cfg, dir := tinyFolder(t, "")
	t.Run("a killed writer's temporary file is removed by the next start", func(t *testing.T) {
		stale := filepath.Join(dir, results.RunsDir, ".default__rlvr__s0000.jsonl.tmp-12345")
		if err := os.WriteFile(stale, []byte(`{"schema":`), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := cliRun(t, "run", cfg, "--out", dir, "--quiet"); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(stale); err == nil {
			t.Error("the stale temporary file is still there")
		}
	})
	t.Run("rebuilding a folder changes no file, PDFs included", func(t *testing.T) {
		before := readFiles(t, filepath.Join(dir, "plots"))
		time.Sleep(1100 * time.Millisecond) // PDF dates have a resolution of a second
		if code, _, stderr := cliRun(t, "report", dir, "--quiet"); code != 0 {
			t.Fatalf("report: exit %d: %s", code, stderr)
		}
		after := readFiles(t, filepath.Join(dir, "plots"))
		if len(after) != len(before) || len(before) == 0 {
			t.Fatalf("%d figure files, were %d", len(after), len(before))
		}
		for name, b := range before {
			if !bytes.Equal(after[name], b) {
				t.Errorf("%s differs after a rebuild", name)
			}
		}
	})
	t.Run("a list value given twice is refused", func(t *testing.T) {
		code, _, stderr := cliRun(t, "validate", cfg, "--set", "env.skills.outspan=[0.5, 0.5]")
		if code != 2 || !strings.Contains(stderr, "appears twice") {
			t.Errorf("exit %d, stderr %q; want 2", code, stderr)
		}
	})
	t.Run("--out naming a file is bad input", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		code, _, stderr := cliRun(t, "run", cfg, "--out", file, "--quiet")
		if code != 2 || !strings.Contains(stderr, file) {
			t.Errorf("exit %d, stderr %q; want 2 naming %s", code, stderr, file)
		}
	})
	t.Run("a shard beyond the sweep writes nothing", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "shard")
		code, stdout, stderr := cliRun(t, "run", cfg, "--out", out, "--shard", "999/1000000000")
		if code != 0 || !strings.Contains(stdout, "nothing written") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s was created", out)
		}
	})
	t.Run("report and compare exit 2 on a broken manifest", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad")
		if err := os.CopyFS(bad, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bad, results.ManifestFile), []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"report", bad, "--quiet"}, {"compare", dir, bad}} {
			if code, _, stderr := cliRun(t, args...); code != 2 || !strings.Contains(stderr, results.ManifestFile) {
				t.Errorf("grind %s: exit %d, stderr %q; want 2 naming the manifest", args[0], code, stderr)
			}
		}
	})
	t.Run("a non-ASCII key's column is counted in characters", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "unicode.toml")
		os.WriteFile(bad, []byte("experiment = \"x\"\n\"ключ\" = = 3\n"), 0o644)
		code, _, stderr := cliRun(t, "validate", bad)
		if code != 2 || !strings.Contains(stderr, "unicode.toml:2: ключ: syntax error at column 10:") {
			t.Errorf("exit %d, stderr %q; want the second '=' at column 10", code, stderr)
		}
	})
}
