package envs

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The arith family: chains of operations on integers mod p, answered exactly,
// with credit per step.
//
// Operations. The op table holds, for each configured kind in order and
// each constant c in 0..p-1 in order, the map x -> add: x+c, mul: c x,
// rsub: c-x, pow: x^c (0^0 = 1), all mod p; a map that is the identity,
// constant, or equal to one already in the table is left out, so every op
// is a distinct non-trivial function (mod 7, mul 6 and rsub 0 are both
// x -> -x: kept once, under the kind listed first). The job's ops are num_ops
// of the table drawn from the seed; the first novel_ops of them are ops
// pretraining never shows, the job's novelty. Pretraining shows every other
// op of the table.
//
// Tasks. A task is a start value x_0 and a composition o_1 .. o_n of ops.
// Step i shows the current value x_i and the op o_i; the correct answer is
// o_i(x_i), one of the p actions. The next value is the value the agent
// answered, right or wrong, as in real chained arithmetic: an error
// propagates, and a later step is judged against the value the agent holds,
// so credit is per step. Success: every step correct (the chain done right,
// not only its final value: a wrong step can be followed by another wrong
// one that lands back on the true chain). Score: the fraction of steps
// correct. The loophole: answer 0 at every step, an attempt a sloppy
// verifier (one that checks only that answers are given) passes.
//
// Splits: train (the job's pool: train_sequences compositions of length L
// over the job's ops, times start values; fresh instances are the other
// start values of the same compositions), compose (new compositions of the
// job's ops, never one of the job's), longer@k (compositions of k L of the
// job's ops) and pretrain (compositions of L pretraining ops). There is no
// split of held-out ops: an op is described by its identity alone (a
// one-hot position, see below), so an op that neither pretraining nor the
// job shows is at chance, 1/p per step, for every learner by construction;
// such a split would measure nothing.
//
// Channels and what the models can represent. The value is one-hot and
// comes first; the op is one-hot over the table. The bilinear model's
// shared term x (x) op is then a lookup table of (value, op) -> action
// logits, so it can represent every op exactly (a novel one once learnt:
// its column starts untrained); the MLP
// represents the table only as far as its hidden layer allows. The
// memorizing channel names the step's position in one of the job's
// compositions (composition L + step): memorizing it learns "at this point
// of this chain, value v goes to a", which new compositions and longer
// chains do not share. (The op's own identity would not do: it is shared by
// every split that uses the op and repeats the shared term.)
//
// Calibration (Arith.Expected): the exact expected outcome of any
// memoryless policy, by dynamic programming over the current value. A
// uniformly random policy is right at each step with probability exactly
// 1/p, whatever the value it holds, so it scores 1/p and succeeds with
// probability (1/p)^n; the oracle always succeeds.

func init() {
	Register(Factory{
		Name:      "arith",
		Doc:       "chains of operations on integers mod p, answered exactly step by step; held out: new compositions, longer chains (envs/arith.go)",
		NewConfig: func() any { c := DefaultArith(); return &c },
		New: func(cfg any, seed uint64) (Family, error) {
			c, ok := cfg.(*ArithConfig)
			if !ok {
				return nil, fmt.Errorf("arith: config has type %T, want *ArithConfig", cfg)
			}
			return NewArith(*c, seed)
		},
	})
}

// ArithConfig holds the arith family's knobs.
type ArithConfig struct {
	P              int      `toml:"p" range:"2,97" doc:"modulus: values and answers are 0 .. p-1, the p actions (with p prime every mul is a permutation)"`
	Ops            []string `toml:"ops" doc:"op kinds in the table, each with every constant that gives a new non-trivial map: add (x+c), mul (c x), rsub (c-x), pow (x^c)"`
	NumOps         int      `toml:"num_ops" range:"1,10000" doc:"ops the job's compositions use, drawn from the table"`
	NovelOps       int      `toml:"novel_ops" range:"0,10000" doc:"of the job's ops, how many pretraining never shows: the job's novelty"`
	Length         int      `toml:"length" range:"1,64" doc:"ops per task, L"`
	TrainSequences int      `toml:"train_sequences" range:"1,100000" doc:"distinct compositions the job shows"`
	TrainTasks     int      `toml:"train_tasks" range:"1,1000000" doc:"task instances in the job's pool (compositions times start values); below train_sequences x p, so that fresh instances exist"`
	Longer         []int    `toml:"longer" range:"2,16" doc:"length multiples k: one longer@k split each (k L ops)"`
}

