package agents

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/grindbench/grindbench/envs"
)

// Config describes one agent: a name, the mechanisms it composes, its
// policy's channels, and each mechanism's knobs.
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
}

// Harness is what the job protocol offers mechanisms that need to act
// outside the job's own attempts.
type Harness interface {
	// TrainPassRate runs n attempts at the job's training tasks with policy p
	// (sampled actions) and returns the mean verdict reward over the
	// attempts that got a verdict, and how many did. It counts into the
	// agent's compute.
	TrainPassRate(p *Policy, n int) (rate float64, covered int)
}

// Mechanism is one learning mechanism. It takes part in the job through the
// optional hook interfaces below.
type Mechanism interface{ Name() string }

// JobStarter is called once, before the first day.
type JobStarter interface {
	StartJob(a *Agent, h Harness) error
}

// GroupLearner learns from a group of attempts at one task and their
// verdicts (VerdictNone where none arrived).
type GroupLearner interface {
	LearnGroup(a *Agent, g *Transcript, verdicts []envs.Verdict)
}

// SessionEnder is called when a session ends: consolidation and dreaming
// live here.
type SessionEnder interface {
	EndSession(a *Agent, h Harness) error
}

// MechanismFactory describes one registered mechanism.
type MechanismFactory struct {
	Name string
	Doc  string
	// Learns is true for mechanisms that change the policy.
	Learns bool
	// NewConfig returns a pointer to the mechanism's knobs with defaults, or
	// nil when it has none.
	NewConfig func() any
	// New builds the mechanism from the knobs NewConfig made (nil if none).
	New func(cfg any) (Mechanism, error)
}

var (
	mechMu   sync.RWMutex
	mechRegs = map[string]MechanismFactory{}
)

// RegisterMechanism adds a mechanism. It panics on a duplicate name.
func RegisterMechanism(f MechanismFactory) {
	mechMu.Lock()
	defer mechMu.Unlock()
	if _, dup := mechRegs[f.Name]; dup {
		panic("agents: mechanism registered twice: " + f.Name)
	}
	mechRegs[f.Name] = f
}

// LookupMechanism returns the mechanism registered under name.
func LookupMechanism(name string) (MechanismFactory, error) {
	mechMu.RLock()
	defer mechMu.RUnlock()
	f, ok := mechRegs[name]
	if !ok {
		return MechanismFactory{}, fmt.Errorf("unknown mechanism %q (known: %s)", name, strings.Join(mechanismNamesLocked(), ", "))
	}
	return f, nil
}

// MechanismNames lists registered mechanisms in sorted order.
func MechanismNames() []string {
	mechMu.RLock()
	defer mechMu.RUnlock()
	return mechanismNamesLocked()
}

