package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/grindbench/grindbench/results"
)

// FromManifest rebuilds the experiment a results folder was made from: its
// config text, --set overrides and --sweep axes, resolved again by this build. It is an
// error if this build resolves them to a different config hash.
func FromManifest(m *results.Manifest) (*Experiment, error) {
	exp, err := ParseWith(m.ConfigFile, []byte(m.ConfigText), Overrides{Sets: m.Sets, Sweeps: m.Sweeps})
	if err != nil {
		return nil, fmt.Errorf("config recorded in the manifest: %w", err)
	}
	if exp.Hash != m.ConfigHash {
		return nil, fmt.Errorf("this build resolves the recorded config to hash %.12s, the manifest says %.12s: defaults or knobs changed since", exp.Hash, m.ConfigHash)
	}
	return exp, nil
}

// DamagedShardError is a shard folder with record files Merge will not
// take: damaged, edited, of another config, or not in the shard's plan.
type DamagedShardError struct {
	Shard   string
	Damaged []results.DamagedRun
}

func (e *DamagedShardError) Error() string {
	parts := make([]string, len(e.Damaged))
	for i, d := range e.Damaged {
		parts[i] = fmt.Sprintf("run %s (%s): %s", d.Key, d.Path, d.Err)
	}
	return fmt.Sprintf("shard %s has %d damaged record files, so nothing was merged: %s; rerun that shard with the same --shard and --out, then merge again",
		e.Shard, len(e.Damaged), strings.Join(parts, "; "))
}

// Merge joins shard folders into dir so that dir holds exactly what one
// unsharded run of the same config would: the same record files, manifest
// runs and pretraining entries. The caller holds dir's exclusive lock and
// the shards' shared locks. It refuses shards of different configs or code
// versions, and, before copying anything, verifies every record file of
// every shard against the shard's manifest (results.VerifyRun): a damaged
// one is a *DamagedShardError. A run present in two shards (a retried
// shard) must have identical records. A damaged file already in dir is
// moved aside to dir/damaged and replaced.
func Merge(dir string, shards []string) (*results.Manifest, []results.DamagedRun, error) {
	if len(shards) == 0 {
		return nil, nil, errors.New("no shard folders to merge")
	}
	mans := make([]*results.Manifest, len(shards))
	var exp *Experiment
	for i, sd := range shards {
		m, err := results.ReadManifest(sd)
		if err != nil {
			return nil, nil, fmt.Errorf("shard %s: %w", sd, err)
		}
		mans[i] = m
		if i == 0 {
			if exp, err = FromManifest(m); err != nil {
				return nil, nil, fmt.Errorf("shard %s: %w", sd, err)
			}
			continue
		}
		if m.ConfigHash != mans[0].ConfigHash {
			return nil, nil, fmt.Errorf("shard %s has config hash %.12s, shard %s has %.12s: not shards of one sweep", sd, m.ConfigHash, shards[0], mans[0].ConfigHash)
		}
		if m.CodeVersion != mans[0].CodeVersion {
			return nil, nil, fmt.Errorf("shard %s was made by code %s, shard %s by %s: rerun one of them with the same build", sd, m.CodeVersion, shards[0], mans[0].CodeVersion)
		}
	}
	runs := Plan(exp)
	planned := map[string]bool{}
	for _, r := range runs {
		planned[r.Key] = true
	}
	// Verify every shard before anything is written.
	files := map[string]*results.RunFile{}
	from := map[string]string{} // run key -> the shard file it comes from
	failed := map[string]string{}
	for i, sd := range shards {
		recs, err := shardFiles(sd, mans[i], planned)
		if err != nil {
			return nil, nil, err
		}
		for key, rf := range recs {
			if prev := files[key]; prev != nil && prev.Hash != rf.Hash {
				return nil, nil, fmt.Errorf("run %s differs between shard %s and %s: records must be identical", key, sd, filepath.Dir(filepath.Dir(from[key])))
			}
			files[key], from[key] = rf, results.FindRun(sd, key)
		}
		for _, r := range mans[i].Runs {
			if r.Status == results.StatusFailed {
				failed[r.Key] = r.Error
			}
		}
	}
	old, err := prepareOut(dir, exp, Shard{}, false)
	if err != nil {
		return nil, nil, err
	}
	// What dir already holds (a merge run again) must agree.
	have, moved, err := verifyFolder(dir, exp, runs, old)
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(files))
	for key := range files {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if h := have[key]; h != nil {
			if h.Hash != files[key].Hash {
				return nil, moved, fmt.Errorf("run %s differs between shard %s and %s: records must be identical", key, filepath.Dir(filepath.Dir(from[key])), dir)
			}
			continue
		}
		data, err := os.ReadFile(from[key])
		if err != nil {
			return nil, moved, err
		}
		// As the shard wrote it, compressed or (an older shard) plain.
		if err := results.WriteFileAtomic(filepath.Join(dir, results.RunsDir, filepath.Base(from[key])), data); err != nil {
			return nil, moved, err
		}
	}
	for key, rf := range have {
		if files[key] == nil {
			files[key] = rf
		}
	}
	for key := range files {
		delete(failed, key) // a retried shard finished it
	}
	m, err := buildManifest(exp, Shard{}, runs, files, failed, nil)
	if err != nil {
		return nil, moved, err
	}
	// Provenance is the shards', not the merging binary's.
	m.CodeVersion, m.GoVersion, m.GOOS, m.GOARCH = mans[0].CodeVersion, mans[0].GoVersion, mans[0].GOOS, mans[0].GOARCH
	// Measured V and G (report.measure) depend on the config alone: any
	// shard's copy is the merged folder's.
	for _, sd := range shards {
		if b, err := os.ReadFile(filepath.Join(sd, results.MeasuredFile)); err == nil {
			if err := results.WriteFileAtomic(filepath.Join(dir, results.MeasuredFile), b); err != nil {
				return nil, moved, err
			}
			break
		}
	}
	return m, moved, results.WriteJSONAtomic(filepath.Join(dir, results.ManifestFile), m)
}

