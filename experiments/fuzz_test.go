package experiments

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// FuzzParse feeds arbitrary bytes and --set arguments (one per line of
// sets) to Parse. Parse must never panic; it returns either an experiment
// or an error made only of one-line *ConfigErrors, never both; and what it
// accepts must be confined (names that are single path elements, run
// files of legal length) and within max_runs.
//
// The seed corpus is every config under testdata/errors (with its --set
// arguments), the valid test config and the shipped experiments, so plain
// `go test` runs them all as a regression test. Crashers found by
// `go test -fuzz FuzzParse` land in testdata/fuzz/FuzzParse and stay.
func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(errorsDir, "*.toml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range append(paths, validFile) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, strings.Join(readArgs(f, strings.TrimSuffix(p, ".toml")+".args"), "\n"))
	}
	// --set forms the corpus does not hold: tables, empty segments, renames.
	valid, err := os.ReadFile(validFile)
	if err != nil {
		f.Fatal(err)
	}
	for _, sets := range []string{
		"agent.rlvr.policy=1\nenv.skills=1\nenv.family=[\"skills\"]\nagent.frozen.mechanisms=[]",
		"agent.frozen.mechanisms=[\"rlvr\"]\nagent.frozen.rlvr.kl=0.5\nagent.frozen.rlvr.lr=0",
		"env={family=\"skills\", verifier={coverage=0.5}}\nagent.rlvr={policy={bias=false}}\nagent.rlvr={name=\"x\"}",
		"env.skills={}\nagent.rlvr.rlvr={}\n=\n==\n.=1\nagent..x=1\nagent.=1\nagent=1\nenv.=1",
	} {
		f.Add(valid, sets)
	}
	for _, name := range Shipped() {
		data, err := fs.ReadFile(shipped, name+".toml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
		f.Add(data, "seeds=3\nenv.verifier.coverage=0.5\nagent.rlvr.rlvr.kl=0.1")
	}
	f.Fuzz(func(t *testing.T, data []byte, sets string) {
		var args []string
		if sets != "" {
			args = strings.Split(sets, "\n")
		}
		exp, err := Parse("fuzz.toml", data, args)
		if err != nil {
			if exp != nil {
				t.Fatal("Parse returned both an experiment and an error")
			}
			for _, e := range unjoin(err) {
				var ce *ConfigError
				if !errors.As(e, &ce) {
					t.Fatalf("%v (%T) is not a *ConfigError", e, e)
				}
				if s := ce.Error(); strings.ContainsAny(s, "\n\r") || ce.Msg == "" {
					t.Fatalf("malformed message %q", s)
				}
			}
			return
		}
		checkAccepted(t, exp)
	})
}

// checkAccepted checks what every experiment Parse accepts must satisfy.
func checkAccepted(t *testing.T, exp *Experiment) {
	t.Helper()
	c := &exp.Config
	if why := checkName(c.Experiment); why != "" {
		t.Fatalf("accepted experiment name %q: %s", c.Experiment, why)
	}
	if len(exp.Points) == 0 || len(exp.Hash) != 64 {
		t.Fatalf("%d points, hash %q", len(exp.Points), exp.Hash)
	}
	runs := 0
	for _, p := range exp.Points {
		if len(p.Config.Agents) == 0 {
			t.Fatalf("point %s has no agents", p.Label)
		}
		for _, a := range p.Config.Agents {
			if why := checkName(a.Name); why != "" {
				t.Fatalf("accepted agent name %q: %s", a.Name, why)
			}
		}
		if len(p.Label) > maxLabel+20 || sanitize(p.Label) != p.Label {
			t.Fatalf("unsafe point label %q", p.Label)
		}
		runs += p.Config.Seeds * len(p.Config.Agents)
	}
	if runs > c.MaxRuns {
		t.Fatalf("accepted %d runs, more than max_runs = %d", runs, c.MaxRuns)
	}
	if runs > 5000 {
		return // listing them would slow the fuzzer down
	}
	for _, r := range Plan(exp) {
		if strings.ContainsAny(r.Key, `/\`) || r.Key == "." || r.Key == ".." || len(r.Key)+len(results.RunExt)+26 > 255 {
			t.Fatalf("unsafe run key %q", r.Key)
		}
	}
}
