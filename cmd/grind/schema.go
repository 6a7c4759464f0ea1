package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/grindbench/grindbench/results"
)

// cmdSchema prints every record column: kind, name, JSON type, meaning.
func cmdSchema(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schema", "[--json]", stderr)
	asJSON := fs.Bool("json", false, "print the schema as JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return badInput(fmt.Errorf("schema takes no arguments, got %q", pos))
	}
	cols := results.Schema()
	if *asJSON {
		b, err := json.MarshalIndent(struct {
			Version int              `json:"schema_version"`
			Files   string           `json:"files"`
			Columns []results.Column `json:"columns"`
		}{results.SchemaVersion, results.RunsDir + "/<run>.jsonl", cols}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "Record schema version %d. Each results folder holds %s/<run>.jsonl, one JSON\n", results.SchemaVersion, results.RunsDir)
	fmt.Fprintf(stdout, "object per line, in tidy long format. Every record has the columns of kind %q;\n", results.KindAll)
	var kinds []string
	for _, c := range cols {
		if c.Kind != results.KindAll && !slices.Contains(kinds, c.Kind) {
			kinds = append(kinds, c.Kind)
		}
	}
	fmt.Fprintf(stdout, "the column \"kind\" says which of the other columns it has (%s).\n\n", strings.Join(kinds, ", "))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tCOLUMN\tTYPE\tMEANING")
	for _, c := range cols {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Kind, c.Name, c.Type, c.Doc)
	}
	return tw.Flush()
}
