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
	"sort"
	"strings"
)

// RunsDir is the folder of per-run record files inside a results folder.
const RunsDir = "runs"

// RunPath is the record file of run key inside results folder dir.
func RunPath(dir, key string) string {
	return filepath.Join(dir, RunsDir, key+".jsonl")
}

// WriteFileAtomic writes data to path so that path is only ever absent or
// complete: it writes a temporary file in the same folder, syncs it, and
// renames it into place.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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

// Encoder writes records as JSON lines into a buffer.
type Encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// NewEncoder returns an empty record encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}

// Write appends one record.
func (e *Encoder) Write(rec any) error { return e.enc.Encode(rec) }

// Bytes returns everything written so far.
func (e *Encoder) Bytes() []byte { return e.buf.Bytes() }

// Records is everything read back from a results folder, in a fixed order:
// runs sorted by key, records in file order.
type Records struct {
	Checkpoints []Checkpoint
	Attempts    []Attempt
	Runs        []string          // run keys, sorted
	Hashes      map[string]string // run key -> sha256 of its record file
}

// ReadDir reads every run file of results folder dir.
func ReadDir(dir string) (*Records, error) {
	paths, err := filepath.Glob(filepath.Join(dir, RunsDir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	out := &Records{Hashes: map[string]string{}}
	for _, p := range paths {
		key := strings.TrimSuffix(filepath.Base(p), ".jsonl")
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if err := decodeRun(bytes.NewReader(data), out); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		sum := sha256.Sum256(data)
		out.Runs = append(out.Runs, key)
		out.Hashes[key] = hex.EncodeToString(sum[:])
	}
	return out, nil
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
		var h Header
		if err := json.Unmarshal(b, &h); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if h.Schema != SchemaVersion {
			return fmt.Errorf("line %d: schema version %d, this build reads %d", line, h.Schema, SchemaVersion)
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
