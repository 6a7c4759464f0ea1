package envs

import "testing"

// benchBandit returns the bandit family at its defaults, a pool of its
// training tasks, an environment and an observation buffer.
func benchBandit(b *testing.B, length int) (*Bandit, []Task, Env, Obs) {
	b.Helper()
	f := newTestBandit(b, 1, func(c *BanditConfig) { c.Length = length })
	pool := make([]Task, 64)
	for i := range pool {
		var err error
		if pool[i], err = f.Task(SplitTrain, i); err != nil {
			b.Fatal(err)
		}
	}
	return f, pool, f.NewEnv(), NewObs(f.Spec())
}

// BenchmarkBanditStep measures one environment step, alone: no policy, the
// action cycles through the arms. The resets that start each attempt are
// included, amortized over its steps: at the default length 1 every step
// pays a reset. One op is one step.
func BenchmarkBanditStep(b *testing.B) {
	for _, bc := range []struct {
		name   string
		length int
	}{{"L=1", 1}, {"L=4", 4}} {
		b.Run(bc.name, func(b *testing.B) {
			f, pool, env, obs := benchBandit(b, bc.length)
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
		})
	}
}

// BenchmarkBanditExpected measures the closed form for one split under a
// policy (paid once per check, not per step).
func BenchmarkBanditExpected(b *testing.B) {
	f, _, _, _ := benchBandit(b, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.ExpectedSuccess(SplitPretrain, f.Oracle); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBanditTask measures generating one task instance (set-up cost,
// paid once per task, not per step).
func BenchmarkBanditTask(b *testing.B) {
	f, _, _, _ := benchBandit(b, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Task(banditHeldout, i); err != nil {
			b.Fatal(err)
		}
	}
}
