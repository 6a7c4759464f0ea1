package experiments

import (
	"slices"
	"strconv"
	"strings"
)

// The line locator. BurntSushi/toml does not expose the positions of keys,
// so this scans the source for table headers and keys, tracking [table] and
// [[array]] headers, and records the line where each key path is defined.
// Array elements are path segments "[i]": the keys of the second [[agent]]
// block live under agent.[1]. Keys inside inline tables and arrays are not
// indexed; nearest falls back to the line of the enclosing key.

type locator struct {
	lines  map[string]locLine
	arrays map[string]int // elements seen per array-of-tables path
	// depth is the deepest nesting of brackets, braces and dotted-key
	// segments seen, first reached at depthLine.
	depth, depthLine int
}

// maxNesting bounds depth: a config needs a few levels, and the TOML
// decoder takes time quadratic in the depth of nested inline tables.
const maxNesting = 32

type locLine struct {
	line     int
	explicit bool // defined by a header or key, not implied by a dotted one
}

func locKey(segs []string) string { return strings.Join(segs, "\x00") }

// nearest returns the line of loc, or of its nearest ancestor in the file;
// 0 if none.
func (l *locator) nearest(loc []string) int {
	for n := len(loc); n > 0; n-- {
		if ll, ok := l.lines[locKey(loc[:n])]; ok {
			return ll.line
		}
	}
	return 0
}

func (l *locator) record(path []string, line int) {
	for n := 1; n <= len(path); n++ {
		k := locKey(path[:n])
		explicit := n == len(path)
		if old, ok := l.lines[k]; !ok || (explicit && !old.explicit) {
			l.lines[k] = locLine{line, explicit}
		}
	}
}

// resolve turns a header's keys into a path with array indices.
func (l *locator) resolve(keys []string, array bool) []string {
	var out []string
	for i, k := range keys {
		out = append(out, k)
		key := locKey(out)
		if array && i == len(keys)-1 {
			l.arrays[key]++
			out = append(out, "["+strconv.Itoa(l.arrays[key]-1)+"]")
		} else if n := l.arrays[key]; n > 0 {
			out = append(out, "["+strconv.Itoa(n-1)+"]")
		}
	}
	return out
}

func newLocator(src string) *locator {
	l := &locator{lines: map[string]locLine{}, arrays: map[string]int{}}
	s := &scanner{src: src, line: 1}
	var table []string
	defer func() { l.depth, l.depthLine = s.depth, s.depthLine }()
	for {
		s.skipSpace(true)
		if s.eof() {
			return l
		}
		line, start := s.line, s.pos
		if s.peek() == '[' {
			array := strings.HasPrefix(s.src[s.pos:], "[[")
			s.pos++
			if array {
				s.pos++
			}
			keys := s.keys()
			if s.depth > maxNesting {
				break // recording so long a path would take quadratic time
			}
			table = l.resolve(keys, array)
			l.record(table, line)
			s.skipLine()
		} else {
			keys := s.keys()
			if s.depth > maxNesting {
				break
			}
			s.skipSpace(false)
			if s.peek() == '=' {
				s.pos++
				l.record(append(slices.Clip(table), keys...), line)
				s.skipValue()
			}
		}
		if s.pos == start {
			s.skipLine() // malformed: make progress
		}
	}
	return l
}

// scanner reads TOML source just well enough to find keys.
type scanner struct {
	src  string
	pos  int
	line int
	// depth is the deepest nesting seen, first at depthLine.
	depth, depthLine int
}

// nest notes a nesting depth reached at the current line.
func (s *scanner) nest(depth int) {
	if depth > s.depth {
		s.depth, s.depthLine = depth, s.line
	}
}

func (s *scanner) eof() bool { return s.pos >= len(s.src) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.pos]
}

// next consumes one byte, counting lines.
func (s *scanner) next() byte {
	c := s.src[s.pos]
	s.pos++
	if c == '\n' {
		s.line++
	}
	return c
}

