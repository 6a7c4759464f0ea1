package agents

import (
	"math"
	"slices"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// The unverified split (issue 14): a session that mixes tasks of a
// verified phase with tasks of an unverified one (verdict coverage 0, as
// experiments' job.unverified_phases attempts them). The context learns
// from the verified tasks alone; opsd distils on every task of the
// session, the unverified ones too (its loss needs no verdict); sft and
// rl can learn only from verified entries.

// mixedAttempt is one attempt of a mixed session: task i of phase group g
// (of 2), judged with its true verdict if verified, else with none.
type mixedAttempt struct {
	g, i     int
	verified bool
}

// mixedSession interleaves n attempts at fresh instances of group 0
// (verified) with n at group 1 (unverified).
func mixedSession(n int) []mixedAttempt {
	var out []mixedAttempt
	for i := range n {
		out = append(out, mixedAttempt{0, i, true}, mixedAttempt{1, i, false})
	}
	return out
}

// runMixed runs the attempts in order, each acted with a key of its own
// task (so an attempt acts alike in any session the context is the same
// in), handing each verdict to the agent.
func (w *ctxWorld) runMixed(t *testing.T, a *Agent, atts []mixedAttempt) {
	t.Helper()
	env, obs := w.fam.NewEnv(), envs.NewObs(w.fam.Spec())
	for _, m := range atts {
		task, err := w.fam.PhaseTask(2, m.g, envs.FreshIndex+m.i)
		if err != nil {
			t.Fatal(err)
		}
		env.Reset(&task, &obs)
		at := a.Log.Begin(&task, 0)
		key := envs.Key(11, uint64(m.g), uint64(m.i))
		for step := uint64(0); ; step++ {
			act := a.Act(&obs, false, envs.Key(key, step))
			a.Record(&obs, act)
			if env.Step(act, &obs).Done {
				break
			}
		}
		v := envs.VerdictNone
		if m.verified {
			v = trueVerdicts(0, env.Outcome().Success)
		}
		a.Log.Judge(at, v, 1)
		a.Learn(&Feedback{Harness: w.h, Task: &task, Attempts: []int{at}, Verdicts: []envs.Verdict{v}})
	}
}

// phaseKL is the mean KL(p || q) over the states of greedy attempts by p
// at 64 probe instances of group g, none of them attempted in a session.
func (w *ctxWorld) phaseKL(t *testing.T, p, q Model, g int) float64 {
	t.Helper()
	return w.probeKL(t, p, q, func(i int) (envs.Task, error) {
		return w.fam.PhaseTask(2, g, envs.FreshIndex+5000+i)
	})
}

// In a mixed session, the context and sft and rl end exactly where they
// end after the verified attempts alone (bit for bit): the unverified
// entries drive none of their updates. opsd's update differs: it
// re-attempts the unverified phase's tasks too, takes more gradient steps,
// and moves the weights' action probabilities on that phase's probe
// states.
func TestUnverifiedTasksOnlyOPSDLearns(t *testing.T) {
	w := newCtxWorld(t)
	n := 64
	if testing.Short() {
		n = 48
	}
	mixed := mixedSession(n)
	var verified []mixedAttempt
	for _, m := range mixed {
		if m.verified {
			verified = append(verified, m)
		}
	}
	ctx := DefaultContext()
	ctx.Capacity = 4 * n
	for _, method := range []string{MethodSFT, MethodRL, MethodOPSD} {
		k := DefaultConsolidate()
		k.Method = method
		var teacher Model
		run := func(atts []mixedAttempt) (*Agent, []float64) {
			a := w.agent(t, []string{"context", "consolidate"}, bothKnobs(ctx, k))
			w.runMixed(t, a, atts)
			delta := slices.Clone(a.Context())
			teacher = a.Acting().Clone()
			if err := a.EndSession(w.h); err != nil {
				t.Fatal(err)
			}
			return a, delta
		}
		am, dm := run(mixed)
		av, dv := run(verified)
		// The teacher (weights plus context) is the same after both.
		t.Logf("%s: teacher-student KL on the unverified phase's probes: before %.5f, after the mixed session %.5f, after the verified attempts alone %.5f",
			method, w.phaseKL(t, teacher, w.base, 1), w.phaseKL(t, teacher, am.Weights, 1), w.phaseKL(t, teacher, av.Weights, 1))
		if dm == nil || !slices.Equal(dm, dv) {
			t.Fatalf("%s: the context after the mixed session differs from the verified attempts' alone", method)
		}
		moved := !slices.Equal(av.Weights.Params(), w.base.Params())
		same := slices.EqualFunc(am.Weights.Params(), av.Weights.Params(), func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		klU := w.phaseKL(t, w.base, am.Weights, 1) // the unverified phase's states: before || after
		klUV := w.phaseKL(t, w.base, av.Weights, 1)
		t.Logf("%s: KL(before || after) on the unverified phase's probes: mixed session %.5f, verified attempts alone %.5f; grad steps %d vs %d",
			method, klU, klUV, am.Compute.GradSteps, av.Compute.GradSteps)
		if !moved {
			t.Fatalf("%s: learnt nothing from the verified attempts", method)
		}
		switch method {
		case MethodSFT, MethodRL:
			if !same || am.Compute.GradSteps != av.Compute.GradSteps {
				t.Errorf("%s: the unverified entries changed the update (weights equal %v, grad steps %d vs %d)", method, same, am.Compute.GradSteps, av.Compute.GradSteps)
			}
		case MethodOPSD:
			if same || am.Compute.GradSteps <= av.Compute.GradSteps || !(klU > 0) {
				t.Errorf("opsd: did not distil on the unverified tasks (weights equal %v, grad steps %d vs %d, KL %v)", same, am.Compute.GradSteps, av.Compute.GradSteps, klU)
			}
		}
	}
}
