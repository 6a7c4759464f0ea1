package experiments

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/grindbench/grindbench/results"
)

// The manifest names the sweep axis of the context's capacity and the
// agents that learn through their context alone, for the information a
// session needs; nothing without such an axis or such an agent.
func TestCapacityAxis(t *testing.T) {
	for _, c := range []struct {
		name   string
		sweeps []string
		want   *results.CapacityAxis
	}{
		{"shipped", nil, &results.CapacityAxis{Key: "agent.*.context.capacity", Controls: []string{"context-only"}}},
		{"one agent's axis", []string{"agent.context-only.context.capacity=64,128"}, &results.CapacityAxis{Key: "agent.context-only.context.capacity", Controls: []string{"context-only"}}},
		{"a consolidating agent's axis", []string{"agent.sft.context.capacity=64,128"}, nil},
		{"another knob", []string{"agent.*.context.step=0.5,1"}, nil},
	} {
		exp, err := LoadShippedWith("back-to-weights", Overrides{Sweeps: c.sweeps})
		if err != nil {
			t.Fatal(err)
		}
		if c.sweeps != nil { // the case's axis alone (--sweep adds it last)
			exp.Sweep = exp.Sweep[len(exp.Sweep)-1:]
		}
		if got := capacityAxis(exp); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// End to end: a small capacity sweep's folder gets the information-needed
// tables and the kept-gain figure, from the manifest alone.
func TestCapacitySweepBuildsInformationNeeded(t *testing.T) {
	src := `
experiment = "capacity"
seeds = 3
[job]
days = 2
tasks = 64
record_attempts = true
[eval]
tasks = 8
[pretrain]
tasks = 200
[report]
baseline = "context-only"
[[agent]]
name = "context-only"
mechanisms = ["context", "consolidate"]
[agent.consolidate]
method = "none"
[[agent]]
name = "sft"
mechanisms = ["context", "consolidate"]
[agent.consolidate]
method = "sft"
[sweep]
"agent.*.context.capacity" = [4, 64]
`
	dir, _ := mustRun(t, mustParse(t, src), 2)
	b, err := results.Build(dir, results.BuildOptions{PlotFormats: []string{".svg"}, Resamples: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Summary.InfoNeeded) != 1 || b.Summary.InfoNeeded[0].Agent != "context-only" {
		t.Fatalf("InfoNeeded %+v, want one, of context-only", b.Summary.InfoNeeded)
	}
	files := []string{"tables/information_needed.csv", "tables/information_ratio.md"}
	if in := b.Summary.InfoNeeded[0]; in.Needed.Point <= 64 { // a gain at the largest capacity: a figure
		files = append(files, "plots/information_needed/kept_vs_information_ratio.svg")
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
