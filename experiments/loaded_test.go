package experiments

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// The output phase built from the records a run holds in memory is the
// one built by reading the files back: same summary, tables and figures
// (SVG, the within-session curves from the folded attempts among them),
// byte for byte. A file that is not the one written (here, another run's) is read
// from disk.
func TestLoadedRecordsBuildAsTheFiles(t *testing.T) {
	exp, err := Parse("bench.toml", []byte(benchConfig), []string{"seeds=2", "job.days=1", "eval.tasks=8", "pretrain.tasks=200"})
	if err != nil {
		t.Fatal(err)
	}
	run := func() (string, *Outcome) {
		dir := t.TempDir()
		res, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Loaded.Len() != len(res.Runs) {
			t.Fatalf("%d runs held in memory, %d ran", res.Loaded.Len(), len(res.Runs))
		}
		for _, r := range res.Runs {
			h, err := results.HashFile(results.RunPath(dir, r.Key))
			if err != nil || h != res.Loaded.Get(r.Key).Hash() {
				t.Fatalf("%s: held hash %s, file %s (%v)", r.Key, res.Loaded.Get(r.Key).Hash(), h, err)
			}
		}
		return dir, res
	}
	build := func(dir string, loaded *results.LoadedRuns) map[string][]byte {
		b, err := results.Build(dir, results.BuildOptions{Loaded: loaded, PlotFormats: []string{".svg"}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		sessions := false
		for _, f := range b.Files {
			sessions = sessions || strings.Contains(f, "session_success")
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, f)
			out[rel] = data
		}
		if !sessions {
			t.Fatal("no within-session figure: the attempts are not compared")
		}
		return out
	}
	same := func(name string, got, want map[string][]byte) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d files, from disk %d", name, len(got), len(want))
		}
		for f, data := range want {
			if !bytes.Equal(got[f], data) {
				t.Errorf("%s: %s differs from the one built from the files", name, f)
			}
		}
	}

	// Held in memory: taken by the first Build, read from disk by the next.
	dir, res := run()
	held := build(dir, res.Loaded)
	same("held", held, build(dir, nil))
	same("taken", build(dir, res.Loaded), held)

	// A run whose file is not the one its records were written to (here,
	// another run's records: a different size) is read from disk.
	dir2, res2 := run()
	wrong := results.NewLoadedRuns(results.DefaultLoadedBudget)
	size := func(key string) int64 {
		st, err := os.Stat(results.RunPath(dir2, key))
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	first := res2.Runs[0].Key
	for _, r := range res2.Runs[1:] {
		if size(r.Key) != size(first) && wrong.Get(first) == nil {
			wrong.Add(first, res2.Loaded.Get(r.Key))
		} else {
			wrong.Add(r.Key, res2.Loaded.Get(r.Key))
		}
	}
	if wrong.Get(first) == nil {
		t.Fatal("every run file has the same size: no mismatch to test")
	}
	same("one mismatched", build(dir2, wrong), held)

	// Over the budget, runs are not held; Build reads them.
	small := results.NewLoadedRuns(1)
	if small.Add(first, res2.Loaded.Get(first)) || small.Len() != 0 {
		t.Fatal("a run over the budget was held")
	}
}
