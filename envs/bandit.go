package envs

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// The bandit family (DESIGN 3.2): a contextual bandit whose expected reward
// under any fixed policy has a closed form, so the harness and the learners
// can be checked against exact numbers. It is the sanity family.
//
// Arm a has a hidden vector theta_a ~ N(0, I_d). Each split has a finite set
// of unit context vectors x_c, each with an identity of its own. A task is
// `length` steps; every step draws its context uniformly from the split's set
// and pays reward 1 with probability p(c, a) = sigmoid(scale theta_a . x_c).
// Since x_c has unit norm, theta_a . x_c ~ N(0, 1) whatever d is, so scale
// alone sets how peaked the arms are. Steps are independent, so a memoryless
// policy pi succeeds at a task with probability
//
//	(mean over the split's contexts c of sum_a pi(a|c) p(c, a)) ^ length
//
// (Bandit.ExpectedSuccess). Rewards are keyed by (task, step, arm): a reset
// replays the same outcome for the same action.

func init() {
	Register(Factory{
		Name:      "bandit",
		Doc:       "contextual bandit with closed-form expected reward under any fixed policy: the sanity family (docs/science.md)",
		NewConfig: func() any { c := DefaultBandit(); return &c },
		New: func(cfg any, seed uint64) (Family, error) {
			c, ok := cfg.(*BanditConfig)
			if !ok {
				return nil, fmt.Errorf("bandit: config has type %T, want *BanditConfig", cfg)
			}
			return NewBandit(*c, seed)
		},
	})
}

// BanditConfig holds the bandit family's knobs.
type BanditConfig struct {
	D                int     `toml:"d" range:"2,256" doc:"context dimensions (at least 2, so that distinct unit contexts exist)"`
	Actions          int     `toml:"arms" range:"2,64" doc:"arms, A: the actions of every step"`
	Length           int     `toml:"length" range:"1,64" doc:"steps per task, L; each draws its own context, so expected success is the per-step mean to the power L"`
	TrainContexts    int     `toml:"train_contexts" range:"1,65536" doc:"contexts the job's tasks draw from"`
	HeldoutContexts  int     `toml:"heldout_contexts" range:"1,65536" doc:"new contexts of the heldout split, disjoint from train and pretrain"`
	PretrainContexts int     `toml:"pretrain_contexts" range:"1,65536" doc:"contexts seen in pretraining"`
	TrainTasks       int     `toml:"train_tasks" range:"1,1000000" doc:"task instances in the job's pool (contexts times reward draws)"`
	Scale            float64 `toml:"scale" range:"0,100" doc:"how peaked arm success probabilities are: p = sigmoid(scale theta_a . x); 0 makes every arm a fair coin"`
}

// DefaultBandit returns small, fast defaults: with them the best arm pays
// about 0.75 on average and a uniformly random one 0.5.
func DefaultBandit() BanditConfig {
	return BanditConfig{
		D: 4, Actions: 4, Length: 1,
		TrainContexts: 16, HeldoutContexts: 16, PretrainContexts: 64,
		TrainTasks: 256, Scale: 2,
	}
}

// Validate reports knobs the family cannot be built from. It repeats the
// range checks a config loader makes, since NewBandit may be called
// directly.
func (c BanditConfig) Validate() error {
	var errs []error
	if c.D < 2 {
		errs = append(errs, fmt.Errorf("d = %d: need at least 2: in one dimension there are only two unit contexts, so held-out ones could not be new", c.D))
	}
	if c.Actions < 2 {
		errs = append(errs, fmt.Errorf("arms = %d: need at least 2", c.Actions))
	}
	if c.Length < 1 {
		errs = append(errs, fmt.Errorf("length = %d: need at least 1", c.Length))
	}
	for _, k := range []struct {
		name string
		n    int
	}{{"train_contexts", c.TrainContexts}, {"heldout_contexts", c.HeldoutContexts}, {"pretrain_contexts", c.PretrainContexts}} {
		if k.n < 1 {
			errs = append(errs, fmt.Errorf("%s = %d: need at least 1", k.name, k.n))
		}
	}
	if c.TrainTasks < 1 || c.TrainTasks > FreshIndex {
		errs = append(errs, fmt.Errorf("train_tasks = %d: need 1 to %d, so that the pool ends before the fresh instances start", c.TrainTasks, FreshIndex))
	}
	if !(c.Scale >= 0) || math.IsInf(c.Scale, 0) {
		errs = append(errs, fmt.Errorf("scale = %v: need a finite number >= 0", c.Scale))
	}
	return errors.Join(errs...)
}

