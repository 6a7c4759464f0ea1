package envs

import (
	"math"
	"strings"
	"testing"
)

func newTestBandit(t testing.TB, seed uint64, mutate func(*BanditConfig)) *Bandit {
	t.Helper()
	return buildTest(t, DefaultBandit, NewBandit, seed, mutate)
}

// banditPolicies are fixed policies the closed form must predict, from the
// degenerate to a context-dependent stochastic one.
func banditPolicies(f *Bandit) []struct {
	name  string
	probs func(o *Obs, dst []float64)
} {
	A, d := f.cfg.Actions, f.cfg.D
	w := normals(Rand(Key(99, 1)), A*d) // fixed logits W x
	return []struct {
		name  string
		probs func(o *Obs, dst []float64)
	}{
		{"uniform", func(o *Obs, dst []float64) {
			for a := range dst {
				dst[a] = 1 / float64(len(dst))
			}
		}},
		{"oracle", f.Oracle},
		{"arm0", func(o *Obs, dst []float64) { clear(dst); dst[0] = 1 }},
		{"softmax", func(o *Obs, dst []float64) {
			x := o.Dense[banditX]
			tot := 0.0
			for a := range dst {
				dst[a] = math.Exp(1.5 * dot(w[a*d:(a+1)*d], x))
				tot += dst[a]
			}
			for a := range dst {
				dst[a] /= tot
			}
		}},
		{"by-identity", func(o *Obs, dst []float64) {
			// Memorizing: mass on an arm chosen by the context's identity.
			for a := range dst {
				dst[a] = 0.1 / float64(len(dst)-1)
			}
			dst[o.Index[banditContext]%len(dst)] = 0.9
		}},
	}
}

// sample draws an action from probs with a keyed uniform.
func sample(probs []float64, u float64) int {
	for a, p := range probs {
		if u < p {
			return a
		}
		u -= p
	}
	return len(probs) - 1
}

// TestBanditCalibration simulates many tasks under fixed policies and checks
// measured success and score against the closed form, within 4 standard
// errors, on heldout tasks and on fresh train instances.
func TestBanditCalibration(t *testing.T) {
	const n = 20000
	for _, length := range []int{1, 3} {
		f := newTestBandit(t, 5, func(c *BanditConfig) { c.Length = length })
		env := f.NewEnv()
		obs := NewObs(f.Spec())
		dst := make([]float64, f.cfg.Actions)
		for _, pol := range banditPolicies(f) {
			for _, split := range []string{banditHeldout, SplitTrain} {
				wantSucc, err := f.ExpectedSuccess(split, pol.probs)
				if err != nil {
					t.Fatal(err)
				}
				wantScore, err := f.ExpectedScore(split, pol.probs)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(wantSucc-math.Pow(wantScore, float64(length))) > 1e-12 {
					t.Fatalf("success %v is not score %v to the power %d", wantSucc, wantScore, length)
				}
				wins, score := 0, 0.0
				for i := range n {
					idx := i
					if split == SplitTrain {
						idx = FreshTask(i)
					}
					task, err := f.Task(split, idx)
					if err != nil {
						t.Fatal(err)
					}
					env.Reset(&task, &obs)
					for s := uint64(0); ; s++ {
						clear(dst)
						pol.probs(&obs, dst)
						if env.Step(sample(dst, Uniform(Key(1234, uint64(i), s))), &obs).Done {
							break
						}
					}
					o := env.Outcome()
					if o.Success {
						wins++
					}
					score += o.Score
				}
				got := float64(wins) / n
				se := math.Max(math.Sqrt(wantSucc*(1-wantSucc)/n), 1.0/n)
				if math.Abs(got-wantSucc) > 4*se {
					t.Errorf("L=%d %s %s: success %.4f, closed form %.4f +- %.4f (4 s.e.)", length, pol.name, split, got, wantSucc, 4*se)
				}
				// Steps are independent Bernoulli(wantScore) draws.
				gotScore := score / n
				se = math.Max(math.Sqrt(wantScore*(1-wantScore)/(n*float64(length))), 1.0/n)
				if math.Abs(gotScore-wantScore) > 4*se {
					t.Errorf("L=%d %s %s: score %.4f, closed form %.4f +- %.4f (4 s.e.)", length, pol.name, split, gotScore, wantScore, 4*se)
				}
			}
		}
	}
}

