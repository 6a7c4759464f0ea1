package envs

import (
	"strconv"
	"strings"
	"testing"
)

func buildDefault(t *testing.T, name string) Family {
	t.Helper()
	f, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	fam, err := f.New(f.NewConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return fam
}

// Every family renders every split's observations as text naming the legal
// answers, and parses each of its answers back to its action.
func TestTextRenderingsOfEveryFamily(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			fam := buildDefault(t, name)
			tx, ok := fam.(Texter)
			if !ok {
				t.Fatalf("family %s has no text rendering", name)
			}
			names := tx.ActionNames()
			if len(names) != fam.Spec().Actions {
				t.Fatalf("%d action names for %d actions", len(names), fam.Spec().Actions)
			}
			for a, n := range names {
				for _, answer := range []string{n, " " + strings.ToUpper(n) + ".", "I think so.\nAnswer: " + n} {
					if got, err := tx.ParseAction(answer); err != nil || got != a {
						t.Fatalf("ParseAction(%q) = %d, %v; want %d", answer, got, err, a)
					}
				}
			}
			for _, bad := range []string{"", "banana", strconv.Itoa(len(names)), "-1"} {
				_, err := tx.ParseAction(bad)
				if err == nil || !strings.Contains(err.Error(), names[len(names)-1]) {
					t.Fatalf("ParseAction(%q): want an error naming the legal answers, got %v", bad, err)
				}
			}
			env := fam.NewEnv()
			obs := NewObs(fam.Spec())
			for _, split := range fam.Splits() {
				task, err := fam.Task(split, 0)
				if err != nil {
					t.Fatal(err)
				}
				env.Reset(&task, &obs)
				for step := 0; ; step++ {
					text := tx.Render(&obs)
					if !strings.Contains(text, names[len(names)-1]) || !strings.Contains(text, "Step "+strconv.Itoa(step+1)) && !strings.Contains(text, "Round "+strconv.Itoa(step+1)) {
						t.Fatalf("%s step %d: the rendering names neither the step nor the answers:\n%s", split, step, text)
					}
					if env.Step(env.Correct(), &obs).Done {
						break
					}
				}
			}
		})
	}
}

// The renderings say what the channels hold.
func TestTextRenderingsShowTheObservation(t *testing.T) {
	ar := buildDefault(t, "arith").(*Arith)
	mz := buildDefault(t, "maze").(*Maze)
	for _, tc := range []struct {
		name string
		fam  Family
		want func(o *Obs) []string
	}{
		{"arith", ar, func(o *Obs) []string {
			return []string{"You hold: " + strconv.Itoa(argmaxOr(o.Dense[arithValue], -1)), "Apply: " + ar.OpName(argmaxOr(o.Dense[arithOpCh], -1))}
		}},
		{"maze", mz, func(o *Obs) []string {
			walls := 0
			for _, v := range o.Dense[mazeView][1:] {
				if v > 0 {
					walls++
				}
			}
			return []string{"walls=" + strconv.Itoa(walls)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.fam.NewEnv()
			obs := NewObs(tc.fam.Spec())
			for i := range 5 {
				task, _ := tc.fam.Task(SplitTrain, i)
				env.Reset(&task, &obs)
				text := tc.fam.(Texter).Render(&obs)
				for _, w := range tc.want(&obs) {
					if n, ok := strings.CutPrefix(w, "walls="); ok {
						grid := text[strings.Index(text, "north up:\n") : strings.Index(text, "The goal")+len("")]
						if got := strconv.Itoa(strings.Count(grid, "#")); got != n {
							t.Fatalf("task %d: the map shows %s walls, the view %s:\n%s", i, got, n, text)
						}
						continue
					}
					if !strings.Contains(text, w) {
						t.Fatalf("task %d: rendering lacks %q:\n%s", i, w, text)
					}
				}
			}
		})
	}
}
