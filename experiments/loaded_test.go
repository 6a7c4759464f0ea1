package experiments

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// everyRecordConfig writes every optional field a record can carry:
// phases, pass@k, distances, dreams, and a clocked job's retries, times
// and step verdicts.
const everyRecordConfig = `experiment = "every-record"
question = "Do records taken from memory build what their files build?"
reading = "A test config."
seeds = 2
[job]
days = 3
sessions = 2
tasks = 8
phase_days = [1, 2]
[eval]
tasks = 8
splits = ["train", "inspan"]
passk_samples = 4
distance = true
[report]
baseline = "frozen"
resamples = 100
[pretrain]
tasks = 300
[env]
family = "skills"
[env.grind]
resets = true
group_size = 2
retries = 1
granularity = "step"
delay = 0.5
day_budget = 40
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
[[agent]]
name = "dream"
mechanisms = ["rlvr", "dream"]
`

// outputFiles reads every file of results folder dir but its records and
// manifest: what Build and WriteReport write.
func outputFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel == results.RunsDir {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == results.ManifestFile || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// buildOutputs builds dir's outputs and report page.
func buildOutputs(t *testing.T, dir string, loaded *results.LoadedRuns) *results.Built {
	t.Helper()
	b, err := results.Build(dir, results.BuildOptions{Loaded: loaded, PlotFormats: []string{".svg"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.WriteReport(dir, b); err != nil {
		t.Fatal(err)
	}
	if len(b.Damaged) > 0 {
		t.Fatalf("damaged: %v", b.Damaged)
	}
	return b
}

// TestLoadedRecordsBuildAsTheFiles: the output phase takes every run grind
// run just ran from memory, and writes byte for byte what it writes from
// the run files (records with every optional field).
func TestLoadedRecordsBuildAsTheFiles(t *testing.T) {
	exp, err := Parse("every.toml", []byte(everyRecordConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: 2})
	if err != nil || len(res.Failed) > 0 {
		t.Fatal(err, res.Failed)
	}
	if n := res.Loaded.Len(); n != len(res.Runs) {
		t.Fatalf("the run phase holds %d of its %d runs in memory", n, len(res.Runs))
	}
	b := buildOutputs(t, dir, res.Loaded)
	if b.FromMemory != len(res.Runs) || res.Loaded.Taken() != len(res.Runs) {
		t.Fatalf("the output phase took %d (Taken %d) of %d runs from memory", b.FromMemory, res.Loaded.Taken(), len(res.Runs))
	}
	fromMemory := outputFiles(t, dir)
	if len(fromMemory) < 10 {
		t.Fatalf("only %d output files", len(fromMemory))
	}
	// Taken once: a second Build reads the files.
	if b := buildOutputs(t, dir, res.Loaded); b.FromMemory != 0 {
		t.Fatalf("a second Build took %d runs from memory", b.FromMemory)
	}
	fromFiles := outputFiles(t, dir)
	for name, want := range fromFiles {
		if got, ok := fromMemory[name]; !ok {
			t.Errorf("%s: written from the files, not from memory", name)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s differs between records from memory and from the files", name)
		}
	}
	if len(fromMemory) != len(fromFiles) {
		t.Errorf("%d files from memory, %d from the files", len(fromMemory), len(fromFiles))
	}
}