// TestBanditClosedForm checks the closed form against numbers worked out
// independently of it.
func TestBanditClosedForm(t *testing.T) {
	f := newTestBandit(t, 3, func(c *BanditConfig) { c.Length = 2 })
	A := f.cfg.Actions
	pols := banditPolicies(f)
	for _, split := range f.Splits() {
		group := f.groups[split]
		mean, bestMean := 0.0, 0.0
		for _, c := range group {
			best := 0.0
			for a := range A {
				mean += f.p[c*A+a] / float64(A*len(group))
				best = math.Max(best, f.p[c*A+a])
			}
			bestMean += best / float64(len(group))
		}
		uni, err := f.ExpectedSuccess(split, pols[0].probs)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(uni-mean*mean) > 1e-12 {
			t.Errorf("%s: uniform success %v, want %v", split, uni, mean*mean)
		}
		orc, err := f.ExpectedScore(split, f.Oracle)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(orc-bestMean) > 1e-12 {
			t.Errorf("%s: oracle score %v, want %v", split, orc, bestMean)
		}
		for _, pol := range pols {
			if q, _ := f.ExpectedScore(split, pol.probs); q > orc+1e-12 {
				t.Errorf("%s: %s scores %v, above the oracle's %v", split, pol.name, q, orc)
			}
		}
	}

	// At scale 0 every arm is a fair coin.
	f = newTestBandit(t, 3, func(c *BanditConfig) { c.Scale, c.Length = 0, 3 })
	for _, pol := range banditPolicies(f) {
		if s, err := f.ExpectedSuccess(SplitTrain, pol.probs); err != nil || s != 0.125 {
			t.Errorf("scale 0, %s: success %v (%v), want 0.125", pol.name, s, err)
		}
	}

	for _, tc := range []struct {
		name  string
		split string
		probs func(o *Obs, dst []float64)
		want  string
	}{
		{"unknown split", "nope", f.Oracle, "unknown split"},
		{"sum 2", SplitTrain, func(o *Obs, dst []float64) { dst[0], dst[1] = 1, 1 }, "sum to 2"},
		{"nothing", SplitTrain, func(o *Obs, dst []float64) {}, "sum to 0"},
		{"negative", SplitTrain, func(o *Obs, dst []float64) { dst[0], dst[1] = 2, -1 }, "probability"},
		{"nan", SplitTrain, func(o *Obs, dst []float64) { dst[0] = math.NaN() }, "probability NaN"},
	} {
		if _, err := f.ExpectedSuccess(tc.split, tc.probs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// banditTrace runs task i of split with actions step mod A and records every
// observation and step result, then the outcome.
func banditTrace(t *testing.T, f *Bandit, split string, i int) ([]float64, Outcome) {
	t.Helper()
	env, obs := startTask(t, f, split, i)
	var trace []float64
	for s := 0; ; s++ {
		trace = append(trace, obs.Dense[banditX]...)
		trace = append(trace, float64(obs.Index[banditContext]), float64(obs.Step), float64(env.Correct()))
		r := env.Step((s+i)%f.cfg.Actions, obs)
		trace = append(trace, b2f(r.Correct), b2f(r.Done))
		if r.Done {
			break
		}
	}
	return trace, env.Outcome()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestBanditDisjoint(t *testing.T) {
	f := newTestBandit(t, 7, nil)
	splitsAndDisjoint(t, "defaults", f, "train heldout pretrain")
}

// banditLeakCases break the family behind the generator's back (see
// TestCheckDisjointCatchesLeaks).
var banditLeakCases = []leakCase[*Bandit]{
	{"heldout vector equals a train one", func(f *Bandit) {
		h, tr, d := f.groups[banditHeldout][3], f.groups[SplitTrain][5], f.cfg.D
		copy(f.x[h*d:(h+1)*d], f.x[tr*d:(tr+1)*d])
	}, "equals train context"},
	{"heldout vector equals a pretrain one", func(f *Bandit) {
		h, pr, d := f.groups[banditHeldout][0], f.groups[SplitPretrain][9], f.cfg.D
		copy(f.x[h*d:(h+1)*d], f.x[pr*d:(pr+1)*d])
	}, "equals pretrain context"},
	{"heldout shares a train identity", func(f *Bandit) {
		f.groups[banditHeldout][2] = f.groups[SplitTrain][0]
	}, "belongs to both train and heldout"},
}

func TestBanditFreshInstances(t *testing.T) {
	f := newTestBandit(t, 7, func(c *BanditConfig) { c.Length = 3 })
	pool := map[uint64]bool{}
	for i := range f.PoolSize(SplitTrain) {
		task, err := f.Task(SplitTrain, i)
		if err != nil {
			t.Fatal(err)
		}
		pool[task.Key] = true
	}
	if len(pool) != f.cfg.TrainTasks {
		t.Fatalf("pool of %d has %d distinct keys", f.cfg.TrainTasks, len(pool))
	}
	train := map[int]bool{}
	for _, id := range f.groups[SplitTrain] {
		train[id] = true
	}
	for n := range 1000 {
		task, err := f.Task(SplitTrain, FreshTask(n))
		if err != nil {
			t.Fatal(err)
		}
		if pool[task.Key] {
			t.Fatalf("fresh instance %d has the key of a pool task", n)
		}
		pool[task.Key] = true
		if task.Len != f.cfg.Length {
			t.Fatalf("fresh instance %d has %d steps", n, task.Len)
		}
		for _, id := range task.Data.(*banditTask).ctx {
			if !train[id] {
				t.Fatalf("fresh instance %d uses context %d, not a train one", n, id)
			}
		}
	}
	checkTaskIndices(t, f, []int{f.cfg.TrainTasks, f.cfg.TrainTasks + 1, FreshIndex - 1},
		[]string{"nope"}, []string{banditHeldout, SplitPretrain})
}

func TestBanditSpecAndObs(t *testing.T) {
	f := newTestBandit(t, 7, func(c *BanditConfig) { c.D, c.Actions, c.Length = 5, 3, 2 })
	s := f.Spec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	total := f.cfg.TrainContexts + f.cfg.HeldoutContexts + f.cfg.PretrainContexts
	if s.Actions != 3 || s.MaxLen != 2 || s.Channel("x") != banditX || s.Channel("context") != banditContext ||
		s.Channels[banditX].Kind != Dense || s.Channels[banditX].Size != 5 ||
		s.Channels[banditContext].Kind != Index || s.Channels[banditContext].Size != total {
		t.Fatalf("spec %+v", s)
	}
	env := f.NewEnv()
	obs := NewObs(s)
	for _, split := range f.Splits() {
		task, err := f.Task(split, 0)
		if err != nil {
			t.Fatal(err)
		}
		env.Reset(&task, &obs)
		for step := 0; ; step++ {
			x := obs.Dense[banditX]
			if len(x) != 5 || obs.Dense[banditContext] != nil {
				t.Fatalf("obs buffers do not match the spec")
			}
			if n := math.Sqrt(dot(x, x)); math.Abs(n-1) > 1e-12 {
				t.Fatalf("%s step %d: |x| = %v, want 1", split, step, n)
			}
			c := obs.Index[banditContext]
			if c < 0 || c >= total || obs.Step != step || !equalFloats(x, f.x[c*5:(c+1)*5]) {
				t.Fatalf("%s step %d: context %d, obs step %d", split, step, c, obs.Step)
			}
			if env.Step(env.Correct(), &obs).Done {
				break
			}
		}
	}
}

func TestBanditLoophole(t *testing.T) {
	f := newTestBandit(t, 7, func(c *BanditConfig) { c.Length = 3 })
	if !strings.Contains(f.Loophole(), "arm 0") {
		t.Fatalf("loophole %q", f.Loophole())
	}
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	task, _ := f.Task(SplitTrain, 0)
	for _, tc := range []struct {
		actions []int
		want    bool
	}{{[]int{0, 0, 0}, true}, {[]int{0, 1, 0}, false}, {[]int{2, 0, 0}, false}} {
		env.Reset(&task, &obs)
		for _, a := range tc.actions {
			env.Step(a, &obs)
		}
		if got := env.Outcome(); got.Loophole != tc.want || got.Steps != 3 {
			t.Errorf("actions %v: outcome %+v, want loophole %v", tc.actions, got, tc.want)
		}
	}
}

// banditConfigCases are knob settings Validate must refuse (see
// TestConfigValidate).
var banditConfigCases = []configCase[BanditConfig]{
	{"one dimension", func(c *BanditConfig) { c.D = 1 }, "d = 1"},
	{"one arm", func(c *BanditConfig) { c.Actions = 1 }, "arms = 1"},
	{"no steps", func(c *BanditConfig) { c.Length = 0 }, "length = 0"},
	{"no heldout contexts", func(c *BanditConfig) { c.HeldoutContexts = 0 }, "heldout_contexts = 0"},
	{"pool runs into fresh instances", func(c *BanditConfig) { c.TrainTasks = FreshIndex + 1 }, "before the fresh instances"},
	{"empty pool", func(c *BanditConfig) { c.TrainTasks = 0 }, "train_tasks = 0"},
	{"negative scale", func(c *BanditConfig) { c.Scale = -1 }, "scale = -1"},
	{"nan scale", func(c *BanditConfig) { c.Scale = math.NaN() }, "scale = NaN"},
	{"infinite scale", func(c *BanditConfig) { c.Scale = math.Inf(1) }, "scale = +Inf"},
}
