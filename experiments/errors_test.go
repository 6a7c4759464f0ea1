package experiments

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/errors")

// errorsDir holds the corpus of malformed configs: NAME.toml is the config,
// NAME.args (optional) its --set overrides, one per line, NAME.sweeps
// (optional) its --sweep axes, one per line, and NAME.golden
// the exact message Parse returns. The first line of every NAME.toml is a
// comment saying what is wrong with it.
const errorsDir = "testdata/errors"

// readArgs reads NAME.args: one --set argument per line, taken verbatim.
func readArgs(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestErrorCorpus parses every config of the corpus and compares the whole
// message with its golden file. Run with -update to rewrite the golden
// files, then read the diff: each message must tell a newcomer what to fix.
func TestErrorCorpus(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(errorsDir, "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 30 {
		t.Fatalf("%d configs in %s, want at least 30", len(paths), errorsDir)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".toml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# ") {
				t.Errorf("%s does not start with a comment saying what is wrong", path)
			}
			sets := readArgs(t, strings.TrimSuffix(path, ".toml")+".args")
			sweeps := readArgs(t, strings.TrimSuffix(path, ".toml")+".sweeps")
			exp, err := ParseWith(filepath.ToSlash(path), data, Overrides{Sets: sets, Sweeps: sweeps})
			if err == nil {
				t.Fatalf("no error; the config parses to %d points", len(exp.Points))
			}
			if exp != nil {
				t.Error("Parse returned an experiment with its error")
			}
			checkErrorShape(t, filepath.ToSlash(path), err)
			got := stableNames(err.Error()) + "\n"
			golden := strings.TrimSuffix(path, ".toml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestErrorCorpus -update)", err)
			}
			if got != string(want) {
				t.Errorf("message differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// stableNames replaces the lists of registered mechanisms and families in
// msg with <mechanisms> and <families>: they grow as mechanisms and
// families are added (tests register their own), and the golden files
// should not churn with them.
func stableNames(msg string) string {
	msg = strings.ReplaceAll(msg, "(known: "+strings.Join(agents.MechanismNames(), ", ")+")", "(known: <mechanisms>)")
	return strings.ReplaceAll(msg, "(known: "+strings.Join(envs.Names(), ", ")+")", "(known: <families>)")
}

// checkErrorShape checks what every config error must have: it is a list
// of *ConfigError, each naming the file (or --set), a key or a line, and
// printable on one line.
func checkErrorShape(t *testing.T, file string, err error) {
	t.Helper()
	for _, e := range unjoin(err) {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			t.Errorf("%v (%T) is not a *ConfigError", e, e)
			continue
		}
		if ce.File != file && ce.File != setFile && ce.File != sweepFile {
			t.Errorf("%q: names file %q, want %q, %q or %q", ce, ce.File, file, setFile, sweepFile)
		}
		if ce.Key == "" && ce.Line == 0 && !strings.Contains(ce.Msg, "--set") && !strings.Contains(ce.Msg, "--sweep") && !strings.Contains(ce.Msg, "more problems") {
			t.Errorf("%q: names neither a key nor a line", ce)
		}
		if (ce.File == setFile || ce.File == sweepFile) && ce.Line != 0 {
			t.Errorf("%q: a command-line flag has no line", ce)
		}
		s := ce.Error()
		if strings.ContainsAny(s, "\n\r\x00") || !utf8.ValidString(s) {
			t.Errorf("%q: not printable on one line", s)
		}
	}
}

// TestErrorsNameTheLine checks the lines of file errors against the
// source: a key the file defines is located at its own line or at the
// header of its table.
func TestErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ name, line string }{
		{"unknown-job", "dayz = 3"},
		{"unknown-agent-policy", "temp = 2.0"},
		{"unknown-sweep", `"env.verifier.coverag" = [0.5, 1.0]`},
		{"range-nan", "lr = nan"},
		{"conflict-kl-without-lr", "kl = 0.1"},
		{"conflict-rlvr-knobs-on-frozen", "[agent.rlvr]"},
		{"name-separator-agent", `name = "a/b"`},
		{"syntax-duplicate-key", "seeds = 3"},
	} {
		path := filepath.Join(errorsDir, c.name+".toml")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(path, data, nil)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		want := lineOf(t, string(data), c.line)
		if ces := configErrors(t, err); ces[0].Line != want {
			t.Errorf("%s: line %d, want %d (%q): %v", c.name, ces[0].Line, want, c.line, err)
		}
	}
}

