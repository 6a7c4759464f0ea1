package envs

import "testing"

// benchArith returns the arith family at its defaults, 64 tasks of split,
// an environment and an observation buffer.
func benchArith(b *testing.B, split string) (*Arith, []Task, Env, Obs) {
	b.Helper()
	f := newTestArith(b, 1, nil)
	tasks := make([]Task, 64)
	for i := range tasks {
		var err error
		if tasks[i], err = f.Task(split, i); err != nil {
			b.Fatal(err)
		}
	}
	return f, tasks, f.NewEnv(), NewObs(f.Spec())
}

// BenchmarkArithStep measures one environment step, alone: no policy, the
// answer cycles through the values. The resets that start each attempt are
// included, amortized over its L = 4 (train) or 8 (longer@2) steps. One op
// is one step.
func BenchmarkArithStep(b *testing.B) {
	for _, split := range []string{SplitTrain, "longer@2"} {
		b.Run(split, func(b *testing.B) {
			f, tasks, env, obs := benchArith(b, split)
			p := f.Spec().Actions
			t := 0
			env.Reset(&tasks[0], &obs)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if env.Step(i%p, &obs).Done {
					t = (t + 1) % len(tasks)
					env.Reset(&tasks[t], &obs)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkArithTask measures generating one task instance (set-up cost,
// paid once per task, not per step).
func BenchmarkArithTask(b *testing.B) {
	f, _, _, _ := benchArith(b, arithCompose)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Task(arithCompose, i); err != nil {
			b.Fatal(err)
		}
	}
}
