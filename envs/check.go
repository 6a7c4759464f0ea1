package envs

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
)

// Stochastic is implemented by a family whose verdict on a step is a draw:
// Correct() is then the best action in expectation (the bandit's best arm)
// and may still be judged wrong, so the checker does not require following
// it to succeed. A family that does not implement it, or returns false, is
// checked as deterministic.
type Stochastic interface {
	Stochastic() bool
}

// RandomRater is implemented by a family that knows in closed form how a
// uniformly random policy fares: one that draws every action uniformly from
// the action set, independently of the observation and of the past. The
// rates are over the split's distribution of tasks (for a pooled split, the
// distribution its fresh instances are drawn from, of which the pool is one
// sample). ok is false for a split without a closed form.
type RandomRater interface {
	// RandomRate returns the probability that the random policy succeeds
	// at a task of split and its expected score.
	RandomRate(split string) (success, score float64, ok bool)
}

// EarlyEnder is implemented by a family whose attempts may end before the
// task's Len steps (a maze ends when the agent stops): Len is then the most
// steps an attempt can take, and the checker accepts Done at any step up to
// it. Families that do not implement it, or return false, must end every
// attempt after exactly Len steps.
type EarlyEnder interface {
	EarlyDone() bool
}

// LoopholeActor is implemented by a family whose declared loophole (see
// Family.Loophole) is shown by a fixed rule: playing LoopholeAction at every
// step must raise Outcome.Loophole.
type LoopholeActor interface {
	// LoopholeAction is the action the loophole behaviour takes at o.
	LoopholeAction(o *Obs) int
}

// CheckOptions sets how much the checker plays. The zero value gives the
// defaults, with which CheckFactory takes about half a second for skills
// and less for bandit.
type CheckOptions struct {
	// Tasks is the number of tasks of every split (and of fresh and
	// private instances) played step by step with the full checks
	// (default 8).
	Tasks int
	// Disjoint is the n handed to CheckDisjoint and the number of tasks of
	// every held-out split compared with train's pool (default 64).
	Disjoint int
	// RandomAttempts is the number of random-policy attempts per split of a
	// RandomRater (default 4000); negative skips the check.
	RandomAttempts int
	// AllocAttempts is the number of attempts the allocation probe plays
	// per repeat (default 256); negative skips the probe.
	AllocAttempts int
	// Z is the tolerance of the random-policy check in standard errors
	// (default 5: a correct closed form fails a split's check with
	// probability below 1e-6, so false alarms stay rare over many families
	// and splits).
	Z float64
	// Seeds are the seeds CheckFactory builds the family at (default 0 and
	// 1); the first two, if distinct, must build different families.
	Seeds []uint64
}

// The largest pool the checker reads whole (keys, leak fingerprints); a
// larger pool is read up to here.
const checkPoolCap = 1 << 14

func (o CheckOptions) withDefaults() CheckOptions {
	if o.Tasks <= 0 {
		o.Tasks = 8
	}
	if o.Disjoint <= 0 {
		o.Disjoint = 64
	}
	if o.RandomAttempts == 0 {
		o.RandomAttempts = 4000
	}
	if o.AllocAttempts == 0 {
		o.AllocAttempts = 256
	}
	if !(o.Z > 0) {
		o.Z = 5
	}
	if len(o.Seeds) == 0 {
		o.Seeds = []uint64{0, 1}
	}
	return o
}

// Problem is one way a family breaks its contract, where it was first
// found. The checker keeps the first occurrence of each kind of problem and
// counts the rest in More, so one broken method does not bury the others
// under thousands of lines.
type Problem struct {
	Family string // the family's name; CheckFactory adds the seed
	Split  string // "" when the problem is not about one split
	Task   int    // the task index; -1 when not about one task
	Step   int    // the step; -1 when not about one step
	Check  string // the check that failed: "obs", "determinism", "leak", ...
	Err    error
	More   int // further occurrences of this problem
	Splits int // the number of splits it occurred in
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Family)
	if p.Split != "" {
		fmt.Fprintf(&b, ": split %s", p.Split)
	}
	if p.Task >= 0 {
		fmt.Fprintf(&b, " task %s", taskIndexString(p.Task))
	}
	if p.Step >= 0 {
		fmt.Fprintf(&b, " step %d", p.Step)
	}
	fmt.Fprintf(&b, ": %s: %v", p.Check, p.Err)
	switch {
	case p.More > 0 && p.Splits > 1:
		fmt.Fprintf(&b, " (and %d more like it, in %d splits)", p.More, p.Splits)
	case p.More > 0:
		fmt.Fprintf(&b, " (and %d more like it)", p.More)
	}
	return b.String()
}

func (p *Problem) Unwrap() error { return p.Err }

// taskIndexString writes a task index the way the index ranges read it:
// "3", "fresh+3" (FreshIndex+3), "private+3" (PrivateIndex+3).
func taskIndexString(i int) string {
	switch {
	case i >= PrivateIndex:
		return fmt.Sprintf("private+%d", i-PrivateIndex)
	case i >= FreshIndex:
		return fmt.Sprintf("fresh+%d", i-FreshIndex)
	}
	return fmt.Sprint(i)
}

