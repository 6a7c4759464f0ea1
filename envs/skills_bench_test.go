package envs

import "testing"

// benchSkills returns the skills family at its default shape (DESIGN 3.1),
// a pool of its training tasks, an environment and an observation buffer.
func benchSkills(b *testing.B) (*Skills, []Task, Env, Obs) {
	b.Helper()
	f, err := NewSkills(DefaultSkills(), 1)
	if err != nil {
		b.Fatal(err)
	}
	pool := make([]Task, 64)
	for i := range pool {
		if pool[i], err = f.Task(SplitTrain, i); err != nil {
			b.Fatal(err)
		}
	}
	return f, pool, f.NewEnv(), NewObs(f.Spec())
}

// BenchmarkSkillsStep measures one environment step of the skills family at
// its default shape, alone: no policy, the action is a fixed cycle through
// the action set. The resets that start each attempt are included, amortized
// over the attempt's L steps. One op is one step; steps/s is its inverse.
func BenchmarkSkillsStep(b *testing.B) {
	f, pool, env, obs := benchSkills(b)
	A := f.Spec().Actions
	t := 0
	env.Reset(&pool[0], &obs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if env.Step(i%A, &obs).Done {
			t = (t + 1) % len(pool)
			env.Reset(&pool[t], &obs)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkSkillsJudge measures the verifier's verdict on a finished attempt
// (the harness applies it once per attempt).
func BenchmarkSkillsJudge(b *testing.B) {
	v := VerifierConfig{Coverage: 0.9, FalsePositive: 0.05, FalseNegative: 0.05, Loophole: 0.5}
	outs := [2]Outcome{{Steps: 4, Correct: 4, Success: true, Score: 1}, {Steps: 4, Loophole: true}}
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v.Judge(outs[i&1], Key(uint64(i))) == VerdictPass {
			n++
		}
	}
	if n < 0 {
		b.Fatal(n) // keep n live
	}
}

// BenchmarkSkillsTask measures generating one task instance of a held-out
// split (set-up cost, paid once per evaluated task per world, not per step).
func BenchmarkSkillsTask(b *testing.B) {
	f, _, _, _ := benchSkills(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Task("inspan", i); err != nil {
			b.Fatal(err)
		}
	}
}
