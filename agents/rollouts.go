package agents

import (
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/vec"
)

// Rollouts steps a group's members through one task as a tree of their
// distinct states. The members share their task and its noise, and an
// environment that is an envs.Brancher is in the same state for every
// attempt that took the same actions so far; so the members walk one tree,
// step by step in lockstep: at every state the tree reaches, the agent's
// probabilities are computed once and each member there draws its action
// with its own key; a (state, action) pair is stepped in the environment
// once, from the state saved where members parted. Every member's
// attempt (actions, observations, step results, outcome) and what the
// session log records for it are exactly those of stepping the member
// alone from Reset with Agent.Act and Agent.Record, as the job did before
// (TestRolloutsMatchActing). What it saves: the act memo's lookups, the
// environment's steps and observation copies, and the softmax, for every
// step a member shares with an earlier one.
//
// It serves agents whose acting model acts (Agent.Acts is false: no
// actor process) at sampled actions. Its buffers grow to the largest
// group and are reused: Run does not allocate after the first groups.
type Rollouts struct {
	spec   envs.Spec
	dense  []int // dense channel positions
	stride int   // dense values per node
	index  []int // index channel positions

	nodes    []rollNode
	flags    []uint8        // per node: nodeDone, nodeProbs
	outs     []envs.Outcome // the outcomes of nodes that ended an attempt
	children []int32        // Actions per node: child node + 1, 0 for none
	vals     []float64      // dense values, stride per node
	idx      []int          // index values, len(index) per node
	probs    []float64      // Actions per node, once computed
	states   []envs.EnvState
	saved    int      // states used by this Run
	obs      envs.Obs // what the environment writes
	view     envs.Obs // a node's observation, read from vals and idx

	// Member m's path: the nodes it visited from the root at
	// path[m*width:], the action it took at each at acts[m*width:], its
	// steps in steps[m]; width is the spec's MaxLen + 1.
	width    int
	path     []int32
	acts     []int
	steps    []int
	active   []int
	attempts []int
	pre      []uint64                         // per member: Key(keys[m])
	agent    *Agent                           // Run's agent, or nil
	logits   func(dst []float64, o *envs.Obs) // Sample's model
	scratch  []float64
	logObs   []int32 // per node: its observation's index in the session log
	logProbs []int32 // and its probabilities'
}

const (
	nodeDone  = 1 << iota // the step into the node ended the attempt
	nodeProbs             // probs holds the node's probabilities
)

type rollNode struct {
	step int32
	// at: for a node that ended an attempt, its outcome in outs; for
	// another, its saved state in states.
	at  int32
	res envs.StepResult // of the step into this node (the root: none)
}

// NewRollouts returns an empty tree for a family with spec s.
func NewRollouts(s envs.Spec) *Rollouts {
	r := &Rollouts{spec: s, dense: s.Dense(), stride: s.DenseSize(), index: s.Indices(), width: s.MaxLen + 1}
	r.obs = envs.NewObs(s)
	r.view = envs.Obs{Dense: make([][]float64, len(s.Channels)), Index: make([]int, len(s.Channels))}
	return r
}

// Run plays len(keys) attempts at t, member m with step keys
// envs.Key(keys[m], step) (as the job keys Agent.Act), and records them in
// the agent's session log, if it keeps one, in order of member (Attempt
// gives their indices). env must be the agent's family's and a Brancher;
// the agent must not act through an actor (Agent.Acts).
func (r *Rollouts) Run(a *Agent, env envs.Brancher, t *envs.Task, keys []uint64) {
	r.agent, r.logits = a, nil
	r.walk(env, t, keys)
	r.agent = nil
	r.record(a, t, len(keys))
}

// Sample plays len(keys) sampled attempts at t as Run does, with the
// probabilities softmax(logits(o)) of a fixed model instead of an agent's
// and no session log: an evaluation's samples (member m's step keys
// envs.Key(keys[m], step), drawn as Choose draws a sample). logits must be
// a pure function of o while Sample runs.
func (r *Rollouts) Sample(logits func(dst []float64, o *envs.Obs), env envs.Brancher, t *envs.Task, keys []uint64) {
	r.agent, r.logits = nil, logits
	r.walk(env, t, keys)
	r.logits = nil
	r.attempts = r.attempts[:0]
}

