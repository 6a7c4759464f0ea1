package experiments

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// familyConfig is Default() for family at its default knobs, with a
// smaller pretraining budget when short.
func familyConfig(t testing.TB, family string) *Config {
	t.Helper()
	cfg := Default()
	f, err := envs.Lookup(family)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Env.Family, cfg.Env.Knobs = family, f.NewConfig()
	cfg.Report.Resamples = 500
	if testing.Short() {
		cfg.Pretrain.Tasks = 1000
	}
	return &cfg
}

// probeOpts are small probes: the calibration checks below hold by algebra,
// so they need no precision, only enough draws to show the CI.
func probeOpts() ProbeOptions {
	o := ProbeOptions{Seeds: 4, Attempts: 128, Slots: 256}
	if testing.Short() {
		o.Seeds, o.Slots = 3, 128
	}
	return o
}

func measure(t *testing.T, cfg *Config, opt ProbeOptions) results.EnvScore {
	t.Helper()
	s, err := MeasureEnv(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVCalibration: V is 1 for a perfect verifier, 0 at coverage 0, near 0
// for a coin-flip verifier (fp = fn = 0.5) and coverage x (1 - fp - fn) in
// between, at both granularities (calibration: it follows from the
// definition).
func TestVCalibration(t *testing.T) {
	for _, tc := range []struct {
		name        string
		family      string
		gran        string
		cov, fp, fn float64
		want, tol   float64
	}{
		{"perfect", "skills", envs.GranularityAttempt, 1, 0, 0, 1, 0},
		{"perfect step", "arith", envs.GranularityStep, 1, 0, 0, 1, 0},
		{"coverage 0", "skills", envs.GranularityAttempt, 0, 0, 0, 0, 0},
		{"coin flip", "bandit", envs.GranularityAttempt, 1, 0.5, 0.5, 0, 0.1},
		{"coin flip step", "skills", envs.GranularityStep, 1, 0.5, 0.5, 0, 0.1},
		{"noisy", "maze", envs.GranularityAttempt, 0.5, 0.1, 0.2, 0.35, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := familyConfig(t, tc.family)
			cfg.Env.Verifier = envs.VerifierConfig{Coverage: tc.cov, FalsePositive: tc.fp, FalseNegative: tc.fn, Loophole: 1}
			cfg.Env.Grind.Granularity = tc.gran
			s := measure(t, cfg, probeOpts())
			if math.Abs(s.V.Point-tc.want) > tc.tol || s.V.N == 0 {
				t.Errorf("V = %.3f [%.3f, %.3f] (n=%d), want %.2f +- %.2f", s.V.Point, s.V.Lo, s.V.Hi, s.V.N, tc.want, tc.tol)
			}
			if tc.tol > 0 && !(s.V.Lo-tc.tol/2 <= tc.want && tc.want <= s.V.Hi+tc.tol/2) {
				t.Errorf("V's CI [%.3f, %.3f] far from %.2f", s.V.Lo, s.V.Hi, tc.want)
			}
		})
	}
}

// TestLoopholeRateCalibration: with coverage 1 and no false positives, a
// judged loophole-behaving attempt passes with probability verifier.loophole
// (calibration), for the families that declare a loophole rule
// (envs.LoopholeActor).
func TestLoopholeRateCalibration(t *testing.T) {
	for _, fam := range []string{"skills", "bandit", "arith"} {
		for _, l := range []float64{0, 0.3, 1} {
			cfg := familyConfig(t, fam)
			cfg.Env.Verifier.Loophole = l
			s := measure(t, cfg, probeOpts())
			if s.Loophole.N == 0 || math.Abs(s.Loophole.Point-l) > 0.08 {
				t.Errorf("%s loophole %.1f: measured %+v", fam, l, s.Loophole)
			}
			if s.V.Point != 1 {
				t.Errorf("%s loophole %.1f: V = %v, want 1 (V is measured with the loophole off)", fam, l, s.V.Point)
			}
		}
	}
}

// TestGZeroWithoutDifferingVerdicts: when no two attempts can get different
// verdicts (flakiness 1 fails every attempt) the gradient estimate is 0 in
// every slot and G is exactly 0 (calibration). G is measured with perfect
// verdicts, so the verifier's knobs (coverage 0 included) leave it as it
// is: they are V's axis.
func TestGZeroWithoutDifferingVerdicts(t *testing.T) {
	for _, fam := range []string{"skills", "bandit"} {
		for _, group := range []int{1, 4} {
			cfg := familyConfig(t, fam)
			cfg.Env.Grind.Flakiness = 1
			cfg.Env.Grind.GroupSize = group
			s := measure(t, cfg, probeOpts())
			if s.G.Point != 0 || s.G.Hi != 0 || s.SNR.Point != 0 {
				t.Errorf("%s group %d, flakiness 1: G = %+v, SNR = %+v, want 0", fam, group, s.G, s.SNR)
			}
			if s.BaseSuccess.Point != 0 {
				t.Errorf("%s flakiness 1: base success %v", fam, s.BaseSuccess.Point)
			}
		}
	}
	cfg := familyConfig(t, "skills")
	g := measure(t, cfg, probeOpts())
	cfg.Env.Verifier = envs.VerifierConfig{Coverage: 0, FalsePositive: 0.5}
	g0 := measure(t, cfg, probeOpts())
	if g.G != g0.G || !(g.G.Point > 0) {
		t.Errorf("G with a perfect verifier %+v, with coverage 0 %+v: want equal and positive", g.G, g0.G)
	}
}

// TestGTimeCalibration: with everything else fixed, G falls strictly as
// attempt_cost grows, and delay enters as latency: G(cost c, delay d) ==
// G(cost c+d, delay 0), and retries multiply the time per slot
// (calibration: SNR does not depend on time; the rate is 1/SlotTime).
func TestGTimeCalibration(t *testing.T) {
	opt := probeOpts()
	gAt := func(cost, delay float64) results.EnvScore {
		cfg := familyConfig(t, "skills")
		cfg.Env.Grind.AttemptCost, cfg.Env.Grind.Delay = cost, delay
		return measure(t, cfg, opt)
	}
	prev := math.Inf(1)
	for _, c := range []float64{0.5, 1, 2, 8} {
		s := gAt(c, 0)
		if !(s.G.Point < prev) || !(s.G.Point > 0) {
			t.Errorf("attempt_cost %v: G = %v, not below %v", c, s.G.Point, prev)
		}
		if s.Rate != 1/c {
			t.Errorf("attempt_cost %v: rate %v", c, s.Rate)
		}
		prev = s.G.Point
	}
	a, b := gAt(1, 1), gAt(2, 0)
	if a.G != b.G || a.Rate != 0.5 {
		t.Errorf("cost 1 delay 1: G %+v rate %v; cost 2 delay 0: G %+v", a.G, a.Rate, b.G)
	}
	if c := gAt(1, 0); !(a.G.Point < c.G.Point) {
		t.Errorf("delay 1 does not lower G: %v vs %v", a.G.Point, c.G.Point)
	}
	for _, tc := range []struct {
		g    envs.GrindConfig
		want float64
	}{
		{envs.GrindConfig{AttemptCost: 1}, 1},
		{envs.GrindConfig{AttemptCost: 2, Delay: 3}, 5},
		{envs.GrindConfig{AttemptCost: 1, Delay: 1, Retries: 2}, 6},
	} {
		if got := SlotTime(tc.g); got != tc.want {
			t.Errorf("SlotTime(%+v) = %v, want %v", tc.g, got, tc.want)
		}
	}
}

// TestGTransform: monotone, 0 at 0, 1/2 at GScale, below 1.
func TestGTransform(t *testing.T) {
	for _, tc := range []struct{ raw, want float64 }{
		{0, 0}, {-1, 0}, {math.NaN(), 0}, {GScale, 0.5}, {3 * GScale, 0.75}, {math.Inf(1), 1},
	} {
		if got := GTransform(tc.raw); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("GTransform(%v) = %v, want %v", tc.raw, got, tc.want)
		}
	}
	prev := -1.0
	for x := 0.0; x < 100*GScale; x += GScale / 7 {
		g := GTransform(x)
		if !(g > prev) || g >= 1 {
			t.Fatalf("GTransform(%v) = %v after %v", x, g, prev)
		}
		prev = g
	}
}

