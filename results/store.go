package results

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// RunsDir is the folder of per-run record files inside a results folder.
const RunsDir = "runs"

// RunExt ends the name of the record files grind writes: JSON lines,
// gzip-compressed (a tenth of the size; zcat or pandas read them as they
// are). PlainRunExt ends those of folders written before, which every
// reader still takes.
const (
	RunExt      = ".jsonl.gz"
	PlainRunExt = ".jsonl"
)

// RunPath is the record file grind writes for run key inside results
// folder dir.
func RunPath(dir, key string) string {
	return filepath.Join(dir, RunsDir, key+RunExt)
}

// FindRun is the record file of run key in dir as it exists: compressed,
// or plain in a folder written before; RunPath's when neither exists.
func FindRun(dir, key string) string {
	p := RunPath(dir, key)
	if _, err := os.Lstat(p); err != nil {
		if plain := filepath.Join(dir, RunsDir, key+PlainRunExt); fileExists(plain) {
			return plain
		}
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// RunKey is the run key a record file's name says.
func RunKey(path string) string {
	base := filepath.Base(path)
	if k, ok := strings.CutSuffix(base, RunExt); ok {
		return k
	}
	return strings.TrimSuffix(base, PlainRunExt)
}

// RunFiles lists the record files of results folder dir, sorted by key:
// compressed or plain, one per run (the compressed one if a run has both).
func RunFiles(dir string) ([]string, error) {
	gz, err := filepath.Glob(filepath.Join(dir, RunsDir, "*"+RunExt))
	if err != nil {
		return nil, err
	}
	plain, err := filepath.Glob(filepath.Join(dir, RunsDir, "*"+PlainRunExt))
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]string, len(gz)+len(plain))
	for _, p := range plain {
		byKey[RunKey(p)] = p
	}
	for _, p := range gz {
		byKey[RunKey(p)] = p
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out, nil
}

// openRun opens a record file for reading its JSON lines, decompressing a
// compressed one: a truncated or altered compressed file fails to read,
// as a truncated plain one fails to decode.
func openRun(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("not a whole gzip file: %w", err)
	}
	return &gzipFile{zr, f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g *gzipFile) Read(p []byte) (int, error) {
	n, err := g.Reader.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("compressed record file: %w", err)
	}
	return n, err
}

func (g *gzipFile) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

