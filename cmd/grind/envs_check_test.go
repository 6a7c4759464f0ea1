package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// TestEnvsCheck: `grind envs --check` prints one line per registered family
// and exits 1 exactly when one of them fails.
func TestEnvsCheck(t *testing.T) {
	code, stdout, stderr := cliRun(t, "envs", "--check")
	failed := 0
	for _, name := range envs.Names() {
		switch {
		case strings.Contains(stdout, "\n"+name+": OK (") || strings.HasPrefix(stdout, name+": OK ("):
		case strings.Contains(stdout, "\n"+name+": FAIL (") || strings.HasPrefix(stdout, name+": FAIL ("):
			failed++
		default:
			t.Errorf("no OK or FAIL line for %s in:\n%s", name, stdout)
		}
	}
	if want := min(failed, 1); code != want {
		t.Errorf("%d families fail, exit code %d, want %d; stderr:\n%s", failed, code, want, stderr)
	}
}

// TestCheckFamiliesReports checks the command's output on a family that
// passes and one that fails, without touching the registry.
func TestCheckFamiliesReports(t *testing.T) {
	good, err := envs.Lookup("skills")
	if err != nil {
		t.Fatal(err)
	}
	bad := envs.Factory{Name: "broken", NewConfig: good.NewConfig,
		New: func(any, uint64) (envs.Family, error) { return nil, errors.New("cannot build\nat all") }}
	var out bytes.Buffer
	err = checkFamilies(&out, []envs.Factory{good, bad})
	if err == nil || !strings.Contains(err.Error(), "1 of 2 families fail") {
		t.Fatalf("want a failure naming 1 of 2 families, got %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "skills: OK (") || !strings.Contains(lines[0], " 0 allocations per step") {
		t.Errorf("first line %q: want skills OK with 0 allocations per step", lines[0])
	}
	if len(lines) < 3 || !strings.HasPrefix(lines[1], "broken: FAIL (") ||
		!strings.HasPrefix(lines[2], "    broken: factory: the defaults do not build at seed 0: cannot build") {
		t.Errorf("want a FAIL line for broken and its indented problems, got:\n%s", out.String())
	}
}
