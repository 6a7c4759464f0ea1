package envs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/grindbench/grindbench/internal/vec"
)

// The skills family (DESIGN 3.1). A latent basis of K matrices B_j (A x d);
// skill s has a unit description c_s and the hidden matrix
// Theta_s = sum_j c_sj B'_j. Step i shows (c, id, x_i); the correct action is
// argmax_a (Theta x_i)_a. Pretraining skills live in the coordinate subspace
// P, the job's skills in T; P and T share `shared` coordinates. Job skills
// see the basis perturbed on the shared coordinates (B'_j = B_j + kappa
// Delta_j), so learning the job can cost pretraining skills.
//
// Coordinates of a description: P = [0, dim_p), T = [dim_p-shared,
// dim_p-shared+dim_t), and the rest of [0, K) lies outside both.

func init() {
	Register(Factory{
		Name:      "skills",
		Doc:       "compositional skills over a latent linear basis: the flagship family (docs/science.md)",
		NewConfig: func() any { c := DefaultSkills(); return &c },
		New: func(cfg any, seed uint64) (Family, error) {
			c, ok := cfg.(*SkillsConfig)
			if !ok {
				return nil, fmt.Errorf("skills: config has type %T, want *SkillsConfig", cfg)
			}
			return NewSkills(*c, seed)
		},
	})
}

// SkillsConfig holds the skills family's knobs.
type SkillsConfig struct {
	K              int       `toml:"K" range:"2,64" doc:"description dimensions: size of the latent basis"`
	D              int       `toml:"d" range:"1,64" doc:"context dimensions"`
	Actions        int       `toml:"actions" range:"2,32" doc:"actions per step, A"`
	Length         int       `toml:"length" range:"1,64" doc:"steps per task, L"`
	DimP           int       `toml:"dim_p" range:"1,64" doc:"dimension of the pretraining span P"`
	DimT           int       `toml:"dim_t" range:"1,64" doc:"dimension of the job's span T"`
	Shared         int       `toml:"shared" range:"0,64" doc:"dimensions P and T share (novelty of the job is dim_t - shared)"`
	Conflict       float64   `toml:"conflict" range:"0,10" doc:"kappa: perturbation of the basis on the shared dimensions for job skills"`
	PretrainSkills int       `toml:"pretrain_skills" range:"1,4096" doc:"skills seen in pretraining"`
	TrainSkills    int       `toml:"train_skills" range:"1,4096" doc:"the job's skills"`
	HeldoutSkills  int       `toml:"heldout_skills" range:"1,4096" doc:"new skills in each held-out skill split"`
	TrainSequences int       `toml:"train_sequences" range:"1,100000" doc:"distinct skill sequences the job shows"`
	TrainTasks     int       `toml:"train_tasks" range:"1,1000000" doc:"task instances in the job's pool (sequences times start states)"`
	Chain          float64   `toml:"chain" range:"0,10" doc:"weight of x_i in x_{i+1}"`
	ActionEmbed    float64   `toml:"action_embed" range:"0,10" doc:"weight of the taken action's embedding in x_{i+1}"`
	Noise          float64   `toml:"noise" range:"0,10" doc:"weight of fresh Gaussian noise in x_{i+1}"`
	MinAngle       float64   `toml:"min_angle" range:"0,90" doc:"degrees between every held-out description and every training one and its negation"`
	Outspan        []float64 `toml:"outspan" range:"0,1" doc:"fractions w of description mass outside P and T: one outspan@w and one outspan-pre@w split each"`
	Longer         []int     `toml:"longer" range:"1,64" doc:"horizon multiples k: one longer@k split each (k L steps)"`
	Accept         int       `toml:"accept" range:"1,32" doc:"correct answers per step: the top-m actions by Theta x are all accepted (1: only the argmax)"`
}

// DefaultSkills returns DESIGN 3.1's defaults.
func DefaultSkills() SkillsConfig {
	return SkillsConfig{
		K: 8, D: 8, Actions: 4, Length: 4,
		DimP: 4, DimT: 4, Shared: 2, Conflict: 0.5,
		PretrainSkills: 32, TrainSkills: 8, HeldoutSkills: 8,
		TrainSequences: 32, TrainTasks: 256,
		Chain: 0.5, ActionEmbed: 0.5, Noise: 1,
		MinAngle: 30,
		Outspan:  []float64{0, 0.25, 0.5, 0.75, 1},
		Longer:   []int{2, 4},
		Accept:   1,
	}
}

