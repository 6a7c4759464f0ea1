package results_test

import (
	"fmt"

	"github.com/grindbench/grindbench/results"
)

func ExampleLookupMetric() {
	for _, name := range []string{"success_greedy", "verdict_reward", "forgetting"} {
		m, _ := results.LookupMetric(name)
		fmt.Printf("%s: direction %s, in [%g, %g]\n", m.Name, m.Direction, m.Min, m.Max)
	}
	fmt.Println("grind compare by default:", results.DefaultCompareMetrics())
	// Output:
	// success_greedy: direction higher, in [0, 1]
	// verdict_reward: direction none, in [0, 1]
	// forgetting: direction lower, in [-1, 1]
	// grind compare by default: [success_greedy score_greedy step_acc_greedy success_sampled]
}
