package registry

import (
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := New[int]("widget")
	r.Register("b", 2)
	r.Register("a", 1)
	if got := strings.Join(r.Names(), ","); got != "a,b" {
		t.Fatalf("names %s, want a,b", got)
	}
	if v, err := r.Lookup("b"); err != nil || v != 2 {
		t.Fatalf("lookup b = %v, %v", v, err)
	}
	_, err := r.Lookup("c")
	if err == nil || err.Error() != `unknown widget "c" (known: a, b)` {
		t.Fatalf("lookup c: %v", err)
	}
	for _, name := range []string{"a", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", name)
				}
			}()
			r.Register(name, 9)
		}()
	}
}
