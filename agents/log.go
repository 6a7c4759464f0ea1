package agents

import (
	"slices"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/vec"
)

// SessionLog is an agent's record of its session: every attempt's task,
// the observations it saw and the actions it took, and the verdict with
// its arrival time once it came. Its buffers grow to the longest session
// and are reused, so a job records without allocating after its first
// session.
type SessionLog struct {
	spec    envs.Spec
	dense   []int // dense channel positions
	stride  int   // dense values per step
	index   []int // index channel positions
	entries []LogEntry
	vals    []float64 // dense values, stride per stored observation
	idx     []int     // index values, len(index) per stored observation
	nobs    int       // stored observations
	steps   []logStep
	probs   []float64 // the acting policy's probabilities, Actions per block; steps name theirs
	obs     envs.Obs  // view handed out by Step
	epoch   uint64    // counts Resets: a stored observation's index is valid within one
	blocks  int32     // blocks of probs
}

// logStep is a step's action and what its probabilities are (one append
// per step rather than one per field).
type logStep struct {
	stamp   uint64 // the weights generation probs belong to; 0 for none
	act     int32
	obs     int32 // the stored observation: steps showing one state share it
	probs   int32 // the block of probs holding its probabilities (shared like obs by Rollouts)
	behaved bool  // probs holds the behaviour policy's probabilities
}

// LogEntry is one attempt in the log.
type LogEntry struct {
	Task    *envs.Task
	Member  int          // rollout within its group
	Verdict envs.Verdict // VerdictNone until (and unless) one arrives
	Ended   float64      // simulated time the attempt ended
	Arrived float64      // simulated time its verdict arrived; 0 before
	first   int          // index of its first step
	steps   int
}

// NewSessionLog returns an empty log for spec.
func NewSessionLog(s envs.Spec) *SessionLog {
	l := &SessionLog{spec: s, dense: s.Dense(), stride: s.DenseSize(), index: s.Indices(), epoch: 1}
	l.obs = envs.Obs{Dense: make([][]float64, len(s.Channels)), Index: make([]int, len(s.Channels))}
	return l
}

// Reset empties the log, keeping its buffers.
func (l *SessionLog) Reset() {
	l.entries = l.entries[:0]
	l.vals = l.vals[:0]
	l.idx = l.idx[:0]
	l.nobs, l.blocks = 0, 0
	l.epoch++
	l.steps = l.steps[:0]
	l.probs = l.probs[:0]
}

// Len is the number of attempts logged.
func (l *SessionLog) Len() int { return len(l.entries) }

// Begin starts attempt member at task t and returns its index.
func (l *SessionLog) Begin(t *envs.Task, member int) int {
	l.entries = append(l.entries, LogEntry{Task: t, Member: member, first: len(l.steps)})
	return len(l.entries) - 1
}

// Record appends a step (observation and action) to the attempt begun last.
func (l *SessionLog) Record(o *envs.Obs, action int) { l.record(o, action, nil, 0, -1) }

// record is Record that also stores the probabilities the agent acted with
// and the generation of the weights that gave them (probs nil: none). same
// >= 0 is a stored observation (an index record returned since the last
// Reset) that o equals bit for bit: the step shares it instead of copying
// o (a group's members meet the same states; the agent's act memo knows
// when). It returns the step's stored observation.
func (l *SessionLog) record(o *envs.Obs, action int, probs []float64, stamp uint64, same int) int {
	if same < 0 {
		same = l.store(o)
	}
	l.entries[len(l.entries)-1].steps++
	A := l.spec.Actions
	block := l.blocks
	l.blocks++
	if probs != nil {
		if n := len(l.probs); cap(l.probs)-n >= A {
			l.probs = l.probs[:n+A]
			vec.Copy4(l.probs[n:], probs[:A])
		} else {
			l.probs = append(l.probs, probs[:A]...)
		}
	} else {
		l.probs = extend(l.probs, A)
		stamp = 0
	}
	l.steps = append(l.steps, logStep{act: int32(action), stamp: stamp, behaved: probs != nil, obs: int32(same), probs: block})
	return same
}

