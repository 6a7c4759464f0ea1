package agents

import (
	"fmt"
	"slices"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/registry"
	"github.com/grindbench/grindbench/internal/vec"
)

// Config describes one agent: a name, the mechanisms it composes, its
// policy model, and each mechanism's knobs.
type Config struct {
	Name       string
	Mechanisms []string
	Policy     PolicyConfig
	// Knobs maps a mechanism name to its knob struct (a pointer made by
	// that mechanism's NewConfig). Mechanisms without knobs have no entry.
	Knobs map[string]any
}

// Compute counts what an agent spent, so agents can be compared at matched
// compute.
type Compute struct {
	Attempts      int64 `json:"attempts"`       // real attempts at job tasks
	EnvSteps      int64 `json:"env_steps"`      // real environment steps
	VerifierCalls int64 `json:"verifier_calls"` // real verdicts asked for
	GradSteps     int64 `json:"grad_steps"`     // per-step parameter updates

	// Dreams (dream.go): imagined attempts, never real ones. GradSteps
	// counts every update; DreamGradSteps the part of it learnt from dreams.
	DreamAttempts  int64 `json:"dream_attempts,omitempty"`
	DreamSteps     int64 `json:"dream_steps,omitempty"`
	DreamGradSteps int64 `json:"dream_grad_steps,omitempty"`
	// LearnedVerifierSteps counts the step gradients that fit a learned
	// verifier: compute spent on the dream verifier, not on the policy.
	LearnedVerifierSteps int64 `json:"learned_verifier_steps,omitempty"`
}

// Agent is a model's weights plus the mechanisms that change them. It holds
//
//   - Weights, the model it learns in;
//   - Base, its starting policy (the pretrained parameters under its own
//     model knobs and temperature), never written;
//   - an optional context delta: parameters added to the weights while a
//     session lasts. Acting and evaluation go through Acting(), which is
//     the weights plus the context, so in-session learning changes what the
//     agent does without touching its weights;
//   - a session log of the session's tasks, transcripts, verdicts and
//     arrival times, for mechanisms that replay or consolidate a session.
//
// An Agent is used by one goroutine.
type Agent struct {
	Name    string
	Weights Model
	Base    Model
	Compute Compute
	Log     *SessionLog

	mechs    []Mechanism
	learns   bool
	logs     bool
	verdicts bool

	ctx    []float64 // context delta; nil when there is none
	acting Model     // weights + context, valid while !dirty
	dirty  bool

	// gen counts changes to the weights, the context or the temperature
	// as far as the agent can see them (every phase, every Learn); 0 is
	// never a generation. The logit caches and the probabilities kept in
	// the session log are valid for one generation.
	gen           uint64
	cache         LogitCache // of the acting model, at generation cacheGen
	cacheGen      uint64
	probsGen      uint64 // generation whose sampled probabilities a.probs holds; 0 for none
	behave        bool   // a.probs holds the probabilities the last action was sampled from
	memo          *actMemo
	logits, probs []float64
	acted         []float64 // the probabilities the last sampled Act drew from (a.probs or the memo's)
	actedStep     *memoStep // the memo way holding the last Act's observation (way -1: none)
	actedWay      int

	ext actorHook // a mechanism acting for the agent (actor.go)
}

