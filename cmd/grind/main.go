// Command grind runs grindbench experiments and works with their results.
//
// Usage:
//
//	grind run [CONFIG] [--out DIR] [--workers N] [--set key=value ...]
//	grind validate CONFIG [--set key=value ...]
//	grind envs [CONFIG] [--format text|markdown|csv] [--plot FILE] | --list | --check
//
// Run `grind help` or `grind COMMAND --help` for details. Every command
// exits 0 on success, 1 when runs failed or record files are damaged (and
// compare on a regression), 2 on bad input, 3 when another grind command
// holds the results folder, 128+N when signal N interrupted it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/internal/textdist"
	"github.com/grindbench/grindbench/results"
	"github.com/spf13/pflag"
)

// Exit codes, the same for every command (the README's table lists them).
const (
	exitFailed   = 1 // runs failed, record files are damaged or missing; compare: a regression; reproduce: a run differs
	exitBadInput = 2 // the command line, a config, --out or a folder's manifest is unusable: nothing was done
	exitBusy     = 3 // another grind command holds the results folder (see --wait)
	// An interrupt exits 128 + the signal's number: 130 for SIGINT, 143
	// for SIGTERM.
)

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error { return &exitError{code: exitBadInput, err: err} }

// exitCode is the exit code of a command that returned err: the code an
// exitError carries, else the one its kind of error has everywhere.
func exitCode(err error) int {
	var (
		ee   *exitError
		busy *results.BusyError
		man  *results.ManifestError
		dir  *experiments.FolderError
		mis  *experiments.MismatchError
	)
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &busy):
		return exitBusy
	case errors.As(err, &man), errors.As(err, &dir), errors.As(err, &mis):
		return exitBadInput
	}
	return exitFailed
}

// interrupt is a context that SIGINT or SIGTERM cancels, and what it
// makes of the errors that follow.
type interrupt struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	ch     chan os.Signal
}

// interruptible catches SIGINT and SIGTERM until stop.
func interruptible() *interrupt {
	ctx, cancel := context.WithCancelCause(context.Background())
	in := &interrupt{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 1)}
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-in.ch:
			cancel(signalCause{sig})
		case <-ctx.Done():
		}
	}()
	return in
}

// stop restores the signals' default behaviour: a signal now ends the
// process at once.
func (in *interrupt) stop() {
	signal.Stop(in.ch)
	in.cancel(nil)
}

// wrap gives err the exit code of the signal that caused it, if one did.
func (in *interrupt) wrap(err error) error {
	var sc signalCause
	if err == nil || !errors.As(context.Cause(in.ctx), &sc) {
		return err
	}
	code := 128 + 2
	if n, ok := sc.sig.(syscall.Signal); ok {
		code = 128 + int(n)
	}
	return &exitError{code: code, err: fmt.Errorf("%w (interrupted by %v)", err, sc.sig)}
}

// caught returns the exit error of a signal that arrived, or nil.
func (in *interrupt) caught(what string) error {
	var sc signalCause
	if !errors.As(context.Cause(in.ctx), &sc) {
		return nil
	}
	return in.wrap(errors.New(what))
}

type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "interrupted by " + c.sig.String() }

// lockFolder takes results folder dir's lock for a command (see
// results.LockFolder), saying on stderr when it waits. An error other
// than another command's lock, or an interrupt while waiting, is bad
// input: the folder cannot be used.
func lockFolder(ctx context.Context, dir string, exclusive, wait bool, stderr io.Writer, name string) (*results.Lock, error) {
	l, err := results.LockFolder(ctx, dir, exclusive, wait, func(b *results.BusyError) {
		who := ""
		if b.Holder != "" {
			who = " (" + b.Holder + ")"
		}
		fmt.Fprintf(stderr, "grind %s: %s is in use by another grind command%s; waiting for it (--wait)\n", name, dir, who)
	})
	var busy *results.BusyError
	if err != nil && !errors.As(err, &busy) && ctx.Err() == nil {
		return nil, badInput(err)
	}
	return l, err
}

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run an experiment config (the built-in headline experiment without one)", cmdRun},
		{"validate", "check a config strictly without running it", cmdValidate},
		{"new", "write a commented starter config that validates and runs", cmdNew},
		{"envs", "list environment families, their splits and mechanisms", cmdEnvs},
		{"report", "rebuild summary, tables, plots and report.html of a results folder from its records", cmdReport},
		{"schema", "describe every column of the record files (runs/*.jsonl.gz)", cmdSchema},
		{"config", "list every knob with its default and range, or print a config resolved", cmdConfig},
		{"merge", "join shard folders into the folder one unsharded run would write", cmdMerge},
		{"export", "write a results folder's records and summary as Parquet (export/*.parquet), with a typed column per swept knob", cmdExport},
		{"compare", "compare two results folders metric by metric; exit 1 on a regression", cmdCompare},
		{"reproduce", "rerun a results folder's config and check every run is bit-identical", cmdReproduce},
		{"export-tasks", "write a family's tasks as single-step questions in reasoning-gym's shape (question, answer, metadata)", cmdExportTasks},
		{"score-answer", "score answers to exported questions: 1 accepted, 0 not", cmdScoreAnswer},
	}
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// helpOut is where --help and `grind help CMD` print: standard output, so
// that help can be paged and grepped. realMain sets it.
var helpOut io.Writer = os.Stdout

func realMain(args []string, stdout, stderr io.Writer) int {
	helpOut = stdout
	if len(args) >= 2 && args[0] == "help" {
		args = []string{args[1], "--help"} // grind help CMD = grind CMD --help
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	if args[0] == "--version" || args[0] == "version" {
		fmt.Fprintf(stdout, "grind %s (%s, %s/%s)\n", experiments.CodeVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			if err == nil {
				return 0
			}
			if errors.Is(err, pflag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "grind %s: %v\n", c.name, err)
			return exitCode(err)
		}
	}
	fmt.Fprintf(stderr, "grind: unknown command %q%s\n\n", args[0], suggest(args[0], names))
	usage(stderr)
	return exitBadInput
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "grind: a harness for learning on the job (grindbench)")
	fmt.Fprintln(w, "\nUsage: grind COMMAND [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'grind help COMMAND' (or 'grind COMMAND --help') for a command's flags;")
	fmt.Fprintln(w, "'grind --version' for the build.")
}

// suggest returns "; did you mean X?" for the name in known nearest to bad
// (within a third of its length in edits), or "".
func suggest(bad string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		if d := textdist.OSA(bad, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || best == bad || bestD > max(1, len(bad)/3) {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func goarch() string { return runtime.GOARCH }