// DefaultArith returns small, fast defaults: 11 ops mod 7, four of them the
// job's, one of those new to pretraining.
func DefaultArith() ArithConfig {
	return ArithConfig{
		P: 7, Ops: []string{"add", "mul"}, NumOps: 4, NovelOps: 1, Length: 4,
		TrainSequences: 16, TrainTasks: 64, Longer: []int{2},
	}
}

// arithKinds are the op kinds, in the order Validate lists them.
var arithKinds = []string{"add", "mul", "rsub", "pow"}

// arithOp is one op of the table.
type arithOp struct {
	name string
	f    []int // f[x] = op(x) mod p
}

// arithTable builds the op table of p and kinds (validated).
func arithTable(p int, kinds []string) []arithOp {
	var ops []arithOp
	for _, kind := range kinds {
		for c := range p {
			f := make([]int, p)
			for x := range f {
				switch kind {
				case "add":
					f[x] = (x + c) % p
				case "mul":
					f[x] = c * x % p
				case "rsub":
					f[x] = ((c-x)%p + p) % p
				case "pow":
					f[x] = powMod(x, c, p)
				}
			}
			identity, constant := true, true
			for x, y := range f {
				identity = identity && y == x
				constant = constant && y == f[0]
			}
			if identity || constant || slices.ContainsFunc(ops, func(o arithOp) bool { return slices.Equal(o.f, f) }) {
				continue
			}
			ops = append(ops, arithOp{name: kind + " " + strconv.Itoa(c), f: f})
		}
	}
	return ops
}

// powMod is x^e mod p, with 0^0 = 1.
func powMod(x, e, p int) int {
	r := 1 % p
	for range e {
		r = r * x % p
	}
	return r
}

