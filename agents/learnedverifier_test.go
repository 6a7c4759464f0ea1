package agents

import (
	"math"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

// verifierJob makes n real attempts at the skills family's job tasks with
// a pretrained base that takes the correct action at each step with
// probability 1/2 (so that about a quarter pass), and returns them in a
// session log with their true success.
func verifierJob(t *testing.T, n int, seed uint64) (*SessionLog, []bool, Model) {
	t.Helper()
	log, truth, _, base := verifierStepJob(t, n, seed)
	return log, truth, base
}

// verifierStepJob is verifierJob that also returns whether each step of
// each attempt was correct.
func verifierStepJob(t *testing.T, n int, seed uint64) (*SessionLog, []bool, [][]bool, Model) {
	t.Helper()
	f, err := envs.NewSkills(envs.DefaultSkills(), seed)
	if err != nil {
		t.Fatal(err)
	}
	base, err := Pretrain(f, PretrainConfig{Tasks: 1000, LR: 0.1, FisherTasks: 1}, DefaultPolicy(), seed)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Spec()
	env, obs, log := f.NewEnv(), envs.NewObs(s), NewSessionLog(s)
	logits, probs := make([]float64, s.Actions), make([]float64, s.Actions)
	tasks := make([]envs.Task, n)
	truth := make([]bool, n)
	steps := make([][]bool, n)
	for i := range n {
		if tasks[i], err = f.Task(envs.SplitTrain, i%f.PoolSize(envs.SplitTrain)); err != nil {
			t.Fatal(err)
		}
		log.Begin(&tasks[i], 0)
		env.Reset(&tasks[i], &obs)
		for step := uint64(0); ; step++ {
			k := envs.Key(seed, uint64(i), step)
			base.Logits(logits, &obs)
			a := Choose(logits, probs, false, k)
			if envs.Uniform(envs.Key(k, 1)) < 0.5 {
				a = env.Correct()
			}
			log.Record(&obs, a)
			r := env.Step(a, &obs)
			steps[i] = append(steps[i], r.Correct)
			if r.Done {
				break
			}
		}
		truth[i] = env.Outcome().Success
	}
	return log, truth, steps, base
}

// kappa is Cohen's kappa of the verifier's verdicts on attempts [lo, hi)
// of log against the truth: agreement beyond what a verdict independent
// of the attempt, passing as often, would reach (0: chance; 1: perfect).
func kappa(v *LearnedVerifier, log *SessionLog, truth []bool, lo, hi int) (k, agree float64) {
	var n, same, said, real float64
	for i := lo; i < hi; i++ {
		p := v.Judge(log, i) == envs.VerdictPass
		n++
		if p == truth[i] {
			same++
		}
		if p {
			said++
		}
		if truth[i] {
			real++
		}
	}
	po, q, r := same/n, said/n, real/n
	pe := q*r + (1-q)*(1-r)
	if pe == 1 {
		return 0, po
	}
	return (po - pe) / (1 - pe), po
}

// Calibration: fit on real verdicts, the learned verifier at epsilon = 0
// agrees with the truth on held-out job attempts beyond chance; fit on the
// same attempts with their verdicts shuffled, it agrees at chance: what it
// knows comes from the verdicts alone. epsilon > 0 makes it worse.
func TestLearnedVerifierLearnsFromVerdictsAlone(t *testing.T) {
	const train, test = 1500, 1000
	log, truth, base := verifierJob(t, train+test, 3)
	rate := 0.0
	for _, p := range truth {
		rate += b2f(p)
	}
	t.Logf("true pass rate %.3f", rate/float64(len(truth)))
	fit := func(verdicts func(i int) envs.Verdict, epsilon float64) *LearnedVerifier {
		v := NewLearnedVerifier(base, 7, 0.1, 5, epsilon)
		for i := range train {
			v.Add(log, i, verdicts(i))
		}
		v.Fit()
		return v
	}
	real := fit(func(i int) envs.Verdict { return verdictOf(truth[i]) }, 0)
	perm := envs.Rand(11).Perm(train)
	shuffled := fit(func(i int) envs.Verdict { return verdictOf(truth[perm[i]]) }, 0)
	perturbed := fit(func(i int) envs.Verdict { return verdictOf(truth[i]) }, 3)
	kr, ar := kappa(real, log, truth, train, train+test)
	ks, as := kappa(shuffled, log, truth, train, train+test)
	kp, ap := kappa(perturbed, log, truth, train, train+test)
	t.Logf("kappa (agreement): real verdicts %.3f (%.3f), shuffled %.3f (%.3f), epsilon 3 %.3f (%.3f)", kr, ar, ks, as, kp, ap)
	if kr < 0.4 {
		t.Errorf("fit on real verdicts: kappa %.3f, want well above chance (0)", kr)
	}
	if math.Abs(ks) > 0.1 {
		t.Errorf("fit on shuffled verdicts: kappa %.3f, want chance (0)", ks)
	}
	if !(ap < ar) {
		t.Errorf("epsilon = 3 agrees %.3f, epsilon = 0 %.3f: the error should cost agreement", ap, ar)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// stepKappa is Cohen's kappa of the verifier's step verdicts on the steps
// of attempts [lo, hi) of log against each step's truth.
func stepKappa(v *LearnedVerifier, log *SessionLog, truth [][]bool, lo, hi int) float64 {
	var n, same, said, real float64
	var buf []envs.Verdict
	for i := lo; i < hi; i++ {
		buf = v.JudgeSteps(log, i, buf)
		for s, got := range buf {
			p := got == envs.VerdictPass
			n++
			same += b2f(p == truth[i][s])
			said += b2f(p)
			real += b2f(truth[i][s])
		}
	}
	po, q, r := same/n, said/n, real/n
	pe := q*r + (1-q)*(1-r)
	if pe == 1 {
		return 0
	}
	return (po - pe) / (1 - pe)
}

// Calibration at step granularity: given one verdict per step, the learned
// verifier fits each step's verdict, and its step verdicts agree with the
// truth of held-out steps beyond chance; fit on the same steps with their
// verdicts shuffled across steps, it agrees at chance. It is fit from the
// step verdicts: the attempts carry no attempt verdict.
func TestLearnedVerifierLearnsFromStepVerdicts(t *testing.T) {
	const train, test = 800, 600
	log, _, steps, base := verifierStepJob(t, train+test, 5)
	var flat []bool
	for i := range train {
		flat = append(flat, steps[i]...)
	}
	perm := envs.Rand(13).Perm(len(flat))
	fit := func(verdict func(i, s, flat int) envs.Verdict) *LearnedVerifier {
		v := NewLearnedVerifier(base, 7, 0.1, 3, 0)
		k := 0
		for i := range train {
			sv := make([]envs.Verdict, len(steps[i]))
			for s := range sv {
				sv[s] = verdict(i, s, k)
				k++
			}
			v.AddSteps(log, i, sv)
		}
		if v.Examples() != train {
			t.Fatalf("%d attempts stored, want %d", v.Examples(), train)
		}
		if n := v.Fit(); n != 3*int64(k) {
			t.Fatalf("%d step gradients from %d step verdicts and 3 epochs", n, k)
		}
		return v
	}
	real := fit(func(i, s, _ int) envs.Verdict { return verdictOf(steps[i][s]) })
	shuffled := fit(func(_, _, k int) envs.Verdict { return verdictOf(flat[perm[k]]) })
	// Steps without a verdict (coverage < 1) teach nothing.
	none := NewLearnedVerifier(base, 7, 0.1, 3, 0)
	none.AddSteps(log, 0, make([]envs.Verdict, len(steps[0])))
	kr := stepKappa(real, log, steps, train, train+test)
	ks := stepKappa(shuffled, log, steps, train, train+test)
	t.Logf("step kappa: real step verdicts %.3f, shuffled %.3f", kr, ks)
	if kr < 0.4 {
		t.Errorf("fit on real step verdicts: step kappa %.3f, want well above chance (0)", kr)
	}
	if math.Abs(ks) > 0.1 {
		t.Errorf("fit on shuffled step verdicts: step kappa %.3f, want chance (0)", ks)
	}
	if none.Examples() != 0 {
		t.Error("an attempt without any step verdict was stored")
	}
}
