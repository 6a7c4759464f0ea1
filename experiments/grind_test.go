package experiments

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// grindKnobSets sets every grindability knob away from its default, for
// the determinism tests.
var grindKnobSets = []string{"job.sessions=2", "job.record_attempts=true", "env.grind.retries=2", "env.grind.flakiness=0.1",
	`env.grind.granularity="step"`, "env.grind.attempt_cost=1.5", "env.grind.delay=2.5", "env.grind.day_budget=30"}

// feedbackSeen is what a feedbackRecorder saw at one Learn call.
type feedbackSeen struct {
	now, sent, arrived float64
	logged             int // attempts in the session log then
	retry              int
	verdicts, steps    int // attempt verdicts; step verdicts (total)
	stepLists          int // len(StepVerdicts), -1 for nil
	stepsOK            bool
	dream              bool
	passes             int // attempt verdicts that are a pass
}

var feedbackLog []feedbackSeen

// feedbackRecorder is a test mechanism that writes down the clock and the
// feedback at every Learn, and that it came no earlier than its arrival.
type feedbackRecorder struct{}

func (feedbackRecorder) Name() string { return "fb-rec" }
func (feedbackRecorder) Learn(a *agents.Agent, fb *agents.Feedback) {
	s := feedbackSeen{now: fb.Harness.Now(), sent: fb.Sent, arrived: fb.Arrived, logged: a.Log.Len(), retry: fb.Retry,
		verdicts: len(fb.Verdicts), stepLists: -1, stepsOK: true, dream: fb.Dream}
	for _, v := range fb.Verdicts {
		if v == envs.VerdictPass {
			s.passes++
		}
	}
	if fb.StepVerdicts != nil {
		s.stepLists = len(fb.StepVerdicts)
		for i, sv := range fb.StepVerdicts {
			s.steps += len(sv)
			s.stepsOK = s.stepsOK && len(sv) == a.Log.Steps(fb.Attempts[i])
		}
	}
	feedbackLog = append(feedbackLog, s)
}

func init() {
	agents.RegisterMechanism(agents.MechanismFactory{
		Name: "fb-rec", Doc: "test only: records the feedback it is handed and when", Verdicts: true,
		New: func(any) (agents.Mechanism, error) { return feedbackRecorder{}, nil },
	})
}

// recorderConfig is a one-seed job of an fb-rec agent.
func recorderConfig() string {
	return `
experiment = "grind"
seeds = 1
[job]
days = 2
sessions = 2
tasks = 6
[eval]
tasks = 4
[pretrain]
tasks = 50
[env.grind]
group_size = 2
[[agent]]
name = "rec"
mechanisms = ["fb-rec"]
`
}

func recordFeedback(t *testing.T, sets ...string) []feedbackSeen {
	t.Helper()
	feedbackLog = nil
	mustRun(t, mustParse(t, recorderConfig(), sets...), 1)
	return feedbackLog
}

// delay: verdicts arrive delay after their group ends, the learner sees
// none before its arrival time, and its first update comes later (after
// more attempts) than without a delay; every group's feedback still
// arrives, the session ending when its last verdict has.
func TestDelayPostponesLearning(t *testing.T) {
	now := recordFeedback(t)
	late := recordFeedback(t, "env.grind.delay=2.5")
	if len(now) != 2*2*6 || len(late) != len(now) {
		t.Fatalf("feedback: %d without delay, %d with, want %d each", len(now), len(late), 2*2*6)
	}
	for i, s := range late {
		if s.now < s.arrived || s.arrived != s.sent+1+2.5 {
			t.Fatalf("feedback %d: delivered at %v, sent %v, arrived %v: want arrival = sent + cost + delay, delivered no earlier", i, s.now, s.sent, s.arrived)
		}
	}
	if now[0].now != 1 || now[0].logged != 2 {
		t.Fatalf("without delay: first feedback at time %v after %d attempts, want 1 and 2", now[0].now, now[0].logged)
	}
	// Groups take 1 each: the first verdicts arrive at 3.5, delivered at
	// the first delivery point after that, the end of the fourth group
	// (time 4), after four groups of 2.
	if late[0].now != 4 || late[0].logged != 8 {
		t.Fatalf("with delay 2.5: first feedback at time %v after %d attempts, want 4 and 8", late[0].now, late[0].logged)
	}
	// The session's last verdicts: the worker waits for them.
	last := late[6-1]
	if last.now != last.arrived || last.arrived != 6+2.5 {
		t.Fatalf("with delay 2.5: a session's last feedback delivered at %v, arrived %v, want both 8.5", last.now, last.arrived)
	}
}

