package envs

import (
	"strconv"
	"strings"
)

// Render implements Texter: the step's skill, its description and the
// context, and the legal answers.
func (f *Skills) Render(o *Obs) string {
	var b strings.Builder
	b.WriteString("Apply a skill to a context. Step ")
	b.WriteString(strconv.Itoa(o.Step + 1))
	b.WriteString(".\nSkill description: ")
	fmtVec(&b, o.Dense[skillsDesc])
	if id := o.Index[skillsID]; id >= 0 {
		b.WriteString("\nSkill identity: ")
		b.WriteString(strconv.Itoa(id))
	}
	b.WriteString("\nContext: ")
	fmtVec(&b, o.Dense[skillsX])
	b.WriteString("\nAnswer with one action: ")
	b.WriteString(legal(f.ActionNames()))
	b.WriteString(".")
	return b.String()
}

// ActionNames implements Texter: the actions are numbered.
func (f *Skills) ActionNames() []string { return numberedNames(f.spec.Actions) }

// ParseAction implements Texter.
func (f *Skills) ParseAction(s string) (int, error) { return parseNamed(s, f.ActionNames()) }