// Validate reports knobs the family cannot be built from. It repeats the
// range checks a config loader makes, since NewArith may be called
// directly.
func (c ArithConfig) Validate() error {
	var errs []error
	if c.P < 2 || c.P > 97 {
		errs = append(errs, fmt.Errorf("p = %d: need 2 to 97", c.P))
	}
	kindsOK := len(c.Ops) > 0
	if len(c.Ops) == 0 {
		errs = append(errs, fmt.Errorf("ops is empty: list kinds from %s", strings.Join(arithKinds, ", ")))
	}
	for i, k := range c.Ops {
		switch {
		case !slices.Contains(arithKinds, k):
			errs = append(errs, fmt.Errorf("ops: unknown kind %q (known: %s)", k, strings.Join(arithKinds, ", ")))
			kindsOK = false
		case slices.Contains(c.Ops[:i], k):
			errs = append(errs, fmt.Errorf("ops: %q is listed twice", k))
			kindsOK = false
		}
	}
	if c.Length < 1 {
		errs = append(errs, fmt.Errorf("length = %d: need at least 1", c.Length))
	}
	if c.NumOps < 1 {
		errs = append(errs, fmt.Errorf("num_ops = %d: need at least 1", c.NumOps))
	}
	if c.NovelOps < 0 || c.NovelOps > c.NumOps {
		errs = append(errs, fmt.Errorf("novel_ops = %d: need 0 to num_ops = %d", c.NovelOps, c.NumOps))
	}
	if kindsOK && c.P >= 2 && c.P <= 97 && c.NumOps >= 1 {
		n := len(arithTable(c.P, c.Ops))
		if c.NumOps > n {
			errs = append(errs, fmt.Errorf("num_ops = %d: the table of %s mod %d holds only %d distinct non-trivial ops", c.NumOps, strings.Join(c.Ops, ", "), c.P, n))
		} else if c.NovelOps >= n {
			errs = append(errs, fmt.Errorf("novel_ops = %d leaves pretraining none of the table's %d ops", c.NovelOps, n))
		}
	}
	if c.Length >= 1 && c.NumOps >= 1 {
		if seqs := math.Pow(float64(c.NumOps), float64(c.Length)); 2*float64(c.TrainSequences) > seqs {
			errs = append(errs, fmt.Errorf("train_sequences = %d: need at most half of num_ops^length = %.0f, so that compose has new orders", c.TrainSequences, seqs))
		}
	}
	if c.TrainSequences < 1 {
		errs = append(errs, fmt.Errorf("train_sequences = %d: need at least 1", c.TrainSequences))
	}
	if c.TrainTasks < c.TrainSequences || c.TrainTasks >= c.TrainSequences*c.P || c.TrainTasks > FreshIndex {
		errs = append(errs, fmt.Errorf("train_tasks = %d: need train_sequences = %d to train_sequences x p - 1 = %d, so that every composition is in the pool and fresh start values are left", c.TrainTasks, c.TrainSequences, c.TrainSequences*c.P-1))
	}
	seen := map[int]bool{}
	for _, k := range c.Longer {
		switch {
		case k < 2:
			errs = append(errs, fmt.Errorf("longer = %d: need multiples of at least 2", k))
		case seen[k]:
			errs = append(errs, fmt.Errorf("longer = %d is listed twice: split names must be unique", k))
		}
		seen[k] = true
	}
	return errors.Join(errs...)
}

// The arith family's observation channels, in its Spec's order.
const (
	arithValue = iota
	arithOpCh
	arithPosition
)

// The arith family's split of new compositions.
const arithCompose = "compose"

var (
	purposeArithOps   = PurposeOf("arith-ops")
	purposeArithSeq   = PurposeOf("arith-sequences")
	purposeArithStart = PurposeOf("arith-start")
)

// arithTask is one instance.
type arithTask struct {
	seq   []int // op table indices, one per step
	start int
	comp  int // the job's composition, or -1
}

// Arith is the arith family for one seed.
type Arith struct {
	cfg      ArithConfig
	seed     uint64
	spec     Spec
	splits   []string
	ops      []arithOp
	job      []int   // the job's ops (table indices); the first novel_ops are novel
	pretrain []int   // the ops pretraining shows
	seqs     [][]int // the job's compositions
	seen     map[string]bool
	starts   [][]int // per composition, its start values in pool order
	inPool   []int   // per composition, how many of its start values the pool holds
	spare    []int   // compositions with start values outside the pool
}

var _ Family = (*Arith)(nil)