// CheckReport is what CheckFactory found about one family.
type CheckReport struct {
	Family   string
	Attempts int // attempts played, over every seed and check
	Steps    int // environment steps taken
	// Allocs is the fewest allocations per step the probe measured (the
	// most over seeds); -1 when it was not measured.
	Allocs float64
	Err    error // errors.Join of every *Problem; nil when the family passes
}

// Check plays f against the contract every family promises (Family, Env,
// Spec, the task index ranges, keyed determinism), checked from the outside
// by playing the family's tasks. It runs in the tests over every registered
// family and by `grind envs --check`, so a new family is held to the
// contract without tests of its own, and a family that breaks it is caught
// before a run measures something other than what it claims. Each kind of
// problem is reported once, where it was first found, with a count of the
// rest.
//
// What it checks, and how (CheckOptions says how many of each):
//
//   - spec: Spec().Validate() passes and Spec() is the same on every call;
//     Name() and Loophole() are not empty.
//   - splits: Splits() is not empty, has no repeats, includes train, and
//     keeps its order from call to call.
//   - task: every split yields tasks: its first Tasks indices; for a pooled
//     split (PoolSize > 0) its whole pool (keys all distinct; at most the
//     first 16384 tasks), its last pool index, and fresh instances from
//     FreshIndex on whose keys are none of the pool's; pretrain's private
//     indices from PrivateIndex on. Each task names its split and index and
//     has 1 <= Len <= MaxLen. A negative index, an unknown split, and for a
//     pooled split an index between the pool's end and FreshIndex are
//     errors.
//   - determinism: Task(split, i) twice gives the same Key and Len, and the
//     two tasks played in lockstep by two environments with the same actions
//     give identical streams of observations, Correct() answers, step
//     results and outcomes. One environment is reused across every task, so
//     a reset that leaves state behind is caught too, and so are two
//     environments that share scratch.
//   - obs: before every Reset and Step the checker poisons the observation
//     buffers, so a channel the family does not write (one declared longer
//     than written) is caught; after, every dense channel must still be the
//     caller's buffer at its declared length (one written longer, by
//     replacing the buffer, is caught), hold finite values, and every index
//     channel must lie in [-1, Size); Obs.Step is the step asked about.
//   - done: Step returns Done exactly when the task's Len steps are taken,
//     never past MaxLen.
//   - correct: Correct() is an action in [0, Actions) at every step.
//   - outcome: after Reset, Outcome() has no steps; after every step its
//     Steps is the steps taken and its Correct the steps judged correct; at
//     the end 0 <= Correct <= Steps, Score is in [0, 1], Success is
//     Correct == Steps (every step correct, as Outcome documents), and a
//     success scores 1.
//   - oracle: following Correct() at every step is judged correct at every
//     step, unless the family is Stochastic.
//   - loophole: a family that implements LoopholeActor, played by its
//     loophole policy, raises Outcome.Loophole.
//   - leak: no task among the first Disjoint of a split other than train has
//     the Key of a train pool task, or replays one (the same observations
//     and Correct() answers under the same actions): every other split,
//     pretrain included, is held out from the job's instances. This reads
//     tasks back through Task, independently of the family's own
//     CheckDisjoint; a leak that re-keys a copied instance whose dynamics
//     depend on the key escapes it, which CheckDisjoint is for.
//   - disjoint: CheckDisjoint(Disjoint) passes.
//   - random-policy: for a family that implements RandomRater, a policy
//     drawing every action uniformly at random (keyed, independent of the
//     observation) succeeds and scores at the declared rates, within Z
//     standard errors plus one attempt's worth, over RandomAttempts tasks of
//     the split's distribution: fresh instances for a pooled split, the
//     first indices of an unbounded one.
//   - allocs: Reset, Step, Correct and Outcome allocate nothing, measured by
//     runtime.MemStats.Mallocs around AllocAttempts attempts over tasks built
//     beforehand (Task may allocate): the fewest allocations of three
//     repeats must be 0. testing.AllocsPerRun cannot be called outside
//     tests, and this is the same measurement; like it, it counts every
//     goroutine's allocations, so run the checker alone (the tests of this
//     package are not parallel; the CLI runs nothing else).
//   - panic: a panic in any of the family's methods is reported as a
//     problem, not raised.
//   - factory and seed (CheckFactory): the defaults build at every seed, a
//     config of the wrong type is an error, the family's name is the
//     factory's, the same seed builds the same family and two seeds build
//     different ones.
//
// Contract points the checker makes explicit: Reset and Step write every
// channel of the observation and never read it back (the caller owns the
// buffer and may have changed it); Obs.Step is the index of the step the
// observation asks about; an attempt at t takes exactly t.Len steps; and
// every split other than train is held out from train's instances.
//
// Check returns every problem found, joined with errors.Join, each a
// *Problem naming the family, split, task and step; nil when f passes.
func Check(f Family, opt CheckOptions) error {
	c := newChecker(f.Name(), opt.withDefaults())
	c.run(f)
	return c.err()
}

