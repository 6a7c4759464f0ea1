package main

import (
	"fmt"
	"io"

	"github.com/grindbench/grindbench/results"
)

const exportSynopsis = "DIR"

// cmdExport writes a results folder's records and summary as Parquet.
func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", exportSynopsis, stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return badInput(fmt.Errorf("want one results folder, got %d arguments", len(pos)))
	}
	paths, err := results.Export(pos[0])
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return nil
}
