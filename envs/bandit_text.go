package envs

import (
	"strconv"
	"strings"
)

// Render implements Texter: the context and the arms.
func (f *Bandit) Render(o *Obs) string {
	var b strings.Builder
	b.WriteString("Pick the arm most likely to pay off in this context. Round ")
	b.WriteString(strconv.Itoa(o.Step + 1))
	b.WriteString(".\nContext: ")
	fmtVec(&b, o.Dense[banditX])
	if id := o.Index[banditContext]; id >= 0 {
		b.WriteString("\nContext identity: ")
		b.WriteString(strconv.Itoa(id))
	}
	b.WriteString("\nAnswer with one arm: ")
	b.WriteString(legal(f.ActionNames()))
	b.WriteString(".")
	return b.String()
}

// ActionNames implements Texter: the arms are numbered.
func (f *Bandit) ActionNames() []string { return numberedNames(f.spec.Actions) }

// ParseAction implements Texter.
func (f *Bandit) ParseAction(s string) (int, error) { return parseNamed(s, f.ActionNames()) }
