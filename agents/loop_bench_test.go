package agents_test

import (
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

// benchLoop measures the hot loop on the default skills shape: env step plus
// agent act, and (when learning) the rlvr update on a group of 4 with
// perfect verdicts. It reports env steps per second.
func benchLoop(b *testing.B, mech string) {
	f, err := envs.NewSkills(envs.DefaultSkills(), 1)
	if err != nil {
		b.Fatal(err)
	}
	base, err := agents.Pretrain(f, agents.PretrainConfig{Tasks: 200, LR: 0.1})
	if err != nil {
		b.Fatal(err)
	}
	const group = 4
	a, err := agents.New(agents.Config{Name: mech, Mechanisms: []string{mech}, Policy: agents.DefaultPolicy()}, base, group)
	if err != nil {
		b.Fatal(err)
	}
	var pool []envs.Task
	for i := 0; i < 64; i++ {
		t, err := f.Task(envs.SplitTrain, i)
		if err != nil {
			b.Fatal(err)
		}
		pool = append(pool, t)
	}
	env := f.NewEnv()
	obs := envs.NewObs(f.Spec())
	ver := envs.DefaultVerifier()
	verdicts := make([]envs.Verdict, group)
	steps := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := &pool[i%len(pool)]
		tr := a.BeginGroup(group)
		for m := 0; m < group; m++ {
			key := envs.Key(uint64(i), uint64(m))
			env.Reset(t, &obs)
			for s := uint64(0); ; s++ {
				act := a.Act(&obs, false, envs.Key(key, s))
				tr.Record(m, &obs, act)
				steps++
				if env.Step(act, &obs).Done {
					break
				}
			}
			verdicts[m] = ver.Judge(env.Outcome(), key)
		}
		a.EndGroup(verdicts)
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkLoopRLVR(b *testing.B)   { benchLoop(b, "rlvr") }
func BenchmarkLoopFrozen(b *testing.B) { benchLoop(b, "frozen") }