// CheckFactory builds fac's family with its default knobs at each of
// opt.Seeds and checks it there (see Check), and checks the factory itself
// (factory and seed problems; see Check).
func CheckFactory(fac Factory, opt CheckOptions) (rep CheckReport) {
	opt = opt.withDefaults()
	rep = CheckReport{Family: fac.Name, Allocs: -1}
	top := newChecker(fac.Name, opt)
	defer func() { rep.Err = top.err() }()
	if fac.NewConfig == nil || fac.New == nil {
		top.failf("factory", "", -1, -1, "NewConfig or New is nil")
		return rep
	}
	top.guard("", -1, nil, func() {
		if _, err := fac.New(&struct{}{}, 0); err == nil {
			top.failf("factory", "", -1, -1, "New accepted a config of type *struct{}: a config of the wrong type must be an error")
		}
	})
	build := func(seed uint64) Family {
		var f Family
		top.guard("", -1, nil, func() {
			var err error
			if f, err = fac.New(fac.NewConfig(), seed); err != nil {
				top.failf("factory", "", -1, -1, "the defaults do not build at seed %d: %w", seed, err)
				f = nil
			} else if f.Name() != fac.Name {
				top.failf("factory", "", -1, -1, "the family built at seed %d is called %q, registered as %q", seed, f.Name(), fac.Name)
			}
		})
		return f
	}
	var built []*checker
	for _, seed := range opt.Seeds {
		f := build(seed)
		if f == nil {
			continue
		}
		c := newChecker(fmt.Sprintf("%s (seed %d)", fac.Name, seed), opt)
		c.seed = seed
		c.run(f)
		top.absorb(c)
		if c.allocs > rep.Allocs {
			rep.Allocs = c.allocs
		}
		built = append(built, c)
		if len(built) == 1 {
			// The same seed builds the same family.
			// Its own contract problems are c's again: only the comparison
			// is kept.
			if g := build(seed); g != nil {
				again := newChecker(c.name, opt)
				again.seed = seed
				if again.start(g) {
					c.compareSeeds(again, true)
				}
				top.attempts += again.attempts
				top.steps += again.steps
			}
		}
	}
	if len(built) >= 2 && built[0].seed != built[1].seed {
		built[0].compareSeeds(built[1], false)
	}
	for _, c := range built {
		top.absorb(c) // problems the comparisons found
	}
	rep.Attempts, rep.Steps = top.attempts, top.steps
	return rep
}

// CheckRegistered runs CheckFactory over every registered family, in name
// order, one after the other (the allocation probe wants a quiet process).
func CheckRegistered(opt CheckOptions) []CheckReport {
	var out []CheckReport
	for _, name := range Names() {
		fac, err := Lookup(name)
		if err != nil { // cannot happen: the name came from the registry
			panic(err)
		}
		out = append(out, CheckFactory(fac, opt))
	}
	return out
}

// checker holds one family under check and the problems found so far.
type checker struct {
	name  string
	opt   CheckOptions
	seed  uint64 // for CheckFactory's seed comparison; from opt.Seeds
	f     Family
	spec  Spec
	stoch bool
	early bool
	rater RandomRater
	loop  LoopholeActor

	probs []*Problem
	seen  map[problemKey]*Problem
	where map[problemKey]map[string]bool // the splits each problem occurred in

	a, b            *runner  // two environments, for lockstep replays
	br              Brancher // a third, when the family's Env is one
	muted           bool     // failf reports nothing (checkBranching's replays)
	attempts, steps int
	allocs          float64 // -1: not measured
	absorbed        int     // problems already handed to a CheckFactory report
	splitList       []string
}

// problemKey says when two problems are the same: the same check failed
// with the same message format, wherever and with whatever values.
type problemKey struct{ check, format string }

func newChecker(name string, opt CheckOptions) *checker {
	return &checker{name: name, opt: opt, allocs: -1,
		seen: map[problemKey]*Problem{}, where: map[problemKey]map[string]bool{}}
}

// failf records a problem; format and args as for fmt.Errorf (so %w wraps).
func (c *checker) failf(check, split string, task, step int, format string, args ...any) {
	if c.muted {
		return
	}
	k := problemKey{check, format}
	p, dup := c.seen[k]
	if dup {
		p.More++
	} else {
		p = &Problem{Family: c.name, Split: split, Task: task, Step: step, Check: check, Err: fmt.Errorf(format, args...)}
		c.seen[k] = p
		c.where[k] = map[string]bool{}
		c.probs = append(c.probs, p)
	}
	if split != "" && !c.where[k][split] {
		c.where[k][split] = true
		p.Splits++
	}
}

func (c *checker) err() error {
	errs := make([]error, len(c.probs))
	for i, p := range c.probs {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// absorb moves the problems and counts d found since the last call into c.
func (c *checker) absorb(d *checker) {
	c.probs = append(c.probs, d.probs[d.absorbed:]...)
	d.absorbed = len(d.probs)
	c.attempts += d.attempts
	c.steps += d.steps
	d.attempts, d.steps = 0, 0
}

// guard runs fn and turns a panic in it into a problem at r's step.
func (c *checker) guard(split string, task int, r *runner, fn func()) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			step := -1
			if r != nil {
				step = r.steps
			}
			c.failf("panic", split, task, step, "%v", v)
			ok = false
		}
	}()
	fn()
	return true
}

