package envs

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The tests every family's own test file used to copy: one driver each,
// run per family with that family's cases (kept in its own test file).

// buildTest builds a family at seed from its defaults, changed by mutate
// (nil: the defaults).
func buildTest[C, F any](t testing.TB, def func() C, build func(C, uint64) (F, error), seed uint64, mutate func(*C)) F {
	t.Helper()
	c := def()
	if mutate != nil {
		mutate(&c)
	}
	f, err := build(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// startTask resets a new environment of f to task i of split.
func startTask(t *testing.T, f Family, split string, i int) (Env, *Obs) {
	t.Helper()
	task, err := f.Task(split, i)
	if err != nil {
		t.Fatal(err)
	}
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	env.Reset(&task, &obs)
	return env, &obs
}

// configCase is a knob setting Validate must refuse, naming the knob.
type configCase[C any] struct {
	name   string
	mutate func(*C)
	want   string
}

// checkConfigValidate: the defaults validate; each case's mutation makes
// Validate fail with an error containing want, and New refuse it with the
// family's name in front.
func checkConfigValidate[C interface{ Validate() error }, F any](t *testing.T, name string, def func() C, build func(C, uint64) (F, error), cases []configCase[C]) {
	t.Helper()
	if err := def().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		c := def()
		tc.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
		if _, err := build(c, 1); err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%s: New gave %v", tc.name, err)
		}
	}
}

// TestConfigValidate runs checkConfigValidate for every registered family,
// and wants a case for each.
func TestConfigValidate(t *testing.T) {
	runPerFamily(t, map[string]func(t *testing.T){
		"arith":  func(t *testing.T) { checkConfigValidate(t, "arith", DefaultArith, NewArith, arithConfigCases) },
		"bandit": func(t *testing.T) { checkConfigValidate(t, "bandit", DefaultBandit, NewBandit, banditConfigCases) },
		"maze":   func(t *testing.T) { checkConfigValidate(t, "maze", DefaultMaze, NewMaze, mazeConfigCases) },
		"skills": func(t *testing.T) { checkConfigValidate(t, "skills", DefaultSkills, NewSkills, skillsConfigCases) },
	})
}

// runPerFamily runs each registered family's case as a subtest, in Names
// order, and fails for a family without one: a new family must add its
// line to the shared tests.
func runPerFamily(t *testing.T, cases map[string]func(t *testing.T)) {
	t.Helper()
	for _, name := range Names() {
		check, ok := cases[name]
		if !ok {
			t.Errorf("family %s has no case here", name)
			continue
		}
		t.Run(name, check)
	}
	if len(cases) != len(Names()) {
		t.Errorf("%d cases for %d registered families", len(cases), len(Names()))
	}
}

// checkRegistered: the family is registered under name, its NewConfig is a
// *C holding the defaults, New builds it at seed under that name, and a
// config of the wrong type (a C, not a *C) is an error.
func checkRegistered[C any](t *testing.T, name string, def func() C, seed uint64) {
	t.Helper()
	fac, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fac.NewConfig()
	if c, ok := cfg.(*C); !ok || fmt.Sprint(*c) != fmt.Sprint(def()) || !reflect.DeepEqual(*c, def()) {
		t.Fatalf("NewConfig gave %#v", cfg)
	}
	fam, err := fac.New(cfg, seed)
	if err != nil || fam.Name() != name {
		t.Fatalf("New: %v, %v", fam, err)
	}
	if _, err := fac.New(def(), 1); err == nil {
		t.Fatal("a config of the wrong type should be an error")
	}
}

// TestRegistered runs checkRegistered for every registered family.
func TestRegistered(t *testing.T) {
	runPerFamily(t, map[string]func(t *testing.T){
		"arith":  func(t *testing.T) { checkRegistered(t, "arith", DefaultArith, 0) },
		"bandit": func(t *testing.T) { checkRegistered(t, "bandit", DefaultBandit, 1) },
		"maze":   func(t *testing.T) { checkRegistered(t, "maze", DefaultMaze, 0) },
		"skills": func(t *testing.T) { checkRegistered(t, "skills", DefaultSkills, 0) },
	})
}

