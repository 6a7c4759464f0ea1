package envs

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func newTestArith(t testing.TB, seed uint64, mutate func(*ArithConfig)) *Arith {
	t.Helper()
	return buildTest(t, DefaultArith, NewArith, seed, mutate)
}

// arithOpIndex is the table index of the op called name.
func arithOpIndex(t *testing.T, f *Arith, name string) int {
	t.Helper()
	for i, o := range f.ops {
		if o.name == name {
			return i
		}
	}
	t.Fatalf("no op %q in the table", name)
	return -1
}

func TestArithTable(t *testing.T) {
	names := func(ops []arithOp) string {
		var s []string
		for _, o := range ops {
			s = append(s, o.name)
		}
		return strings.Join(s, ", ")
	}
	for _, tc := range []struct {
		p     int
		kinds []string
		want  string
	}{
		{7, []string{"add", "mul"}, "add 1, add 2, add 3, add 4, add 5, add 6, mul 2, mul 3, mul 4, mul 5, mul 6"},
		// rsub 0 = -x = mul 6: kept once, under the kind listed first.
		{7, []string{"mul", "rsub"}, "mul 2, mul 3, mul 4, mul 5, mul 6, rsub 1, rsub 2, rsub 3, rsub 4, rsub 5, rsub 6"},
		{7, []string{"rsub", "mul"}, "rsub 0, rsub 1, rsub 2, rsub 3, rsub 4, rsub 5, rsub 6, mul 2, mul 3, mul 4, mul 5"},
		// pow 0 is constant (0^0 = 1), pow 1 the identity.
		{5, []string{"pow"}, "pow 2, pow 3, pow 4"},
		// mod 2 the only non-trivial map is x+1 (= 1-x).
		{2, []string{"add", "mul", "rsub", "pow"}, "add 1"},
	} {
		ops := arithTable(tc.p, tc.kinds)
		if got := names(ops); got != tc.want {
			t.Errorf("p=%d %v: table %s, want %s", tc.p, tc.kinds, got, tc.want)
		}
		for i, o := range ops {
			for j := range i {
				if slices.Equal(o.f, ops[j].f) {
					t.Errorf("p=%d: %s and %s are the same map", tc.p, o.name, ops[j].name)
				}
			}
		}
	}
	// The maps themselves, worked out by hand.
	ops := arithTable(7, arithKinds)
	for _, tc := range []struct {
		name string
		want []int
	}{
		{"add 3", []int{3, 4, 5, 6, 0, 1, 2}},
		{"mul 3", []int{0, 3, 6, 2, 5, 1, 4}},
		{"rsub 2", []int{2, 1, 0, 6, 5, 4, 3}},
		{"pow 2", []int{0, 1, 4, 2, 2, 4, 1}},
		{"pow 3", []int{0, 1, 1, 6, 1, 6, 6}},
	} {
		i := slices.IndexFunc(ops, func(o arithOp) bool { return o.name == tc.name })
		if i < 0 || !slices.Equal(ops[i].f, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, ops[max(i, 0)].f, tc.want)
		}
	}
}

func TestArithSplitsAndDisjoint(t *testing.T) {
	for _, tc := range []struct {
		longer []int
		want   string
	}{
		{[]int{2}, "train compose longer@2 pretrain"},
		{[]int{4, 2}, "train compose longer@4 longer@2 pretrain"},
		{nil, "train compose pretrain"},
	} {
		f := newTestArith(t, 7, func(c *ArithConfig) { c.Longer = tc.longer })
		splitsAndDisjoint(t, fmt.Sprintf("longer %v", tc.longer), f, tc.want)
	}
	f := newTestArith(t, 7, nil)
	if len(f.job) != 4 || len(f.pretrain) != len(f.ops)-1 || slices.Contains(f.pretrain, f.job[0]) {
		t.Fatalf("job ops %v, pretraining ops %v of %d", f.job, f.pretrain, len(f.ops))
	}
	for _, o := range f.job[1:] {
		if !slices.Contains(f.pretrain, o) {
			t.Fatalf("job op %s is not novel but pretraining does not show it", f.OpName(o))
		}
	}
}

