package agents

import (
	"fmt"

	"github.com/grindbench/grindbench/envs"
)

func init() {
	RegisterMechanism(MechanismFactory{
		Name: "context",
		Doc: "in-session learning that never touches the weights: fast weights (a delta fit on the verified-correct actions of the last `capacity` judged attempts, added to the weights while the session lasts) " +
			"or retrieval of verified answers for situations within `radius`; learns from verdicts only; cleared when the session ends",
		Verdicts:  true,
		NewConfig: func() any { c := DefaultContext(); return &c },
		New: func(cfg any) (Mechanism, error) {
			c := cfg.(*ContextConfig)
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if c.Kind == KindRetrieval {
				return &retrieval{cfg: *c}, nil
			}
			return &fastWeights{cfg: *c}, nil
		},
	})
}

// Kinds of in-context learning.
const (
	KindFastWeights = "fast-weights"
	KindRetrieval   = "retrieval"
)

// ContextConfig holds the context mechanism's knobs: its kind and its
// strength (capacity, step, radius).
type ContextConfig struct {
	Kind     string  `toml:"kind" doc:"fast-weights (a delta on the weights, fit on the window's verified-correct actions) or retrieval (verified answers looked up by situation)"`
	Capacity int     `toml:"capacity" range:"1,100000" doc:"C: the judged attempts the context holds, the last C of the session (a failed one takes a place and teaches nothing)"`
	Step     float64 `toml:"step" range:"0,1000" doc:"fast weights: the step of each verified-correct attempt's cross-entropy gradient in the delta; retrieval: the logit bonus of a retrieved answer"`
	Radius   float64 `toml:"radius" range:"0,1000" doc:"retrieval only: the largest Euclidean distance between the dense observations of the current situation and a stored one for its answer to be retrieved"`
}

// ContextCapacityKnob is the context's capacity as a knob path under an
// agent (agent.<name>.context.capacity, or agent.*.context.capacity on a
// sweep axis): the axis along which a sweep measures the information a
// session needs (results reads it from the manifest, not from here).
const ContextCapacityKnob = "context.capacity"

// ContextAlone reports whether c learns within a session through its
// context alone: it lists context, and every other mechanism it lists is
// consolidate with method none, so nothing reaches the weights and its
// climb within a session is the context's in-session gain.
func ContextAlone(c Config) bool {
	has := false
	for _, m := range c.Mechanisms {
		switch m {
		case "context":
			has = true
		case "consolidate":
			if k, ok := c.Knobs[m].(*ConsolidateConfig); !ok || k.Method != MethodNone {
				return false
			}
		default:
			return false
		}
	}
	return has
}

// DefaultContext returns the context mechanism's defaults.
func DefaultContext() ContextConfig {
	return ContextConfig{Kind: KindFastWeights, Capacity: 64, Step: 1, Radius: 1}
}

// Validate reports an unknown kind.
func (c *ContextConfig) Validate() error {
	if c.Kind != KindFastWeights && c.Kind != KindRetrieval {
		return &KnobError{Knob: "kind", Msg: fmt.Sprintf("unknown kind %q: want %q or %q", c.Kind, KindFastWeights, KindRetrieval)}
	}
	return nil
}

// window is the ring of the last C judged attempts a context holds: slot
// k's passed flag says whether the attempt was verified correct.
type window struct {
	n, head int
	passed  []bool
}

// push makes room for one attempt and returns its slot and whether the
// slot held an attempt that now leaves the window.
func (w *window) push(c int) (slot int, evicted bool) {
	if len(w.passed) != c {
		w.passed = make([]bool, c)
	}
	slot = w.head
	evicted = w.n == c
	w.head = (w.head + 1) % c
	if !evicted {
		w.n++
	}
	return slot, evicted
}

func (w *window) reset() {
	w.n, w.head = 0, 0
	clear(w.passed)
}

// fastWeights is in-context learning as fast weights: the delta is step
// times the sum, over the window's verified-correct attempts, of the mean
// over their steps of grad log pi_W(action | observation), each taken at
// the weights W when its verdict arrived. On the bilinear model this is a
// Hebbian outer-product memory of (situation, correct action) pairs; a
// failed attempt takes a place in the window and adds nothing, and an
// attempt without a verdict does not enter it. The delta is the agent's
// context: acting is W + delta while the session lasts.
type fastWeights struct {
	cfg    ContextConfig
	win    window
	contr  [][]float64 // per slot, its contribution (valid when passed)
	delta  []float64
	logits []float64
	probs  []float64
	coef   []float64
}

func (*fastWeights) Name() string { return "context" }

