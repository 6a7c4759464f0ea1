package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/grindbench/grindbench/experiments"
)

// cmdConfig lists every knob with its default and range (--defaults), or
// prints a config resolved at every sweep point.
func cmdConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config", "--defaults | CONFIG [--set key=value ...] [--sweep key=a,b,c ...] [--json]", stderr)
	defaults := fs.Bool("defaults", false, "list every knob with its type, default, allowed range and meaning")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	var sets multiFlag
	fs.Var(&sets, "set", "override a knob, as grind run does (repeatable)")
	sweeps := sweepFlag(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *defaults && (len(pos) > 0 || len(sets) > 0 || len(*sweeps) > 0):
		return badInput(fmt.Errorf("--defaults takes no CONFIG, no --set and no --sweep"))
	case *defaults:
		return printDefaults(stdout, *asJSON)
	case len(pos) != 1:
		return badInput(fmt.Errorf("want --defaults or exactly one CONFIG, got %d arguments", len(pos)))
	}
	exp, err := loadExperiment(pos[0], experiments.Overrides{Sets: sets, Sweeps: *sweeps})
	if err != nil {
		return err
	}
	if *asJSON {
		return printResolvedJSON(stdout, exp)
	}
	return printResolved(stdout, exp)
}

// printDefaults writes experiments.KnobDocs as an aligned table or JSON.
func printDefaults(w io.Writer, asJSON bool) error {
	docs := experiments.KnobDocs()
	if asJSON {
		type knob struct {
			Path    string `json:"path"`
			Type    string `json:"type"`
			Default string `json:"default"`
			Range   string `json:"range,omitempty"`
			Doc     string `json:"doc"`
			Model   string `json:"model,omitempty"`
		}
		out := make([]knob, len(docs))
		for i, d := range docs {
			out[i] = knob{d.Path, d.Type, d.Default, d.Range, d.Doc, d.Model}
		}
		return writeJSON(w, out)
	}
	fmt.Fprintln(w, "Every knob, as [sweep] and --set name it. <name> is an agent's name; env.<family>")
	fmt.Fprintln(w, "and agent.<name>.<mechanism> tables apply when that family or mechanism is chosen;")
	fmt.Fprintln(w, "a policy knob marked (model M) applies when agent.<name>.policy.model = M.")
	fmt.Fprintln(w, "Defaults are TOML values; RANGE is inclusive; \"-\" means any value of the type.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KNOB\tTYPE\tDEFAULT\tRANGE\tMEANING")
	for _, d := range docs {
		r := d.Range
		if r == "" {
			r = "-"
		}
		doc := d.Doc
		if d.Model != "" {
			doc = "(model " + d.Model + ") " + doc
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Path, d.Type, d.Default, r, doc)
	}
	return tw.Flush()
}

// printResolved writes every point's resolved config as TOML dotted keys,
// one block per point.
func printResolved(w io.Writer, exp *experiments.Experiment) error {
	fmt.Fprintf(w, "# %s resolved: %d point(s), config hash %s\n", exp.File, len(exp.Points), exp.Hash)
	for _, s := range exp.Sets {
		fmt.Fprintf(w, "# --set %s\n", s)
	}
	for _, s := range exp.Sweeps {
		fmt.Fprintf(w, "# --sweep %s\n", s)
	}
	for i, p := range exp.Points {
		fmt.Fprintf(w, "\n# point %s", p.Label)
		if len(p.Assign) > 0 {
			parts := make([]string, len(p.Assign))
			for j, a := range p.Assign {
				parts[j] = fmt.Sprintf("%s = %v", a.Key, a.Value)
			}
			fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
		}
		fmt.Fprintf(w, " [%d of %d]\n", i+1, len(exp.Points))
		for _, k := range experiments.Knobs(&p.Config) {
			fmt.Fprintf(w, "%s = %s\n", k.Path, k.TOML)
		}
	}
	return nil
}

// printResolvedJSON writes every point's resolved config as JSON objects
// keyed by knob path.
func printResolvedJSON(w io.Writer, exp *experiments.Experiment) error {
	type point struct {
		Label  string         `json:"point"`
		Assign map[string]any `json:"assign,omitempty"`
		Config map[string]any `json:"config"`
	}
	out := struct {
		File   string   `json:"file"`
		Hash   string   `json:"config_hash"`
		Sets   []string `json:"sets,omitempty"`
		Sweeps []string `json:"sweeps,omitempty"`
		Points []point  `json:"points"`
	}{File: exp.File, Hash: exp.Hash, Sets: exp.Sets, Sweeps: exp.Sweeps}
	for _, p := range exp.Points {
		pt := point{Label: p.Label, Config: map[string]any{}}
		if len(p.Assign) > 0 {
			pt.Assign = map[string]any{}
			for _, a := range p.Assign {
				pt.Assign[a.Key] = a.Value
			}
		}
		pt.Config = experiments.KnobMap(&p.Config)
		out.Points = append(out.Points, pt)
	}
	return writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
