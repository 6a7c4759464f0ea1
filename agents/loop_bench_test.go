package agents_test

import (
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
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
	for m := 0; m < loopGroup; m++ {
		key := envs.Key(uint64(i), uint64(m))
		l.env.Reset(t, &l.obs)
		if log != nil {
			l.attempts[m] = log.Begin(t, m)
		}
		for s := uint64(0); ; s++ {
			act := l.a.Act(&l.obs, false, envs.Key(key, s))
			if log != nil {
				log.Record(&l.obs, act)
			}
			steps++
			if l.env.Step(act, &l.obs).Done {
				break
			}
		}
		l.verdicts[m] = l.ver.Judge(l.env.Outcome(), key)
	}
	if l.a.Learns() {
		l.fb = agents.Feedback{Task: t, Attempts: l.attempts, Verdicts: l.verdicts}
		l.a.Learn(&l.fb)
	}
	return steps
}

// benchLoop measures the hot loop; one op is one group. It reports env steps
// per second.
func benchLoop(b *testing.B, l *loop) {
	steps := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		steps += l.group(i)
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkLoopRLVR(b *testing.B)    { benchLoop(b, newLoop(b, "rlvr", "bilinear")) }
func BenchmarkLoopRLVRMLP(b *testing.B) { benchLoop(b, newLoop(b, "rlvr", "mlp")) }
func BenchmarkLoopFrozen(b *testing.B)  { benchLoop(b, newLoop(b, "frozen", "bilinear")) }

func newBanditLoop(tb testing.TB, model string) *loop {
	f, err := envs.NewBandit(envs.DefaultBandit(), 1)
	if err != nil {
		tb.Fatal(err)
	}
	return newLoopOn(tb, f, "rlvr", model)
}

func BenchmarkLoopRLVRBandit(b *testing.B)    { benchLoop(b, newBanditLoop(b, "bilinear")) }
func BenchmarkLoopRLVRBanditMLP(b *testing.B) { benchLoop(b, newBanditLoop(b, "mlp")) }

// The step + act + update loop must not allocate: not a timed test, so it may
// assert.
func TestLoopAllocatesNothing(t *testing.T) {
	for _, c := range []struct{ mech, model string }{{"rlvr", "bilinear"}, {"rlvr", "mlp"}, {"frozen", "bilinear"}, {"bandit", "bilinear"}, {"bandit", "mlp"}} {
		var l *loop
		if c.mech == "bandit" { // rlvr on the bandit family
			l = newBanditLoop(t, c.model)
		} else {
			l = newLoop(t, c.mech, c.model)
		}
		i := 0
		l.group(i) // the log's buffers grow to a group's size once
		if n := testing.AllocsPerRun(200, func() { i++; l.group(i) }); n != 0 {
			t.Errorf("%s/%s: the step + act + update loop allocates %v times per group, want 0", c.mech, c.model, n)
		}
	}
}
