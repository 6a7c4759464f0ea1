package agents

import (
	"math"
	"unsafe"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/vec"
)

// actMemo remembers, per step index, the last few observations the agent
// acted on at one generation of its weights, with their logits and (once
// it sampled there) their probabilities. A group's members start from one
// state and, sharing their task's noise, meet the same states again
// wherever their actions agreed so far: those steps need neither the
// logits nor the softmax again. Observations are compared bit for bit on
// every channel, so a hit gives exactly what computing would.
type actMemo struct {
	dense, index []int // channel positions
	width        int   // values per observation
	all8         bool  // every dense channel holds 8 values (the skills family's)
	actions      int
	steps        []memoStep
}

const (
	memoWays  = 4  // observations remembered per step index
	memoSteps = 64 // step indices remembered
)

type memoStep struct {
	gen      [memoWays]uint64 // 0: empty
	first    [memoWays]uint64 // bits of the key's first value: a quick reject
	hasProbs [memoWays]bool
	// Where the way's observation is stored in a session log (log, its
	// epoch, the index): a step recorded there again shares it.
	logOf    [memoWays]*SessionLog
	logEpoch [memoWays]uint64
	logObs   [memoWays]int
	keys     []float64 // width per way
	logits   []float64 // actions per way
	probs    []float64 // actions per way
	next     int       // way to replace next
}

func newActMemo(s envs.Spec) *actMemo {
	m := &actMemo{dense: s.Dense(), index: s.Indices(), actions: s.Actions}
	m.width = s.DenseSize() + len(m.index)
	m.all8 = true
	for _, ch := range m.dense {
		m.all8 = m.all8 && s.Channels[ch].Size == 8
	}
	return m
}

// find returns o's way at its step for generation gen, or -1.
func (m *actMemo) find(o *envs.Obs, gen uint64) (*memoStep, int) {
	if o.Step < 0 || o.Step >= memoSteps {
		return nil, -1
	}
	if o.Step >= len(m.steps) {
		m.steps = append(m.steps, make([]memoStep, o.Step+1-len(m.steps))...)
	}
	st := &m.steps[o.Step]
	if st.keys == nil {
		st.keys = make([]float64, memoWays*m.width)
		st.logits = make([]float64, memoWays*m.actions)
		st.probs = make([]float64, memoWays*m.actions)
	}
	var first uint64
	if len(m.dense) > 0 && len(o.Dense[m.dense[0]]) > 0 {
		first = math.Float64bits(o.Dense[m.dense[0]][0])
	}
ways:
	for w := range memoWays {
		if st.gen[w] != gen || st.first[w] != first {
			continue
		}
		key := st.keys[w*m.width : (w+1)*m.width]
		j := 0
		if m.all8 {
			// vec.Same at 8 values, inline: key holds 8 values per dense
			// channel (width counts them), o's channels 8 each (checked).
			kp := unsafe.Pointer(unsafe.SliceData(key))
			for _, ch := range m.dense {
				v := o.Dense[ch]
				if len(v) != 8 {
					continue ways
				}
				x := (*[8]uint64)(unsafe.Pointer(unsafe.SliceData(v)))
				y := (*[8]uint64)(unsafe.Add(kp, 8*j))
				if (x[0]^y[0])|(x[1]^y[1])|(x[2]^y[2])|(x[3]^y[3])|
					(x[4]^y[4])|(x[5]^y[5])|(x[6]^y[6])|(x[7]^y[7]) != 0 {
					continue ways
				}
				j += 8
			}
		} else {
			for _, ch := range m.dense {
				v := o.Dense[ch]
				if !vec.Same(v, key[j:j+len(v)]) {
					continue ways
				}
				j += len(v)
			}
		}
		for _, ch := range m.index {
			if float64(o.Index[ch]) != key[j] {
				continue ways
			}
			j++
		}
		return st, w
	}
	return st, -1
}

// store keeps o with its logits in a way of st (replacing round robin)
// and returns the way.
func (m *actMemo) store(st *memoStep, o *envs.Obs, gen uint64, logits []float64) int {
	w := st.next
	st.next = (st.next + 1) % memoWays
	st.gen[w], st.hasProbs[w], st.logOf[w] = gen, false, nil
	key := st.keys[w*m.width : (w+1)*m.width]
	j := 0
	for _, ch := range m.dense {
		v := o.Dense[ch]
		vec.Copy(key[j:j+len(v)], v)
		j += len(v)
	}
	for _, ch := range m.index {
		key[j] = float64(o.Index[ch])
		j++
	}
	st.first[w] = 0
	if m.width > 0 && len(m.dense) > 0 {
		st.first[w] = math.Float64bits(key[0])
	}
	vec.Copy4(st.logits[w*m.actions:(w+1)*m.actions], logits)
	return w
}