// walk steps the members through the tree (Run's and Sample's common
// part).
func (r *Rollouts) walk(env envs.Brancher, t *envs.Task, keys []uint64) {
	a := r.agent
	n := len(keys)
	r.reset(n)
	env.Reset(t, &r.obs)
	at := r.node(0, envs.StepResult{})
	r.save(env, at)
	W := r.width
	pre := r.pre[:0]
	for m := range n {
		pre = append(pre, envs.Key(keys[m])) // Key(keys[m], s) = Then(pre[m], s)
		r.path[m*W] = int32(at)
		r.steps[m] = 0
		r.active = append(r.active, m)
	}
	A := r.spec.Actions
	path, acts, steps := r.path, r.acts, r.steps
	for s := 0; len(r.active) > 0; s++ {
		if s+1 >= W {
			panic("agents: Rollouts: an attempt ran past its family's MaxLen")
		}
		k := 0
		active := r.active
		// Locals for the slices the loop reads: computeProbs writes in
		// place; step appends, so they are reloaded after it.
		flags, probs, children := r.flags, r.probs, r.children
		for _, m := range active {
			nd := int(path[m*W+s])
			if flags[nd]&nodeProbs == 0 {
				r.computeProbs(a, nd)
			}
			// sample's draw, inline: no call in the loop.
			u := envs.Uniform(envs.Then(envs.Key1(envs.Then(pre[m], uint64(s))), uint64(envs.PurposeAct)))
			act := A - 1 // the last action if rounding leaves u past the last partial sum
			if A == 4 {
				p := (*[4]float64)(probs[nd*4:])
				switch acc := p[0]; {
				case u < acc:
					act = 0
				case u < acc+p[1]:
					act = 1
				case u < acc+p[1]+p[2]:
					act = 2
				}
			} else {
				acc := 0.0
				for a, pa := range probs[nd*A : nd*A+A] {
					acc += pa
					if u < acc {
						act = a
						break
					}
				}
			}
			acts[m*W+s] = act
			c := int(children[nd*A+act]) - 1
			if c < 0 {
				c = r.step(env, at, nd, act, s)
				at = c
				flags, probs, children = r.flags, r.probs, r.children
			}
			path[m*W+s+1] = int32(c)
			if flags[c]&nodeDone == 0 {
				active[k] = m
				k++
			} else {
				steps[m] = s + 1
			}
		}
		r.active = active[:k]
	}
	r.pre = pre
}

// step steps the environment from node nd (where it is, or loaded from
// the state saved there) by act and returns the new node; at is the node
// the environment is at.
func (r *Rollouts) step(env envs.Brancher, at, nd, act, s int) int {
	if at != nd {
		env.Load(r.states[r.nodes[nd].at])
	}
	res := env.Step(act, &r.obs)
	c := r.node(s+1, res)
	if res.Done {
		r.nodes[c].at = int32(len(r.outs))
		r.outs = append(r.outs, env.Outcome())
	} else {
		r.save(env, c)
	}
	r.children[nd*r.spec.Actions+act] = int32(c + 1)
	return c
}

// record writes the members' attempts into the agent's session log, as
// Agent.Act and Agent.Record would have step by step: the probabilities
// acted with, stamped with the weights' generation when the weights acted
// alone (no context), and a state's observation stored once per log.
func (r *Rollouts) record(a *Agent, t *envs.Task, n int) {
	r.attempts = r.attempts[:0]
	log := a.Log
	if log == nil {
		return
	}
	stamp := uint64(0)
	if a.ctx == nil {
		stamp = a.gen
	}
	// Every state a member acted at (every node but those that ended an
	// attempt) is stored once, in the order the tree reached them.
	A, W, S, I := r.spec.Actions, r.width, r.stride, len(r.index)
	r.logObs, r.logProbs = r.logObs[:0], r.logProbs[:0]
	for nd, f := range r.flags {
		var o, p int32 = -1, -1
		if f&nodeDone == 0 {
			o, p = log.storeRaw(r.vals[nd*S:(nd+1)*S], r.idx[nd*I:(nd+1)*I], r.probs[nd*A:(nd+1)*A])
		}
		r.logObs, r.logProbs = append(r.logObs, o), append(r.logProbs, p)
	}
	for m := range n {
		r.attempts = append(r.attempts, log.attemptShared(t, m, r.acts[m*W:m*W+r.steps[m]], r.path[m*W:], r.logObs, r.logProbs, stamp))
	}
}

// Steps is the number of steps member m took in the last Run.
func (r *Rollouts) Steps(m int) int { return r.steps[m] }

// Result is the result of member m's step s in the last Run.
func (r *Rollouts) Result(m, s int) envs.StepResult {
	return r.nodes[r.path[m*r.width+s+1]].res
}

