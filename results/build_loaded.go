package results

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"
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
	start       *Start
	checkpoints []Checkpoint
	header      Header // of the run's attempts, but for Day
	attempts    []slotAttempt
	clocked     []slotClock // beside attempts, once an attempt has a time or step verdicts
	slots       map[attemptSlot]int
	last        int // index in attempts of the last slot added (a group's attempts come together)
	// off: the records cannot be held so that Build gets from them exactly
	// what it would decode from the file (an attempt's header differs from
	// the first's, a string JSON would change, a value out of range or of
	// the compact form's size): keep none, Build reads the file.
	off bool
}

type attemptSlot struct{ day, session, slot int }

// slotAttempt is one folded attempt: the first attempt's task, phase and
// retry, and the sums of Success and Score over folded attempts.
type slotAttempt struct {
	day, session, slot, task int32
	phase, retry, folded     int32
	success, score           float64
}

// slotClock is the first attempt's time and step verdicts, kept only for
// clocked jobs' records.
type slotClock struct {
	time         float64
	stepVerdicts string
}

// Add keeps a copy of rec, a Start, Checkpoint or Attempt, or a pointer to
// one (other records are not Build's and are ignored).
func (r *RunRecorder) Add(rec any) {
	if r.off {
		return
	}
	switch v := rec.(type) {
	case *Start:
		s := *v
		r.start = &s
	case Start:
		r.start = &v
	case *Checkpoint:
		r.addCheckpoint(v)
	case Checkpoint:
		r.addCheckpoint(&v)
	case *Attempt:
		r.addAttempt(v)
	case Attempt:
		r.addAttempt(&v)
	}
}

// addCheckpoint keeps a deep copy of c as decoding its line would give it
// back: the writer may reuse c's slices, and omitempty drops empty slices
// and a zero time (-0 included).
func (r *RunRecorder) addCheckpoint(c *Checkpoint) {
	v := *c
	v.PassAtK = cloneNonEmpty(v.PassAtK)
	v.L2Terms = cloneNonEmpty(v.L2Terms)
	for _, p := range []**float64{&v.DreamReward, &v.DreamSuccess, &v.DreamDisagreement, &v.Coverage,
		&v.KLBaseCurrent, &v.KLCurrentBase, &v.KLBaseCurrentJob, &v.KLCurrentBaseJob, &v.L2FromBase, &v.L2Shared, &v.L2Memorizing} {
		if *p != nil {
			x := **p
			*p = &x
		}
	}
	if v.Time == 0 {
		v.Time = 0
	}
	if !validUTF8(&v.Header) || !utf8.ValidString(v.Split) {
		r.off = true
		return
	}
	for _, t := range v.L2Terms {
		if !utf8.ValidString(t.Term) || !utf8.ValidString(t.Role) {
			r.off = true
			return
		}
	}
	r.checkpoints = append(r.checkpoints, v)
}

// exact returns s in a slice of its length (nil if empty).
func exact[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	c := make(S, len(s))
	copy(c, s)
	return c
}

func cloneNonEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// validUTF8 reports whether h's strings survive JSON unchanged (it
// replaces invalid UTF-8).
func validUTF8(h *Header) bool {
	for _, s := range []string{h.Kind, h.Run, h.Experiment, h.Config, h.Point, h.Family, h.Agent} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func (r *RunRecorder) addAttempt(v *Attempt) {
	h := v.Header
	h.Day = 0
	if r.slots == nil {
		if !validUTF8(&h) {
			r.off = true
			return
		}
		r.slots, r.header, r.last = map[attemptSlot]int{}, h, -1
	} else if h != r.header {
		r.off = true
		return
	}
	// An attempt the reader would refuse leaves the file to it, which
	// names the damage.
	if v.check() != nil || !utf8.ValidString(v.StepVerdicts) || !fitsInt32(v.Day, v.Session, v.Slot, v.Task, v.Phase, v.Retry) {
		r.off = true
		return
	}
	k := attemptSlot{v.Day, v.Session, v.Slot}
	i, ok := r.last, false
	if i >= 0 {
		s := &r.attempts[i]
		ok = int(s.day) == k.day && int(s.session) == k.session && int(s.slot) == k.slot
	}
	if !ok {
		i, ok = r.slots[k]
	}
	if ok {
		s := &r.attempts[i]
		s.success += v.Success
		s.score += v.Score
		s.folded++
		r.last = i
		return
	}
	r.last = len(r.attempts)
	r.slots[k] = r.last
	r.attempts = append(r.attempts, slotAttempt{day: int32(v.Day), session: int32(v.Session), slot: int32(v.Slot),
		task: int32(v.Task), phase: int32(v.Phase), retry: int32(v.Retry), folded: 1,
		success: v.Success, score: v.Score})
	if (v.Time != 0 || v.StepVerdicts != "") && r.clocked == nil {
		r.clocked = make([]slotClock, r.last, cap(r.attempts))
	}
	if r.clocked != nil {
		t := v.Time
		if t == 0 {
			t = 0 // omitempty writes no -0
		}
		r.clocked = append(r.clocked, slotClock{t, v.StepVerdicts})
	}
}

func fitsInt32(xs ...int) bool {
	for _, x := range xs {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return false
		}
	}
	return true
}

