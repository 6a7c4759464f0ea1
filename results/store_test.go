package results

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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

func writeRunFile(t *testing.T, dir, key string, data []byte) string {
	t.Helper()
	p := plainRun(dir, key)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// encodeRun writes a small run file of key: a start record, a checkpoint
// per day 0 and 1, an attempt, and the end record; mod may change each
// record before it is written.
func encodeRun(t *testing.T, key string, seed int, mod func(rec any)) []byte {
	t.Helper()
	h := Header{Schema: SchemaVersion, Run: key, Experiment: "e", Config: ConfigID(testConfigHash), Point: "p", Family: "skills", Agent: "a", Seed: seed}
	if mod == nil {
		mod = func(any) {}
	}
	enc := NewEncoder()
	st := &Start{Header: h, ConfigHash: testConfigHash, PretrainFigures: PretrainFigures{PretrainAcc: 0.9, EvaluatedOn: 4}}
	st.Kind = KindStart
	mod(st)
	write := func(rec any) {
		if err := enc.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	write(st)
	for day := range 2 {
		c := &Checkpoint{Header: h, Split: "train", Tasks: 4, SuccessGreedy: 0.25, Temperature: 1}
		c.Kind, c.Day = KindCheckpoint, day
		mod(c)
		write(c)
		if day == 0 {
			a := &Attempt{Header: h, Success: 1, Score: 1, Verdict: "pass"}
			a.Kind, a.Day = KindAttempt, 1
			mod(a)
			write(a)
		}
	}
	if err := enc.End(h); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), enc.Bytes()...)
}

const testConfigHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestReadRunsNamesDamagedFiles: every way a file can be damaged, each
// named with why.
func TestReadRunsNamesDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	good := encodeRun(t, "p__a__s0001", 1, nil)
	// Each damaged file is a good one of its own run, then damaged.
	run := func(key string) (data []byte, lines []string) {
		data = encodeRun(t, key, 0, nil)
		return data, strings.SplitAfter(string(data), "\n")
	}
	damage := func(key string, f func(data []byte, lines []string) []byte) []byte { return f(run(key)) }
	tests := []struct {
		key  string
		data []byte
		want string
	}{
		{"truncated-line", damage("truncated-line", func(b []byte, _ []string) []byte { return b[:len(b)-20] }), "line 5"},
		{"truncated-at-line", damage("truncated-at-line", func(_ []byte, l []string) []byte { return []byte(strings.Join(l[:3], "")) }), "truncated"},
		{"edited-value", damage("edited-value", func(b []byte, _ []string) []byte {
			return []byte(strings.Replace(string(b), `"success_greedy":0.25`, `"success_greedy":0.75`, 1))
		}), "digest"},
		{"edited-count", damage("edited-count", func(_ []byte, l []string) []byte { return []byte(strings.Join(append(l[:2:2], l[1:]...), "")) }), "digest"},
		{"foreign", good, `run "p__a__s0001"`},
		{"old-schema", damage("old-schema", func(b []byte, _ []string) []byte {
			return []byte(strings.Replace(string(b), `"schema":2`, `"schema":1`, 1))
		}), "schema version 1"},
		{"after-end", damage("after-end", func(b []byte, l []string) []byte { return append(slices.Clone(b), l[1]...) }), "after the end record"},
		{"p__a__s0002", encodeRun(t, "p__a__s0002", 2, func(rec any) {
			if c, ok := rec.(*Checkpoint); ok {
				c.SuccessGreedy = 1e308
			}
		}), "success_greedy = 1e+308 is outside [0, 1]"},
		{"p__a__s0003", encodeRun(t, "p__a__s0003", -5, nil), "says seed -5, but the file is run p__a__s0003 of seed 3"},
		{"p__a__s0004", encodeRun(t, "p__a__s0004", 4, func(rec any) {
			if a, ok := rec.(*Attempt); ok {
				a.Config = "fedcba9876543210"
			}
		}), "two configs"},
		{"p__a__s0005", encodeRun(t, "p__a__s0005", 5, func(rec any) {
			if a, ok := rec.(*Attempt); ok {
				a.Verdict = "maybe"
			}
		}), `unknown verdict "maybe"`},
		{"p__a__s0006", encodeRun(t, "p__a__s0006", 6, func(rec any) {
			if s, ok := rec.(*Start); ok {
				s.ConfigHash = "ff" + testConfigHash[2:]
			}
		}), "does not begin with"},
	}
	writeRunFile(t, dir, "p__a__s0001", good)
	for _, tt := range tests {
		writeRunFile(t, dir, tt.key, tt.data)
	}
	r, err := readRuns(dir, readOptions{workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Files are decoded in parallel windows: the same records and the same
	// damage list whatever the worker count.
	for _, w := range []int{2, 3, 16} {
		rw, err := readRuns(dir, readOptions{workers: w})
		if err != nil || !reflect.DeepEqual(rw, r) {
			t.Fatalf("readRuns with %d workers differs from 1 worker (err %v)", w, err)
		}
	}
	if strings.Join(r.Runs, ",") != "p__a__s0001" || len(r.Checkpoints) != 2 {
		t.Fatalf("intact runs %v with %d checkpoints, want only p__a__s0001 with 2", r.Runs, len(r.Checkpoints))
	}
	if len(r.Damaged) != len(tests) {
		t.Fatalf("damaged %v, want %d files", r.Damaged, len(tests))
	}
	for _, tt := range tests {
		i := slices.IndexFunc(r.Damaged, func(d DamagedRun) bool { return d.Key == tt.key })
		if i < 0 {
			t.Errorf("%s: not named damaged", tt.key)
			continue
		}
		if d := r.Damaged[i]; !strings.Contains(d.Err, tt.want) || !strings.HasSuffix(d.Path, d.Key+".jsonl") {
			t.Errorf("damaged %s: %q, want a message containing %q", d.Key, d.Err, tt.want)
		}
	}
	_, err = ReadDir(dir)
	var de *DamagedError
	if !errors.As(err, &de) || len(de.Runs) != len(tests) || !strings.Contains(err.Error(), "truncated-line.jsonl") {
		t.Fatalf("ReadDir: want a DamagedError naming the files, got %v", err)
	}
	if rf, err := VerifyRun(plainRun(dir, "p__a__s0001"), nil); err != nil || rf.Start == nil || rf.Start.PretrainAcc != 0.9 {
		t.Fatalf("VerifyRun of the good file: %+v, %v", rf, err)
	}
}

// TestReadRunsAgainstManifest: with a manifest, a file must be a run it
// plans, of its config, experiment, point and agent, with the content
// hash it recorded; a run recorded as done must have its file.
func TestReadRunsAgainstManifest(t *testing.T) {
	keys := []string{"p__a__s0001", "p__a__s0002", "p__a__s0003", "p__a__s0004", "p__a__s0005"}
	tests := map[string]struct {
		mod   func(*RunEntry) // the manifest's entry of the run
		write bool
		want  string // "" for intact
	}{
		"p__a__s0001": {func(*RunEntry) {}, true, ""},
		"p__a__s0002": {func(e *RunEntry) { e.Hash = strings.Repeat("0", 64) }, true, "differs from the 000000000000 manifest.json recorded"},
		"p__a__s0003": {func(e *RunEntry) { e.Agent = "b" }, true, `the folder plans point "p" and agent "b"`},
		"p__a__s0004": {func(*RunEntry) {}, false, "records this run as done, but its record file is missing"},
		"p__a__s0005": {func(*RunEntry) {}, true, "of another config or experiment"},
		"unplanned":   {nil, true, "not a run of this folder"},
	}
	for _, other := range []string{"config", "experiment"} {
		t.Run(other, func(t *testing.T) {
			dir := t.TempDir()
			m := &Manifest{Schema: SchemaVersion, Experiment: "e", ConfigHash: testConfigHash}
			// Run 5 is of another config or experiment than the folder.
			otherHash := "ff" + testConfigHash[2:]
			wantOther := "a file from another config"
			if other == "experiment" {
				wantOther = `the folder's experiment is "e"`
			}
			otherRun := func(rec any) {
				var h *Header
				switch r := rec.(type) {
				case *Start:
					h = &r.Header
					if other == "config" {
						r.ConfigHash = otherHash
					}
				case *Checkpoint:
					h = &r.Header
				case *Attempt:
					h = &r.Header
				}
				if other == "config" {
					h.Config = ConfigID(otherHash)
				} else {
					h.Experiment = "f"
				}
			}
			for i, k := range keys {
				var mod func(any)
				if k == "p__a__s0005" {
					mod = otherRun
				}
				data := encodeRun(t, k, i+1, mod)
				e := RunEntry{Key: k, Point: "p", Agent: "a", Seed: i + 1, Status: StatusDone}
				if tt := tests[k]; tt.write {
					writeRunFile(t, dir, k, data)
					e.Hash, _ = HashFile(plainRun(dir, k))
					tt.mod(&e)
				}
				m.Runs = append(m.Runs, e)
			}
			writeRunFile(t, dir, "unplanned", encodeRun(t, "unplanned", 0, nil))
			if err := WriteJSONAtomic(filepath.Join(dir, ManifestFile), m); err != nil {
				t.Fatal(err)
			}
			r, err := readRuns(dir, readOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(r.Runs, ",") != "p__a__s0001" {
				t.Errorf("intact runs %v, want p__a__s0001", r.Runs)
			}
			for _, d := range r.Damaged {
				want := tests[d.Key].want
				if d.Key == "p__a__s0005" {
					want = wantOther
				}
				if !strings.Contains(d.Err, want) {
					t.Errorf("damaged %s: %q, want a message containing %q", d.Key, d.Err, want)
				}
			}
			if len(r.Damaged) != 5 {
				t.Errorf("damaged %v, want 5 files", r.Damaged)
			}
		})
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
