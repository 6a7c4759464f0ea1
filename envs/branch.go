package envs

// Brancher is implemented by an Env whose attempts at one task form a tree:
// the state after a step depends on nothing but the state before it and
// the action (whatever noise the task has is keyed by the task and the
// step, never by the attempt), so attempts at one task that took the same
// actions so far are in the same state and see the same observation. A
// harness may then step a group's members through their task as a tree of
// their distinct states (agents.Rollouts): each state is reached by one
// Step, saved where members part and loaded to step the next branch, and
// every member's attempt is exactly what stepping it alone from Reset
// gives. CheckBrancher tests that.
type Brancher interface {
	Env
	// NewState returns a buffer that holds one saved state.
	NewState() EnvState
	// Save writes the current state (after Reset or a Step that did not
	// end the attempt) into s.
	Save(s EnvState)
	// Load makes s, saved from this Env, the current state: Step,
	// Correct and Outcome then behave as they did right after the Save.
	// It writes no observation: the caller kept the one it saw then.
	Load(s EnvState)
}

// EnvState is a state saved by a Brancher; only the Env that made it reads
// it.
type EnvState any

// checkBranching plays task i of split as a tree of attempts in the
// family's Brancher, each branch loaded from a state saved on an earlier
// one, and wants every step (observation, Correct(), step result) and
// outcome to be what runner a gives playing the same actions from Reset.
func (c *checker) checkBranching(split string, i int, t *Task) {
	const paths = 6
	A := c.spec.Actions
	br := c.br
	obs := NewObs(c.spec)
	var (
		prev   []int      // the previous path's actions
		n      int        // its steps
		states []EnvState // states[s]: the state before step s of the previous path
		kept   []Obs      // kept[s]: the observation then
	)
	for p := range paths {
		key := Key(uint64(purposeCheck), t.Key, uint64(p))
		// Branch off the previous path at a keyed depth with another action.
		at := 0
		var path []int
		if p > 0 {
			at = int(Uniform(Key(key, 1)) * float64(n))
			path = append(path, prev[:at]...)
			if A > 1 {
				path = append(path, (prev[at]+1+int(Uniform(Key(key, 2))*float64(A-1)))%A)
			}
		}
		pol := policy{kind: polPath, key: key, path: path}
		// The replay is the reference, not under test: the other checks
		// play their own policies (a branch's arbitrary actions can reach
		// outcomes they never do), so it reports nothing itself.
		c.muted = true
		played := c.play(c.a, split, i, t, pol) && c.a.finished
		c.muted = false
		if !played {
			return
		}
		ok := c.guard(split, i, nil, func() {
			if p == 0 {
				br.Reset(t, &obs)
			} else {
				br.Load(states[at])
				obs.CopyFrom(&kept[at]) // Load writes no observation: the caller keeps it
			}
			prev = prev[:at]
			for s := at; ; s++ {
				if s == len(states) {
					states, kept = append(states, br.NewState()), append(kept, NewObs(c.spec))
				}
				br.Save(states[s])
				kept[s].CopyFrom(&obs)
				h := hashOf(obsHash(c.spec, &obs), uint64(br.Correct()))
				a := int(Uniform(Key(key, uint64(s))) * float64(A))
				if s < len(path) {
					a = path[s]
				}
				prev = append(prev, a)
				res := br.Step(a, &obs)
				h.add(uint64(a), bit(res.Correct), bit(res.Done))
				if s >= len(c.a.trace) || uint64(h) != c.a.trace[s] {
					c.failf("branch", split, i, s, "a branch loaded from a saved state (Brancher) showed another observation, answer or step result than the same actions played from Reset")
					n = 0
					return
				}
				if res.Done {
					if o := br.Outcome(); o != c.a.out {
						c.failf("branch", split, i, -1, "a branch loaded from a saved state (Brancher) ended with outcome %+v; played from Reset, %+v", o, c.a.out)
					}
					n = s + 1
					return
				}
			}
		})
		if !ok || n == 0 {
			return
		}
	}
}
