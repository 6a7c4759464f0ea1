package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
func (m *multiFlag) Type() string       { return "key=value" }

// nameFlag collects a repeated flag of names (comma-separated too).
type nameFlag []string

func (m *nameFlag) String() string     { return strings.Join(*m, ",") }
func (m *nameFlag) Set(v string) error { *m = append(*m, v); return nil }
func (m *nameFlag) Type() string       { return "name" }

// flagSet is a command's GNU-style flags (pflag: --name, interspersed with
// positional arguments) with the usage line and examples its help prints.
type flagSet struct {
	*pflag.FlagSet
	name     string
	synopsis string
	stderr   io.Writer
}

// newFlags returns a command's flag set. Parse errors come back as errors
// (never an exit); --help prints the usage, flags and examples on standard
// output.
func newFlags(name, synopsis string, stderr io.Writer) *flagSet {
	fs := &flagSet{FlagSet: pflag.NewFlagSet("grind "+name, pflag.ContinueOnError), name: name, synopsis: synopsis, stderr: stderr}
	fs.SetOutput(stderr)
	fs.SortFlags = false // the order each command declares them in: most used first
	fs.Usage = func() { fs.printHelp(helpOut) }
	return fs
}

// printHelp writes the usage line, the flags and the command's examples.
func (fs *flagSet) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: grind %s %s\n", fs.name, fs.synopsis)
	if c, ok := lookupCommand(fs.name); ok {
		fmt.Fprintf(w, "\n%s.\n", capitalize(c.summary))
	}
	fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsagesWrapped(100))
	if ex := commandExamples[fs.name]; len(ex) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range ex {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// lookupCommand finds a command by name.
func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (grind run CONFIG --out DIR) and returns the
// positionals. A long flag written with one dash (-out, as Go's flag
// package took it) still works. An unknown flag is bad input, with the
// nearest known flag suggested.
func parseInterleaved(fs *flagSet, args []string) ([]string, error) {
	if fs.Lookup("help") == nil {
		fs.BoolP("help", "h", false, "print this help") // declared last: listed last
	}
	args = longDashes(fs.FlagSet, args)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, err
		}
		var ne *pflag.NotExistError
		if errors.As(err, &ne) && ne.GetSpecifiedName() != "" {
			var names []string
			fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
			if s := suggest(ne.GetSpecifiedName(), names); s != "" {
				err = fmt.Errorf("%w%s", err, strings.Replace(s, `"`, `"--`, 1))
			}
		}
		return nil, badInput(fmt.Errorf("%w\nUsage: grind %s %s\nRun 'grind help %s' for every flag.", err, fs.name, fs.synopsis, fs.name))
	}
	if h, _ := fs.GetBool("help"); h {
		fs.Usage()
		return nil, pflag.ErrHelp
	}
	return fs.Args(), nil
}

// longDashes rewrites -name and -name=value to --name... when name is a
// long flag of fs (or help), up to a "--".
func longDashes(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if name == "help" || fs.Lookup(name) != nil {
			out[i] = "-" + a
		}
	}
	return out
}

// axisFlag collects repeated --sweep axes.
type axisFlag []string

func (a *axisFlag) String() string     { return strings.Join(*a, " ") }
func (a *axisFlag) Set(v string) error { *a = append(*a, v); return nil }
func (a *axisFlag) Type() string       { return "key=a,b,c" }

// sweepFlag declares --sweep: an ad-hoc sweep axis, repeatable.
func sweepFlag(fs *flagSet) *[]string {
	var axes axisFlag
	fs.Var(&axes, "sweep", "sweep a knob over values, as a [sweep] table's key would, e.g. --sweep env.verifier.coverage=0.25,0.5,1 (repeatable: axes cross; replaces the config's axis of that knob)")
	return (*[]string)(&axes)
}

// commandExamples are the Examples section of each command's help.
var commandExamples = map[string][]string{
	"run": {
		"grind run                                   # the built-in headline experiment, into out/headline",
		"grind run smoke --out /tmp/smoke            # a built-in experiment by name",
		"grind run my.toml --workers 2 --set seeds=5",
		"grind run my.toml --sweep env.verifier.coverage=0.25,0.5,1 --sweep agent.rlvr.rlvr.lr=0.05,0.1",
		"grind run my.toml --shard 2/4 --out shards/2 # one of 4 shards; then grind merge",
	},
	"validate": {
		"grind validate my.toml",
		"grind validate headline --set seeds=100 --sweep env.verifier.coverage=0.5,1",
	},
	"envs":   {"grind envs", "grind envs --list", "grind envs --check", "grind envs smoke --sweep env.verifier.coverage=0,0.5,1 --format markdown --plot vg.svg"},
	"report": {"grind report out/headline", "grind report out/headline --plots png --all"},
	"schema": {"grind schema", "grind schema --json | jq '.summary.kinds'"},
	"config": {
		"grind config --defaults",
		"grind config smoke --set seeds=3",
		"grind config my.toml --sweep env.verifier.coverage=0.25,0.5 --json",
	},
	"new":       {"grind new my.toml", "grind new my.toml && grind validate my.toml && grind run my.toml"},
	"merge":     {"grind merge --out out/all shards/1 shards/2 shards/3"},
	"export":    {"grind export out/headline   # writes out/headline/export/*.parquet"},
	"compare":   {"grind compare testdata/baseline/smoke out/smoke", "grind compare base new --metric success_greedy,score_greedy --format text", "grind compare base new --format json > diff.json"},
	"reproduce": {"grind reproduce out/smoke", "grind reproduce out/smoke --workers 2 --keep"},
	"export-tasks": {
		"grind export-tasks smoke --split held_out --tasks 20 --out tasks.jsonl",
	},
	"score-answer": {"grind score-answer tasks.jsonl answers.txt", "my-model < questions | grind score-answer tasks.jsonl -"},
}
