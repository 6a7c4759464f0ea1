package envs

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Spec is the shape of a family's observations and actions. Every family
// speaks the same observation language: a context vector X, a description
// vector Desc of the situation's skill, and that skill's identity ID.
type Spec struct {
	Actions int // number of discrete actions, A
	XDim    int // context dimensions, d
	DescDim int // description dimensions, K
	NumIDs  int // number of distinct identities (size of the per-ID channel)
	MaxLen  int // longest attempt, in steps, over every split
}

// Obs is one observation. Its slices are owned by the caller and written in
// place by Env.Reset and Env.Step.
type Obs struct {
	X    []float64
	Desc []float64
	ID   int // identity of the current skill; -1 for none
	Step int // index of the step this observation asks about
}

// NewObs returns an observation with buffers sized for s.
func NewObs(s Spec) Obs {
	return Obs{X: make([]float64, s.XDim), Desc: make([]float64, s.DescDim)}
}

// CopyFrom copies o into dst's buffers (which must be sized alike).
func (dst *Obs) CopyFrom(o *Obs) {
	copy(dst.X, o.X)
	copy(dst.Desc, o.Desc)
	dst.ID = o.ID
	dst.Step = o.Step
}

// Task is one instance: a start state, a hidden solution and a true scorer,
// all held by the family. Key is stable across agents, workers and runs at
// one seed, and keys every draw about the task.
type Task struct {
	Split string
	Index int
	Key   uint64
	Len   int // number of steps
	Data  any // the family's own description of the instance
}

// StepResult is the true outcome of one step. Learners never see it.
type StepResult struct {
	Correct bool
	Done    bool
}

// Outcome is the true outcome of a finished attempt. Learners never see it;
// the verifier turns it into a Verdict.
type Outcome struct {
	Steps    int
	Correct  int
	Success  bool    // every step correct
	Score    float64 // partial credit in [0, 1]
	Loophole bool    // the attempt showed the family's declared loophole behaviour
}

// Env runs attempts at a family's tasks. An Env is not safe for concurrent
// use; make one per worker with Family.NewEnv.
type Env interface {
	// Reset starts an attempt at t and writes the first observation.
	Reset(t *Task, obs *Obs)
	// Step applies action to the current step and, unless the attempt is
	// done, writes the next observation. It never allocates.
	Step(action int, obs *Obs) StepResult
	// Correct is the correct action for the current observation. It is
	// privileged: only pretraining, demonstrations and evaluation use it.
	Correct() int
	// Outcome is the true outcome of the attempt so far.
	Outcome() Outcome
}

// Family is a procedural generator of tasks, built for one seed.
type Family interface {
	Name() string
	Spec() Spec
	// Splits lists the splits this instance offers, in a fixed order.
	Splits() []string
	// Task returns task i of a split. Tasks at indices >= PrivateIndex are
	// reserved for pretraining data and never evaluated.
	Task(split string, i int) (Task, error)
	// PoolSize is the number of distinct tasks in a split (0: unbounded).
	PoolSize(split string) int
	// NewEnv returns an environment over this family's tasks.
	NewEnv() Env
	// Loophole describes the wrong behaviour a sloppy verifier accepts.
	Loophole() string
	// CheckDisjoint verifies that held-out splits are disjoint from
	// training, looking at the first n tasks of every split.
	CheckDisjoint(n int) error
}

// PrivateIndex is the first task index reserved for pretraining data.
const PrivateIndex = 1 << 30

// Well-known split names.
const (
	SplitTrain      = "train"
	SplitPretrain   = "pretrain"
	SplitUnverified = "unverified"
)

// Factory describes one registered family.
type Factory struct {
	Name string
	Doc  string
	// NewConfig returns a pointer to the family's knob struct filled with
	// defaults; configs decode into it.
	NewConfig func() any
	// New builds the family for one seed from a config made by NewConfig.
	New func(cfg any, seed uint64) (Family, error)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register adds a family. It panics on a duplicate name: that is a
// programming error.
func Register(f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[f.Name]; dup {
		panic("envs: family registered twice: " + f.Name)
	}
	registry[f.Name] = f
}

// Lookup returns the family registered under name.
func Lookup(name string) (Factory, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	f, ok := registry[name]
	if !ok {
		return Factory{}, fmt.Errorf("unknown family %q (known: %s)", name, strings.Join(namesLocked(), ", "))
	}
	return f, nil
}

// Names lists the registered families in sorted order.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
