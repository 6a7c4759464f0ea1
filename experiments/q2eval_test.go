package experiments

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// pass@k at checkpoints: with one sample, pass@1 and coverage are the
// sampled success of the same attempts, bit for bit; with n samples pass@n
// is the coverage, pass@k rises with k, and pass@1 is the mean success of
// the n attempts (checked against a run of the n attempts here). Configs
// without the knob write no pass@k field.
func TestPassKAtCheckpoints(t *testing.T) {
	one := mustParse(t, smallConfig(""), "eval.passk_samples=1", "seeds=2")
	_, recs := mustRun(t, one, 2)
	for _, c := range recs.Checkpoints {
		if len(c.PassAtK) != 1 || c.PassAtK[0].K != 1 || c.PassKSamples != 1 || c.Coverage == nil {
			t.Fatalf("%s %s day %d: pass@k %+v, samples %d", c.Run, c.Split, c.Day, c.PassAtK, c.PassKSamples)
		}
		if c.PassAtK[0].Value != c.SuccessSampled || *c.Coverage != c.SuccessSampled {
			t.Errorf("%s %s day %d: pass@1 %v, coverage %v, sampled success %v", c.Run, c.Split, c.Day, c.PassAtK[0].Value, *c.Coverage, c.SuccessSampled)
		}
	}

	exp := mustParse(t, smallConfig(""), "eval.passk_samples=8", "eval.passk=[1, 2, 8]", "seeds=2")
	_, recs = mustRun(t, exp, 2)
	moved := false
	for _, c := range recs.Checkpoints {
		p := c.PassAtK
		if len(p) != 3 || p[2].Value != *c.Coverage || p[0].Value > p[1].Value || p[1].Value > p[2].Value {
			t.Errorf("%s %s day %d: pass@k %+v, coverage %v", c.Run, c.Split, c.Day, p, *c.Coverage)
		}
		moved = moved || p[2].Value > p[0].Value
	}
	if !moved {
		t.Error("pass@8 never above pass@1: the test would not see a wrong k")
	}

	// pass@1 is the mean success of the same 8 sampled attempts.
	cfg, w, base := firstWorld(t, exp)
	e := newEvaluator(w, cfg)
	e.passK = true
	tasks := w.eval[envs.SplitTrain]
	e.cache.Reset(base)
	r := e.split(tasks)
	mean := 0.0
	for i := range tasks {
		for j := range 8 {
			o := e.attempt(base, &tasks[i], false, envs.Key(w.seed, uint64(purposeEval), tasks[i].Key, uint64(1+j)), nil)
			mean += b2f(o.Success)
		}
	}
	mean /= float64(8 * len(tasks))
	if math.Abs(r.passK[0].Value-mean) > 1e-12 {
		t.Errorf("pass@1 %v, mean sampled success of the same attempts %v", r.passK[0].Value, mean)
	}

	// passk_days: pass@k at those checkpoints only, the rest unchanged.
	_, some := mustRun(t, mustParse(t, smallConfig(""), "eval.passk_samples=8", "eval.passk=[1, 2, 8]", "eval.passk_days=[1]", "seeds=2"), 2)
	if len(some.Checkpoints) != len(recs.Checkpoints) {
		t.Fatalf("%d records with passk_days, %d without", len(some.Checkpoints), len(recs.Checkpoints))
	}
	for i, c := range some.Checkpoints {
		full := recs.Checkpoints[i]
		if (c.Day == 1) != (c.PassAtK != nil) || c.SuccessSampled != full.SuccessSampled {
			t.Errorf("%s %s day %d: pass@k %v with passk_days = [1]", c.Run, c.Split, c.Day, c.PassAtK)
		}
		if c.Day == 1 && c.PassAtK[0] != full.PassAtK[0] {
			t.Errorf("%s %s day 1: pass@1 %v, %v measured at every checkpoint", c.Run, c.Split, c.PassAtK[0], full.PassAtK[0])
		}
	}

	_, plain := mustRun(t, mustParse(t, smallConfig(""), "seeds=1"), 1)
	for _, c := range plain.Checkpoints {
		if c.PassAtK != nil || c.Coverage != nil || c.KLBaseCurrent != nil || c.L2FromBase != nil {
			t.Fatalf("%s: optional fields written without their knobs", c.Run)
		}
	}
}

