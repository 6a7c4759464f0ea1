package experiments

import (
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
	"github.com/grindbench/grindbench/results/stats"
)

// shuffledContext is the context mechanism fed the wrong verdicts: each
// attempt gets the verdict of a keyed uniform pick among the session's
// verdicts so far, so the pass rate stays and the link to the attempt goes.
type shuffledContext struct {
	inner agents.Mechanism
	seen  []envs.Verdict
	fb    agents.Feedback
	vs    []envs.Verdict
}

func (*shuffledContext) Name() string { return "context-shuffled" }

func (m *shuffledContext) Learn(a *agents.Agent, fb *agents.Feedback) {
	m.seen = append(m.seen, fb.Verdicts...)
	m.vs = m.vs[:0]
	for i := range fb.Verdicts {
		k := envs.Uniform(envs.Key(uint64(len(m.seen)), uint64(i), uint64(fb.Arrived)))
		m.vs = append(m.vs, m.seen[int(k*float64(len(m.seen)))])
	}
	m.fb = *fb
	m.fb.Verdicts = m.vs
	m.inner.(agents.Learner).Learn(a, &m.fb)
}

func (m *shuffledContext) ContextCleared(a *agents.Agent, h agents.Harness) error {
	m.seen = m.seen[:0]
	return m.inner.(agents.ContextClearer).ContextCleared(a, h)
}

func init() {
	agents.RegisterMechanism(agents.MechanismFactory{
		Name: "context-shuffled", Doc: "test only: the context mechanism fed shuffled verdicts", Verdicts: true,
		New: func(any) (agents.Mechanism, error) {
			f, err := agents.LookupMechanism("context")
			if err != nil {
				return nil, err
			}
			inner, err := f.New(f.NewConfig())
			if err != nil {
				return nil, err
			}
			return &shuffledContext{inner: inner}, nil
		},
	})
}

// contextConfig: fresh instances, one attempt each, no retries, one long
// session; the context's default knobs with an unbounded capacity.
const contextConfig = `
experiment = "context"
seeds = 16
[job]
days = 1
sessions = 1
tasks = 256
record_attempts = true
[eval]
tasks = 8
splits = ["train"]
[pretrain]
tasks = 2000
[env.grind]
resets = false
group_size = 1
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "context"
mechanisms = ["context"]
[agent.context]
capacity = 100000
[[agent]]
name = "shuffled"
mechanisms = ["context-shuffled"]
`

// seedSuccess is each seed's mean success over agent's attempts that keep
// accepts.
func seedSuccess(recs *results.Records, agent string, keep func(a *results.Attempt) bool) map[int]float64 {
	sum, n := map[int]float64{}, map[int]float64{}
	for i := range recs.Attempts {
		if a := &recs.Attempts[i]; a.Agent == agent && keep(a) {
			sum[a.Seed] += a.Success
			n[a.Seed]++
		}
	}
	for s := range sum {
		sum[s] /= n[s]
	}
	return sum
}

// lateSuccess is each seed's success over the second half of the session.
func lateSuccess(recs *results.Records, agent string, slots int) map[int]float64 {
	return seedSuccess(recs, agent, func(a *results.Attempt) bool { return a.Slot >= slots/2 })
}

// The context gains within a session on fresh instances without retries;
// the gain vanishes when its verdicts are shuffled, and at verdict coverage
// 0 the context agent acts exactly as the frozen base.
func TestContextGainsWithinASession(t *testing.T) {
	_, recs := mustRun(t, mustParse(t, contextConfig), 2)
	x, y := paired(lateSuccess(recs, "context", 256), lateSuccess(recs, "frozen", 256))
	if d := stats.PairedDiff(x, y, 0.95, 2000, 1); !(d.Lo > 0) {
		t.Errorf("context - frozen, second half of the session: %+.3f [%+.3f, %+.3f], want a gain", d.Point, d.Lo, d.Hi)
	} else {
		t.Logf("context - frozen, second half: %+.3f [%+.3f, %+.3f]", d.Point, d.Lo, d.Hi)
	}
	x, y = paired(lateSuccess(recs, "shuffled", 256), lateSuccess(recs, "frozen", 256))
	if d := stats.PairedDiff(x, y, 0.95, 2000, 1); !(d.Lo <= 0 && d.Hi >= 0) {
		t.Errorf("shuffled verdicts - frozen: %+.3f [%+.3f, %+.3f], want no gain", d.Point, d.Lo, d.Hi)
	} else {
		t.Logf("shuffled - frozen, second half: %+.3f [%+.3f, %+.3f]", d.Point, d.Lo, d.Hi)
	}

	_, recs = mustRun(t, mustParse(t, contextConfig, "env.verifier.coverage=0", "seeds=4"), 2)
	got := map[[3]int]float64{}
	for _, a := range recs.Attempts {
		if a.Agent == "frozen" {
			got[[3]int{a.Seed, a.Slot, a.Member}] = a.Success
		}
	}
	n := 0
	for _, a := range recs.Attempts {
		if a.Agent != "context" {
			continue
		}
		n++
		if a.Verdict != "none" {
			t.Fatalf("a verdict %q at coverage 0", a.Verdict)
		}
		if v, ok := got[[3]int{a.Seed, a.Slot, a.Member}]; !ok || v != a.Success {
			t.Fatalf("coverage 0, seed %d slot %d: context %v, frozen %v", a.Seed, a.Slot, a.Success, v)
		}
	}
	if n == 0 {
		t.Fatal("no context attempts recorded")
	}
}