// attempt_cost scales the clock: arrival times grow with it.
func TestAttemptCostAdvancesTheClock(t *testing.T) {
	fb := recordFeedback(t, "env.grind.attempt_cost=3")
	for i, s := range fb {
		if want := float64(i+1) * 3; s.arrived != want || s.now != want {
			t.Fatalf("feedback %d: arrived %v, delivered %v, want %v (cost 3 per group)", i, s.arrived, s.now, want)
		}
	}
}

// step granularity: one verdict per step, group_size lists each as long as
// its attempt; at attempt granularity none.
func TestStepGranularityGivesStepVerdicts(t *testing.T) {
	for _, s := range recordFeedback(t) {
		if s.stepLists != -1 || s.verdicts != 2 {
			t.Fatalf("attempt granularity: %d step lists, %d verdicts; want none and 2", s.stepLists, s.verdicts)
		}
	}
	for _, s := range recordFeedback(t, `env.grind.granularity="step"`) {
		if s.stepLists != 2 || !s.stepsOK || s.steps == 0 {
			t.Fatalf("step granularity: %d step lists (%d verdicts, lengths match steps: %v), want 2 of one per step", s.stepLists, s.steps, s.stepsOK)
		}
	}
}

// lastCheckpoints returns each run's checkpoint records at its last day
// on split.
func lastCheckpoints(recs *results.Records, split string) map[string]results.Checkpoint {
	out := map[string]results.Checkpoint{}
	for _, c := range recs.Checkpoints {
		if c.Split == split && c.Day >= out[c.Run].Day {
			out[c.Run] = c
		}
	}
	return out
}

func knobConfig(agent string) string {
	return fmt.Sprintf(`
experiment = "grind"
seeds = 4
[job]
days = 2
tasks = 32
record_attempts = true
[eval]
tasks = 32
[pretrain]
tasks = 300
[env.grind]
group_size = 1
[[agent]]
name = "a"
mechanisms = [%q]
`, agent)
}

// Step verdicts: the verifier is called once per step (group_size x steps
// per slot), and rlvr learns from them.
func TestStepGranularityVerifierCallsAndLearning(t *testing.T) {
	_, recs := mustRun(t, mustParse(t, knobConfig("rlvr"), `env.grind.granularity="step"`, "env.grind.group_size=2"), 2)
	for run, c := range lastCheckpoints(recs, "train") {
		if c.VerifierCalls != c.EnvSteps || c.Attempts != 2*32*2 {
			t.Fatalf("run %s: %d verifier calls for %d env steps in %d attempts, want one per step", run, c.VerifierCalls, c.EnvSteps, c.Attempts)
		}
		if c.GradSteps == 0 {
			t.Fatalf("run %s: rlvr took no gradient step from step verdicts", run)
		}
	}
	for _, a := range recs.Attempts {
		if a.Verdict != "none" || a.StepVerdicts == "" {
			t.Fatalf("attempt record at step granularity: verdict %q, step verdicts %q", a.Verdict, a.StepVerdicts)
		}
	}
}

// slotOutcomes returns, per (run, day, session, slot), the success of the
// first and of the last attempt at its instance.
func slotOutcomes(recs *results.Records) (first, last map[string]float64) {
	first, last = map[string]float64{}, map[string]float64{}
	for _, a := range recs.Attempts {
		k := fmt.Sprint(a.Run, a.Day, a.Session, a.Slot)
		if a.Retry == 0 && a.Member == 0 {
			first[k] = a.Success
		}
		last[k] = a.Success
	}
	return first, last
}

func mean(m map[string]float64) float64 {
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s / float64(len(m))
}

