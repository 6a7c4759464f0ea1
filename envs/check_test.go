package envs

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// The checker's optional declarations for the shipped families, until
// skills.go and bandit.go implement them (the code below is what they
// should say). declare wraps a family that does not declare them yet; a
// family that does, or one this file does not know, is returned as it is.
func declare(f Family) Family {
	if _, done := f.(RandomRater); done {
		return f
	}
	switch f.(type) {
	case *Skills, *Bandit:
		return declared(f)
	}
	return f
}

// declared wraps a skills or bandit family in a testFamily that carries its
// declarations: the family's own where it has them, else those below.
func declared(f Family) *testFamily {
	tf := &testFamily{Family: f}
	switch g := f.(type) {
	case *Skills:
		tf.rate = skillsRandomRate(g)
	case *Bandit:
		tf.stochastic, tf.rate = true, banditRandomRate(g)
	}
	if s, ok := f.(Stochastic); ok {
		tf.stochastic = s.Stochastic()
	}
	if r, ok := f.(RandomRater); ok {
		tf.rate = r.RandomRate
	}
	return tf
}

// skillsRandomRate: a uniformly random action is the correct one with
// probability 1/A at every step whatever came before, so a task of Len steps
// is solved with probability (1/A)^Len and scores 1/A on average; every task
// of a split has the same Len.
func skillsRandomRate(f *Skills) func(string) (float64, float64, bool) {
	return func(split string) (float64, float64, bool) {
		t, err := f.Task(split, 0)
		if err != nil {
			return 0, 0, false
		}
		p := 1 / float64(f.cfg.Actions)
		return math.Pow(p, float64(t.Len)), p, true
	}
}

// banditRandomRate: the closed form at uniform arm probabilities.
func banditRandomRate(f *Bandit) func(string) (float64, float64, bool) {
	return func(split string) (float64, float64, bool) {
		uniform := func(_ *Obs, dst []float64) {
			for a := range dst {
				dst[a] = 1 / float64(len(dst))
			}
		}
		q, err := f.ExpectedScore(split, uniform)
		if err != nil {
			return 0, 0, false
		}
		return math.Pow(q, float64(f.cfg.Length)), q, true
	}
}

// testFamily wraps a real family (skills or bandit, whose loophole is
// answering 0) with the checker's declarations and, for the broken families
// of TestCheckCatchesBrokenFamilies, hooks that break it.
type testFamily struct {
	Family
	stochastic bool
	rate       func(split string) (success, score float64, ok bool)

	spec     func(Spec) Spec
	task     func(inner Family, split string, i int) (Task, error)
	env      func(inner Env) Env
	disjoint func(n int) error
}

func (f *testFamily) Stochastic() bool { return f.stochastic }

func (f *testFamily) RandomRate(split string) (float64, float64, bool) {
	if f.rate == nil {
		return 0, 0, false
	}
	return f.rate(split)
}

func (f *testFamily) LoopholeAction(*Obs) int { return 0 }

func (f *testFamily) Spec() Spec {
	s := f.Family.Spec()
	if f.spec != nil {
		s.Channels = slices.Clone(s.Channels) // the family's own must not change
		s = f.spec(s)
	}
	return s
}

func (f *testFamily) Task(split string, i int) (Task, error) {
	if f.task != nil {
		return f.task(f.Family, split, i)
	}
	return f.Family.Task(split, i)
}

func (f *testFamily) NewEnv() Env {
	e := f.Family.NewEnv()
	if f.env != nil {
		return f.env(e)
	}
	return e
}

func (f *testFamily) CheckDisjoint(n int) error {
	if f.disjoint != nil {
		return f.disjoint(n)
	}
	return f.Family.CheckDisjoint(n)
}

// testEnv wraps a real environment with hooks; a nil hook is the real
// method.
type testEnv struct {
	Env
	reset   func(e Env, t *Task, o *Obs)
	step    func(e Env, a int, o *Obs) StepResult
	correct func(e Env) int
	outcome func(e Env) Outcome
}