// WriteRunLines writes a record file's JSON lines to path atomically,
// compressed as the runner compresses them if path ends in .gz.
func WriteRunLines(path string, lines []byte) error {
	if !strings.HasSuffix(path, ".gz") {
		return WriteFileAtomic(path, lines)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if _, err := zw.Write(lines); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// ReadRunLines returns a record file's JSON lines, decompressed.
func ReadRunLines(path string) ([]byte, error) {
	r, err := openRun(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// tempFile is the part of *os.File that WriteFileAtomic and CreateRun use;
// tests swap createTemp for one that fails like a full disk.
type tempFile interface {
	Write([]byte) (int, error)
	Sync() error
	Close() error
	Name() string
}

var createTemp = func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }

// tempPattern names the temporary file path is written through: hidden,
// in path's folder, and found by RemoveStaleTemps if a killed writer left
// it.
func tempPattern(path string) string { return "." + filepath.Base(path) + tempInfix + "*" }

// tempInfix marks the temporary files of atomic writes.
const tempInfix = ".tmp-"

// WriteFileAtomic writes data to path so that path is only ever absent or
// complete: it writes a temporary file in the same folder, syncs it, and
// renames it into place.
func WriteFileAtomic(path string, data []byte) error {
	f, err := createTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return commitTemp(f, path)
}

// commitTemp syncs and closes the written temporary file f and renames it
// to path, durably; on failure it removes f.
func commitTemp(f tempFile, path string) error {
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
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
	if d, err := os.Open(filepath.Dir(path)); err == nil { // make the rename durable
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

// Encoder writes one run's records as JSON lines, counting them and
// hashing every byte, so that End closes the run with counts and a digest
// the reader checks. NewEncoder keeps the lines in memory; CreateRun
// streams them to a temporary file that Commit renames into place, so the
// memory a run needs does not grow with its records.
type Encoder struct {
	enc                   *json.Encoder
	sum                   hash.Hash // every byte written so far
	checkpoints, attempts int
	ended                 bool // the end record is written

	buf *bytes.Buffer // NewEncoder's lines

	f    tempFile      // CreateRun's temporary file
	bw   *bufio.Writer // buffers writes to f
	zw   *gzip.Writer  // compresses into bw, for a path ending in .gz
	path string        // where Commit puts f

	// Keep's: the records as values, and the sha256 and size of the
	// file's bytes, which tie them to the file Commit put in place.
	mem      *RunRecorder
	fileSum  hash.Hash
	fileSize int64
	loaded   *LoadedRun
}

// NewEncoder returns an empty record encoder that keeps its lines in
// memory (Bytes).
func NewEncoder() *Encoder {
	e := &Encoder{buf: &bytes.Buffer{}, sum: sha256.New()}
	e.enc = json.NewEncoder(io.MultiWriter(e.sum, e.buf))
	return e
}

// CreateRun returns an encoder that streams records to a temporary file
// beside path. Commit closes the run and renames the file to path; Abort
// removes it. A writer killed before Commit leaves only the temporary
// file, which RemoveStaleTemps clears: path is whole or absent.
func CreateRun(path string) (*Encoder, error) {
	f, err := createTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	e := &Encoder{f: f, path: path, sum: sha256.New(), fileSum: sha256.New()}
	e.bw = bufio.NewWriterSize(fileWriter{e}, 64<<10)
	var w io.Writer = e.bw
	if strings.HasSuffix(path, ".gz") {
		// The header carries no name and no time (Go's writer leaves them
		// out): the compressed bytes depend on the records alone.
		e.zw, _ = gzip.NewWriterLevel(e.bw, gzip.DefaultCompression)
		w = e.zw
	}
	e.enc = json.NewEncoder(io.MultiWriter(e.sum, w))
	return e, nil
}

// fileWriter writes a CreateRun encoder's file, hashing and counting its
// bytes (compressed ones: a small fraction of the records' cost).
type fileWriter struct{ e *Encoder }

func (w fileWriter) Write(p []byte) (int, error) {
	w.e.fileSum.Write(p)
	n, err := w.e.f.Write(p)
	w.e.fileSize += int64(n)
	return n, err
}

// Keep makes a CreateRun encoder also keep the records it writes as
// values (a RunRecorder), which Loaded hands over once Commit has put the
// file in place. Call it before the first Write.
func (e *Encoder) Keep() {
	if e.f != nil && e.mem == nil {
		e.mem = &RunRecorder{}
	}
}

// Loaded returns the records a Keep encoder wrote, tied to the file Commit
// put in place (see LoadedRuns), or nil: before Commit, without Keep, or
// for records the recorder could not hold as the file gives them.
func (e *Encoder) Loaded() *LoadedRun { return e.loaded }

// Write appends one record. An End record gets the digest of everything
// written before it.
func (e *Encoder) Write(rec any) error {
	if e.mem != nil {
		e.mem.Add(rec)
	}
	switch r := rec.(type) {
	case *Checkpoint, Checkpoint:
		e.checkpoints++
	case *Attempt, Attempt:
		e.attempts++
	case End:
		r.Digest = e.digest()
		rec, e.ended = r, true
	case *End:
		c := *r
		c.Digest = e.digest()
		rec, e.ended = &c, true
	}
	return e.enc.Encode(rec)
}

func (e *Encoder) digest() string { return hex.EncodeToString(e.sum.Sum(nil)) }

// End appends the end record of run h, counting the records written so
// far and carrying their digest.
func (e *Encoder) End(h Header) error {
	h.Kind = KindEnd
	return e.Write(&End{Header: h, Checkpoints: e.checkpoints, Attempts: e.attempts})
}

// Bytes returns everything a NewEncoder has written so far.
func (e *Encoder) Bytes() []byte { return e.buf.Bytes() }

// Commit makes a CreateRun encoder's file, closed by its end record,
// durable and renames it into place. It returns the content hash of its
// JSON lines (decompressed), the one the manifest records.
func (e *Encoder) Commit() (string, error) {
	if !e.ended {
		e.Abort()
		return "", fmt.Errorf("write %s: the run has no end record", e.path)
	}
	if e.zw != nil {
		if err := e.zw.Close(); err != nil {
			e.Abort()
			return "", fmt.Errorf("write %s: %w", e.path, err)
		}
	}
	if err := e.bw.Flush(); err != nil {
		e.Abort()
		return "", fmt.Errorf("write %s: %w", e.path, err)
	}
	if err := commitTemp(e.f, e.path); err != nil {
		return "", err
	}
	if e.mem != nil {
		e.loaded = e.mem.loaded(e.digest(), hex.EncodeToString(e.fileSum.Sum(nil)), e.fileSize)
		e.mem = nil
	}
	return e.digest(), nil
}

// Abort removes a CreateRun encoder's temporary file.
func (e *Encoder) Abort() {
	if e.f != nil {
		e.f.Close()
		os.Remove(e.f.Name())
	}
}

// Records is everything read back from a results folder, in a fixed order:
// runs sorted by key, records in file order.
type Records struct {
	Checkpoints []Checkpoint
	Attempts    []Attempt
	Runs        []string          // run keys of intact files, sorted
	Hashes      map[string]string // run key -> sha256 of its record file
	Damaged     []DamagedRun      // files that could not be read, sorted by key
	FromMemory  int               // runs taken from readOptions.loaded rather than read from their files

	start                 *Start // the start record while decoding one file
	end                   *End   // the end record while decoding one file
	checkpoints, attempts int    // records decoded from one file, kept or not
}

// DamagedRun is a record file that cannot be used: truncated, edited by
// hand, of another schema version, of another config or run than the
// folder plans, or planned as done and missing.
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

// ReadDir reads every run file of results folder dir, each verified as
// readRuns says. A damaged file is an error (a *DamagedError naming every
// one); Build reads the rest instead.
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
	// dropAttempts keeps no attempt at all, only checks and counts them.
	dropAttempts bool
	// loaded, with foldAttempts, holds runs this process wrote: they are
	// taken as they are instead of read back (see LoadedRuns).
	loaded *LoadedRuns
	// workers decodes this many files at once (0: GOMAXPROCS).
	workers int
}

// readRuns reads every intact run file of results folder dir and lists the
// damaged ones in Records.Damaged instead of failing. A damaged file
// contributes no records at all: a run is used whole or not at all. Every
// file is verified (see VerifyRun): against the folder's manifest when it
// has one (its config hash, its plan of runs and the content hash recorded
// for each), which also makes a file the plan does not hold, and a run the
// manifest records as done whose file is gone, damaged.
func readRuns(dir string, opt readOptions) (*Records, error) {
	if _, err := os.Stat(filepath.Join(dir, RunsDir)); err != nil {
		return nil, fmt.Errorf("results folder %s: %w", dir, err)
	}
	var plan map[string]*Expect
	switch m, err := ReadManifest(dir); {
	case err == nil:
		plan = m.Plan()
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	paths, err := RunFiles(dir)
	if err != nil {
		return nil, err
	}
	out := &Records{Hashes: map[string]string{}}
	in := interner{}
	seen := make(map[string]bool, len(paths))
	// Files are decoded in parallel, a window of them at a time (so memory
	// holds a few runs beyond the merged records), and merged in path
	// order, so the records do not depend on the worker count.
	workers := opt.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type fetched struct {
		run        *Records
		sum        string
		err        error
		notPlanned bool
		fromMemory bool
	}
	window := make([]fetched, 0, 4*workers)
	fetch := func(p string) (f fetched) {
		key := RunKey(p)
		var want *Expect
		if plan != nil {
			if want = plan[key]; want == nil {
				return fetched{notPlanned: true}
			}
		}
		if opt.foldAttempts {
			if lr, ok := opt.loaded.lookup(key, p, want); ok {
				// Written by this process, and the file is still what
				// it wrote: taken as they are.
				f.run = &Records{}
				f.run.Checkpoints, f.run.Attempts, f.sum = lr.take()
				f.fromMemory = true
				opt.loaded.taken.Add(1)
				return f
			}
		}
		f.run, f.sum, f.err = readRun(p, key, want, opt)
		return f
	}
	for i, p := range paths {
		if k := i % cap(window); k == 0 {
			n := min(cap(window), len(paths)-i)
			window = window[:n]
			tasks := make([]func(), n)
			for j := range n {
				tasks[j] = func() { window[j] = fetch(paths[i+j]) }
			}
			parallelDo(workers, tasks)
		}
		key := RunKey(p)
		seen[key] = true
		f := window[i%cap(window)]
		window[i%cap(window)] = fetched{} // the merged copy is the only one kept
		if f.notPlanned {
			out.Damaged = append(out.Damaged, DamagedRun{Key: key, Path: p, Err: errNotPlanned.Error()})
			continue
		}
		if f.err != nil {
			out.Damaged = append(out.Damaged, DamagedRun{Key: key, Path: p, Err: f.err.Error()})
			continue
		}
		run, sum := f.run, f.sum
		// Every record repeats its run's names: share one copy of each so
		// memory grows with the numbers, not with the text.
		for i := range run.Checkpoints {
			c := &run.Checkpoints[i]
			in.header(&c.Header)
			c.Split = in.str(c.Split)
		}
		in.attempts(run.Attempts)
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
		out.Hashes[key] = sum
		if f.fromMemory {
			out.FromMemory++
		}
	}
	for key, want := range plan {
		if want.Done && !seen[key] {
			out.Damaged = append(out.Damaged, DamagedRun{Key: key, Path: FindRun(dir, key), Err: errGone.Error()})
		}
	}
	sort.Slice(out.Damaged, func(i, j int) bool { return out.Damaged[i].Key < out.Damaged[j].Key })
	return out, nil
}

var (
	errNotPlanned = errors.New("not a run of this folder: its manifest plans no run of that name (a file from another folder, experiment or shard)")
	errGone       = errors.New("manifest.json records this run as done, but its record file is missing")
)

// Expect is what one run file of a folder must hold: the run its name
// says, made under the folder's config. Manifest.Plan gives it for every
// planned run.
type Expect struct {
	Key        string
	Experiment string
	Point      string
	Agent      string
	Seed       int
	ConfigHash string // the folder's config hash; every record carries ConfigID of it
	Hash       string // the file's content hash as the manifest recorded it; "" if none
	Done       bool   // the manifest records the run as done: its file must exist
}

// RunFile is what verifying one run file found.
type RunFile struct {
	Key   string
	Hash  string // hex sha256 of the whole file
	Start *Start // the run's provenance; nil in a file without a start record
}

// VerifyRun reads the record file at path and checks that it holds one
// whole, unedited run, the one its name says: it decodes (this schema
// version, the start record first if any, the end record last), the end
// record's counts and digest match the records before it, every record is
// of the run, seed and config the file name and want say, every value is
// within its bounds (success and the like in [0, 1], nothing infinite, a
// known verdict), and its content hash is the one want recorded. want may
// be nil: the file is then checked against its own name and itself. The
// file is read as a stream: memory does not grow with its size.
func VerifyRun(path string, want *Expect) (*RunFile, error) {
	key := RunKey(path)
	run, sum, err := readRun(path, key, want, readOptions{dropAttempts: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &RunFile{Key: key, Hash: sum, Start: run.start}, nil
}

// readRun reads and verifies the run file at path and returns its records
// (attempts kept as opt says) and its content hash.
func readRun(path, key string, want *Expect, opt readOptions) (*Records, string, error) {
	f, err := openRun(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	run := &Records{}
	sum, err := decodeRun(f, key, want, opt, run)
	if err != nil {
		return nil, "", err
	}
	if want != nil && want.Hash != "" && want.Hash != sum {
		return nil, "", fmt.Errorf("its content hash %.12s differs from the %.12s manifest.json recorded when the run finished: the file was changed since", sum, want.Hash)
	}
	return run, sum, nil
}

// checkEnd catches files that decode but cannot be this whole run: counts
// that disagree with the records, or no checkpoint at all.
func checkEnd(key string, r *Records) error {
	switch {
	case r.end == nil:
		return errors.New("no end record: the file was truncated")
	case r.end.Checkpoints != r.checkpoints || r.end.Attempts != r.attempts:
		return fmt.Errorf("the end record counts %d checkpoint and %d attempt records, the file holds %d and %d",
			r.end.Checkpoints, r.end.Attempts, r.checkpoints, r.attempts)
	case r.checkpoints == 0:
		return errors.New("no checkpoint records")
	case r.end.Run != key:
		return fmt.Errorf("holds a record of run %q", r.end.Run)
	}
	return nil
}

// newHeaderCheck checks the records of run key against want, or, without
// want, against the key and the file's first record.
func newHeaderCheck(key string, want *Expect) *headerCheck {
	hc := &headerCheck{key: key, want: want}
	hc.seed, hc.seeded = keySeed(key)
	if want != nil {
		hc.config, hc.configSet, hc.seed, hc.seeded = ConfigID(want.ConfigHash), true, want.Seed, true
	}
	return hc
}

// checkStart checks the start record s.
func (hc *headerCheck) checkStart(s *Start) error {
	if err := hc.check(&s.Header); err != nil {
		return err
	}
	if ConfigID(s.ConfigHash) != s.Config {
		return fmt.Errorf("the start record's config hash %.16s does not begin with its records' config %s", s.ConfigHash, s.Config)
	}
	if w := hc.want; w != nil && w.ConfigHash != "" && s.ConfigHash != w.ConfigHash {
		return fmt.Errorf("made under config %.12s, the folder's config is %.12s: a file from another config", s.ConfigHash, w.ConfigHash)
	}
	if err := s.PretrainFigures.check(); err != nil {
		return fmt.Errorf("start record: %w", err)
	}
	return nil
}

// headerCheck checks that records are of one run: its key, seed and
// config, and, given want, its experiment, point and agent.
type headerCheck struct {
	key       string
	want      *Expect
	config    string
	configSet bool // config is known: from want, or the file's first record
	seed      int
	seeded    bool
}

func (hc *headerCheck) check(h *Header) error {
	w := hc.want
	if !hc.configSet {
		hc.config, hc.configSet = h.Config, true // a file is of one config
	}
	switch {
	case h.Run != hc.key:
		return fmt.Errorf("holds a record of run %q", h.Run)
	case h.Config != hc.config && w != nil:
		return fmt.Errorf("holds records of config %s, the folder's config is %s: a file from another config", showID(h.Config), showID(hc.config))
	case h.Config != hc.config:
		return fmt.Errorf("holds records of two configs, %s and %s", showID(hc.config), showID(h.Config))
	case hc.seeded && h.Seed != hc.seed:
		return fmt.Errorf("a %s record says seed %d, but the file is run %s of seed %d", h.Kind, h.Seed, hc.key, hc.seed)
	case w != nil && h.Experiment != w.Experiment:
		return fmt.Errorf("holds records of experiment %q, the folder's experiment is %q", h.Experiment, w.Experiment)
	case w != nil && (h.Point != w.Point || h.Agent != w.Agent):
		return fmt.Errorf("holds records of point %q and agent %q, the folder plans point %q and agent %q for this run", h.Point, h.Agent, w.Point, w.Agent)
	}
	return nil
}

func showID(id string) string {
	if id == "" {
		return "(none)"
	}
	return id
}

// keySeed reads the seed a run key ends with (<point>__<agent>__s<seed>).
func keySeed(key string) (int, bool) {
	i := strings.LastIndex(key, "__s")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(key[i+3:])
	return n, err == nil && n >= 0
}

// outside reports whether x is not a number within [lo, hi].
func outside(x, lo, hi float64) bool { return !(x >= lo && x <= hi) || math.IsInf(x, 0) }

// check reports a checkpoint value outside the bounds the metric table
// gives it.
func (c *Checkpoint) check() error {
	if c.Day < 0 {
		return fmt.Errorf("a checkpoint record says day %d", c.Day)
	}
	for i := range metricTable {
		m := &metricTable[i]
		if m.Value == nil {
			continue
		}
		// JSON holds no NaN: one is an optional column the record lacks.
		if v := m.Value(c); !math.IsNaN(v) && outside(v, m.Min, m.Max) {
			return fmt.Errorf("checkpoint record (day %d, split %s): %s = %v is outside [%v, %v]", c.Day, c.Split, m.Name, v, m.Min, m.Max)
		}
	}
	for _, p := range c.PassAtK {
		if p.K < 1 || p.K > c.PassKSamples || outside(p.Value, 0, 1) {
			return fmt.Errorf("checkpoint record (day %d, split %s): pass@%d = %v from %d samples: want k in [1, passk_samples] and a value in [0, 1]", c.Day, c.Split, p.K, p.Value, c.PassKSamples)
		}
	}
	return nil
}

// check reports an attempt value no job can record.
func (a *Attempt) check() error {
	switch {
	case a.Day < 1 || a.Session < 0 || a.Slot < 0 || a.Member < 0 || a.Task < 0:
		return fmt.Errorf("an attempt record says day %d, session %d, slot %d, member %d, task %d: none may be negative, and days start at 1", a.Day, a.Session, a.Slot, a.Member, a.Task)
	case outside(a.Success, 0, 1) || outside(a.Score, 0, 1):
		return fmt.Errorf("attempt record (day %d, session %d, slot %d): success = %v and score = %v must be in [0, 1]", a.Day, a.Session, a.Slot, a.Success, a.Score)
	case a.Verdict != "pass" && a.Verdict != "fail" && a.Verdict != "none":
		return fmt.Errorf("attempt record (day %d, session %d, slot %d): unknown verdict %q (want pass, fail or none)", a.Day, a.Session, a.Slot, a.Verdict)
	}
	return nil
}

// check reports pretraining figures out of their bounds.
func (p *PretrainFigures) check() error {
	if outside(p.PretrainAcc, 0, 1) || outside(p.JobSuccess, 0, 1) || outside(p.JobStepAcc, 0, 1) || p.EvaluatedOn < 0 || p.PretrainTask < 0 {
		return fmt.Errorf("pretraining figures out of bounds: %+v", *p)
	}
	return nil
}

// HashFile returns the hex sha256 of a file's content; of a record file's
// JSON lines, decompressed (the hash the manifest records).
func HashFile(path string) (string, error) {
	read := os.ReadFile
	if strings.HasSuffix(path, RunExt) {
		read = ReadRunLines
	}
	data, err := read(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// attemptPrefix starts every attempt line this build writes.
var attemptPrefix = []byte(`{"schema":` + strconv.Itoa(SchemaVersion) + `,"kind":"` + KindAttempt + `"`)

// maxLine bounds a record line: the longest a build writes is a few
// hundred bytes.
const maxLine = 1 << 20

// decodeRun decodes one run file of run key from r into out, a line at a
// time, checking every record as it comes (checkStart, headerCheck, the
// records' own check) and the end record's digest against the bytes before
// it, and returns the file's content hash. Attempts are kept, folded or
// dropped as opt says.
func decodeRun(r io.Reader, key string, want *Expect, opt readOptions, out *Records) (string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	sum := sha256.New()
	hc := newHeaderCheck(key, want)
	var fold attemptFolder
	var long []byte // a line longer than br's buffer
	line := 0
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(b) > maxLine {
				return "", fmt.Errorf("line %d: longer than %d bytes: not a record", line+1, maxLine)
			}
			long = append(long, b...)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if long != nil {
			b = append(long, b...)
			long = nil
		}
		if len(b) == 0 && err != nil {
			break
		}
		line++
		if derr := out.decodeLine(b, line, sum, hc, opt, &fold); derr != nil {
			return "", fmt.Errorf("line %d: %w", line, derr)
		}
		sum.Write(b)
		if err != nil {
			break
		}
	}
	if line == 0 {
		return "", errors.New("empty record file")
	}
	if err := checkEnd(key, out); err != nil {
		return "", err
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// decodeLine decodes and checks one line b of a run file; sum holds every
// byte before it.
func (out *Records) decodeLine(b []byte, line int, sum hash.Hash, hc *headerCheck, opt readOptions, fold *attemptFolder) error {
	b = bytes.TrimRight(b, "\n")
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if out.end == nil && bytes.HasPrefix(b, attemptPrefix) {
		// Attempts are most lines: decode them once, not header first.
		var a Attempt
		if !parseAttemptLine(b, &a) {
			a = Attempt{}
			if err := json.Unmarshal(b, &a); err != nil {
				return err
			}
		}
		if a.Schema == SchemaVersion && a.Kind == KindAttempt {
			return out.addAttempt(&a, hc, opt, fold)
		}
	}
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	if h.Schema != SchemaVersion {
		return fmt.Errorf("schema version %d, this build reads %d", h.Schema, SchemaVersion)
	}
	if out.end != nil {
		return errors.New("a record after the end record")
	}
	switch h.Kind {
	case KindStart:
		if out.start != nil || out.checkpoints+out.attempts > 0 {
			return errors.New("a start record after the first record")
		}
		var s Start
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if err := hc.checkStart(&s); err != nil {
			return err
		}
		out.start = &s
	case KindCheckpoint:
		var c Checkpoint
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		if err := hc.check(&c.Header); err != nil {
			return err
		}
		if err := c.check(); err != nil {
			return err
		}
		out.checkpoints++
		out.Checkpoints = append(out.Checkpoints, c)
	case KindAttempt:
		var a Attempt
		if !parseAttemptLine(b, &a) {
			a = Attempt{}
			if err := json.Unmarshal(b, &a); err != nil {
				return err
			}
		}
		return out.addAttempt(&a, hc, opt, fold)
	case KindEnd:
		var e End
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		if d := hex.EncodeToString(sum.Sum(nil)); e.Digest != d {
			return fmt.Errorf("the end record's digest %.12s does not match the %.12s of the records before it: the file was edited after it was written", e.Digest, d)
		}
		out.end = &e
	default:
		return fmt.Errorf("unknown record kind %q", h.Kind)
	}
	return nil
}

// addAttempt checks an attempt record and keeps it as opt says.
func (out *Records) addAttempt(a *Attempt, hc *headerCheck, opt readOptions, fold *attemptFolder) error {
	if err := hc.check(&a.Header); err != nil {
		return err
	}
	if err := a.check(); err != nil {
		return err
	}
	out.attempts++
	switch {
	case opt.dropAttempts:
	case opt.foldAttempts:
		out.Attempts = fold.add(out.Attempts, a)
	default:
		out.Attempts = append(out.Attempts, *a)
	}
	return nil
}

// DamagedDir holds the record files grind run and grind merge moved aside
// because they were damaged, edited, of another config or not planned:
// damaged/<key>.jsonl (numbered if moved more than once) beside
// damaged/<key>.json, which says where it came from and why.
const DamagedDir = "damaged"

// MoveAside moves run key's record file out of dir/runs into dir/damaged,
// beside a note of why, so that nothing uses it again and the evidence is
// kept. It returns where the file went.
func MoveAside(dir, key string, why error) (DamagedRun, error) {
	from := FindRun(dir, key)
	ext := strings.TrimPrefix(filepath.Base(from), key)
	if err := os.MkdirAll(filepath.Join(dir, DamagedDir), 0o755); err != nil {
		return DamagedRun{}, fmt.Errorf("move aside %s: %w", from, err)
	}
	name := key
	for n := 1; ; n++ {
		if _, err := os.Lstat(filepath.Join(dir, DamagedDir, name+ext)); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = key + "." + strconv.Itoa(n)
	}
	to := filepath.Join(dir, DamagedDir, name+ext)
	d := DamagedRun{Key: key, Path: to, Err: why.Error()}
	note := map[string]string{"run": key, "moved_from": filepath.Join(RunsDir, key+ext), "why": why.Error()}
	if err := WriteJSONAtomic(filepath.Join(dir, DamagedDir, name+".json"), note); err != nil {
		return DamagedRun{}, err
	}
	if err := os.Rename(from, to); err != nil {
		return DamagedRun{}, fmt.Errorf("move aside %s: %w", from, err)
	}
	return d, nil
}

// foldAttempts sums one run's attempts per (day, session, slot), keeping
// the order of first appearance. Sums of 0/1 successes are exact, so means
// computed from folded attempts equal those from the raw ones bit for bit.
func foldAttempts(atts []Attempt) []Attempt {
	var f attemptFolder
	out := atts[:0:0]
	for i := range atts {
		out = f.add(out, &atts[i])
	}
	return out
}

// attemptFolder folds one run's attempts as they are read.
type attemptFolder struct {
	idx map[attemptSlot]int
}

// add folds a into out: a new slot is appended, a known one summed into.
func (f *attemptFolder) add(out []Attempt, a *Attempt) []Attempt {
	if f.idx == nil {
		f.idx = make(map[attemptSlot]int)
	}
	k := attemptSlot{a.Day, a.Session, a.Slot}
	i, ok := f.idx[k]
	if !ok {
		f.idx[k] = len(out)
		c := *a
		c.Member, c.Verdict, c.folded = -1, "", 1
		return append(out, c)
	}
	out[i].Success += a.Success
	out[i].Score += a.Score
	out[i].folded++
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
	h.Kind, h.Run, h.Experiment, h.Config = in.str(h.Kind), in.str(h.Run), in.str(h.Experiment), in.str(h.Config)
	h.Point, h.Family, h.Agent = in.str(h.Point), in.str(h.Family), in.str(h.Agent)
}

// attempts interns one run's attempts, whose names mostly repeat the
// previous attempt's: those take its interned copies without a lookup.
func (in interner) attempts(atts []Attempt) {
	var raw, interned Header
	var verdict, internedVerdict string
	for i := range atts {
		a := &atts[i]
		if i > 0 && sameNames(&a.Header, &raw) {
			day, seed, schema := a.Day, a.Seed, a.Schema
			a.Header = interned
			a.Day, a.Seed, a.Schema = day, seed, schema
		} else {
			raw = a.Header
			in.header(&a.Header)
			interned = a.Header
		}
		if i == 0 || a.Verdict != verdict {
			verdict = a.Verdict
			internedVerdict = in.str(a.Verdict)
		}
		a.Verdict = internedVerdict
	}
}

// sameNames reports whether a and b hold the same strings.
func sameNames(a, b *Header) bool {
	return a.Kind == b.Kind && a.Run == b.Run && a.Experiment == b.Experiment && a.Config == b.Config &&
		a.Point == b.Point && a.Family == b.Family && a.Agent == b.Agent
}