// start takes the family's spec and declarations and makes the runners. It
// reports false when the spec is unusable (nothing can be played).
func (c *checker) start(f Family) bool {
	c.f = f
	ok := c.guard("", -1, nil, func() {
		c.spec = f.Spec()
		c.splitList = f.Splits()
	})
	if !ok {
		return false
	}
	if err := c.spec.Validate(); err != nil {
		c.failf("spec", "", -1, -1, "%w", err)
		return false
	}
	if s, ok := f.(Stochastic); ok {
		c.stoch = s.Stochastic()
	}
	if e, ok := f.(EarlyEnder); ok {
		c.early = e.EarlyDone()
	}
	c.rater, _ = f.(RandomRater)
	c.loop, _ = f.(LoopholeActor)
	return c.guard("", -1, nil, func() {
		c.a, c.b = c.newRunner(), c.newRunner()
		c.br, _ = c.f.NewEnv().(Brancher)
	})
}

// run runs every check of Check on f. The family's methods are each
// guarded where they are played; the whole is guarded too, so that a panic
// in a method called in passing (PoolSize, Loophole) is a problem as well.
func (c *checker) run(f Family) {
	if !c.start(f) {
		return
	}
	c.guard("", -1, nil, c.runChecks)
}

func (c *checker) runChecks() {
	f := c.f
	c.checkFamily()
	splits := c.checkSplits()
	for _, split := range splits {
		c.checkSplit(split)
	}
	c.checkLeaks(splits)
	c.guard("", -1, nil, func() {
		if err := f.CheckDisjoint(c.opt.Disjoint); err != nil {
			c.failf("disjoint", "", -1, -1, "CheckDisjoint(%d): %w", c.opt.Disjoint, err)
		}
	})
	if c.rater != nil && c.opt.RandomAttempts > 0 {
		for _, split := range splits {
			c.checkRandom(split)
		}
	}
	if c.opt.AllocAttempts > 0 {
		c.probeAllocs(splits)
	}
}

func (c *checker) checkFamily() {
	if again := c.f.Spec(); !reflect.DeepEqual(again, c.spec) {
		c.failf("spec", "", -1, -1, "Spec() changed from one call to the next")
	}
	if c.f.Loophole() == "" {
		c.failf("spec", "", -1, -1, "Loophole() is empty: name the wrong behaviour a sloppy verifier accepts")
	}
	if c.f.Name() == "" {
		c.failf("spec", "", -1, -1, "Name() is empty")
	}
}