// The distance from the base: exactly zero for a frozen agent, above zero
// for a learner, and the L2 per role and in all are the terms' combined.
func TestDistanceFromBaseAtCheckpoints(t *testing.T) {
	exp := mustParse(t, smallConfig(""), "eval.distance=true", "seeds=2")
	_, recs := mustRun(t, exp, 2)
	learned := false
	for _, c := range recs.Checkpoints {
		if c.KLBaseCurrent == nil || c.KLCurrentBaseJob == nil || c.L2FromBase == nil || len(c.L2Terms) == 0 {
			t.Fatalf("%s %s: distance missing", c.Run, c.Split)
		}
		kls := []float64{*c.KLBaseCurrent, *c.KLCurrentBase, *c.KLBaseCurrentJob, *c.KLCurrentBaseJob}
		switch {
		case c.Agent == "frozen" || c.Day == 0:
			for _, kl := range append(kls, *c.L2FromBase) {
				if kl != 0 {
					t.Errorf("%s %s day %d: distance %v from its own base", c.Run, c.Split, c.Day, kl)
				}
			}
		case c.Agent == "rlvr" && *c.L2FromBase > 0:
			learned = true
			for _, kl := range kls {
				if !(kl > 0) {
					t.Errorf("%s %s day %d: rlvr's KL %v", c.Run, c.Split, c.Day, kl)
				}
			}
		}
		var all, shared, mem float64
		for _, d := range c.L2Terms {
			all += d.L2 * d.L2
			switch d.Role {
			case "shared":
				shared += d.L2 * d.L2
			case "memorizing":
				mem += d.L2 * d.L2
			}
		}
		for _, x := range [][2]float64{{all, *c.L2FromBase}, {shared, *c.L2Shared}, {mem, *c.L2Memorizing}} {
			if math.Abs(math.Sqrt(x[0])-x[1]) > 1e-9 {
				t.Errorf("%s: L2 %v from its terms, recorded %v", c.Run, math.Sqrt(x[0]), x[1])
			}
		}
	}
	if !learned {
		t.Error("rlvr never left its base: the test would be vacuous")
	}
}

// KL between two policies by hand: the base and the base at twice its
// temperature, on the states the hotter one visits.
func TestDistanceMatchesHandComputation(t *testing.T) {
	exp := mustParse(t, smallConfig(""), "eval.distance=true", "seeds=1")
	cfg, w, base := firstWorld(t, exp)
	hot := base.Clone()
	hot.SetTemperature(2 * base.Temperature())
	e := newEvaluator(w, cfg)
	e.base = base
	e.cache.Reset(hot)
	tasks := w.eval["inspan"]
	got := e.distance(tasks)

	A := w.fam.Spec().Actions
	zp, zq := make([]float64, A), make([]float64, A)
	probs := func(z []float64) []float64 {
		p, s := make([]float64, len(z)), 0.0
		for i, v := range z {
			p[i] = math.Exp(v)
			s += p[i]
		}
		for i := range p {
			p[i] /= s
		}
		return p
	}
	var fwd, rev float64
	steps := 0
	for i := range tasks {
		e.attempt(hot, &tasks[i], false, envs.Key(w.seed, uint64(purposeEval), tasks[i].Key, 1), func(o *envs.Obs, _ int) {
			hot.Logits(zp, o)
			base.Logits(zq, o)
			p, q := probs(zp), probs(zq)
			for a := range p {
				fwd += q[a] * math.Log(q[a]/p[a])
				rev += p[a] * math.Log(p[a]/q[a])
			}
			steps++
		})
	}
	fwd /= float64(steps)
	rev /= float64(steps)
	if !(fwd > 0) || math.Abs(got.klBaseCur-fwd) > 1e-9*fwd || math.Abs(got.klCurBase-rev) > 1e-9*rev {
		t.Errorf("KL(base||hot) %v, by hand %v; KL(hot||base) %v, by hand %v", got.klBaseCur, fwd, got.klCurBase, rev)
	}
}

