package envs

import (
	"math"
	"testing"
)

func newTestSkills(t *testing.T, mutate func(*SkillsConfig)) *Skills {
	t.Helper()
	return buildTest(t, DefaultSkills, NewSkills, 7, mutate)
}

func TestSkillsSplits(t *testing.T) {
	f := newTestSkills(t, nil)
	want := "train compose inspan outspan@0 outspan@0.25 outspan@0.5 outspan@0.75 outspan@1 " +
		"outspan-pre@0 outspan-pre@0.25 outspan-pre@0.5 outspan-pre@0.75 outspan-pre@1 longer@2 longer@4 pretrain"
	splitsAndDisjoint(t, "defaults", f, want)
}

func TestSkillsContextNormAndDeterminism(t *testing.T) {
	f := newTestSkills(t, nil)
	d := float64(f.Spec().Channels[skillsX].Size)
	run := func(split string, i int) []float64 {
		env, obs := startTask(t, f, split, i)
		var trace []float64
		for step := 0; ; step++ {
			if n := math.Sqrt(dot(obs.Dense[skillsX], obs.Dense[skillsX])); math.Abs(n-math.Sqrt(d)) > 1e-9 {
				t.Fatalf("%s task %d step %d: |x| = %v, want sqrt(d) = %v", split, i, step, n, math.Sqrt(d))
			}
			trace = append(trace, obs.Dense[skillsX]...)
			if env.Step(step%f.Spec().Actions, obs).Done {
				break
			}
		}
		return trace
	}
	for _, split := range f.Splits() {
		a, b := run(split, 3), run(split, 3)
		if len(a) == 0 || !equalFloats(a, b) {
			t.Fatalf("%s: replaying a task with the same actions gave a different trajectory", split)
		}
	}
}

