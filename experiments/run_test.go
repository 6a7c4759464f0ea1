package experiments

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
	"github.com/grindbench/grindbench/results/stats"
)

// smallConfig is a fast experiment for tests; extra is appended verbatim.
func smallConfig(extra string) string {
	return `
experiment = "test"
seeds = 3
[job]
days = 2
sessions = 1
tasks = 16
[eval]
tasks = 16
[pretrain]
tasks = 500
[env]
family = "skills"
[env.grind]
group_size = 2
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "frozen-tuned"
mechanisms = ["frozen-tuned"]
[agent.frozen-tuned]
attempts = 16
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
` + extra
}

func mustParse(t testing.TB, src string, sets ...string) *Experiment {
	t.Helper()
	exp, err := Parse("test.toml", []byte(src), sets)
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func mustRun(t testing.TB, exp *Experiment, workers int) (string, *results.Records) {
	t.Helper()
	return mustRunWith(t, exp, RunOptions{Workers: workers})
}

// mustRunWith is mustRun with further options (AllowExternal, ...); it
// runs into a fresh temporary folder, which it sets as opts.Out.
func mustRunWith(t testing.TB, exp *Experiment, opts RunOptions) (string, *results.Records) {
	t.Helper()
	dir := t.TempDir()
	opts.Out = dir
	out, err := Run(context.Background(), exp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failed) > 0 {
		t.Fatalf("failed runs: %v", out.Failed)
	}
	recs, err := results.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, recs
}

func TestRecordsIdenticalAcrossWorkerCounts(t *testing.T) {
	exp := mustParse(t, smallConfig(""))
	dir1, r1 := mustRun(t, exp, 1)
	dir2, r2 := mustRun(t, exp, 2)
	if len(r1.Runs) != 9 || strings.Join(r1.Runs, ",") != strings.Join(r2.Runs, ",") {
		t.Fatalf("runs differ: %v vs %v", r1.Runs, r2.Runs)
	}
	for _, key := range r1.Runs {
		a, _ := os.ReadFile(results.RunPath(dir1, key))
		b, _ := os.ReadFile(results.RunPath(dir2, key))
		if !bytes.Equal(a, b) {
			t.Fatalf("run %s: records differ between --workers 1 and --workers 2", key)
		}
	}
	// The manifest's per-run hashes agree too.
	m1, _ := results.ReadManifest(dir1)
	m2, _ := results.ReadManifest(dir2)
	for i := range m1.Runs {
		if m1.Runs[i].Hash == "" || m1.Runs[i].Hash != m2.Runs[i].Hash {
			t.Fatalf("manifest hash of %s: %q vs %q", m1.Runs[i].Key, m1.Runs[i].Hash, m2.Runs[i].Hash)
		}
	}
}

func TestRerunSkipsFinishedRuns(t *testing.T) {
	exp := mustParse(t, smallConfig(""))
	dir := t.TempDir()
	if _, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	victim := results.RunPath(dir, Plan(exp)[4].Key)
	before, _ := os.ReadFile(victim)
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if out.Ran != 1 || out.Skipped != 8 {
		t.Fatalf("rerun ran %d and skipped %d, want 1 and 8", out.Ran, out.Skipped)
	}
	after, _ := os.ReadFile(victim)
	if !bytes.Equal(before, after) {
		t.Fatal("the rerun run's records differ from the first time")
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, results.RunsDir, ".*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestRefusesFolderOfAnotherConfig(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(context.Background(), mustParse(t, smallConfig("")), RunOptions{Out: dir}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), mustParse(t, smallConfig(""), "seeds=4"), RunOptions{Out: dir})
	if err == nil || !strings.Contains(err.Error(), "another config") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestBuiltInHeadlineIsValid(t *testing.T) {
	exp, err := LoadShipped(DefaultName, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exp.Config.Seeds < 10 {
		t.Fatalf("headline runs %d seeds; the spine promises at least 10", exp.Config.Seeds)
	}
}

// finalValues returns, for one agent and split at the last checkpoint, the
// metric per seed.
func finalValues(recs *results.Records, agent, split string, metric func(*results.Checkpoint) float64) map[int]float64 {
	last := 0
	for _, c := range recs.Checkpoints {
		last = max(last, c.Day)
	}
	out := map[int]float64{}
	for i := range recs.Checkpoints {
		c := &recs.Checkpoints[i]
		if c.Agent == agent && c.Split == split && c.Day == last {
			out[c.Seed] = metric(c)
		}
	}
	return out
}

func paired(a, b map[int]float64) (x, y []float64) {
	for s := 0; s < len(a)+len(b); s++ {
		va, oka := a[s]
		vb, okb := b[s]
		if oka && okb {
			x, y = append(x, va), append(y, vb)
		}
	}
	return
}

func successGreedy(c *results.Checkpoint) float64 { return c.SuccessGreedy }

// requireZeroInCI fails unless the 95% paired-bootstrap CI of a-b holds 0.
func requireZeroInCI(t *testing.T, what string, a, b map[int]float64) stats.Interval {
	t.Helper()
	x, y := paired(a, b)
	ci := stats.PairedDiff(x, y, 0.95, 4000, 11)
	if ci.N < 10 || !(ci.Lo <= 0 && 0 <= ci.Hi) {
		t.Errorf("%s: paired difference %.4f [%.4f, %.4f] over %d seeds excludes 0", what, ci.Point, ci.Lo, ci.Hi, ci.N)
	}
	return ci
}

// calibrationConfig trains rlvr enough to move far from the base model.
func calibrationConfig(extra string) string {
	return `
experiment = "calibration"
seeds = 24
[job]
days = 1
sessions = 1
tasks = 256
[eval]
tasks = 128
[pretrain]
tasks = 2000
[env]
family = "skills"
[env.grind]
group_size = 4
` + extra
}

// Calibration: a policy that ignores sequence order (every policy here) is
// as good on new orders of the job's skills as on the job's own orders.
func TestCalibrationComposeEqualsTrain(t *testing.T) {
	exp := mustParse(t, calibrationConfig(`
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
`))
	_, recs := mustRun(t, exp, 2)
	requireZeroInCI(t, "frozen: compose - train",
		finalValues(recs, "frozen", "compose", successGreedy), finalValues(recs, "frozen", "train", successGreedy))
}

// Calibration: at outspan@1 every description lies outside anything trained,
// so with the bias off and no KL penalty rlvr acts exactly like the base
// model (with the bias on, what it does there is a finding, logged).
// outspan@0 is generated like inspan and must match it.
func TestCalibrationOutspan(t *testing.T) {
	exp := mustParse(t, calibrationConfig(`
[[agent]]
name = "frozen-nobias"
mechanisms = ["frozen"]
[agent.policy]
bias = false
[[agent]]
name = "rlvr-nobias"
mechanisms = ["rlvr"]
[agent.policy]
bias = false
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
`))
	_, recs := mustRun(t, exp, 2)
	for _, c := range recs.Checkpoints {
		if c.Agent != "rlvr-nobias" || c.Split != "outspan@1" {
			continue
		}
		for _, b := range recs.Checkpoints {
			if b.Agent == "frozen-nobias" && b.Split == "outspan@1" && b.Seed == c.Seed && b.Day == c.Day {
				if b.SuccessGreedy != c.SuccessGreedy || b.ScoreGreedy != c.ScoreGreedy ||
					b.ScoreSampled != c.ScoreSampled || b.StepAccSampled != c.StepAccSampled {
					t.Fatalf("seed %d day %d: rlvr without bias acts unlike the base model at outspan@1: %+v vs %+v", c.Seed, c.Day, c, b)
				}
			}
		}
	}
	// The check above must not hold by accident: rlvr did learn.
	tr := finalValues(recs, "rlvr-nobias", "train", successGreedy)
	base := finalValues(recs, "frozen-nobias", "train", successGreedy)
	x, y := paired(tr, base)
	if d := stats.PairedDiff(x, y, 0.95, 2000, 3); !(d.Lo > 0) {
		t.Fatalf("rlvr did not learn the job (train gain %v): the outspan@1 check would be vacuous", d)
	}
	// With the bias on, rlvr's bias moves, and at outspan@1 both policies
	// act one constant action per step (the argmax of their bias): which
	// constant it is changes step accuracy and success per seed, so their
	// agreeing within CI is a claim about the distribution over seeds, not
	// algebra. It is measured and logged as a finding, not asserted (after
	// the two-sided angle rule: step accuracy -0.028 [-0.050, -0.007],
	// success -0.002 [-0.007, +0.002] over these 24 seeds).
	stepAcc := func(c *results.Checkpoint) float64 { return c.StepAccGreedy }
	x, y = paired(finalValues(recs, "rlvr", "outspan@1", stepAcc), finalValues(recs, "frozen", "outspan@1", stepAcc))
	t.Logf("rlvr (bias on) - frozen at outspan@1, step accuracy: %v (a finding, not a calibration)", stats.PairedDiff(x, y, 0.95, 2000, 3))
	x, y = paired(finalValues(recs, "rlvr", "outspan@1", successGreedy), finalValues(recs, "frozen", "outspan@1", successGreedy))
	t.Logf("rlvr (bias on) - frozen at outspan@1, success: %v (a finding, not a calibration)", stats.PairedDiff(x, y, 0.95, 2000, 3))
	for _, agent := range []string{"frozen", "rlvr"} {
		requireZeroInCI(t, agent+": outspan@0 - inspan",
			finalValues(recs, agent, "outspan@0", successGreedy), finalValues(recs, agent, "inspan", successGreedy))
	}
}

// Calibration: with steps that succeed independently, success on a task of
// kL steps is the per-step accuracy to the power kL.
func TestCalibrationLongerFollowsStepAccuracy(t *testing.T) {
	exp := mustParse(t, calibrationConfig(`
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
`))
	_, recs := mustRun(t, exp, 2)
	for _, k := range []int{2, 4} {
		split := "longer@" + string(rune('0'+k))
		got := finalValues(recs, "rlvr", split, successGreedy)
		pred := finalValues(recs, "rlvr", split, func(c *results.Checkpoint) float64 {
			return math.Pow(c.StepAccGreedy, float64(4*k))
		})
		ci := requireZeroInCI(t, split+": success - step_acc^(kL)", got, pred)
		t.Logf("%s: success - step_acc^(kL) = %.4f [%.4f, %.4f]", split, ci.Point, ci.Lo, ci.Hi)
	}
}

// Calibration: a policy with every channel off has all-zero logits; keyed
// tie-breaking then makes it uniformly random, so it solves an
// all-or-nothing task of L steps at rate (1/A)^L.
func TestCalibrationRandomPolicy(t *testing.T) {
	exp := mustParse(t, calibrationConfig(`
[env.skills]
actions = 2
length = 3
[[agent]]
name = "random"
mechanisms = ["frozen"]
[agent.policy]
bilinear = false
id_channel = false
bias = false
`))
	_, recs := mustRun(t, exp, 2)
	wins, n := 0.0, 0.0
	for _, c := range recs.Checkpoints {
		if c.Day == 0 && !strings.HasPrefix(c.Split, "longer@") {
			wins += c.SuccessGreedy * float64(c.Tasks)
			n += float64(c.Tasks)
		}
	}
	p := 1.0 / 8
	if got, se := wins/n, math.Sqrt(p*(1-p)/n); math.Abs(got-p) > 4*se {
		t.Fatalf("random policy success %.4f over %.0f attempts, want %.4f +- %.4f", got, n, p, 4*se)
	}
}

func TestDamagedRunFileIsRunAgain(t *testing.T) {
	exp := mustParse(t, smallConfig(""))
	dir := t.TempDir()
	if _, err := Run(context.Background(), exp, RunOptions{Out: dir}); err != nil {
		t.Fatal(err)
	}
	victim := results.RunPath(dir, Plan(exp)[1].Key)
	good, _ := os.ReadFile(victim)
	if err := os.WriteFile(victim, good[:len(good)/2], 0o644); err != nil { // truncated by hand
		t.Fatal(err)
	}
	if _, err := results.ReadDir(dir); err == nil || !strings.Contains(err.Error(), filepath.Base(victim)) {
		t.Fatalf("reading a truncated folder: want an error naming %s, got %v", victim, err)
	}
	out, err := Run(context.Background(), exp, RunOptions{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	if out.Ran != 1 {
		t.Fatalf("ran %d runs, want the damaged one again", out.Ran)
	}
	if again, _ := os.ReadFile(victim); !bytes.Equal(again, good) {
		t.Fatal("the rerun did not restore the run's records")
	}
}

func TestUnwritableOutputFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	out := filepath.Join(file, "out")
	_, err := Run(context.Background(), mustParse(t, smallConfig("")), RunOptions{Out: out})
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("want an error naming %s, got %v", file, err)
	}
}
