package agents

import (
	"errors"
	"fmt"
	"math"

	"github.com/grindbench/grindbench/envs"
)

// Dream kinds and dream verifiers.
const (
	DreamReplay     = "replay"     // re-pose tasks met on the job
	DreamGenerative = "generative" // new tasks around them (envs.Dreamer)
	DreamLearned    = "learned"    // judged by the agent's learned verifier
	DreamOracle     = "oracle"     // judged by the true scorer: a labelled upper bound
)

// DreamHarness is the part of a Harness that runs dreams: attempts at
// tasks the agent imagines, which are no real attempts and get no real
// verdict. The job's harness implements it; dreaming fails without it.
type DreamHarness interface {
	// DreamKey keys the agent's own dream draws: one per run seed, shared
	// by every agent at it.
	DreamKey() uint64
	// Neighbour makes a new task around t at distance in [0, 1]
	// (envs.Dreamer); an error when the family cannot.
	Neighbour(t *envs.Task, distance float64, key uint64) (envs.Task, error)
	// Dream runs one sampled attempt of m at t, calling visit on every
	// step, then judge (which reads the attempt the agent recorded). It
	// returns judge's verdict, or with oracle the true scorer's. The real
	// verifier is never asked and no real attempt is charged: the attempt
	// counts as a dream in the agent's compute. The harness keeps the
	// true outcome and judge's verdict to measure the dreams, out of the
	// agent's sight.
	Dream(m Model, t *envs.Task, key uint64, oracle bool, visit func(o *envs.Obs, action int), judge func() envs.Verdict) envs.Verdict
	// StepVerdicts reports whether the job's verdicts judge steps
	// (env.grind.granularity = "step"): dreams are then judged per step.
	StepVerdicts() bool
	// DreamSteps is Dream judged per step: judge appends a verdict per
	// step to its argument emptied and returns it; DreamSteps returns
	// those, or with oracle the truth of each step, in dst's storage.
	DreamSteps(m Model, t *envs.Task, key uint64, oracle bool, visit func(o *envs.Obs, action int), judge func(dst []envs.Verdict) []envs.Verdict, dst []envs.Verdict) []envs.Verdict
}

var (
	purposeDreamTask   = envs.PurposeOf("dream-task")
	purposeDreamAct    = envs.PurposeOf("dream-act")
	purposeDreamMember = envs.PurposeOf("dream-member")
)

func init() {
	RegisterMechanism(MechanismFactory{
		Name: "dream",
		Doc: "overnight practice on imagined tasks (replay of tasks met, or generative neighbours of them) judged by a verifier learned from real verdicts " +
			"(or the true scorer: verifier = oracle, a labelled upper bound), learned from with the agent's own update",
		Learns:    true,
		Verdicts:  true,
		Requires:  []string{"rlvr"},
		NewConfig: func() any { c := DefaultDream(); return &c },
		New: func(cfg any) (Mechanism, error) {
			c := cfg.(*DreamConfig)
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &dream{cfg: *c}, nil
		},
	})
}

// DreamConfig holds dream's knobs.
type DreamConfig struct {
	Kind           string  `toml:"kind" doc:"replay (re-pose tasks met on the job) or generative (new tasks around them: new contexts, orders and combinations of the job's skills)"`
	Ratio          float64 `toml:"ratio" range:"0,64" doc:"dream attempts per real attempt of the day, dreamt overnight"`
	Stray          float64 `toml:"stray" range:"0,1" doc:"how far generative dreams go from the task they start from: 0 is the task itself, 1 a task sharing only the job's skills; 0 with replay"`
	Verifier       string  `toml:"verifier" doc:"what judges dreams: learned (the agent's verifier fit on its real verdicts) or oracle (the true scorer: a labelled upper bound)"`
	Epsilon        float64 `toml:"epsilon" range:"0,100" doc:"systematic error of the learned verifier: a fixed perturbation of its parameters per seed, in logits (standard deviation of the shift of a step's score)"`
	VerifierLR     float64 `toml:"verifier_lr" range:"0,100" doc:"learning rate of the learned verifier's fit"`
	VerifierEpochs int     `toml:"verifier_epochs" range:"1,100" doc:"passes over every stored real verdict each night when fitting the learned verifier"`
}

// DefaultDream returns dream's defaults.
func DefaultDream() DreamConfig {
	return DreamConfig{Kind: DreamReplay, Ratio: 1, Verifier: DreamLearned, VerifierLR: 0.1, VerifierEpochs: 2}
}

// Validate reports an unknown kind or verifier and a stray distance that
// nothing would read.
func (c *DreamConfig) Validate() error {
	switch c.Kind {
	case DreamReplay:
		if c.Stray != 0 {
			return &KnobError{Knob: "stray", Msg: fmt.Sprintf("stray = %v with kind = %q: replay re-poses the tasks met and strays nowhere. Set kind = %q, or stray = 0.0", c.Stray, c.Kind, DreamGenerative)}
		}
	case DreamGenerative:
		if c.Stray == 0 {
			return &KnobError{Knob: "stray", Msg: fmt.Sprintf("stray = 0 with kind = %q makes the tasks met themselves: that is kind = %q. Set stray > 0", c.Kind, DreamReplay)}
		}
	default:
		return &KnobError{Knob: "kind", Msg: fmt.Sprintf("unknown dream kind %q: want %q or %q", c.Kind, DreamReplay, DreamGenerative)}
	}
	if c.Verifier != DreamLearned && c.Verifier != DreamOracle {
		return &KnobError{Knob: "verifier", Msg: fmt.Sprintf("unknown dream verifier %q: want %q or %q", c.Verifier, DreamLearned, DreamOracle)}
	}
	return nil
}

