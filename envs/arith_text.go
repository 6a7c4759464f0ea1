package envs

import (
	"strconv"
	"strings"
)

// Render implements Texter: the value held, the op to apply, the modulus.
func (f *Arith) Render(o *Obs) string {
	var b strings.Builder
	b.WriteString("Arithmetic modulo ")
	b.WriteString(strconv.Itoa(f.cfg.P))
	b.WriteString(". Step ")
	b.WriteString(strconv.Itoa(o.Step + 1))
	b.WriteString(".\nYou hold: ")
	b.WriteString(strconv.Itoa(argmaxOr(o.Dense[arithValue], -1)))
	b.WriteString("\nApply: ")
	if op := argmaxOr(o.Dense[arithOpCh], -1); op >= 0 {
		b.WriteString(f.ops[op].name)
	} else {
		b.WriteString("(none)")
	}
	b.WriteString("\nAnswer with the result, one of 0 to ")
	b.WriteString(strconv.Itoa(f.cfg.P - 1))
	b.WriteString(".")
	return b.String()
}

// ActionNames implements Texter: action v is the value v.
func (f *Arith) ActionNames() []string { return numberedNames(f.cfg.P) }

// ParseAction implements Texter.
func (f *Arith) ParseAction(s string) (int, error) { return parseNamed(s, f.ActionNames()) }

// argmaxOr is the position of v's largest positive value, or none.
func argmaxOr(v []float64, none int) int {
	best, at := 0.0, none
	for i, x := range v {
		if x > best {
			best, at = x, i
		}
	}
	return at
}