// Validate reports knobs that are in range one by one but inconsistent
// together.
func (c SkillsConfig) Validate() error {
	var errs []error
	if c.DimP > c.K || c.DimT > c.K {
		errs = append(errs, fmt.Errorf("dim_p = %d and dim_t = %d must not exceed K = %d", c.DimP, c.DimT, c.K))
	}
	if c.Shared > c.DimP || c.Shared > c.DimT {
		errs = append(errs, fmt.Errorf("shared = %d must not exceed dim_p = %d or dim_t = %d", c.Shared, c.DimP, c.DimT))
	}
	if c.DimP+c.DimT-c.Shared > c.K {
		errs = append(errs, fmt.Errorf("dim_p + dim_t - shared = %d must not exceed K = %d", c.DimP+c.DimT-c.Shared, c.K))
	}
	outside := c.K - (c.DimP + c.DimT - c.Shared)
	for _, w := range c.Outspan {
		if w > 0 && outside <= 0 {
			errs = append(errs, fmt.Errorf("outspan = %v needs dimensions outside P and T, but dim_p + dim_t - shared = K", w))
			break
		}
	}
	if seqs := countSequences(c.TrainSkills, c.Length); seqs <= float64(c.TrainSequences) {
		errs = append(errs, fmt.Errorf("train_sequences = %d must be below train_skills^length = %.0f so that compose has new orders", c.TrainSequences, seqs))
	}
	if c.TrainTasks < c.TrainSequences {
		errs = append(errs, fmt.Errorf("train_tasks = %d must be at least train_sequences = %d", c.TrainTasks, c.TrainSequences))
	}
	if c.Accept >= c.Actions {
		errs = append(errs, fmt.Errorf("accept = %d must be below actions = %d: accepting every action leaves nothing to learn", c.Accept, c.Actions))
	}
	if c.Chain == 0 && c.ActionEmbed == 0 && c.Noise == 0 {
		errs = append(errs, errors.New("chain, action_embed and noise are all 0: contexts after the first step would vanish"))
	}
	return errors.Join(errs...)
}

func countSequences(skills, length int) float64 { return math.Pow(float64(skills), float64(length)) }

// The skills family's observation channels, in its Spec's order.
const (
	skillsX = iota
	skillsDesc
	skillsID
)

type skill struct {
	desc  []float64 // K
	theta []float64 // A x d, row-major
}

type skillsTask struct {
	seq []int     // skill IDs, one per step
	x0  []float64 // start context, norm sqrt(d)
	// eps holds the noise of every transition, d values each: it is keyed
	// by (task, step) alone, so it is part of the instance, drawn once
	// rather than by every attempt at it.
	eps []float64
}

// Skills is the skills family for one seed.
type Skills struct {
	cfg    SkillsConfig
	seed   uint64
	spec   Spec
	skills []skill // indexed by ID
	embed  []float64
	splits []string
	groups map[string][]int // split -> skill IDs it draws from
	seqs   [][]int          // the job's distinct sequences
	seen   map[string]bool  // keys of the job's sequences
}

var _ Family = (*Skills)(nil)