func (e *testEnv) Reset(t *Task, o *Obs) {
	if e.reset != nil {
		e.reset(e.Env, t, o)
		return
	}
	e.Env.Reset(t, o)
}

func (e *testEnv) Step(a int, o *Obs) StepResult {
	if e.step != nil {
		return e.step(e.Env, a, o)
	}
	return e.Env.Step(a, o)
}

func (e *testEnv) Correct() int {
	if e.correct != nil {
		return e.correct(e.Env)
	}
	return e.Env.Correct()
}

func (e *testEnv) Outcome() Outcome {
	if e.outcome != nil {
		return e.outcome(e.Env)
	}
	return e.Env.Outcome()
}

func declaredSkills(t *testing.T) *testFamily { return declared(newTestSkills(t, nil)) }

func declaredBandit(t *testing.T) *testFamily { return declared(newTestBandit(t, 7, nil)) }

// problems lists the *Problem values in a checker error.
func problems(err error) []*Problem {
	var out []*Problem
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, problems(e)...)
		}
		return out
	}
	if p, ok := err.(*Problem); ok {
		out = append(out, p)
	}
	return out
}

// checkSink keeps the broken families' allocations alive.
var checkSink []float64

// TestCheckRegistered runs the checker over every registered family at its
// default knobs, every split, two seeds: a new family is checked here
// without a line of test code.
func TestCheckRegistered(t *testing.T) {
	opt := CheckOptions{}
	if testing.Short() { // the race detector runs the tests short
		opt.RandomAttempts = 1000
	}
	for _, name := range Names() {
		fac, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		wrapped := fac
		wrapped.New = func(cfg any, seed uint64) (Family, error) {
			f, err := fac.New(cfg, seed)
			if err != nil {
				return nil, err
			}
			return declare(f), nil
		}
		start := time.Now()
		rep := CheckFactory(wrapped, opt)
		t.Logf("%s: %d attempts, %d steps, %v allocations per step, %v", name, rep.Attempts, rep.Steps, rep.Allocs, time.Since(start))
		if rep.Err != nil {
			t.Errorf("%s fails the checker:\n%v", name, rep.Err)
		}
		if rep.Attempts == 0 || rep.Steps == 0 || rep.Allocs != 0 {
			t.Errorf("%s: the checker played %d attempts, %d steps, measured %v allocations per step", name, rep.Attempts, rep.Steps, rep.Allocs)
		}
	}
}

