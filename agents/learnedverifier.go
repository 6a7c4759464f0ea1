package agents

import (
	"math"
	"slices"

	"github.com/grindbench/grindbench/envs"
)

// Purposes of the learned verifier's keyed draws.
var (
	purposeVerifierInit = envs.PurposeOf("learned-verifier-init")
	purposeVerifierErr  = envs.PurposeOf("learned-verifier-epsilon")
)

// LearnedVerifier is a verifier an agent fits on the real verdicts it
// received, and on nothing else: never a true score. It scores each step:
// P(step right | o, a) = sigmoid(z_a(o) + b), with z the logits of a model
// of the policy's own architecture (its own parameters, started near 0),
// and an attempt passes with the product of its steps' probabilities, so
// attempt-level verdicts teach it which steps go wrong (multiple-instance
// logistic regression). It says pass when that product is at least 1/2.
// Given one verdict per step (env.grind.granularity = "step": AddSteps),
// it fits each step's probability to that step's verdict instead (plain
// logistic regression), and JudgeSteps judges each step on its own.
//
// Its systematic error is epsilon: when it judges, its parameters are the
// fitted ones plus epsilon times a fixed direction drawn once per key (the
// run's seed), scaled so that epsilon is the standard deviation, in logits,
// of the shift it gives the steps of the real attempts it was first fit
// on. The error is not noise: the same situations are misjudged the same
// way every night, so a policy trained on its verdicts can find them.
type LearnedVerifier struct {
	model, judged Model
	bias          float64
	dir           []float64 // the error's direction (unit per parameter), scaled once fitted
	scaled        bool
	epsilon       float64
	lr            float64
	epochs        int
	data          *SessionLog // the real attempts that got a verdict
	// stepAt is, per stored attempt, where its step verdicts start in
	// stepv, or -1 for an attempt judged as a whole.
	stepAt []int
	stepv  []envs.Verdict
	logits []float64
	sig    []float64 // per step of the attempt being fitted
	coef   []float64
}

// NewLearnedVerifier returns an unfitted verifier of policy's architecture.
// key keys its initialization and its error's direction; lr and epochs
// are those of every Fit.
func NewLearnedVerifier(policy Model, key uint64, lr float64, epochs int, epsilon float64) *LearnedVerifier {
	m := policy.Clone()
	m.SetTemperature(1)
	p := m.Params()
	init := envs.Rand(envs.Key(key, uint64(purposeVerifierInit)))
	for i := range p {
		p[i] = 0.01 * init.NormFloat64()
	}
	dir := make([]float64, len(p))
	d := envs.Rand(envs.Key(key, uint64(purposeVerifierErr)))
	for i := range dir {
		dir[i] = d.NormFloat64()
	}
	A := policy.Spec().Actions
	return &LearnedVerifier{model: m, judged: m.Clone(), dir: dir, epsilon: epsilon, lr: lr, epochs: epochs,
		data: NewSessionLog(policy.Spec()), logits: make([]float64, A), coef: make([]float64, A)}
}

// Add stores attempt i of log with verdict v for fitting; an attempt
// without a verdict teaches nothing and is not stored.
func (v *LearnedVerifier) Add(log *SessionLog, i int, verdict envs.Verdict) {
	if _, ok := verdict.Reward(); !ok {
		return
	}
	v.store(log, i, verdict)
	v.stepAt = append(v.stepAt, -1)
}

// AddSteps stores attempt i of log with one verdict per step (steps[s]
// judges step s) for fitting; an attempt without any step verdict is not
// stored.
func (v *LearnedVerifier) AddSteps(log *SessionLog, i int, steps []envs.Verdict) {
	if !slices.ContainsFunc(steps, func(x envs.Verdict) bool { return x != envs.VerdictNone }) {
		return
	}
	v.store(log, i, envs.VerdictNone)
	v.stepAt = append(v.stepAt, len(v.stepv))
	n := log.Steps(i)
	v.stepv = append(v.stepv, steps[:min(n, len(steps))]...)
	for range n - len(steps) {
		v.stepv = append(v.stepv, envs.VerdictNone)
	}
}

// store copies attempt i of log into the verifier's data.
func (v *LearnedVerifier) store(log *SessionLog, i int, verdict envs.Verdict) {
	e := log.Entry(i)
	k := v.data.Begin(e.Task, e.Member)
	for s := 0; s < log.Steps(i); s++ {
		o, act := log.Step(i, s)
		v.data.Record(o, act)
	}
	v.data.Judge(k, verdict, e.Arrived)
}

// Examples is the number of verdicts stored.
func (v *LearnedVerifier) Examples() int { return v.data.Len() }

// Fit runs its epochs of stochastic gradient descent on the log-likelihood
// of every stored verdict, in the order they arrived, from where the last
// Fit left off, then sets the parameters it judges with. It returns the
// number of step gradients taken.
func (v *LearnedVerifier) Fit() int64 {
	var n int64
	for range v.epochs {
		for i := 0; i < v.data.Len(); i++ {
			n += v.fitOne(i)
		}
	}
	v.perturb()
	return n
}

