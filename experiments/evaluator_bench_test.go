package experiments

import (
	"testing"

	"github.com/grindbench/grindbench/agents"
)

// BenchmarkEvalSplit measures checkpoint evaluation one split at a time:
// the headline's world at seed 0 (default skills family, eval.tasks = 128),
// the pretrained base model as the agent, one greedy and one sampled
// attempt at each of the split's tasks, as a checkpoint does (the logit
// cache is reset once per op, as once per checkpoint). One op is one
// split's evaluation; steps/s counts the env steps it took.
func BenchmarkEvalSplit(b *testing.B) {
	exp, err := LoadShipped("headline", []string{"seeds=1"})
	if err != nil {
		b.Fatal(err)
	}
	cfg := &exp.Points[0].Config
	w, err := newWorld(cfg, 0)
	if err != nil {
		b.Fatal(err)
	}
	base, err := w.base(cfg.Agents[0])
	if err != nil {
		b.Fatal(err)
	}
	a, err := agents.New(cfg.Agents[0], base, w.modelSeed())
	if err != nil {
		b.Fatal(err)
	}
	for _, split := range w.splits {
		b.Run(split, func(b *testing.B) {
			e := newEvaluator(w, cfg)
			steps := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.cache.Reset(a.Acting())
				steps += int(e.split(w.eval[split]).steps)
			}
			b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
