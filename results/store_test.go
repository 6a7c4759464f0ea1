package results

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// fullDisk is a temporary file on a disk that fills up after limit bytes.
type fullDisk struct {
	*os.File
	limit int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.File.Write(p[:f.limit])
		f.limit = 0
		return n, syscall.ENOSPC
	}
	f.limit -= len(p)
	return f.File.Write(p)
}

func TestWriteFileAtomicOnFullDisk(t *testing.T) {
	dir := t.TempDir()
	old := createTemp
	defer func() { createTemp = old }()
	createTemp = func(dir, pattern string) (tempFile, error) {
		f, err := os.CreateTemp(dir, pattern)
		return &fullDisk{File: f, limit: 10}, err
	}
	path := filepath.Join(dir, "run.jsonl")
	err := WriteFileAtomic(path, []byte(strings.Repeat("x", 100)))
	if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
		t.Fatalf("want an ENOSPC error naming %s, got %v", path, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("a failed write left %d files behind (%s): a file must be complete or absent", len(entries), entries[0].Name())
	}
}

func TestWriteFileAtomicUnwritableFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-folder")
	os.WriteFile(file, nil, 0o644)
	path := filepath.Join(file, "run.jsonl")
	if err := WriteFileAtomic(path, []byte("x")); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want an error naming %s, got %v", path, err)
	}
}

func writeRunFile(t *testing.T, dir, key string, lines ...string) string {
	t.Helper()
	p := RunPath(dir, key)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadRunsNamesDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	cp := func(run string) string {
		return `{"schema":1,"kind":"checkpoint","run":"` + run + `","agent":"a","seed":0,"day":0,"split":"train","tasks":4,"success_greedy":0.5}`
	}
	end := func(run string, c, a int) string {
		return `{"schema":1,"kind":"end","run":"` + run + `","checkpoints":` + string(rune('0'+c)) + `,"attempts":` + string(rune('0'+a)) + `}`
	}
	writeRunFile(t, dir, "good", cp("good"), end("good", 1, 0))
	writeRunFile(t, dir, "truncated-line", cp("truncated-line"), `{"schema":1,"kind":"chec`)
	writeRunFile(t, dir, "truncated-at-line", cp("truncated-at-line"))
	writeRunFile(t, dir, "edited-count", cp("edited-count"), cp("edited-count"), end("edited-count", 1, 0))
	writeRunFile(t, dir, "foreign", cp("other"), end("foreign", 1, 0))
	writeRunFile(t, dir, "old-schema", strings.Replace(cp("old-schema"), `"schema":1`, `"schema":0`, 1), end("old-schema", 1, 0))
	writeRunFile(t, dir, "after-end", cp("after-end"), end("after-end", 1, 0), cp("after-end"))

	r, err := readRuns(dir, readOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Runs, ",") != "good" || len(r.Checkpoints) != 1 {
		t.Fatalf("intact runs %v with %d checkpoints, want only good with 1", r.Runs, len(r.Checkpoints))
	}
	want := map[string]string{
		"truncated-line":    "line 2",
		"truncated-at-line": "truncated",
		"edited-count":      "counts 1 checkpoint",
		"foreign":           `run "other"`,
		"old-schema":        "schema version 0",
		"after-end":         "after the end record",
	}
	if len(r.Damaged) != len(want) {
		t.Fatalf("damaged %v, want %d files", r.Damaged, len(want))
	}
	for _, d := range r.Damaged {
		if !strings.Contains(d.Err, want[d.Key]) || !strings.HasSuffix(d.Path, d.Key+".jsonl") {
			t.Errorf("damaged %s: %q, want a message containing %q", d.Key, d.Err, want[d.Key])
		}
	}
	_, err = ReadDir(dir)
	var de *DamagedError
	if !errors.As(err, &de) || len(de.Runs) != len(want) || !strings.Contains(err.Error(), "truncated-line.jsonl") {
		t.Fatalf("ReadDir: want a DamagedError naming the files, got %v", err)
	}
}

// Folding attempts per slot keeps the within-session summary bit for bit.
func TestFoldedAttemptsSummarizeTheSame(t *testing.T) {
	var atts []Attempt
	for seed := 0; seed < 4; seed++ {
		for day := 1; day <= 2; day++ {
			for slot := 0; slot < 10; slot++ {
				for m := 0; m < 3; m++ {
					s := float64((seed*7 + day*3 + slot*5 + m) % 3 / 2) // a 0/1 pattern
					atts = append(atts, Attempt{Header: Header{Schema: 1, Kind: KindAttempt, Run: "r", Point: "default", Agent: "a", Seed: seed, Day: day},
						Slot: slot, Member: m, Success: s, Score: s / 2, Verdict: "pass"})
				}
			}
		}
	}
	var folded []Attempt
	for seed := 0; seed < 4; seed++ {
		var run []Attempt
		for _, a := range atts {
			if a.Seed == seed {
				run = append(run, a)
			}
		}
		folded = append(folded, foldAttempts(run)...)
	}
	if len(folded) != len(atts)/3 {
		t.Fatalf("folded %d attempts into %d, want %d", len(atts), len(folded), len(atts)/3)
	}
	opt := summaryOptions{Resamples: 200, Seed: 3}
	a, b := summarizeAttempts(atts, opt, 2), summarizeAttempts(folded, opt, 2)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the session summary of folded attempts differs from the raw one")
	}
}
