package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// small probes: the command's wiring, not the measurement's precision.
var envsProbe = []string{"--seeds", "2", "--attempts", "32", "--slots", "64", "--set", "pretrain.tasks=300"}

// TestEnvsTable: `grind envs` measures every family at its defaults, one
// row each, in every format; --plot writes the scatter.
func TestEnvsTable(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "vg.svg")
	code, out, stderr := cliRun(t, append([]string{"envs", "--format", "csv", "--plot", plot}, envsProbe...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(envs.Names()) || rows[0][0] != "environment" || rows[0][5] != "v" || rows[0][8] != "g" {
		t.Fatalf("want a header and a row per family, got:\n%s", out)
	}
	for i, name := range envs.Names() {
		r := rows[i+1]
		v, _ := strconv.ParseFloat(r[5], 64)
		g, _ := strconv.ParseFloat(r[8], 64)
		if r[0] != name || v != 1 || !(g > 0 && g < 1) {
			t.Errorf("row %v: want %s with V = 1 (perfect default verifier) and G in (0, 1)", r, name)
		}
	}
	if b, err := os.ReadFile(plot); err != nil || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "skills") {
		t.Errorf("plot %s: %v", plot, err)
	}
	code, out, _ = cliRun(t, append([]string{"envs", "--format", "markdown"}, envsProbe...)...)
	if code != 0 || !strings.Contains(out, "| environment |") || !strings.Contains(out, "| skills") {
		t.Errorf("markdown (exit %d):\n%s", code, out)
	}
}

// TestEnvsConfigSweep: with a CONFIG, one row per sweep point, and V
// follows the swept coverage (V = coverage with no noise).
func TestEnvsConfigSweep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vg.toml")
	src := `experiment = "vg"
seeds = 2
[env]
family = "bandit"
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
[sweep]
"env.verifier.coverage" = [0, 0.5, 1]
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := cliRun(t, append([]string{"envs", path, "--format", "csv"}, envsProbe...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, _ := csv.NewReader(strings.NewReader(out)).ReadAll()
	if len(rows) != 4 {
		t.Fatalf("want 3 points, got:\n%s", out)
	}
	for i, want := range []float64{0, 0.5, 1} {
		v, _ := strconv.ParseFloat(rows[i+1][5], 64)
		if d := v - want; d < -0.15 || d > 0.15 {
			t.Errorf("point %s: V = %v, want about %v", rows[i+1][0], v, want)
		}
	}
}

// TestEnvsBadInput: a bad format and two configs are refused with exit 2;
// --list keeps the listing.
func TestEnvsBadInput(t *testing.T) {
	if code, _, stderr := cliRun(t, "envs", "--format", "xml"); code != 2 || !strings.Contains(stderr, "--format") {
		t.Errorf("--format xml: exit %d, %s", code, stderr)
	}
	if code, _, _ := cliRun(t, "envs", "a.toml", "b.toml"); code != 2 {
		t.Errorf("two configs: exit %d", code)
	}
	code, out, _ := cliRun(t, "envs", "--list")
	if code != 0 || !strings.Contains(out, "Families:") || !strings.Contains(out, "loophole:") {
		t.Errorf("--list: exit %d:\n%s", code, out)
	}
}
