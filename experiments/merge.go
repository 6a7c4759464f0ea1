package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/grindbench/grindbench/results"
)

// FromManifest rebuilds the experiment a results folder was made from: its
// config text and --set overrides, resolved again by this build. It is an
// error if this build resolves them to a different config hash.
func FromManifest(m *results.Manifest) (*Experiment, error) {
	exp, err := Parse(m.ConfigFile, []byte(m.ConfigText), m.Sets)
	if err != nil {
		return nil, fmt.Errorf("config recorded in the manifest: %w", err)
	}
	if exp.Hash != m.ConfigHash {
		return nil, fmt.Errorf("this build resolves the recorded config to hash %.12s, the manifest says %.12s: defaults or knobs changed since", exp.Hash, m.ConfigHash)
	}
	return exp, nil
}

// Merge joins shard folders into dir so that dir holds exactly what one
// unsharded run of the same config would: the same record files, manifest
// runs and pretraining entries. It refuses shards of different configs or
// code versions; a run present in two shards (a retried shard) must have
// identical records.
func Merge(dir string, shards []string) (*results.Manifest, error) {
	if len(shards) == 0 {
		return nil, errors.New("no shard folders to merge")
	}
	var first *results.Manifest
	var exp *Experiment
	failed := map[string]string{}
	type pkey struct {
		point string
		seed  int
	}
	pre := map[pkey]results.PretrainEntry{}
	for _, sd := range shards {
		m, err := results.ReadManifest(sd)
		if err != nil {
			return nil, fmt.Errorf("shard %s: %w", sd, err)
		}
		if first == nil {
			first = m
			if exp, err = FromManifest(m); err != nil {
				return nil, fmt.Errorf("shard %s: %w", sd, err)
			}
			if err := prepareOut(dir, exp); err != nil {
				return nil, err
			}
		} else {
			if m.ConfigHash != first.ConfigHash {
				return nil, fmt.Errorf("shard %s has config hash %.12s, shard %s has %.12s: not shards of one sweep", sd, m.ConfigHash, shards[0], first.ConfigHash)
			}
			if m.CodeVersion != first.CodeVersion {
				return nil, fmt.Errorf("shard %s was made by code %s, shard %s by %s: rerun one of them with the same build", sd, m.CodeVersion, shards[0], first.CodeVersion)
			}
		}
		for _, r := range m.Runs {
			if r.Status == "failed" {
				failed[r.Key] = r.Error
			}
		}
		for _, p := range m.Pretrain {
			pre[pkey{p.Point, p.Seed}] = p
		}
	}
	planned := map[string]bool{}
	runs := Plan(exp)
	for _, r := range runs {
		planned[r.Key] = true
	}
	for _, sd := range shards {
		paths, err := filepath.Glob(filepath.Join(sd, results.RunsDir, "*.jsonl"))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			key := filepath.Base(p)
			key = key[:len(key)-len(".jsonl")]
			if !planned[key] {
				return nil, fmt.Errorf("shard %s holds run %s, which the config does not plan", sd, key)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			dst := results.RunPath(dir, key)
			if old, err := os.ReadFile(dst); err == nil {
				if !bytes.Equal(old, data) {
					return nil, fmt.Errorf("run %s differs between shards (or from %s): records must be identical", key, dir)
				}
				continue
			}
			if err := results.WriteFileAtomic(dst, data); err != nil {
				return nil, err
			}
			delete(failed, key) // a retried shard finished it
		}
	}
	pretrains := map[[2]int]results.PretrainEntry{}
	for pi, p := range exp.Points {
		for s := p.Config.SeedBase; s < p.Config.SeedBase+p.Config.Seeds; s++ {
			if e, ok := pre[pkey{p.Label, s}]; ok {
				pretrains[[2]int{pi, s}] = e
			}
		}
	}
	m, err := buildManifest(dir, exp, Shard{}, runs, failed, pretrains)
	if err != nil {
		return nil, err
	}
	// Provenance is the shards', not the merging binary's.
	m.CodeVersion, m.GoVersion, m.GOOS, m.GOARCH = first.CodeVersion, first.GoVersion, first.GOOS, first.GOARCH
	return m, results.WriteJSONAtomic(filepath.Join(dir, results.ManifestFile), m)
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
		orig, errO := os.ReadFile(results.RunPath(dir, r.Key))
		fresh, errF := os.ReadFile(results.RunPath(tmp, r.Key))
		origHash, _ := results.HashFile(results.RunPath(dir, r.Key))
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