// loaded returns the run as Build reads it from its record file: lines is
// the sha256 of the file's JSON lines (the content hash a manifest
// records), file that of the file's bytes as written and size their
// number. It empties r, and returns nil if the records cannot be held (then
// Build reads the file).
func (r *RunRecorder) loaded(lines, file string, size int64) *LoadedRun {
	defer func() { *r = RunRecorder{} }()
	if r.off || len(r.checkpoints) == 0 {
		return nil
	}
	// Held until Build takes them: no spare capacity.
	return &LoadedRun{start: r.start, checkpoints: exact(r.checkpoints), header: r.header, attempts: exact(r.attempts),
		clocked: exact(r.clocked), hash: lines, fileHash: file, size: size}
}

// LoadedRun is one run's records as Build uses them (attempts folded per
// task slot), with the content hash of its JSON lines and the size and
// sha256 of the record file they were written to.
type LoadedRun struct {
	start       *Start
	checkpoints []Checkpoint
	header      Header
	attempts    []slotAttempt
	clocked     []slotClock // nil, or one per attempt
	hash        string      // sha256 of the JSON lines
	fileHash    string      // sha256 of the file's bytes (compressed or not)
	size        int64       // the file's size; -1 once taken
}

// take hands over the run's records (Build copies them into its own, so
// the run keeps none: memory holds one copy) and its hash.
func (lr *LoadedRun) take() ([]Checkpoint, []Attempt, string) {
	c := lr.checkpoints
	a := make([]Attempt, len(lr.attempts))
	for i, s := range lr.attempts {
		a[i] = Attempt{Header: lr.header, Session: int(s.session), Slot: int(s.slot), Member: -1, Task: int(s.task),
			Success: s.success, Score: s.score, Phase: int(s.phase), Retry: int(s.retry), folded: int(s.folded)}
		a[i].Day = int(s.day)
		if lr.clocked != nil {
			a[i].Time, a[i].StepVerdicts = lr.clocked[i].time, lr.clocked[i].stepVerdicts
		}
	}
	lr.start, lr.checkpoints, lr.attempts, lr.clocked, lr.size = nil, nil, nil, nil, -1
	return c, a, lr.hash
}

// Hash is the sha256 of the run's record file's JSON lines, as a manifest
// lists it.
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
	taken  atomic.Int64
}

// DefaultLoadedBudget is the record memory grind run holds for its output
// phase (1 GiB: about 13 million task slots' folded attempts).
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
	n := int64(len(lr.checkpoints))*int64(unsafe.Sizeof(Checkpoint{})) + int64(len(lr.attempts))*int64(unsafe.Sizeof(slotAttempt{})) +
		int64(len(lr.clocked))*int64(unsafe.Sizeof(slotClock{}))
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

// Taken is the number of runs Builds have taken from l instead of reading
// their files.
func (l *LoadedRuns) Taken() int {
	if l == nil {
		return 0
	}
	return int(l.taken.Load())
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
// as a benchmark does). A nil l clones to nil.
func (l *LoadedRuns) Clone() *LoadedRuns {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &LoadedRuns{runs: make(map[string]*LoadedRun, len(l.runs)), bytes: l.bytes, budget: l.budget}
	for k, lr := range l.runs {
		d := *lr
		d.checkpoints, d.attempts, d.clocked = slices.Clone(lr.checkpoints), slices.Clone(lr.attempts), slices.Clone(lr.clocked)
		c.runs[k] = &d
	}
	return c
}

// lookup returns the run held for key if the file at path is the one it
// was written to, byte for byte (its sha256 is the one its encoder
// computed), and reading that file would give its records (it is the
// run's, with the content hash and headers want expects): an altered
// file, or one the reader would refuse, is left to the reader. Hashing
// the file costs a small fraction of decompressing and decoding it.
func (l *LoadedRuns) lookup(key, path string, want *Expect) (*LoadedRun, bool) {
	lr := l.Get(key)
	if lr == nil || lr.size < 0 { // none, or taken by an earlier Build
		return nil, false
	}
	if want != nil && want.Hash != "" && want.Hash != lr.hash {
		return nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() != lr.size {
		return nil, false
	}
	sum := sha256.New()
	if n, err := io.Copy(sum, f); err != nil || n != lr.size || hex.EncodeToString(sum.Sum(nil)) != lr.fileHash {
		return nil, false
	}
	if lr.checkRecords(key, want) != nil {
		return nil, false
	}
	return lr, true
}

// checkRecords checks lr's records as decodeRun checks a file's (the
// attempts' own values were checked as they were recorded).
func (lr *LoadedRun) checkRecords(key string, want *Expect) error {
	hc := newHeaderCheck(key, want)
	if lr.start != nil {
		if err := checkKind(&lr.start.Header, KindStart); err != nil {
			return err
		}
		if err := hc.checkStart(lr.start); err != nil {
			return err
		}
	}
	for i := range lr.checkpoints {
		c := &lr.checkpoints[i]
		if err := checkKind(&c.Header, KindCheckpoint); err != nil {
			return err
		}
		if err := hc.check(&c.Header); err != nil {
			return err
		}
		if err := c.check(); err != nil {
			return err
		}
	}
	if len(lr.attempts) > 0 {
		if err := checkKind(&lr.header, KindAttempt); err != nil {
			return err
		}
		return hc.check(&lr.header)
	}
	return nil
}

// checkKind checks what decodeLine checks of a record's header before its
// kind's own checks: this schema version, and its kind.
func checkKind(h *Header, kind string) error {
	if h.Schema != SchemaVersion || h.Kind != kind {
		return fmt.Errorf("a %q record of schema %d where a %q record of schema %d was written", h.Kind, h.Schema, kind, SchemaVersion)
	}
	return nil
}
