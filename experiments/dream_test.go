package experiments

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results"
	"github.com/grindbench/grindbench/results/stats"
)

// dreamConfig is a small skills job; agents are appended verbatim.
func dreamConfig(seeds, tasks int, agents string) string {
	return fmt.Sprintf(`
experiment = "dream-test"
seeds = %d
[job]
days = 2
sessions = 1
tasks = %d
[eval]
tasks = 64
splits = ["train"]
[pretrain]
tasks = 1000
[env]
family = "skills"
[env.grind]
resets = true
group_size = 4
`, seeds, tasks) + agents
}

func dreamAgent(name, knobs string) string {
	return fmt.Sprintf(`
[[agent]]
name = %q
mechanisms = ["rlvr", "dream"]
[agent.rlvr]
lr = 2.0
[agent.dream]
%s
`, name, knobs)
}

const rlvrAgent = `
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
[agent.rlvr]
lr = 2.0
`

// Calibration: replaying the job's own tasks with the oracle verifier at
// ratio r is the same learning signal as (1 + r) times the real attempts
// (the same tasks, the true verdict, rlvr's update): final success agrees
// within the paired CI with a job of 2x the tasks at r = 1, while the job
// with the real attempts alone is told apart from the 2x one (the check
// has the power to see a missing dream).
func TestCalibrationOracleReplayIsMoreRealAttempts(t *testing.T) {
	seeds, tasks := 16, 32
	if testing.Short() {
		seeds = 12
	}
	_, dreamt := mustRun(t, mustParse(t, dreamConfig(seeds, tasks, dreamAgent("oracle", `ratio = 1.0
verifier = "oracle"`)+rlvrAgent)), 2)
	_, more := mustRun(t, mustParse(t, dreamConfig(seeds, 2*tasks, rlvrAgent)), 2)
	d := finalValues(dreamt, "oracle", "train", successSampledMean)
	m := finalValues(more, "rlvr", "train", successSampledMean)
	r := finalValues(dreamt, "rlvr", "train", successSampledMean)
	ci := requireZeroInCI(t, "oracle replay at ratio 1 - 2x real attempts", d, m)
	t.Logf("oracle replay r=1 - 2x real: %+.3f [%+.3f, %+.3f]", ci.Point, ci.Lo, ci.Hi)
	x, y := paired(m, r)
	if p := stats.PairedDiff(x, y, 0.95, 4000, 11); !(p.Lo > 0) {
		t.Errorf("2x real - 1x real: %+.3f [%+.3f, %+.3f]: the check cannot tell a missing dream", p.Point, p.Lo, p.Hi)
	} else {
		t.Logf("2x real - 1x real: %+.3f [%+.3f, %+.3f]", p.Point, p.Lo, p.Hi)
	}
}

// successSampledMean is the mean of greedy and sampled success: a less
// noisy reading of one checkpoint.
func successSampledMean(c *results.Checkpoint) float64 {
	return (c.SuccessGreedy + c.SuccessSampled) / 2
}