// checkDeterminism plays the first 20 tasks of every split with trace (a
// family's fixed action rule, recording observations, step results and the
// outcome) and wants: a reset replays, a second build at the same seed
// replays, and seed 8 differs from seed 7 (at every task when
// everyTaskDiffers, else at one task of the 20 per split, for a family
// whose few values can make one task coincide). Train tasks 0 and distinct
// must differ too.
func checkDeterminism[F interface{ Splits() []string }](t *testing.T, build func(seed uint64) F, trace func(*testing.T, F, string, int) ([]float64, Outcome), everyTaskDiffers bool, distinct int) {
	t.Helper()
	f, g, other := build(7), build(7), build(8)
	for _, split := range f.Splits() {
		differs := false
		for i := range 20 {
			a, oa := trace(t, f, split, i)
			b, ob := trace(t, f, split, i) // a reset replays
			c, oc := trace(t, g, split, i) // so does a second build
			if !equalFloats(a, b) || !equalFloats(a, c) || oa != ob || oa != oc {
				t.Fatalf("%s task %d: same seed, task and actions gave different attempts", split, i)
			}
			d, _ := trace(t, other, split, i)
			if everyTaskDiffers && equalFloats(a, d) {
				t.Fatalf("%s task %d: seeds 7 and 8 gave the same attempt", split, i)
			}
			differs = differs || !equalFloats(a, d)
		}
		if !differs {
			t.Fatalf("%s: seeds 7 and 8 gave the same 20 attempts", split)
		}
	}
	a, _ := trace(t, f, SplitTrain, 0)
	b, _ := trace(t, f, SplitTrain, distinct)
	if equalFloats(a, b) {
		t.Fatalf("train tasks 0 and %d are identical", distinct)
	}
}

// TestDeterminism: arith's values are few (one task can coincide across
// seeds, 20 cannot); maze's train task 4 is task 0's layout with another
// pair.
func TestDeterminism(t *testing.T) {
	runPerFamily(t, map[string]func(t *testing.T){
		"arith": func(t *testing.T) {
			checkDeterminism(t, func(s uint64) *Arith { return newTestArith(t, s, nil) }, arithTrace, false, 1)
		},
		"bandit": func(t *testing.T) {
			mut := func(c *BanditConfig) { c.Length = 4 }
			checkDeterminism(t, func(s uint64) *Bandit { return newTestBandit(t, s, mut) }, banditTrace, true, 1)
		},
		"maze": func(t *testing.T) {
			checkDeterminism(t, func(s uint64) *Maze { return newTestMaze(t, s, nil) }, mazeTrace, true, 4)
		},
		"skills": func(t *testing.T) {
			checkDeterminism(t, func(s uint64) *Skills { return buildTest(t, DefaultSkills, NewSkills, s, nil) }, skillsTrace, false, 1)
		},
	})
}

// firstTasks is the first n tasks of each of splits.
func firstTasks(t *testing.T, f Family, splits []string, n int) []Task {
	t.Helper()
	var tasks []Task
	for _, split := range splits {
		for i := range n {
			task, err := f.Task(split, i)
			if err != nil {
				t.Fatal(err)
			}
			tasks = append(tasks, task)
		}
	}
	return tasks
}

// checkStepAllocs wants Reset, Step, Correct and Outcome to allocate nothing
// over tasks, played by action (k counts attempts, s steps).
func checkStepAllocs(t *testing.T, f Family, tasks []Task, action func(env Env, k, s int) int) {
	t.Helper()
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	k := 0
	allocs := testing.AllocsPerRun(100, func() {
		for i := range tasks {
			env.Reset(&tasks[i], &obs)
			for s := 0; !env.Step(action(env, k, s), &obs).Done; s++ {
			}
			_ = env.Correct()
			_ = env.Outcome()
			k++
		}
	})
	if allocs != 0 {
		t.Fatalf("Reset and Step allocate %v times per run, want 0", allocs)
	}
}

