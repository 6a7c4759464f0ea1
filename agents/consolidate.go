package agents

import (
	"fmt"

	"github.com/grindbench/grindbench/envs"
)

func init() {
	RegisterMechanism(MechanismFactory{
		Name: "consolidate",
		Doc: "at the session's end, moves in-session learning into the weights by `method`: sft (cross-entropy on the transcript's verified-correct actions), " +
			"opsd (on-policy self-distillation: the weights re-attempt the session's tasks without a verifier and learn the KL to the weights-plus-context teacher), " +
			"rl (importance-weighted policy gradient on the transcript's verdicts), none (the context-only control) or merge-upper-bound (adds the fast-weight delta: an UPPER BOUND, not a method that sees only the transcript); needs context",
		Learns:    true,
		Requires:  []string{"context"},
		NewConfig: func() any { c := DefaultConsolidate(); return &c },
		New: func(cfg any) (Mechanism, error) {
			c := cfg.(*ConsolidateConfig)
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &consolidate{cfg: *c}, nil
		},
	})
}

// Consolidation methods, each a (loss, data) pair.
const (
	MethodNone = "none" // the context-only control: nothing is kept
	MethodSFT  = "sft"
	MethodOPSD = "opsd"
	MethodRL   = "rl"
	// MethodMerge adds the fast-weight delta itself: an upper bound, since
	// it reads the context; its name says so in every record and report.
	MethodMerge = "merge-upper-bound"
)

// KL directions of opsd, and regularizer anchors.
const (
	DirForward      = "forward" // KL(teacher || student)
	DirReverse      = "reverse" // KL(student || teacher)
	AnchorBase      = "base"
	AnchorYesterday = "yesterday"
)

var purposeOPSD = envs.PurposeOf("opsd")

// ConsolidateConfig holds consolidate's knobs.
type ConsolidateConfig struct {
	Method    string  `toml:"method" doc:"none (the context-only control), sft, opsd, rl or merge-upper-bound (adds the fast-weight delta itself: an UPPER BOUND)"`
	LR        float64 `toml:"lr" range:"0,1000" doc:"step of each consolidation update (each epoch is one update: the mean over the session's data); merge-upper-bound uses it only for the l2/ewc pull"`
	Epochs    int     `toml:"epochs" range:"1,1000" doc:"updates per session: passes over the transcript (sft, rl) or rounds of re-attempts of the session's tasks (opsd); merge-upper-bound makes one"`
	Direction string  `toml:"direction" doc:"opsd's loss: reverse = KL(student || teacher) on the student's own states (mode-seeking), forward = KL(teacher || student) there"`
	KL        float64 `toml:"kl" range:"0,1000" doc:"weight of the KL(policy || anchor) penalty on every state an update uses; 0 turns it off"`
	L2        float64 `toml:"l2" range:"0,1000" doc:"strength of the L2 pull toward the anchor after every update; 0 turns it off"`
	EWC       float64 `toml:"ewc" range:"0,1000000" doc:"strength of the EWC pull toward the anchor, weighted by the base model's Fisher information on pretraining data; 0 turns it off"`
	Anchor    string  `toml:"anchor" doc:"what the regularizers pull toward: base (the starting policy) or yesterday (the weights at the end of the previous day)"`
}

// DefaultConsolidate returns consolidate's defaults.
func DefaultConsolidate() ConsolidateConfig {
	return ConsolidateConfig{Method: MethodOPSD, LR: 1, Epochs: 4, Direction: DirReverse, Anchor: AnchorBase}
}

// Validate reports unknown names and regularizers without learning.
func (c *ConsolidateConfig) Validate() error {
	switch c.Method {
	case MethodNone, MethodSFT, MethodOPSD, MethodRL, MethodMerge:
	case "merge":
		return &KnobError{Knob: "method", Msg: fmt.Sprintf("merge is spelt %q: it adds the context's delta itself, so it is an upper bound on consolidation, and its name says so wherever it appears", MethodMerge)}
	default:
		return &KnobError{Knob: "method", Msg: fmt.Sprintf("unknown method %q: want one of %q, %q, %q, %q, %q", c.Method, MethodNone, MethodSFT, MethodOPSD, MethodRL, MethodMerge)}
	}
	if c.Direction != DirForward && c.Direction != DirReverse {
		return &KnobError{Knob: "direction", Msg: fmt.Sprintf("unknown direction %q: want %q or %q", c.Direction, DirReverse, DirForward)}
	}
	if c.Anchor != AnchorBase && c.Anchor != AnchorYesterday {
		return &KnobError{Knob: "anchor", Msg: fmt.Sprintf("unknown anchor %q: want %q or %q", c.Anchor, AnchorBase, AnchorYesterday)}
	}
	return regularizersNeedLearning("consolidate", c.LR, c.KL, c.L2, c.EWC)
}