// retries: with a perfect verifier, a frozen agent retries an instance
// until it passes, so its success per instance (the last attempt's) rises
// above the first attempt's; a retry follows only a failed verdict, after
// it arrived.
func TestRetriesRaiseJobSuccess(t *testing.T) {
	_, recs := mustRun(t, mustParse(t, knobConfig("frozen"), "env.grind.retries=3", "env.grind.delay=0.5"), 2)
	first, last := slotOutcomes(recs)
	if len(first) != 4*2*32 {
		t.Fatalf("%d slots, want %d", len(first), 4*2*32)
	}
	f, l := mean(first), mean(last)
	if !(l > f+0.05) {
		t.Fatalf("success per instance: first attempt %.3f, after retries %.3f: want retries to raise it", f, l)
	}
	prev := map[string]results.Attempt{}
	retried := 0
	for _, a := range recs.Attempts {
		k := fmt.Sprint(a.Run, a.Day, a.Session, a.Slot)
		if a.Retry > 0 {
			retried++
			p := prev[k]
			if p.Verdict == "pass" || p.Retry != a.Retry-1 || a.Time < p.Time+0.5+1 {
				t.Fatalf("retry %d at %v after attempt %+v: want it after a failed verdict arrived", a.Retry, a.Time, p)
			}
		}
		prev[k] = a
	}
	if retried == 0 {
		t.Fatal("no retries")
	}
}

// flakiness: the world fails correct steps, so the job's success falls;
// checkpoints measure the policy, so a frozen agent's are unchanged.
func TestFlakinessLowersJobNotCheckpointSuccess(t *testing.T) {
	// Two-step tasks, so that the base policy succeeds often enough.
	_, clean := mustRun(t, mustParse(t, knobConfig("frozen"), "env.skills.length=2"), 2)
	_, flaky := mustRun(t, mustParse(t, knobConfig("frozen"), "env.skills.length=2", "env.grind.flakiness=0.3"), 2)
	js := func(r *results.Records) float64 {
		s := 0.0
		for _, a := range r.Attempts {
			s += a.Success
		}
		return s / float64(len(r.Attempts))
	}
	if c, f := js(clean), js(flaky); !(c > 0.2 && f < c*0.7) {
		t.Fatalf("job success: %.3f without flakiness, %.3f with 0.3: want lower", c, f)
	}
	a, b := lastCheckpoints(clean, "train"), lastCheckpoints(flaky, "train")
	for run, c := range a {
		if c.SuccessGreedy != b[run].SuccessGreedy || c.SuccessSampled != b[run].SuccessSampled {
			t.Fatalf("run %s: checkpoint success moved with flakiness: %v/%v vs %v/%v", run, c.SuccessGreedy, c.SuccessSampled, b[run].SuccessGreedy, b[run].SuccessSampled)
		}
	}
}

// day_budget: the day ends when its budget is spent; the checkpoints say
// how many slots it skipped and when they were taken.
func TestDayBudgetEndsDaysEarly(t *testing.T) {
	exp := mustParse(t, knobConfig("frozen"), "job.sessions=2", "env.grind.attempt_cost=2", "env.grind.day_budget=21")
	_, recs := mustRun(t, exp, 2)
	perDay := map[string]int{}
	for _, a := range recs.Attempts {
		perDay[fmt.Sprint(a.Run, a.Day)]++
		if a.Session != 0 || a.Time > float64(a.Day)*20 {
			t.Fatalf("attempt in session %d at time %v: the budget allows 10 groups a day", a.Session, a.Time)
		}
	}
	for k, n := range perDay {
		if n != 10 {
			t.Fatalf("%s: %d attempts, want 10 (budget 21 / cost 2)", k, n)
		}
	}
	for _, c := range recs.Checkpoints {
		if c.Day > 0 && (c.SkippedSlots != 2*32-10 || c.Time != float64(c.Day)*20) {
			t.Fatalf("day %d checkpoint: %d skipped slots at time %v, want %d at %v", c.Day, c.SkippedSlots, c.Time, 2*32-10, float64(c.Day)*20)
		}
	}
}

// Flaked is a keyed draw at the given rate, and never fires at 0.
func TestFlakedRate(t *testing.T) {
	n, hits := 20000, 0
	for i := range n {
		if envs.Flaked(0.25, uint64(i), 3) {
			hits++
		}
		if envs.Flaked(0, uint64(i), 3) {
			t.Fatal("flaked at flakiness 0")
		}
	}
	if r := float64(hits) / float64(n); math.Abs(r-0.25) > 0.015 {
		t.Fatalf("flake rate %.4f, want 0.25", r)
	}
}

