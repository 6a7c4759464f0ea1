package experiments

import (
	"testing"

	"github.com/grindbench/grindbench/results"

	"github.com/grindbench/grindbench/results/stats"
)

const sftConfig = `
experiment = "sft"
seeds = 8
[job]
days = 2
tasks = 64
record_attempts = true
[eval]
tasks = 64
splits = ["train", "inspan", "pretrain"]
[pretrain]
tasks = 1000
[env.skills]
accept = 2
[env.grind]
group_size = 2
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "sft"
mechanisms = ["sft-demo"]
[[agent]]
name = "sft-base"
mechanisms = ["sft-demo"]
[agent.sft-demo]
rule = "base-preferred"
`

// sft-demo learns the job from demonstrations (train success rises over
// the frozen base, paired CI above 0) and never asks the verifier: no
// verifier call in its compute, no verdict on its attempts. The two
// demonstration rules teach different things where a step accepts two
// answers.
func TestSFTDemoLearnsWithoutTheVerifier(t *testing.T) {
	_, recs := mustRun(t, mustParse(t, sftConfig), 2)
	for _, agent := range []string{"sft", "sft-base"} {
		x, y := paired(finalValues(recs, agent, "train", successGreedy), finalValues(recs, "frozen", "train", successGreedy))
		if d := stats.PairedDiff(x, y, 0.95, 2000, 1); !(d.Lo > 0) {
			t.Errorf("%s - frozen on train: %v, want a gain", agent, d)
		} else {
			t.Logf("%s - frozen on train: %+.3f [%+.3f, %+.3f]", agent, d.Point, d.Lo, d.Hi)
		}
	}
	for _, c := range recs.Checkpoints {
		if c.Agent != "frozen-tuned" && c.VerifierCalls != 0 {
			t.Fatalf("%s made %d verifier calls", c.Run, c.VerifierCalls)
		}
	}
	for _, a := range recs.Attempts {
		if a.Verdict != "none" {
			t.Fatalf("%s attempt judged %q: nobody asked", a.Run, a.Verdict)
		}
	}
	same := true
	canon, base := finalValues(recs, "sft", "train", successGreedy), finalValues(recs, "sft-base", "train", successGreedy)
	for s, v := range canon {
		if base[s] != v {
			same = false
		}
	}
	if same {
		t.Error("canonical and base-preferred demonstrations gave identical results")
	}
}

// The regularizers run inside a real job: EWC fetches the base model's
// Fisher from the world, and each regularizer changes what rlvr ends with.
func TestRegularizersInAJob(t *testing.T) {
	exp := mustParse(t, smallConfig(`[[agent]]
name = "rlvr-ewc"
mechanisms = ["rlvr"]
[agent.rlvr]
ewc = 50.0
[[agent]]
name = "rlvr-l2"
mechanisms = ["rlvr"]
[agent.rlvr]
l2 = 0.5
[[agent]]
name = "sft-kl"
mechanisms = ["sft-demo"]
[agent.sft-demo]
kl = 1.0
[[agent]]
name = "sft"
mechanisms = ["sft-demo"]
`), "pretrain.fisher_tasks=50")
	_, recs := mustRun(t, exp, 2)
	mass := func(agent string) map[int]float64 {
		return finalValues(recs, agent, "train", func(c *results.Checkpoint) float64 { return c.SharedMass })
	}
	for _, pair := range [][2]string{{"rlvr-ewc", "rlvr"}, {"rlvr-l2", "rlvr"}, {"sft-kl", "sft"}} {
		a, b := mass(pair[0]), mass(pair[1])
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("%s vs %s: %d and %d runs", pair[0], pair[1], len(a), len(b))
		}
		differ := false
		for s := range a {
			differ = differ || a[s] != b[s]
		}
		if !differ {
			t.Errorf("%s ended with the same weights as %s", pair[0], pair[1])
		}
	}
}