// Calibration: dreaming never asks the real verifier and makes no real
// attempt, at any ratio; its attempts are counted as dreams, ratio per real
// attempt.
func TestDreamLeavesRealVerifierCallsUnchanged(t *testing.T) {
	var agents strings.Builder
	agents.WriteString(rlvrAgent)
	ratios := []float64{0, 1, 3}
	for _, r := range ratios {
		agents.WriteString(dreamAgent(fmt.Sprintf("r%v", r), fmt.Sprintf("ratio = %v", r)))
		agents.WriteString(dreamAgent(fmt.Sprintf("gen-r%v", r), fmt.Sprintf("ratio = %v\nkind = \"generative\"\nstray = 0.5", r)))
	}
	_, recs := mustRun(t, mustParse(t, dreamConfig(2, 16, agents.String())), 2)
	type at struct{ seed, day int }
	want := map[at]results.Checkpoint{}
	for _, c := range recs.Checkpoints {
		if c.Agent == "rlvr" {
			want[at{c.Seed, c.Day}] = c
		}
	}
	for _, c := range recs.Checkpoints {
		w := want[at{c.Seed, c.Day}]
		if c.Attempts != w.Attempts || c.VerifierCalls != w.VerifierCalls || c.EnvSteps != w.EnvSteps {
			t.Errorf("%s day %d: %d attempts, %d verifier calls, %d env steps; rlvr alone %d, %d, %d",
				c.Agent, c.Day, c.Attempts, c.VerifierCalls, c.EnvSteps, w.Attempts, w.VerifierCalls, w.EnvSteps)
		}
		r := 0.0
		if c.Agent != "rlvr" {
			fmt.Sscanf(strings.TrimPrefix(c.Agent, "gen-"), "r%g", &r)
		}
		if got, wantN := c.DreamAttempts, int64(math.Round(r*float64(c.Attempts))); got != wantN {
			t.Errorf("%s day %d: %d dream attempts after %d real, want %d", c.Agent, c.Day, got, c.Attempts, wantN)
		}
		if (c.DreamReward != nil) != (r > 0 && c.Day > 0) {
			t.Errorf("%s day %d: dream measurements %v, ratio %v", c.Agent, c.Day, c.DreamReward, r)
		}
	}
}

// What the harness measures of dreams: with the oracle, the verdict learnt
// from is the truth (no gap) while the learned verifier's disagreement is
// still measured; with the learned verifier, reward and truth part.
func TestDreamMeasurements(t *testing.T) {
	agents := dreamAgent("oracle", "ratio = 2.0\nverifier = \"oracle\"") + dreamAgent("learned", "ratio = 2.0\nepsilon = 2.0")
	_, recs := mustRun(t, mustParse(t, dreamConfig(2, 32, agents)), 2)
	parted := false
	for _, c := range recs.Checkpoints {
		if c.Day == 0 {
			continue
		}
		if c.DreamReward == nil || c.DreamSuccess == nil || c.DreamDisagreement == nil {
			t.Fatalf("%s day %d: no dream measurements", c.Agent, c.Day)
		}
		switch c.Agent {
		case "oracle":
			if *c.DreamReward != *c.DreamSuccess || *c.DreamDisagreement == 0 {
				t.Errorf("oracle day %d: reward %v, success %v, disagreement %v", c.Day, *c.DreamReward, *c.DreamSuccess, *c.DreamDisagreement)
			}
		case "learned":
			parted = parted || *c.DreamReward != *c.DreamSuccess
		}
		if c.DreamGradSteps == 0 || c.DreamGradSteps >= c.GradSteps || c.DreamSteps == 0 {
			t.Errorf("%s day %d: %d dream grad steps of %d, %d dream steps", c.Agent, c.Day, c.DreamGradSteps, c.GradSteps, c.DreamSteps)
		}
	}
	if !parted {
		t.Error("the learned verifier's reward never parted from the truth")
	}
}

// Every knob of dream changes what the agent does.
func TestDreamKnobsChangeBehaviour(t *testing.T) {
	base := "ratio = 1.0"
	cases := []struct{ name, knobs string }{
		{"ratio", "ratio = 2.0"},
		{"epsilon", "ratio = 1.0\nepsilon = 2.0"},
		{"kind", "ratio = 1.0\nkind = \"generative\"\nstray = 0.5"},
		{"verifier", "ratio = 1.0\nverifier = \"oracle\""},
		{"verifier_lr", "ratio = 1.0\nverifier_lr = 0.5"},
		{"verifier_epochs", "ratio = 1.0\nverifier_epochs = 5"},
	}
	agents := dreamAgent("base", base) + dreamAgent("gen-near", "ratio = 1.0\nkind = \"generative\"\nstray = 0.2")
	for _, c := range cases {
		agents += dreamAgent(c.name, c.knobs)
	}
	cases = append(cases, struct{ name, knobs string }{"stray", ""})
	_, recs := mustRun(t, mustParse(t, dreamConfig(1, 16, agents)), 2)
	sig := map[string]string{}
	for _, c := range recs.Checkpoints {
		sig[c.Agent] += fmt.Sprintf("%v %v %v %d|", c.SuccessSampled, c.SuccessGreedy, optionalValue(c.DreamReward), c.GradSteps)
	}
	for _, c := range cases {
		ref, name := "base", c.name
		if c.name == "stray" {
			ref, name = "gen-near", "kind" // stray 0.2 against 0.5
		}
		if sig[name] == sig[ref] {
			t.Errorf("knob %s: the agent did exactly what %s did", c.name, ref)
		}
	}
}

