package experiments

import "testing"

func TestStarterName(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"my.toml", "my"},
		{"dir/Coverage Study.toml", "coverage-study"},
		{`C:\x\a.b`, "a-b"},
		{"___.toml", "my-experiment"},
	} {
		if got := StarterName(tc.file); got != tc.want {
			t.Errorf("StarterName(%q) = %q, want %q", tc.file, got, tc.want)
		}
		if _, err := Parse(tc.file, Starter(StarterName(tc.file)), nil); err != nil {
			t.Errorf("starter named after %q: %v", tc.file, err)
		}
	}
}
