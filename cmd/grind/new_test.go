package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/experiments"
)

// grind new writes a commented starter config that loads and validates,
// refuses to overwrite a file without --force, and names the experiment
// after the file.
func TestNewWritesAValidStarter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "My Study")
	var out, errOut strings.Builder
	if code := realMain([]string{"new", path}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	file := path + ".toml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# my-study: a starter experiment") {
		t.Errorf("starter does not open with a comment naming it:\n%.200s", data)
	}
	exp, err := experiments.Load(file, nil)
	if err != nil {
		t.Fatalf("the starter does not validate: %v", err)
	}
	if exp.Config.Experiment != "my-study" || len(exp.Points) < 2 || len(exp.Config.Agents) < 2 {
		t.Errorf("experiment %q with %d points and %d agents, want my-study with a sweep and two agents", exp.Config.Experiment, len(exp.Points), len(exp.Config.Agents))
	}
	if !strings.Contains(out.String(), "grind validate") {
		t.Errorf("no next step in %q", out.String())
	}
	out.Reset()
	errOut.Reset()
	if code := realMain([]string{"new", file}, &out, &errOut); code != exitBadInput || !strings.Contains(errOut.String(), "--force") {
		t.Errorf("second new: exit %d, stderr %q; want 2 naming --force", code, errOut.String())
	}
	if code := realMain([]string{"new", file, "--force"}, &out, &errOut); code != 0 {
		t.Errorf("new --force: exit %d: %s", code, errOut.String())
	}
}