type consolidate struct {
	cfg      ConsolidateConfig
	sessions uint64
	prev     Model // yesterday's weights (anchor = yesterday)
	fisher   []float64

	teach                  *teacher
	grad                   []float64
	logits, probs, tp, anc []float64
	coef                   []float64
	agent                  *Agent
	scale                  float64
	visit                  func(o *envs.Obs, action int)
	tasks                  []*envs.Task
	data                   []int
	rewards                []float64
}

func (*consolidate) Name() string { return "consolidate" }

// StartJob keeps the starting weights as yesterday's, and refuses merge
// over a context that has no delta to merge.
func (m *consolidate) StartJob(a *Agent, _ Harness) error {
	if m.cfg.Method == MethodMerge {
		for _, mech := range a.mechs {
			if _, ok := mech.(*retrieval); ok {
				return fmt.Errorf("method %q adds the fast-weight delta, and context kind %q has none: use kind %q", MethodMerge, KindRetrieval, KindFastWeights)
			}
		}
	}
	m.prev = a.Weights.Clone()
	return nil
}

// EndDay makes today's weights tomorrow's anchor.
func (m *consolidate) EndDay(a *Agent, _ Harness) error {
	if m.prev == nil {
		m.prev = a.Weights.Clone()
	}
	copy(m.prev.Params(), a.Weights.Params())
	return nil
}

func (m *consolidate) anchor(a *Agent) Model {
	if m.cfg.Anchor == AnchorYesterday && m.prev != nil {
		return m.prev
	}
	return a.Base
}

// EndSession consolidates the session, the context still present.
func (m *consolidate) EndSession(a *Agent, h Harness) error {
	m.sessions++
	w := a.Weights
	P, A := len(w.Params()), w.Spec().Actions
	if len(m.grad) != P {
		m.grad = make([]float64, P)
	}
	if len(m.coef) != A {
		m.logits, m.probs, m.tp, m.anc, m.coef = make([]float64, A), make([]float64, A), make([]float64, A), make([]float64, A), make([]float64, A)
	}
	m.agent = a
	switch m.cfg.Method {
	case MethodNone:
		return nil
	case MethodMerge:
		if d := a.Context(); d != nil {
			add(w.Params(), d)
			return m.pull(a, h)
		}
		return nil
	case MethodSFT:
		return m.transcript(a, h, false)
	case MethodRL:
		return m.transcript(a, h, true)
	}
	return m.opsd(a, h)
}

// transcript runs sft (rl false: cross-entropy on the verified-correct
// attempts) or rl (importance-weighted policy gradient with the session's
// mean verdict as baseline) on the session log. Each epoch is one update,
// the mean over the data's attempts, at the weights before it.
func (m *consolidate) transcript(a *Agent, h Harness, rl bool) error {
	log := a.Log
	m.data, m.rewards = m.data[:0], m.rewards[:0]
	mean := 0.0
	for i := 0; i < log.Len(); i++ {
		r, ok := log.Entry(i).Verdict.Reward()
		if !ok || (!rl && r <= 0) {
			continue
		}
		m.data, m.rewards = append(m.data, i), append(m.rewards, r)
		mean += r
	}
	if len(m.data) == 0 {
		return nil // an unverified session (or one without a pass) teaches nothing
	}
	mean /= float64(len(m.data))
	w := a.Weights
	anc := m.anchor(a)
	for e := 0; e < m.cfg.Epochs; e++ {
		clear(m.grad)
		for j, at := range m.data {
			adv := 1.0
			if rl {
				adv = m.rewards[j] - mean
				if adv == 0 && m.cfg.KL == 0 {
					continue
				}
			}
			steps := log.Steps(at)
			scale := m.cfg.LR / w.Temperature() / float64(steps) / float64(len(m.data))
			for s := 0; s < steps; s++ {
				o, act := log.Step(at, s)
				w.Logits(m.logits, o)
				Softmax(m.probs, m.logits)
				rho := 1.0
				if rl {
					// Per-decision importance weight of the weights against
					// the policy that acted (weights plus context),
					// truncated at 1 (as V-trace's rho-bar).
					if mu, ok := log.BehaviourProbs(at, s); ok && mu[act] > 0 {
						rho = min(1, m.probs[act]/mu[act])
					}
				}
				for k := range m.coef {
					m.coef[k] = -scale * rho * adv * m.probs[k]
				}
				m.coef[act] += scale * rho * adv
				m.klTerm(anc, o, scale)
				w.AddLogitGrad(m.grad, o, m.coef)
				a.Compute.GradSteps++
			}
		}
		add(w.Params(), m.grad)
		if err := m.pull(a, h); err != nil {
			return err
		}
	}
	return nil
}