// arithLeakCases break the family behind the generator's back (see
// TestCheckDisjointCatchesLeaks).
var arithLeakCases = []leakCase[*Arith]{
	{"compose repeats a job composition", func(f *Arith) {
		// The pool is made to show compose task 0's order.
		task, _ := f.Task(arithCompose, 0)
		f.seqs[0] = task.Data.(*arithTask).seq
	}, "repeats a composition"},
	{"the novel op in pretraining", func(f *Arith) {
		f.pretrain = append(f.pretrain, f.job[0])
	}, "also a pretraining op"},
	{"a pool composition of the wrong length", func(f *Arith) {
		f.seqs[2] = f.seqs[2][:3]
	}, "names no composition of length 4"},
	{"compose on ops the job never uses", func(f *Arith) {
		var others []int
		for _, o := range f.pretrain {
			if !slices.Contains(f.job, o) {
				others = append(others, o)
			}
		}
		f.job = append(f.job[:1:1], others[:3]...)
	}, "which the job's compositions never do"},
}

// arithTrace runs task i of split with actions that are right two steps in
// three and records every observation, step result and the outcome.
func arithTrace(t *testing.T, f *Arith, split string, i int) ([]float64, Outcome) {
	t.Helper()
	env, obs := startTask(t, f, split, i)
	var trace []float64
	for s := 0; ; s++ {
		trace = append(trace, obs.Dense[arithValue]...)
		trace = append(trace, obs.Dense[arithOpCh]...)
		trace = append(trace, float64(obs.Index[arithPosition]), float64(obs.Step), float64(env.Correct()))
		a := env.Correct()
		if s%3 == 2 {
			a = (a + 1 + i) % f.cfg.P
		}
		r := env.Step(a, obs)
		trace = append(trace, b2f(r.Correct), b2f(r.Done))
		if r.Done {
			break
		}
	}
	return trace, env.Outcome()
}

func TestArithFreshInstances(t *testing.T) {
	f := newTestArith(t, 7, nil)
	type inst struct{ comp, start int }
	pool := map[inst]bool{}
	keys := map[uint64]bool{}
	comps := map[int]bool{}
	for i := range f.PoolSize(SplitTrain) {
		task, err := f.Task(SplitTrain, i)
		if err != nil {
			t.Fatal(err)
		}
		at := task.Data.(*arithTask)
		pool[inst{at.comp, at.start}] = true
		keys[task.Key] = true
		comps[at.comp] = true
		if !slices.Equal(at.seq, f.seqs[at.comp]) || task.Len != f.cfg.Length {
			t.Fatalf("pool task %d does not show composition %d", i, at.comp)
		}
	}
	if len(pool) != f.cfg.TrainTasks || len(keys) != f.cfg.TrainTasks || len(comps) != f.cfg.TrainSequences {
		t.Fatalf("pool of %d: %d distinct instances, %d keys, %d compositions", f.cfg.TrainTasks, len(pool), len(keys), len(comps))
	}
	fresh := map[inst]bool{}
	for n := range 2000 {
		task, err := f.Task(SplitTrain, FreshTask(n))
		if err != nil {
			t.Fatal(err)
		}
		at := task.Data.(*arithTask)
		if pool[inst{at.comp, at.start}] || keys[task.Key] {
			t.Fatalf("fresh instance %d equals a pool instance", n)
		}
		if at.comp < 0 || !slices.Equal(at.seq, f.seqs[at.comp]) {
			t.Fatalf("fresh instance %d is not one of the job's compositions", n)
		}
		fresh[inst{at.comp, at.start}] = true
	}
	// 16 compositions x 7 start values, 64 in the pool: the other 48 are
	// the fresh ones, and 2000 draws meet them all.
	if want := f.cfg.TrainSequences*f.cfg.P - f.cfg.TrainTasks; len(fresh) != want {
		t.Fatalf("fresh instances take %d distinct values, want %d", len(fresh), want)
	}
	checkTaskIndices(t, f, []int{f.cfg.TrainTasks, FreshIndex - 1},
		[]string{"nope", "longer@3", "longer@x"}, []string{arithCompose, "longer@2", SplitPretrain})
}

