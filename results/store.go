package results

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// RunsDir is the folder of per-run record files inside a results folder.
const RunsDir = "runs"

// RunPath is the record file of run key inside results folder dir.
func RunPath(dir, key string) string {
	return filepath.Join(dir, RunsDir, key+".jsonl")
}

// tempFile is the part of *os.File that WriteFileAtomic uses; tests swap
// createTemp for one that fails like a full disk.
type tempFile interface {
	Write([]byte) (int, error)
	Sync() error
	Close() error
	Name() string
}

var createTemp = func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }

// WriteFileAtomic writes data to path so that path is only ever absent or
// complete: it writes a temporary file in the same folder, syncs it, and
// renames it into place.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := createTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil { // CreateTemp makes 0600: results are for sharing
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteJSONAtomic writes v as indented JSON, atomically.
func WriteJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// Encoder writes records as JSON lines into a buffer and counts them, so
// that End can close a run with counts the reader checks.
type Encoder struct {
	buf                   bytes.Buffer
	enc                   *json.Encoder
	checkpoints, attempts int
}

// NewEncoder returns an empty record encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}

// Write appends one record.
func (e *Encoder) Write(rec any) error {
	switch rec.(type) {
	case *Checkpoint, Checkpoint:
		e.checkpoints++
	case *Attempt, Attempt:
		e.attempts++
	}
	return e.enc.Encode(rec)
}

// End appends the end record of run h, counting the records written so far.
func (e *Encoder) End(h Header) error {
	h.Kind = KindEnd
	return e.enc.Encode(&End{Header: h, Checkpoints: e.checkpoints, Attempts: e.attempts})
}

// Bytes returns everything written so far.
func (e *Encoder) Bytes() []byte { return e.buf.Bytes() }

// Records is everything read back from a results folder, in a fixed order:
// runs sorted by key, records in file order.
type Records struct {
	Checkpoints []Checkpoint
	Attempts    []Attempt
	Runs        []string          // run keys of intact files, sorted
	Hashes      map[string]string // run key -> sha256 of its record file
	Damaged     []DamagedRun      // files that could not be read, sorted by key

	end *End // the end record while decoding one file
}

// DamagedRun is a record file that could not be read back: truncated,
// edited by hand, or of another schema version.
type DamagedRun struct {
	Key  string `json:"key"`
	Path string `json:"path"`
	Err  string `json:"error"`
}

// DamagedError names every damaged record file of a folder.
type DamagedError struct{ Runs []DamagedRun }

func (e *DamagedError) Error() string {
	parts := make([]string, len(e.Runs))
	for i, d := range e.Runs {
		parts[i] = d.Path + ": " + d.Err
	}
	return fmt.Sprintf("%d damaged record files: %s", len(e.Runs), strings.Join(parts, "; "))
}

// ReadDir reads every run file of results folder dir. A damaged file is an
// error (a *DamagedError naming every one); Build reads the rest instead.
func ReadDir(dir string) (*Records, error) {
	r, err := readRuns(dir, readOptions{})
	if err != nil {
		return nil, err
	}
	if len(r.Damaged) > 0 {
		return nil, &DamagedError{Runs: r.Damaged}
	}
	return r, nil
}

// readOptions steers readRuns.
type readOptions struct {
	// foldAttempts keeps one Attempt per (run, day, session, slot), its
	// Success and Score summed over the group's rollouts and folded
	// counting them, instead of every attempt: what the within-session
	// curves need, in a fraction of the memory.
	foldAttempts bool
	// loaded, with foldAttempts, holds runs this process wrote: they are
	// taken as they are instead of read back (see LoadedRuns).
	loaded *LoadedRuns
}

