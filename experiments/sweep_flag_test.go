package experiments

import (
	"context"
	"slices"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// --sweep is a [sweep] axis given on the command line: it expands to the
// same points (and config hash) as the table, composes with --set, takes a
// file axis's place, and a folder's manifest brings it back.
func TestSweepFlag(t *testing.T) {
	const base = "experiment = \"sw\"\nseeds = 2\n\n[[agent]]\nname = \"base\"\nmechanisms = [\"frozen\"]\n\n[[agent]]\nname = \"learner\"\nmechanisms = [\"rlvr\"]\n"
	const table = "\n[sweep]\n\"env.verifier.coverage\" = [0.25, 0.5]\n\"agent.learner.rlvr.lr\" = [0.05, 0.1]\n"
	sets := []string{"seeds=3"}
	want, err := Parse("t.toml", []byte(base+table), sets)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		file   string
		sweeps []string
	}{
		{"comma lists", base, []string{"env.verifier.coverage=0.25,0.5", "agent.learner.rlvr.lr=0.05, 0.1"}},
		{"TOML lists", base, []string{"env.verifier.coverage=[0.25, 0.5]", "agent.learner.rlvr.lr=[0.05,0.1]"}},
		{"replaces the file's axis", base + "\n[sweep]\n\"env.verifier.coverage\" = [0.9]\n", []string{"env.verifier.coverage=0.25,0.5", "agent.learner.rlvr.lr=0.05,0.1"}},
		{"adds to the file's axes", base + "\n[sweep]\n\"env.verifier.coverage\" = [0.25, 0.5]\n", []string{"agent.learner.rlvr.lr=0.05,0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWith("t.toml", []byte(tc.file), Overrides{Sets: sets, Sweeps: tc.sweeps})
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash != want.Hash {
				t.Errorf("hash %.12s, want the [sweep] table's %.12s", got.Hash, want.Hash)
			}
			var labels, wantLabels []string
			for i := range got.Points {
				labels = append(labels, got.Points[i].Label)
				if got.Points[i].Config.Seeds != 3 {
					t.Errorf("point %s: seeds %d, want the --set 3", got.Points[i].Label, got.Points[i].Config.Seeds)
				}
			}
			for i := range want.Points {
				wantLabels = append(wantLabels, want.Points[i].Label)
			}
			if !slices.Equal(labels, wantLabels) {
				t.Errorf("points %v, want %v", labels, wantLabels)
			}
			if !slices.Equal(got.Sweeps, tc.sweeps) {
				t.Errorf("Sweeps %v, want %v as given", got.Sweeps, tc.sweeps)
			}
			m := &results.Manifest{ConfigFile: got.File, ConfigText: string(got.Data), Sets: got.Sets, Sweeps: got.Sweeps, ConfigHash: got.Hash}
			if _, err := FromManifest(m); err != nil {
				t.Errorf("FromManifest: %v", err)
			}
		})
	}
}

// A folder run with --sweep reproduces bit for bit: its manifest brings
// the axis back.
func TestSweepFlagReproduces(t *testing.T) {
	exp, err := ParseWith("t.toml", []byte(smallConfig("")), Overrides{Sets: []string{"seeds=1", "job.days=1"}, Sweeps: []string{"env.verifier.coverage=0.5,1"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	m, err := results.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Sweeps, exp.Sweeps) || len(m.Points) != 2 {
		t.Fatalf("manifest sweeps %v and points %v, want %v and 2 points", m.Sweeps, m.Points, exp.Sweeps)
	}
	rep, err := Reproduce(context.Background(), dir, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Different != 0 || len(rep.Checks) != len(Plan(exp)) {
		t.Errorf("%d of %d runs differ", rep.Different, len(rep.Checks))
	}
}