// TestNamesConfined checks that no name from a config can leave the
// results folder: every experiment or agent name Parse accepts is a single
// path element, and so is every run key built from it.
func TestNamesConfined(t *testing.T) {
	bad := []string{
		"", ".", "..", "../x", "x/..", "/abs", "a/b", `a\b`, "C:x", "a\x00b", "a b", "-x", "_x",
		"a\nb", "Abc", "é", strings.Repeat("a", maxNameLen+1),
	}
	for _, name := range bad {
		src := "experiment = " + quoteTOML(name) + "\n[[agent]]\nname = \"a\"\nmechanisms = [\"frozen\"]\n"
		if _, err := Parse("x.toml", []byte(src), nil); err == nil || !strings.Contains(err.Error(), "experiment") {
			t.Errorf("experiment name %q: err = %v", name, err)
		}
		src = "experiment = \"x\"\n[[agent]]\nname = " + quoteTOML(name) + "\nmechanisms = [\"frozen\"]\n"
		if _, err := Parse("x.toml", []byte(src), nil); err == nil || !strings.Contains(err.Error(), "name") {
			t.Errorf("agent name %q: err = %v", name, err)
		}
		if _, err := Parse("x.toml", []byte("experiment = \"x\"\n[[agent]]\nname = \"a\"\nmechanisms = [\"frozen\"]\n"),
			[]string{"experiment=" + quoteTOML(name)}); err == nil {
			t.Errorf("--set experiment=%q: no error", name)
		}
	}
	for _, name := range []string{"a", "0", "frozen-tuned", "a_b", strings.Repeat("a", maxNameLen)} {
		if msg := checkName(name); msg != "" {
			t.Errorf("checkName(%q) = %q, want ok", name, msg)
		}
	}

	// The longest names and labels still make run files of legal length.
	src := "experiment = " + quoteTOML(strings.Repeat("e", maxNameLen)) + "\nseeds = 1\nseed_base = 1000000000\n" +
		"[[agent]]\nname = " + quoteTOML(strings.Repeat("a", maxNameLen)) + "\nmechanisms = [\"frozen\"]\n" +
		"[sweep]\n\"env.skills.outspan\" = [[" + distinctFractions(40) + "0.5]]\n"
	exp, err := Parse("long.toml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Plan(exp) {
		base := filepath.Base(r.Key + results.RunExt)
		if base != r.Key+results.RunExt || strings.ContainsAny(r.Key, `/\`) || r.Key == ".." {
			t.Errorf("run key %q is not one path element", r.Key)
		}
		// WriteFileAtomic adds "." and ".tmp-" plus up to 20 digits.
		if n := len(base) + 26; n > 255 {
			t.Errorf("run file %q: %d bytes with its temporary name, more than 255", base, n)
		}
	}
	if out := DefaultOut(exp); filepath.Dir(out) != "out" {
		t.Errorf("DefaultOut = %q, not inside out/", out)
	}
}

// distinctFractions lists n distinct fractions in (0, 0.5), each followed
// by ", ".
func distinctFractions(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "0.%03d, ", i)
	}
	return b.String()
}

// TestDeepNesting checks that nesting the TOML decoder would take
// quadratic time over is rejected before decoding, wherever it hides.
func TestDeepNesting(t *testing.T) {
	const n = 20000 // about 10 s of decoding each without the check
	for _, src := range []string{
		"a = " + strings.Repeat("{b=", n) + "1" + strings.Repeat("}", n),
		"a = " + strings.Repeat("[", n) + strings.Repeat("]", n),
		"[a]\n" + strings.Repeat("b.", n) + "c = 1",
		"[" + strings.Repeat("b.", n) + "c]",
		"[[" + strings.Repeat("b.", n) + "c]]",
		"a = {" + strings.Repeat("b.", n) + "c = 1}",
		"a = [{" + strings.Repeat(`"b".`, n) + "c = 1}]",
	} {
		_, err := Parse("deep.toml", []byte(src), nil)
		if err == nil || !strings.Contains(err.Error(), "nested more than") {
			t.Errorf("%.20s...: err = %.200v", src, err)
		}
	}
	_, err := Parse("deep.toml", []byte("experiment = \"x\"\n"), []string{"seeds=" + strings.Repeat("{b=", n) + "1" + strings.Repeat("}", n)})
	if err == nil || !strings.Contains(err.Error(), "nests more than") {
		t.Errorf("deep --set: err = %.200v", err)
	}
	// Real configs nest a few levels, and dotted numbers are not keys.
	ok := "experiment = \"x\"\n[[agent]]\nname = \"a\"\nmechanisms = [\"rlvr\"]\n" +
		"[sweep]\n\"agent.a.rlvr.lr\" = [0.1, 0.25, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.5, 15.5, 16.5, 17.5, 18.5, 19.5, 20.5, 21.5, 22.5, 23.5, 24.5, 25.5, 26.5, 27.5, 28.5, 29.5, 30.5, 31.5, 32.5, 33.5]\n" +
		"\"env.skills.outspan\" = [[0.0], [0.25, 0.5]]\n"
	if _, err := Parse("ok.toml", []byte(ok), nil); err != nil {
		t.Error(err)
	}
}

// TestEveryNumberIsBounded checks that every numeric knob has a range
// tag, so that nan, inf and absurd values are rejected everywhere.
func TestEveryNumberIsBounded(t *testing.T) {
	for _, d := range KnobDocs() {
		if (strings.Contains(d.Type, "integer") || strings.Contains(d.Type, "float")) && d.Range == "" {
			t.Errorf("%s (%s) has no range tag", d.Path, d.Type)
		}
	}
	var c Config
	walker{leaf: func(kp keyPath, n node) {
		switch n.v.Kind() {
		case reflect.Float64, reflect.Float32:
			if _, _, ok, _ := parseRange(n.tag); !ok {
				t.Errorf("%s has no range", kp)
			}
		}
	}}.walk(reflect.ValueOf(&c).Elem(), keyPath{})
}