// TestCheckCatchesBrokenFamilies breaks a real family one way at a time and
// wants the checker to name the break: it is not vacuous.
func TestCheckCatchesBrokenFamilies(t *testing.T) {
	calls := 0 // state some broken families keep across calls
	for _, tc := range []struct {
		name    string
		bandit  bool // wrap bandit rather than skills
		breakIt func(f *testFamily)
		check   string // the Problem.Check wanted
		want    string // and a piece of its message
	}{
		// (a) observations that do not match the spec.
		{"observation longer than declared", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, step: func(e Env, a int, o *Obs) StepResult {
					r := e.Step(a, o)
					o.Dense[0] = append(o.Dense[0], 1)
					return r
				}}
			}
		}, "obs", "dense channel x has length 9, declared 8"},
		{"observation shorter than declared", false, func(f *testFamily) {
			f.spec = func(s Spec) Spec { s.Channels[0].Size++; return s }
		}, "obs", "dense channel x[8] was not written (declared size 9)"},
		{"index outside its channel", false, func(f *testFamily) {
			f.spec = func(s Spec) Spec { s.Channels[2].Size = 1; return s }
		}, "obs", "index channel id = "},
		{"observation not finite", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, reset: func(e Env, t *Task, o *Obs) { e.Reset(t, o); o.Dense[1][2] = math.Inf(1) }}
			}
		}, "obs", "dense channel desc[2] = +Inf: not finite"},
		{"observation's step not written", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, step: func(e Env, a int, o *Obs) StepResult {
					r := e.Step(a, o)
					o.Step = 0
					return r
				}}
			}
		}, "obs", "Obs.Step = 0, want 1"},
		// (b) non-determinism.
		{"Task not deterministic", false, func(f *testFamily) {
			f.task = func(inner Family, split string, i int) (Task, error) {
				t, err := inner.Task(split, i)
				calls++
				t.Key ^= uint64(calls)
				return t, err
			}
		}, "determinism", "Task twice gave key"},
		{"Step not deterministic", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, step: func(e Env, a int, o *Obs) StepResult {
					r := e.Step(a, o)
					calls++
					o.Dense[0][0] += float64(calls) * 1e-9
					return r
				}}
			}
		}, "determinism", "different observations, answers or step results"},
		{"environments share state", false, func(f *testFamily) {
			shared := f.Family.NewEnv()
			f.env = func(Env) Env { return shared }
		}, "determinism", "in two environments"},
		// (c) scores outside [0, 1] or inconsistent with success.
		{"score above 1", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, outcome: func(e Env) Outcome { o := e.Outcome(); o.Score *= 1.5; return o }}
			}
		}, "outcome", "Score = 1.5, outside [0, 1]"},
		{"success without every step correct", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, outcome: func(e Env) Outcome { o := e.Outcome(); o.Success = o.Steps > 0; return o }}
			}
		}, "outcome", "success is every step correct"},
		{"success scoring less than 1", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, outcome: func(e Env) Outcome {
					o := e.Outcome()
					if o.Success {
						o.Score = 0.5
					}
					return o
				}}
			}
		}, "outcome", "a success scores 1"},
		{"outcome miscounts steps", true, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, outcome: func(e Env) Outcome { o := e.Outcome(); o.Steps *= 2; return o }}
			}
		}, "outcome", "Outcome() counts 2 steps"},
		{"following Correct() fails where nothing is random", true, func(f *testFamily) {
			f.stochastic = false // the bandit's rewards are draws: it must say so
		}, "oracle", "judged wrong"},
		{"Correct() outside the actions", false, func(f *testFamily) {
			f.env = func(e Env) Env { return &testEnv{Env: e, correct: func(Env) int { return 4 }} }
		}, "correct", "Correct() = 4, outside [0, 4)"},
		{"loophole never flagged", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, outcome: func(e Env) Outcome { o := e.Outcome(); o.Loophole = false; return o }}
			}
		}, "loophole", "did not raise Outcome.Loophole"},
		{"Done one step early", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, step: func(e Env, a int, o *Obs) StepResult {
					r := e.Step(a, o)
					r.Done = r.Done || o.Step == 3
					return r
				}}
			}
		}, "done", "Step returned Done after 3 steps; the task has Len 4"},
		{"Len past MaxLen", false, func(f *testFamily) {
			f.spec = func(s Spec) Spec { s.MaxLen = 3; return s }
		}, "task", "Len = 4, outside [1, MaxLen = 3]"},
		{"invalid spec", false, func(f *testFamily) {
			f.spec = func(s Spec) Spec { s.Actions = 1; return s }
		}, "spec", "1 actions"},
		{"Step panics", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				steps := 0
				return &testEnv{Env: e,
					reset: func(e Env, t *Task, o *Obs) { steps = 0; e.Reset(t, o) },
					step: func(e Env, a int, o *Obs) StepResult {
						if steps++; steps == 3 {
							panic("step 2 is broken")
						}
						return e.Step(a, o)
					}}
			}
		}, "panic", "split train task 0 step 2: panic: step 2 is broken"},
		// (d) held-out splits that leak the job's tasks.
		{"held-out split serves train tasks", true, func(f *testFamily) {
			f.task = func(inner Family, split string, i int) (Task, error) {
				if split != banditHeldout {
					return inner.Task(split, i)
				}
				t, err := inner.Task(SplitTrain, i)
				t.Split = split
				return t, err
			}
		}, "leak", "has the key of train task 0"},
		{"held-out split serves re-keyed train tasks", true, func(f *testFamily) {
			f.task = func(inner Family, split string, i int) (Task, error) {
				if split != banditHeldout {
					return inner.Task(split, i)
				}
				t, err := inner.Task(SplitTrain, i)
				t.Split, t.Key = split, Key(t.Key, 1)
				return t, err
			}
		}, "leak", "replays train task 0"},
		{"CheckDisjoint fails", true, func(f *testFamily) {
			f.disjoint = func(int) error { return errPlanted }
		}, "disjoint", "planted"},
		{"pool with repeated keys", true, func(f *testFamily) {
			f.task = func(inner Family, split string, i int) (Task, error) {
				t, err := inner.Task(split, i)
				if split == SplitTrain && i < FreshIndex {
					t.Key = uint64(i % 2)
				}
				return t, err
			}
		}, "task", "has the key of pool task 0"},
		{"index between pool and fresh accepted", true, func(f *testFamily) {
			f.task = func(inner Family, split string, i int) (Task, error) {
				if split == SplitTrain && i >= inner.PoolSize(split) && i < FreshIndex {
					t, err := inner.Task(split, 0)
					t.Index = i
					return t, err
				}
				return inner.Task(split, i)
			}
		}, "task", "past the pool's end"},
		// (e) allocations in the hot loop.
		{"Step allocates", false, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, step: func(e Env, a int, o *Obs) StepResult {
					checkSink = make([]float64, 4)
					return e.Step(a, o)
				}}
			}
		}, "allocs", "must allocate nothing"},
		{"Reset allocates", true, func(f *testFamily) {
			f.env = func(e Env) Env {
				return &testEnv{Env: e, reset: func(e Env, t *Task, o *Obs) {
					checkSink = make([]float64, 4)
					e.Reset(t, o)
				}}
			}
		}, "allocs", "must allocate nothing"},
		// (f) a random policy off the declared closed form.
		{"random success off the closed form", true, func(f *testFamily) {
			rate := f.rate
			f.rate = func(split string) (float64, float64, bool) { p, q, ok := rate(split); return p + 0.1, q, ok }
		}, "random-policy", "succeeded at"},
		{"random score off the closed form", false, func(f *testFamily) {
			rate := f.rate
			f.rate = func(split string) (float64, float64, bool) { p, q, ok := rate(split); return p, q + 0.05, ok }
		}, "random-policy", "scored"},
		{"random rate not a probability", false, func(f *testFamily) {
			f.rate = func(string) (float64, float64, bool) { return 2, 0.5, true }
		}, "random-policy", "not probabilities"},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			f := declaredSkills(t)
			if tc.bandit {
				f = declaredBandit(t)
			}
			tc.breakIt(f)
			// Only the checks a row is about play many attempts: the race
			// detector runs these tests too.
			opt := CheckOptions{RandomAttempts: -1, AllocAttempts: -1}
			switch tc.check {
			case "random-policy":
				opt.RandomAttempts = 2000
			case "allocs":
				opt.AllocAttempts = 0 // the default
			}
			err := Check(f, opt)
			for _, p := range problems(err) {
				if p.Check == tc.check && strings.Contains(p.Error(), tc.want) {
					return
				}
			}
			t.Errorf("want a %q problem containing %q, got:\n%v", tc.check, tc.want, err)
		})
	}
}

