package envs

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The tests every family's own test file used to copy: one driver each,
// run per family with that family's cases (kept in its own test file).

// configCase is a knob setting Validate must refuse, naming the knob.
type configCase[C any] struct {
	name   string
	mutate func(*C)
	want   string
}

// checkConfigValidate: the defaults validate; each case's mutation makes
// Validate fail with an error containing want, and New refuse it with the
// family's name in front.
func checkConfigValidate[C interface{ Validate() error }, F any](t *testing.T, name string, def func() C, build func(C, uint64) (F, error), cases []configCase[C]) {
	t.Helper()
	if err := def().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		c := def()
		tc.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
		if _, err := build(c, 1); err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%s: New gave %v", tc.name, err)
		}
	}
}

// TestConfigValidate runs checkConfigValidate for every registered family,
// and wants a case for each.
func TestConfigValidate(t *testing.T) {
	runPerFamily(t, map[string]func(t *testing.T){
		"arith":  func(t *testing.T) { checkConfigValidate(t, "arith", DefaultArith, NewArith, arithConfigCases) },
		"bandit": func(t *testing.T) { checkConfigValidate(t, "bandit", DefaultBandit, NewBandit, banditConfigCases) },
		"maze":   func(t *testing.T) { checkConfigValidate(t, "maze", DefaultMaze, NewMaze, mazeConfigCases) },
		"skills": func(t *testing.T) { checkConfigValidate(t, "skills", DefaultSkills, NewSkills, skillsConfigCases) },
	})
}

// runPerFamily runs each registered family's case as a subtest, in Names
// order, and fails for a family without one: a new family must add its
// line to the shared tests.
func runPerFamily(t *testing.T, cases map[string]func(t *testing.T)) {
	t.Helper()
	for _, name := range Names() {
		check, ok := cases[name]
		if !ok {
			t.Errorf("family %s has no case here", name)
			continue
		}
		t.Run(name, check)
	}
	if len(cases) != len(Names()) {
		t.Errorf("%d cases for %d registered families", len(cases), len(Names()))
	}
}

// checkRegistered: the family is registered under name, its NewConfig is a
// *C holding the defaults, New builds it at seed under that name, and a
// config of the wrong type (a C, not a *C) is an error.
func checkRegistered[C any](t *testing.T, name string, def func() C, seed uint64) {
	t.Helper()
	fac, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fac.NewConfig()
	if c, ok := cfg.(*C); !ok || fmt.Sprint(*c) != fmt.Sprint(def()) || !reflect.DeepEqual(*c, def()) {
		t.Fatalf("NewConfig gave %#v", cfg)
	}
	fam, err := fac.New(cfg, seed)
	if err != nil || fam.Name() != name {
		t.Fatalf("New: %v, %v", fam, err)
	}
	if _, err := fac.New(def(), 1); err == nil {
		t.Fatal("a config of the wrong type should be an error")
	}
}

// TestRegistered runs checkRegistered for every registered family.
func TestRegistered(t *testing.T) {
	runPerFamily(t, map[string]func(t *testing.T){
		"arith":  func(t *testing.T) { checkRegistered(t, "arith", DefaultArith, 0) },
		"bandit": func(t *testing.T) { checkRegistered(t, "bandit", DefaultBandit, 1) },
		"maze":   func(t *testing.T) { checkRegistered(t, "maze", DefaultMaze, 0) },
		"skills": func(t *testing.T) { checkRegistered(t, "skills", DefaultSkills, 0) },
	})
}
