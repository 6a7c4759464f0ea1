package results

import (
	"encoding/json"
	"fmt"
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
	ConfigText  string          `json:"config_text"`     // the config file as given
	Sets        []string        `json:"sets"`            // --set overrides
	Resolved    json.RawMessage `json:"resolved"`        // every point's resolved config: a []ResolvedPoint
	Shard       string          `json:"shard,omitempty"` // "I/N" for one shard of a sweep; empty for a whole sweep
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
	Status string `json:"status"` // done, failed or pending
	Error  string `json:"error,omitempty"`
	Hash   string `json:"hash,omitempty"` // sha256 of the run's record file
}

// PretrainEntry is the base model's accuracy at one (point, seed).
type PretrainEntry struct {
	Point        string  `json:"point"`
	Seed         int     `json:"seed"`
	PretrainAcc  float64 `json:"pretrain_step_acc"` // greedy per-step accuracy on the pretrain split
	JobSuccess   float64 `json:"job_success"`       // greedy success on the job's train split
	JobStepAcc   float64 `json:"job_step_acc"`
	EvaluatedOn  int     `json:"evaluated_on"` // tasks per split
	PretrainTask int     `json:"pretrain_tasks"`
}

// ReadManifest reads dir's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}