// New builds an agent from its config around a pretrained base model: its
// weights start as a copy of base's parameters in the model cfg.Policy
// names, with cfg.Policy's knobs and temperature. seed keys the model's
// construction (its parameters are then overwritten by base's).
func New(cfg Config, base Model, seed uint64) (*Agent, error) {
	if len(cfg.Mechanisms) == 0 {
		return nil, fmt.Errorf("agent %q: no mechanisms", cfg.Name)
	}
	s := base.Spec()
	w, err := NewModel(s, cfg.Policy, seed)
	if err != nil {
		return nil, fmt.Errorf("agent %q: %w", cfg.Name, err)
	}
	if len(w.Params()) != len(base.Params()) {
		return nil, fmt.Errorf("agent %q: model %s has %d parameters, its pretrained base %d", cfg.Name, cfg.Policy.Model, len(w.Params()), len(base.Params()))
	}
	copy(w.Params(), base.Params())
	a := &Agent{
		// The base the agent is regularized toward is its own starting
		// policy: the pretrained parameters under its own knobs and
		// temperature.
		Name: cfg.Name, Weights: w, Base: w.Clone(), gen: 1, memo: newActMemo(s),
		logits: make([]float64, s.Actions), probs: make([]float64, s.Actions), actedWay: -1,
	}
	for _, name := range cfg.Mechanisms {
		f, err := LookupMechanism(name)
		if err != nil {
			return nil, fmt.Errorf("agent %q: %w", cfg.Name, err)
		}
		var knobs any
		if f.NewConfig != nil {
			knobs = cfg.Knobs[name]
			if knobs == nil {
				knobs = f.NewConfig()
			}
		}
		m, err := f.New(knobs)
		if err != nil {
			return nil, fmt.Errorf("agent %q: mechanism %s: %w", cfg.Name, name, err)
		}
		a.mechs = append(a.mechs, m)
		a.learns = a.learns || f.Learns
		a.verdicts = a.verdicts || f.Verdicts
		a.logs = a.logs || usesLog(m)
	}
	if a.logs {
		a.Log = NewSessionLog(s)
	}
	return a, nil
}

// WantsVerdicts reports whether any of the agent's mechanisms learns from
// verdicts: if none does, the job does not ask the verifier.
func (a *Agent) WantsVerdicts() bool { return a.verdicts }

// Learns reports whether any of the agent's mechanisms changes its weights.
func (a *Agent) Learns() bool { return a.learns }

// Logs reports whether the job must record the agent's attempts in its
// session log: some mechanism takes part after acting.
func (a *Agent) Logs() bool { return a.logs }

// Acting is the model the agent acts and is evaluated with: its weights,
// plus the context delta while there is one.
func (a *Agent) Acting() Model {
	if a.ctx == nil {
		return a.Weights
	}
	if a.dirty || a.acting == nil {
		if a.acting == nil {
			a.acting = a.Weights.Clone()
		}
		dst, w := a.acting.Params(), a.Weights.Params()
		for i := range dst {
			dst[i] = w[i] + a.ctx[i]
		}
		a.acting.SetTemperature(a.Weights.Temperature())
		a.dirty = false
	}
	return a.acting
}

// Context returns the context delta, or nil when the agent has none.
// Mechanisms that write it must call ContextChanged afterwards.
func (a *Agent) Context() []float64 { return a.ctx }

// SetContext starts (or replaces) the context delta with a copy of delta.
func (a *Agent) SetContext(delta []float64) {
	if len(delta) != len(a.Weights.Params()) {
		panic(fmt.Sprintf("agents: context delta of %d values for %d parameters", len(delta), len(a.Weights.Params())))
	}
	if a.ctx == nil {
		a.ctx = make([]float64, len(delta))
	}
	copy(a.ctx, delta)
	a.changed()
}

// ContextChanged tells the agent its context delta was written in place.
func (a *Agent) ContextChanged() { a.changed() }

// WeightsChanged tells the agent its weights (or their temperature) were
// written outside its phases, where it cannot see it: it drops what it
// cached about them. Mechanisms need not call it; the phases do.
func (a *Agent) WeightsChanged() { a.changed() }

// changed marks the acting model stale and starts a new generation.
func (a *Agent) changed() {
	a.dirty = true
	a.gen++
}

// clearContext drops the context: from now on the agent acts with its
// weights alone, exactly.
func (a *Agent) clearContext() {
	a.ctx = nil
	a.changed()
}

