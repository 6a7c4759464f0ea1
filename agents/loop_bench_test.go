package agents_test

import (
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

// loopGroup is the group size of the hot-loop fixture (the headline's).
const loopGroup = 4

// loop is the hot loop on the default skills shape: env step plus agent act,
// and (when learning) the rlvr update on a group of loopGroup attempts with
// perfect verdicts. BenchmarkLoop* time it; TestLoopAllocatesNothing asserts
// it allocates nothing.
type loop struct {
	a        *agents.Agent
	pool     []envs.Task
	env      envs.Env
	obs      envs.Obs
	ver      envs.VerifierConfig
	verdicts []envs.Verdict
}

// newLoop builds the fixture for an agent with the single mechanism mech.
func newLoop(tb testing.TB, mech string) *loop {
	tb.Helper()
	f, err := envs.NewSkills(envs.DefaultSkills(), 1)
	if err != nil {
		tb.Fatal(err)
	}
	base, err := agents.Pretrain(f, agents.PretrainConfig{Tasks: 200, LR: 0.1})
	if err != nil {
		tb.Fatal(err)
	}
	a, err := agents.New(agents.Config{Name: mech, Mechanisms: []string{mech}, Policy: agents.DefaultPolicy()}, base, loopGroup)
	if err != nil {
		tb.Fatal(err)
	}
	l := &loop{a: a, env: f.NewEnv(), obs: envs.NewObs(f.Spec()), ver: envs.DefaultVerifier(),
		verdicts: make([]envs.Verdict, loopGroup)}
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
	tr := l.a.BeginGroup(loopGroup)
	steps := 0
	for m := 0; m < loopGroup; m++ {
		key := envs.Key(uint64(i), uint64(m))
		l.env.Reset(t, &l.obs)
		for s := uint64(0); ; s++ {
			act := l.a.Act(&l.obs, false, envs.Key(key, s))
			tr.Record(m, &l.obs, act)
			steps++
			if l.env.Step(act, &l.obs).Done {
				break
			}
		}
		l.verdicts[m] = l.ver.Judge(l.env.Outcome(), key)
	}
	l.a.EndGroup(l.verdicts)
	return steps
}

// benchLoop measures the hot loop; one op is one group. It reports env steps
// per second.
func benchLoop(b *testing.B, mech string) {
	l := newLoop(b, mech)
	steps := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		steps += l.group(i)
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkLoopRLVR(b *testing.B)   { benchLoop(b, "rlvr") }
func BenchmarkLoopFrozen(b *testing.B) { benchLoop(b, "frozen") }

// The step + act + update loop must not allocate: not a timed test, so it may
// assert.
func TestLoopAllocatesNothing(t *testing.T) {
	for _, mech := range []string{"rlvr", "frozen"} {
		l := newLoop(t, mech)
		i := 0
		if n := testing.AllocsPerRun(200, func() { l.group(i); i++ }); n != 0 {
			t.Errorf("%s: the step + act + update loop allocates %v times per group, want 0", mech, n)
		}
	}
}