// readRuns reads every intact run file of results folder dir and lists the
// damaged ones in Records.Damaged instead of failing. A damaged file
// contributes no records at all: a run is used whole or not at all.
func readRuns(dir string, opt readOptions) (*Records, error) {
	if _, err := os.Stat(filepath.Join(dir, RunsDir)); err != nil {
		return nil, fmt.Errorf("results folder %s: %w", dir, err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, RunsDir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := &Records{Hashes: map[string]string{}}
	in := interner{}
	for i, p := range paths {
		key := strings.TrimSuffix(filepath.Base(p), ".jsonl")
		var (
			run  Records
			hash string
		)
		if lr, ok := opt.loaded.lookup(key, p); ok && opt.foldAttempts {
			run.Checkpoints, run.Attempts, hash = lr.take()
		} else {
			data, err := os.ReadFile(p)
			if err != nil {
				out.Damaged = append(out.Damaged, DamagedRun{Key: key, Path: p, Err: err.Error()})
				continue
			}
			if err := decodeRun(bytes.NewReader(data), &run); err != nil {
				out.Damaged = append(out.Damaged, DamagedRun{Key: key, Path: p, Err: err.Error()})
				continue
			}
			if err := checkRun(key, &run); err != nil {
				out.Damaged = append(out.Damaged, DamagedRun{Key: key, Path: p, Err: err.Error()})
				continue
			}
			if opt.foldAttempts {
				run.Attempts = foldAttempts(run.Attempts)
			}
			sum := sha256.Sum256(data)
			hash = hex.EncodeToString(sum[:])
		}
		// Every record repeats its run's names: share one copy of each so
		// memory grows with the numbers, not with the text.
		for i := range run.Checkpoints {
			c := &run.Checkpoints[i]
			in.header(&c.Header)
			c.Split = in.str(c.Split)
		}
		for i := range run.Attempts {
			in.header(&run.Attempts[i].Header)
			run.Attempts[i].Verdict = in.str(run.Attempts[i].Verdict)
		}
		if len(out.Runs) == 0 {
			// Runs of one folder are alike: size the slices once from the
			// first, rather than let doubling copies dominate peak memory.
			left := len(paths) - i
			out.Checkpoints = slices.Grow(out.Checkpoints, left*len(run.Checkpoints))
			out.Attempts = slices.Grow(out.Attempts, left*len(run.Attempts))
		}
		out.Checkpoints = append(out.Checkpoints, run.Checkpoints...)
		out.Attempts = append(out.Attempts, run.Attempts...)
		out.Runs = append(out.Runs, key)
		out.Hashes[key] = hash
	}
	return out, nil
}

// checkRun catches files that decode but cannot be a whole run: records of
// another run, or no checkpoint at all.
func checkRun(key string, r *Records) error {
	switch {
	case r.end == nil:
		return errors.New("no end record: the file was truncated")
	case r.end.Checkpoints != len(r.Checkpoints) || r.end.Attempts != len(r.Attempts):
		return fmt.Errorf("the end record counts %d checkpoint and %d attempt records, the file holds %d and %d",
			r.end.Checkpoints, r.end.Attempts, len(r.Checkpoints), len(r.Attempts))
	case len(r.Checkpoints) == 0:
		return errors.New("no checkpoint records")
	}
	for i := range r.Checkpoints {
		if r.Checkpoints[i].Run != key {
			return fmt.Errorf("holds a record of run %q", r.Checkpoints[i].Run)
		}
	}
	for i := range r.Attempts {
		if r.Attempts[i].Run != key {
			return fmt.Errorf("holds a record of run %q", r.Attempts[i].Run)
		}
	}
	return nil
}

// HashFile returns the hex sha256 of a file's content.
func HashFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// attemptPrefix starts every attempt line this build writes.
var attemptPrefix = []byte(`{"schema":` + strconv.Itoa(SchemaVersion) + `,"kind":"` + KindAttempt + `"`)

func decodeRun(r io.Reader, out *Records) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if out.end == nil && bytes.HasPrefix(b, attemptPrefix) {
			// Attempts are most lines: decode them once, not header first.
			var a Attempt
			if err := json.Unmarshal(b, &a); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			if a.Schema == SchemaVersion && a.Kind == KindAttempt {
				out.Attempts = append(out.Attempts, a)
				continue
			}
		}
		var h Header
		if err := json.Unmarshal(b, &h); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if h.Schema != SchemaVersion {
			return fmt.Errorf("line %d: schema version %d, this build reads %d", line, h.Schema, SchemaVersion)
		}
		if out.end != nil {
			return fmt.Errorf("line %d: a record after the end record", line)
		}
		switch h.Kind {
		case KindCheckpoint:
			var c Checkpoint
			if err := json.Unmarshal(b, &c); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			out.Checkpoints = append(out.Checkpoints, c)
		case KindAttempt:
			var a Attempt
			if err := json.Unmarshal(b, &a); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			out.Attempts = append(out.Attempts, a)
		case KindEnd:
			if out.end != nil {
				return fmt.Errorf("line %d: a second end record", line)
			}
			var e End
			if err := json.Unmarshal(b, &e); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			out.end = &e
		default:
			return fmt.Errorf("line %d: unknown record kind %q", line, h.Kind)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if line == 0 {
		return errors.New("empty record file")
	}
	return nil
}

// CheckRunFile reports whether path holds one whole, readable run.
func CheckRunFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var run Records
	if err := decodeRun(bytes.NewReader(data), &run); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	key := strings.TrimSuffix(filepath.Base(path), ".jsonl")
	if err := checkRun(key, &run); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// foldAttempts sums one run's attempts per (day, session, slot), keeping
// the order of first appearance. Sums of 0/1 successes are exact, so means
// computed from folded attempts equal those from the raw ones bit for bit.
func foldAttempts(atts []Attempt) []Attempt {
	type slot struct{ day, session, slot int }
	idx := make(map[slot]int)
	out := atts[:0:0]
	for _, a := range atts {
		k := slot{a.Day, a.Session, a.Slot}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			a.Member, a.Verdict, a.folded = -1, "", 1
			out = append(out, a)
			continue
		}
		out[i].Success += a.Success
		out[i].Score += a.Score
		out[i].folded++
	}
	return out
}

// interner keeps one copy of each distinct string.
type interner map[string]string

func (in interner) str(s string) string {
	if t, ok := in[s]; ok {
		return t
	}
	in[s] = s
	return s
}

func (in interner) header(h *Header) {
	h.Kind, h.Run, h.Experiment = in.str(h.Kind), in.str(h.Run), in.str(h.Experiment)
	h.Point, h.Family, h.Agent = in.str(h.Point), in.str(h.Family), in.str(h.Agent)
}
