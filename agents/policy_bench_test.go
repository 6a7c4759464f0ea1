package agents_test

import (
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

// benchObs records n observations the default skills environment shows
// under the loop fixture's agent, so that act and update benchmarks read
// realistic inputs without stepping the environment.
func benchObs(tb testing.TB, l *loop, n int) []envs.Obs {
	tb.Helper()
	s := l.a.Weights.Spec()
	out := make([]envs.Obs, 0, n)
	for i := 0; len(out) < n; i++ {
		l.env.Reset(&l.pool[i%len(l.pool)], &l.obs)
		for step := uint64(0); len(out) < n; step++ {
			o := envs.NewObs(s)
			o.CopyFrom(&l.obs)
			out = append(out, o)
			if l.env.Step(l.a.Act(&l.obs, false, envs.Key(uint64(i), step)), &l.obs).Done {
				break
			}
		}
	}
	return out
}

// BenchmarkAct measures the agent's action alone: Model.Logits plus Choose
// on the default skills shape with every policy channel on, sampled (what
// the job does) and greedy (what evaluation does). One op is one action.
func BenchmarkAct(b *testing.B) {
	for _, mode := range []struct {
		name   string
		greedy bool
	}{{"sampled", false}, {"greedy", true}} {
		b.Run(mode.name, func(b *testing.B) {
			l := newLoop(b, "rlvr", "bilinear")
			obs := benchObs(b, l, 256)
			p := l.a.Weights
			logits := make([]float64, p.Spec().Actions)
			probs := make([]float64, p.Spec().Actions)
			sum := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Logits(logits, &obs[i%len(obs)])
				sum += agents.Choose(logits, probs, mode.greedy, uint64(i))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acts/s")
			if sum < 0 {
				b.Fatal(sum) // keep sum live
			}
		})
	}
}

// BenchmarkUpdateRLVR measures the rlvr update alone: Agent.Learn on one
// logged group of 4 attempts at a default skills task, 16 steps in all.
// Verdicts are two passes and two fails, swapped on every other op so the
// updates cancel and the weights stay bounded however long the benchmark
// runs. One op is one group update; grad-steps/s counts per-step parameter
// updates.
func BenchmarkUpdateRLVR(b *testing.B) {
	l := newLoop(b, "rlvr", "bilinear")
	attempts := make([]int, loopGroup)
	for m := 0; m < loopGroup; m++ {
		l.env.Reset(&l.pool[0], &l.obs)
		attempts[m] = l.a.Log.Begin(&l.pool[0], m)
		for s := uint64(0); ; s++ {
			act := l.a.Act(&l.obs, false, envs.Key(uint64(m), s))
			l.a.Log.Record(&l.obs, act)
			if l.env.Step(act, &l.obs).Done {
				break
			}
		}
	}
	fbs := [2]agents.Feedback{
		{Attempts: attempts, Verdicts: []envs.Verdict{envs.VerdictPass, envs.VerdictFail, envs.VerdictFail, envs.VerdictPass}},
		{Attempts: attempts, Verdicts: []envs.Verdict{envs.VerdictFail, envs.VerdictPass, envs.VerdictPass, envs.VerdictFail}},
	}
	start := l.a.Compute.GradSteps
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.a.Learn(&fbs[i&1])
	}
	b.ReportMetric(float64(l.a.Compute.GradSteps-start)/b.Elapsed().Seconds(), "grad-steps/s")
	if err := l.a.Finite(); err != nil {
		b.Fatal(err)
	}
}