// Act returns the agent's action on o. key identifies the step (seed, task,
// attempt, step); greedy picks the argmax, otherwise a sample. Its logits
// come through a cache of the acting model kept for as long as the weights
// do not change (a group's members share a step's skill), and a step whose
// observation the agent met at the same step index since then (a group's
// members until their actions part) takes the logits and probabilities
// it had: bit for bit those of the model's Logits and Softmax.
func (a *Agent) Act(o *envs.Obs, greedy bool, key uint64) int {
	a.behave = false
	a.actedWay = -1
	if act, ok := a.actBy(o, false, greedy, key); ok {
		// An in-package actor that samples leaves its probabilities in
		// a.probs and sets a.behave.
		a.probsGen, a.acted = 0, a.probs
		return act
	}
	m := a.Acting()
	if a.cacheGen != a.gen {
		a.cache.Reset(m)
		a.cacheGen = a.gen
	}
	A := len(a.logits)
	st, w := a.memo.find(o, a.gen)
	if w >= 0 {
		a.actedStep, a.actedWay = st, w
	}
	a.probsGen = 0
	a.behave = !greedy
	if !greedy && a.ctx == nil {
		a.probsGen = a.gen // the acting model is the weights themselves
	}
	if !greedy && w >= 0 && st.hasProbs[w] {
		// Sampled before at this observation: its probabilities as they
		// are in the memo (Record reads them before the next Act).
		a.acted = st.probs[w*A : (w+1)*A]
		return sample(a.acted, key)
	}
	a.acted = a.probs
	if w >= 0 {
		vec.Copy4(a.logits, st.logits[w*A:(w+1)*A])
	} else {
		a.cache.Logits(a.logits, o)
		if st != nil {
			w = a.memo.store(st, o, a.gen, a.logits)
			a.actedStep, a.actedWay = st, w
		}
	}
	if greedy {
		return Choose(a.logits, a.probs, true, key)
	}
	act := Choose(a.logits, a.probs, false, key)
	if w >= 0 {
		vec.Copy4(st.probs[w*A:(w+1)*A], a.probs)
		st.hasProbs[w] = true
	}
	return act
}

// Record appends the step the agent just acted on (o and the action Act
// returned: o unchanged since) to its session log, with the probabilities
// it acted with when the acting model was its weights, so that a learner
// taking the gradient at the same weights need not recompute them. A step
// whose observation the act memo holds and the log stored already (a
// group's members meeting one state) shares the stored copy.
func (a *Agent) Record(o *envs.Obs, action int) {
	same := -1
	st, w := a.actedStep, a.actedWay
	a.actedWay = -1
	if w >= 0 && st.logOf[w] == a.Log && st.logEpoch[w] == a.Log.epoch {
		same = st.logObs[w]
	}
	var at int
	switch {
	case a.probsGen != 0:
		at = a.Log.record(o, action, a.acted, a.probsGen, same)
	case a.behave:
		// Acted under a context (or by an in-package actor): the behaviour
		// policy's probabilities, for importance weights, at no generation.
		at = a.Log.record(o, action, a.acted, 0, same)
	default:
		at = a.Log.record(o, action, nil, 0, same)
	}
	if w >= 0 && same < 0 {
		st.logOf[w], st.logEpoch[w], st.logObs[w] = a.Log, a.Log.epoch, at
	}
}

// Finite reports a weight that is not a finite number.
func (a *Agent) Finite() error { return Finite(a.Weights) }

// The phases. The job runs them in this fixed order; within a phase,
// mechanisms run in the order the agent's config lists them:
//
//	StartJob       once, before the first day
//	Learn          each time feedback (a group's verdicts) arrives
//	EndSession     at the end of each session, context still present
//	  (the context is cleared)
//	ContextCleared right after, the context gone
//	Overnight      once a day, after the day's last session
//	EndDay         after overnight, before the day's checkpoint
//
// After each phase the agent's acting model is rebuilt from whatever the
// phase wrote, so mechanisms never keep it in sync by hand.

// Feedback is what arrives when verdicts do: the attempts they judge (in
// the agent's session log, when it keeps one), the task, and the verdicts
// (VerdictNone where none arrived). New kinds of feedback (per-step
// verdicts, retries) are new fields, not new signatures.
type Feedback struct {
	Harness  Harness // what the job offers beyond the judged attempts
	Task     *envs.Task
	Attempts []int          // session-log indices of the judged attempts, one per verdict
	Verdicts []envs.Verdict // one per attempt (all VerdictNone at step granularity)
	// StepVerdicts holds, at env.grind.granularity = "step", one verdict
	// per step of each judged attempt (StepVerdicts[i][s] judges step s of
	// Attempts[i]); nil at attempt granularity.
	StepVerdicts [][]envs.Verdict
	Retry        int     // which attempt at the instance this is: 0 first, then 1.. for env.grind.retries
	Sent         float64 // simulated time the attempts started
	Arrived      float64 // simulated time the verdicts arrived (end of the attempts plus env.grind.delay)
	// Dream marks feedback on dreamed attempts (dream.go): its verdicts
	// come from the agent's own dream verifier, not the real one.
	Dream bool
}

