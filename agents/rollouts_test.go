package agents

import (
	"math"
	"slices"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// rolloutTwins returns two identical agents (mechanisms mechs, knobs) on
// the default skills family and the family.
func rolloutTwins(t *testing.T, mechs []string, knobs map[string]any) (*envs.Skills, *Agent, *Agent) {
	t.Helper()
	f, err := envs.NewSkills(envs.DefaultSkills(), 3)
	if err != nil {
		t.Fatal(err)
	}
	pol := DefaultPolicy()
	base, err := Pretrain(f, PretrainConfig{Tasks: 300, LR: 0.1}, pol, 3)
	if err != nil {
		t.Fatal(err)
	}
	twin := func() *Agent {
		a, err := New(Config{Name: "a", Mechanisms: mechs, Policy: pol, Knobs: knobs}, base, 3)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return f, twin(), twin()
}

// TestRolloutsMatchActing plays the same groups with Agent.Act and
// Agent.Record member by member (the serial job) and with Rollouts, on
// twin agents that learn from perfect verdicts: every action, step result,
// outcome, session-log step (observation bits, action, probabilities and
// their generation) and, after every update, every weight must agree bit
// for bit.
func TestRolloutsMatchActing(t *testing.T) {
	lr := DefaultRLVR()
	lr.LR = 2
	for _, tc := range []struct {
		name  string
		mechs []string
		knobs map[string]any
	}{
		{"rlvr", []string{"rlvr"}, map[string]any{"rlvr": &lr}},
		{"frozen", []string{"frozen"}, nil},
		{"rlvr+context", []string{"rlvr", "context"}, map[string]any{"rlvr": &lr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, serial, tree := rolloutTwins(t, tc.mechs, tc.knobs)
			if tree.Acts() {
				t.Fatal("the agent acts through an actor")
			}
			env, brEnv := f.NewEnv(), f.NewEnv()
			br := brEnv.(envs.Brancher)
			obs := envs.NewObs(f.Spec())
			ro := NewRollouts(f.Spec())
			ver := envs.DefaultVerifier()
			const group = 8
			keys := make([]uint64, group)
			attempts := make([]int, group)
			v1, v2 := make([]envs.Verdict, group), make([]envs.Verdict, group)
			states := 0
			for slot := range 60 {
				task, err := f.Task(envs.SplitTrain, slot%5) // tasks come back: the caches see them again
				if err != nil {
					t.Fatal(err)
				}
				if slot%20 == 0 { // sessions: the logs start afresh
					if serial.Log != nil {
						serial.Log.Reset()
						tree.Log.Reset()
					}
				}
				for m := range keys {
					keys[m] = envs.Key(uint64(slot), uint64(m))
				}
				ro.Run(tree, br, &task, keys)
				states += ro.States()
				for m, key := range keys {
					env.Reset(&task, &obs)
					if serial.Log != nil {
						attempts[m] = serial.Log.Begin(&task, m)
					}
					var acts []int
					for s := uint64(0); ; s++ {
						act := serial.Act(&obs, false, envs.Key(key, s))
						if serial.Log != nil {
							serial.Record(&obs, act)
						}
						acts = append(acts, act)
						res := env.Step(act, &obs)
						if got := ro.Result(m, int(s)); got != res {
							t.Fatalf("slot %d member %d step %d: result %+v, alone %+v", slot, m, s, got, res)
						}
						if res.Done {
							break
						}
					}
					if ro.Steps(m) != len(acts) {
						t.Fatalf("slot %d member %d: %d steps, alone %d", slot, m, ro.Steps(m), len(acts))
					}
					o := env.Outcome()
					if ro.Outcome(m) != o {
						t.Fatalf("slot %d member %d: outcome %+v, alone %+v", slot, m, ro.Outcome(m), o)
					}
					v1[m], v2[m] = ver.Judge(o, key), ver.Judge(ro.Outcome(m), key)
				}
				if serial.Log == nil {
					continue
				}
				if !slices.Equal(attempts, ro.Attempts()) {
					t.Fatalf("slot %d: attempts %v, alone %v", slot, ro.Attempts(), attempts)
				}
				compareLogs(t, slot, serial.Log, tree.Log)
				serial.Learn(&Feedback{Task: &task, Attempts: attempts, Verdicts: v1})
				tree.Learn(&Feedback{Task: &task, Attempts: ro.Attempts(), Verdicts: v2})
				if !slices.EqualFunc(serial.Weights.Params(), tree.Weights.Params(), func(x, y float64) bool {
					return math.Float64bits(x) == math.Float64bits(y)
				}) {
					t.Fatalf("slot %d: the weights differ after the update", slot)
				}
			}
			if states >= 60*group*envs.DefaultSkills().Length {
				t.Errorf("%d states over 60 groups of %d: the members shared none", states, group)
			}
			if serial.Log != nil && serial.Compute.GradSteps == 0 {
				t.Error("no update: the test compares nothing learnt")
			}
		})
	}
}

// compareLogs wants every step of every attempt of two logs to agree.
func compareLogs(t *testing.T, slot int, want, got *SessionLog) {
	t.Helper()
	if want.Len() != got.Len() {
		t.Fatalf("slot %d: %d attempts logged, alone %d", slot, got.Len(), want.Len())
	}
	for i := range want.Len() {
		if want.Steps(i) != got.Steps(i) || want.Entry(i).Member != got.Entry(i).Member || want.Entry(i).Task != got.Entry(i).Task {
			t.Fatalf("slot %d attempt %d: entries differ", slot, i)
		}
		for s := range want.Steps(i) {
			o1, a1 := want.Step(i, s)
			h1 := obsBits(o1)
			o2, a2 := got.Step(i, s)
			if h2 := obsBits(o2); !slices.Equal(h1, h2) || a1 != a2 {
				t.Fatalf("slot %d attempt %d step %d: observation or action differs", slot, i, s)
			}
			p1, g1 := want.stepProbs(i, s)
			p2, g2 := got.stepProbs(i, s)
			b1, ok1 := want.BehaviourProbs(i, s)
			b2, ok2 := got.BehaviourProbs(i, s)
			if g1 != g2 || ok1 != ok2 || !sameFloats(p1, p2) || !sameFloats(b1, b2) {
				t.Fatalf("slot %d attempt %d step %d: probabilities %v (gen %d) vs alone %v (gen %d)", slot, i, s, p2, g2, p1, g1)
			}
		}
	}
}

func obsBits(o *envs.Obs) []uint64 {
	var b []uint64
	for _, v := range o.Dense {
		for _, x := range v {
			b = append(b, math.Float64bits(x))
		}
	}
	for _, x := range o.Index {
		b = append(b, uint64(x))
	}
	return append(b, uint64(o.Step))
}

func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestRolloutsSampleMatchesChoose plays an evaluation's samples one by one
// (a model's logits, Choose with a sampled draw) and as Rollouts.Sample:
// the same actions' results and outcomes, and no session log written.
func TestRolloutsSampleMatchesChoose(t *testing.T) {
	f, a, _ := rolloutTwins(t, []string{"frozen"}, nil)
	m := a.Acting()
	env, brEnv := f.NewEnv(), f.NewEnv()
	obs := envs.NewObs(f.Spec())
	ro := NewRollouts(f.Spec())
	logits, probs := make([]float64, f.Spec().Actions), make([]float64, f.Spec().Actions)
	keys := make([]uint64, 64)
	for task := range 10 {
		tk, err := f.Task(envs.SplitTrain, task)
		if err != nil {
			t.Fatal(err)
		}
		for j := range keys {
			keys[j] = envs.Key(uint64(task), uint64(j))
		}
		ro.Sample(m.Logits, brEnv.(envs.Brancher), &tk, keys)
		if len(ro.Attempts()) != 0 {
			t.Fatalf("Sample logged %d attempts", len(ro.Attempts()))
		}
		for j, key := range keys {
			env.Reset(&tk, &obs)
			for s := uint64(0); ; s++ {
				m.Logits(logits, &obs)
				res := env.Step(Choose(logits, probs, false, envs.Key(key, s)), &obs)
				if got := ro.Result(j, int(s)); got != res {
					t.Fatalf("task %d sample %d step %d: %+v, alone %+v", task, j, s, got, res)
				}
				if res.Done {
					break
				}
			}
			if o := env.Outcome(); ro.Outcome(j) != o {
				t.Fatalf("task %d sample %d: outcome %+v, alone %+v", task, j, ro.Outcome(j), o)
			}
		}
		if ro.States() >= len(keys)*envs.DefaultSkills().Length {
			t.Errorf("task %d: %d states for %d samples: none shared", task, ro.States(), len(keys))
		}
	}
}
