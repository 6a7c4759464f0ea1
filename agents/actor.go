package agents

import (
	"context"

	"github.com/grindbench/grindbench/envs"
)

// Actor is implemented by a mechanism that takes over acting: the agent's
// actions, in the job and in evaluation, come from it instead of the acting
// model's logits (the external mechanism, whose agent is a child process).
// eval is true for evaluation attempts (learning off), greedy asks for the
// agent's best action rather than a sample, and key is the step's keyed
// seed: an agent that samples from it is deterministic.
type Actor interface {
	Act(a *Agent, o *envs.Obs, eval, greedy bool, key uint64) (int, error)
}

// RunInfo is what the run tells a mechanism before the job starts.
type RunInfo struct {
	Context context.Context
	Run     string      // the run's key
	Agent   string      // the agent's name in the config
	Seed    int         // the run's seed
	Family  envs.Family // the world's family, built for this seed
	LogDir  string      // where the run's logs go ("" for none)
}

// Binder is implemented by mechanisms that need the run's identity (its
// key, seed, family, log folder) before the job starts.
type Binder interface {
	Bind(a *Agent, info RunInfo) error
}

// Closer is implemented by mechanisms holding resources past the job (a
// child process): the run closes the agent whatever happened to the job.
type Closer interface {
	Close() error
}

// actorHook is the agent's acting override, found once among its
// mechanisms.
type actorHook struct {
	found bool
	actor Actor
	err   error // the first error the actor returned
}

func (a *Agent) hook() *actorHook {
	if !a.ext.found {
		a.ext.found = true
		for _, m := range a.mechs {
			if act, ok := m.(Actor); ok {
				a.ext.actor = act
				break
			}
		}
	}
	return &a.ext
}

// Acts reports whether one of the agent's mechanisms acts for it.
func (a *Agent) Acts() bool { return a.hook().actor != nil }

// actBy asks the agent's actor, if it has one, for the action. On an error
// it keeps the first one for Err and returns action 0, so the attempt can
// end and the caller report the error.
func (a *Agent) actBy(o *envs.Obs, eval, greedy bool, key uint64) (int, bool) {
	h := a.hook()
	if h.actor == nil {
		return 0, false
	}
	if h.err != nil {
		return 0, true
	}
	act, err := h.actor.Act(a, o, eval, greedy, key)
	if err != nil {
		h.err = err
		return 0, true
	}
	return act, true
}

// ActEval returns the agent's action on o in an evaluation attempt: its
// actor's answer when it has one, else its acting model's.
func (a *Agent) ActEval(o *envs.Obs, greedy bool, key uint64) int {
	if act, ok := a.actBy(o, true, greedy, key); ok {
		return act
	}
	a.Acting().Logits(a.logits, o)
	return Choose(a.logits, a.probs, greedy, key)
}

// Err is the first error of the agent's actor (a child that died, timed
// out or answered nonsense), or of a mechanism that reports errors
// outside the phases (Learn has no error to return). The job checks it
// after every attempt and fails the run with it.
func (a *Agent) Err() error {
	if h := a.hook(); h.err != nil {
		return h.err
	}
	for _, m := range a.mechs {
		if e, ok := m.(interface{ Err() error }); ok {
			if err := e.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Bind hands the run's identity to every Binder.
func (a *Agent) Bind(info RunInfo) error {
	for _, m := range a.mechs {
		if b, ok := m.(Binder); ok {
			if err := b.Bind(a, info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close closes every Closer, returning the first error.
func (a *Agent) Close() error {
	var first error
	for _, m := range a.mechs {
		if c, ok := m.(Closer); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
