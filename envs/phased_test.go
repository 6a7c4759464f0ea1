package envs

import "testing"

// The skills family's phase groups cut the job's skills into n disjoint,
// non-empty groups covering them all; a group's tasks (pool and fresh) use
// its skills alone; tasks are reproducible and differ between groups.
func TestSkillsPhaseGroups(t *testing.T) {
	f, err := NewSkills(DefaultSkills(), 7)
	if err != nil {
		t.Fatal(err)
	}
	train := f.groups[SplitTrain]
	for _, n := range []int{1, 3, len(train)} {
		owner := map[int]int{}
		for g := range n {
			used := map[int]bool{}
			for _, i := range []int{0, 1, f.PhasePool(n) - 1, FreshTask(5)} {
				task, err := f.PhaseTask(n, g, i)
				if err != nil {
					t.Fatal(err)
				}
				again, _ := f.PhaseTask(n, g, i)
				if task.Key != again.Key || task.Split != PhaseSplit(g) {
					t.Fatalf("n=%d group %d task %d: not reproducible or misnamed (%s)", n, g, i, task.Split)
				}
				for _, id := range task.Data.(*skillsTask).seq {
					if o, ok := owner[id]; ok && o != g {
						t.Fatalf("n=%d: skill %d in groups %d and %d", n, id, o, g)
					}
					owner[id] = g
					used[id] = true
				}
			}
			if len(used) == 0 {
				t.Fatalf("n=%d group %d uses no skill", n, g)
			}
		}
		for id := range owner {
			found := false
			for _, s := range train {
				found = found || s == id
			}
			if !found {
				t.Fatalf("n=%d: phase task uses skill %d, not a job skill", n, id)
			}
		}
	}
	if _, err := f.PhaseTask(len(train)+1, 0, 0); err == nil {
		t.Error("more groups than skills accepted")
	}
	if _, err := f.PhaseTask(2, 0, f.PhasePool(2)); err == nil {
		t.Error("a task past the group's pool accepted")
	}
	a, _ := f.PhaseTask(2, 0, 0)
	b, _ := f.PhaseTask(2, 1, 0)
	c, _ := f.PhaseTask(3, 0, 0)
	if a.Key == b.Key || a.Key == c.Key {
		t.Error("groups or cuts share task keys")
	}
}
