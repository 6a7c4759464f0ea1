package experiments

import (
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