// keepConfig is back-to-weights at one point (C = 512, step 1), fewer
// seeds: every consolidation method starts the next sessions higher than
// the context-only control.
const keepConfig = `
experiment = "keep"
seeds = 8
[job]
days = 1
sessions = 2
tasks = 128
record_attempts = true
[eval]
tasks = 8
splits = ["train"]
[pretrain]
tasks = 2000
[env.grind]
resets = true
group_size = 4
[[agent]]
name = "none"
mechanisms = ["context", "consolidate"]
[agent.context]
capacity = 512
[agent.consolidate]
method = "none"
`

// firstSuccess is each seed's success over the first k slots of session 1.
func firstSuccess(recs *results.Records, agent string, k int) map[int]float64 {
	return seedSuccess(recs, agent, func(a *results.Attempt) bool { return a.Session == 1 && a.Slot < k })
}

func TestConsolidationKeepsTheGain(t *testing.T) {
	src := keepConfig
	for _, m := range []struct{ name, knobs string }{
		{"sft", ``}, {"opsd", ``}, {"merge-upper-bound", ``}, {"rl", "lr = 50.0\n"},
	} {
		src += "[[agent]]\nname = \"" + m.name + "\"\nmechanisms = [\"context\", \"consolidate\"]\n[agent.context]\ncapacity = 512\n[agent.consolidate]\nmethod = \"" + m.name + "\"\n" + m.knobs
	}
	_, recs := mustRun(t, mustParse(t, src), 2)
	for _, m := range []string{"sft", "opsd", "rl", "merge-upper-bound"} {
		x, y := paired(firstSuccess(recs, m, 32), firstSuccess(recs, "none", 32))
		if d := stats.PairedDiff(x, y, 0.95, 2000, 1); !(d.Lo > 0) {
			t.Errorf("%s - none, first 32 slots of the next session: %+.3f [%+.3f, %+.3f], want a gain", m, d.Point, d.Lo, d.Hi)
		} else {
			t.Logf("%s - none, first 32 slots of the next session: %+.3f [%+.3f, %+.3f]", m, d.Point, d.Lo, d.Hi)
		}
	}
}

// The documented composition runs: context first, consolidate at the
// session's end, rlvr's updates on every group; each takes part.
func TestContextConsolidateRLVRCompose(t *testing.T) {
	src := smallConfig(`[[agent]]
name = "composed"
mechanisms = ["context", "consolidate", "rlvr"]
[agent.consolidate]
method = "sft"
[[agent]]
name = "rlvr-context"
mechanisms = ["context", "rlvr"]
`)
	_, recs := mustRun(t, mustParse(t, src, "seeds=2", "job.sessions=2"), 2)
	composed := finalValues(recs, "composed", "train", func(c *results.Checkpoint) float64 { return float64(c.GradSteps) })
	alone := finalValues(recs, "rlvr", "train", func(c *results.Checkpoint) float64 { return float64(c.GradSteps) })
	withCtx := finalValues(recs, "rlvr-context", "train", func(c *results.Checkpoint) float64 { return c.SharedMass })
	plain := finalValues(recs, "rlvr", "train", func(c *results.Checkpoint) float64 { return c.SharedMass })
	for s, g := range composed {
		if !(g > alone[s]) {
			t.Errorf("seed %d: the composed agent took %v gradient steps, rlvr alone %v: consolidation added none", s, g, alone[s])
		}
		if withCtx[s] == plain[s] {
			t.Errorf("seed %d: rlvr under a context ended with the weights of rlvr alone", s)
		}
	}
	if len(composed) == 0 {
		t.Fatal("no runs of the composed agent")
	}
}
