package results

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
	"sync"
	"unsafe"
)

// Build's records without a JSON round trip: the process that ran a run
// holds its records as values, and hands them to Build with the file it
// wrote from them, so that Build reads back only the runs it did not run
// (finished by an earlier invocation, or merged from shards).

// RunRecorder collects one run's records as a job writes them, beside
// their encoding. Attempts are folded per task slot as they come, exactly
// as foldAttempts folds a file's, and kept compactly: the run's header once
// (every attempt of a run repeats it but for the day) and a few numbers per
// slot, so that holding a sweep's records costs a fraction of what Build
// holds once it has them.
type RunRecorder struct {
	checkpoints []Checkpoint
	header      Header // of the run's attempts, but for Day
	attempts    []slotAttempt
	slots       map[attemptSlot]int
	mixed       bool // an attempt's header differed from the first's: keep none
}

type attemptSlot struct{ day, session, slot int }

// slotAttempt is one folded attempt: the first attempt's task, and the
// sums of Success and Score over folded attempts.
type slotAttempt struct {
	day, session, slot, task int32
	folded                   int32
	success, score           float64
}

// Add keeps a copy of rec, a *Checkpoint or an *Attempt (other kinds of
// record are not Build's and are ignored).
func (r *RunRecorder) Add(rec any) {
	switch v := rec.(type) {
	case *Checkpoint:
		r.checkpoints = append(r.checkpoints, *v)
	case *Attempt:
		h := v.Header
		h.Day = 0
		if r.slots == nil {
			r.slots, r.header = map[attemptSlot]int{}, h
		} else if h != r.header {
			r.mixed = true
		}
		k := attemptSlot{v.Day, v.Session, v.Slot}
		if i, ok := r.slots[k]; ok {
			r.attempts[i].success += v.Success
			r.attempts[i].score += v.Score
			r.attempts[i].folded++
			return
		}
		r.slots[k] = len(r.attempts)
		r.attempts = append(r.attempts, slotAttempt{day: int32(v.Day), session: int32(v.Session), slot: int32(v.Slot),
			task: int32(v.Task), folded: 1, success: v.Success, score: v.Score})
	}
}

// Loaded returns the run as Build reads it from data, the record file
// written from the same records (its size and hash tie the two together),
// and empties r. It returns nil if the records cannot be held compactly
// (then Build reads the file).
func (r *RunRecorder) Loaded(data []byte) *LoadedRun {
	defer func() { *r = RunRecorder{} }()
	if r.mixed {
		return nil
	}
	sum := sha256.Sum256(data)
	return &LoadedRun{checkpoints: r.checkpoints, header: r.header, attempts: r.attempts,
		size: int64(len(data)), hash: hex.EncodeToString(sum[:])}
}

// LoadedRun is one run's records as Build uses them (attempts folded per
// task slot), with the size and sha256 of the record file they were
// written to.
type LoadedRun struct {
	checkpoints []Checkpoint
	header      Header
	attempts    []slotAttempt
	size        int64
	hash        string
}

// take hands over the run's records (Build copies them into its own, so
// the run keeps none: memory holds one copy) and its hash.
func (lr *LoadedRun) take() ([]Checkpoint, []Attempt, string) {
	c := lr.checkpoints
	a := make([]Attempt, len(lr.attempts))
	for i, s := range lr.attempts {
		a[i] = Attempt{Header: lr.header, Session: int(s.session), Slot: int(s.slot), Member: -1, Task: int(s.task),
			Success: s.success, Score: s.score, folded: int(s.folded)}
		a[i].Day = int(s.day)
	}
	lr.checkpoints, lr.attempts, lr.size = nil, nil, -1
	return c, a, lr.hash
}

// Hash is the sha256 of the run's record file, as a manifest lists it.
func (lr *LoadedRun) Hash() string { return lr.hash }

// LoadedRuns holds runs in memory by key (BuildOptions.Loaded), up to a
// budget of record memory beyond which further runs are left to be read
// from their files, so that holding them never costs more than a bounded
// amount over reading them back. Build takes the records of each run it
// uses out of it, so that memory holds them once; a later Build reads
// those runs from their files. Add and Len may be called concurrently.
type LoadedRuns struct {
	mu     sync.Mutex
	runs   map[string]*LoadedRun
	bytes  int64
	budget int64
}

// DefaultLoadedBudget is the record memory grind run holds for its output
// phase (1 GiB: about 25 million task slots' folded attempts).
const DefaultLoadedBudget = 1 << 30

// NewLoadedRuns returns an empty set that holds up to budget bytes of
// records.
func NewLoadedRuns(budget int64) *LoadedRuns {
	return &LoadedRuns{runs: map[string]*LoadedRun{}, budget: budget}
}

// Add holds lr as run key's records if the budget allows, and reports
// whether it did.
func (l *LoadedRuns) Add(key string, lr *LoadedRun) bool {
	if lr == nil {
		return false
	}
	n := int64(len(lr.checkpoints))*int64(unsafe.Sizeof(Checkpoint{})) + int64(len(lr.attempts))*int64(unsafe.Sizeof(slotAttempt{}))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bytes+n > l.budget {
		return false
	}
	l.bytes += n
	l.runs[key] = lr
	return true
}

// Len is the number of runs held.
func (l *LoadedRuns) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.runs)
}

// Get returns the run held for key, or nil.
func (l *LoadedRuns) Get(key string) *LoadedRun {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[key]
}

// Clone returns a deep copy (for handing the same runs to several Builds,
// as a benchmark does).
func (l *LoadedRuns) Clone() *LoadedRuns {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &LoadedRuns{runs: make(map[string]*LoadedRun, len(l.runs)), bytes: l.bytes, budget: l.budget}
	for k, lr := range l.runs {
		c.runs[k] = &LoadedRun{checkpoints: slices.Clone(lr.checkpoints), header: lr.header, attempts: slices.Clone(lr.attempts), size: lr.size, hash: lr.hash}
	}
	return c
}

// lookup returns the run held for key if the file at path is the one it
// was written to (same size; the file was written by this process, from
// these records, moments before).
func (l *LoadedRuns) lookup(key, path string) (*LoadedRun, bool) {
	lr := l.Get(key)
	if lr == nil || lr.size < 0 { // none, or taken by an earlier Build
		return nil, false
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() != lr.size {
		return nil, false
	}
	return lr, true
}