// shardFiles verifies every record file of shard folder sd against its
// manifest m (its plan and recorded hashes), and that each is a run of the
// whole sweep's plan.
func shardFiles(sd string, m *results.Manifest, planned map[string]bool) (map[string]*results.RunFile, error) {
	plan := m.Plan()
	paths, err := results.RunFiles(sd)
	if err != nil {
		return nil, err
	}
	files := map[string]*results.RunFile{}
	var bad []results.DamagedRun
	for _, p := range paths {
		key := results.RunKey(p)
		want := plan[key]
		var why error
		if want == nil || !planned[key] {
			why = errors.New("not a run of the shard's plan (a file from another folder, experiment or shard)")
		} else if rf, err := results.VerifyRun(p, want); err != nil {
			why = err
		} else {
			files[key] = rf
			continue
		}
		bad = append(bad, results.DamagedRun{Key: key, Path: p, Err: why.Error()})
	}
	for _, r := range m.Runs {
		if r.Status == results.StatusDone && files[r.Key] == nil && !slices.ContainsFunc(bad, func(d results.DamagedRun) bool { return d.Key == r.Key }) {
			bad = append(bad, results.DamagedRun{Key: r.Key, Path: results.RunPath(sd, r.Key), Err: "the shard's manifest records this run as done, but its record file is missing"})
		}
	}
	if len(bad) > 0 {
		return nil, &DamagedShardError{Shard: sd, Damaged: bad}
	}
	return files, nil
}

// RunCheck is the outcome of reproducing one run.
type RunCheck struct {
	Key    string
	Status string // identical, different, missing (no original), failed
	Detail string
}

// Reproduction is what Reproduce found.
type Reproduction struct {
	Checks        []RunCheck
	Different     int
	ArchDiffers   bool   // the folder was made on another GOARCH: differences may come from fused multiply-adds
	OriginalArch  string // GOARCH of the folder
	ReproducedDir string
}

// Reproduce reruns the config recorded in results folder dir into tmp and
// compares every run's records byte for byte with the folder's, and with the
// hash the manifest recorded for it.
func Reproduce(ctx context.Context, dir, tmp string, workers int) (*Reproduction, error) {
	m, err := results.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	exp, err := FromManifest(m)
	if err != nil {
		return nil, err
	}
	shard, err := ParseShard(m.Shard, func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	out, err := Run(ctx, exp, RunOptions{Out: tmp, Workers: workers, Shard: shard})
	if err != nil {
		return nil, err
	}
	rep := &Reproduction{ReproducedDir: tmp, OriginalArch: m.GOARCH, ArchDiffers: m.GOARCH != runtime.GOARCH}
	recorded := map[string]string{}
	for _, r := range m.Runs {
		recorded[r.Key] = r.Hash
	}
	for _, r := range out.Runs {
		c := RunCheck{Key: r.Key, Status: "identical"}
		// Compared as JSON lines: a folder written before records were
		// compressed reproduces as well.
		orig, errO := results.ReadRunLines(results.FindRun(dir, r.Key))
		fresh, errF := results.ReadRunLines(results.RunPath(tmp, r.Key))
		origHash, _ := results.HashFile(results.FindRun(dir, r.Key))
		switch {
		case out.Failed[r.Key] != "":
			c.Status, c.Detail = "failed", out.Failed[r.Key]
		case errO != nil:
			c.Status, c.Detail = "missing", "the folder has no records for this run"
		case errF != nil:
			c.Status, c.Detail = "failed", errF.Error()
		case !bytes.Equal(orig, fresh):
			c.Status, c.Detail = "different", firstDifference(orig, fresh)
		case recorded[r.Key] != "" && recorded[r.Key] != origHash:
			c.Status, c.Detail = "different", "the record file no longer matches the hash in the manifest"
		}
		if c.Status != "identical" {
			rep.Different++
		}
		rep.Checks = append(rep.Checks, c)
	}
	return rep, nil
}

// firstDifference names the first line where two record files differ.
func firstDifference(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("first difference at line %d", i+1)
		}
	}
	return fmt.Sprintf("one file is longer (%d vs %d lines)", len(la), len(lb))
}
