package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ManifestFile is the provenance file of a results folder.
const ManifestFile = "manifest.json"

// Manifest records what produced a results folder: the resolved config, the
// code and toolchain, and a content hash per run.
type Manifest struct {
	Schema      int             `json:"schema"`
	Experiment  string          `json:"experiment"`
	Question    string          `json:"question"`
	Reading     string          `json:"reading"`
	ConfigFile  string          `json:"config_file"`
	ConfigHash  string          `json:"config_hash"`
	ConfigText  string          `json:"config_text"`      // the config file as given
	Sets        []string        `json:"sets"`             // --set overrides
	Sweeps      []string        `json:"sweeps,omitempty"` // --sweep axes, as given (Sweep has them resolved)
	Resolved    json.RawMessage `json:"resolved"`         // every point's resolved config: a []ResolvedPoint
	Shard       string          `json:"shard,omitempty"`  // "I/N" for one shard of a sweep; empty for a whole sweep
	Sweep       []SweepAxis     `json:"sweep"`
	Points      []string        `json:"points"`
	Agents      []string        `json:"agents"`
	Seeds       []int           `json:"seeds"`
	Baseline    string          `json:"baseline"`
	Resamples   int             `json:"resamples"`
	CodeVersion string          `json:"code_version"`
	GoVersion   string          `json:"go_version"`
	GOOS        string          `json:"goos"`
	GOARCH      string          `json:"goarch"`
	Runs        []RunEntry      `json:"runs"`
	Pretrain    []PretrainEntry `json:"pretrain"`
	// Capacity, for a sweep of a context's capacity, names that axis and
	// the agents that learn in session through their context alone, from
	// which Build measures the information a session needs
	// (infoneeded.go); nil without such an axis.
	Capacity *CapacityAxis `json:"capacity,omitempty"`
}

// CapacityAxis is a sweep axis of the context's capacity (its key as in
// Sweep) and the control agents whose climb within a session is the
// context's alone (context without consolidation), in agent order.
type CapacityAxis struct {
	Key      string   `json:"key"`
	Controls []string `json:"controls"`
}

// ResolvedPoint is one sweep point's resolved config in Manifest.Resolved.
// Config is keyed by knob path, as --set, [sweep] and `grind config` name
// knobs (env.verifier.false_positive, agent.<name>.rlvr.lr), with every
// knob's value as JSON; its keys are written sorted.
type ResolvedPoint struct {
	Point  string         `json:"point"`
	Config map[string]any `json:"config"`
}

// ResolvedPoints decodes Resolved.
func (m *Manifest) ResolvedPoints() ([]ResolvedPoint, error) {
	if len(m.Resolved) == 0 {
		return nil, nil
	}
	var pts []ResolvedPoint
	if err := json.Unmarshal(m.Resolved, &pts); err != nil {
		return nil, fmt.Errorf("manifest resolved config: %w", err)
	}
	return pts, nil
}

// SweepAxis is one [sweep] key and its values.
type SweepAxis struct {
	Key    string `json:"key"`
	Values []any  `json:"values"`
}

// RunEntry is one run of the sweep.
type RunEntry struct {
	Key    string `json:"key"`
	Point  string `json:"point"`
	Agent  string `json:"agent"`
	Seed   int    `json:"seed"`
	Status string `json:"status"` // StatusDone, StatusFailed or StatusPending
	Error  string `json:"error,omitempty"`
	Hash   string `json:"hash,omitempty"` // sha256 of the run's record file
	// CodeVersion is the build that made a done run, when it is not the
	// manifest's CodeVersion (a folder resumed by another build).
	CodeVersion string `json:"code_version,omitempty"`
}

// Run statuses in the manifest.
const (
	StatusDone    = "done"    // the record file is whole; Hash is its content hash
	StatusFailed  = "failed"  // the run failed; Error says why, and the next grind run retries it
	StatusPending = "pending" // not run yet (or interrupted)
)

// PretrainEntry is the base model's accuracy at one (point, seed).
type PretrainEntry struct {
	Point string `json:"point"`
	Seed  int    `json:"seed"`
	PretrainFigures
}

// Plan returns what each run file the manifest plans must hold, by run
// key; nil when the manifest lists no runs (one written by hand, without a
// plan to check against).
func (m *Manifest) Plan() map[string]*Expect {
	if len(m.Runs) == 0 {
		return nil
	}
	p := make(map[string]*Expect, len(m.Runs))
	for _, r := range m.Runs {
		p[r.Key] = &Expect{Key: r.Key, Experiment: m.Experiment, Point: r.Point, Agent: r.Agent, Seed: r.Seed,
			ConfigHash: m.ConfigHash, Hash: r.Hash, Done: r.Status == StatusDone}
	}
	return p
}

// ManifestError is a manifest that exists but cannot be used: unreadable,
// not JSON, or of another schema version.
type ManifestError struct {
	Path string
	Err  error
}

func (e *ManifestError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ManifestError) Unwrap() error { return e.Err }

// maxManifestBytes bounds the manifest a reader accepts: one of the
// largest sweep grind run allows is a few megabytes.
const maxManifestBytes = 256 << 20

// ReadManifest reads dir's manifest. A missing one is an error satisfying
// errors.Is(err, os.ErrNotExist); any other problem is a *ManifestError.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, &ManifestError{Path: path, Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	switch {
	case err != nil:
		return nil, &ManifestError{Path: path, Err: err}
	case len(b) > maxManifestBytes:
		return nil, &ManifestError{Path: path, Err: fmt.Errorf("larger than %d MB: not a manifest grind wrote", maxManifestBytes>>20)}
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &ManifestError{Path: path, Err: fmt.Errorf("not a manifest: %w", err)}
	}
	if m.Schema != SchemaVersion {
		return nil, &ManifestError{Path: path, Err: fmt.Errorf("schema version %d, this build reads %d: the folder was written by another version of grind", m.Schema, SchemaVersion)}
	}
	return &m, nil
}