// Outcome is member m's outcome in the last Run.
func (r *Rollouts) Outcome(m int) envs.Outcome {
	return r.outs[r.nodes[r.path[m*r.width+r.steps[m]]].at]
}

// Attempts are the session log's indices of the last Run's attempts, in
// order of member (empty when the agent keeps no log). The slice is
// reused by the next Run.
func (r *Rollouts) Attempts() []int { return r.attempts }

// States is the number of distinct states the last Run reached (its
// tree's nodes).
func (r *Rollouts) States() int { return len(r.nodes) }

func (r *Rollouts) reset(n int) {
	r.nodes, r.flags, r.outs = r.nodes[:0], r.flags[:0], r.outs[:0]
	r.children = r.children[:0]
	r.vals, r.idx, r.probs = r.vals[:0], r.idx[:0], r.probs[:0]
	r.active = r.active[:0]
	r.saved = 0
	if len(r.steps) < n {
		r.steps = make([]int, n)
		r.path = make([]int32, n*r.width)
		r.acts = make([]int, n*r.width)
	}
}

// node adds a node for the observation the environment just wrote (in
// r.obs), reached by a step with result res.
func (r *Rollouts) node(step int, res envs.StepResult) int {
	A := r.spec.Actions
	nd := len(r.nodes)
	r.nodes = append(r.nodes, rollNode{step: int32(step), res: res})
	var f uint8
	if res.Done {
		f = nodeDone
	}
	r.flags = append(r.flags, f)
	// Grown a node at a time, without calls where the capacity allows:
	// children zeroed, probs written before they are read (nodeProbs says
	// when), vals of a node that ended an attempt never read (no
	// observation follows the last step).
	if n := len(r.children) + A; n <= cap(r.children) {
		r.children = r.children[:n]
		clear4(r.children[n-A:])
	} else {
		r.children = append(r.children, make([]int32, A)...)
	}
	if n := len(r.probs) + A; n <= cap(r.probs) {
		r.probs = r.probs[:n]
	} else {
		r.probs = append(r.probs, make([]float64, A)...)
	}
	n := len(r.vals)
	if n+r.stride > cap(r.vals) {
		r.vals = append(r.vals, make([]float64, r.stride)...)
	}
	r.vals = r.vals[:n+r.stride]
	if !res.Done {
		for _, ch := range r.dense {
			v := r.obs.Dense[ch]
			vec.Copy(r.vals[n:n+len(v)], v)
			n += len(v)
		}
	}
	for _, ch := range r.index {
		r.idx = append(r.idx, r.obs.Index[ch])
	}
	return nd
}

// clear4 zeroes c: at 4 values in one store, not a call.
func clear4(c []int32) {
	if len(c) == 4 {
		*(*[4]int32)(c) = [4]int32{}
		return
	}
	for i := range c {
		c[i] = 0
	}
}

// save keeps the environment's state as node nd's.
func (r *Rollouts) save(env envs.Brancher, nd int) {
	i := r.saved
	r.saved++
	if i == len(r.states) {
		r.states = append(r.states, env.NewState())
	}
	env.Save(r.states[i])
	r.nodes[nd].at = int32(i)
}

// obsOf returns node nd's observation: a view valid until the next call.
func (r *Rollouts) obsOf(nd int) *envs.Obs {
	off := nd * r.stride
	for _, ch := range r.dense {
		size := r.spec.Channels[ch].Size
		r.view.Dense[ch] = r.vals[off : off+size]
		off += size
	}
	for j, ch := range r.index {
		r.view.Index[ch] = r.idx[nd*len(r.index)+j]
	}
	r.view.Step = int(r.nodes[nd].step)
	return &r.view
}

// computeProbs computes the agent's probabilities at node nd: the acting
// model's logits (through the agent's cache, as Act computes them) and
// their softmax.
func (r *Rollouts) computeProbs(a *Agent, nd int) {
	A := r.spec.Actions
	if a == nil { // Sample's model
		if len(r.scratch) != A {
			r.scratch = make([]float64, A)
		}
		r.logits(r.scratch, r.obsOf(nd))
		Softmax(r.probs[nd*A:(nd+1)*A], r.scratch)
		r.flags[nd] |= nodeProbs
		return
	}
	m := a.Acting()
	if a.cacheGen != a.gen {
		a.cache.Reset(m)
		a.cacheGen = a.gen
	}
	a.cache.Logits(a.logits, r.obsOf(nd))
	Softmax(r.probs[nd*A:(nd+1)*A], a.logits)
	r.flags[nd] |= nodeProbs
}