func mechanismNamesLocked() []string {
	out := make([]string, 0, len(mechRegs))
	for n := range mechRegs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Agent is a policy plus the mechanisms that change it. An Agent is used by
// one goroutine.
type Agent struct {
	Name    string
	Policy  *Policy // the weights the agent acts with
	Base    *Policy // the pretrained base model; shared, never written
	Compute Compute

	mechs  []Mechanism
	learns bool
	tr     *Transcript
	logits []float64
	probs  []float64
	scr    []float64 // scratch for mechanisms, length A
	scr2   []float64
}

// New builds an agent from its config around a pretrained base policy. The
// agent's weights start as a copy of base with cfg's channels and
// temperature.
func New(cfg Config, base *Policy, maxGroup int) (*Agent, error) {
	p := base.Clone()
	p.Cfg = cfg.Policy
	s := base.Spec
	a := &Agent{
		Name: cfg.Name, Policy: p, Base: base,
		tr:     NewTranscript(s, maxGroup),
		logits: make([]float64, s.Actions), probs: make([]float64, s.Actions),
		scr: make([]float64, s.Actions), scr2: make([]float64, s.Actions),
	}
	if len(cfg.Mechanisms) == 0 {
		return nil, fmt.Errorf("agent %q: no mechanisms", cfg.Name)
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
	}
	return a, nil
}

// Learns reports whether any of the agent's mechanisms changes its policy.
func (a *Agent) Learns() bool { return a.learns }

// Act returns the agent's action on o. key identifies the step (seed, task,
// attempt, step); greedy picks the argmax, otherwise a sample.
func (a *Agent) Act(o *envs.Obs, greedy bool, key uint64) int {
	a.Policy.Logits(a.logits, o)
	return Choose(a.logits, a.probs, greedy, key)
}

// BeginGroup returns the agent's group transcript, cleared for a group of
// size n.
func (a *Agent) BeginGroup(n int) *Transcript {
	a.tr.Reset(n)
	return a.tr
}

// EndGroup hands the group's transcript and verdicts to every learning
// mechanism.
func (a *Agent) EndGroup(verdicts []envs.Verdict) {
	for _, m := range a.mechs {
		if l, ok := m.(GroupLearner); ok {
			l.LearnGroup(a, a.tr, verdicts)
		}
	}
}

// StartJob runs every mechanism's before-the-job hook.
func (a *Agent) StartJob(h Harness) error {
	for _, m := range a.mechs {
		if s, ok := m.(JobStarter); ok {
			if err := s.StartJob(a, h); err != nil {
				return fmt.Errorf("%s: %w", m.Name(), err)
			}
		}
	}
	return nil
}

// EndSession runs every mechanism's end-of-session hook.
func (a *Agent) EndSession(h Harness) error {
	for _, m := range a.mechs {
		if s, ok := m.(SessionEnder); ok {
			if err := s.EndSession(a, h); err != nil {
				return fmt.Errorf("%s: %w", m.Name(), err)
			}
		}
	}
	return nil
}

// Transcript holds a group's attempts: the observations the agent saw and
// the actions it took, in preallocated buffers.
type Transcript struct {
	spec    envs.Spec
	members int
	lens    []int
	xs      []float64
	descs   []float64
	ids     []int
	acts    []int
	obs     envs.Obs // view handed out by Step
}

// NewTranscript returns a transcript for groups of up to maxGroup attempts.
func NewTranscript(s envs.Spec, maxGroup int) *Transcript {
	n := maxGroup * s.MaxLen
	return &Transcript{
		spec: s, lens: make([]int, maxGroup),
		xs: make([]float64, n*s.XDim), descs: make([]float64, n*s.DescDim),
		ids: make([]int, n), acts: make([]int, n),
	}
}

// Reset clears the transcript for a group of n attempts.
func (t *Transcript) Reset(n int) {
	if n > len(t.lens) {
		panic(fmt.Sprintf("agents: group of %d exceeds transcript capacity %d", n, len(t.lens)))
	}
	t.members = n
	clear(t.lens[:n])
}

// Members is the group size.
func (t *Transcript) Members() int { return t.members }

// Len is the number of steps recorded for member m.
func (t *Transcript) Len(m int) int { return t.lens[m] }

// Record appends a step (observation and action) to member m's attempt.
func (t *Transcript) Record(m int, o *envs.Obs, action int) {
	k := m*t.spec.MaxLen + t.lens[m]
	d, K := t.spec.XDim, t.spec.DescDim
	copy(t.xs[k*d:(k+1)*d], o.X)
	copy(t.descs[k*K:(k+1)*K], o.Desc)
	t.ids[k] = o.ID
	t.acts[k] = action
	t.lens[m]++
}

// Step returns step s of member m: an observation view valid until the
// next call, and the action taken.
func (t *Transcript) Step(m, s int) (*envs.Obs, int) {
	k := m*t.spec.MaxLen + s
	d, K := t.spec.XDim, t.spec.DescDim
	t.obs.X = t.xs[k*d : (k+1)*d]
	t.obs.Desc = t.descs[k*K : (k+1)*K]
	t.obs.ID = t.ids[k]
	t.obs.Step = s
	return &t.obs, t.acts[k]
}