// The L2 per term is the distance of that term's slice of the parameters.
func TestWeightDistancePerTerm(t *testing.T) {
	exp := mustParse(t, smallConfig(""), "seeds=1")
	_, _, base := firstWorld(t, exp)
	cur := base.Clone()
	terms := cur.Terms()
	// Move the first parameter of each term by 3 and 4 in two terms: 3, 4, 5.
	cur.Params()[terms[0].Lo] += 3
	cur.Params()[terms[1].Lo] += 4
	var rec results.Checkpoint
	weightDistance(&rec, cur, base)
	if len(rec.L2Terms) != len(terms) {
		t.Fatalf("%d term distances for %d terms", len(rec.L2Terms), len(terms))
	}
	for i, d := range rec.L2Terms {
		want := 0.0
		switch i {
		case 0:
			want = 3
		case 1:
			want = 4
		}
		if d.Term != terms[i].Name || math.Abs(d.L2-want) > 1e-12 {
			t.Errorf("term %s: %+v, want %v", terms[i].Name, d, want)
		}
	}
	if math.Abs(*rec.L2FromBase-5) > 1e-12 {
		t.Errorf("L2 from base %v, want 5", *rec.L2FromBase)
	}
}

// Outspan as a calibration: the weights that read description coordinates
// outside P and T are exactly zero after pretraining and rlvr (no training
// description has mass there), so on outspan@w the policy sees only the
// in-span part of the description. Predicting its success by acting on
// the projected description (coordinates outside P and T zeroed) must give
// the measured outcomes exactly, step by step, greedy and sampled, after
// learning. Zeroing part of T as well changes them: the check can fail.
func TestCalibrationOutspanSeesOnlyTheInSpanPart(t *testing.T) {
	exp := mustParse(t, smallConfig(""), "seeds=1")
	cfg := &exp.Points[0].Config
	var acfg agents.Config
	for _, a := range cfg.Agents {
		if a.Name == "rlvr" {
			acfg = a
		}
	}
	w, err := newWorld(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := runAgent(context.Background(), w, cfg, acfg, results.Header{Run: "r", Agent: "rlvr", Seed: 0}, results.NewEncoder())
	if err != nil {
		t.Fatal(err)
	}
	base, _ := w.base(acfg)
	m := a.Acting()
	if agents.L2Dist(m.Params(), base.Params()) == 0 {
		t.Fatal("rlvr did not learn: the check would be vacuous")
	}
	sk := cfg.Env.Knobs.(*envs.SkillsConfig)
	inside := sk.DimP + sk.DimT - sk.Shared
	spec := w.fam.Spec()
	desc := -1
	for i, ch := range spec.Channels {
		if ch.Name == "desc" {
			desc = i
		}
	}
	proj := envs.NewObs(spec)
	projected := func(keep int) func(dst []float64, o *envs.Obs) {
		return func(dst []float64, o *envs.Obs) {
			for i := range o.Dense {
				copy(proj.Dense[i], o.Dense[i])
			}
			copy(proj.Index, o.Index)
			for j := keep; j < len(proj.Dense[desc]); j++ {
				proj.Dense[desc][j] = 0
			}
			m.Logits(dst, &proj)
		}
	}
	e := newEvaluator(w, cfg)
	differs := false
	for _, split := range []string{"outspan@0.25", "outspan@0.5", "outspan@0.75", "outspan@1"} {
		for i := range w.eval[split] {
			task := &w.eval[split][i]
			for member, greedy := range []bool{true, false} {
				key := envs.Key(w.seed, uint64(purposeEval), task.Key, uint64(member))
				var acts, predActs, cutActs []int
				got := e.run(m.Logits, task, greedy, key, func(_ *envs.Obs, act int) { acts = append(acts, act) })
				pred := e.run(projected(inside), task, greedy, key, func(_ *envs.Obs, act int) { predActs = append(predActs, act) })
				if got != pred || !slices.Equal(acts, predActs) {
					t.Fatalf("%s task %d greedy=%v: measured %+v %v, predicted from the in-span part %+v %v", split, i, greedy, got, acts, pred, predActs)
				}
				e.run(projected(sk.DimP), task, greedy, key, func(_ *envs.Obs, act int) { cutActs = append(cutActs, act) })
				differs = differs || !slices.Equal(acts, cutActs)
			}
		}
	}
	if !differs {
		t.Error("zeroing the job-only part of T changed no action: the check cannot fail")
	}
}

// firstWorld builds seed 0's world of exp's first point and the base model
// of its first agent.
func firstWorld(t testing.TB, exp *Experiment) (*Config, *world, agents.Model) {
	t.Helper()
	cfg := &exp.Points[0].Config
	w, err := newWorld(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	base, err := w.base(cfg.Agents[0])
	if err != nil {
		t.Fatal(err)
	}
	return cfg, w, base
}
