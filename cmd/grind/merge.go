package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", "--out DIR SHARD_DIR...", stderr)
	out := fs.String("out", "", "merged results folder (required)")
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
	}
	m, err := experiments.Merge(*out, pos)
	if err != nil {
		return badInput(err)
	}
	// The merged folder gets every output an unsharded run writes.
	if _, _, err := writeOutputs(*out, results.BuildOptions{}); err != nil {
		return fmt.Errorf("outputs: %w", err)
	}
	done, failed := 0, 0
	for _, r := range m.Runs {
		switch r.Status {
		case "done":
			done++
		case "failed":
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

func cmdReproduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reproduce", "DIR [--workers N] [--keep]", stderr)
	workers := fs.Int("workers", 0, "parallel runs (default: all cores)")
	keep := fs.Bool("keep", false, "keep the reproduced folder")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput(fmt.Errorf("want exactly one results folder"))
	}
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := experiments.Reproduce(ctx, pos[0], tmp, *workers)
	if err != nil {
		return err
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