// storeRaw stores a state for steps to share (attemptShared): its dense
// values (stride of them, channel after channel, as store lays them out),
// its index values and the probabilities acted with there. It returns
// their indices.
func (l *SessionLog) storeRaw(vals []float64, idx []int, probs []float64) (obs, block int32) {
	A := l.spec.Actions
	block = l.blocks
	l.blocks++
	if n := len(l.probs); cap(l.probs)-n >= A {
		l.probs = l.probs[:n+A]
		vec.Copy4(l.probs[n:], probs[:A])
	} else {
		l.probs = append(l.probs, probs[:A]...)
	}
	if n := len(l.vals); cap(l.vals)-n >= len(vals) && len(vals) == 16 {
		l.vals = l.vals[:n+16]
		vec.Copy(l.vals[n:n+8], vals[:8])
		vec.Copy(l.vals[n+8:n+16], vals[8:16])
	} else {
		l.vals = append(l.vals, vals...)
	}
	for _, v := range idx { // a value or two: no call to memmove
		l.idx = append(l.idx, v)
	}
	l.nobs++
	return int32(l.nobs - 1), block
}

// attemptShared logs a whole attempt of member at t whose steps share
// stored states: step s acted acts[s] at state path[s], whose observation
// and probabilities are stored at obs[path[s]] and probs[path[s]]
// (storeRaw); stamp is the weights generation the probabilities belong to
// (0 for none). It returns the attempt's index. Rollouts records its
// members so.
func (l *SessionLog) attemptShared(t *envs.Task, member int, acts []int, path []int32, obs, probs []int32, stamp uint64) int {
	first := len(l.steps)
	l.entries = append(l.entries, LogEntry{Task: t, Member: member, first: first, steps: len(acts)})
	l.steps = slices.Grow(l.steps, len(acts))[:first+len(acts)]
	dst := l.steps[first:]
	path = path[:len(acts)]
	for s, act := range acts {
		nd := path[s]
		dst[s] = logStep{act: int32(act), stamp: stamp, behaved: true, obs: obs[nd], probs: probs[nd]}
	}
	return len(l.entries) - 1
}

// store copies o's values into the log and returns its index.
func (l *SessionLog) store(o *envs.Obs) int {
	for _, ch := range l.dense {
		v := o.Dense[ch]
		if n := len(l.vals); cap(l.vals)-n >= len(v) {
			l.vals = l.vals[:n+len(v)]
			vec.Copy(l.vals[n:], v) // inline at 8 values, unlike append
		} else {
			l.vals = append(l.vals, v...)
		}
	}
	for _, ch := range l.index {
		l.idx = append(l.idx, o.Index[ch])
	}
	l.nobs++
	return l.nobs - 1
}

// stepProbs returns the probabilities step s of attempt i was acted with
// and the generation of the weights that gave them (0: not recorded).
func (l *SessionLog) stepProbs(i, s int) ([]float64, uint64) {
	st := &l.steps[l.entries[i].first+s]
	A := l.spec.Actions
	return l.probs[int(st.probs)*A : int(st.probs+1)*A], st.stamp
}

// stepObs is the stored observation step s of attempt i shows: steps
// with equal ones show equal observations until the next Reset.
func (l *SessionLog) stepObs(i, s int) int { return int(l.steps[l.entries[i].first+s].obs) }

// stepAct is the action step s of attempt i took.
func (l *SessionLog) stepAct(i, s int) int { return int(l.steps[l.entries[i].first+s].act) }

// BehaviourProbs returns the probabilities step s of attempt i was
// sampled from, whatever policy acted (weights, weights plus context, an
// in-package actor), and whether they were recorded.
func (l *SessionLog) BehaviourProbs(i, s int) ([]float64, bool) {
	st := &l.steps[l.entries[i].first+s]
	A := l.spec.Actions
	return l.probs[int(st.probs)*A : int(st.probs+1)*A], st.behaved
}

// End marks attempt i ended at time t.
func (l *SessionLog) End(i int, t float64) { l.entries[i].Ended = t }

// Judge stores attempt i's verdict and its arrival time.
func (l *SessionLog) Judge(i int, v envs.Verdict, arrived float64) {
	l.entries[i].Verdict, l.entries[i].Arrived = v, arrived
}

// Entry returns attempt i.
func (l *SessionLog) Entry(i int) LogEntry { return l.entries[i] }

// Steps is the number of steps of attempt i.
func (l *SessionLog) Steps(i int) int { return l.entries[i].steps }

// Step returns step s of attempt i: an observation view valid until the
// next call, and the action taken.
func (l *SessionLog) Step(i, s int) (*envs.Obs, int) {
	k := l.entries[i].first + s
	at := int(l.steps[k].obs)
	off := at * l.stride
	for _, ch := range l.dense {
		n := l.spec.Channels[ch].Size
		l.obs.Dense[ch] = l.vals[off : off+n]
		off += n
	}
	for j, ch := range l.index {
		l.obs.Index[ch] = l.idx[at*len(l.index)+j]
	}
	l.obs.Step = s
	return &l.obs, int(l.steps[k].act)
}
