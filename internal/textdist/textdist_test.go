package textdist

import "testing"

func TestOSA(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"run", "run", 0}, {"rnu", "run", 1}, {"sedes", "seeds", 1},
		{"headlin", "headline", 1}, {"temp", "temperature", 7}, {"", "abc", 3}, {"kitten", "sitting", 3},
	} {
		if got := OSA(tc.a, tc.b); got != tc.want {
			t.Errorf("OSA(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := OSA(tc.b, tc.a); got != tc.want {
			t.Errorf("OSA(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}
