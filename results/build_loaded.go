package results

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
)

// Build's records without a JSON round trip: the process that ran a run
// holds its records as values, and hands them to Build with the file it
// wrote from them, so that Build reads back only the runs it did not run
// (finished by an earlier invocation, or merged from shards).

// RunRecorder collects one run's records as a job writes them, beside
// their encoding.
type RunRecorder struct {
	checkpoints []Checkpoint
	attempts    []Attempt // folded as they come, as foldAttempts folds them
	slots       map[attemptSlot]int
}

type attemptSlot struct{ day, session, slot int }

// Add keeps a copy of rec, a *Checkpoint or an *Attempt (other kinds of
// record are not Build's and are ignored). Attempts are folded per task
// slot as they come, exactly as foldAttempts folds a file's.
func (r *RunRecorder) Add(rec any) {
	switch v := rec.(type) {
	case *Checkpoint:
		r.checkpoints = append(r.checkpoints, *v)
	case *Attempt:
		if r.slots == nil {
			r.slots = map[attemptSlot]int{}
		}
		k := attemptSlot{v.Day, v.Session, v.Slot}
		if i, ok := r.slots[k]; ok {
			r.attempts[i].Success += v.Success
			r.attempts[i].Score += v.Score
			r.attempts[i].folded++
			return
		}
		r.slots[k] = len(r.attempts)
		a := *v
		a.Member, a.Verdict, a.folded = -1, "", 1
		r.attempts = append(r.attempts, a)
	}
}

// Loaded returns the run as Build reads it from data, the record file
// written from the same records (its size and hash tie the two together),
// and empties r.
func (r *RunRecorder) Loaded(data []byte) *LoadedRun {
	sum := sha256.Sum256(data)
	lr := &LoadedRun{checkpoints: r.checkpoints, attempts: r.attempts,
		size: int64(len(data)), hash: hex.EncodeToString(sum[:])}
	r.checkpoints, r.attempts, r.slots = nil, nil, nil
	return lr
}

// LoadedRun is one run's records as Build uses them (attempts folded per
// task slot), with the size and sha256 of the record file they were
// written to.
type LoadedRun struct {
	checkpoints []Checkpoint
	attempts    []Attempt
	size        int64
	hash        string
}

// Hash is the sha256 of the run's record file, as a manifest lists it.
func (lr *LoadedRun) Hash() string { return lr.hash }

// LoadedRuns maps run keys to runs held in memory (BuildOptions.Loaded).
type LoadedRuns map[string]*LoadedRun

// lookup returns the run held for key if the file at path is the one it
// was written to (same size; the file was written by this process, from
// these records, moments before).
func (l LoadedRuns) lookup(key, path string) (*LoadedRun, bool) {
	lr := l[key]
	if lr == nil {
		return nil, false
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() != lr.size {
		return nil, false
	}
	return lr, true
}