// fitOne takes one gradient step on attempt i: with P the product of its
// steps' sigmoids s_t, -log-likelihood L has dL/dz_t = -(1 - s_t) for a
// pass and P/(1-P) (1 - s_t) for a fail.
func (v *LearnedVerifier) fitOne(i int) int64 {
	if v.stepAt[i] >= 0 {
		return v.fitSteps(i)
	}
	steps := v.data.Steps(i)
	v.sig = v.sig[:0]
	logP := 0.0
	for s := 0; s < steps; s++ {
		o, act := v.data.Step(i, s)
		st := sigmoid(v.z(v.model, o, act) + v.bias)
		v.sig = append(v.sig, st)
		logP += math.Log(max(st, 1e-300))
	}
	P := math.Exp(logP)
	pass := v.data.Entry(i).Verdict == envs.VerdictPass
	w := -1.0
	if !pass {
		w = P / max(1-P, 1e-6)
	}
	clear(v.coef)
	for s := 0; s < steps; s++ {
		o, act := v.data.Step(i, s)
		g := w * (1 - v.sig[s]) // dL/dz_t
		v.coef[act] = -v.lr * g
		v.model.AddLogitGrad(v.model.Params(), o, v.coef)
		v.coef[act] = 0
		v.bias -= v.lr * g
	}
	return int64(steps)
}

// fitSteps takes one gradient step on attempt i's step verdicts: each
// judged step's -log-likelihood under sigmoid(z_t + b) has dL/dz_t = s_t -
// y_t; steps without a verdict teach nothing.
func (v *LearnedVerifier) fitSteps(i int) int64 {
	at := v.stepAt[i]
	var n int64
	clear(v.coef)
	for s := 0; s < v.data.Steps(i); s++ {
		r, ok := v.stepv[at+s].Reward()
		if !ok {
			continue
		}
		o, act := v.data.Step(i, s)
		g := sigmoid(v.z(v.model, o, act)+v.bias) - r
		v.coef[act] = -v.lr * g
		v.model.AddLogitGrad(v.model.Params(), o, v.coef)
		v.coef[act] = 0
		v.bias -= v.lr * g
		n++
	}
	return n
}

// perturb sets the judging parameters to the fitted ones plus epsilon
// times the error's direction. The direction's scale is set at the first
// Fit with data: one unit of it shifts the taken action's logit by 1 in
// root mean square over the stored steps.
func (v *LearnedVerifier) perturb() {
	p, q := v.model.Params(), v.judged.Params()
	if !v.scaled && v.data.Len() > 0 {
		for i := range q {
			q[i] = p[i] + v.dir[i]
		}
		ss, n := 0.0, 0
		for i := 0; i < v.data.Len(); i++ {
			for s := 0; s < v.data.Steps(i); s++ {
				o, act := v.data.Step(i, s)
				d := v.z(v.judged, o, act) - v.z(v.model, o, act)
				ss += d * d
				n++
			}
		}
		if rms := math.Sqrt(ss / float64(n)); rms > 0 {
			for i := range v.dir {
				v.dir[i] /= rms
			}
		}
		v.scaled = true
	}
	for i := range q {
		q[i] = p[i] + v.epsilon*v.dir[i]
	}
}

func (v *LearnedVerifier) z(m Model, o *envs.Obs, act int) float64 {
	m.Logits(v.logits, o)
	return v.logits[act]
}

// PassProb is the probability the verifier gives attempt i of log of
// passing, with its judging parameters (the fitted ones when epsilon = 0).
func (v *LearnedVerifier) PassProb(log *SessionLog, i int) float64 {
	logP := 0.0
	for s := 0; s < log.Steps(i); s++ {
		o, act := log.Step(i, s)
		logP += math.Log(max(sigmoid(v.z(v.judged, o, act)+v.bias), 1e-300))
	}
	return math.Exp(logP)
}

// Judge is the verifier's verdict on attempt i of log: pass when its pass
// probability is at least 1/2.
func (v *LearnedVerifier) Judge(log *SessionLog, i int) envs.Verdict {
	if v.PassProb(log, i) >= 0.5 {
		return envs.VerdictPass
	}
	return envs.VerdictFail
}

// JudgeSteps appends to dst[:0] the verifier's verdict on each step of
// attempt i of log (pass when the step's probability is at least 1/2) and
// returns it.
func (v *LearnedVerifier) JudgeSteps(log *SessionLog, i int, dst []envs.Verdict) []envs.Verdict {
	dst = dst[:0]
	for s := 0; s < log.Steps(i); s++ {
		o, act := log.Step(i, s)
		dst = append(dst, verdictOf(v.z(v.judged, o, act)+v.bias >= 0))
	}
	return dst
}

func verdictOf(pass bool) envs.Verdict {
	if pass {
		return envs.VerdictPass
	}
	return envs.VerdictFail
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