// NewSkills builds the family for a seed.
func NewSkills(c SkillsConfig, seed uint64) (*Skills, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("skills: %w", err)
	}
	f := &Skills{cfg: c, seed: seed, groups: map[string][]int{}, seen: map[string]bool{}}
	A, d, K := c.Actions, c.D, c.K
	rng := Rand(Key(seed, uint64(PurposeBasis)))
	basis := make([][]float64, K)
	delta := make([][]float64, K)
	for j := range basis {
		basis[j] = normals(rng, A*d)
		delta[j] = normals(rng, A*d)
	}
	f.embed = make([]float64, A*d)
	for a := 0; a < A; a++ {
		e := normals(rng, d)
		scaleTo(e, math.Sqrt(float64(d)))
		copy(f.embed[a*d:], e)
	}

	pLo, pHi := 0, c.DimP
	tLo, tHi := c.DimP-c.Shared, c.DimP-c.Shared+c.DimT
	oLo, oHi := tHi, K // outside both
	preLo, preHi := 0, tLo

	add := func(group string, desc []float64, job bool) {
		theta := make([]float64, A*d)
		for j := 0; j < K; j++ {
			if desc[j] == 0 {
				continue
			}
			perturbed := job && j >= tLo && j < pHi // shared coordinates
			for k := range theta {
				b := basis[j][k]
				if perturbed {
					b += c.Conflict * delta[j][k]
				}
				theta[k] += desc[j] * b
			}
		}
		f.groups[group] = append(f.groups[group], len(f.skills))
		f.skills = append(f.skills, skill{desc: desc, theta: theta})
	}
	srng := Rand(Key(seed, uint64(PurposeSkill)))
	for i := 0; i < c.PretrainSkills; i++ {
		add(SplitPretrain, unitIn(srng, K, pLo, pHi), false)
	}
	for i := 0; i < c.TrainSkills; i++ {
		add(SplitTrain, unitIn(srng, K, tLo, tHi), true)
	}
	cosMin := math.Cos(c.MinAngle * math.Pi / 180)
	heldout := func(split string, w float64, lo, hi int) error {
		for i := 0; i < c.HeldoutSkills; i++ {
			var desc []float64
			for try := 0; ; try++ {
				if try == 10000 {
					return fmt.Errorf("skills: could not place %d %s skills at least %v degrees from every training skill; lower min_angle or heldout_skills", c.HeldoutSkills, split, c.MinAngle)
				}
				desc = unitIn(srng, K, tLo, tHi)
				if w > 0 {
					out := unitIn(srng, K, lo, hi)
					for j := range desc {
						desc[j] = math.Sqrt(1-w)*desc[j] + math.Sqrt(w)*out[j]
					}
				}
				if f.farFromTraining(desc, cosMin) {
					break
				}
			}
			add(split, desc, true)
		}
		f.splits = append(f.splits, split)
		return nil
	}
	f.splits = append(f.splits, SplitTrain, "compose")
	if err := heldout("inspan", 0, 0, 0); err != nil {
		return nil, err
	}
	for _, w := range c.Outspan {
		if err := heldout("outspan@"+fmtW(w), w, oLo, oHi); err != nil {
			return nil, err
		}
	}
	if preHi > preLo {
		for _, w := range c.Outspan {
			if err := heldout("outspan-pre@"+fmtW(w), w, preLo, preHi); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range c.Longer {
		f.splits = append(f.splits, "longer@"+strconv.Itoa(k))
	}
	f.splits = append(f.splits, SplitPretrain)

	// The job's distinct sequences, drawn without repeats.
	qrng := Rand(Key(seed, uint64(PurposeTask), StringKey("train-sequences")))
	train := f.groups[SplitTrain]
	for len(f.seqs) < c.TrainSequences {
		seq := make([]int, c.Length)
		for i := range seq {
			seq[i] = train[qrng.IntN(len(train))]
		}
		if k := seqKey(seq); !f.seen[k] {
			f.seen[k] = true
			f.seqs = append(f.seqs, seq)
		}
	}

	maxLen := c.Length
	for _, k := range c.Longer {
		maxLen = max(maxLen, k*c.Length)
	}
	f.spec = Spec{Actions: A, MaxLen: maxLen, Channels: []Channel{
		skillsX:    {Name: "x", Kind: Dense, Size: d, Doc: "the step's context, norm sqrt(d), chained from the last step and action"},
		skillsDesc: {Name: "desc", Kind: Dense, Size: K, Doc: "the unit description c of the step's skill"},
		skillsID:   {Name: "id", Kind: Index, Size: len(f.skills), Doc: "the step's skill identity"},
	}}
	return f, nil
}

// farFromTraining reports whether desc is at least min_angle from every
// training description and from its negation: a linear policy generalizes
// to a description near a training one's negation by sign alone, so that
// is no test of interpolation either.
func (f *Skills) farFromTraining(desc []float64, cosMin float64) bool {
	for _, id := range f.groups[SplitTrain] {
		if math.Abs(dot(desc, f.skills[id].desc)) > cosMin+1e-12 {
			return false
		}
	}
	return true
}

func fmtW(w float64) string { return strconv.FormatFloat(w, 'g', -1, 64) }

func seqKey(seq []int) string {
	var b strings.Builder
	for _, s := range seq {
		b.WriteString(strconv.Itoa(s))
		b.WriteByte(',')
	}
	return b.String()
}

// Name implements Family.
func (f *Skills) Name() string { return "skills" }

// Spec implements Family.
func (f *Skills) Spec() Spec { return f.spec }

// Splits implements Family.
func (f *Skills) Splits() []string { return append([]string(nil), f.splits...) }

// Loophole implements Family.
func (f *Skills) Loophole() string {
	return "always answer action 0: a sloppy verifier passes attempts whose every action is 0"
}

// LoopholeAction implements LoopholeActor: the loophole is answering 0.
func (f *Skills) LoopholeAction(*Obs) int { return 0 }

// RandomRate implements RandomRater: a uniformly random action is accepted
// with probability m/A at every step (accept = m) whatever came before, so a
// task of Len steps is solved with probability (m/A)^Len and scores m/A on
// average. Every task of a split has the same Len.
func (f *Skills) RandomRate(split string) (success, score float64, ok bool) {
	t, err := f.Task(split, 0)
	if err != nil {
		return 0, 0, false
	}
	p := float64(f.cfg.Accept) / float64(f.cfg.Actions)
	return math.Pow(p, float64(t.Len)), p, true
}

// PoolSize implements Family: the job's pool is finite, every other split
// unbounded.
func (f *Skills) PoolSize(split string) int {
	if split == SplitTrain {
		return f.cfg.TrainTasks
	}
	return 0
}

// Task implements Family.
func (f *Skills) Task(split string, i int) (Task, error) {
	if i < 0 {
		return Task{}, fmt.Errorf("skills: task index %d < 0", i)
	}
	key := Key(f.seed, StringKey(split), uint64(i))
	rng := Rand(Key(key, uint64(PurposeTask)))
	var seq []int
	switch {
	case split == SplitTrain:
		if i >= f.cfg.TrainTasks && i < FreshIndex {
			return Task{}, fmt.Errorf("skills: train task %d is outside the job's pool of %d", i, f.cfg.TrainTasks)
		}
		// Pool instances cycle through the job's sequences; fresh ones (for
		// jobs without resets) draw one, with a start state of their own.
		seq = f.seqs[i%len(f.seqs)]
		if i >= FreshIndex && i < PrivateIndex {
			seq = f.seqs[rng.IntN(len(f.seqs))]
		}
	case split == "compose":
		train := f.groups[SplitTrain]
		for {
			seq = make([]int, f.cfg.Length)
			for j := range seq {
				seq[j] = train[rng.IntN(len(train))]
			}
			if !f.seen[seqKey(seq)] {
				break
			}
		}
	case strings.HasPrefix(split, "longer@"):
		k, err := strconv.Atoi(strings.TrimPrefix(split, "longer@"))
		if err != nil || !f.hasSplit(split) {
			return Task{}, fmt.Errorf("skills: unknown split %q", split)
		}
		seq = drawSeq(rng, f.groups[SplitTrain], k*f.cfg.Length)
	default:
		group, ok := f.groups[split]
		if !ok {
			return Task{}, fmt.Errorf("skills: unknown split %q (known: %s)", split, strings.Join(f.splits, ", "))
		}
		seq = drawSeq(rng, group, f.cfg.Length)
	}
	x0 := normals(Rand(Key(key, uint64(PurposeStart))), f.cfg.D)
	scaleTo(x0, math.Sqrt(float64(f.cfg.D)))
	return Task{Split: split, Index: i, Key: key, Len: len(seq), Data: &skillsTask{seq: seq, x0: x0, eps: transitionNoise(key, len(seq), f.cfg.D)}}, nil
}

// transitionNoise draws the noise of the transitions into steps 1 ..
// steps-1 of the task keyed key: d standard normals each, keyed by (task,
// step), so that a reset replays it exactly.
func transitionNoise(key uint64, steps, d int) []float64 {
	if steps < 2 {
		return nil
	}
	eps := make([]float64, (steps-1)*d)
	st := NewStream()
	for step := 1; step < steps; step++ {
		rng := st.Reset(Key(key, uint64(PurposeTransition), uint64(step)))
		for i := range d {
			eps[(step-1)*d+i] = rng.NormFloat64()
		}
	}
	return eps
}

func (f *Skills) hasSplit(s string) bool {
	for _, x := range f.splits {
		if x == s {
			return true
		}
	}
	return false
}

func drawSeq(rng interface{ IntN(int) int }, group []int, n int) []int {
	seq := make([]int, n)
	for j := range seq {
		seq[j] = group[rng.IntN(len(group))]
	}
	return seq
}

// CheckDisjoint implements Family: held-out skills have identities of their
// own and keep the angle rule; compose uses none of the job's sequences;
// each split's first n tasks draw only from its own skills. n is the number
// of tasks per split the run evaluates.
func (f *Skills) CheckDisjoint(n int) error {
	trainIDs := map[int]bool{}
	for _, id := range f.groups[SplitTrain] {
		trainIDs[id] = true
	}
	// The job's sequences, read back from its pool rather than from the
	// generator's own bookkeeping, so the check is independent of it.
	jobSeqs := map[string]bool{}
	for i := 0; i < f.cfg.TrainTasks; i++ {
		t, err := f.Task(SplitTrain, i)
		if err != nil {
			return err
		}
		jobSeqs[seqKey(t.Data.(*skillsTask).seq)] = true
	}
	cosMin := math.Cos(f.cfg.MinAngle * math.Pi / 180)
	for _, split := range f.splits {
		group, heldout := f.groups[split]
		if split == SplitTrain || split == SplitPretrain {
			heldout = false
		}
		if heldout {
			for _, id := range group {
				if trainIDs[id] {
					return fmt.Errorf("skills: split %s shares skill %d with train", split, id)
				}
				if !f.farFromTraining(f.skills[id].desc, cosMin) {
					return fmt.Errorf("skills: split %s skill %d is within %v degrees of a training skill or its negation", split, id, f.cfg.MinAngle)
				}
			}
		}
		allowed := map[int]bool{}
		switch {
		case split == "compose" || strings.HasPrefix(split, "longer@") || split == SplitTrain:
			allowed = trainIDs
		default:
			for _, id := range group {
				allowed[id] = true
			}
		}
		m := n
		if p := f.PoolSize(split); p > 0 {
			m = min(m, p)
		}
		for i := 0; i < m; i++ {
			t, err := f.Task(split, i)
			if err != nil {
				return err
			}
			seq := t.Data.(*skillsTask).seq
			for _, id := range seq {
				if !allowed[id] {
					return fmt.Errorf("skills: split %s task %d uses skill %d from another split", split, i, id)
				}
			}
			if split == "compose" && jobSeqs[seqKey(seq)] {
				return fmt.Errorf("skills: compose task %d repeats a sequence the job shows", i)
			}
		}
	}
	return nil
}

// NewEnv implements Family.
func (f *Skills) NewEnv() Env {
	A := f.cfg.Actions
	return &skillsEnv{f: f, x: make([]float64, f.cfg.D), next: make([]float64, f.cfg.D),
		values: make([]float64, A), ok: make([]bool, A)}
}

type skillsEnv struct {
	f       *Skills
	task    *skillsTask
	key     uint64
	step    int
	x, next []float64
	answer  int       // the best action: the canonical correct answer
	values  []float64 // Theta x of the current step, per action
	ok      []bool    // the accepted actions of the current step
	okAt    int       // with accept = 1, the one action ok holds true
	correct int
	allZero bool

	// memo remembers, for the task last reset to, the transitions earlier
	// attempts took into each step (from which context, by which action, to
	// which context and answer): attempts at one task (a group's members,
	// an evaluation's greedy and sampled attempts) share their noise, so
	// they repeat each other's transitions wherever their actions agree so
	// far. Contexts are compared bit for bit, so a hit is exactly what
	// computing would give.
	memo     [][transWays]transition // by the step a transition leads to
	memoNext []int
	memoTask *skillsTask
	memoKey  uint64 // the key of memoTask: one key, one instance
	// branching: a Save since the last Reset, so a tree of attempts
	// (agents.Rollouts) drives the env, stepping each (state, action) once:
	// the memo would only cost, so it is neither read nor written.
	branching bool
	answer0   int // the answer at step 0 of memoTask
}

const transWays = 4

type transition struct {
	ok       bool
	action   int
	answer   int
	from, to []float64
}

func (e *skillsEnv) Reset(t *Task, obs *Obs) {
	e.task = t.Data.(*skillsTask)
	e.key = t.Key
	e.step, e.correct, e.allZero = 0, 0, true
	e.branching = false
	vec.Copy(e.x, e.task.x0)
	// The memo replays a step's answer, not its scores, so it serves the
	// single-answer case only.
	if e.f.cfg.Accept == 1 && e.memoTask != nil && e.memoKey == t.Key {
		e.show(obs, e.answer0)
		return
	}
	e.forgetMemo(e.task, t.Key)
	e.observe(obs)
	e.answer0 = e.answer
}

// show writes the current step's observation with its answer, known.
func (e *skillsEnv) show(obs *Obs, answer int) {
	id := e.task.seq[e.step]
	vec.Copy(obs.Dense[skillsX], e.x)
	vec.Copy(obs.Dense[skillsDesc], e.f.skills[id].desc)
	obs.Index[skillsID] = id
	obs.Step = e.step
	e.answer = answer
	e.accept() // only reached with accept = 1: the memo is off otherwise
}

// observe writes the current step's observation and works out its answer.
func (e *skillsEnv) observe(obs *Obs) {
	id := e.task.seq[e.step]
	s := &e.f.skills[id]
	vec.Copy(obs.Dense[skillsX], e.x)
	vec.Copy(obs.Dense[skillsDesc], s.desc)
	obs.Index[skillsID] = id
	obs.Step = e.step
	d := len(e.x)
	best, bestV := 0, math.Inf(-1)
	a := 0
	if d == 8 {
		x8 := (*[8]float64)(e.x)
		for ; a+4 <= e.f.cfg.Actions; a += 4 {
			// Four dot products side by side, each summed in order from 0.
			var v [4]float64
			vec.Dot4x8To(&v, s.theta[a*d:], d, x8)
			for k, vk := range v {
				e.values[a+k] = vk
				if vk > bestV { // continuous values: exact ties have probability 0
					best, bestV = a+k, vk
				}
			}
		}
	}
	for ; a+4 <= e.f.cfg.Actions; a += 4 {
		// Four dot products side by side, each summed in order.
		t0 := s.theta[a*d : (a+1)*d]
		t1 := s.theta[(a+1)*d : (a+2)*d]
		t2 := s.theta[(a+2)*d : (a+3)*d]
		t3 := s.theta[(a+3)*d : (a+4)*d]
		v0, v1, v2, v3 := 0.0, 0.0, 0.0, 0.0
		for i, xi := range e.x {
			v0 += t0[i] * xi
			v1 += t1[i] * xi
			v2 += t2[i] * xi
			v3 += t3[i] * xi
		}
		for k, v := range [4]float64{v0, v1, v2, v3} {
			e.values[a+k] = v
			if v > bestV { // continuous values: exact ties have probability 0
				best, bestV = a+k, v
			}
		}
	}
	for ; a < e.f.cfg.Actions; a++ {
		v := dot(s.theta[a*d:(a+1)*d], e.x)
		e.values[a] = v
		if v > bestV { // continuous values: exact ties have probability 0
			best, bestV = a, v
		}
	}
	e.answer = best
	e.accept()
}

// accept works out the step's accepted actions: the answer alone, or with
// accept = m the top m (an action is accepted when fewer than m actions
// score above it).
func (e *skillsEnv) accept() {
	if e.f.cfg.Accept == 1 {
		// The one accepted action moves (no clear: a call per step).
		e.ok[e.okAt] = false
		e.ok[e.answer] = true
		e.okAt = e.answer
		return
	}
	for a, v := range e.values {
		above := 0
		for _, w := range e.values {
			if w > v {
				above++
			}
		}
		e.ok[a] = above < e.f.cfg.Accept
	}
}

func (e *skillsEnv) Step(action int, obs *Obs) StepResult {
	ok := e.ok[action]
	if ok {
		e.correct++
	}
	if action != 0 {
		e.allZero = false
	}
	e.step++
	if e.step >= len(e.task.seq) {
		return StepResult{Correct: ok, Done: true}
	}
	// x_{i+1} = sqrt(d) normalize(chain x_i + embed E_a + noise eps), with eps
	// keyed by (task, step) only: the simulator is deterministic given the
	// actions, so a reset replays it exactly.
	if e.step >= len(e.memo) {
		e.memo = append(e.memo, make([][transWays]transition, e.step+1-len(e.memo))...)
		e.memoNext = append(e.memoNext, make([]int, e.step+1-len(e.memoNext))...)
	}
	ways := &e.memo[e.step]
	if e.f.cfg.Accept == 1 && !e.branching {
		x8 := len(e.x) == 8
		for w := range ways {
			t := &ways[w]
			if !t.ok || t.action != action {
				continue
			}
			var same bool
			if x8 && len(t.from) == 8 {
				// vec.Same inline at d = 8 (the default), on every step.
				x := (*[8]uint64)(unsafe.Pointer(unsafe.SliceData(t.from)))
				y := (*[8]uint64)(unsafe.Pointer(unsafe.SliceData(e.x)))
				same = (x[0]^y[0])|(x[1]^y[1])|(x[2]^y[2])|(x[3]^y[3])|
					(x[4]^y[4])|(x[5]^y[5])|(x[6]^y[6])|(x[7]^y[7]) == 0
			} else {
				same = vec.Same(t.from, e.x)
			}
			if same {
				vec.Copy(e.x, t.to)
				e.show(obs, t.answer)
				return StepResult{Correct: ok}
			}
		}
	}
	c := &e.f.cfg
	d := len(e.x)
	eps := e.task.eps[(e.step-1)*d : e.step*d]
	emb := e.f.embed[action*d : (action+1)*d]
	if d == 8 { // the default d, without bounds checks
		n, x, m, ep := (*[8]float64)(e.next), (*[8]float64)(e.x), (*[8]float64)(emb), (*[8]float64)(eps)
		for i := range n {
			n[i] = c.Chain*x[i] + c.ActionEmbed*m[i] + c.Noise*ep[i]
		}
	} else {
		for i := range e.next {
			e.next[i] = c.Chain*e.x[i] + c.ActionEmbed*emb[i] + c.Noise*eps[i]
		}
	}
	if !scaleTo(e.next, math.Sqrt(float64(d))) {
		copy(e.next, e.x) // a zero vector has no direction: keep the last one
	}
	if e.branching {
		e.x, e.next = e.next, e.x
		e.observe(obs)
		return StepResult{Correct: ok}
	}
	w := e.memoNext[e.step]
	e.memoNext[e.step] = (w + 1) % transWays
	t := &ways[w]
	if t.from == nil {
		t.from, t.to = make([]float64, d), make([]float64, d)
	}
	vec.Copy(t.from, e.x)
	e.x, e.next = e.next, e.x
	e.observe(obs)
	vec.Copy(t.to, e.x)
	t.ok, t.action, t.answer = true, action, e.answer
	return StepResult{Correct: ok}
}

// forgetMemo empties the transition memo and makes it task's (key's).
func (e *skillsEnv) forgetMemo(task *skillsTask, key uint64) {
	e.memoTask, e.memoKey = task, key
	for i := range e.memo {
		for w := range e.memo[i] {
			e.memo[i][w].ok = false
		}
	}
}

// skillsState is a skillsEnv's state, saved for Brancher: the step, the
// context and the answer's bookkeeping (values is recomputed by every
// observe before it is read, so it is not part of it).
type skillsState struct {
	task    *skillsTask
	key     uint64
	step    int
	x       []float64
	ok      []bool
	answer  int
	okAt    int
	correct int
	allZero bool
}

var _ Brancher = (*skillsEnv)(nil)

// NewState implements Brancher.
func (e *skillsEnv) NewState() EnvState {
	return &skillsState{x: make([]float64, len(e.x)), ok: make([]bool, len(e.ok))}
}

// Save implements Brancher. The transition noise is the task's (keyed by
// task and step), so the state is the step, the context and the answer's
// bookkeeping.
func (e *skillsEnv) Save(st EnvState) {
	e.branching = true
	s := st.(*skillsState)
	s.task, s.key, s.step = e.task, e.key, e.step
	vec.Copy(s.x, e.x)
	ok := s.ok[:len(e.ok)]
	for i, v := range e.ok { // a few values: a loop, not a call to memmove
		ok[i] = v
	}
	s.answer, s.okAt, s.correct, s.allZero = e.answer, e.okAt, e.correct, e.allZero
}

// Load implements Brancher. A state of another task than the memo's
// starts the memo afresh, as Reset would.
func (e *skillsEnv) Load(st EnvState) {
	s := st.(*skillsState)
	if e.memoTask != s.task || e.memoKey != s.key {
		e.forgetMemo(nil, 0) // no step-0 answer known: the next Reset works it out
	}
	e.task, e.key, e.step = s.task, s.key, s.step
	vec.Copy(e.x, s.x)
	ok := e.ok[:len(s.ok)]
	for i, v := range s.ok {
		ok[i] = v
	}
	e.answer, e.okAt, e.correct, e.allZero = s.answer, s.okAt, s.correct, s.allZero
}

func (e *skillsEnv) Correct() int { return e.answer }

// Accepted implements Acceptor: the top-accept actions of the step.
func (e *skillsEnv) Accepted(dst []bool) { copy(dst, e.ok) }

func (e *skillsEnv) Outcome() Outcome {
	n := e.step
	o := Outcome{Steps: n, Correct: e.correct, Success: n > 0 && e.correct == n, Loophole: n > 0 && e.allZero}
	if n > 0 {
		o.Score = float64(e.correct) / float64(n)
	}
	return o
}

func normals(rng interface{ NormFloat64() float64 }, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// unitIn returns a random unit vector of length k supported on [lo, hi).
func unitIn(rng interface{ NormFloat64() float64 }, k, lo, hi int) []float64 {
	v := make([]float64, k)
	for {
		for i := lo; i < hi; i++ {
			v[i] = rng.NormFloat64()
		}
		if scaleTo(v, 1) {
			return v
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// scaleTo rescales v to the given norm in place; false if v is zero.
func scaleTo(v []float64, norm float64) bool {
	n := math.Sqrt(dot(v, v))
	if n == 0 {
		return false
	}
	f := norm / n
	for i := range v {
		v[i] *= f
	}
	return true
}

var _ Phased = (*Skills)(nil)

// MaxPhases implements Phased: each group needs a skill of its own.
func (f *Skills) MaxPhases() int { return len(f.groups[SplitTrain]) }

// PhasePool implements Phased: the job's pool shared out among the groups.
func (f *Skills) PhasePool(n int) int { return max(1, f.cfg.TrainTasks/max(n, 1)) }

// PhaseTask implements Phased. Group g of n holds the job's skills
// [g T/n, (g+1) T/n) in identity order (their descriptions are drawn
// independently, so any contiguous cut is a random one); its tasks are
// sequences of length L drawn from the group alone, with start states of
// their own.
func (f *Skills) PhaseTask(n, g, i int) (Task, error) {
	train := f.groups[SplitTrain]
	switch {
	case n < 1 || n > len(train):
		return Task{}, fmt.Errorf("skills: %d phases: the job's %d skills can be cut into 1 to %d groups", n, len(train), len(train))
	case g < 0 || g >= n:
		return Task{}, fmt.Errorf("skills: phase group %d of %d", g, n)
	case i < 0 || (i >= f.PhasePool(n) && i < FreshIndex) || i >= PrivateIndex:
		return Task{}, fmt.Errorf("skills: phase task %d is outside group %d's pool of %d and the fresh range", i, g, f.PhasePool(n))
	}
	group := train[g*len(train)/n : (g+1)*len(train)/n]
	// The split name in the key carries n: a different cut is a different
	// set of tasks.
	key := Key(f.seed, StringKey(PhaseSplit(g)+"/"+strconv.Itoa(n)), uint64(i))
	seq := drawSeq(Rand(Key(key, uint64(PurposeTask))), group, f.cfg.Length)
	x0 := normals(Rand(Key(key, uint64(PurposeStart))), f.cfg.D)
	scaleTo(x0, math.Sqrt(float64(f.cfg.D)))
	return Task{Split: PhaseSplit(g), Index: i, Key: key, Len: len(seq), Data: &skillsTask{seq: seq, x0: x0, eps: transitionNoise(key, len(seq), f.cfg.D)}}, nil
}