// The bandit family's observation channels, in its Spec's order.
const (
	banditX = iota
	banditContext
)

// The bandit's held-out split; train and pretrain use the well-known names.
const banditHeldout = "heldout"

var (
	purposeContext = PurposeOf("bandit-context")
	purposeReward  = PurposeOf("bandit-reward")
)

type banditTask struct {
	ctx []int // context identity, one per step
}

// Bandit is the bandit family for one seed.
type Bandit struct {
	cfg    BanditConfig
	seed   uint64
	spec   Spec
	splits []string
	groups map[string][]int // split -> identities of its contexts
	x      []float64        // context vectors, one row of d per identity
	p      []float64        // p(c, a), one row of A per identity
	best   []int            // argmax_a p(c, a) per identity
}

var _ Family = (*Bandit)(nil)

// NewBandit builds the family for a seed.
func NewBandit(c BanditConfig, seed uint64) (*Bandit, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("bandit: %w", err)
	}
	A, d := c.Actions, c.D
	f := &Bandit{cfg: c, seed: seed, groups: map[string][]int{},
		splits: []string{SplitTrain, banditHeldout, SplitPretrain}}
	theta := normals(Rand(Key(seed, uint64(PurposeBasis))), A*d)
	for _, s := range []struct {
		split string
		n     int
	}{{SplitTrain, c.TrainContexts}, {banditHeldout, c.HeldoutContexts}, {SplitPretrain, c.PretrainContexts}} {
		// Keyed by split, so one split's contexts do not move when another
		// split's count changes.
		rng := Rand(Key(seed, uint64(purposeContext), StringKey(s.split)))
		for range s.n {
			id := len(f.best)
			x := unitIn(rng, d, 0, d)
			best, bestV := 0, math.Inf(-1)
			for a := range A {
				v := dot(theta[a*d:(a+1)*d], x)
				f.p = append(f.p, 1/(1+math.Exp(-c.Scale*v)))
				// By the raw value, not p: the argmax is then defined even
				// at scale 0. Continuous values: exact ties have probability 0.
				if v > bestV {
					best, bestV = a, v
				}
			}
			f.x = append(f.x, x...)
			f.best = append(f.best, best)
			f.groups[s.split] = append(f.groups[s.split], id)
		}
	}
	f.spec = Spec{Actions: A, MaxLen: c.Length, Channels: []Channel{
		banditX:       {Name: "x", Kind: Dense, Size: d, Doc: "the step's unit context vector"},
		banditContext: {Name: "context", Kind: Index, Size: len(f.best), Doc: "the step's context identity (can only be memorized: a new context's identity is new)"},
	}}
	return f, nil
}

// Name implements Family.
func (f *Bandit) Name() string { return "bandit" }

// Spec implements Family.
func (f *Bandit) Spec() Spec { return f.spec }

// Splits implements Family.
func (f *Bandit) Splits() []string { return append([]string(nil), f.splits...) }

// Loophole implements Family.
func (f *Bandit) Loophole() string {
	return "always pull arm 0: a sloppy verifier passes attempts whose every action is 0"
}

// LoopholeAction implements LoopholeActor: the loophole is pulling arm 0.
func (f *Bandit) LoopholeAction(*Obs) int { return 0 }

// Stochastic implements Stochastic: a step's reward is a draw, so the best
// arm (Correct) may go unrewarded.
func (f *Bandit) Stochastic() bool { return true }

// RandomRate implements RandomRater: ExpectedSuccess and ExpectedScore of
// the uniform policy.
func (f *Bandit) RandomRate(split string) (success, score float64, ok bool) {
	uniform := func(_ *Obs, dst []float64) {
		for a := range dst {
			dst[a] = 1 / float64(len(dst))
		}
	}
	q, err := f.ExpectedScore(split, uniform)
	if err != nil {
		return 0, 0, false
	}
	return math.Pow(q, float64(f.cfg.Length)), q, true
}

