package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/grindbench/grindbench/experiments"
)

// cmdNew writes a commented starter config that validates and runs.
func cmdNew(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("new", "FILE[.toml] [--force]", stderr)
	force := fs.Bool("force", false, "overwrite FILE if it exists")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput(fmt.Errorf("want exactly one FILE to write, got %d arguments", len(pos)))
	}
	path := pos[0]
	if filepath.Ext(path) == "" {
		path += ".toml"
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		return badInput(fmt.Errorf("%s exists: choose another name, or --force to overwrite it", path))
	} else if err != nil {
		return badInput(err)
	}
	name := experiments.StarterName(path)
	if _, err := f.Write(experiments.Starter(name)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	q := path
	if strings.ContainsAny(q, " '\"") {
		q = "'" + strings.ReplaceAll(q, "'", `'\''`) + "'"
	}
	fmt.Fprintf(stdout, "wrote %s (experiment %q: 2 sweep points x 2 agents x 5 seeds)\nnext: grind validate %s && grind run %s\n", path, name, q, q)
	return nil
}
