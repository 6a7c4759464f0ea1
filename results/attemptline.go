package results

import (
	"bytes"
	"strconv"
)

// Attempt lines are most of a folder's bytes and encoding/json decodes
// them by reflection. parseAttemptLine reads the one layout grind writes
// (the fields of Attempt in declaration order, the optional ones present
// or not, strings without escapes, integers and floats as strconv writes
// them) and reports false on anything else, so the caller falls back to
// json.Unmarshal: a line is either read exactly as json.Unmarshal reads
// it or not read by it at all (TestParseAttemptLineMatchesJSON).

// attemptFields are the keys of an attempt line in the order grind writes
// them; those after "verdict" may be absent.
var attemptFields = [...]string{"schema", "kind", "run", "experiment", "config", "point", "family", "agent", "seed", "day",
	"session", "slot", "member", "task", "success", "score", "verdict", "phase", "retry", "time", "step_verdicts"}

const firstOptionalAttemptField = 17 // "phase"

func parseAttemptLine(b []byte, a *Attempt) bool {
	p := attemptParser{b: b}
	if !p.byte('{') {
		return false
	}
	*a = Attempt{}
	next := 0
	for i := 0; ; i++ {
		if i > 0 {
			if p.peek('}') {
				p.i++
				return next >= firstOptionalAttemptField && p.i == len(p.b)
			}
			if !p.byte(',') {
				return false
			}
		}
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		// The required keys come in order; the optional ones after them,
		// in order, each at most once.
		k := next
		if next < firstOptionalAttemptField {
			if string(key) != attemptFields[next] {
				return false
			}
		} else {
			for k < len(attemptFields) && attemptFields[k] != string(key) {
				k++
			}
			if k == len(attemptFields) {
				return false
			}
		}
		next = k + 1
		switch k {
		case 1, 2, 3, 4, 5, 6, 7, 16, 20:
			s, ok := p.str()
			if !ok {
				return false
			}
			v := string(s)
			switch k {
			case 1:
				a.Kind = v
			case 2:
				a.Run = v
			case 3:
				a.Experiment = v
			case 4:
				a.Config = v
			case 5:
				a.Point = v
			case 6:
				a.Family = v
			case 7:
				a.Agent = v
			case 16:
				a.Verdict = v
			case 20:
				a.StepVerdicts = v
			}
		case 14, 15, 19:
			f, ok := p.float()
			if !ok {
				return false
			}
			switch k {
			case 14:
				a.Success = f
			case 15:
				a.Score = f
			case 19:
				a.Time = f
			}
		default:
			n, ok := p.int()
			if !ok {
				return false
			}
			switch k {
			case 0:
				a.Schema = n
			case 8:
				a.Seed = n
			case 9:
				a.Day = n
			case 10:
				a.Session = n
			case 11:
				a.Slot = n
			case 12:
				a.Member = n
			case 13:
				a.Task = n
			case 17:
				a.Phase = n
			case 18:
				a.Retry = n
			}
		}
	}
}

type attemptParser struct {
	b []byte
	i int
}

func (p *attemptParser) peek(c byte) bool { return p.i < len(p.b) && p.b[p.i] == c }

func (p *attemptParser) byte(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters (anything
// else: false, and json.Unmarshal decides).
func (p *attemptParser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	j := bytes.IndexByte(p.b[p.i:], '"')
	if j < 0 {
		return nil, false
	}
	s := p.b[p.i : p.i+j]
	for _, c := range s {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
	}
	p.i += j + 1
	return s, true
}

// number returns the bytes of a JSON number token.
func (p *attemptParser) number() []byte {
	j := p.i
	for j < len(p.b) {
		c := p.b[j]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			j++
			continue
		}
		break
	}
	s := p.b[p.i:j]
	p.i = j
	return s
}

func (p *attemptParser) int() (int, bool) {
	s := p.number()
	// Only plain integers (json.Unmarshal refuses 1.0 or 1e0 into an int).
	if !jsonNumber(s) || bytes.ContainsAny(s, ".eE") {
		return 0, false
	}
	n, err := strconv.Atoi(string(s))
	return n, err == nil
}

func (p *attemptParser) float() (float64, bool) {
	s := p.number()
	if !jsonNumber(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s), 64)
	return f, err == nil
}

// jsonNumber reports whether s is a number by JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
