package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/grindbench/grindbench/envs"
)

// Loading works in three steps. BurntSushi/toml parses the file into plain
// maps (syntax errors come with a line). A decoder then overlays those maps
// on Default() by reflection over the toml tags; it does the typing itself,
// rather than letting toml.Decode fill the structs, because toml.Decode
// matches keys case-insensitively (`k = 3` would set K) and reports type
// mismatches without a structured position. Doing it ourselves also gives
// the file, --set and [sweep] one code path and one set of messages.
// Finally every sweep point is validated: ranges from `range` tags, then the
// cross-field validators.
//
// This file holds the entry points (Load, Parse), ConfigError and the error
// collection one Parse shares. The decoder and --set targeting are in
// decode.go, the sweep in sweep.go, validation in validate.go, and the line
// locator, which finds the file line of a key path, in locate.go.

// ConfigError is one problem with a config: it names the file, the line (0
// when unknown) and the key path.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error formats the problem as "FILE:LINE: KEY: MSG", on one line: control
// characters and invalid UTF-8 are escaped.
func (e *ConfigError) Error() string { return oneLine(e.raw()) }

func (e *ConfigError) raw() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// oneLine escapes control characters and invalid UTF-8 in s.
func oneLine(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// setFile is the File of errors about --set overrides.
const setFile = "--set"

// sweepFile is the File of errors about --sweep axes.
const sweepFile = "--sweep"

// Experiment is a loaded, validated experiment.
type Experiment struct {
	File   string   // file name used in messages ("<embedded>/headline.toml" etc.)
	Data   []byte   // the config's source text, for the record
	Sets   []string // the --set overrides, as given
	Sweeps []string // the --sweep axes, as given
	Config Config   // the resolved base config (file values + --set overrides)
	Sweep  []Axis   // the [sweep] axes in file order
	Points []Point  // expanded grid, first axis slowest; one point "default" without a sweep
	Hash   string   // hex sha256 of a canonical encoding of every point's resolved config
	// Estimate is what the config will cost (work, records, memory,
	// bootstrap draws), within the limits its max_* knobs set.
	Estimate Estimate
}

// Axis is one [sweep] entry: a knob path and the values it takes, converted
// to the knob's Go type.
type Axis struct {
	Key    string
	Values []any
	Line   int
	File   string // "--sweep" for an axis of the command line; "" for the file's [sweep]
}

// source is the File of an axis's errors and the prefix of their message
// ("in [sweep]: "; none for --sweep, which the File names).
func (ax Axis) source(file string) (string, string) {
	if ax.File != "" {
		return ax.File, ""
	}
	return file, "in [sweep]"
}

// Point is one cell of the sweep's grid.
type Point struct {
	Label  string // deterministic and safe as a file name
	Assign []Assignment
	Config Config
}

// Assignment is the value one axis takes at a point.
type Assignment struct {
	Key   string
	Value any
}

// MaxConfigBytes bounds a config file: the shipped ones are a few
// kilobytes. A path to something else (a device, a data file) fails at once
// instead of being read whole.
const MaxConfigBytes = 1 << 20

// Overrides are what the command line adds to a config: --set values and
// --sweep axes, each as given ("key=value", "key=a,b,c").
type Overrides struct {
	Sets   []string
	Sweeps []string
}

// Load reads the config at path and parses it; see Parse.
func Load(path string, sets []string) (*Experiment, error) {
	return LoadWith(path, Overrides{Sets: sets})
}

// LoadWith reads the config at path and parses it with o; see ParseWith.
func LoadWith(path string, o Overrides) (*Experiment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return ParseWith(path, data, o)
}

// Parse decodes, overrides (sets are "key=value" strings from --set),
// expands and validates a config. file names the config in messages. The
// error, if any, joins one *ConfigError per problem, sorted by line.
func Parse(file string, data []byte, sets []string) (*Experiment, error) {
	return ParseWith(file, data, Overrides{Sets: sets})
}

// ParseWith is Parse with --sweep axes too: each "key=a,b,c" is an axis of
// the [sweep] table (replacing the file's axis of that key, if any),
// checked as one; its errors name --sweep.
func ParseWith(file string, data []byte, o Overrides) (*Experiment, error) {
	sets := o.Sets
	if len(data) > MaxConfigBytes {
		return nil, &ConfigError{File: file, Msg: fmt.Sprintf("more than %d bytes (1 MiB): a config is a few kilobytes; is this the right file?", MaxConfigBytes)}
	}
	// The locator's scan comes first: it rejects nesting so deep that the
	// TOML decoder would take quadratic time over it.
	loc := newLocator(string(data))
	if loc.depth > maxNesting {
		return nil, &ConfigError{File: file, Line: loc.depthLine, Msg: fmt.Sprintf(
			"syntax error: arrays, inline tables or dotted keys nested more than %d deep; a config needs a few levels: is a bracket unbalanced?", maxNesting)}
	}
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, syntaxError(file, data, pe)
		}
		return nil, &ConfigError{File: file, Msg: "cannot read as TOML: " + err.Error()}
	}
	p := &parser{file: file, loc: loc, raw: raw, seen: map[string]bool{}, families: map[string]famResult{}}
	fd := &decoder{p: p, file: file, line: p.loc.nearest}

	base := Default()
	fd.table(reflect.ValueOf(&base).Elem(), raw, keyPath{})
	axes := fd.sweepAxes(raw, md)

	var setOverrides []override
	for _, s := range sets {
		d := &decoder{p: p, file: setFile, line: func([]string) int { return 0 }}
		key, val, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			p.add(&ConfigError{File: setFile, Msg: fmt.Sprintf("%s: want key=value, e.g. --set env.verifier.coverage=0.5", shortQuote(s))})
			continue
		}
		if newLocator("v = "+val).depth > maxNesting {
			p.add(&ConfigError{File: setFile, Key: shortKey(key), Msg: fmt.Sprintf("the value nests more than %d deep: is a bracket unbalanced?", maxNesting)})
			continue
		}
		if kp, ok := d.setPath(&base, key, setValue(val)); ok {
			setOverrides = append(setOverrides, override{path: kp.disp, file: setFile})
		}
	}

	axes = p.sweepFlags(axes, o.Sweeps)

	exp := &Experiment{File: file, Data: slices.Clone(data), Sets: slices.Clone(sets), Sweeps: slices.Clone(o.Sweeps), Config: base}
	exp.Sweep, exp.Points = p.expand(&base, axes, setOverrides)
	if len(p.errs) > 0 {
		return nil, p.err()
	}
	fams := make([]envs.Family, len(exp.Points))
	for i := range exp.Points {
		fams[i] = p.families[familyKey(&exp.Points[i].Config.Env)].fam
	}
	est, err := estimate(exp, fams)
	if err != nil {
		return nil, &ConfigError{File: file, Msg: "estimating what the config costs: " + err.Error()}
	}
	if p.checkLimits(&base, est); len(p.errs) > 0 {
		return nil, p.err()
	}
	exp.Estimate = est
	exp.Hash = hashPoints(exp.Points)
	return exp, nil
}