// NewArith builds the family for a seed.
func NewArith(c ArithConfig, seed uint64) (*Arith, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("arith: %w", err)
	}
	f := &Arith{cfg: c, seed: seed, ops: arithTable(c.P, c.Ops), seen: map[string]bool{}}
	perm := Rand(Key(seed, uint64(purposeArithOps))).Perm(len(f.ops))
	f.job = perm[:c.NumOps]
	for i := range f.ops {
		if !slices.Contains(f.job[:c.NovelOps], i) {
			f.pretrain = append(f.pretrain, i)
		}
	}
	// The job's compositions, distinct; at most half of all orders, so a
	// draw is new with probability at least 1/2.
	rng := Rand(Key(seed, uint64(purposeArithSeq)))
	for len(f.seqs) < c.TrainSequences {
		seq := drawSeq(rng, f.job, c.Length)
		if k := seqKey(seq); !f.seen[k] {
			f.seen[k] = true
			f.seqs = append(f.seqs, seq)
		}
	}
	// Pool instance i is composition i mod S with its (i / S)-th start value
	// in a keyed order; the start values past the pool's are the fresh
	// instances'.
	S := c.TrainSequences
	f.inPool = make([]int, S)
	for i := range c.TrainTasks {
		f.inPool[i%S]++
	}
	for s := range S {
		f.starts = append(f.starts, Rand(Key(seed, uint64(purposeArithStart), uint64(s))).Perm(c.P))
		if f.inPool[s] < c.P {
			f.spare = append(f.spare, s)
		}
	}
	f.splits = []string{SplitTrain, arithCompose}
	maxLen := c.Length
	for _, k := range c.Longer {
		f.splits = append(f.splits, "longer@"+strconv.Itoa(k))
		maxLen = max(maxLen, k*c.Length)
	}
	f.splits = append(f.splits, SplitPretrain)
	f.spec = Spec{Actions: c.P, MaxLen: maxLen, Channels: []Channel{
		arithValue:    {Name: "value", Kind: Dense, Size: c.P, Doc: "the value the agent holds, one-hot"},
		arithOpCh:     {Name: "op", Kind: Dense, Size: len(f.ops), Doc: "the step's op, one-hot over the op table"},
		arithPosition: {Name: "position", Kind: Index, Size: S * c.Length, Doc: "the step's place in one of the job's compositions, composition x L + step (-1 elsewhere): can only be memorized"},
	}}
	return f, nil
}

// Name implements Family.
func (f *Arith) Name() string { return "arith" }

// Spec implements Family.
func (f *Arith) Spec() Spec { return f.spec }

// Splits implements Family.
func (f *Arith) Splits() []string { return append([]string(nil), f.splits...) }

// Loophole implements Family.
func (f *Arith) Loophole() string {
	return "answer 0 at every step: a sloppy verifier passes attempts whose every action is 0"
}

// LoopholeAction implements LoopholeActor: the loophole is answering 0.
func (f *Arith) LoopholeAction(*Obs) int { return 0 }

// PoolSize implements Family: the job's pool is finite, every other split
// unbounded.
func (f *Arith) PoolSize(split string) int {
	if split == SplitTrain {
		return f.cfg.TrainTasks
	}
	return 0
}

// OpName is the name of op i of the table ("add 3"), for tests and reports.
func (f *Arith) OpName(i int) string { return f.ops[i].name }

// Task implements Family.
func (f *Arith) Task(split string, i int) (Task, error) {
	if i < 0 {
		return Task{}, fmt.Errorf("arith: task index %d < 0", i)
	}
	key := Key(f.seed, StringKey(split), uint64(i))
	rng := Rand(Key(key, uint64(PurposeTask)))
	S, p := f.cfg.TrainSequences, f.cfg.P
	t := &arithTask{comp: -1}
	switch {
	case split == SplitTrain && i < f.cfg.TrainTasks:
		t.comp, t.start = i%S, f.starts[i%S][i/S]
	case split == SplitTrain && i < FreshIndex:
		return Task{}, fmt.Errorf("arith: train task %d is outside the job's pool of %d", i, f.cfg.TrainTasks)
	case split == SplitTrain:
		// A fresh instance: a composition of the job's with a start value
		// the pool does not pair with it.
		s := f.spare[rng.IntN(len(f.spare))]
		t.comp, t.start = s, f.starts[s][f.inPool[s]+rng.IntN(p-f.inPool[s])]
	case split == arithCompose:
		for {
			t.seq = drawSeq(rng, f.job, f.cfg.Length)
			if !f.seen[seqKey(t.seq)] {
				break
			}
		}
	case split == SplitPretrain:
		t.seq = drawSeq(rng, f.pretrain, f.cfg.Length)
	case strings.HasPrefix(split, "longer@") && slices.Contains(f.splits, split):
		k, _ := strconv.Atoi(strings.TrimPrefix(split, "longer@"))
		t.seq = drawSeq(rng, f.job, k*f.cfg.Length)
	default:
		return Task{}, fmt.Errorf("arith: unknown split %q (known: %s)", split, strings.Join(f.splits, ", "))
	}
	if t.comp >= 0 {
		t.seq = f.seqs[t.comp]
	} else {
		t.start = rng.IntN(p)
	}
	return Task{Split: split, Index: i, Key: key, Len: len(t.seq), Data: t}, nil
}