// skipSpace skips blanks and comments, and newlines when newlines is set.
func (s *scanner) skipSpace(newlines bool) {
	for !s.eof() {
		switch c := s.peek(); {
		case c == ' ' || c == '\t' || c == '\r':
			s.next()
		case c == '\n' && newlines:
			s.next()
		case c == '#':
			for !s.eof() && s.peek() != '\n' {
				s.next()
			}
		default:
			return
		}
	}
}

// skipLine skips to the start of the next line.
func (s *scanner) skipLine() {
	for !s.eof() && s.next() != '\n' {
	}
}

// keys reads a dotted key: bare, "basic" or 'literal' parts.
func (s *scanner) keys() []string {
	var keys []string
	for {
		s.skipSpace(false)
		var k string
		switch c := s.peek(); {
		case c == '"':
			raw := s.basicString()
			if u, err := strconv.Unquote(`"` + raw + `"`); err == nil {
				k = u
			} else {
				k = raw
			}
		case c == '\'':
			k = s.literalString()
		default:
			start := s.pos
			for !s.eof() && isBare(s.peek()) {
				s.next()
			}
			k = s.src[start:s.pos]
		}
		keys = append(keys, k)
		s.nest(len(keys))
		s.skipSpace(false)
		if s.peek() != '.' {
			return keys
		}
		s.next()
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// basicString consumes "..." and returns its raw contents.
func (s *scanner) basicString() string {
	s.next()
	start := s.pos
	for !s.eof() {
		switch s.peek() {
		case '\\':
			s.next()
			if !s.eof() {
				s.next()
			}
		case '"':
			raw := s.src[start:s.pos]
			s.next()
			return raw
		case '\n':
			return s.src[start:s.pos]
		default:
			s.next()
		}
	}
	return s.src[start:]
}

// literalString consumes '...' and returns its contents.
func (s *scanner) literalString() string {
	s.next()
	start := s.pos
	for !s.eof() && s.peek() != '\'' && s.peek() != '\n' {
		s.next()
	}
	raw := s.src[start:s.pos]
	if s.peek() == '\'' {
		s.next()
	}
	return raw
}

// multiline consumes a triple-quoted string, delimiters included.
func (s *scanner) multiline(delim string, escapes bool) {
	s.pos += 3
	for !s.eof() {
		if escapes && s.peek() == '\\' {
			s.next()
			if !s.eof() {
				s.next()
			}
			continue
		}
		if strings.HasPrefix(s.src[s.pos:], delim) {
			s.pos += 3
			for i := 0; i < 2 && s.peek() == delim[0]; i++ { // up to two quotes may end the content
				s.pos++
			}
			return
		}
		s.next()
	}
}

// skipValue consumes a value, which may span lines inside brackets or
// multi-line strings, up to the end of its line.
func (s *scanner) skipValue() {
	depth := 0
	dots := 0 // dots in the current dotted key of an inline table
	for !s.eof() {
		c := s.peek()
		switch {
		case c == '.':
			dots++
			s.nest(depth + dots)
		case !isBare(c) && c != ' ' && c != '\t' && c != '"' && c != '\'':
			dots = 0
		}
		switch {
		case strings.HasPrefix(s.src[s.pos:], `"""`):
			s.multiline(`"""`, true)
		case strings.HasPrefix(s.src[s.pos:], `'''`):
			s.multiline(`'''`, false)
		case c == '"':
			s.basicString()
		case c == '\'':
			s.literalString()
		case c == '#':
			for !s.eof() && s.peek() != '\n' {
				s.next()
			}
		case c == '[' || c == '{':
			depth++
			s.nest(depth)
			s.next()
		case c == ']' || c == '}':
			depth--
			s.next()
		case c == '\n':
			s.next()
			if depth <= 0 {
				return
			}
		default:
			s.next()
		}
	}
}
