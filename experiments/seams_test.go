package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// phaseRecorder is a test mechanism that writes down every phase it takes
// part in, whether the agent had a context then, and the arrival times of
// the feedback it is handed. Two of them ("rec-a", "rec-b") compose on one
// agent with "ctx-setter", which gives the agent a context on every
// feedback, so the order of phases and the context's lifetime are visible.
type phaseRecorder struct {
	name string
	log  *[]string
}

func (r *phaseRecorder) Name() string { return r.name }
func (r *phaseRecorder) note(a *agents.Agent, phase string) {
	*r.log = append(*r.log, fmt.Sprintf("%s:%s:ctx=%v", r.name, phase, a.Context() != nil))
}
func (r *phaseRecorder) StartJob(a *agents.Agent, _ agents.Harness) error {
	r.note(a, "start")
	return nil
}
func (r *phaseRecorder) Learn(a *agents.Agent, fb *agents.Feedback) {
	if fb.Arrived < fb.Sent || len(fb.Attempts) != len(fb.Verdicts) {
		panic("malformed feedback")
	}
	r.note(a, "learn")
}
func (r *phaseRecorder) EndSession(a *agents.Agent, _ agents.Harness) error {
	r.note(a, "session-end")
	return nil
}
func (r *phaseRecorder) ContextCleared(a *agents.Agent, _ agents.Harness) error {
	r.note(a, "context-cleared")
	return nil
}
func (r *phaseRecorder) Overnight(a *agents.Agent, _ agents.Harness) error {
	r.note(a, "overnight")
	return nil
}
func (r *phaseRecorder) EndDay(a *agents.Agent, _ agents.Harness) error {
	r.note(a, "day-end")
	return nil
}

type ctxSetter struct{}

func (ctxSetter) Name() string { return "ctx-setter" }
func (ctxSetter) Learn(a *agents.Agent, _ *agents.Feedback) {
	a.SetContext(make([]float64, len(a.Weights.Params())))
}

var phaseLog []string

func init() {
	for _, name := range []string{"rec-a", "rec-b"} {
		agents.RegisterMechanism(agents.MechanismFactory{
			Name: name, Doc: "test only: records the phases it takes part in",
			New: func(any) (agents.Mechanism, error) { return &phaseRecorder{name: name, log: &phaseLog}, nil },
		})
	}
	agents.RegisterMechanism(agents.MechanismFactory{
		Name: "ctx-setter", Doc: "test only: sets an (empty) context on every feedback", Learns: true,
		New: func(any) (agents.Mechanism, error) { return ctxSetter{}, nil },
	})
}

// The agent runs its phases in the documented order, and within a phase
// its mechanisms in config order: a recording mechanism sees the session's
// end while the context is present, and overnight after it is cleared.
func TestPhaseOrder(t *testing.T) {
	exp := mustParse(t, `
experiment = "phases"
seeds = 1
[job]
days = 2
sessions = 2
tasks = 1
[eval]
tasks = 2
[pretrain]
tasks = 10
[[agent]]
name = "rec"
mechanisms = ["ctx-setter", "rec-a", "rec-b"]
`)
	phaseLog = nil
	mustRun(t, exp, 1)
	session := []string{
		"rec-a:learn:ctx=true", "rec-b:learn:ctx=true",
		"rec-a:session-end:ctx=true", "rec-b:session-end:ctx=true",
		"rec-a:context-cleared:ctx=false", "rec-b:context-cleared:ctx=false",
	}
	day := slices.Concat(session, session, []string{
		"rec-a:overnight:ctx=false", "rec-b:overnight:ctx=false",
		"rec-a:day-end:ctx=false", "rec-b:day-end:ctx=false",
	})
	want := slices.Concat([]string{"rec-a:start:ctx=false", "rec-b:start:ctx=false"}, day, day)
	if !slices.Equal(phaseLog, want) {
		t.Fatalf("phases:\n got %s\nwant %s", strings.Join(phaseLog, " "), strings.Join(want, " "))
	}
}

// A mechanism's composition rules are declared with it and checked by
// validation: frozen excludes learners.
func TestCompositionRulesFromMechanisms(t *testing.T) {
	_, err := Parse("c.toml", []byte(smallConfig(`[[agent]]
name = "bad"
mechanisms = ["frozen", "ctx-setter"]
`)), nil)
	if err == nil || !strings.Contains(err.Error(), `agent.bad.mechanisms: frozen means the agent never learns, but "ctx-setter" learns`) {
		t.Fatalf("want the frozen rule, got %v", err)
	}
}

// attemptTasks returns, per run, the train-task indices of its attempts in
// order.
func attemptTasks(recs *results.Records) map[string][]int {
	out := map[string][]int{}
	for _, a := range recs.Attempts {
		out[a.Run] = append(out[a.Run], a.Task)
	}
	return out
}