func TestArithSpecAndObs(t *testing.T) {
	f := newTestArith(t, 7, func(c *ArithConfig) { c.Longer = []int{2, 3} })
	s := f.Spec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Actions != 7 || s.MaxLen != 12 || s.Channel("value") != arithValue || s.Channel("op") != arithOpCh || s.Channel("position") != arithPosition ||
		s.Channels[arithValue].Kind != Dense || s.Channels[arithValue].Size != 7 ||
		s.Channels[arithOpCh].Kind != Dense || s.Channels[arithOpCh].Size != 11 ||
		s.Channels[arithPosition].Kind != Index || s.Channels[arithPosition].Size != 16*4 {
		t.Fatalf("spec %+v", s)
	}
	env := f.NewEnv()
	obs := NewObs(s)
	for _, split := range f.Splits() {
		for i := range 16 {
			task, err := f.Task(split, i)
			if err != nil {
				t.Fatal(err)
			}
			if task.Len > s.MaxLen {
				t.Fatalf("%s task %d: %d steps, above MaxLen %d", split, i, task.Len, s.MaxLen)
			}
			at := task.Data.(*arithTask)
			env.Reset(&task, &obs)
			x := at.start
			for step := 0; ; step++ {
				v, op := obs.Dense[arithValue], obs.Dense[arithOpCh]
				if len(v) != 7 || len(op) != 11 || obs.Dense[arithPosition] != nil || obs.Step != step {
					t.Fatal("obs buffers do not match the spec")
				}
				if !isOneHot(v, x) || !isOneHot(op, at.seq[step]) {
					t.Fatalf("%s task %d step %d: value %v (want %d), op %v (want %d)", split, i, step, v, x, op, at.seq[step])
				}
				wantPos := -1
				if split == SplitTrain {
					wantPos = at.comp*f.cfg.Length + step
				}
				if obs.Index[arithPosition] != wantPos {
					t.Fatalf("%s task %d step %d: position %d, want %d", split, i, step, obs.Index[arithPosition], wantPos)
				}
				if want := f.ops[at.seq[step]].f[x]; env.Correct() != want {
					t.Fatalf("%s task %d step %d: Correct() = %d, want %d", split, i, step, env.Correct(), want)
				}
				x = (step*3 + i) % f.cfg.P // the agent's answer is the next value
				if env.Step(x, &obs).Done {
					break
				}
			}
		}
	}
}

func isOneHot(v []float64, hot int) bool {
	for i, x := range v {
		if x != b2f(i == hot) {
			return false
		}
	}
	return true
}

// TestArithChain: an answer, right or wrong, is the value the next step
// works on; a step is judged against the value held; the loophole is every
// answer 0.
func TestArithChain(t *testing.T) {
	f := newTestArith(t, 1, nil)
	add3, mul2 := arithOpIndex(t, f, "add 3"), arithOpIndex(t, f, "mul 2")
	task := Task{Split: "hand", Len: 3, Data: &arithTask{seq: []int{add3, mul2, add3}, start: 5, comp: -1}}
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	for _, tc := range []struct {
		name    string
		actions []int
		correct []bool
		want    Outcome
	}{
		// 5+3 = 1, 1*2 = 2, 2+3 = 5.
		{"right", []int{1, 2, 5}, []bool{true, true, true}, Outcome{Steps: 3, Correct: 3, Success: true, Score: 1}},
		// A wrong first answer 4: then 4*2 = 1 is right, and 1+3 = 4.
		{"error propagates", []int{4, 1, 4}, []bool{false, true, true}, Outcome{Steps: 3, Correct: 2, Score: 2.0 / 3}},
		// The true chain's answer after a wrong one is wrong (4*2 = 1, not
		// 2); holding 2 then puts the agent back on the true chain (2+3 =
		// 5), but a chain with a wrong step is no success, even with the
		// right final value.
		{"back on the true chain", []int{4, 2, 5}, []bool{false, false, true}, Outcome{Steps: 3, Correct: 1, Score: 1.0 / 3}},
		// 0 is wrong, then 0*2 = 0 right, then 0+3 = 3, not 0.
		{"all zero", []int{0, 0, 0}, []bool{false, true, false}, Outcome{Steps: 3, Correct: 1, Score: 1.0 / 3, Loophole: true}},
		{"not all zero", []int{0, 0, 1}, []bool{false, true, false}, Outcome{Steps: 3, Correct: 1, Score: 1.0 / 3}},
	} {
		env.Reset(&task, &obs)
		for i, a := range tc.actions {
			r := env.Step(a, &obs)
			if r.Correct != tc.correct[i] || r.Done != (i == 2) {
				t.Fatalf("%s step %d: %+v, want correct %v", tc.name, i, r, tc.correct[i])
			}
			if i < 2 && !isOneHot(obs.Dense[arithValue], a) {
				t.Fatalf("%s step %d: the next value is not the answer %d", tc.name, i, a)
			}
		}
		if got := env.Outcome(); got != tc.want {
			t.Errorf("%s: outcome %+v, want %+v", tc.name, got, tc.want)
		}
	}
	for _, a := range []int{-1, f.cfg.P} {
		env.Reset(&task, &obs)
		if !panics(func() { env.Step(a, &obs) }) {
			t.Errorf("action %d: want a panic", a)
		}
	}
	runActions(env, &obs, &task, 1, 2, 5)
	if !panics(func() { env.Step(0, &obs) }) {
		t.Error("a step after the attempt is done: want a panic")
	}
}

