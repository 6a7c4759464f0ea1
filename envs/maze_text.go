package envs

import (
	"strconv"
	"strings"
)

var mazeActionNames = []string{"north", "east", "south", "west", "stop"}

// Render implements Texter: the window around the agent as a small map,
// where the goal lies, and the moves.
func (f *Maze) Render(o *Obs) string {
	var b strings.Builder
	b.WriteString("Walk to the goal in a grid maze and stop on it. Step ")
	b.WriteString(strconv.Itoa(o.Step + 1))
	b.WriteString(".\nAround you (# wall or edge, . open, @ you), north up:\n")
	r := f.cfg.View
	side := 2*r + 1
	view := o.Dense[mazeView][1:] // after the constant 1, own cell skipped
	k := 0
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			switch {
			case y == r && x == r:
				b.WriteByte('@')
			case view[k] > 0:
				b.WriteByte('#')
				k++
			default:
				b.WriteByte('.')
				k++
			}
		}
		b.WriteByte('\n')
	}
	g := o.Dense[mazeGoal]
	if g[mazeGoalHere] > 0 {
		b.WriteString("You are on the goal.")
	} else {
		var dirs []string
		for i, name := range []string{"north", "east", "south", "west"} {
			if g[mazeGoalNorth+i] > 0 {
				dirs = append(dirs, name)
			}
		}
		b.WriteString("The goal lies ")
		b.WriteString(strings.Join(dirs, " and "))
		b.WriteString(" of you (direction east ")
		b.WriteString(strconv.FormatFloat(g[mazeGoalDX], 'f', 2, 64))
		b.WriteString(", south ")
		b.WriteString(strconv.FormatFloat(g[mazeGoalDY], 'f', 2, 64))
		b.WriteString(").")
	}
	b.WriteString("\nAnswer with one move: ")
	b.WriteString(legal(mazeActionNames))
	b.WriteString(".")
	return b.String()
}

// ActionNames implements Texter.
func (f *Maze) ActionNames() []string { return append([]string(nil), mazeActionNames...) }

// ParseAction implements Texter: a move's name or its first letter.
func (f *Maze) ParseAction(s string) (int, error) {
	if t := strings.ToLower(strings.TrimSpace(s)); len(t) == 1 {
		for i, n := range mazeActionNames {
			if t[0] == n[0] {
				return i, nil
			}
		}
	}
	return parseNamed(s, mazeActionNames)
}
