// Command grind runs grindbench experiments and works with their results.
//
// Usage:
//
//	grind run [CONFIG] [--out DIR] [--workers N] [--set key=value ...]
//	grind validate CONFIG [--set key=value ...]
//	grind envs
//
// Run `grind help` or `grind COMMAND --help` for details.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// exitError carries an exit code: 2 for bad input, 1 for a failed run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error { return &exitError{code: 2, err: err} }

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run an experiment config (the built-in headline experiment without one)", cmdRun},
		{"validate", "check a config strictly without running it", cmdValidate},
		{"envs", "list environment families, their splits and mechanisms", cmdEnvs},
		{"report", "rebuild summary, tables, plots and report.html of a results folder from its records", cmdReport},
		{"schema", "describe every column of the record files (runs/*.jsonl)", cmdSchema},
		{"config", "list every knob with its default and range, or print a config resolved", cmdConfig},
		{"merge", "join shard folders into the folder one unsharded run would write", cmdMerge},
		{"compare", "compare two results folders metric by metric; exit 1 on a regression", cmdCompare},
		{"reproduce", "rerun a results folder's config and check every run is bit-identical", cmdReproduce},
		{"export-tasks", "write a family's tasks as single-step questions in reasoning-gym's shape (question, answer, metadata)", cmdExportTasks},
		{"score-answer", "score answers to exported questions: 1 accepted, 0 not", cmdScoreAnswer},
	}
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			if err == nil {
				return 0
			}
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "grind %s: %v\n", c.name, err)
			var ee *exitError
			if errors.As(err, &ee) {
				return ee.code
			}
			return 1
		}
	}
	fmt.Fprintf(stderr, "grind: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "grind: a harness for learning on the job (grindbench)")
	fmt.Fprintln(w, "\nUsage: grind COMMAND [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'grind COMMAND --help' for a command's flags.")
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// newFlags returns a flag set that prints its usage to stderr and returns
// errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("grind "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: grind %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterleaved parses flags that may come after positional arguments
// (grind run CONFIG --out DIR) and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, badInput(err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func goarch() string { return runtime.GOARCH }
