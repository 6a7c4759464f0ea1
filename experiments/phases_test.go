package experiments

import (
	"bytes"
	"math"
	"os"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

func driftConfig(job string) string {
	return `
experiment = "drift-test"
seeds = 2
[job]
days = 3
sessions = 1
tasks = 16
record_attempts = true
` + job + `
[eval]
tasks = 16
splits = ["train", "pretrain"]
[pretrain]
tasks = 500
[env.grind]
group_size = 2
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
[agent.rlvr]
lr = 2.0
`
}

// The job draws each slot from the phases present on its day: every
// earlier group while they accumulate, the current one alone with
// withdraw; phases change nothing else about the records' shape, and every
// phase is evaluated at every checkpoint.
func TestPhasesDrawFromPresentGroups(t *testing.T) {
	for _, c := range []struct {
		withdraw bool
		sets     []string
	}{
		{false, nil},
		{true, nil},
		{false, []string{"env.grind.resets=false", "env.grind.group_size=1"}}, // fresh instances
	} {
		withdraw := c.withdraw
		job := "phase_days = [1, 2, 3]\n"
		if withdraw {
			job += "withdraw = true\n"
		}
		exp := mustParse(t, driftConfig(job), c.sets...)
		dir, recs := mustRun(t, exp, 2)
		if withdraw {
			// Determinism: the same records whatever the worker count.
			dir1, _ := mustRun(t, exp, 1)
			for _, key := range recs.Runs {
				a, _ := os.ReadFile(results.RunPath(dir, key))
				b, _ := os.ReadFile(results.RunPath(dir1, key))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Fatalf("run %s: records differ between --workers 1 and --workers 2", key)
				}
			}
		}
		// Without resets every slot is a fresh instance, never repeated
		// within a run (fresh indices are unique per run and phase).
		type inst struct {
			run         string
			phase, task int
		}
		fresh := map[inst]bool{}
		for _, a := range recs.Attempts {
			if c.sets == nil {
				continue
			}
			k := inst{a.Run, a.Phase, a.Task}
			if a.Task < envs.FreshIndex || fresh[k] {
				t.Fatalf("without resets, %s day %d slot %d: task %d is not a fresh instance or repeats", a.Run, a.Day, a.Slot, a.Task)
			}
			fresh[k] = true
		}
		seen := map[[2]int]bool{} // (day, phase) pairs attempted
		for _, a := range recs.Attempts {
			cur := a.Day // phase_days = [1, 2, 3]: phase k begins on day k
			if a.Phase < 1 || a.Phase > cur || (withdraw && a.Phase != cur) {
				t.Fatalf("withdraw=%v: day %d attempted a task of phase %d", withdraw, a.Day, a.Phase)
			}
			seen[[2]int{a.Day, a.Phase}] = true
		}
		if !withdraw && !seen[[2]int{3, 1}] {
			t.Errorf("accumulating groups: day 3 never attempted phase 1")
		}
		splits := map[string]int{}
		for _, c := range recs.Checkpoints {
			splits[c.Split]++
			if want := min(c.Day, 3); c.Phase != want {
				t.Fatalf("day %d checkpoint has phase %d, want %d", c.Day, c.Phase, want)
			}
		}
		for g := range 3 {
			if splits[envs.PhaseSplit(g)] != 2*2*4 { // agents x seeds x checkpoints
				t.Errorf("%s: %d records, want 16", envs.PhaseSplit(g), splits[envs.PhaseSplit(g)])
			}
		}
		if splits[envs.SplitUnverified] != 0 {
			t.Errorf("no unverified phases, but %d unverified records", splits[envs.SplitUnverified])
		}
	}
}

// Calibration: a frozen agent's row of the accuracy matrix R is constant
// over checkpoints (evaluation keys do not depend on the day), so its GEM
// backward transfer over phases is exactly 0.
func TestFrozenPhaseMatrixIsConstant(t *testing.T) {
	_, recs := mustRun(t, mustParse(t, driftConfig("phase_days = [1, 2, 3]")), 1)
	day0 := map[[2]any]float64{}
	for _, c := range recs.Checkpoints {
		if c.Agent != "frozen" || c.Day != 0 {
			continue
		}
		day0[[2]any{c.Seed, c.Split}] = c.SuccessGreedy
	}
	for _, c := range recs.Checkpoints {
		if c.Agent != "frozen" {
			continue
		}
		if v := day0[[2]any{c.Seed, c.Split}]; math.Float64bits(v) != math.Float64bits(c.SuccessGreedy) {
			t.Fatalf("frozen seed %d %s day %d: %v, day 0: %v", c.Seed, c.Split, c.Day, c.SuccessGreedy, v)
		}
	}
}