// With resets off every attempt is at a fresh instance, never attempted
// again; with resets on, the job's finite pool repeats.
func TestResetsOffNeverRepeatsAnInstance(t *testing.T) {
	for _, resets := range []bool{false, true} {
		exp := mustParse(t, smallConfig(""), "job.days=3", "job.sessions=2", "job.tasks=40", "job.record_attempts=true",
			"env.grind.group_size=1", fmt.Sprintf("env.grind.resets=%v", resets))
		_, recs := mustRun(t, exp, 2)
		runs := attemptTasks(recs)
		if len(runs) != 9 {
			t.Fatalf("resets = %v: %d runs with attempts, want 9", resets, len(runs))
		}
		for run, tasks := range runs {
			seen := map[int]bool{}
			repeats := 0
			for _, ti := range tasks {
				if seen[ti] {
					repeats++
				}
				seen[ti] = true
				if fresh := ti >= envs.FreshIndex; fresh == resets {
					t.Fatalf("resets = %v: run %s attempted task %d", resets, run, ti)
				}
			}
			if len(tasks) != 240 {
				t.Fatalf("run %s: %d attempts, want 240", run, len(tasks))
			}
			if !resets && repeats > 0 {
				t.Fatalf("resets = false: run %s attempted an instance again %d times", run, repeats)
			}
			if resets && repeats == 0 {
				t.Fatalf("resets = true: run %s never met an instance again in 240 draws from a pool of 256", run)
			}
		}
	}
}

// Calibration: on the bandit family, the success a checkpoint measures for
// an agent's final policy matches the family's closed form for that
// policy, for frozen and rlvr agents with the bilinear and the MLP model,
// greedy and sampled. The held-out split is an unbounded fresh sample, so
// the measurement is unbiased even for an agent that memorized its pool.
func TestCalibrationBanditClosedForm(t *testing.T) {
	cfg := mustParse(t, `
experiment = "bandit-calibration"
seeds = 6
[job]
days = 2
tasks = 64
[eval]
tasks = 400
[pretrain]
tasks = 300
[env]
family = "bandit"
[env.bandit]
length = 2
[env.grind]
group_size = 4
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "rlvr"
mechanisms = ["rlvr"]
[[agent]]
name = "frozen-mlp"
mechanisms = ["frozen"]
[agent.policy]
model = "mlp"
hidden = 16
[[agent]]
name = "rlvr-mlp"
mechanisms = ["rlvr"]
[agent.policy]
model = "mlp"
hidden = 16
`).Points[0].Config
	for _, acfg := range cfg.Agents {
		var measured, expected, variance [2]float64 // greedy, sampled
		for seed := 0; seed < cfg.Seeds; seed++ {
			w, err := newWorld(&cfg, seed)
			if err != nil {
				t.Fatal(err)
			}
			enc := results.NewEncoder()
			a, err := runAgent(context.Background(), w, &cfg, acfg, results.Header{Run: "r", Agent: acfg.Name, Seed: seed}, enc)
			if err != nil {
				t.Fatal(err)
			}
			data := enc.Bytes()
			var checkpoints []results.Checkpoint
			for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
				var c results.Checkpoint
				if err := json.Unmarshal(line, &c); err != nil {
					t.Fatal(err)
				}
				if c.Kind == results.KindCheckpoint {
					checkpoints = append(checkpoints, c)
				}
			}
			bandit := w.fam.(*envs.Bandit)
			m := a.Acting()
			logits := make([]float64, m.Spec().Actions)
			for mode, greedy := range []bool{true, false} {
				p, err := bandit.ExpectedSuccess("heldout", func(o *envs.Obs, dst []float64) {
					m.Logits(logits, o)
					if greedy {
						clear(dst)
						dst[agents.Choose(logits, dst, true, 0)] = 1
					} else {
						agents.Softmax(dst, logits)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range checkpoints {
					if c.Day == cfg.Job.Days && c.Split == "heldout" {
						got := c.SuccessGreedy
						if !greedy {
							got = c.SuccessSampled
						}
						measured[mode] += got
						expected[mode] += p
						variance[mode] += p * (1 - p) / float64(c.Tasks)
					}
				}
			}
		}
		for mode, name := range []string{"greedy", "sampled"} {
			se := math.Sqrt(variance[mode])
			if d := measured[mode] - expected[mode]; math.Abs(d) > 4*se || expected[mode] == 0 {
				t.Errorf("%s %s: measured success summed over seeds %.4f, closed form %.4f (4 s.e. = %.4f)", acfg.Name, name, measured[mode], expected[mode], 4*se)
			} else {
				t.Logf("%s %s: measured %.4f, closed form %.4f, diff %+.4f (s.e. %.4f)", acfg.Name, name, measured[mode]/float64(cfg.Seeds), expected[mode]/float64(cfg.Seeds), d/float64(cfg.Seeds), se/float64(cfg.Seeds))
			}
		}
	}
}
