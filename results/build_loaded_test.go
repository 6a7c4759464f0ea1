package results

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeKeptRun writes run key of seed as grind run does (CreateRun, a
// compressed file, records kept by Keep), with every optional field a
// record can carry, and returns the records kept.
func writeKeptRun(t *testing.T, dir, key string, seed int) *LoadedRun {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, RunsDir), 0o755)
	enc, err := CreateRun(RunPath(dir, key))
	if err != nil {
		t.Fatal(err)
	}
	enc.Keep()
	h := Header{Schema: SchemaVersion, Run: key, Experiment: "e", Config: ConfigID(testConfigHash), Point: "p", Family: "skills", Agent: "a", Seed: seed}
	write := func(rec any) {
		if err := enc.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	st := &Start{Header: h, ConfigHash: testConfigHash, PretrainFigures: PretrainFigures{PretrainAcc: 0.9, EvaluatedOn: 4}}
	st.Kind = KindStart
	write(st)
	x := 0.3
	passk := []PassAtK{{1, 0.25}, {2, 0.5}}
	terms := []TermDistance{{"bilinear:desc", "shared", 0.1}}
	for day := range 3 {
		c := &Checkpoint{Header: h, Split: "train", Tasks: 4, SuccessGreedy: float64(day+seed) / 8, Temperature: 1,
			Phase: day, PassKSamples: 2, PassAtK: passk, Coverage: &x, L2Terms: terms, DreamReward: &x, Time: float64(day) * 1.5}
		c.Kind, c.Day = KindCheckpoint, day
		if day == 0 {
			c.PassAtK, c.L2Terms = []PassAtK{}, []TermDistance{} // empty, not nil: the file has none
		}
		write(c)
		// The writer reuses its buffers: the recorder must have copied.
		passk[0].Value, terms[0].L2, x = passk[0].Value+0.125, terms[0].L2+1, x/2
		if day == 2 {
			break
		}
		a := &Attempt{Header: h}
		a.Kind, a.Day = KindAttempt, day+1
		for slot := range 3 {
			for member := range 2 {
				a.Session, a.Slot, a.Member, a.Task = day%2, slot, member, 7*slot+seed
				a.Success, a.Score, a.Verdict = float64((slot+member+seed)%2), 0.25*float64(member+1), "pass"
				// The first slot has neither time nor step verdicts.
				a.Phase, a.Retry, a.Time, a.StepVerdicts = day+1, slot+member, float64(slot)/2, "pf"[member:member+1]
				if slot == 0 {
					a.StepVerdicts = ""
				}
				write(a)
			}
		}
	}
	if err := enc.End(h); err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Commit(); err != nil {
		t.Fatal(err)
	}
	lr := enc.Loaded()
	if lr == nil {
		t.Fatal("Loaded is nil after Commit of a Keep encoder")
	}
	return lr
}

// TestLoadedRunsAsRead: records taken from memory are the records the
// file decodes to, field for field.
func TestLoadedRunsAsRead(t *testing.T) {
	dir := t.TempDir()
	loaded := NewLoadedRuns(DefaultLoadedBudget)
	keys := []string{"p__a__s0001", "p__a__s0002"}
	for i, k := range keys {
		loaded.Add(k, writeKeptRun(t, dir, k, i+1))
	}
	files, err := readRuns(dir, readOptions{foldAttempts: true})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := readRuns(dir, readOptions{foldAttempts: true, loaded: loaded})
	if err != nil {
		t.Fatal(err)
	}
	if mem.FromMemory != 2 || loaded.Taken() != 2 || files.FromMemory != 0 {
		t.Fatalf("runs from memory: %d (Taken %d), want 2; reading the files: %d", mem.FromMemory, loaded.Taken(), files.FromMemory)
	}
	if len(files.Checkpoints) != 6 || len(files.Attempts) != 12 || len(files.Damaged) > 0 {
		t.Fatalf("read %d checkpoints, %d folded attempts, damaged %v", len(files.Checkpoints), len(files.Attempts), files.Damaged)
	}
	mem.FromMemory = 0
	if !reflect.DeepEqual(mem, files) {
		t.Errorf("records from memory differ from the files':\nmemory %+v\nfiles  %+v", mem, files)
	}
	// Taken: the next read decodes the files.
	again, err := readRuns(dir, readOptions{foldAttempts: true, loaded: loaded})
	if err != nil || again.FromMemory != 0 {
		t.Fatalf("a second read took %d runs from memory (%v)", again.FromMemory, err)
	}
}