func optionalValue(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// Dreaming keeps records bit-identical whatever the worker count.
func TestDreamRecordsIdenticalAcrossWorkerCounts(t *testing.T) {
	exp := mustParse(t, dreamConfig(2, 16, dreamAgent("gen", "ratio = 2.0\nkind = \"generative\"\nstray = 0.5\nepsilon = 1.0")+rlvrAgent))
	dir1, r1 := mustRun(t, exp, 1)
	dir2, _ := mustRun(t, exp, 2)
	for _, key := range r1.Runs {
		a, _ := os.ReadFile(results.RunPath(dir1, key))
		b, _ := os.ReadFile(results.RunPath(dir2, key))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("run %s: records differ between --workers 1 and --workers 2", key)
		}
	}
	for _, c := range r1.Checkpoints {
		if c.Agent == "gen" && c.Day > 0 && c.LearnedVerifierSteps == 0 {
			t.Errorf("day %d: no learned verifier steps counted", c.Day)
		}
	}
}

// At env.grind.granularity = "step" dreams are judged per step: the
// dream feedback carries one verdict per step of each dreamed attempt and
// no attempt verdict, so rlvr credits steps as on real step verdicts; with
// the oracle the verdict learnt from is still the truth. At attempt
// granularity dream feedback carries attempt verdicts only.
func TestDreamsJudgedPerStepAtStepGranularity(t *testing.T) {
	spy := func(name, knobs string) string {
		return strings.Replace(dreamAgent(name, knobs), `mechanisms = ["rlvr", "dream"]`, `mechanisms = ["rlvr", "dream", "fb-rec"]`, 1)
	}
	for _, step := range []bool{true, false} {
		for _, verifier := range []string{"learned", "oracle"} {
			feedbackLog = nil
			var sets []string
			if step {
				sets = append(sets, `env.grind.granularity="step"`)
			}
			_, recs := mustRun(t, mustParse(t, dreamConfig(1, 8, spy("d", "ratio = 2.0\nverifier = \""+verifier+"\"")), sets...), 1)
			dreams, stepLists := 0, 0
			for _, s := range feedbackLog {
				if !s.dream {
					continue
				}
				dreams++
				if s.stepLists >= 0 {
					stepLists++
					if s.stepLists != 4 || !s.stepsOK || s.passes != 0 || s.steps == 0 {
						t.Errorf("step %v %s: dream feedback %+v: want 4 step lists as long as their attempts, no attempt verdict", step, verifier, s)
					}
				}
			}
			if dreams == 0 {
				t.Fatalf("step %v %s: no dream feedback", step, verifier)
			}
			if want := map[bool]int{true: dreams, false: 0}[step]; stepLists != want {
				t.Errorf("step %v %s: %d of %d dream feedbacks with step verdicts, want %d", step, verifier, stepLists, dreams, want)
			}
			for _, c := range recs.Checkpoints {
				if c.Day == 0 {
					continue
				}
				if c.DreamReward == nil || c.DreamDisagreement == nil {
					t.Fatalf("step %v %s day %d: no dream measurements", step, verifier, c.Day)
				}
				if verifier == "oracle" && *c.DreamReward != *c.DreamSuccess {
					t.Errorf("step %v oracle day %d: dream reward %v, true success %v", step, c.Day, *c.DreamReward, *c.DreamSuccess)
				}
			}
		}
	}
}