// A sweep with report.competence gets the grind-vs-verify table and a
// days-to-competence heatmap per agent, placed on the measured (V, G) given;
// a simulated-time curve per point when the job is clocked.
func TestGrindVsVerifyOutputs(t *testing.T) {
	src := knobConfig("rlvr") + `
[report]
competence = 0.3
[sweep]
"env.verifier.coverage" = [1.0, 0.3]
"env.grind.attempt_cost" = [1.0, 2.0]
`
	exp := mustParse(t, src, "seeds=2", "job.record_attempts=false", "env.grind.day_budget=64")
	dir, _ := mustRun(t, exp, 2)
	var m []results.EnvMeasure
	for i, p := range exp.Points {
		m = append(m, results.EnvMeasure{Point: p.Label, V: 1 - 0.3*float64(i/2), G: 0.5 + 0.1*float64(i%2)})
	}
	if err := results.WriteMeasured(dir, m); err != nil {
		t.Fatal(err)
	}
	b, err := results.Build(dir, results.BuildOptions{PlotFormats: []string{".svg"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"grind_vs_verify.md": false, "competence_a.svg": false, "train.svg": false}
	for _, f := range b.Files {
		for k := range want {
			if strings.HasSuffix(f, string(filepath.Separator)+k) {
				want[k] = true
			}
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("no %s among the outputs", k)
		}
	}
}

// The estimate counts 1 + retries groups per slot: the job's steps grow by
// exactly that factor, and attempt records (with their clock fields) with it.
func TestEstimateCountsRetries(t *testing.T) {
	base := mustParse(t, knobConfig("rlvr"), "eval.tasks=1", "pretrain.tasks=1")
	retried := mustParse(t, knobConfig("rlvr"), "eval.tasks=1", "pretrain.tasks=1", "env.grind.retries=3")
	if base.Estimate.Steps >= retried.Estimate.Steps || base.Estimate.RecordBytes*2 >= retried.Estimate.RecordBytes {
		t.Fatalf("retries = 3: estimate %v steps and %v record bytes, without retries %v and %v", retried.Estimate.Steps, retried.Estimate.RecordBytes, base.Estimate.Steps, base.Estimate.RecordBytes)
	}
	// Job steps: days x tasks x group (1) x retries x steps per task (4) x seeds.
	if d := retried.Estimate.Steps - base.Estimate.Steps; d != 2*32*3*4*4 {
		t.Fatalf("retries added %v steps, want %d (days x tasks x 3 more groups x 4 steps, for each of 4 runs)", d, 2*32*3*4*4)
	}
}

// Merging shards keeps the measured V and G one of them wrote.
func TestMergeKeepsMeasured(t *testing.T) {
	exp := mustParse(t, knobConfig("frozen")+"[sweep]\n\"env.verifier.coverage\" = [1.0, 0.5]\n", "seeds=1", "eval.tasks=4", "pretrain.tasks=20")
	var shards []string
	for i := range 2 {
		d := t.TempDir()
		if _, err := Run(context.Background(), exp, RunOptions{Out: d, Workers: 1, Shard: Shard{i, 2}}); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, d)
	}
	want := []results.EnvMeasure{{Point: exp.Points[0].Label, V: 1, G: 0.5}}
	if err := results.WriteMeasured(shards[1], want); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	if _, _, err := Merge(merged, shards); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(shards[1], results.MeasuredFile))
	if b, err := os.ReadFile(filepath.Join(merged, results.MeasuredFile)); err != nil || !bytes.Equal(a, b) {
		t.Fatalf("merged %s: %v", results.MeasuredFile, err)
	}
}

// TestOptionalMetricsHaveARule: the estimate counts an optional metric's
// bootstrap draws only where a config records it, so every optional
// summarized metric needs its rule, and each rule is off at the defaults.
func TestOptionalMetricsHaveARule(t *testing.T) {
	def := Default()
	for _, m := range results.Metrics() {
		if !m.Optional {
			continue
		}
		rule, ok := optionalRecordedBy[m.Name]
		if !ok {
			t.Errorf("optional metric %s has no rule in optionalRecordedBy", m.Name)
			continue
		}
		if rule(&def) {
			t.Errorf("optional metric %s is recorded by the default config", m.Name)
		}
	}
	on := Default()
	on.Eval.PassKSamples, on.Eval.Distance = 4, true
	on.Agents = []agents.Config{{Name: "d", Mechanisms: []string{"rlvr", "dream"}}}
	for name, rule := range optionalRecordedBy {
		if !rule(&on) {
			t.Errorf("%s: not recorded by a config with pass@k, distance and a dreaming agent", name)
		}
	}
}
