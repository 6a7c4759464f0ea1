package experiments

import (
	"strings"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/results"
)

// capacityAxis returns the first sweep axis that sets the context's
// capacity (agents.ContextCapacityKnob, for every agent with agent.* or
// for one) of an agent that learns through its context alone at every
// point (agents.ContextAlone), with those agents; nil if none does.
func capacityAxis(exp *Experiment) *results.CapacityAxis {
	for _, ax := range exp.Sweep {
		who, ok := strings.CutSuffix(ax.Key, "."+agents.ContextCapacityKnob)
		if !ok {
			continue
		}
		who, ok = strings.CutPrefix(who, "agent.")
		if !ok || strings.Contains(who, ".") {
			continue
		}
		var controls []string
		for i, a := range exp.Config.Agents {
			if who != "*" && who != a.Name {
				continue
			}
			alone := true
			for _, p := range exp.Points {
				alone = alone && i < len(p.Config.Agents) && agents.ContextAlone(p.Config.Agents[i])
			}
			if alone {
				controls = append(controls, a.Name)
			}
		}
		if len(controls) > 0 {
			return &results.CapacityAxis{Key: ax.Key, Controls: controls}
		}
	}
	return nil
}