// With every phase unverified the job runs without a verifier: rlvr
// receives only VerdictNone, makes no update (no gradient step, its
// evaluation equals the frozen base's everywhere), no verifier call is
// charged, and the records (attempts with verdict none, the unverified
// split) are still written. With the verifier on, the same rlvr learns:
// the test can fail.
func TestUnverifiedJobMakesNoUpdate(t *testing.T) {
	_, recs := mustRun(t, mustParse(t, driftConfig("phase_days = [1, 2]\nunverified_phases = [1, 2]")), 2)
	if len(recs.Attempts) == 0 {
		t.Fatal("no attempt records")
	}
	for _, a := range recs.Attempts {
		if a.Verdict != "none" {
			t.Fatalf("%s day %d slot %d judged %q in an unverified job", a.Run, a.Day, a.Slot, a.Verdict)
		}
	}
	frozen := map[[3]any]float64{}
	unverified := 0
	for _, c := range recs.Checkpoints {
		if c.Split == envs.SplitUnverified {
			unverified++
		}
		if c.Agent == "frozen" {
			frozen[[3]any{c.Seed, c.Split, c.Day}] = c.SuccessGreedy + c.SuccessSampled
		}
	}
	if unverified == 0 {
		t.Error("no records of the unverified split")
	}
	for _, c := range recs.Checkpoints {
		if c.Agent != "rlvr" {
			continue
		}
		if c.VerifierCalls != 0 || c.GradSteps != 0 {
			t.Fatalf("rlvr day %d: %d verifier calls, %d gradient steps without a verifier", c.Day, c.VerifierCalls, c.GradSteps)
		}
		if c.Day > 0 && c.Attempts == 0 {
			t.Fatalf("rlvr day %d: no attempts charged", c.Day)
		}
		if f := frozen[[3]any{c.Seed, c.Split, c.Day}]; f != c.SuccessGreedy+c.SuccessSampled {
			t.Fatalf("rlvr seed %d %s day %d differs from frozen without any verdict", c.Seed, c.Split, c.Day)
		}
	}
	// The control: phase 1 verified, so rlvr does learn from it.
	_, recs = mustRun(t, mustParse(t, driftConfig("phase_days = [1, 2]\nunverified_phases = [2]")), 2)
	var calls int64
	for _, c := range recs.Checkpoints {
		if c.Agent == "rlvr" && c.Day == 3 && c.Split == envs.SplitUnverified {
			calls += c.GradSteps
			if c.VerifierCalls == 0 || c.VerifierCalls >= c.Attempts {
				t.Errorf("seed %d: %d verifier calls of %d attempts: want some but not all", c.Seed, c.VerifierCalls, c.Attempts)
			}
		}
	}
	if calls == 0 {
		t.Error("with phase 1 verified rlvr made no gradient step")
	}
}

// replayProbe is a test mechanism that replays every task it is handed
// feedback on through the harness and counts the verdicts it gets back.
type replayProbe struct{ judged, none *int }

func (replayProbe) Name() string { return "replay-probe" }
func (p replayProbe) Learn(a *agents.Agent, fb *agents.Feedback) {
	v, err := fb.Harness.Replay(a.Weights, fb.Task, envs.Key(uint64(fb.Task.Key), 7), nil)
	if err != nil {
		panic(err)
	}
	if v == envs.VerdictNone {
		*p.none++
	} else {
		*p.judged++
	}
}

var probeJudged, probeNone int

func init() {
	agents.RegisterMechanism(agents.MechanismFactory{
		Name: "replay-probe", Doc: "test only: replays each task it gets feedback on and counts the verdicts",
		New: func(any) (agents.Mechanism, error) { return replayProbe{&probeJudged, &probeNone}, nil },
	})
}

// The harness's Replay gives no verdict on an unverified phase's task and
// charges no verifier call for it; on a verified phase's task it does.
func TestReplayOfUnverifiedPhase(t *testing.T) {
	for _, c := range []struct {
		unverified string
		judged     bool
	}{{"[1]", false}, {"[]", true}} {
		probeJudged, probeNone = 0, 0
		src := driftConfig("phase_days = [1]\nunverified_phases = "+c.unverified) + "[[agent]]\nname = \"probe\"\nmechanisms = [\"replay-probe\"]\n"
		_, recs := mustRun(t, mustParse(t, src, "seeds=1"), 1)
		if c.judged != (probeJudged > 0) || c.judged == (probeNone > 0) {
			t.Errorf("unverified_phases = %s: %d judged and %d unjudged replays", c.unverified, probeJudged, probeNone)
		}
		for _, r := range recs.Checkpoints {
			if r.Agent == "probe" && r.Day == 3 && c.judged == (r.VerifierCalls == 0) {
				t.Errorf("unverified_phases = %s: %d verifier calls", c.unverified, r.VerifierCalls)
			}
		}
	}
}