// TestArithExhaustive: of the p^L answer sequences to a task exactly one
// is right at every step and exactly one is all zeros; the mean score is
// 1/p. Exact, by enumeration.
func TestArithExhaustive(t *testing.T) {
	f := newTestArith(t, 3, func(c *ArithConfig) {
		c.P, c.Ops, c.NumOps, c.NovelOps, c.Length, c.TrainSequences, c.TrainTasks = 5, []string{"add", "mul", "pow"}, 5, 2, 4, 8, 8
	})
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	p, L := f.cfg.P, f.cfg.Length
	total := int(math.Pow(float64(p), float64(L)))
	actions := make([]int, L)
	for _, split := range f.Splits() {
		if strings.HasPrefix(split, "longer@") {
			continue
		}
		for i := range 4 {
			task, _ := f.Task(split, i)
			wins, loops, correct := 0, 0, 0
			for code := range total {
				for s, c := 0, code; s < L; s, c = s+1, c/p {
					actions[s] = c % p
				}
				o := runActions(env, &obs, &task, actions...)
				wins += int(b2f(o.Success))
				loops += int(b2f(o.Loophole))
				correct += o.Correct
			}
			if wins != 1 || loops != 1 || correct*p != total*L {
				t.Fatalf("%s task %d: %d successes, %d all-zero, %d correct steps of %d sequences; want 1, 1, %d", split, i, wins, loops, correct, total, total*L/p)
			}
		}
	}
}

// TestArithRandomPolicyCalibration: a uniformly random policy is right at
// each step with probability 1/p whatever value it holds, so it succeeds
// with probability (1/p)^n and scores 1/p. The exact expectation must give
// these numbers to rounding, and simulation must agree within 4 s.e.
func TestArithRandomPolicyCalibration(t *testing.T) {
	for _, tc := range []struct{ p, length int }{{3, 3}, {5, 2}, {7, 4}} {
		f := newTestArith(t, 1, func(c *ArithConfig) {
			c.P, c.Length = tc.p, tc.length
			c.Ops = []string{"add", "mul", "rsub"}
			c.NumOps, c.NovelOps = 2, 0
			c.TrainSequences, c.TrainTasks, c.Longer = 1, 1, nil
		})
		env := f.NewEnv()
		obs := NewObs(f.Spec())
		p := float64(tc.p)
		wantSucc := math.Pow(1/p, float64(tc.length))
		const n = 40000
		wins, score := 0, 0.0
		for i := range n {
			task, err := f.Task(arithCompose, i)
			if err != nil {
				t.Fatal(err)
			}
			if i < 50 {
				e, err := f.Expected(&task, uniformPolicy)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(e.Success-wantSucc) > 1e-12 || math.Abs(e.Score-1/p) > 1e-12 || math.Abs(e.Loophole-wantSucc) > 1e-12 {
					t.Fatalf("p=%d L=%d task %d: exact %+v, want success and loophole %v, score %v", tc.p, tc.length, i, e, wantSucc, 1/p)
				}
			}
			env.Reset(&task, &obs)
			for s := uint64(0); !env.Step(int(Uniform(Key(uint64(i), s))*p), &obs).Done; s++ {
			}
			o := env.Outcome()
			wins += int(b2f(o.Success))
			score += o.Score
		}
		if se := math.Sqrt(wantSucc * (1 - wantSucc) / n); math.Abs(float64(wins)/n-wantSucc) > 4*se {
			t.Errorf("p=%d L=%d: random success %.4f, want %.4f +- %.4f (4 s.e.)", tc.p, tc.length, float64(wins)/n, wantSucc, 4*se)
		}
		if se := math.Sqrt((1/p)*(1-1/p)/(n*float64(tc.length))) * 2; math.Abs(score/n-1/p) > 4*se {
			// 2x: steps of one attempt are independent draws, but allow slack.
			t.Errorf("p=%d L=%d: random score %.4f, want %.4f +- %.4f", tc.p, tc.length, score/n, 1/p, 4*se)
		}
	}
}

