package agents_test

import (
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/cputime"
)

// loopGroup is the group size of the hot-loop fixture (the headline's).
const loopGroup = 4

// loop is the hot loop: env step plus agent act, and (when learning) the
// rlvr update on a group of loopGroup attempts with perfect verdicts.
// BenchmarkLoop* time it; TestLoopAllocatesNothing asserts it allocates
// nothing.
type loop struct {
	a        *agents.Agent
	pool     []envs.Task
	env      envs.Env
	obs      envs.Obs
	ver      envs.VerifierConfig
	verdicts []envs.Verdict
	attempts []int
	fb       agents.Feedback
	// mixed replaces the verifier's verdicts with two passes and two fails
	// (alternating from group to group), so every member's advantage is
	// non-zero and every step carries an update.
	mixed bool
	// tree steps each group as agents.Rollouts (the job's path when the
	// environment is an envs.Brancher) instead of member by member.
	tree *agents.Rollouts
	keys []uint64
}

// newLoop builds the fixture on the default skills family for an agent
// with the single mechanism mech and the named model.
func newLoop(tb testing.TB, mech, model string) *loop {
	tb.Helper()
	f, err := envs.NewSkills(envs.DefaultSkills(), 1)
	if err != nil {
		tb.Fatal(err)
	}
	return newLoopOn(tb, f, mech, model)
}

func newLoopOn(tb testing.TB, f envs.Family, mech, model string) *loop {
	tb.Helper()
	fac, err := agents.LookupModel(model)
	if err != nil {
		tb.Fatal(err)
	}
	pol := agents.PolicyConfig{Model: model, Temperature: 1, Knobs: fac.NewConfig()}
	base, err := agents.Pretrain(f, agents.PretrainConfig{Tasks: 200, LR: 0.1}, pol, 1)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := agents.New(agents.Config{Name: mech, Mechanisms: []string{mech}, Policy: pol}, base, 1)
	if err != nil {
		tb.Fatal(err)
	}
	l := &loop{a: a, env: f.NewEnv(), obs: envs.NewObs(f.Spec()), ver: envs.DefaultVerifier(),
		verdicts: make([]envs.Verdict, loopGroup), attempts: make([]int, loopGroup)}
	for i := 0; i < 64; i++ {
		t, err := f.Task(envs.SplitTrain, i)
		if err != nil {
			tb.Fatal(err)
		}
		l.pool = append(l.pool, t)
	}
	return l
}

// group runs group i (loopGroup attempts at one pool task, then one update)
// and returns the env steps it took.
func (l *loop) group(i int) int {
	t := &l.pool[i%len(l.pool)]
	log := l.a.Log
	if log != nil {
		log.Reset()
	}
	steps := 0
	if l.tree != nil {
		l.keys = l.keys[:0]
		for m := 0; m < loopGroup; m++ {
			l.keys = append(l.keys, envs.Key(uint64(i), uint64(m)))
		}
		l.tree.Run(l.a, l.env.(envs.Brancher), t, l.keys)
		copy(l.attempts, l.tree.Attempts())
		for m, key := range l.keys {
			steps += l.tree.Steps(m)
			l.verdicts[m] = l.ver.Judge(l.tree.Outcome(m), key)
		}
	}
	for m := 0; m < loopGroup && l.tree == nil; m++ {
		key := envs.Key(uint64(i), uint64(m))
		l.env.Reset(t, &l.obs)
		if log != nil {
			l.attempts[m] = log.Begin(t, m)
		}
		for s := uint64(0); ; s++ {
			act := l.a.Act(&l.obs, false, envs.Key(key, s))
			if log != nil {
				l.a.Record(&l.obs, act)
			}
			steps++
			if l.env.Step(act, &l.obs).Done {
				break
			}
		}
		l.verdicts[m] = l.ver.Judge(l.env.Outcome(), key)
	}
	for m := range l.verdicts {
		if l.mixed {
			l.verdicts[m] = envs.VerdictFail
			if (m+i)%2 == 0 {
				l.verdicts[m] = envs.VerdictPass
			}
		}
	}
	if l.a.Learns() {
		l.fb = agents.Feedback{Task: t, Attempts: l.attempts, Verdicts: l.verdicts}
		l.a.Learn(&l.fb)
	}
	return steps
}