// Harness is what the job offers mechanisms beyond their own attempts.
// Everything it does is charged to the agent's compute and, where it takes
// simulated time, to the clock.
type Harness interface {
	// Now is the simulated time.
	Now() float64
	// PassRate runs n sampled attempts of m at the job's training tasks
	// and returns the mean verdict reward over the attempts that got a
	// verdict, and how many did. The tasks and keys are the same on every
	// call, so candidates meet the same noise.
	PassRate(m Model, n int) (rate float64, covered int)
	// Replay re-poses task t and runs one sampled attempt of m at it,
	// calling visit on every step, and returns the real verifier's
	// verdict. Re-posing a task needs resets: without them it is an error.
	Replay(m Model, t *envs.Task, key uint64, visit func(o *envs.Obs, action int)) (envs.Verdict, error)
	// Pose runs one attempt of m at t without asking the verifier (for
	// learning that needs none), calling visit on every step. It needs
	// resets too.
	Pose(m Model, t *envs.Task, key uint64, visit func(o *envs.Obs, action int)) error
	// Demonstrate walks t with the correct action at every step: a
	// privileged demonstration, for arms labelled as such. visit gets the
	// step's canonical correct action and every accepted one (a step may
	// accept several: envs.Acceptor).
	Demonstrate(t *envs.Task, visit func(o *envs.Obs, correct int, accepted []bool))
	// BaseFisher is the diagonal Fisher information of the agent's
	// pretrained base model on pretraining data (PretrainFisher), for EWC;
	// computed once per world and base.
	BaseFisher() ([]float64, error)
}

// Mechanism is one learning mechanism. It takes part in the job through
// the phase interfaces below.
type Mechanism interface{ Name() string }

// JobStarter runs once, before the first day.
type JobStarter interface {
	StartJob(a *Agent, h Harness) error
}

// Learner learns from feedback as it arrives.
type Learner interface {
	Learn(a *Agent, fb *Feedback)
}

// SessionEnder runs at the end of a session, while the context is present:
// consolidation lives here.
type SessionEnder interface {
	EndSession(a *Agent, h Harness) error
}

// ContextClearer runs right after the context is cleared.
type ContextClearer interface {
	ContextCleared(a *Agent, h Harness) error
}

// OvernightRunner runs once a day after its last session: dreaming lives
// here.
type OvernightRunner interface {
	Overnight(a *Agent, h Harness) error
}

// DayEnder runs after overnight, before the day's checkpoint.
type DayEnder interface {
	EndDay(a *Agent, h Harness) error
}

// usesLog reports whether m takes part after acting, and so needs the
// session log.
func usesLog(m Mechanism) bool {
	switch m.(type) {
	case Learner, SessionEnder, ContextClearer, OvernightRunner, DayEnder:
		return true
	}
	return false
}

// StartJob runs the StartJob phase.
func (a *Agent) StartJob(h Harness) error {
	return a.phase(func(m Mechanism) error {
		if p, ok := m.(JobStarter); ok {
			return p.StartJob(a, h)
		}
		return nil
	})
}

// Learn hands feedback to every Learner. The weights count as changed
// unless every Learner says it left them alone (idleLearner), so the
// logit caches survive a group whose advantages were all 0.
func (a *Agent) Learn(fb *Feedback) {
	wrote := false
	for _, m := range a.mechs {
		if l, ok := m.(Learner); ok {
			l.Learn(a, fb)
			if q, ok := m.(idleLearner); !ok || !q.idle() {
				wrote = true
			}
		}
	}
	if wrote {
		a.changed()
	}
}

