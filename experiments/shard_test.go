package experiments

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		flag string
		env  func(string) string
		want Shard
		err  string
	}{
		{"", env(), Shard{}, ""},
		{"1/3", env(), Shard{1, 3}, ""},
		{"", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "4"), Shard{2, 4}, ""},
		{"", env("JOB_COMPLETION_INDEX", "0", "SLURM_ARRAY_TASK_COUNT", "2"), Shard{0, 2}, ""},
		{"0/2", env("SLURM_ARRAY_TASK_ID", "5"), Shard{0, 2}, ""}, // the flag wins
		{"", env("JOB_COMPLETION_INDEX", "1"), Shard{}, "count"},
		{"3/3", env(), Shard{}, "out of range"},
		{"-1/3", env(), Shard{}, "out of range"},
		{"1/0", env(), Shard{}, "at least 1"},
		{"a/3", env(), Shard{}, "whole numbers"},
		{"3", env(), Shard{}, "want I/N"},
	} {
		got, err := ParseShard(tc.flag, tc.env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShard(%q): error %v, want one containing %q", tc.flag, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.flag, got, err, tc.want)
		}
	}
}

func buildSummary(t *testing.T, dir string) []byte {
	t.Helper()
	if _, err := results.Build(dir, results.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameRecords(t *testing.T, a, b string, keys []RunSpec) {
	t.Helper()
	for _, r := range keys {
		x, err1 := os.ReadFile(results.RunPath(a, r.Key))
		y, err2 := os.ReadFile(results.RunPath(b, r.Key))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Fatalf("run %s differs between %s and %s (%v, %v)", r.Key, a, b, err1, err2)
		}
	}
}

// TestShardsMergedEqualUnsharded: on every registered family, at its
// defaults and with every grindability knob set, one worker, two workers
// per shard over three merged shards, and four workers give the same
// records and summary. An MLP agent rides along (the shipped maze and arith
// configs run one).
func TestShardsMergedEqualUnsharded(t *testing.T) {
	const mlp = `
[[agent]]
name = "rlvr-mlp"
mechanisms = ["rlvr"]
[agent.policy]
model = "mlp"
hidden = 8
`
	names := envs.Names()
	for _, want := range []string{"arith", "bandit", "maze", "skills"} {
		if !slices.Contains(names, want) {
			t.Fatalf("family %q is not registered (have %v)", want, names)
		}
	}
	for _, family := range names {
		for _, tc := range []struct {
			name string
			sets []string
		}{
			{"default", nil},
			// Every grindability knob away from its default: retries wait for
			// verdicts that arrive late, flaky steps, step verdicts, a budget.
			{"grind-knobs", grindKnobSets},
		} {
			sets := append([]string{fmt.Sprintf("env.family=%q", family)}, tc.sets...)
			if testing.Short() { // still 8 runs over 3 shards
				sets = append(sets, "seeds=2", "pretrain.tasks=200", "job.tasks=8", "eval.tasks=8")
			}
			// Summaries follow from the records; drawing them (most of the
			// cost) once per family is enough when short.
			summaries := family == "skills" || !testing.Short()
			t.Run(family+"/"+tc.name, func(t *testing.T) {
				exp := mustParse(t, smallConfig(mlp), sets...)
				if exp.Config.Env.Family != family {
					t.Fatalf("env.family = %q, want %q", exp.Config.Env.Family, family)
				}
				shardsMergedEqualUnsharded(t, exp, summaries)
			})
		}
	}
}

// shardsMergedEqualUnsharded compares the records (and, with summaries,
// the built summary.csv) of exp run whole, in 3 merged shards, and on 4
// workers.
func shardsMergedEqualUnsharded(t *testing.T, exp *Experiment, summaries bool) {
	whole := t.TempDir()
	if _, err := Run(context.Background(), exp, RunOptions{Out: whole, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	var shards []string
	total := 0
	for i := 0; i < 3; i++ {
		d := t.TempDir()
		out, err := Run(context.Background(), exp, RunOptions{Out: d, Workers: 2, Shard: Shard{i, 3}})
		if err != nil {
			t.Fatal(err)
		}
		total += len(out.Runs)
		shards = append(shards, d)
	}
	if total != len(Plan(exp)) {
		t.Fatalf("shards ran %d runs in all, want %d", total, len(Plan(exp)))
	}
	merged := filepath.Join(t.TempDir(), "merged")
	// A retried shard (shard 1 given twice) is tolerated.
	if _, _, err := Merge(merged, append(shards, shards[1])); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, whole, merged, Plan(exp))
	var ws []byte
	if summaries {
		ws = buildSummary(t, whole)
		if b := buildSummary(t, merged); !bytes.Equal(ws, b) {
			t.Fatal("summary.csv of the merged shards differs from the unsharded run's")
		}
	}
	mw, _ := results.ReadManifest(whole)
	mm, _ := results.ReadManifest(merged)
	if len(mw.Runs) != len(mm.Runs) || len(mw.Pretrain) != len(mm.Pretrain) || mm.Shard != "" {
		t.Fatalf("merged manifest: %d runs, %d pretrain entries, shard %q; want %d, %d, none", len(mm.Runs), len(mm.Pretrain), mm.Shard, len(mw.Runs), len(mw.Pretrain))
	}
	for i := range mw.Runs {
		if mw.Runs[i] != mm.Runs[i] {
			t.Fatalf("manifest run %d: %+v vs %+v", i, mw.Runs[i], mm.Runs[i])
		}
	}

	// Four workers give the same folder as one.
	w4 := t.TempDir()
	if _, err := Run(context.Background(), exp, RunOptions{Out: w4, Workers: 4}); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, whole, w4, Plan(exp))
	if summaries {
		if b := buildSummary(t, w4); !bytes.Equal(ws, b) {
			t.Fatal("summary.csv differs between --workers 1 and --workers 4")
		}
	}
}

func TestMergeRefusesMixedConfigs(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), mustParse(t, smallConfig("")), RunOptions{Out: a, Shard: Shard{0, 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), mustParse(t, smallConfig(""), "seeds=2"), RunOptions{Out: b, Shard: Shard{1, 2}}); err != nil {
		t.Fatal(err)
	}
	_, _, err := Merge(filepath.Join(t.TempDir(), "m"), []string{a, b})
	if err == nil || !strings.Contains(err.Error(), "config hash") {
		t.Fatalf("want a refusal naming the config hash, got %v", err)
	}
}