// benchLoop measures the hot loop; one op is one group. It reports env steps
// per second (steps/s) and, of those, the steps whose gradient entered an
// update (grad-steps/s: the agent's GradSteps counter; a member whose
// advantage is 0 contributes nothing, and rlvr skips it), and env steps
// per CPU-second of the process (steps/cpu-s: the figure to quote on a
// machine other work shares).
func benchLoop(b *testing.B, l *loop) {
	// One pass over the pool first: buffers grow to the longest attempt
	// once (maze attempts vary in length), and that growth is warm-up, not
	// the loop's cost per group.
	for i := range l.pool {
		l.group(1<<40 + i) // keys apart from the timed groups
	}
	steps := 0
	grad0 := l.a.Compute.GradSteps
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Self()
	for i := 0; i < b.N; i++ {
		steps += l.group(i)
	}
	cpu := (cputime.Self() - cpu0).Seconds()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(steps)/sec, "steps/s")
	b.ReportMetric(float64(l.a.Compute.GradSteps-grad0)/sec, "grad-steps/s")
	if cpu > 0 {
		b.ReportMetric(float64(steps)/cpu, "steps/cpu-s")
	}
}

// BenchmarkLoopRLVR is the hot loop with the perfect verifier's verdicts:
// from the pretrained base most groups fail entirely, their advantages are
// 0, and only a few steps carry an update (compare grad-steps/s with
// steps/s). BenchmarkLoopRLVRUpdating is the same loop with every step
// carrying one.
func BenchmarkLoopRLVR(b *testing.B)    { benchLoop(b, newLoop(b, "rlvr", "bilinear")) }
func BenchmarkLoopRLVRMLP(b *testing.B) { benchLoop(b, newLoop(b, "rlvr", "mlp")) }
func BenchmarkLoopFrozen(b *testing.B)  { benchLoop(b, newLoop(b, "frozen", "bilinear")) }

// BenchmarkLoopRLVRTree is the bilinear rlvr loop of every family (perfect
// verdicts, and an update on every step) with each group stepped as a tree
// of its members' distinct states (agents.Rollouts), as the job steps it
// when the family's environment is an envs.Brancher: the same attempts and
// updates as BenchmarkLoopRLVR, BenchmarkLoopRLVRUpdating/bilinear and
// their per-family variants, which step members one by one.
func BenchmarkLoopRLVRTree(b *testing.B) {
	for _, family := range envs.Names() {
		for _, mixed := range []bool{false, true} {
			name := family + "/perfect"
			if mixed {
				name = family + "/updating"
			}
			b.Run(name, func(b *testing.B) {
				l := newFamilyLoop(b, family, "bilinear")
				if _, ok := l.env.(envs.Brancher); !ok {
					b.Skipf("%s's environment is not an envs.Brancher", family)
				}
				l.mixed = mixed
				l.tree = agents.NewRollouts(l.a.Weights.Spec())
				benchLoop(b, l)
			})
		}
	}
}

// BenchmarkLoopRLVRUpdating is the hot loop with an update on every step:
// verdicts are two passes and two fails in every group (see loop.mixed), so
// grad-steps/s equals steps/s.
func BenchmarkLoopRLVRUpdating(b *testing.B) {
	for _, model := range []string{"bilinear", "mlp"} {
		b.Run(model, func(b *testing.B) {
			l := newLoop(b, "rlvr", model)
			l.mixed = true
			benchLoop(b, l)
		})
	}
}

