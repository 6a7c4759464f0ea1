package envs

import "testing"

// benchMaze returns the maze family at its defaults, 64 tasks of split, an
// environment and an observation buffer.
func benchMaze(b *testing.B, split string) (*Maze, []Task, Env, Obs) {
	b.Helper()
	f := newTestMaze(b, 1, nil)
	tasks := make([]Task, 64)
	for i := range tasks {
		var err error
		if tasks[i], err = f.Task(split, i%max(f.PoolSize(split), len(tasks))); err != nil {
			b.Fatal(err)
		}
	}
	return f, tasks, f.NewEnv(), NewObs(f.Spec())
}

// BenchmarkMazeStep measures one environment step, alone: no policy. The
// "oracle" attempts follow Correct() (d moves and a stop, about 6 steps on
// the job's 7x7 layouts, 12 on larger@2's); the "moves" attempts cycle
// through the four moves and run to the budget. The resets that start each
// attempt are included, amortized over its steps. One op is one step.
func BenchmarkMazeStep(b *testing.B) {
	for _, bc := range []struct {
		name, split string
		oracle      bool
	}{
		{"train/oracle", SplitTrain, true},
		{"train/moves", SplitTrain, false},
		{"larger@2/oracle", "larger@2", true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, tasks, env, obs := benchMaze(b, bc.split)
			t := 0
			env.Reset(&tasks[0], &obs)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a := i % mazeStop
				if bc.oracle {
					a = env.Correct()
				}
				if env.Step(a, &obs).Done {
					t = (t + 1) % len(tasks)
					env.Reset(&tasks[t], &obs)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkMazeTask measures generating one task instance, BFS from its
// goal included (set-up cost, paid once per task, not per step).
func BenchmarkMazeTask(b *testing.B) {
	for _, split := range []string{mazeHeldout, "larger@2"} {
		b.Run(split, func(b *testing.B) {
			f, _, _, _ := benchMaze(b, split)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.Task(split, i); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMazeBuild measures building the family at its defaults: every
// layout drawn, with its all-pairs BFS (paid once per seed).
func BenchmarkMazeBuild(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewMaze(DefaultMaze(), uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