// TestArithExpectedMatchesSimulation checks the exact expected outcome of
// fixed policies against simulated attempts, within 4 standard errors, and
// the oracle's against 1.
func TestArithExpectedMatchesSimulation(t *testing.T) {
	f := newTestArith(t, 4, nil)
	s := f.Spec()
	policies := []struct {
		name  string
		probs func(o *Obs, dst []float64)
	}{
		{"uniform", uniformPolicy},
		{"softmax", denseSoftmax(s, 1, 1)},
		{"peaked softmax", denseSoftmax(s, 2, 3)},
		{"mostly right", func(o *Obs, dst []float64) {
			x := slices.Index(o.Dense[arithValue], 1)
			op := slices.Index(o.Dense[arithOpCh], 1)
			for a := range dst {
				dst[a] = 0.2 / float64(len(dst)-1)
			}
			dst[f.ops[op].f[x]] = 0.8
		}},
		{"zero-leaning", func(o *Obs, dst []float64) {
			for a := range dst {
				dst[a] = 0.5 / float64(len(dst)-1)
			}
			dst[0] = 0.5
		}},
	}
	env := f.NewEnv()
	obs := NewObs(s)
	dst := make([]float64, s.Actions)
	const n = 4000
	for _, split := range []string{SplitTrain, "longer@2"} {
		task, err := f.Task(split, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, pol := range policies {
			want, err := f.Expected(&task, pol.probs)
			if err != nil {
				t.Fatal(err)
			}
			simulated(t, env, &obs, dst, &task, split+" "+pol.name, pol.probs, want, n, 0)
			if want.Steps != float64(task.Len) {
				t.Errorf("%s %s: expected steps %v, want %d", split, pol.name, want.Steps, task.Len)
			}
		}
		oracle := func(o *Obs, dst []float64) {
			x, op := slices.Index(o.Dense[arithValue], 1), slices.Index(o.Dense[arithOpCh], 1)
			dst[f.ops[op].f[x]] = 1
		}
		if got, err := f.Expected(&task, oracle); err != nil || got.Success != 1 || got.Score != 1 || got.Loophole != 0 {
			t.Errorf("%s: oracle expects %+v (%v), want success and score 1", split, got, err)
		}
	}
	task, _ := f.Task(SplitTrain, 0)
	expectedRejects(t, f.Expected, &task)
}

// arithConfigCases are knob settings Validate must refuse (see
// TestConfigValidate).
var arithConfigCases = []configCase[ArithConfig]{
	{"modulus 1", func(c *ArithConfig) { c.P = 1 }, "p = 1"},
	{"modulus too big", func(c *ArithConfig) { c.P = 98 }, "p = 98"},
	{"no ops", func(c *ArithConfig) { c.Ops = nil }, "ops is empty"},
	{"unknown op", func(c *ArithConfig) { c.Ops = []string{"add", "div"} }, `unknown kind "div"`},
	{"op twice", func(c *ArithConfig) { c.Ops = []string{"add", "mul", "add"} }, `"add" is listed twice`},
	{"no steps", func(c *ArithConfig) { c.Length = 0 }, "length = 0"},
	{"no job ops", func(c *ArithConfig) { c.NumOps = 0 }, "num_ops = 0"},
	{"more ops than the table", func(c *ArithConfig) { c.NumOps, c.Ops = 7, []string{"add"} }, "holds only 6"},
	{"novel above the job's", func(c *ArithConfig) { c.NovelOps = 5 }, "novel_ops = 5"},
	{"negative novel", func(c *ArithConfig) { c.NovelOps = -1 }, "novel_ops = -1"},
	{"nothing left to pretrain", func(c *ArithConfig) { c.Ops, c.NumOps, c.NovelOps = []string{"add"}, 6, 6 }, "leaves pretraining none"},
	{"too many compositions", func(c *ArithConfig) { c.NumOps, c.Length, c.TrainSequences, c.TrainTasks = 2, 3, 5, 10 }, "at most half"},
	{"no compositions", func(c *ArithConfig) { c.TrainSequences = 0 }, "train_sequences = 0"},
	{"pool smaller than the compositions", func(c *ArithConfig) { c.TrainTasks = 15 }, "train_tasks = 15"},
	{"pool leaves no fresh instance", func(c *ArithConfig) { c.TrainTasks = 16 * 7 }, "fresh start values"},
	{"longer by 1", func(c *ArithConfig) { c.Longer = []int{1} }, "longer = 1"},
	{"longer twice", func(c *ArithConfig) { c.Longer = []int{2, 2} }, "listed twice"},
}