// CheckDisjoint implements Family. The job's compositions and ops are read
// back from its whole pool, not taken from the generator: compose must
// repeat none of those compositions, compose and longer@k must use only
// those ops (new orders and lengths, not new ops) and have L and k L steps,
// pretraining tasks must never show a novel op, and only train tasks may
// name a composition. n is the number of tasks per split read back.
func (f *Arith) CheckDisjoint(n int) error {
	novel := f.job[:f.cfg.NovelOps]
	for _, o := range novel {
		if slices.Contains(f.pretrain, o) {
			return fmt.Errorf("arith: novel op %s is also a pretraining op", f.ops[o].name)
		}
	}
	jobOps := map[int]bool{}
	jobSeqs := map[string]bool{}
	for i := range f.cfg.TrainTasks {
		t, err := f.Task(SplitTrain, i)
		if err != nil {
			return fmt.Errorf("arith: check disjoint: %w", err)
		}
		at := t.Data.(*arithTask)
		if at.comp < 0 || len(at.seq) != f.cfg.Length {
			return fmt.Errorf("arith: train task %d names no composition of length %d", i, f.cfg.Length)
		}
		for _, o := range at.seq {
			jobOps[o] = true
		}
		jobSeqs[seqKey(at.seq)] = true
	}
	for _, split := range f.splits {
		if split == SplitTrain {
			continue
		}
		length := f.cfg.Length
		if k, ok := strings.CutPrefix(split, "longer@"); ok {
			m, _ := strconv.Atoi(k)
			length *= m
		}
		for i := range n {
			t, err := f.Task(split, i)
			if err != nil {
				return fmt.Errorf("arith: check disjoint: %w", err)
			}
			at := t.Data.(*arithTask)
			switch {
			case at.comp >= 0:
				return fmt.Errorf("arith: %s task %d names the job's composition %d", split, i, at.comp)
			case len(at.seq) != length:
				return fmt.Errorf("arith: %s task %d has %d steps, want %d", split, i, len(at.seq), length)
			case split == arithCompose && jobSeqs[seqKey(at.seq)]:
				return fmt.Errorf("arith: compose task %d repeats a composition the job shows", i)
			}
			for _, o := range at.seq {
				if split == SplitPretrain && slices.Contains(novel, o) {
					return fmt.Errorf("arith: pretrain task %d shows the novel op %s", i, f.ops[o].name)
				}
				if split != SplitPretrain && !jobOps[o] {
					return fmt.Errorf("arith: %s task %d uses %s, which the job's compositions never do", split, i, f.ops[o].name)
				}
			}
		}
	}
	return nil
}

// observe writes the observation of step i of t with value x and returns
// its correct answer.
func (f *Arith) observe(t *arithTask, i, x int, obs *Obs) int {
	v := obs.Dense[arithValue]
	clear(v)
	v[x] = 1
	op := obs.Dense[arithOpCh]
	clear(op)
	op[t.seq[i]] = 1
	obs.Index[arithPosition] = -1
	if t.comp >= 0 {
		obs.Index[arithPosition] = t.comp*f.cfg.Length + i
	}
	obs.Step = i
	return f.ops[t.seq[i]].f[x]
}