// TestStepAllocs: every split's first tasks (bandit: its first 8 train
// tasks of 3 steps). Maze moves only, half of them right, so attempts run
// to the budget.
func TestStepAllocs(t *testing.T) {
	runPerFamily(t, map[string]func(t *testing.T){
		"arith": func(t *testing.T) {
			f := newTestArith(t, 7, nil)
			checkStepAllocs(t, f, firstTasks(t, f, f.Splits(), 4), func(_ Env, k, s int) int { return (k + s) % f.cfg.P })
		},
		"bandit": func(t *testing.T) {
			f := newTestBandit(t, 7, func(c *BanditConfig) { c.Length = 3 })
			checkStepAllocs(t, f, firstTasks(t, f, []string{SplitTrain}, 8), func(_ Env, k, s int) int { return (k + s) % f.cfg.Actions })
		},
		"maze": func(t *testing.T) {
			f := newTestMaze(t, 7, nil)
			checkStepAllocs(t, f, firstTasks(t, f, f.Splits(), 4), func(env Env, k, s int) int {
				if s%2 == 0 {
					return env.Correct()
				}
				return (k + s) % mazeStop
			})
		},
		"skills": func(t *testing.T) {
			f := newTestSkills(t, nil)
			checkStepAllocs(t, f, firstTasks(t, f, f.Splits(), 4), func(_ Env, k, s int) int { return (k + s) % f.Spec().Actions })
		},
	})
}

// leakCase breaks a family behind its generator's back; CheckDisjoint must
// then fail with an error containing want ("" takes any error).
type leakCase[F any] struct {
	name   string
	mutate func(f F)
	want   string
}