// PoolSize implements Family: the job's pool is finite, every other split
// unbounded.
func (f *Bandit) PoolSize(split string) int {
	if split == SplitTrain {
		return f.cfg.TrainTasks
	}
	return 0
}

func (f *Bandit) group(split string) ([]int, error) {
	g, ok := f.groups[split]
	if !ok {
		return nil, fmt.Errorf("bandit: unknown split %q (known: %s)", split, strings.Join(f.splits, ", "))
	}
	return g, nil
}

// Task implements Family. Every instance draws its own contexts and keys
// its own rewards, so a fresh train instance (from FreshIndex on) shares
// no reward draw with the pool even where it shows the same contexts.
func (f *Bandit) Task(split string, i int) (Task, error) {
	if i < 0 {
		return Task{}, fmt.Errorf("bandit: task index %d < 0", i)
	}
	group, err := f.group(split)
	if err != nil {
		return Task{}, err
	}
	if split == SplitTrain && i >= f.cfg.TrainTasks && i < FreshIndex {
		return Task{}, fmt.Errorf("bandit: train task %d is outside the job's pool of %d", i, f.cfg.TrainTasks)
	}
	key := Key(f.seed, StringKey(split), uint64(i))
	ctx := make([]int, f.cfg.Length)
	for s := range ctx {
		ctx[s] = group[int(Uniform(Key(key, uint64(PurposeTask), uint64(s)))*float64(len(group)))]
	}
	return Task{Split: split, Index: i, Key: key, Len: len(ctx), Data: &banditTask{ctx: ctx}}, nil
}

// CheckDisjoint implements Family: every context belongs to one split;
// heldout contexts are new, by identity and by vector, to both train and
// pretrain; and the first n tasks of every split draw only from their own
// split's contexts, read back from the tasks rather than trusted to the
// generator.
func (f *Bandit) CheckDisjoint(n int) error {
	owner := map[int]string{}
	for _, split := range f.splits {
		for _, id := range f.groups[split] {
			if prev, dup := owner[id]; dup {
				return fmt.Errorf("bandit: context %d belongs to both %s and %s", id, prev, split)
			}
			owner[id] = split
		}
	}
	d := f.cfg.D
	for _, id := range f.groups[banditHeldout] {
		x := f.x[id*d : (id+1)*d]
		for _, other := range []string{SplitTrain, SplitPretrain} {
			for _, o := range f.groups[other] {
				// Equal up to rounding: a near copy is the same context.
				if dist2(x, f.x[o*d:(o+1)*d]) < 1e-18 {
					return fmt.Errorf("bandit: heldout context %d equals %s context %d", id, other, o)
				}
			}
		}
	}
	for _, split := range f.splits {
		m := n
		if p := f.PoolSize(split); p > 0 {
			m = min(m, p)
		}
		for i := range m {
			t, err := f.Task(split, i)
			if err != nil {
				return fmt.Errorf("bandit: check disjoint: %w", err)
			}
			for _, id := range t.Data.(*banditTask).ctx {
				if owner[id] != split {
					return fmt.Errorf("bandit: %s task %d uses context %d of split %q", split, i, id, owner[id])
				}
			}
		}
	}
	return nil
}

func dist2(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return s
}

// observe writes context c's observation at the given step.
func (f *Bandit) observe(c, step int, obs *Obs) {
	d := f.cfg.D
	copy(obs.Dense[banditX], f.x[c*d:(c+1)*d])
	obs.Index[banditContext] = c
	obs.Step = step
}