// TestLoadedRunsTrustNoAlteredFile: a run whose file is no longer the one
// written, byte for byte, or that the reader would refuse, is read from its
// file: reading with the records in memory gives what reading without
// them gives, damage included.
func TestLoadedRunsTrustNoAlteredFile(t *testing.T) {
	const key = "p__a__s0001"
	reencode := func(t *testing.T, p string, edit func([]byte) []byte) {
		lines, err := ReadRunLines(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteRunLines(p, edit(lines)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		alter   func(t *testing.T, dir string)
		damaged string // "" if the file is intact, "*" for any damage
	}{
		{"a byte flipped (same size)", func(t *testing.T, dir string) {
			p := RunPath(dir, key)
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x40
			os.WriteFile(p, b, 0o644)
		}, "*"},
		{"a value edited", func(t *testing.T, dir string) {
			reencode(t, RunPath(dir, key), func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"success":1,`), []byte(`"success":0,`), 1)
			})
		}, "digest"},
		{"the same lines compressed otherwise", func(t *testing.T, dir string) {
			p := RunPath(dir, key)
			lines, err := ReadRunLines(p)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			zw.Write(lines)
			zw.Close()
			os.WriteFile(p, buf.Bytes(), 0o644)
		}, ""},
		{"the manifest records another content hash", func(t *testing.T, dir string) {
			writeManifestOf(t, dir, key, strings.Repeat("0", 64))
		}, "differs from the 000000000000 manifest.json recorded"},
		{"the manifest plans another agent", func(t *testing.T, dir string) {
			h, _ := HashFile(RunPath(dir, key))
			m := manifestOf(key, h)
			m.Runs[0].Agent = "b"
			if err := WriteJSONAtomic(filepath.Join(dir, ManifestFile), m); err != nil {
				t.Fatal(err)
			}
		}, `the folder plans point "p" and agent "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			lr := writeKeptRun(t, dir, key, 1)
			tt.alter(t, dir)
			files, err := readRuns(dir, readOptions{foldAttempts: true})
			if err != nil {
				t.Fatal(err)
			}
			loaded := NewLoadedRuns(DefaultLoadedBudget)
			loaded.Add(key, lr)
			mem, err := readRuns(dir, readOptions{foldAttempts: true, loaded: loaded})
			if err != nil {
				t.Fatal(err)
			}
			if mem.FromMemory != 0 || loaded.Taken() != 0 {
				t.Fatalf("the altered run was taken from memory")
			}
			if !reflect.DeepEqual(mem, files) {
				t.Errorf("reading with the records in memory differs from reading without")
			}
			switch {
			case tt.damaged == "" && len(files.Damaged) > 0:
				t.Errorf("damaged %v, want the file intact", files.Damaged)
			case tt.damaged != "" && (len(files.Damaged) != 1 || tt.damaged != "*" && !strings.Contains(files.Damaged[0].Err, tt.damaged)):
				t.Errorf("damaged %v, want one naming %q", files.Damaged, tt.damaged)
			}
		})
	}
}

func manifestOf(key, hash string) *Manifest {
	return &Manifest{Schema: SchemaVersion, Experiment: "e", ConfigHash: testConfigHash,
		Runs: []RunEntry{{Key: key, Point: "p", Agent: "a", Seed: 1, Status: StatusDone, Hash: hash}}}
}

func writeManifestOf(t *testing.T, dir, key, hash string) {
	t.Helper()
	if err := WriteJSONAtomic(filepath.Join(dir, ManifestFile), manifestOf(key, hash)); err != nil {
		t.Fatal(err)
	}
}