// skillsTrace runs task i of split with actions that are right two steps in
// three and records every observation, step result and the outcome.
func skillsTrace(t *testing.T, f *Skills, split string, i int) ([]float64, Outcome) {
	t.Helper()
	env, obs := startTask(t, f, split, i)
	var trace []float64
	for s := 0; ; s++ {
		trace = append(trace, obs.Dense[skillsX]...)
		trace = append(trace, float64(obs.Step), float64(env.Correct()))
		a := env.Correct()
		if s%3 == 2 {
			a = (a + 1 + i) % f.Spec().Actions
		}
		r := env.Step(a, obs)
		trace = append(trace, b2f(r.Correct), b2f(r.Done))
		if r.Done {
			break
		}
	}
	return trace, env.Outcome()
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSkillsTheoreticalStructure(t *testing.T) {
	c := DefaultSkills()
	f := newTestSkills(t, nil)
	tLo, pHi := c.DimP-c.Shared, c.DimP
	outLo := c.DimP + c.DimT - c.Shared
	for _, id := range f.groups["outspan@1"] {
		for j, v := range f.skills[id].desc {
			if j < outLo && v != 0 {
				t.Fatalf("outspan@1 skill %d has mass %v on coordinate %d inside P or T", id, v, j)
			}
		}
	}
	for _, id := range f.groups[SplitPretrain] {
		for j, v := range f.skills[id].desc {
			if j >= pHi && v != 0 {
				t.Fatalf("pretraining skill %d has mass outside P at %d", id, j)
			}
		}
	}
	for _, id := range f.groups[SplitTrain] {
		for j, v := range f.skills[id].desc {
			if (j < tLo || j >= tLo+c.DimT) && v != 0 {
				t.Fatalf("job skill %d has mass outside T at %d", id, j)
			}
		}
	}
	// Angle rule.
	cosMin := math.Cos(c.MinAngle * math.Pi / 180)
	for _, split := range []string{"inspan", "outspan@0", "outspan@0.5", "outspan-pre@0.25"} {
		for _, id := range f.groups[split] {
			for _, tid := range f.groups[SplitTrain] {
				if dot(f.skills[id].desc, f.skills[tid].desc) > cosMin+1e-12 {
					t.Fatalf("%s skill %d within %v degrees of train skill %d", split, id, c.MinAngle, tid)
				}
			}
		}
	}
}

// skillsLeakCases break the family behind the generator's back (see
// TestCheckDisjointCatchesLeaks).
var skillsLeakCases = []leakCase[*Skills]{
	{"a held-out skill moved onto a training description breaks the angle rule", func(f *Skills) {
		id := f.groups["inspan"][0]
		f.skills[id].desc = append([]float64(nil), f.skills[f.groups[SplitTrain][0]].desc...)
	}, "degrees"},
	{"a held-out split that shares an identity with train", func(f *Skills) {
		f.groups["inspan"][0] = f.groups[SplitTrain][0]
	}, ""},
	{"compose repeats a job sequence", func(f *Skills) {
		// The job's pool is made to show compose task 0's order.
		task, _ := f.Task("compose", 0)
		f.seqs[0] = task.Data.(*skillsTask).seq
	}, ""},
}

// Calibration: a uniformly random policy solves an all-or-nothing task of L
// steps with A actions at rate (1/A)^L.
func TestRandomPolicyCalibration(t *testing.T) {
	for _, tc := range []struct{ actions, length int }{{2, 3}, {4, 2}, {4, 4}} {
		f := newTestSkills(t, func(c *SkillsConfig) {
			c.Actions, c.Length = tc.actions, tc.length
			c.TrainSequences = 8
			c.TrainTasks = 64
		})
		env := f.NewEnv()
		obs := NewObs(f.Spec())
		const n = 40000
		wins := 0
		for i := 0; i < n; i++ {
			task, err := f.Task("compose", i)
			if err != nil {
				t.Fatal(err)
			}
			env.Reset(&task, &obs)
			for s := uint64(0); ; s++ {
				a := int(Uniform(Key(uint64(i), s)) * float64(tc.actions))
				if env.Step(a, &obs).Done {
					break
				}
			}
			if env.Outcome().Success {
				wins++
			}
		}
		p := math.Pow(1/float64(tc.actions), float64(tc.length))
		got := float64(wins) / n
		se := math.Sqrt(p * (1 - p) / n)
		if math.Abs(got-p) > 4*se {
			t.Errorf("A=%d L=%d: random success %.4f, want %.4f +- %.4f (4 s.e.)", tc.actions, tc.length, got, p, 4*se)
		}
	}
}

// skillsConfigCases are knob settings Validate must refuse (see
// TestConfigValidate).
var skillsConfigCases = []configCase[SkillsConfig]{
	{"span too big", func(c *SkillsConfig) { c.DimP, c.DimT, c.Shared = 6, 6, 2 }, "must not exceed K"},
	{"shared too big", func(c *SkillsConfig) { c.Shared = 5 }, "shared = 5"},
	{"no room outside", func(c *SkillsConfig) { c.DimP, c.DimT, c.Shared = 4, 4, 0 }, "outside P and T"},
	{"too many sequences", func(c *SkillsConfig) { c.TrainSkills, c.Length = 2, 2 }, "train_sequences"},
}

// Held-out descriptions keep min_angle from every training description and
// from its negation (where a linear policy would generalize by sign alone).
func TestHeldoutFarFromTrainingAndItsNegation(t *testing.T) {
	for seed := uint64(0); seed < 5; seed++ {
		c := DefaultSkills()
		f, err := NewSkills(c, seed)
		if err != nil {
			t.Fatal(err)
		}
		cosMin := math.Cos(c.MinAngle * math.Pi / 180)
		for _, split := range f.Splits() {
			if split == SplitTrain || split == SplitPretrain {
				continue
			}
			for _, id := range f.groups[split] {
				for _, tr := range f.groups[SplitTrain] {
					if cos := dot(f.skills[id].desc, f.skills[tr].desc); math.Abs(cos) > cosMin+1e-12 {
						t.Fatalf("seed %d: %s skill %d has cos %.3f with train skill %d", seed, split, id, cos, tr)
					}
				}
			}
		}
	}
}

// With accept = m, a step accepts the top m actions: a uniformly random
// policy is right at rate m/A per step, and Correct (the canonical answer)
// is always accepted. accept = 1 is the plain argmax.
func TestSkillsAcceptTopM(t *testing.T) {
	for _, m := range []int{1, 2, 3} {
		f := newTestSkills(t, func(c *SkillsConfig) { c.Accept = m })
		env := f.NewEnv()
		obs := NewObs(f.Spec())
		A := f.Spec().Actions
		ok := make([]bool, A)
		steps, correct := 0, 0
		for i := 0; i < 4000; i++ {
			task, err := f.Task("inspan", i)
			if err != nil {
				t.Fatal(err)
			}
			env.Reset(&task, &obs)
			for s := 0; ; s++ {
				env.(Acceptor).Accepted(ok)
				n := 0
				for _, b := range ok {
					if b {
						n++
					}
				}
				if n != m || !ok[env.Correct()] {
					t.Fatalf("accept %d: %d accepted, canonical accepted %v", m, n, ok[env.Correct()])
				}
				a := int(Uniform(Key(uint64(i), uint64(s))) * float64(A))
				r := env.Step(a, &obs)
				steps++
				if r.Correct {
					correct++
				}
				if r.Correct != ok[a] {
					t.Fatal("Step's verdict on the action disagrees with Accepted")
				}
				if r.Done {
					break
				}
			}
		}
		p := float64(m) / float64(A)
		if got, se := float64(correct)/float64(steps), math.Sqrt(p*(1-p)/float64(steps)); math.Abs(got-p) > 4*se {
			t.Errorf("accept %d: random step accuracy %.4f, want %.4f", m, got, p)
		}
	}
}