var errPlanted = errors.New("planted leak")

// TestCheckPassesUnbroken is the control of TestCheckCatchesBrokenFamilies:
// the wrappers themselves break nothing.
func TestCheckPassesUnbroken(t *testing.T) {
	opt := CheckOptions{}
	if testing.Short() {
		opt.RandomAttempts = 1000
	}
	for _, f := range []*testFamily{declaredSkills(t), declaredBandit(t)} {
		if err := Check(f, opt); err != nil {
			t.Errorf("%s:\n%v", f.Name(), err)
		}
	}
}

// TestCheckFactory checks the factory-level checks: seeds, rebuilds and
// configs.
func TestCheckFactory(t *testing.T) {
	fac, err := Lookup("skills")
	if err != nil {
		t.Fatal(err)
	}
	builds := 0
	for _, tc := range []struct {
		name  string
		new   func(cfg any, seed uint64) (Family, error)
		check string
		want  string
	}{
		{"seed ignored", func(cfg any, _ uint64) (Family, error) { return fac.New(cfg, 3) }, "seed", "seeds 0 and 1 gave identical attempts"},
		{"same seed, different family", func(cfg any, seed uint64) (Family, error) {
			builds++
			return fac.New(cfg, seed+uint64(builds))
		}, "seed", "building the family twice at seed 0"},
		{"wrong config type accepted", func(_ any, seed uint64) (Family, error) { return fac.New(fac.NewConfig(), seed) }, "factory", "wrong type must be an error"},
		{"defaults do not build", func(any, uint64) (Family, error) { return nil, errPlanted }, "factory", "do not build at seed 0: planted"},
		{"name differs", func(cfg any, seed uint64) (Family, error) {
			f, err := fac.New(cfg, seed)
			return &renamed{f}, err
		}, "factory", `called "skills", registered as "renamed"`},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			broken := Factory{Name: fac.Name, Doc: fac.Doc, NewConfig: fac.NewConfig, New: tc.new}
			if tc.name == "name differs" {
				broken.Name = "renamed"
			}
			rep := CheckFactory(broken, CheckOptions{AllocAttempts: -1})
			for _, p := range problems(rep.Err) {
				if p.Check == tc.check && strings.Contains(p.Error(), tc.want) {
					if tc.name == "defaults do not build" && !errors.Is(rep.Err, errPlanted) {
						t.Errorf("the factory's error is not wrapped: %v", rep.Err)
					}
					return
				}
			}
			t.Errorf("want a %q problem containing %q, got:\n%v", tc.check, tc.want, rep.Err)
		})
	}
}