// dream practises overnight (Overnight: once a day, after its last
// session, when the session log is empty and the context gone). Through
// the day it keeps every task met and copies every real verdict into its
// learned verifier. At night it fits the verifier, then runs ratio dream
// attempts per real attempt of the day, in groups of the size the day's
// feedback came in, each group at one task: a stored one drawn at random
// (replay) or a neighbour of one (generative). It hands each group's
// verdicts to the agent's learners as Feedback marked Dream, so rlvr (and
// any learner) updates on dreams exactly as on real feedback. At step
// granularity (DreamHarness.StepVerdicts) the verifier is fit on the real
// step verdicts and judges each dreamed step, and the dream feedback
// carries StepVerdicts as real feedback does. The learned
// verifier is fit even when the oracle judges, so its disagreement with
// the truth is measured either way.
type dream struct {
	cfg      DreamConfig
	ver      *LearnedVerifier
	tasks    []envs.Task // every task met, in order
	real     int         // real attempts today
	group    int         // size of the last real feedback
	night    uint64
	attempts []int
	verdicts []envs.Verdict
	steps    [][]envs.Verdict // per member, at step granularity
}

func (*dream) Name() string { return "dream" }

var errNoDreamHarness = errors.New("the job's harness cannot run dreams (agents.DreamHarness)")

// StartJob builds the learned verifier, keyed by the run's seed.
func (d *dream) StartJob(a *Agent, h Harness) error {
	dh, ok := h.(DreamHarness)
	if !ok {
		return errNoDreamHarness
	}
	d.ver = NewLearnedVerifier(a.Weights, dh.DreamKey(), d.cfg.VerifierLR, d.cfg.VerifierEpochs, d.cfg.Epsilon)
	return nil
}

// Learn keeps the task and the real verdicts; dream feedback teaches the
// verifier nothing.
func (d *dream) Learn(a *Agent, fb *Feedback) {
	if fb.Dream || a.Log == nil {
		return
	}
	if fb.Task != nil {
		d.tasks = append(d.tasks, *fb.Task)
	}
	d.real += len(fb.Verdicts)
	d.group = len(fb.Verdicts)
	if fb.StepVerdicts != nil {
		for i, sv := range fb.StepVerdicts {
			d.ver.AddSteps(a.Log, fb.Attempts[i], sv)
		}
		return
	}
	for i, v := range fb.Verdicts {
		d.ver.Add(a.Log, fb.Attempts[i], v)
	}
}

// Overnight fits the verifier and dreams.
func (d *dream) Overnight(a *Agent, h Harness) error {
	dh, ok := h.(DreamHarness)
	if !ok {
		return errNoDreamHarness
	}
	real := d.real
	d.real = 0
	d.night++
	a.Compute.LearnedVerifierSteps += d.ver.Fit()
	if len(d.tasks) == 0 || d.group == 0 {
		return nil
	}
	groups := int(math.Round(d.cfg.Ratio * float64(real) / float64(d.group)))
	if cap(d.attempts) < d.group {
		d.attempts, d.verdicts = make([]int, d.group), make([]envs.Verdict, d.group)
		d.steps = make([][]envs.Verdict, d.group)
	}
	attempts, verdicts := d.attempts[:d.group], d.verdicts[:d.group]
	// At step granularity dreams are judged per step, so that rlvr credits
	// each step as it does on real step verdicts.
	var steps [][]envs.Verdict
	if dh.StepVerdicts() {
		steps = d.steps[:d.group]
	}
	key := envs.Key(dh.DreamKey(), d.night)
	oracle := d.cfg.Verifier == DreamOracle
	log := a.Log
	record := func(o *envs.Obs, act int) { log.Record(o, act) }
	for g := range groups {
		gk := envs.Key(key, uint64(g))
		t := &d.tasks[int(envs.Uniform(envs.Key(gk, uint64(purposeDreamTask)))*float64(len(d.tasks)))]
		if d.cfg.Kind == DreamGenerative {
			nt, err := dh.Neighbour(t, d.cfg.Stray, gk)
			if err != nil {
				return err
			}
			t = &nt
		}
		log.Reset()
		for m := range attempts {
			i := log.Begin(t, m)
			attempts[m] = i
			mk := envs.Key(gk, uint64(purposeDreamMember), uint64(m), uint64(purposeDreamAct))
			if steps != nil {
				judge := func(dst []envs.Verdict) []envs.Verdict { return d.ver.JudgeSteps(log, i, dst) }
				steps[m] = dh.DreamSteps(a.Acting(), t, mk, oracle, record, judge, steps[m])
				verdicts[m] = envs.VerdictNone
			} else {
				judge := func() envs.Verdict { return d.ver.Judge(log, i) }
				verdicts[m] = dh.Dream(a.Acting(), t, mk, oracle, record, judge)
			}
			log.Judge(i, verdicts[m], h.Now())
		}
		before := a.Compute.GradSteps
		a.Learn(&Feedback{Harness: h, Task: t, Attempts: attempts, Verdicts: verdicts, StepVerdicts: steps, Sent: h.Now(), Arrived: h.Now(), Dream: true})
		a.Compute.DreamGradSteps += a.Compute.GradSteps - before
	}
	log.Reset()
	return nil
}