// EndSession runs the EndSession phase, clears the context, runs the
// ContextCleared phase and resets the session log.
func (a *Agent) EndSession(h Harness) error {
	err := a.phase(func(m Mechanism) error {
		if p, ok := m.(SessionEnder); ok {
			return p.EndSession(a, h)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.clearContext()
	if err := a.phase(func(m Mechanism) error {
		if p, ok := m.(ContextClearer); ok {
			return p.ContextCleared(a, h)
		}
		return nil
	}); err != nil {
		return err
	}
	if a.Log != nil {
		a.Log.Reset()
	}
	return nil
}

// Overnight runs the Overnight phase.
func (a *Agent) Overnight(h Harness) error {
	return a.phase(func(m Mechanism) error {
		if p, ok := m.(OvernightRunner); ok {
			return p.Overnight(a, h)
		}
		return nil
	})
}

// EndDay runs the EndDay phase.
func (a *Agent) EndDay(h Harness) error {
	return a.phase(func(m Mechanism) error {
		if p, ok := m.(DayEnder); ok {
			return p.EndDay(a, h)
		}
		return nil
	})
}

func (a *Agent) phase(run func(Mechanism) error) error {
	defer a.changed()
	for _, m := range a.mechs {
		if err := run(m); err != nil {
			return fmt.Errorf("%s: %w", m.Name(), err)
		}
	}
	return nil
}

// KnobError is a rule about one knob of a mechanism's or model's knob
// struct, returned by its Validate method so that validation names the knob.
type KnobError struct {
	Knob string // the knob's toml name
	Msg  string
}

func (e *KnobError) Error() string { return e.Knob + ": " + e.Msg }

// MechanismFactory describes one registered mechanism.
type MechanismFactory struct {
	Name string
	Doc  string
	// Learns is true for mechanisms that change the weights.
	Learns bool
	// Verdicts is true for mechanisms that learn from verdicts. The job
	// asks the verifier about an agent's attempts only if one of its
	// mechanisms does, so an arm that never uses verdicts (sft-demo, a
	// frozen model) makes no verifier calls.
	Verdicts bool
	// Requires lists mechanisms the agent must also list; Excludes those it
	// must not; ExcludesLearners forbids every mechanism that learns.
	// Validation asks these, so the rules live with the mechanism.
	Requires         []string
	Excludes         []string
	ExcludesLearners bool
	// NewConfig returns a pointer to the mechanism's knobs with defaults, or
	// nil when it has none.
	NewConfig func() any
	// New builds the mechanism from the knobs NewConfig made (nil if none).
	New func(cfg any) (Mechanism, error)
}

var mechanisms = registry.New[MechanismFactory]("mechanism")

// RegisterMechanism adds a mechanism. It panics on a duplicate name.
func RegisterMechanism(f MechanismFactory) { mechanisms.Register(f.Name, f) }

// LookupMechanism returns the mechanism registered under name.
func LookupMechanism(name string) (MechanismFactory, error) { return mechanisms.Lookup(name) }

// MechanismNames lists registered mechanisms in sorted order.
func MechanismNames() []string { return mechanisms.Names() }

// CheckComposition reports why the mechanisms listed together cannot be
// composed, one message each, naming the mechanisms involved: unknown names
// are left to the caller.
func CheckComposition(names []string) []string {
	var out []string
	for _, n := range names {
		f, err := LookupMechanism(n)
		if err != nil {
			continue
		}
		for _, r := range f.Requires {
			if !slices.Contains(names, r) {
				out = append(out, fmt.Sprintf("%q needs %q: add %q to the agent's mechanisms, or drop %q", n, r, r, n))
			}
		}
		for _, x := range f.Excludes {
			if slices.Contains(names, x) {
				out = append(out, fmt.Sprintf("%q cannot be composed with %q: drop one of them", n, x))
			}
		}
		if f.ExcludesLearners {
			for _, o := range names {
				if g, err := LookupMechanism(o); err == nil && g.Learns && o != n {
					out = append(out, fmt.Sprintf("%s means the agent never learns, but %q learns: drop %q to let the agent learn, or drop %q to keep it %s", n, o, n, o, n))
				}
			}
		}
	}
	return out
}
