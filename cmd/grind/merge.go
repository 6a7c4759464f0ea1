package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", "--out DIR SHARD_DIR... [--wait]", stderr)
	out := fs.String("out", "", "merged results folder `DIR` (required)")
	wait := fs.Bool("wait", false, "if another grind command is using a folder (a shard still running), wait for it (default: exit 3 at once)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) == 0 {
		return badInput(fmt.Errorf("want --out DIR and at least one SHARD_DIR"))
	}
	for _, d := range pos {
		if _, err := os.Stat(d); err != nil {
			return badInput(fmt.Errorf("shard folder: %w", err))
		}
		if same(d, *out) {
			return badInput(fmt.Errorf("shard folder %s is the --out folder: merge into a folder of its own", d))
		}
	}
	if st, err := os.Stat(*out); err == nil && !st.IsDir() {
		return badInput(fmt.Errorf("--out %s is a file: name a folder", *out))
	}
	ctx := context.Background()
	lock, err := lockFolder(ctx, *out, true, *wait, stderr, "merge")
	if err != nil {
		return err
	}
	defer lock.Unlock()
	for _, d := range pos {
		l, err := lockFolder(ctx, d, false, *wait, stderr, "merge")
		if err != nil {
			return err
		}
		defer l.Unlock()
	}
	m, moved, err := experiments.Merge(*out, pos)
	for _, d := range moved {
		fmt.Fprintf(stderr, "grind merge: damaged record file of %s moved aside to %s: %s\n", *out, d.Path, d.Err)
	}
	if err != nil {
		var damaged *experiments.DamagedShardError
		if errors.As(err, &damaged) {
			return err
		}
		return badInput(err)
	}
	// The merged folder gets every output an unsharded run writes.
	if _, _, err := writeOutputs(*out, results.BuildOptions{}); err != nil {
		return fmt.Errorf("outputs: %w", err)
	}
	done, failed := 0, 0
	for _, r := range m.Runs {
		switch r.Status {
		case results.StatusDone:
			done++
		case results.StatusFailed:
			failed++
		}
	}
	fmt.Fprintf(stdout, "merged %d shard folders into %s: %d of %d runs done, %d failed, %d missing\n",
		len(pos), *out, done, len(m.Runs), failed, len(m.Runs)-done-failed)
	if done+failed < len(m.Runs) {
		return fmt.Errorf("%d runs are missing: run their shards (or rerun the same shard index) and merge again", len(m.Runs)-done-failed)
	}
	return nil
}

// same reports whether two paths name one folder.
func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(sa, sb)
}

func cmdReproduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reproduce", "DIR [--workers N] [--keep] [--wait]", stderr)
	workers := fs.Int("workers", 0, "`N` parallel runs (default: all cores)")
	keep := fs.Bool("keep", false, "keep the reproduced folder")
	wait := fs.Bool("wait", false, "if another grind command is writing the folder, wait for it (default: exit 3 at once)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput(fmt.Errorf("want exactly one results folder"))
	}
	sig := interruptible()
	defer sig.stop()
	lock, err := lockFolder(sig.ctx, pos[0], false, *wait, stderr, "reproduce")
	if err != nil {
		return sig.wrap(err)
	}
	defer lock.Unlock()
	if _, err := results.ReadManifest(pos[0]); err != nil {
		return badInput(fmt.Errorf("%s: %w", pos[0], err))
	}
	tmp, err := os.MkdirTemp("", "grind-reproduce-*")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(tmp)
	}
	rep, err := experiments.Reproduce(sig.ctx, pos[0], tmp, *workers)
	if err != nil {
		return sig.wrap(err)
	}
	for _, c := range rep.Checks {
		if c.Status == "identical" {
			fmt.Fprintf(stdout, "  identical  %s\n", c.Key)
		} else {
			fmt.Fprintf(stdout, "  %-9s  %s: %s\n", c.Status, c.Key, c.Detail)
		}
	}
	if rep.ArchDiffers {
		fmt.Fprintf(stdout, "note: %s was made on GOARCH=%s, this is %s; bit-identity is only promised on one architecture (fused multiply-adds)\n", pos[0], rep.OriginalArch, goarch())
	}
	if *keep {
		fmt.Fprintf(stdout, "reproduced folder kept at %s\n", tmp)
	}
	if rep.Different > 0 {
		return fmt.Errorf("%d of %d runs did not reproduce bit for bit", rep.Different, len(rep.Checks))
	}
	fmt.Fprintf(stdout, "all %d runs reproduced bit for bit\n", len(rep.Checks))
	return nil
}