// Expected is the exact expected outcome of an attempt at t under the
// memoryless policy probs (a function of the observation alone), by
// dynamic programming over the value held: probs is called with every
// observation the attempt can reach, with a zeroed dst of length p, and
// must write a probability distribution into dst.
func (f *Arith) Expected(t *Task, probs func(o *Obs, dst []float64)) (ExpectedOutcome, error) {
	at, ok := t.Data.(*arithTask)
	if !ok {
		return ExpectedOutcome{}, fmt.Errorf("arith: task data has type %T, want an arith task", t.Data)
	}
	p := f.cfg.P
	mass, next := make([]float64, p), make([]float64, p)
	mass[at.start] = 1
	// The probabilities of the right chain and of the all-zero one, and the
	// values they hold.
	right, zero := 1.0, 1.0
	xr, xz := at.start, at.start
	correct := 0.0
	obs := NewObs(f.spec)
	dst := make([]float64, p)
	for i := range at.seq {
		clear(next)
		want := f.ops[at.seq[i]].f[xr]
		for x, m := range mass {
			if m == 0 {
				continue
			}
			ans := f.observe(at, i, x, &obs)
			clear(dst)
			probs(&obs, dst)
			if err := checkProbs(dst); err != nil {
				return ExpectedOutcome{}, fmt.Errorf("arith: step %d, value %d: %w", i, x, err)
			}
			correct += m * dst[ans]
			for a, pa := range dst {
				next[a] += m * pa
			}
			if x == xr {
				right *= dst[want]
			}
			if x == xz {
				zero *= dst[0]
			}
		}
		// A chain whose value never got mass has probability 0 already.
		if mass[xr] == 0 {
			right = 0
		}
		if mass[xz] == 0 {
			zero = 0
		}
		xr, xz = want, 0
		mass, next = next, mass
	}
	n := float64(len(at.seq))
	return ExpectedOutcome{Success: right, Score: correct / n, Loophole: zero, Steps: n}, nil
}

// NewEnv implements Family.
func (f *Arith) NewEnv() Env { return &arithEnv{f: f} }

type arithEnv struct {
	f       *Arith
	t       *arithTask
	x       int // the value the agent holds
	step    int
	answer  int // the current step's correct answer
	correct int
	allZero bool
}

func (e *arithEnv) Reset(t *Task, obs *Obs) {
	e.t = t.Data.(*arithTask)
	e.x, e.step, e.correct, e.allZero = e.t.start, 0, 0, true
	e.answer = e.f.observe(e.t, 0, e.x, obs)
}

func (e *arithEnv) Step(action int, obs *Obs) StepResult {
	if action < 0 || action >= e.f.cfg.P {
		panic(fmt.Sprintf("arith: action %d outside [0, %d)", action, e.f.cfg.P))
	}
	if e.step >= len(e.t.seq) {
		panic("arith: Step after the attempt is done")
	}
	ok := action == e.answer
	if ok {
		e.correct++
	}
	if action != 0 {
		e.allZero = false
	}
	e.x = action // the agent's answer is the value it carries on
	e.step++
	if e.step >= len(e.t.seq) {
		return StepResult{Correct: ok, Done: true}
	}
	e.answer = e.f.observe(e.t, e.step, e.x, obs)
	return StepResult{Correct: ok}
}

// Correct is the current step's answer (after the last step, the last
// one's).
func (e *arithEnv) Correct() int { return e.answer }

func (e *arithEnv) Outcome() Outcome {
	n := e.step
	o := Outcome{Steps: n, Correct: e.correct, Success: n > 0 && e.correct == n, Loophole: n > 0 && e.allZero}
	if n > 0 {
		o.Score = float64(e.correct) / float64(n)
	}
	return o
}

var _ Brancher = (*arithEnv)(nil)

// NewState implements Brancher. The state is the whole env (the value held, the step, the answer and the counts: steps are deterministic;
// everything else it points to is the task's or the family's and never
// changes).
func (e *arithEnv) NewState() EnvState { return new(arithEnv) }

// Save implements Brancher.
func (e *arithEnv) Save(s EnvState) { *s.(*arithEnv) = *e }

// Load implements Brancher.
func (e *arithEnv) Load(s EnvState) { *e = *s.(*arithEnv) }
