package results

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fuzzRunKey is the run key of the record file FuzzReadRecords writes.
const fuzzRunKey = "p__a__s0001"

// fuzzRunFile returns a small valid run file: a checkpoint per split at
// days 0 and 1, a few attempts in between, and the end record.
func fuzzRunFile(t testing.TB) []byte {
	t.Helper()
	h := Header{Schema: SchemaVersion, Run: fuzzRunKey, Experiment: "fuzz", Point: "p", Family: "skills", Agent: "a", Seed: 1}
	enc := NewEncoder()
	for day := 0; day <= 1; day++ {
		h.Day = day
		for _, split := range []string{"train", "outspan@0.5"} {
			c := Checkpoint{Header: h, Split: split, Tasks: 8, SuccessGreedy: 0.25 * float64(day+1), ScoreGreedy: 0.5,
				StepAccGreedy: 0.75, SuccessSampled: 0.125, VerdictReward: 1, VerdictCovered: 0.9, Temperature: 1, Attempts: int64(day * 4)}
			c.Kind = KindCheckpoint
			if err := enc.Write(c); err != nil {
				t.Fatal(err)
			}
		}
		if day == 0 {
			for slot, v := range []string{"pass", "fail", "none"} {
				a := Attempt{Header: h, Slot: slot, Task: 3 * slot, Success: 1, Score: 0.5, Verdict: v}
				a.Kind, a.Day = KindAttempt, 1
				if err := enc.Write(a); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	writeEnd(t, enc, h, 4, 3)
	return append([]byte(nil), enc.Bytes()...)
}

// writeEnd closes a run file with its end record.
func writeEnd(t testing.TB, enc *Encoder, h Header, checkpoints, attempts int) {
	t.Helper()
	e := End{Header: h, Checkpoints: checkpoints, Attempts: attempts}
	e.Kind = KindEnd
	if err := enc.Write(e); err != nil {
		t.Fatal(err)
	}
}

// FuzzReadRecords writes arbitrary bytes as the one run file of a results
// folder and reads the folder back. ReadDir must never panic; it either
// fails with an error naming the file, or returns that one run, whose
// records survive being written and read again unchanged.
//
// The seed corpus is a small valid run file, its truncations (every cut a
// killed writer could leave) and a few hand edits. Crashers found by
// `go test -fuzz FuzzReadRecords` land in testdata/fuzz/FuzzReadRecords.
func FuzzReadRecords(f *testing.F) {
	valid := fuzzRunFile(f)
	f.Add(valid)
	for _, n := range []int{0, 1, len(valid) / 3, len(valid) / 2, len(valid) - 1} {
		f.Add(valid[:n])
	}
	for _, edit := range [][2]string{
		{`"schema":1`, `"schema":2`},
		{`"kind":"attempt"`, `"kind":"attempts"`},
		{`"success_greedy":0.25`, `"success_greedy":"0.25"`},
		{`"success_greedy":0.25`, `"success_greedy":1e999`},
		{"\n", "\r\n"},
		{"\n", "\n\n   \n"},
		{`"kind":"end"`, `"kind":"checkpoint"`},
		{`"attempts":3`, `"attempts":4`},
	} {
		f.Add([]byte(strings.Replace(string(valid), edit[0], edit[1], 1)))
	}

	dir := f.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, RunsDir), 0o755); err != nil {
		f.Fatal(err)
	}
	path := plainRun(dir, fuzzRunKey)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		recs, err := ReadDir(dir)
		if err != nil {
			if !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(recs.Runs) != 1 || recs.Runs[0] != fuzzRunKey || len(recs.Hashes[fuzzRunKey]) != 64 {
			t.Fatalf("runs %q, hashes %v", recs.Runs, recs.Hashes)
		}

		// Round trip: what was read, written again, reads back the same.
		enc := NewEncoder()
		for _, c := range recs.Checkpoints {
			if err := enc.Write(c); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
		}
		for _, a := range recs.Attempts {
			if err := enc.Write(a); err != nil {
				t.Fatalf("re-encode: %v", err)
			}
		}
		h := recs.Checkpoints[0].Header
		writeEnd(t, enc, h, len(recs.Checkpoints), len(recs.Attempts))
		if err := os.WriteFile(path, enc.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := ReadDir(dir)
		if err != nil {
			t.Fatalf("re-read of re-encoded records: %v", err)
		}
		if !reflect.DeepEqual(again.Checkpoints, recs.Checkpoints) || !reflect.DeepEqual(again.Attempts, recs.Attempts) {
			t.Fatal("records changed in a write-read round trip")
		}
	})
}

// TestFuzzRunFile checks the fuzz seed itself: it reads back whole, so
// the fuzzer starts from a file that takes the success path.
func TestFuzzRunFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, RunsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plainRun(dir, fuzzRunKey), fuzzRunFile(t), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Checkpoints) != 4 || len(recs.Attempts) != 3 {
		t.Errorf("read %d checkpoints and %d attempts, want 4 and 3", len(recs.Checkpoints), len(recs.Attempts))
	}
}