// Learn enters the feedback's judged attempts into the window.
func (m *fastWeights) Learn(a *Agent, fb *Feedback) {
	C := m.cfg.Capacity
	w := a.Weights
	P, A := len(w.Params()), w.Spec().Actions
	if len(m.delta) != P {
		m.delta = make([]float64, P)
		m.logits, m.probs, m.coef = make([]float64, A), make([]float64, A), make([]float64, A)
	}
	if len(m.contr) != C {
		m.contr = make([][]float64, C)
	}
	changed := false
	for i, v := range fb.Verdicts {
		r, ok := v.Reward()
		if !ok {
			continue
		}
		slot, evicted := m.win.push(C)
		if evicted && m.win.passed[slot] {
			sub(m.delta, m.contr[slot])
			changed = true
		}
		m.win.passed[slot] = r > 0
		if r <= 0 {
			continue
		}
		if m.contr[slot] == nil {
			m.contr[slot] = make([]float64, P)
		}
		g := m.contr[slot]
		clear(g)
		at := fb.Attempts[i]
		steps := a.Log.Steps(at)
		scale := m.cfg.Step / w.Temperature() / float64(steps)
		acting := a.Acting()
		for s := 0; s < steps; s++ {
			o, act := a.Log.Step(at, s)
			acting.Logits(m.logits, o)
			Softmax(m.probs, m.logits)
			for k := range m.coef {
				m.coef[k] = -scale * m.probs[k]
			}
			m.coef[act] += scale
			w.AddLogitGrad(g, o, m.coef)
		}
		add(m.delta, g)
		a.SetContext(m.delta)
		changed = true
	}
	if changed {
		a.SetContext(m.delta)
	}
}

// ContextCleared empties the window: the next session starts from nothing.
func (m *fastWeights) ContextCleared(*Agent, Harness) error {
	m.win.reset()
	clear(m.delta)
	return nil
}

// retrieval is in-context learning as a lookup: the steps of the window's
// verified-correct attempts are stored with their actions, and acting adds
// step to the logit of the action stored for the nearest situation within
// radius (distance over the dense observation channels). It acts for the
// agent (Actor) and never writes a context delta.
type retrieval struct {
	cfg    ContextConfig
	win    window
	keys   [][]float64 // per slot: the stored steps' dense values, back to back
	acts   [][]int     // per slot: the stored steps' actions
	dense  []int
	stride int
}

func (*retrieval) Name() string { return "context" }

// Learn enters the feedback's judged attempts into the window.
func (m *retrieval) Learn(a *Agent, fb *Feedback) {
	C := m.cfg.Capacity
	if len(m.keys) != C {
		s := a.Weights.Spec()
		m.keys, m.acts = make([][]float64, C), make([][]int, C)
		m.dense, m.stride = s.Dense(), s.DenseSize()
	}
	for i, v := range fb.Verdicts {
		r, ok := v.Reward()
		if !ok {
			continue
		}
		slot, _ := m.win.push(C)
		m.win.passed[slot] = r > 0
		m.keys[slot], m.acts[slot] = m.keys[slot][:0], m.acts[slot][:0]
		if r <= 0 {
			continue
		}
		at := fb.Attempts[i]
		for s := 0; s < a.Log.Steps(at); s++ {
			o, act := a.Log.Step(at, s)
			for _, ch := range m.dense {
				m.keys[slot] = append(m.keys[slot], o.Dense[ch]...)
			}
			m.acts[slot] = append(m.acts[slot], act)
		}
	}
}

// retrieve returns the action stored for the situation nearest o within
// the radius, or -1.
func (m *retrieval) retrieve(o *envs.Obs) int {
	best, bestD := -1, m.cfg.Radius*m.cfg.Radius
	for slot := 0; slot < m.win.n; slot++ {
		if !m.win.passed[slot] {
			continue
		}
		keys := m.keys[slot]
		for s, act := range m.acts[slot] {
			k := keys[s*m.stride : (s+1)*m.stride]
			d, off := 0.0, 0
			for _, ch := range m.dense {
				for _, x := range o.Dense[ch] {
					e := x - k[off]
					d += e * e
					off++
				}
			}
			if d <= bestD && (best < 0 || d < bestD) {
				best, bestD = act, d
			}
		}
	}
	return best
}

// bonus adds the retrieved answer's logit bonus to the logits of o.
func (m *retrieval) bonus(dst []float64, o *envs.Obs) {
	if act := m.retrieve(o); act >= 0 {
		dst[act] += m.cfg.Step // on the logits after the temperature
	}
}

// Act implements Actor: the weights' logits plus the retrieved bonus.
func (m *retrieval) Act(a *Agent, o *envs.Obs, _ bool, greedy bool, key uint64) (int, error) {
	a.Acting().Logits(a.logits, o)
	m.bonus(a.logits, o)
	act := Choose(a.logits, a.probs, greedy, key)
	a.behave = !greedy
	return act, nil
}

// ContextCleared empties the store.
func (m *retrieval) ContextCleared(*Agent, Harness) error {
	m.win.reset()
	return nil
}

// teacher is the in-session policy a consolidating mechanism distils: the
// weights plus the context, frozen when the session ends.
type teacher struct {
	m      Model      // a copy of the acting model (weights plus any delta)
	ret    *retrieval // the retrieval store, when the context is one
	logits []float64
}

// newTeacher snapshots a's in-session policy.
func newTeacher(a *Agent) *teacher {
	t := &teacher{m: a.Acting().Clone(), logits: make([]float64, a.Weights.Spec().Actions)}
	for _, mech := range a.mechs {
		if r, ok := mech.(*retrieval); ok {
			t.ret = r
		}
	}
	return t
}

// probs writes the teacher's action probabilities on o into dst.
func (t *teacher) probs(dst []float64, o *envs.Obs) {
	t.m.Logits(dst, o)
	if t.ret != nil {
		t.ret.bonus(dst, o)
	}
	Softmax(dst, dst)
}

func add(dst, x []float64) {
	for i, v := range x {
		dst[i] += v
	}
}

func sub(dst, x []float64) {
	for i, v := range x {
		dst[i] -= v
	}
}
