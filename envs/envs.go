package envs

import (
	"fmt"

	"github.com/grindbench/grindbench/internal/registry"
)

// ChannelKind says how an observation channel is encoded.
type ChannelKind uint8

const (
	// Dense is a vector of Size float64 values.
	Dense ChannelKind = iota
	// Index is one integer in [0, Size), or -1 for none: an identity, a
	// token, a cell. A model that wants it one-hot encodes it itself.
	Index
)

func (k ChannelKind) String() string {
	if k == Index {
		return "index"
	}
	return "dense"
}

// Channel is one named part of an observation, declared by a family.
type Channel struct {
	Name string
	Kind ChannelKind
	Size int // Dense: the vector's length; Index: the number of values
	Doc  string
}

// Spec is the shape of a family's observations and actions: its named
// observation channels, in a fixed order, and a discrete action set.
// Models are built from the channels a family declares, so a family with a
// grid view or integer tokens declares those and needs no other shape.
type Spec struct {
	Actions  int // number of discrete actions, A
	MaxLen   int // longest attempt, in steps, over every split
	Channels []Channel
}

// Channel returns the position of the channel called name, or -1.
func (s Spec) Channel(name string) int {
	for i, c := range s.Channels {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Dense lists the positions of the dense channels, in order.
func (s Spec) Dense() []int { return s.kind(Dense) }

// Indices lists the positions of the index channels, in order.
func (s Spec) Indices() []int { return s.kind(Index) }

func (s Spec) kind(k ChannelKind) []int {
	var out []int
	for i, c := range s.Channels {
		if c.Kind == k {
			out = append(out, i)
		}
	}
	return out
}

// DenseSize is the total length of the dense channels.
func (s Spec) DenseSize() int {
	n := 0
	for _, c := range s.Channels {
		if c.Kind == Dense {
			n += c.Size
		}
	}
	return n
}

// Validate reports a spec no model could be built from.
func (s Spec) Validate() error {
	if s.Actions < 2 {
		return fmt.Errorf("spec: %d actions: need at least 2", s.Actions)
	}
	if s.MaxLen < 1 {
		return fmt.Errorf("spec: max_len %d: need at least 1", s.MaxLen)
	}
	if len(s.Channels) == 0 {
		return fmt.Errorf("spec: no observation channels")
	}
	seen := map[string]bool{}
	for _, c := range s.Channels {
		switch {
		case c.Name == "" || seen[c.Name]:
			return fmt.Errorf("spec: channel name %q is empty or repeated", c.Name)
		case c.Size < 1:
			return fmt.Errorf("spec: channel %s has size %d", c.Name, c.Size)
		case c.Kind != Dense && c.Kind != Index:
			return fmt.Errorf("spec: channel %s has unknown kind %d", c.Name, c.Kind)
		}
		seen[c.Name] = true
	}
	return nil
}

// Obs is one observation: a buffer per declared channel, owned by the
// caller and written in place by Env.Reset and Env.Step. Dense[i] is the
// vector of channel i (nil for an index channel); Index[i] is the value of
// channel i (unused for a dense one).
type Obs struct {
	Dense [][]float64
	Index []int
	Step  int // index of the step this observation asks about
}

// NewObs returns an observation with buffers sized for s.
func NewObs(s Spec) Obs {
	o := Obs{Dense: make([][]float64, len(s.Channels)), Index: make([]int, len(s.Channels))}
	for i, c := range s.Channels {
		if c.Kind == Dense {
			o.Dense[i] = make([]float64, c.Size)
		}
	}
	return o
}

// CopyFrom copies o into dst's buffers (which must be sized alike).
func (dst *Obs) CopyFrom(o *Obs) {
	for i, v := range o.Dense {
		copy(dst.Dense[i], v)
	}
	copy(dst.Index, o.Index)
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

// Acceptor is implemented by environments whose steps may accept more than
// one action (skills with accept > 1): Accepted writes, per action, whether
// it is correct at the current step. Correct returns one of them, the
// canonical answer. Environments without it accept Correct() alone.
type Acceptor interface {
	Accepted(dst []bool)
}

// Family is a procedural generator of tasks, built for one seed.
type Family interface {
	Name() string
	Spec() Spec
	// Splits lists the splits this instance offers, in a fixed order.
	Splits() []string
	// Task returns task i of a split. For a split with a finite pool
	// (PoolSize > 0), indices from FreshIndex on are fresh instances drawn
	// like the pool's but never equal to any of them (for jobs without
	// resets). Tasks at indices >= PrivateIndex are reserved for
	// pretraining data and never evaluated.
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

// Task index ranges. [0, PoolSize) is a split's pool; [FreshIndex,
// PrivateIndex) are fresh instances of a pooled split, each attempted at
// most once when resets are off; from PrivateIndex on, pretraining data.
const (
	FreshIndex   = 1 << 29
	PrivateIndex = 1 << 30
)

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

var families = registry.New[Factory]("family")

// Register adds a family. It panics on a duplicate name: that is a
// programming error.
func Register(f Factory) { families.Register(f.Name, f) }

// Lookup returns the family registered under name.
func Lookup(name string) (Factory, error) { return families.Lookup(name) }

// Names lists the registered families in sorted order.
func Names() []string { return families.Names() }
