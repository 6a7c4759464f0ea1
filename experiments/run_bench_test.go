package experiments

import (
	"context"
	"fmt"
	"testing"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/cputime"
	"github.com/grindbench/grindbench/results"
)

// benchConfig is a small run of the headline's shape (default skills family,
// group of 4, perfect verifier, the three headline agents) with fewer seeds,
// days, tasks and pretraining: 6 runs, about a quarter of a second.
const benchConfig = `
experiment = "bench"
seeds = 2
[job]
days = 2
sessions = 1
tasks = 64
[eval]
tasks = 32
[report]
baseline = "frozen-tuned"
[pretrain]
tasks = 1000
[env]
family = "skills"
[env.grind]
group_size = 4
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "frozen-tuned"
mechanisms = ["frozen-tuned"]
[agent.frozen-tuned]
attempts = 64
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
`

// runSteps counts the env steps of a finished results folder from its
// records, by kind:
//
//   - job: every attempt the agents paid for (job attempts and mechanisms'
//     own, such as frozen-tuned's temperature search): the EnvSteps compute
//     counter at each run's last checkpoint;
//   - eval: checkpoint evaluation, one greedy and one sampled attempt at each
//     of a checkpoint record's Tasks tasks (the split's first Tasks tasks;
//     their lengths are read from the family, so longer@k counts k L), as
//     if every checkpoint were evaluated (a checkpoint whose acting model is
//     unchanged takes the last one's outcomes and runs none: BenchmarkRunSmall
//     counts the steps evaluation did run instead);
//   - pretrain: pretraining demonstrations, Pretrain.Tasks tasks per
//     (point, seed) world, each of its task's length.
//
// Not counted, though inside the timed run: the base model's greedy
// evaluation when a world is built (one attempt per task of the pretrain
// split and of the first eval.tasks job tasks, under 1% of the steps here).
func runSteps(tb testing.TB, exp *Experiment, dir string) (job, eval, pretrain int64) {
	tb.Helper()
	recs, err := results.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := &exp.Points[0].Config
	if len(exp.Points) != 1 {
		tb.Fatalf("runSteps counts single-point experiments, got %d points", len(exp.Points))
	}
	fac, err := envs.Lookup(cfg.Env.Family)
	if err != nil {
		tb.Fatal(err)
	}
	fams := map[int]envs.Family{}
	family := func(seed int) envs.Family {
		if f, ok := fams[seed]; ok {
			return f
		}
		f, err := fac.New(cfg.Env.Knobs, uint64(seed))
		if err != nil {
			tb.Fatal(err)
		}
		fams[seed] = f
		return f
	}
	taskSteps := func(f envs.Family, split string, from, n int) int64 {
		s := int64(0)
		for i := from; i < from+n; i++ {
			t, err := f.Task(split, i)
			if err != nil {
				tb.Fatal(err)
			}
			s += int64(t.Len)
		}
		return s
	}
	last := map[string]results.Checkpoint{}
	for _, c := range recs.Checkpoints {
		if l, ok := last[c.Run]; !ok || c.Day > l.Day {
			last[c.Run] = c
		}
		eval += 2 * taskSteps(family(c.Seed), c.Split, 0, c.Tasks)
	}
	if len(last) != len(recs.Runs) {
		tb.Fatalf("%d runs but %d with checkpoints", len(recs.Runs), len(last))
	}
	for _, run := range recs.Runs {
		job += last[run].EnvSteps
	}
	for seed := range fams {
		pretrain += taskSteps(family(seed), envs.SplitPretrain, envs.PrivateIndex, cfg.Pretrain.Tasks)
	}
	return job, eval, pretrain
}

// BenchmarkRunSmall measures a whole small run: experiments.Parse of
// benchConfig and experiments.Run into a fresh folder (world building and
// pretraining, the job, checkpoint evaluation, JSON record encoding, atomic
// record files and the manifest; not the summary, tables and plots that
// grind run builds afterwards with results.Build). One op is the whole
// sweep. steps/s counts the env steps the op ran (job and pretraining as
// runSteps counts them, and the evaluation steps actually run: evalSteps)
// per second of the op, steps/op how many that is (constant unless the
// harness changes what a run does), steps/cpu-s per CPU-second of the
// process; job-steps/s counts job attempts alone.
// Compare steps/cpu-s at workers=1 with BenchmarkLoopRLVR's in agents for
// the harness's own overhead.
func BenchmarkRunSmall(b *testing.B) {
	probe, err := Parse("bench.toml", []byte(benchConfig), nil)
	if err != nil {
		b.Fatal(err)
	}
	// The run is deterministic: count its steps once, outside the timer.
	dir := b.TempDir()
	if _, err := Run(context.Background(), probe, RunOptions{Out: dir, Workers: 1}); err != nil {
		b.Fatal(err)
	}
	job, _, pretrain := runSteps(b, probe, dir)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			eval0, cpu0 := evalSteps.Load(), cputime.Self()
			for i := 0; i < b.N; i++ {
				exp, err := Parse("bench.toml", []byte(benchConfig), nil)
				if err != nil {
					b.Fatal(err)
				}
				out, err := Run(context.Background(), exp, RunOptions{Out: b.TempDir(), Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Failed) > 0 {
					b.Fatalf("failed runs: %v", out.Failed)
				}
			}
			sec, cpu := b.Elapsed().Seconds(), (cputime.Self() - cpu0).Seconds()
			n := float64(b.N)
			eval := float64(evalSteps.Load()-eval0) / n
			steps := float64(job+pretrain) + eval
			b.ReportMetric(n*steps/sec, "steps/s")
			if cpu > 0 {
				b.ReportMetric(n*steps/cpu, "steps/cpu-s")
			}
			b.ReportMetric(n*float64(job)/sec, "job-steps/s")
			b.ReportMetric(steps, "steps/op")
		})
	}
}
