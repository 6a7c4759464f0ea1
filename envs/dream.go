package envs

import (
	"fmt"
	"math"
)

// PurposeDream keys the draws that make dream tasks.
var PurposeDream = PurposeOf("dream")

// Dreamer is implemented by families that can make new tasks around one an
// agent met: the generative dreams of the dream mechanism (DESIGN 4). A
// family without it supports replay dreams only.
type Dreamer interface {
	// Neighbour returns a new task around t, drawn by key: at distance 0
	// t itself, and further from it as distance grows to 1. The task is
	// never part of any split: it is judged by the true scorer only for
	// measurement, out of the agent's sight.
	Neighbour(t *Task, distance float64, key uint64) (Task, error)
}

var _ Dreamer = (*Skills)(nil)

// Neighbour implements Dreamer. Every part of the instance moves with
// distance d: the start context and the transition noise become
// sqrt(1-d) times their own plus sqrt(d) times fresh draws (new contexts),
// with probability d the sequence is shuffled (new orders), and each step's
// skill is, with probability d, replaced by one of the job's skills drawn
// at random (new combinations). Replacements come from the job's skills
// only: a dream recombines what the job shows, it invents no skill.
func (f *Skills) Neighbour(t *Task, distance float64, key uint64) (Task, error) {
	st, ok := t.Data.(*skillsTask)
	if !ok {
		return Task{}, fmt.Errorf("skills: task data has type %T, not a skills task", t.Data)
	}
	if !(distance >= 0 && distance <= 1) {
		return Task{}, fmt.Errorf("skills: dream distance %v outside [0, 1]", distance)
	}
	if distance == 0 {
		return *t, nil
	}
	rng := Rand(Key(key, uint64(PurposeDream)))
	keep, fresh := math.Sqrt(1-distance), math.Sqrt(distance)
	seq := append([]int(nil), st.seq...)
	if rng.Float64() < distance {
		rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
	}
	train := f.groups[SplitTrain]
	for i := range seq {
		if rng.Float64() < distance {
			seq[i] = train[rng.IntN(len(train))]
		}
	}
	x0 := make([]float64, len(st.x0))
	for i, v := range st.x0 {
		x0[i] = keep*v + fresh*rng.NormFloat64()
	}
	scaleTo(x0, math.Sqrt(float64(f.cfg.D)))
	eps := make([]float64, len(st.eps))
	for i, v := range st.eps {
		eps[i] = keep*v + fresh*rng.NormFloat64()
	}
	return Task{Split: t.Split, Index: t.Index, Key: Key(t.Key, key, uint64(PurposeDream)), Len: len(seq),
		Data: &skillsTask{seq: seq, x0: x0, eps: eps}}, nil
}
