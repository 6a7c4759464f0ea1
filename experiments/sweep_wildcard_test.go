package experiments

import (
	"strings"
	"testing"

	"github.com/grindbench/grindbench/agents"
)

// A sweep key agent.*.<mechanism>.<knob> sets the knob of every agent that
// lists the mechanism, at every point, to the same value; agents without
// it are untouched; a wildcard that matches no agent is an error naming
// the key.
func TestSweepAgentWildcard(t *testing.T) {
	base := `experiment = "w"
seeds = 1
[job]
days = 1
tasks = 8
[eval]
tasks = 8
[env]
family = "skills"
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "a"
mechanisms = ["context", "consolidate"]
[[agent]]
name = "b"
mechanisms = ["context", "consolidate"]
[agent.consolidate]
method = "sft"
`
	exp, err := Parse("w.toml", []byte(base+`[sweep]
"agent.*.context.capacity" = [64, 128]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Points) != 2 {
		t.Fatalf("%d points, want 2", len(exp.Points))
	}
	for i, want := range []int{64, 128} {
		p := exp.Points[i]
		for _, a := range p.Config.Agents[1:] {
			if got := a.Knobs["context"].(*agents.ContextConfig).Capacity; got != want {
				t.Errorf("point %d, agent %s: capacity %d, want %d", i, a.Name, got, want)
			}
		}
		if len(p.Config.Agents[0].Knobs) != 0 {
			t.Errorf("point %d: the frozen agent got knobs %v", i, p.Config.Agents[0].Knobs)
		}
		if p.Label != []string{"capacity=64", "capacity=128"}[i] {
			t.Errorf("label %q", p.Label)
		}
	}
	_, err = Parse("w.toml", []byte(base+`[sweep]
"agent.*.rlvr.lr" = [1, 2]
`), nil)
	if err == nil || !strings.Contains(err.Error(), `no agent lists mechanism "rlvr"`) {
		t.Errorf("a wildcard matching no agent: error %v", err)
	}
}
