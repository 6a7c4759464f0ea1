package results

import (
	"math"
	"testing"
)

func TestDerivedQuantities(t *testing.T) {
	// Forgetting: best earlier value minus now; NaN skipped.
	a := []float64{0.5, 0.8, math.NaN(), 0.6, 0.9}
	for _, tc := range []struct {
		k    int
		want float64
	}{{1, -0.3}, {3, 0.8 - 0.6}, {4, 0.8 - 0.9}} {
		if got := forgetting(a, tc.k); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("Forgetting(k=%d) = %v, want %v", tc.k, got, tc.want)
		}
	}
	if !math.IsNaN(forgetting(a, 0)) || !math.IsNaN(forgetting(a, 2)) {
		t.Error("Forgetting without an earlier value or with a NaN now is not NaN")
	}
	if got := gap(0.75, 0.25); got != 0.5 {
		t.Errorf("Gap = %v", got)
	}
	if got := averageAccuracy([]float64{0.2, 0.4, 0.9}); math.Abs(got-0.5) > 1e-15 {
		t.Errorf("AverageAccuracy = %v", got)
	}
	if !math.IsNaN(averageAccuracy([]float64{0.2, math.NaN()})) || !math.IsNaN(averageAccuracy(nil)) {
		t.Error("AverageAccuracy with a missing split is not NaN")
	}
	if got := meanChange([]float64{0.5, 0.2}, []float64{0.8, 0.1}); math.Abs(got-(-0.1)) > 1e-15 {
		t.Errorf("MeanChange = %v, want -0.1", got)
	}
}
