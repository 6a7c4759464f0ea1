package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
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
	sumCols, sumKinds := results.SummarySchema()
	if *asJSON {
		type summary struct {
			File    string                  `json:"file"`
			Columns []results.SummaryColumn `json:"columns"`
			Kinds   []results.SummaryKind   `json:"kinds"`
		}
		type profiles struct {
			File    string                  `json:"file"`
			Columns []results.SummaryColumn `json:"columns"`
		}
		b, err := json.MarshalIndent(struct {
			Version  int              `json:"schema_version"`
			Files    string           `json:"files"`
			Columns  []results.Column `json:"columns"`
			Summary  summary          `json:"summary"`
			Profiles profiles         `json:"profiles"`
		}{results.SchemaVersion, results.RunsDir + "/<run>" + results.RunExt, cols, summary{results.SummaryFile, sumCols, sumKinds},
			profiles{filepath.ToSlash(results.ProfilesFile), results.ProfilesSchema()}}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	fmt.Fprintf(stdout, "Record schema version %d. Each results folder holds %s/<run>%s: JSON lines,\n", results.SchemaVersion, results.RunsDir, results.RunExt)
	fmt.Fprintf(stdout, "gzip-compressed (zcat reads them; folders written before hold plain %s/<run>%s), one\n", results.RunsDir, results.PlainRunExt)
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
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s: every aggregate with its confidence interval, one row per (kind, point,\nsplit, day, agent, metric). Columns:\n\n", results.SummaryFile)
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tMEANING")
	for _, c := range sumCols {
		fmt.Fprintf(tw, "%s\t%s\n", c.Name, c.Doc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nRow kinds:\n\n")
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tWHAT\t[LO, HI] BOUNDS\tN COUNTS")
	for _, k := range sumKinds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Kind, k.Doc, k.LoHi, k.N)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%s: the performance profiles as data, every point of every curve of the\nprofile figures with its band, one row per (point, metric, pool, agent, threshold). Columns:\n\n", filepath.ToSlash(results.ProfilesFile))
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tMEANING")
	for _, c := range results.ProfilesSchema() {
		fmt.Fprintf(tw, "%s\t%s\n", c.Name, c.Doc)
	}
	return tw.Flush()
}