// TestGradientSNR checks the estimator on samples with a known answer.
func TestGradientSNR(t *testing.T) {
	if got := gradientSNR([][]float64{{1, 2}, {1, 2}, {1, 2}}); got != 0 {
		t.Errorf("constant samples: %v, want 0 (no variance, no signal)", got)
	}
	// Mean (1, 0), per-coordinate variance 1 in the first: |m|^2 - trC/N = 1 - 1/4.
	x := [][]float64{{0, 0}, {2, 0}, {0, 0}, {2, 0}}
	trC := 4.0 / 3
	want := (1 - trC/4) / trC
	if got := gradientSNR(x); math.Abs(got-want) > 1e-12 {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestMeasureBanditClosedForm: the probe's base-policy success on the
// bandit's fresh job instances matches the family's closed form for the
// same base model (calibration), within the CI over probe seeds widened by
// the sampling error of one seed's attempts.
func TestMeasureBanditClosedForm(t *testing.T) {
	cfg := familyConfig(t, "bandit")
	cfg.Env.Grind.Resets = false
	opt := probeOpts()
	opt.Attempts = 400
	s := measure(t, cfg, opt)
	want := 0.0
	for k := 0; k < opt.Seeds; k++ {
		fam, m, err := probeBaseModel(cfg, cfg.SeedBase+k)
		if err != nil {
			t.Fatal(err)
		}
		logits := make([]float64, fam.Spec().Actions)
		q, err := fam.(*envs.Bandit).ExpectedSuccess(envs.SplitTrain, func(o *envs.Obs, dst []float64) {
			m.Logits(logits, o)
			agents.Softmax(dst, logits)
		})
		if err != nil {
			t.Fatal(err)
		}
		want += q / float64(opt.Seeds)
	}
	se := math.Sqrt(want * (1 - want) / float64(opt.Attempts*opt.Seeds))
	if math.Abs(s.BaseSuccess.Point-want) > 4*se {
		t.Errorf("base success %.4f [%.4f, %.4f], closed form %.4f +- %.4f (4 s.e.)", s.BaseSuccess.Point, s.BaseSuccess.Lo, s.BaseSuccess.Hi, want, 4*se)
	}
}

// TestMeasureDeterministic: the same config gives the same scores whatever
// the worker count.
func TestMeasureDeterministic(t *testing.T) {
	cfg := familyConfig(t, "arith")
	opt := probeOpts()
	a := measure(t, cfg, opt)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	b := measure(t, cfg, opt)
	if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) { // %v: NaN fields compare equal
		t.Errorf("two measurements differ:\n%+v\n%+v", a, b)
	}
}

// TestGReadsTheGrindKnobs: every grindability knob that enters G changes
// it (each alone, from the defaults, on skills); which way is a finding,
// logged, not asserted. day_budget does not enter G (it bounds
// a day, not the signal per unit of time), and neither do the verifier's
// knobs (TestGZeroWithoutDifferingVerdicts).
func TestGReadsTheGrindKnobs(t *testing.T) {
	opt := probeOpts()
	base := measure(t, familyConfig(t, "skills"), opt)
	for _, tc := range []struct {
		name string
		set  func(g *envs.GrindConfig)
		same bool
	}{
		{"group_size 4", func(g *envs.GrindConfig) { g.GroupSize = 4 }, false},
		{"retries 2", func(g *envs.GrindConfig) { g.Retries = 2 }, false},
		{"flakiness 0.3", func(g *envs.GrindConfig) { g.Flakiness = 0.3 }, false},
		{"granularity step", func(g *envs.GrindConfig) { g.Granularity = envs.GranularityStep }, false},
		{"resets off", func(g *envs.GrindConfig) { g.Resets = false }, false},
		{"day_budget 50", func(g *envs.GrindConfig) { g.DayBudget = 50 }, true},
	} {
		cfg := familyConfig(t, "skills")
		tc.set(&cfg.Env.Grind)
		s := measure(t, cfg, opt)
		if same := s.G == base.G; same != tc.same {
			t.Errorf("%s: G %+v, defaults %+v: want same = %v", tc.name, s.G, base.G, tc.same)
		}
		t.Logf("%s: G %.3f [%.3f, %.3f] (defaults %.3f)", tc.name, s.G.Point, s.G.Lo, s.G.Hi, base.G.Point)
	}
}

// TestProbeFlakesLikeTheLoop: the probes fail a correct step by the job
// loop's rule (envs.Flaked at the attempt's key, then flake on the outcome),
// so the oracle's probed steps fail exactly where Flaked says, and its
// outcome is flake's. The oracle succeeds unflaked, so every failure here
// is flakiness.
func TestProbeFlakesLikeTheLoop(t *testing.T) {
	cfg := familyConfig(t, "skills")
	cfg.Env.Grind.Flakiness = 0.3
	fam, m, err := probeBaseModel(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := fam.Spec()
	p := &prober{cfg: cfg, fam: fam, env: fam.NewEnv(), obs: envs.NewObs(s), m: m,
		logits: make([]float64, s.Actions), probs: make([]float64, s.Actions), coef: make([]float64, s.Actions)}
	flakedSteps, steps := 0, 0
	for j := 0; j < 64; j++ {
		task, err := fam.Task(envs.SplitTrain, j)
		if err != nil {
			t.Fatal(err)
		}
		key := envs.Key(7, uint64(j))
		p.env.Reset(&task, &p.obs)
		for !p.env.Step(p.env.Correct(), &p.obs).Done {
		}
		clean := p.env.Outcome()
		o := p.play(probeOracle, &task, key, false)
		n := 0
		for st, ok := range p.stepOK {
			if want := !envs.Flaked(cfg.Env.Grind.Flakiness, key, st); ok != want {
				t.Fatalf("task %d step %d: probe says ok %v, envs.Flaked says %v", j, st, ok, want)
			}
			if !ok {
				n++
			}
		}
		if want := flake(clean, n); o != want {
			t.Fatalf("task %d: probe outcome %+v, the loop's flake gives %+v", j, o, want)
		}
		flakedSteps += n
		steps += len(p.stepOK)
	}
	if flakedSteps == 0 || flakedSteps == steps {
		t.Fatalf("%d of %d steps flaked at flakiness 0.3: the test shows nothing", flakedSteps, steps)
	}
}
