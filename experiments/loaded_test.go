package experiments

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// The output phase built from the records a run holds in memory is the
// one built by reading the files back: same summary and tables, byte for
// byte. A file that is not the one written (here, another run's) is read
// from disk.
func TestLoadedRecordsBuildAsTheFiles(t *testing.T) {
	exp, err := Parse("bench.toml", []byte(benchConfig), []string{"seeds=2", "job.days=1", "eval.tasks=8", "pretrain.tasks=200"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Loaded) != len(res.Runs) {
		t.Fatalf("%d runs held in memory, %d ran", len(res.Loaded), len(res.Runs))
	}
	for _, r := range res.Runs {
		h, err := results.HashFile(results.RunPath(dir, r.Key))
		if err != nil || h != res.Loaded[r.Key].Hash() {
			t.Fatalf("%s: held hash %s, file %s (%v)", r.Key, res.Loaded[r.Key].Hash(), h, err)
		}
	}
	build := func(loaded results.LoadedRuns) map[string][]byte {
		b, err := results.Build(dir, results.BuildOptions{Loaded: loaded, PlotFormats: []string{".svg"}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, f := range b.Files {
			if ext := filepath.Ext(f); ext == ".svg" {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[f] = data
		}
		return out
	}
	fromDisk := build(nil)
	wrong := results.LoadedRuns{}
	for k, v := range res.Loaded {
		wrong[k] = v
	}
	wrong[res.Runs[0].Key] = res.Loaded[res.Runs[1].Key] // a different file size: read from disk
	for name, loaded := range map[string]results.LoadedRuns{"held": res.Loaded, "one mismatched": wrong} {
		got := build(loaded)
		if len(got) != len(fromDisk) {
			t.Fatalf("%s: %d files, from disk %d", name, len(got), len(fromDisk))
		}
		for f, data := range fromDisk {
			if !bytes.Equal(got[f], data) {
				t.Errorf("%s: %s differs from the one built from the files", name, f)
			}
		}
	}
}