// syntaxError turns a TOML parse error into a ConfigError, with a hint for
// the common mistakes.
func syntaxError(file string, data []byte, pe toml.ParseError) *ConfigError {
	msg := strings.TrimSuffix(pe.Message, ".")
	switch {
	case strings.HasPrefix(msg, "expected value but found '\\n'"):
		msg = "a key needs a value after '='"
	case strings.HasPrefix(msg, "expected value but found \""):
		msg += ": strings need quotes, as in family = \"skills\""
	case strings.Contains(msg, "has already been defined"):
		msg += ": each key and each [table] may appear once; merge the two"
	case strings.Contains(msg, "strings cannot contain newlines"):
		msg += ": is a closing quote missing?"
	case strings.Contains(msg, "to end table name"):
		msg += ": is the closing ']' missing?"
	case strings.Contains(msg, "out of range for int64"):
		msg += ": integers must fit in 64 bits"
	}
	e := &ConfigError{File: file, Line: pe.Position.Line, Key: pe.LastKey, Msg: "syntax error"}
	if col := column(data, pe.Position); col > 0 {
		e.Msg += fmt.Sprintf(" at column %d", col)
	}
	e.Msg += ": " + msg
	return e
}

// column is the column, in characters from 1, of a parse error's position
// on its line. The decoder counts bytes (so a key such as "ключ" shifts
// it) and, at the start of a line, from the previous one; this counts
// characters from the start of the error's own line. 0 if unknown.
func column(data []byte, pos toml.Position) int {
	if pos.Line < 1 || pos.Start < 0 || pos.Start > len(data) {
		return pos.Col
	}
	start := 0
	for line := 1; line < pos.Line; line++ {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			return pos.Col
		}
		start += i + 1
	}
	if pos.Start < start {
		return pos.Col
	}
	return utf8.RuneCount(data[start:pos.Start]) + 1
}

// shortKey cuts a --set key for a message about its value.
func shortKey(key string) string {
	if len(key) > 80 {
		return key[:77] + "..."
	}
	return key
}

// setValue reads a --set value as a TOML value, or else as a bare string,
// so that --set experiment=foo needs no quotes.
func setValue(s string) any {
	var m map[string]any
	if _, err := toml.Decode("v = "+s, &m); err == nil && len(m) == 1 {
		return m["v"]
	}
	return strings.TrimSpace(s)
}

// parser holds what one Parse call shares: the source, its line locator
// and the errors found so far.
type parser struct {
	file     string
	loc      *locator
	raw      map[string]any
	errs     []*ConfigError
	seen     map[string]bool      // messages already reported: points repeat them
	families map[string]famResult // built families by knobs, so a sweep builds each once
}

type famResult struct {
	fam    envs.Family // built at seed 0
	splits []string
	err    error
}

func (p *parser) add(e *ConfigError) {
	if s := e.Error(); !p.seen[s] {
		p.seen[s] = true
		p.errs = append(p.errs, e)
	}
}

// maxErrors bounds the problems one Parse reports: past that many, the
// file is probably not a config at all.
const maxErrors = 25

func (p *parser) err() error {
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
	shown := p.errs
	if len(shown) > maxErrors {
		shown = shown[:maxErrors-1]
	}
	errs := make([]error, len(shown), len(shown)+1)
	for i, e := range shown {
		errs[i] = e
	}
	if more := len(p.errs) - len(shown); more > 0 {
		errs = append(errs, &ConfigError{File: p.file, Msg: fmt.Sprintf("and %d more problems: fix the ones above first", more)})
	}
	return errors.Join(errs...)
}