// checkSplits checks the split list and returns the splits worth playing.
func (c *checker) checkSplits() []string {
	splits := c.splitList
	if len(splits) == 0 {
		c.failf("splits", "", -1, -1, "Splits() is empty")
	}
	if again := c.f.Splits(); !slices.Equal(again, splits) {
		c.failf("splits", "", -1, -1, "Splits() changed from one call to the next: %v, then %v", splits, again)
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range splits {
		if seen[s] {
			c.failf("splits", s, -1, -1, "split listed twice")
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	if !seen[SplitTrain] {
		c.failf("splits", "", -1, -1, "no %s split: the job's tasks come from it", SplitTrain)
	}
	c.wantTaskError("no such split", 0, "the split is unknown")
	return out
}

// task calls Task and checks what it returns against what was asked.
func (c *checker) task(split string, i int) (Task, bool) {
	var t Task
	var err error
	if !c.guard(split, i, nil, func() { t, err = c.f.Task(split, i) }) {
		return t, false
	}
	if err != nil {
		c.failf("task", split, i, -1, "Task: %w", err)
		return t, false
	}
	if t.Split != split || t.Index != i {
		c.failf("task", split, i, -1, "Task returned split %q index %s", t.Split, taskIndexString(t.Index))
	}
	if t.Len < 1 || t.Len > c.spec.MaxLen {
		c.failf("task", split, i, -1, "Len = %d, outside [1, MaxLen = %d]", t.Len, c.spec.MaxLen)
	}
	return t, true
}

func (c *checker) wantTaskError(split string, i int, why string) {
	c.guard(split, i, nil, func() {
		if _, err := c.f.Task(split, i); err == nil {
			c.failf("task", split, -1, -1, "Task(%q, %d) is not an error: %s", split, i, why)
		}
	})
}

func (c *checker) checkSplit(split string) {
	pool := c.f.PoolSize(split)
	if pool < 0 {
		c.failf("task", split, -1, -1, "PoolSize = %d < 0", pool)
		pool = 0
	}
	c.wantTaskError(split, -1, "a negative index")
	var idx []int
	for i := 0; i < c.opt.Tasks && (pool == 0 || i < pool); i++ {
		idx = append(idx, i)
	}
	if pool > 0 {
		if pool > c.opt.Tasks {
			idx = append(idx, pool-1)
		}
		for j := 0; j < c.opt.Tasks; j++ {
			idx = append(idx, FreshIndex+j)
		}
		if pool < FreshIndex {
			c.wantTaskError(split, pool, "the index is past the pool's end and before FreshIndex")
			c.wantTaskError(split, FreshIndex-1, "the index is past the pool's end and before FreshIndex")
		}
		c.checkPool(split, pool)
	}
	if split == SplitPretrain {
		for j := 0; j < c.opt.Tasks; j++ {
			idx = append(idx, PrivateIndex+j)
		}
	}
	for _, i := range idx {
		c.checkTask(split, i)
	}
}

// checkPool reads a pooled split's pool: distinct keys, and fresh instances
// whose keys are none of them.
func (c *checker) checkPool(split string, pool int) {
	keys := map[uint64]int{}
	for i := range min(pool, checkPoolCap) {
		t, ok := c.task(split, i)
		if !ok {
			continue
		}
		if j, dup := keys[t.Key]; dup {
			c.failf("task", split, i, -1, "has the key of pool task %d: PoolSize counts distinct tasks", j)
		}
		keys[t.Key] = i
	}
	for j := range c.opt.Tasks {
		t, ok := c.task(split, FreshIndex+j)
		if !ok {
			continue
		}
		if i, dup := keys[t.Key]; dup {
			c.failf("task", split, FreshIndex+j, -1, "fresh instance has the key of pool task %d", i)
		}
		keys[t.Key] = FreshIndex + j
	}
}

// checkTask plays task i of split: twice in lockstep for determinism, then
// with Correct() and, where declared, with the loophole policy.
func (c *checker) checkTask(split string, i int) {
	t1, ok1 := c.task(split, i)
	t2, ok2 := c.task(split, i)
	if !ok1 || !ok2 {
		return
	}
	if t1.Key != t2.Key || t1.Len != t2.Len {
		c.failf("determinism", split, i, -1, "Task twice gave key %x, Len %d, then key %x, Len %d", t1.Key, t1.Len, t2.Key, t2.Len)
		return
	}
	c.lockstep(split, i, &t1, &t2)
	if c.br != nil {
		c.checkBranching(split, i, &t1)
	}
	c.play(c.a, split, i, &t1, policy{kind: polOracle})
	if c.loop != nil {
		if c.play(c.a, split, i, &t1, policy{kind: polLoophole}) && c.a.finished && !c.a.out.Loophole {
			c.failf("loophole", split, i, -1, "the loophole policy (LoopholeAction at every step) did not raise Outcome.Loophole")
		}
	}
}

// lockstep plays t1 in runner a and t2 in runner b, step for step with the
// same actions, and wants identical attempts.
func (c *checker) lockstep(split string, i int, t1, t2 *Task) {
	a, b := c.a, c.b
	p := policy{kind: polKeyed}
	c.guard(split, i, a, func() {
		a.reset(split, i, t1)
		b.reset(split, i, t2)
		if a.cur != b.cur {
			c.failf("determinism", split, i, 0, "the same task reset in two environments gave different observations")
			return
		}
		for !a.done && !b.done {
			a.step(p)
			b.step(p)
			if a.trace[len(a.trace)-1] != b.trace[len(b.trace)-1] || a.cur != b.cur {
				c.failf("determinism", split, i, a.steps-1, "the same task and actions gave different observations, answers or step results in two environments")
				return
			}
		}
		if a.done != b.done || a.out != b.out {
			c.failf("determinism", split, i, -1, "the same task and actions gave different outcomes: %+v and %+v", a.out, b.out)
		}
	})
}

// play runs one attempt at t with policy p; false if it panicked.
func (c *checker) play(r *runner, split string, i int, t *Task, p policy) bool {
	return c.guard(split, i, r, func() {
		r.reset(split, i, t)
		for !r.done {
			r.step(p)
		}
	})
}

// fingerprint plays task i of split with the step-keyed actions and returns
// the hash of the whole attempt and of what it showed (observations and
// Correct() answers).
func (c *checker) fingerprint(split string, i int) (t Task, full, visible uint64, ok bool) {
	t, ok = c.task(split, i)
	if !ok || !c.play(c.a, split, i, &t, policy{kind: polKeyed}) {
		return t, 0, 0, false
	}
	h := hashOf(c.a.visible)
	for _, x := range c.a.trace {
		h.add(x)
	}
	o := c.a.out
	h.add(uint64(o.Steps), uint64(o.Correct), math.Float64bits(o.Score), bit(o.Success), bit(o.Loophole))
	return t, uint64(h), c.a.visible, true
}

// checkLeaks compares every other split's first tasks with train's pool.
func (c *checker) checkLeaks(splits []string) {
	if !slices.Contains(splits, SplitTrain) {
		return
	}
	n := c.f.PoolSize(SplitTrain)
	if n <= 0 {
		n = c.opt.Disjoint
	}
	keys := map[uint64]int{} // key -> train pool index
	seen := map[uint64]int{} // visible fingerprint -> the first train pool index showing it
	for i := range min(n, checkPoolCap) {
		t, _, vis, ok := c.fingerprint(SplitTrain, i)
		if ok {
			keys[t.Key] = i
			if _, dup := seen[vis]; !dup {
				seen[vis] = i
			}
		}
	}
	for _, split := range splits {
		if split == SplitTrain {
			continue
		}
		m := c.opt.Disjoint
		if p := c.f.PoolSize(split); p > 0 {
			m = min(m, p)
		}
		for i := range m {
			t, _, vis, ok := c.fingerprint(split, i)
			if !ok {
				continue
			}
			if j, leak := keys[t.Key]; leak {
				c.failf("leak", split, i, -1, "has the key of train task %d: a held-out task is one of the job's", j)
			} else if j, leak := seen[vis]; leak {
				c.failf("leak", split, i, -1, "replays train task %d: the same observations and answers under the same actions", j)
			}
		}
	}
}

// compareSeeds plays the first Tasks tasks of every split in c's family and
// d's: with same, they must give identical attempts (the same seed builds
// the same family); without, some attempt of each split must differ.
func (c *checker) compareSeeds(d *checker, same bool) {
	if c.a == nil || d.a == nil {
		return
	}
	if same && (!reflect.DeepEqual(c.spec, d.spec) || !slices.Equal(c.splitList, d.splitList)) {
		c.failf("seed", "", -1, -1, "building the family twice at seed %d gave different specs or splits", c.seed)
		return
	}
	for _, split := range c.splitList {
		if !slices.Contains(d.splitList, split) {
			continue
		}
		differ, compared := false, 0
		for i := 0; i < c.opt.Tasks; i++ {
			if p := c.f.PoolSize(split); p > 0 && i >= p {
				break
			}
			_, x, _, ok1 := c.fingerprint(split, i)
			_, y, _, ok2 := d.fingerprint(split, i)
			if !ok1 || !ok2 {
				continue
			}
			compared++
			if x != y {
				differ = true
				if same {
					c.failf("seed", split, i, -1, "building the family twice at seed %d gave different attempts at this task", c.seed)
					break
				}
			}
		}
		if !same && compared > 0 && !differ {
			c.failf("seed", split, -1, -1, "seeds %d and %d gave identical attempts at the first %d tasks", c.seed, d.seed, compared)
		}
	}
}

// checkRandom measures the random policy on split against the declared
// closed form.
func (c *checker) checkRandom(split string) {
	var p, q float64
	var ok bool
	if !c.guard(split, -1, nil, func() { p, q, ok = c.rater.RandomRate(split) }) || !ok {
		return
	}
	if !(p >= 0 && p <= 1 && q >= 0 && q <= 1) {
		c.failf("random-policy", split, -1, -1, "RandomRate = (%v, %v): not probabilities", p, q)
		return
	}
	pool := c.f.PoolSize(split)
	n := c.opt.RandomAttempts
	if pool > 0 {
		n = min(n, PrivateIndex-FreshIndex)
	}
	wins, played := 0, 0
	sum, sum2 := 0.0, 0.0
	key := StringKey(split)
	for j := range n {
		i := j
		if pool > 0 {
			i = FreshIndex + j
		}
		t, ok := c.task(split, i)
		if !ok || !c.play(c.a, split, i, &t, policy{kind: polRandom, key: Key(uint64(purposeCheck), key, uint64(i))}) || !c.a.finished {
			continue
		}
		played++
		if c.a.out.Success {
			wins++
		}
		sum += c.a.out.Score
		sum2 += c.a.out.Score * c.a.out.Score
	}
	if played == 0 {
		return
	}
	nf := float64(played)
	got := float64(wins) / nf
	if tol := c.opt.Z*math.Sqrt(p*(1-p)/nf) + 1/nf; math.Abs(got-p) > tol {
		c.failf("random-policy", split, -1, -1, "a uniformly random policy succeeded at %.4g over %d attempts; RandomRate declares %.4g (tolerance %.2g)", got, played, p, tol)
	}
	mean := sum / nf
	sd := math.Sqrt(max(sum2/nf-mean*mean, 0))
	if tol := c.opt.Z*sd/math.Sqrt(nf) + 1/nf; math.Abs(mean-q) > tol {
		c.failf("random-policy", split, -1, -1, "a uniformly random policy scored %.4g on average over %d attempts; RandomRate declares %.4g (tolerance %.2g)", mean, played, q, tol)
	}
}

// probeAllocs counts the allocations of Reset, Step, Correct and Outcome
// over attempts at tasks built beforehand, with an environment of its own.
func (c *checker) probeAllocs(splits []string) {
	var tasks []Task
	for _, split := range splits {
		m := c.opt.Tasks
		if p := c.f.PoolSize(split); p > 0 {
			m = min(m, p)
		}
		for i := range m {
			if t, ok := c.task(split, i); ok && t.Len <= c.spec.MaxLen {
				tasks = append(tasks, t)
			}
		}
	}
	if len(tasks) == 0 {
		return
	}
	var env Env
	obs := NewObs(c.spec)
	A, maxLen, n := c.spec.Actions, c.spec.MaxLen, c.opt.AllocAttempts
	attempt := func(k int) (steps int) {
		env.Reset(&tasks[k%len(tasks)], &obs)
		for s := 0; s < maxLen; s++ {
			_ = env.Correct()
			steps++
			if env.Step((k+s)%A, &obs).Done {
				break
			}
		}
		_ = env.Outcome()
		return steps
	}
	var before, after runtime.MemStats
	fewest, steps := uint64(math.MaxUint64), 0
	ok := c.guard("", -1, nil, func() {
		defer func() { // name where the panic came from, then pass it on
			if v := recover(); v != nil {
				panic(fmt.Sprintf("in the allocation probe: %v", v))
			}
		}()
		env = c.f.NewEnv()
		for k := range len(tasks) { // warm up: lazily sized scratch is allowed
			c.steps += attempt(k)
		}
		c.attempts += len(tasks)
		for range 3 {
			steps = 0
			runtime.ReadMemStats(&before)
			for k := range n {
				steps += attempt(k)
			}
			runtime.ReadMemStats(&after)
			fewest = min(fewest, after.Mallocs-before.Mallocs)
			c.attempts += n
			c.steps += steps
		}
	})
	if !ok || steps == 0 {
		return
	}
	c.allocs = float64(fewest) / float64(steps)
	if fewest > 0 {
		c.failf("allocs", "", -1, -1, "Reset, Step, Correct and Outcome made %d allocations over %d attempts (%d steps; the fewest of 3 repeats): they must allocate nothing", fewest, n, steps)
	}
}

var purposeCheck = PurposeOf("check")

type policyKind uint8

const (
	polKeyed    policyKind = iota // an action keyed by the step alone: the same for every task
	polOracle                     // Correct()
	polRandom                     // uniform, keyed by (task, step)
	polLoophole                   // LoopholeAction
	polPath                       // path[s], keyed (as polRandom) past its end
)

type policy struct {
	kind policyKind
	key  uint64
	path []int // polPath's actions
}

// Sentinels the checker writes before every Reset and Step: a NaN with a
// payload of its own, and an index no channel allows.
var (
	poisonBits  = uint64(0x7FF8_C4EC_0BAD_F00D)
	poisonDense = math.Float64frombits(poisonBits)
)

const poisonIndex = math.MinInt

// runner plays attempts in one environment with the contract checks of
// every Reset and Step.
type runner struct {
	c     *checker
	env   Env
	obs   Obs
	dense [][]float64 // the Dense slice NewObs made
	base  [][]float64 // its buffers, to catch replaced ones
	index []int

	split    string
	i        int
	task     *Task
	steps    int
	correct  int
	done     bool // the attempt is over (Done, or abandoned)
	finished bool // it ended with Done where it should
	cur      uint64
	trace    []uint64 // per step: observation, Correct(), action, step result
	visible  uint64   // the observations and Correct() answers alone
	out      Outcome
}

func (c *checker) newRunner() *runner {
	r := &runner{c: c, env: c.f.NewEnv(), obs: NewObs(c.spec)}
	r.dense, r.index = r.obs.Dense, r.obs.Index
	r.base = slices.Clone(r.obs.Dense)
	return r
}

func (r *runner) poison() {
	r.obs.Dense, r.obs.Index = r.dense, r.index
	for i, b := range r.base {
		r.dense[i] = b
		for j := range b {
			b[j] = poisonDense
		}
		r.index[i] = poisonIndex
	}
	r.obs.Step = -1
}

func (r *runner) reset(split string, i int, t *Task) {
	r.split, r.i, r.task = split, i, t
	r.steps, r.correct, r.done, r.finished = 0, 0, false, false
	r.trace = r.trace[:0]
	r.out = Outcome{}
	r.poison()
	r.c.attempts++
	r.env.Reset(t, &r.obs)
	r.checkObs(0)
	r.visible = uint64(hashOf(r.cur))
	if o := r.env.Outcome(); o.Steps != 0 || o.Correct != 0 || o.Success {
		r.c.failf("outcome", split, i, 0, "after Reset, Outcome() = %+v: want no steps, no correct steps, no success", o)
	}
}

func (r *runner) step(p policy) {
	c := r.c
	A := c.spec.Actions
	s := r.steps
	ans := r.env.Correct()
	if ans < 0 || ans >= A {
		c.failf("correct", r.split, r.i, s, "Correct() = %d, outside [0, %d)", ans, A)
	}
	var a int
	switch p.kind {
	case polKeyed:
		a = int(Uniform(Key(uint64(purposeCheck), uint64(s))) * float64(A))
	case polOracle:
		a = ans
	case polRandom:
		a = int(Uniform(Key(p.key, uint64(s))) * float64(A))
	case polLoophole:
		a = c.loop.LoopholeAction(&r.obs)
	case polPath:
		a = int(Uniform(Key(p.key, uint64(s))) * float64(A))
		if s < len(p.path) {
			a = p.path[s]
		}
	}
	if a < 0 || a >= A { // keyed and random actions never are; Correct() and LoopholeAction may be
		if p.kind == polLoophole {
			c.failf("loophole", r.split, r.i, s, "LoopholeAction = %d, outside [0, %d)", a, A)
		}
		r.done = true // no action to take: the attempt is abandoned
		return
	}
	h := hashOf(r.cur, uint64(ans))
	r.visible = uint64(hashOf(r.visible, uint64(h)))
	r.poison()
	res := r.env.Step(a, &r.obs)
	r.steps++
	c.steps++
	if res.Correct {
		r.correct++
	}
	h.add(uint64(a), bit(res.Correct), bit(res.Done))
	r.trace = append(r.trace, uint64(h))
	if p.kind == polOracle && !res.Correct && !c.stoch {
		c.failf("oracle", r.split, r.i, s, "the action Correct() named (%d) was judged wrong; a family whose verdicts are draws implements Stochastic", a)
	}
	o := r.env.Outcome()
	if o.Steps != r.steps || o.Correct != r.correct {
		c.failf("outcome", r.split, r.i, s, "Outcome() counts %d steps, %d correct; %d were taken, %d judged correct", o.Steps, o.Correct, r.steps, r.correct)
	}
	switch {
	case res.Done && r.steps != r.task.Len && !(c.early && r.steps < r.task.Len):
		c.failf("done", r.split, r.i, s, "Step returned Done after %d steps; the task has Len %d", r.steps, r.task.Len)
		r.done = true
	case res.Done:
		r.done, r.finished, r.out = true, true, o
		r.checkOutcome(o)
	case r.steps >= r.task.Len:
		c.failf("done", r.split, r.i, s, "Step did not return Done at the task's end (Len %d)", r.task.Len)
		r.done = true
	case r.steps >= c.spec.MaxLen:
		c.failf("done", r.split, r.i, s, "no Done after MaxLen = %d steps", c.spec.MaxLen)
		r.done = true
	default:
		r.checkObs(r.steps)
	}
}

// checkOutcome checks a finished attempt's outcome.
func (r *runner) checkOutcome(o Outcome) {
	c, s, i := r.c, r.split, r.i
	if o.Correct < 0 || o.Correct > o.Steps {
		c.failf("outcome", s, i, -1, "Outcome().Correct = %d, outside [0, Steps = %d]", o.Correct, o.Steps)
	}
	if !(o.Score >= 0 && o.Score <= 1) {
		c.failf("outcome", s, i, -1, "Outcome().Score = %v, outside [0, 1]", o.Score)
	}
	if want := o.Steps > 0 && o.Correct == o.Steps; o.Success != want {
		c.failf("outcome", s, i, -1, "Outcome().Success = %v with %d of %d steps correct: success is every step correct", o.Success, o.Correct, o.Steps)
	}
	if o.Success && o.Score != 1 {
		c.failf("outcome", s, i, -1, "Outcome().Score = %v for a success: a success scores 1", o.Score)
	}
}

// checkObs checks the observation written for the given step and hashes it
// into r.cur.
func (r *runner) checkObs(step int) {
	c, o, spec := r.c, &r.obs, r.c.spec
	split, i := r.split, r.i
	r.cur = 0
	if len(o.Dense) != len(spec.Channels) || len(o.Index) != len(spec.Channels) {
		c.failf("obs", split, i, step, "the observation has %d dense and %d index slots for %d channels: Reset and Step write into the caller's buffers", len(o.Dense), len(o.Index), len(spec.Channels))
		return
	}
	for ci, ch := range spec.Channels {
		switch ch.Kind {
		case Dense:
			v := o.Dense[ci]
			if len(v) != ch.Size {
				c.failf("obs", split, i, step, "dense channel %s has length %d, declared %d", ch.Name, len(v), ch.Size)
				continue
			}
			if &v[0] != &r.base[ci][0] {
				c.failf("obs", split, i, step, "dense channel %s is a buffer of the environment's own: Reset and Step write into the caller's", ch.Name)
			}
			for j, x := range v {
				if math.Float64bits(x) == poisonBits {
					c.failf("obs", split, i, step, "dense channel %s[%d] was not written (declared size %d)", ch.Name, j, ch.Size)
					break
				}
				if math.IsNaN(x) || math.IsInf(x, 0) {
					c.failf("obs", split, i, step, "dense channel %s[%d] = %v: not finite", ch.Name, j, x)
					break
				}
			}
		case Index:
			if o.Dense[ci] != nil {
				c.failf("obs", split, i, step, "index channel %s has a dense buffer", ch.Name)
			}
			switch x := o.Index[ci]; {
			case x == poisonIndex:
				c.failf("obs", split, i, step, "index channel %s was not written", ch.Name)
			case x < -1 || x >= ch.Size:
				c.failf("obs", split, i, step, "index channel %s = %d, outside [-1, %d)", ch.Name, x, ch.Size)
			}
		}
	}
	if o.Step != step {
		c.failf("obs", split, i, step, "Obs.Step = %d, want %d (the step the observation asks about)", o.Step, step)
	}
	r.cur = obsHash(spec, o)
}

// obsHash hashes an observation: its step and every channel's values.
func obsHash(spec Spec, o *Obs) uint64 {
	h := hashOf(uint64(o.Step))
	for ci, ch := range spec.Channels {
		switch ch.Kind {
		case Dense:
			for _, x := range o.Dense[ci][:min(len(o.Dense[ci]), ch.Size)] {
				h.add(math.Float64bits(x))
			}
		case Index:
			h.add(uint64(o.Index[ci]))
		}
	}
	return uint64(h)
}

// hash is a running hash of 64-bit words (Mix-chained, as Key is).
type hash uint64

func hashOf(xs ...uint64) hash {
	h := hash(0x9E3779B97F4A7C15)
	h.add(xs...)
	return h
}

func (h *hash) add(xs ...uint64) {
	for _, x := range xs {
		*h = hash(Mix(uint64(*h) ^ x))
	}
}

func bit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