// checkCatchesLeaks: CheckDisjoint(n) notices every case's break, on a
// fresh build each time: it is not vacuous.
func checkCatchesLeaks[F interface{ CheckDisjoint(int) error }](t *testing.T, build func() F, n int, cases []leakCase[F]) {
	t.Helper()
	for _, tc := range cases {
		f := build()
		tc.mutate(f)
		if err := f.CheckDisjoint(n); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestCheckDisjointCatchesLeaks runs each family's leak cases (kept in its
// own test file).
func TestCheckDisjointCatchesLeaks(t *testing.T) {
	runPerFamily(t, map[string]func(t *testing.T){
		"arith": func(t *testing.T) {
			checkCatchesLeaks(t, func() *Arith { return newTestArith(t, 7, nil) }, 64, arithLeakCases)
		},
		"bandit": func(t *testing.T) {
			checkCatchesLeaks(t, func() *Bandit { return newTestBandit(t, 7, nil) }, 64, banditLeakCases)
		},
		"maze": func(t *testing.T) {
			checkCatchesLeaks(t, func() *Maze { return newTestMaze(t, 7, nil) }, 64, mazeLeakCases)
		},
		"skills": func(t *testing.T) {
			checkCatchesLeaks(t, func() *Skills { return newTestSkills(t, nil) }, 16, skillsLeakCases)
		},
	})
}

// checkTaskIndices: the train pool's indices in outside (past its end,
// before FreshIndex) and -1 are errors, as are the unknown splits; the
// unbounded splits have no pool; pretraining's private indices are tasks.
func checkTaskIndices(t *testing.T, f Family, outside []int, unknown, unbounded []string) {
	t.Helper()
	for _, i := range outside {
		if _, err := f.Task(SplitTrain, i); err == nil || !strings.Contains(err.Error(), "outside the job's pool") {
			t.Errorf("train task %d: got %v, want an out-of-pool error", i, err)
		}
	}
	if _, err := f.Task(SplitTrain, -1); err == nil {
		t.Error("task -1: want an error")
	}
	for _, split := range unknown {
		if _, err := f.Task(split, 0); err == nil || !strings.Contains(err.Error(), "unknown split") {
			t.Errorf("split %s: got %v, want an unknown-split error", split, err)
		}
	}
	for _, split := range unbounded {
		if f.PoolSize(split) != 0 {
			t.Errorf("%s should be unbounded", split)
		}
	}
	if _, err := f.Task(SplitPretrain, PrivateIndex+5); err != nil {
		t.Errorf("pretraining data task: %v", err)
	}
}

// simulated plays task n times with env under probs, drawing each action
// from a keyed uniform, and wants the measured success, loophole and score
// rates within 4 standard errors (plus one attempt's worth) of want's; and
// the mean steps too when stepsSpread (the steps' standard deviation bound)
// is positive. label names the case in errors.
func simulated(t *testing.T, env Env, obs *Obs, dst []float64, task *Task, label string, probs func(o *Obs, dst []float64), want ExpectedOutcome, n int, stepsSpread float64) {
	t.Helper()
	var succ, score, loop, steps float64
	for i := range n {
		env.Reset(task, obs)
		for st := uint64(0); ; st++ {
			clear(dst)
			probs(obs, dst)
			if env.Step(sample(dst, Uniform(Key(4321, uint64(i), st))), obs).Done {
				break
			}
		}
		o := env.Outcome()
		succ += b2f(o.Success)
		score += o.Score
		loop += b2f(o.Loophole)
		steps += float64(o.Steps)
	}
	fn := float64(n)
	type measure struct {
		what      string
		got, want float64
		se        float64
	}
	ms := []measure{
		{"success", succ / fn, want.Success, math.Sqrt(want.Success*(1-want.Success)/fn) + 1.0/fn},
		{"loophole", loop / fn, want.Loophole, math.Sqrt(want.Loophole*(1-want.Loophole)/fn) + 1.0/fn},
		{"score", score / fn, want.Score, 0.5/math.Sqrt(fn) + 1.0/fn}, // scores lie in [0, 1]
	}
	if stepsSpread > 0 {
		ms = append(ms, measure{"steps", steps / fn, want.Steps, stepsSpread/math.Sqrt(fn) + 1.0/fn})
	}
	for _, m := range ms {
		if math.Abs(m.got-m.want) > 4*m.se {
			t.Errorf("%s: measured %s %.4f, exact %.4f +- %.4f (4 s.e.)", label, m.what, m.got, m.want, 4*m.se)
		}
	}
}

// expectedRejects: an exact Expected refuses policies whose probabilities
// are not a distribution, and a task of another family.
func expectedRejects(t *testing.T, expected func(*Task, func(o *Obs, dst []float64)) (ExpectedOutcome, error), task *Task) {
	t.Helper()
	for _, tc := range []struct {
		name  string
		probs func(o *Obs, dst []float64)
		want  string
	}{
		{"sum 2", func(o *Obs, dst []float64) { dst[0], dst[1] = 1, 1 }, "sum to 2"},
		{"nothing", func(o *Obs, dst []float64) {}, "sum to 0"},
		{"negative", func(o *Obs, dst []float64) { dst[0], dst[1] = 2, -1 }, "probability"},
		{"nan", func(o *Obs, dst []float64) { dst[0] = math.NaN() }, "probability NaN"},
	} {
		if _, err := expected(task, tc.probs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := expected(&Task{Data: 3}, uniformPolicy); err == nil {
		t.Error("a task of another family: want an error")
	}
}

// splitsAndDisjoint wants f's splits, in order, to read want, and
// CheckDisjoint(256) to pass; label names the case in errors.
func splitsAndDisjoint(t *testing.T, label string, f interface {
	Splits() []string
	CheckDisjoint(int) error
}, want string) {
	t.Helper()
	if got := strings.Join(f.Splits(), " "); got != want {
		t.Errorf("%s: splits\n got %s\nwant %s", label, got, want)
	}
	if err := f.CheckDisjoint(256); err != nil {
		t.Errorf("%s: %v", label, err)
	}
}