// renamed reports a name its factory does not register.
type renamed struct{ Family }

func (renamed) Name() string { return "skills" }

// TestCheckProblemMessages: a problem names the family, split, task and
// step, counts its repeats, and wraps its cause.
func TestCheckProblemMessages(t *testing.T) {
	f := declaredSkills(t)
	f.env = func(e Env) Env {
		return &testEnv{Env: e, step: func(e Env, a int, o *Obs) StepResult {
			r := e.Step(a, o)
			o.Dense[0][3] = math.NaN()
			return r
		}}
	}
	err := Check(f, CheckOptions{RandomAttempts: -1, AllocAttempts: -1})
	want := "skills: split train task 0 step 1: obs: dense channel x[3] = NaN: not finite (and "
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("want a message containing %q, got:\n%v", want, err)
	}
	p := &Problem{Family: "f", Split: "s", Task: FreshIndex + 2, Step: -1, Check: "c", Err: errPlanted}
	if got := p.Error(); got != "f: split s task fresh+2: c: planted leak" || !errors.Is(p, errPlanted) {
		t.Fatalf("got %q", got)
	}
	for i, want := range map[int]string{3: "3", FreshIndex: "fresh+0", PrivateIndex + 7: "private+7"} {
		if got := taskIndexString(i); got != want {
			t.Errorf("taskIndexString(%d) = %q, want %q", i, got, want)
		}
	}
	// One broken channel is one problem, its repeats counted.
	if ps := problems(err); len(ps) != 1 || ps[0].More == 0 || ps[0].Splits != len(f.Splits()) {
		t.Errorf("want one problem, repeated in all %d splits; got:\n%v", len(f.Splits()), err)
	}
}
