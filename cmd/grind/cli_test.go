package main

import (
	"os"
	"strings"
	"testing"
)

// The command line's conventions, one row each: help on standard output
// (grind help CMD is CMD --help), --version, did-you-mean for commands and
// built-in experiment names and flags, GNU-style flags (--name, also after
// positionals; -name still accepted), an Examples section, bad flags and
// stray arguments on standard error with exit 2.
func TestCLIConventions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderr    string
		notStdout string
	}{
		{"help CMD on stdout", []string{"help", "run"}, 0, "Usage: grind run [CONFIG]", "", ""},
		{"--help on stdout", []string{"compare", "--help"}, 0, "Usage: grind compare BASE NEW", "", ""},
		{"general help", []string{"help"}, 0, "grind help COMMAND", "", ""},
		{"version", []string{"--version"}, 0, "grind ", "", ""},
		{"command typo", []string{"rnu"}, 2, "", `unknown command "rnu"; did you mean "run"?`, ""},
		{"experiment typo", []string{"run", "headlin"}, 2, "", `did you mean "headline"?`, ""},
		{"bad flag on stderr", []string{"run", "--bogus"}, 2, "", "unknown flag: --bogus", "Usage"},
		{"flag typo", []string{"run", "--wokers", "2"}, 2, "", `unknown flag: --wokers; did you mean "--workers"?`, ""},
		{"flag list in GNU style", []string{"help", "run"}, 0, "      --workers N ", "", "  -workers"},
		{"examples per command", []string{"validate", "--help"}, 0, "Examples:\n  grind validate my.toml", "", ""},
		{"-h is --help", []string{"export", "-h"}, 0, "Usage: grind export DIR", "", ""},
		{"one-dash long flag still works", []string{"config", "-defaults"}, 0, "KNOB", "", ""},
		{"flag after positional", []string{"config", "smoke", "--json"}, 0, `"config_hash"`, "", ""},
		{"--sweep", []string{"validate", "smoke", "--sweep", "env.verifier.coverage=0.5,1", "--set", "seeds=3"}, 0, "2 sweep points x 2 agents x 3 seeds = 12 runs", "", ""},
		{"--sweep error names the flag", []string{"validate", "smoke", "--sweep", "env.verifier.coverage=0.5,2"}, 2, "", "--sweep: env.verifier.coverage: value 2: 2.0 is out of range", ""},
		{"--sweep in config", []string{"config", "smoke", "--sweep", "seeds=2,3"}, 0, "# --sweep seeds=2,3", "", ""},
		{"schema documents profiles.csv", []string{"schema"}, 0, "tables/profiles.csv: the performance profiles as data", "", ""},
		{"stray argument", []string{"schema", "extra"}, 2, "", "schema takes no arguments", ""},
		{"stray argument to envs", []string{"envs", "smoke", "extra"}, 2, "", "at most one CONFIG, got 2", ""},
		{"envs --sweep without a config", []string{"envs", "--sweep", "env.verifier.coverage=0,1"}, 2, "", "--sweep needs a CONFIG", ""},
		{"stray argument to run", []string{"run", "smoke", "extra"}, 2, "", "at most one CONFIG, got 2", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := realMain(tc.args, &out, &errOut)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out.String())
			}
			if !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut.String())
			}
			if tc.notStdout != "" && strings.Contains(out.String(), tc.notStdout) {
				t.Errorf("stdout has %q:\n%s", tc.notStdout, out.String())
			}
		})
	}
}

// Every command's help has an Examples section, and each example names
// the command.
func TestEveryCommandHasExamples(t *testing.T) {
	for _, c := range commands() {
		var out, errOut strings.Builder
		if code := realMain([]string{"help", c.name}, &out, &errOut); code != 0 {
			t.Errorf("grind help %s: exit %d: %s", c.name, code, errOut.String())
		}
		_, ex, ok := strings.Cut(out.String(), "\nExamples:\n")
		if !ok || !strings.Contains(ex, "grind "+c.name) {
			t.Errorf("grind help %s: no Examples section using it:\n%s", c.name, out.String())
		}
	}
}

// The README shows `grind run --help` as it is.
func TestReadmeShowsRunHelp(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := realMain([]string{"run", "--help"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(string(readme), "```\n"+out.String()+"```\n") {
		t.Errorf("README.md does not show the output of grind run --help in a code block; it is now:\n%s", out.String())
	}
}