// opsd: on-policy self-distillation. The student (the weights alone)
// re-attempts each of the session's tasks with no verifier; on every state
// it visits, the teacher (the weights plus the context, frozen at the
// session's end) gives its action probabilities and the student takes the
// gradient of the KL between them. Each epoch is one update, the mean over
// the re-attempts, at the weights before it.
func (m *consolidate) opsd(a *Agent, h Harness) error {
	log := a.Log
	m.tasks = m.tasks[:0]
	for i := 0; i < log.Len(); i++ {
		t := log.Entry(i).Task
		if t != nil && (len(m.tasks) == 0 || m.tasks[len(m.tasks)-1] != t) {
			m.tasks = append(m.tasks, t)
		}
	}
	if len(m.tasks) == 0 || h == nil {
		return nil
	}
	m.teach = newTeacher(a)
	if m.visit == nil {
		m.visit = m.distil
	}
	w := a.Weights
	for e := 0; e < m.cfg.Epochs; e++ {
		clear(m.grad)
		for i, t := range m.tasks {
			m.scale = m.cfg.LR / w.Temperature() / float64(t.Len) / float64(len(m.tasks))
			key := envs.Key(uint64(purposeOPSD), t.Key, m.sessions, uint64(e), uint64(i))
			if err := h.Pose(w, t, key, m.visit); err != nil {
				return fmt.Errorf("opsd re-attempt: %w", err)
			}
		}
		add(w.Params(), m.grad)
		if err := m.pull(a, h); err != nil {
			return err
		}
	}
	m.teach = nil
	return nil
}

// distil adds one visited state's KL gradient to m.grad.
func (m *consolidate) distil(o *envs.Obs, _ int) {
	a := m.agent
	w := a.Weights
	w.Logits(m.logits, o)
	Softmax(m.probs, m.logits)
	m.teach.probs(m.tp, o)
	clear(m.coef)
	if m.cfg.Direction == DirReverse {
		SubKLGrad(m.coef, m.probs, m.tp, m.scale)
	} else {
		// d KL(t || s) / d z_k = s_k - t_k.
		for k := range m.coef {
			m.coef[k] = m.scale * (m.tp[k] - m.probs[k])
		}
	}
	m.klTerm(m.anchor(a), o, m.scale)
	w.AddLogitGrad(m.grad, o, m.coef)
	a.Compute.GradSteps++
}

// klTerm subtracts the KL(policy || anchor) penalty's gradient from m.coef,
// m.probs holding the policy's probabilities on o.
func (m *consolidate) klTerm(anc Model, o *envs.Obs, scale float64) {
	if m.cfg.KL == 0 {
		return
	}
	anc.Logits(m.anc, o)
	Softmax(m.anc, m.anc)
	SubKLGrad(m.coef, m.probs, m.anc, scale*m.cfg.KL)
}

// pull applies the L2 and EWC pulls toward the anchor after an update.
func (m *consolidate) pull(a *Agent, h Harness) error {
	if m.cfg.L2 == 0 && m.cfg.EWC == 0 {
		return nil
	}
	if m.cfg.EWC != 0 && m.fisher == nil {
		f, err := h.BaseFisher()
		if err != nil {
			return fmt.Errorf("ewc: the base model's Fisher information: %w", err)
		}
		m.fisher = f
	}
	PullToward(a.Weights.Params(), m.anchor(a).Params(), m.fisher, m.cfg.LR, m.cfg.L2, m.cfg.EWC)
	return nil
}
