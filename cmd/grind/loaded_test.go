package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// TestRunOutputsFromMemory: grind run's output phase takes every run it
// just ran from memory instead of reading back its compressed file, and
// writes byte for byte what grind report writes from the files.
func TestRunOutputsFromMemory(t *testing.T) {
	var built []*results.Built
	outputsBuilt = func(b *results.Built) { built = append(built, b) }
	defer func() { outputsBuilt = nil }()
	cfg := filepath.Join(t.TempDir(), "tiny.toml")
	if err := os.WriteFile(cfg, []byte(reportTestConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := cliRun(t, "run", cfg, "--quiet", "--out", dir, "--plots", "svg"); code != 0 {
		t.Fatalf("grind run: exit %d: %s", code, stderr)
	}
	const runs = 6 // 3 seeds x 2 agents
	if len(built) != 1 || built[0].FromMemory != runs {
		t.Fatalf("the output phase took %d of %d runs from memory, want all", built[0].FromMemory, runs)
	}
	fromMemory := outputsOf(t, dir)
	if code, _, stderr := cliRun(t, "report", dir, "--quiet", "--plots", "svg"); code != 0 {
		t.Fatalf("grind report: exit %d: %s", code, stderr)
	}
	if len(built) != 2 || built[1].FromMemory != 0 {
		t.Fatalf("grind report took runs from memory: %+v", built)
	}
	fromFiles := outputsOf(t, dir)
	if len(fromMemory) != len(fromFiles) || len(fromFiles) < 10 {
		t.Errorf("%d output files from memory, %d from the files", len(fromMemory), len(fromFiles))
	}
	for name, want := range fromFiles {
		if !bytes.Equal(fromMemory[name], want) {
			t.Errorf("%s: differs between records from memory and from the files", name)
		}
	}
}

// outputsOf reads the files of results folder dir that the output step
// writes (all but the records, the manifest and hidden files).
func outputsOf(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir() && rel == results.RunsDir:
			return filepath.SkipDir
		case d.IsDir() || rel == results.ManifestFile || strings.HasPrefix(d.Name(), "."):
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