func TestReproduce(t *testing.T) {
	exp := mustParse(t, smallConfig(""))
	dir := t.TempDir()
	if _, err := Run(context.Background(), exp, RunOptions{Out: dir}); err != nil {
		t.Fatal(err)
	}
	rep, err := Reproduce(context.Background(), dir, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Different != 0 || len(rep.Checks) != len(Plan(exp)) {
		t.Fatalf("fresh folder: %d of %d runs differ", rep.Different, len(rep.Checks))
	}
	victim := Plan(exp)[2].Key
	path := results.RunPath(dir, victim)
	data, _ := results.ReadRunLines(path)
	edited := bytes.Replace(data, []byte(`"tasks":16`), []byte(`"tasks":17`), 1)
	if bytes.Equal(edited, data) {
		t.Fatal("test did not edit the record")
	}
	if err := results.WriteRunLines(path, edited); err != nil {
		t.Fatal(err)
	}
	rep, err = Reproduce(context.Background(), dir, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Different != 1 {
		t.Fatalf("after editing one record %d runs differ, want 1", rep.Different)
	}
	for _, c := range rep.Checks {
		if (c.Status != "identical") != (c.Key == victim) {
			t.Fatalf("run %s: %s (%s); only %s was edited", c.Key, c.Status, c.Detail, victim)
		}
	}
}

// nanInjector poisons the policy at the end of its second session: a test
// stand-in for a learner whose weights blow up.
type nanInjector struct{ sessions int }

func (*nanInjector) Name() string { return "nan-injector" }

func (m *nanInjector) EndSession(a *agents.Agent, _ agents.Harness) error {
	m.sessions++
	if m.sessions == 2 {
		a.Weights.Params()[0] = math.NaN()
	}
	return nil
}

func init() {
	agents.RegisterMechanism(agents.MechanismFactory{
		Name: "nan-injector", Doc: "test only: makes a weight NaN after the second session", Learns: true,
		New: func(any) (agents.Mechanism, error) { return &nanInjector{}, nil },
	})
}

func TestDivergedRunFailsAloneAndIsListed(t *testing.T) {
	exp := mustParse(t, smallConfig(`
[[agent]]
name = "poisoned"
mechanisms = ["rlvr", "nan-injector"]
`)+"\n", "job.days=3")
	dir := t.TempDir()
	out, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failed) != 3 || out.Ran != 9 {
		t.Fatalf("failed %d, ran %d; want the 3 poisoned runs failed and 9 done", len(out.Failed), out.Ran)
	}
	for key, cause := range out.Failed {
		if !strings.Contains(key, "poisoned") || !strings.Contains(cause, "day 2") || !strings.Contains(cause, "NaN") {
			t.Fatalf("failure %s: %s", key, cause)
		}
		if _, err := os.Stat(failurePath(dir, key)); err != nil {
			t.Fatalf("no failure file for %s", key)
		}
		if _, err := os.Stat(results.RunPath(dir, key)); err == nil {
			t.Fatalf("a failed run left records: %s", key)
		}
	}
	m, _ := results.ReadManifest(dir)
	failed := 0
	for _, r := range m.Runs {
		if r.Status == "failed" {
			failed++
			if r.Error == "" {
				t.Fatalf("manifest lists %s as failed without a cause", r.Key)
			}
		}
	}
	if failed != 3 {
		t.Fatalf("manifest lists %d failed runs, want 3", failed)
	}
	b, err := results.Build(dir, results.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Summary.Cells {
		if c.Agent == "poisoned" {
			t.Fatalf("a failed run's agent has an aggregate: %+v", c)
		}
		if c.N != 3 {
			t.Fatalf("cell %+v covers %d runs, want 3", c, c.N)
		}
	}
}