// newFamilyLoop is the fixture on the named family at its default knobs
// (those of the shipped experiments/<family>.toml) for rlvr with the named
// model (the shipped configs run each family with both).
func newFamilyLoop(tb testing.TB, family, model string) *loop {
	tb.Helper()
	fac, err := envs.Lookup(family)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := fac.New(fac.NewConfig(), 1)
	if err != nil {
		tb.Fatal(err)
	}
	return newLoopOn(tb, f, "rlvr", model)
}

func newBanditLoop(tb testing.TB, model string) *loop { return newFamilyLoop(tb, "bandit", model) }

func BenchmarkLoopRLVRBandit(b *testing.B)    { benchLoop(b, newBanditLoop(b, "bilinear")) }
func BenchmarkLoopRLVRBanditMLP(b *testing.B) { benchLoop(b, newBanditLoop(b, "mlp")) }

// BenchmarkLoopRLVRMaze and BenchmarkLoopRLVRArith (and their MLP
// variants) are the hot loop on the maze and arith families with the
// perfect verifier's verdicts.
func BenchmarkLoopRLVRMaze(b *testing.B)     { benchLoop(b, newFamilyLoop(b, "maze", "bilinear")) }
func BenchmarkLoopRLVRMazeMLP(b *testing.B)  { benchLoop(b, newFamilyLoop(b, "maze", "mlp")) }
func BenchmarkLoopRLVRArith(b *testing.B)    { benchLoop(b, newFamilyLoop(b, "arith", "bilinear")) }
func BenchmarkLoopRLVRArithMLP(b *testing.B) { benchLoop(b, newFamilyLoop(b, "arith", "mlp")) }

// BenchmarkLoopRLVRUpdatingFamily is BenchmarkLoopRLVRUpdating on every
// other registered family: an update on every step (see loop.mixed), per
// family and model.
func BenchmarkLoopRLVRUpdatingFamily(b *testing.B) {
	for _, family := range envs.Names() {
		if family == "skills" { // BenchmarkLoopRLVRUpdating
			continue
		}
		for _, model := range []string{"bilinear", "mlp"} {
			b.Run(family+"/"+model, func(b *testing.B) {
				l := newFamilyLoop(b, family, model)
				l.mixed = true
				benchLoop(b, l)
			})
		}
	}
}

// The step + act + update loop must not allocate, on every family: not a
// timed test, so it may assert.
func TestLoopAllocatesNothing(t *testing.T) {
	type tc struct {
		family, mech, model string
		mixed, tree         bool
	}
	// Every registered family, so a new one is covered without an edit here.
	cases := []tc{{"skills", "frozen", "bilinear", false, false}}
	for _, family := range envs.Names() {
		for _, model := range []string{"bilinear", "mlp"} {
			cases = append(cases, tc{family, "rlvr", model, false, false}, tc{family, "rlvr", model, true, false},
				tc{family, "rlvr", model, false, true}, tc{family, "rlvr", model, true, true})
		}
	}
	if len(cases) < 1+4*8 {
		t.Fatalf("families %v: want at least skills, bandit, maze and arith", envs.Names())
	}
	for _, c := range cases {
		var l *loop
		if c.mech == "frozen" {
			l = newLoop(t, c.mech, c.model)
		} else {
			l = newFamilyLoop(t, c.family, c.model)
		}
		l.mixed = c.mixed
		if _, ok := l.env.(envs.Brancher); c.tree && ok {
			l.tree = agents.NewRollouts(l.a.Weights.Spec())
		}
		i := 0
		l.group(i) // the log's buffers grow to a group's size once
		if n := testing.AllocsPerRun(200, func() { i++; l.group(i) }); n != 0 {
			t.Errorf("%s %s/%s (updates on every step: %v, as a tree: %v): the step + act + update loop allocates %v times per group, want 0", c.family, c.mech, c.model, c.mixed, c.tree, n)
		}
	}
}
