package envs

import (
	"slices"
	"testing"
)

// Neighbour: distance 0 is the task itself; the same key makes the same
// task; every skill it uses is one of the job's; and the further it may go,
// the more of the task changes (skills per step, start context).
func TestSkillsNeighbour(t *testing.T) {
	f, err := NewSkills(DefaultSkills(), 5)
	if err != nil {
		t.Fatal(err)
	}
	train := f.groups[SplitTrain]
	changed := func(distance float64) (steps, ctx float64) {
		const n = 400
		for i := range n {
			task, err := f.Task(SplitTrain, i%f.PoolSize(SplitTrain))
			if err != nil {
				t.Fatal(err)
			}
			nb, err := f.Neighbour(&task, distance, Key(9, uint64(i)))
			if err != nil {
				t.Fatal(err)
			}
			again, _ := f.Neighbour(&task, distance, Key(9, uint64(i)))
			a, b, c := task.Data.(*skillsTask), nb.Data.(*skillsTask), again.Data.(*skillsTask)
			if !slices.Equal(b.seq, c.seq) || !slices.Equal(b.x0, c.x0) || nb.Key != again.Key {
				t.Fatal("one key made two different neighbours")
			}
			if distance == 0 && (nb.Key != task.Key || b != a) {
				t.Fatal("distance 0 is not the task itself")
			}
			for s, id := range b.seq {
				if !slices.Contains(train, id) {
					t.Fatalf("neighbour uses skill %d, not one of the job's", id)
				}
				if id != a.seq[s] {
					steps++
				}
			}
			ctx += 1 - dot(a.x0, b.x0)/float64(f.cfg.D)
		}
		return steps / n, ctx / n
	}
	prevS, prevC := -1.0, -1.0
	for _, d := range []float64{0, 0.25, 0.75} {
		s, c := changed(d)
		t.Logf("distance %v: %.2f steps' skills changed, 1 - cos(x0) %.3f", d, s, c)
		if !(s > prevS && c > prevC) && d > 0 {
			t.Errorf("distance %v changes %.2f steps and %.3f of the context: not more than at a smaller distance", d, s, c)
		}
		prevS, prevC = s, c
	}
	if _, err := f.Neighbour(&Task{Data: 1}, 0.5, 1); err == nil {
		t.Error("a task of another family made a neighbour")
	}
}
