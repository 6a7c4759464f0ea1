package agents

import (
	"math"
	"slices"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// skillsHarness poses skills tasks to models: enough of a Harness for
// consolidation (Pose) and EWC (a fixed Fisher).
type skillsHarness struct {
	Harness
	env    envs.Env
	obs    envs.Obs
	fisher []float64
	logits []float64
	probs  []float64
}

func (h *skillsHarness) Pose(m Model, t *envs.Task, key uint64, visit func(o *envs.Obs, action int)) error {
	h.env.Reset(t, &h.obs)
	for step := uint64(0); ; step++ {
		m.Logits(h.logits, &h.obs)
		act := Choose(h.logits, h.probs, false, envs.Key(key, step))
		visit(&h.obs, act)
		if h.env.Step(act, &h.obs).Done {
			return nil
		}
	}
}

func (h *skillsHarness) BaseFisher() ([]float64, error) { return h.fisher, nil }

type ctxWorld struct {
	fam  *envs.Skills
	base Model
	h    *skillsHarness
}

// newCtxWorld pretrains a small base on the skills family.
func newCtxWorld(t *testing.T) *ctxWorld {
	t.Helper()
	fam, err := envs.NewSkills(envs.DefaultSkills(), 1)
	if err != nil {
		t.Fatal(err)
	}
	pc := DefaultPretrain()
	pc.Tasks = 300
	base, err := Pretrain(fam, pc, DefaultPolicy(), 1)
	if err != nil {
		t.Fatal(err)
	}
	A := fam.Spec().Actions
	fisher := make([]float64, len(base.Params()))
	for i := range fisher {
		fisher[i] = 0.5 + 0.5*math.Sin(float64(i))
	}
	return &ctxWorld{fam: fam, base: base, h: &skillsHarness{env: fam.NewEnv(), obs: envs.NewObs(fam.Spec()),
		fisher: fisher, logits: make([]float64, A), probs: make([]float64, A)}}
}

func (w *ctxWorld) agent(t *testing.T, mechs []string, knobs map[string]any) *Agent {
	t.Helper()
	a, err := New(Config{Name: "c", Mechanisms: mechs, Policy: DefaultPolicy(), Knobs: knobs}, w.base, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.StartJob(w.h); err != nil {
		t.Fatal(err)
	}
	return a
}

// verdictRule maps an attempt's true success to the verdict the agent gets.
type verdictRule func(i int, success bool) envs.Verdict

func trueVerdicts(_ int, ok bool) envs.Verdict {
	if ok {
		return envs.VerdictPass
	}
	return envs.VerdictFail
}

func noVerdicts(int, bool) envs.Verdict { return envs.VerdictNone }

// session runs n attempts at training instances first.. (a fresh one each),
// judged by rule, handing each verdict to the agent as it comes; it
// returns the successes.
func (w *ctxWorld) session(t *testing.T, a *Agent, first, n int, rule verdictRule) []bool {
	t.Helper()
	env, obs := w.fam.NewEnv(), envs.NewObs(w.fam.Spec())
	out := make([]bool, n)
	for i := 0; i < n; i++ {
		task, err := w.fam.Task(envs.SplitTrain, envs.FreshTask(first+i))
		if err != nil {
			t.Fatal(err)
		}
		env.Reset(&task, &obs)
		at := a.Log.Begin(&task, 0)
		key := envs.Key(7, uint64(first+i))
		for step := uint64(0); ; step++ {
			act := a.Act(&obs, false, envs.Key(key, step))
			a.Record(&obs, act)
			if env.Step(act, &obs).Done {
				break
			}
		}
		out[i] = env.Outcome().Success
		v := rule(i, out[i])
		a.Log.Judge(at, v, float64(i+1))
		a.Learn(&Feedback{Harness: w.h, Task: &task, Attempts: []int{at}, Verdicts: []envs.Verdict{v}})
	}
	return out
}

func ctxKnobs(c ContextConfig) map[string]any { return map[string]any{"context": &c} }

func bothKnobs(c ContextConfig, k ConsolidateConfig) map[string]any {
	return map[string]any{"context": &c, "consolidate": &k}
}

// After a session ends, a context-only agent acts bit for bit as its
// weights alone, and its weights are the base's: the context never touched
// them.
func TestContextLeavesNoTrace(t *testing.T) {
	w := newCtxWorld(t)
	for _, kind := range []string{KindFastWeights, KindRetrieval} {
		c := DefaultContext()
		c.Kind = kind
		a := w.agent(t, []string{"context"}, ctxKnobs(c))
		w.session(t, a, 0, 64, trueVerdicts)
		if kind == KindFastWeights && a.Context() == nil {
			t.Fatal("no context after a judged session")
		}
		if err := a.EndSession(w.h); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Weights.Params(), w.base.Params()) {
			t.Fatalf("%s: the context changed the weights", kind)
		}
		ref := w.agent(t, []string{"frozen"}, nil)
		env, obs := w.fam.NewEnv(), envs.NewObs(w.fam.Spec())
		for i := 0; i < 32; i++ {
			task, _ := w.fam.Task(envs.SplitTrain, envs.FreshTask(1000+i))
			env.Reset(&task, &obs)
			for step := uint64(0); ; step++ {
				key := envs.Key(3, uint64(i), step)
				x, y := a.Act(&obs, false, key), ref.Act(&obs, false, key)
				if x != y {
					t.Fatalf("%s: after the session the agent acts %d, its weights alone %d", kind, x, y)
				}
				if env.Step(x, &obs).Done {
					break
				}
			}
		}
	}
}

// A teacher equal to the student (an empty context) moves the weights by
// exactly 0, in both directions.
func TestOPSDEmptyContextIsExactlyZero(t *testing.T) {
	w := newCtxWorld(t)
	for _, dir := range []string{DirReverse, DirForward} {
		k := DefaultConsolidate()
		k.Direction = dir
		a := w.agent(t, []string{"context", "consolidate"}, bothKnobs(DefaultContext(), k))
		copy(a.Weights.Params(), w.base.Params())
		a.Weights.Params()[3] += 0.7 // weights away from the base: still no move
		before := slices.Clone(a.Weights.Params())
		w.session(t, a, 0, 16, noVerdicts) // tasks logged, no verdict: the context stays empty
		if err := a.EndSession(w.h); err != nil {
			t.Fatal(err)
		}
		if a.Compute.GradSteps == 0 {
			t.Fatal("opsd took no gradient steps")
		}
		for i, v := range a.Weights.Params() {
			if math.Float64bits(v) != math.Float64bits(before[i]) {
				t.Fatalf("%s: weight %d moved from %v to %v with teacher = student", dir, i, before[i], v)
			}
		}
	}
}

// meanKL is the mean KL(teacher || student) over probe states: the states
// of greedy teacher attempts at held-out instances.
func (w *ctxWorld) meanKL(t *testing.T, teacher, student Model) float64 {
	t.Helper()
	return w.probeKL(t, teacher, student, func(i int) (envs.Task, error) {
		return w.fam.Task(envs.SplitTrain, envs.FreshTask(5000+i))
	})
}

// probeKL is the mean KL(p || q) over the states of greedy attempts by p at
// the 64 probe tasks task(0..63).
func (w *ctxWorld) probeKL(t *testing.T, p, q Model, task func(i int) (envs.Task, error)) float64 {
	t.Helper()
	A := w.fam.Spec().Actions
	pp, qq := make([]float64, A), make([]float64, A)
	env, obs := w.fam.NewEnv(), envs.NewObs(w.fam.Spec())
	sum, n := 0.0, 0
	for i := range 64 {
		task, err := task(i)
		if err != nil {
			t.Fatal(err)
		}
		env.Reset(&task, &obs)
		for {
			p.Logits(pp, &obs)
			Softmax(pp, pp)
			q.Logits(qq, &obs)
			Softmax(qq, qq)
			sum += KL(pp, qq)
			n++
			if env.Step(Choose(pp, qq, true, 0), &obs).Done {
				break
			}
		}
	}
	return sum / float64(n)
}

// With a context, opsd lowers the teacher-student KL on held-out probe
// states, in both directions.
func TestOPSDLowersKLOnProbes(t *testing.T) {
	w := newCtxWorld(t)
	for _, dir := range []string{DirReverse, DirForward} {
		k := DefaultConsolidate()
		k.Direction = dir
		a := w.agent(t, []string{"context", "consolidate"}, bothKnobs(DefaultContext(), k))
		w.session(t, a, 0, 128, trueVerdicts)
		teacher := a.Acting().Clone()
		before := w.meanKL(t, teacher, a.Weights)
		if err := a.EndSession(w.h); err != nil {
			t.Fatal(err)
		}
		after := w.meanKL(t, teacher, a.Weights)
		if !(before > 0 && after < before) {
			t.Fatalf("%s: probe KL(teacher || student) went from %v to %v", dir, before, after)
		}
		t.Logf("%s: probe KL %.4f -> %.4f", dir, before, after)
	}
}

// merge of an empty delta is the identity; sft and rl make no update from
// an unverified session.
func TestConsolidateWithNothingToLearn(t *testing.T) {
	w := newCtxWorld(t)
	for _, method := range []string{MethodMerge, MethodSFT, MethodRL} {
		k := DefaultConsolidate()
		k.Method = method
		a := w.agent(t, []string{"context", "consolidate"}, bothKnobs(DefaultContext(), k))
		a.Weights.Params()[5] += 0.3
		before := slices.Clone(a.Weights.Params())
		w.session(t, a, 0, 32, noVerdicts)
		if method == MethodMerge {
			a.SetContext(make([]float64, len(before))) // an explicit empty delta
		}
		if err := a.EndSession(w.h); err != nil {
			t.Fatal(err)
		}
		for i, v := range a.Weights.Params() {
			if math.Float64bits(v) != math.Float64bits(before[i]) {
				t.Fatalf("%s: weight %d moved from %v to %v", method, i, before[i], v)
			}
		}
		if a.Compute.GradSteps != 0 {
			t.Fatalf("%s: %d gradient steps on nothing", method, a.Compute.GradSteps)
		}
	}
}

// Every knob of context and consolidate changes what the agent does.
func TestContextAndConsolidateKnobsMatter(t *testing.T) {
	w := newCtxWorld(t)
	// outcome is the weights after one consolidated session and the
	// acting logits on probes mid-session.
	outcome := func(c ContextConfig, k ConsolidateConfig) []float64 {
		a := w.agent(t, []string{"context", "consolidate"}, bothKnobs(c, k))
		w.session(t, a, 0, 96, trueVerdicts)
		var out []float64
		z := make([]float64, w.fam.Spec().Actions)
		env, obs := w.fam.NewEnv(), envs.NewObs(w.fam.Spec())
		for i := 0; i < 16; i++ {
			task, _ := w.fam.Task(envs.SplitTrain, envs.FreshTask(3000+i))
			env.Reset(&task, &obs)
			// Through Act's teacher view: the logits the agent acts on.
			tc := newTeacher(a)
			tc.probs(z, &obs)
			out = append(out, z...)
		}
		if err := a.EndSession(w.h); err != nil {
			t.Fatal(err)
		}
		w.session(t, a, 200, 32, trueVerdicts) // a second day's anchor
		if err := a.EndDay(w.h); err != nil {
			t.Fatal(err)
		}
		w.session(t, a, 300, 64, trueVerdicts)
		if err := a.EndSession(w.h); err != nil {
			t.Fatal(err)
		}
		return append(out, a.Weights.Params()...)
	}
	dc, dk := DefaultContext(), DefaultConsolidate()
	dk.Method = MethodSFT
	ref := outcome(dc, dk)
	for _, tc := range []struct {
		knob string
		set  func(*ContextConfig, *ConsolidateConfig)
	}{
		{"context.kind", func(c *ContextConfig, k *ConsolidateConfig) { c.Kind = KindRetrieval }},
		{"context.capacity", func(c *ContextConfig, k *ConsolidateConfig) { c.Capacity = 2 }},
		{"context.step", func(c *ContextConfig, k *ConsolidateConfig) { c.Step = 0.3 }},
		{"context.radius (retrieval)", func(c *ContextConfig, k *ConsolidateConfig) { c.Kind, c.Radius = KindRetrieval, 2 }},
		{"consolidate.method", func(c *ContextConfig, k *ConsolidateConfig) { k.Method = MethodRL }},
		{"consolidate.lr", func(c *ContextConfig, k *ConsolidateConfig) { k.LR = 0.3 }},
		{"consolidate.epochs", func(c *ContextConfig, k *ConsolidateConfig) { k.Epochs = 1 }},
		{"consolidate.direction", func(c *ContextConfig, k *ConsolidateConfig) { k.Method, k.Direction = MethodOPSD, DirForward }},
		{"consolidate.kl", func(c *ContextConfig, k *ConsolidateConfig) { k.KL = 1 }},
		{"consolidate.l2", func(c *ContextConfig, k *ConsolidateConfig) { k.L2 = 0.1 }},
		{"consolidate.ewc", func(c *ContextConfig, k *ConsolidateConfig) { k.EWC = 0.1 }},
		{"consolidate.anchor", func(c *ContextConfig, k *ConsolidateConfig) { k.L2, k.Anchor = 0.1, AnchorYesterday }},
	} {
		c, k := dc, dk
		tc.set(&c, &k)
		base := ref
		switch tc.knob {
		case "context.radius (retrieval)":
			r := dc
			r.Kind = KindRetrieval
			base = outcome(r, dk)
		case "consolidate.direction":
			o := dk
			o.Method = MethodOPSD
			base = outcome(dc, o)
		case "consolidate.anchor":
			o := dk
			o.L2 = 0.1
			base = outcome(dc, o)
		}
		if slices.Equal(outcome(c, k), base) {
			t.Errorf("%s: changing it changed nothing", tc.knob)
		}
	}
}

// merge needs a delta: over a retrieval context it is refused.
func TestMergeNeedsFastWeights(t *testing.T) {
	w := newCtxWorld(t)
	c, k := DefaultContext(), DefaultConsolidate()
	c.Kind, k.Method = KindRetrieval, MethodMerge
	a, err := New(Config{Name: "c", Mechanisms: []string{"context", "consolidate"}, Policy: DefaultPolicy(), Knobs: bothKnobs(c, k)}, w.base, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.StartJob(w.h); err == nil {
		t.Fatal("merge over retrieval was accepted")
	}
	if msgs := CheckComposition([]string{"consolidate"}); len(msgs) != 1 {
		t.Fatalf("consolidate without context: %v", msgs)
	}
}

func TestContextAlone(t *testing.T) {
	with := func(method string) map[string]any {
		c := DefaultConsolidate()
		c.Method = method
		ctx := DefaultContext()
		return map[string]any{"context": &ctx, "consolidate": &c}
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want bool
	}{
		{"context", Config{Mechanisms: []string{"context"}}, true},
		{"context + none", Config{Mechanisms: []string{"context", "consolidate"}, Knobs: with(MethodNone)}, true},
		{"context + sft", Config{Mechanisms: []string{"context", "consolidate"}, Knobs: with(MethodSFT)}, false},
		{"context + merge", Config{Mechanisms: []string{"context", "consolidate"}, Knobs: with(MethodMerge)}, false},
		{"context + rlvr", Config{Mechanisms: []string{"context", "rlvr"}}, false},
		{"frozen", Config{Mechanisms: []string{"frozen"}}, false},
		{"none", Config{}, false},
	} {
		if got := ContextAlone(tc.cfg); got != tc.want {
			t.Errorf("%s: ContextAlone = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRetrievalRecordsItsBehaviourProbabilities: a retrieval context acts
// through its own actor; the log must hold the probabilities it sampled
// from (rl consolidation weighs by them), not none or another step's.
func TestRetrievalRecordsItsBehaviourProbabilities(t *testing.T) {
	w := newCtxWorld(t)
	c := DefaultContext()
	c.Kind, c.Step, c.Radius = KindRetrieval, 3, 100 // every stored answer is in reach
	a := w.agent(t, []string{"context"}, ctxKnobs(c))
	passed := 0
	for _, ok := range w.session(t, a, 0, 200, trueVerdicts) {
		if ok {
			passed++
		}
	}
	A := w.fam.Spec().Actions
	logits, probs := make([]float64, A), make([]float64, A)
	steps, boosted := 0, 0
	for i := 0; i < a.Log.Len(); i++ {
		for s := 0; s < a.Log.Steps(i); s++ {
			got, ok := a.Log.BehaviourProbs(i, s)
			if !ok {
				t.Fatalf("attempt %d step %d: no behaviour probabilities recorded", i, s)
			}
			o, _ := a.Log.Step(i, s)
			a.Weights.Logits(logits, o)
			Softmax(probs, logits)
			sum, differs := 0.0, false
			for k := range got {
				sum += got[k]
				differs = differs || math.Abs(got[k]-probs[k]) > 1e-12
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Fatalf("attempt %d step %d: behaviour probabilities %v sum to %v", i, s, got, sum)
			}
			steps++
			if differs {
				boosted++ // a retrieved answer's bonus moved them off the weights'
			}
		}
	}
	if steps == 0 || boosted == 0 {
		t.Fatalf("%d steps (%d attempts passed), %d with a retrieved bonus: the test saw no retrieval", steps, passed, boosted)
	}
}
