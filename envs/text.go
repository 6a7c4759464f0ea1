package envs

import (
	"fmt"
	"strconv"
	"strings"
)

// Texter is implemented by families that render their observations and
// actions as text, so an agent that reads and writes text (a language
// model) can take part through the external protocol. Render describes the
// situation an observation shows and lists the legal answers;
// ActionNames names each action (the answers ParseAction accepts, among
// others); ParseAction turns an answer into an action, or says clearly why
// it cannot.
type Texter interface {
	Render(o *Obs) string
	ActionNames() []string
	ParseAction(s string) (int, error)
}

// parseNamed parses an answer against action names: the name itself (case
// and surrounding space and punctuation ignored), the action's number, or
// a last line "answer: NAME". The error names every legal answer.
func parseNamed(s string, names []string) (int, error) {
	t := strings.TrimSpace(s)
	if i := strings.LastIndex(strings.ToLower(t), "answer:"); i >= 0 {
		t = strings.TrimSpace(t[i+len("answer:"):])
	}
	t = strings.Trim(t, " \t\r\n.!\"'`*()[]")
	low := strings.ToLower(t)
	for i, n := range names {
		if low == strings.ToLower(n) {
			return i, nil
		}
	}
	if i, err := strconv.Atoi(t); err == nil {
		if i >= 0 && i < len(names) {
			return i, nil
		}
		return 0, fmt.Errorf("answer %q: action %d is out of range: the legal answers are %s", s, i, legal(names))
	}
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return 0, fmt.Errorf("answer %q is not a legal action: answer one of %s", s, legal(names))
}

func legal(names []string) string { return strings.Join(names, ", ") }

// fmtVec writes v with 3 decimals.
func fmtVec(b *strings.Builder, v []float64) {
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatFloat(x, 'f', 3, 64))
	}
	b.WriteByte(']')
}

// numberedNames is "0", "1", ..., n-1.
func numberedNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}