// ExpectedScore is the exact expected fraction of rewarded steps of a task
// of split under the memoryless policy probs (a function of the observation
// alone, not of Step or the attempt's history), over the split's task
// distribution and reward draws: the mean over the split's contexts c of
// sum_a pi(a|c) p(c, a). probs is called once per context with an
// observation of it (Step 0) and a zeroed dst of length A, and must write a
// probability distribution over the arms into dst.
//
// Fresh train instances and the unbounded splits follow that distribution;
// the finite train pool is one sample of it, so a measurement over the pool
// differs from it by sampling error of order 1/sqrt(train_tasks).
func (f *Bandit) ExpectedScore(split string, probs func(o *Obs, dst []float64)) (float64, error) {
	group, err := f.group(split)
	if err != nil {
		return 0, err
	}
	A := f.cfg.Actions
	obs := NewObs(f.spec)
	dst := make([]float64, A)
	sum := 0.0
	for _, c := range group {
		f.observe(c, 0, &obs)
		clear(dst)
		probs(&obs, dst)
		tot, q := 0.0, 0.0
		for a, pa := range dst {
			if !(pa >= 0 && pa <= 1) {
				return 0, fmt.Errorf("bandit: policy gives arm %d probability %v in context %d", a, pa, c)
			}
			tot += pa
			q += pa * f.p[c*A+a]
		}
		if math.Abs(tot-1) > 1e-9 {
			return 0, fmt.Errorf("bandit: policy probabilities sum to %v in context %d, want 1", tot, c)
		}
		sum += q
	}
	return sum / float64(len(group)), nil
}

// ExpectedSuccess is the exact probability that the memoryless policy probs
// is rewarded at every step of a task of split: ExpectedScore to the power
// length, since steps draw their contexts and rewards independently. The
// same caveats as for ExpectedScore apply.
func (f *Bandit) ExpectedSuccess(split string, probs func(o *Obs, dst []float64)) (float64, error) {
	q, err := f.ExpectedScore(split, probs)
	if err != nil {
		return 0, err
	}
	return math.Pow(q, float64(f.cfg.Length)), nil
}

// Oracle is the privileged greedy policy, for ExpectedScore and tests: all
// probability on the best arm of o's context (what Env.Correct answers).
// It reads the context identity, so o must come from this family.
func (f *Bandit) Oracle(o *Obs, dst []float64) {
	clear(dst)
	dst[f.best[o.Index[banditContext]]] = 1
}

// NewEnv implements Family.
func (f *Bandit) NewEnv() Env { return &banditEnv{f: f} }

type banditEnv struct {
	f       *Bandit
	ctx     []int // the task's contexts
	key     uint64
	step    int
	correct int
	allZero bool
}

func (e *banditEnv) Reset(t *Task, obs *Obs) {
	e.ctx = t.Data.(*banditTask).ctx
	e.key = t.Key
	e.step, e.correct, e.allZero = 0, 0, true
	e.f.observe(e.ctx[0], 0, obs)
}

func (e *banditEnv) Step(action int, obs *Obs) StepResult {
	A := e.f.cfg.Actions
	if action < 0 || action >= A {
		panic(fmt.Sprintf("bandit: action %d outside [0, %d)", action, A))
	}
	if e.step >= len(e.ctx) {
		panic("bandit: Step after the attempt is done")
	}
	// Keyed by (task, step, arm) and not by attempt: a reset replays the
	// same reward for the same action, and arms draw independently.
	u := Uniform(Key(e.key, uint64(purposeReward), uint64(e.step), uint64(action)))
	ok := u < e.f.p[e.ctx[e.step]*A+action]
	if ok {
		e.correct++
	}
	if action != 0 {
		e.allZero = false
	}
	e.step++
	if e.step >= len(e.ctx) {
		return StepResult{Correct: ok, Done: true}
	}
	e.f.observe(e.ctx[e.step], e.step, obs)
	return StepResult{Correct: ok}
}

// Correct is the arm with the highest success probability in the current
// context (after the last step, in the last one).
func (e *banditEnv) Correct() int {
	return e.f.best[e.ctx[min(e.step, len(e.ctx)-1)]]
}

func (e *banditEnv) Outcome() Outcome {
	n := e.step
	o := Outcome{Steps: n, Correct: e.correct, Success: n > 0 && e.correct == n, Loophole: n > 0 && e.allZero}
	if n > 0 {
		o.Score = float64(e.correct) / float64(n)
	}
	return o
}

var _ Brancher = (*banditEnv)(nil)

// NewState implements Brancher. The state is the whole env (the task's contexts, the step and the counts: the reward's noise is keyed by (task, step, arm);
// everything else it points to is the task's or the family's and never
// changes).
func (e *banditEnv) NewState() EnvState { return new(banditEnv) }

// Save implements Brancher.
func (e *banditEnv) Save(s EnvState) { *s.(*banditEnv) = *e }

// Load implements Brancher.
func (e *banditEnv) Load(s EnvState) { *e = *s.(*banditEnv) }
