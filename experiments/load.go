package experiments

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/grindbench/grindbench/agents"
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

// Experiment is a loaded, validated experiment.
type Experiment struct {
	File   string   // file name used in messages ("<embedded>/headline.toml" etc.)
	Data   []byte   // the config's source text, for the record
	Sets   []string // the --set overrides, as given
	Config Config   // the resolved base config (file values + --set overrides)
	Sweep  []Axis   // the [sweep] axes in file order
	Points []Point  // expanded grid, first axis slowest; one point "default" without a sweep
	Hash   string   // hex sha256 of a canonical encoding of every point's resolved config
}

// Axis is one [sweep] entry: a knob path and the values it takes, converted
// to the knob's Go type.
type Axis struct {
	Key    string
	Values []any
	Line   int
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

// Load reads the config at path and parses it; see Parse.
func Load(path string, sets []string) (*Experiment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(path, data, sets)
}

// Parse decodes, overrides (sets are "key=value" strings from --set),
// expands and validates a config. file names the config in messages. The
// error, if any, joins one *ConfigError per problem, sorted by line.
func Parse(file string, data []byte, sets []string) (*Experiment, error) {
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
			return nil, syntaxError(file, pe)
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

	exp := &Experiment{File: file, Data: slices.Clone(data), Sets: slices.Clone(sets), Config: base}
	exp.Sweep, exp.Points = p.expand(&base, axes, setOverrides)
	if len(p.errs) > 0 {
		return nil, p.err()
	}
	exp.Hash = hashPoints(exp.Points)
	return exp, nil
}

// syntaxError turns a TOML parse error into a ConfigError, with a hint for
// the common mistakes.
func syntaxError(file string, pe toml.ParseError) *ConfigError {
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
	if pe.Position.Col > 0 {
		e.Msg += fmt.Sprintf(" at column %d", pe.Position.Col)
	}
	e.Msg += ": " + msg
	return e
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

// decoder assigns TOML values to the config. Its errors name file and a
// line found by line (the locator for the file, 0 for --set, the axis's line
// for [sweep]); prefix starts every message.
type decoder struct {
	p      *parser
	file   string
	line   func(loc []string) int
	prefix string
}

func (d *decoder) errorf(kp keyPath, format string, args ...any) {
	d.p.add(&ConfigError{File: d.file, Line: d.line(kp.loc), Key: kp.String(), Msg: d.prefix + fmt.Sprintf(format, args...)})
}

// assign sets v from a TOML value (or from a value of v's own Go type).
func (d *decoder) assign(v reflect.Value, val any, kp keyPath) {
	if val != nil && reflect.TypeOf(val) == v.Type() {
		v.Set(deepCopy(reflect.ValueOf(val)))
		return
	}
	if isTable(v) {
		m, ok := val.(map[string]any)
		if !ok {
			d.errorf(kp, "wrong type: want table, got %s%s", valueTypeName(val), showScalar(val))
			return
		}
		d.table(v, m, kp)
		return
	}
	x, err := convert(v.Type(), val)
	if err != nil {
		d.errorf(kp, "%v", err)
		return
	}
	v.Set(x)
}

// table overlays the TOML table m on the struct v.
func (d *decoder) table(v reflect.Value, m map[string]any, kp keyPath) {
	switch v.Type() {
	case configType:
		c := v.Addr().Interface().(*Config)
		if raw, ok := m["agent"]; ok {
			d.agents(c, raw)
		}
		d.fields(v, m, kp, "agent", "sweep")
	case envType:
		d.env(v.Addr().Interface().(*EnvConfig), m, kp)
	case agentType:
		d.agent(v.Addr().Interface().(*agents.Config), m, kp, false)
	default:
		d.fields(v, m, kp)
	}
}

// fields assigns every key of m but skip to the matching child of v;
// keys without one are errors.
func (d *decoder) fields(v reflect.Value, m map[string]any, kp keyPath, skip ...string) {
	for _, key := range sortedKeys(m) {
		if slices.Contains(skip, key) {
			continue
		}
		n, perr := step(v, []string{key})
		if perr != nil {
			d.errorf(kp.add(key), "%s", perr.msg)
			continue
		}
		d.assign(n.v, m[key], kp.join(n))
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// env decodes [env]: family first, since it decides which knob table the
// family's name refers to.
func (d *decoder) env(e *EnvConfig, m map[string]any, kp keyPath) {
	skip := []string{"family"}
	if raw, ok := m["family"]; ok {
		fkp := kp.add("family")
		x, err := convert(reflect.TypeFor[string](), raw)
		if err != nil {
			d.errorf(fkp, "%v", err)
		} else if name := x.String(); name != e.Family || e.Knobs == nil {
			f, err := envs.Lookup(name)
			if err != nil {
				d.errorf(fkp, "unknown family %s (known: %s)%s", shortQuote(name), strings.Join(envs.Names(), ", "), didYouMean(name, envs.Names()))
				skip = append(skip, name) // its table would only repeat the problem
			} else {
				e.Family, e.Knobs = name, nil
				if f.NewConfig != nil {
					e.Knobs = f.NewConfig()
				}
			}
		}
	}
	d.fields(reflect.ValueOf(e).Elem(), m, kp, skip...)
}

// agents decodes the [[agent]] array, replacing any agents c has.
func (d *decoder) agents(c *Config, raw any) {
	var items []map[string]any
	switch x := raw.(type) {
	case []map[string]any:
		items = x
	case []any:
		for _, it := range x {
			m, ok := it.(map[string]any)
			if !ok {
				d.errorf(keyPath{disp: []string{"agent"}, loc: []string{"agent"}}, "wrong type: want array of tables ([[agent]]), got array of %ss", valueTypeName(it))
				return
			}
			items = append(items, m)
		}
	default:
		d.errorf(keyPath{disp: []string{"agent"}, loc: []string{"agent"}}, "wrong type: want array of tables ([[agent]]), got %s", valueTypeName(raw))
		return
	}
	c.Agents = nil
	for i, m := range items {
		name, _ := m["name"].(string)
		a := agents.Config{Policy: agents.DefaultPolicy(), Knobs: map[string]any{}}
		d.agent(&a, m, keyPath{disp: agentSeg(i, name), loc: agentLoc(i)}, true)
		c.Agents = append(c.Agents, a)
	}
}

// agent decodes one agent's table: name and mechanisms first, since the
// mechanisms decide which knob tables the agent takes. Only the file may
// name an agent: everywhere else the name is the agent's address.
func (d *decoder) agent(a *agents.Config, m map[string]any, kp keyPath, fromFile bool) {
	if raw, ok := m["name"]; ok {
		if !fromFile {
			d.errorf(kp.add("name"), "agent names cannot be changed by --set or [sweep]: a name is the agent's address; add another [[agent]] instead")
		} else if x, err := convert(reflect.TypeFor[string](), raw); err != nil {
			d.errorf(kp.add("name"), "%v", err)
		} else {
			a.Name = x.String()
		}
	}
	if raw, ok := m["mechanisms"]; ok {
		x, err := convert(reflect.TypeFor[[]string](), raw)
		if err != nil {
			d.errorf(kp.add("mechanisms"), "%v", err)
		} else {
			a.Mechanisms = x.Interface().([]string)
			syncKnobs(a)
		}
	}
	d.fields(reflect.ValueOf(a).Elem(), m, kp, "name", "mechanisms")
}

// syncKnobs gives every listed mechanism that has knobs a knob struct
// (defaults unless it has one) and drops the knobs of unlisted ones.
// Unknown mechanisms are left to validation.
func syncKnobs(a *agents.Config) {
	if a.Knobs == nil {
		a.Knobs = map[string]any{}
	}
	for _, m := range a.Mechanisms {
		if f, err := agents.LookupMechanism(m); err == nil && f.NewConfig != nil && a.Knobs[m] == nil {
			a.Knobs[m] = f.NewConfig()
		}
	}
	for m := range a.Knobs {
		if !slices.Contains(a.Mechanisms, m) {
			delete(a.Knobs, m)
		}
	}
}

// convert turns a TOML value into a value of type t. Integers are accepted
// for floats; nothing else is coerced. A value of type t itself is copied.
func convert(t reflect.Type, val any) (reflect.Value, error) {
	if val != nil && reflect.TypeOf(val) == t {
		return deepCopy(reflect.ValueOf(val)), nil
	}
	out := reflect.New(t).Elem()
	wrong := func() (reflect.Value, error) {
		return out, fmt.Errorf("wrong type: want %s, got %s%s", tomlTypeName(t), valueTypeName(val), showScalar(val))
	}
	switch t.Kind() {
	case reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			return wrong()
		}
		out.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := val.(int64)
		if !ok {
			return wrong()
		}
		if out.OverflowInt(n) {
			return out, fmt.Errorf("%d does not fit in a %s", n, t.Kind())
		}
		out.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := val.(int64)
		if !ok {
			return wrong()
		}
		if n < 0 || out.OverflowUint(uint64(n)) {
			return out, fmt.Errorf("%d does not fit in a %s", n, t.Kind())
		}
		out.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		switch x := val.(type) {
		case float64:
			out.SetFloat(x)
		case int64:
			out.SetFloat(float64(x))
		default:
			return wrong()
		}
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			return wrong()
		}
		out.SetString(s)
	case reflect.Slice:
		var items []any
		switch x := val.(type) {
		case []any:
			items = x
		case []map[string]any:
			for _, m := range x {
				items = append(items, m)
			}
		default:
			if sc := showScalar(val); sc != "" {
				return out, fmt.Errorf("wrong type: want %s, got %s%s; write [%s] for a list of one", tomlTypeName(t), valueTypeName(val), sc, sc[1:])
			}
			return wrong()
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			x, err := convert(t.Elem(), it)
			if err != nil {
				return out, fmt.Errorf("element %d: %w", i, err)
			}
			s.Index(i).Set(x)
		}
		out.Set(s)
	default:
		return out, fmt.Errorf("knobs of Go type %s cannot be set", t)
	}
	return out, nil
}

// showScalar quotes a scalar for a type error; arrays and tables are left
// out as too long.
func showScalar(v any) string {
	switch x := v.(type) {
	case string:
		return " " + quoteTOML(x)
	case float64:
		return " " + formatTOML(reflect.ValueOf(x))
	case bool, int64:
		return fmt.Sprintf(" %v", x)
	}
	return ""
}

// target is a resolved knob path.
type target struct {
	kp     keyPath
	v      reflect.Value // the knob or table
	parent reflect.Value // the table holding it
	// wrap is the key under which a value is handed to parent rather than
	// set on v: env.family and agent mechanisms must go through the table
	// decoder, which keeps the knob structs in step with them.
	wrap string
}

// target resolves a knob path on c, reporting paths that do not resolve or
// may not be set.
func (d *decoder) target(c *Config, path string) (target, bool) {
	segs := strings.Split(path, ".")
	if slices.Contains(segs, "") {
		d.errorf(keyPath{disp: []string{path}}, "malformed key path: want dot-separated names, as in env.verifier.coverage")
		return target{}, false
	}
	if segs[0] == "sweep" {
		d.errorf(keyPath{disp: segs}, "the sweep is read from the file's [sweep] table only: edit the file, or --set the knob to one value")
		return target{}, false
	}
	n, kp, parent, perr := resolve(reflect.ValueOf(c).Elem(), segs)
	if perr != nil {
		msg := perr.msg
		if perr.n == len(segs) && !strings.Contains(msg, "did you mean") {
			msg += suggestPath(c, path)
		}
		d.errorf(keyPath{disp: segs[:max(perr.n, 1)]}, "%s", msg)
		return target{}, false
	}
	t := target{kp: kp, v: n.v, parent: parent}
	switch last := segs[len(segs)-1]; {
	case parent.Type() == agentType && last == "name":
		d.errorf(kp, "agent names cannot be changed by --set or [sweep]: a name is the agent's address; add another [[agent]] instead")
		return target{}, false
	case parent.Type() == agentType && last == "mechanisms",
		parent.Type() == envType && last == "family":
		t.wrap = last
	}
	return t, true
}

// apply sets a resolved path to val.
func (d *decoder) apply(t target, val any) {
	if t.wrap == "" {
		d.assign(t.v, val, t.kp)
		return
	}
	pkp := keyPath{disp: t.kp.disp[:len(t.kp.disp)-1], loc: t.kp.loc[:len(t.kp.loc)-1]}
	d.table(t.parent, map[string]any{t.wrap: val}, pkp)
}

// setPath sets the knob at path to val. It reports the resolved path and
// whether it succeeded.
func (d *decoder) setPath(c *Config, path string, val any) (keyPath, bool) {
	before := len(d.p.errs)
	t, ok := d.target(c, path)
	if !ok {
		return keyPath{}, false
	}
	d.apply(t, val)
	return t.kp, len(d.p.errs) == before
}

// getPath returns a copy of the value at path in c.
func getPath(c *Config, path string) any {
	n, _, _, perr := resolve(reflect.ValueOf(c).Elem(), strings.Split(path, "."))
	if perr != nil {
		return nil
	}
	return deepCopy(n.v).Interface()
}

// suggestPath suggests knob paths of c for a path that does not resolve:
// those ending in its last segment (--set coverage=1), else the nearest.
func suggestPath(c *Config, path string) string {
	var all, tail []string
	last := path[strings.LastIndex(path, ".")+1:]
	walker{leaf: func(kp keyPath, _ node) {
		all = append(all, kp.String())
		if kp.disp[len(kp.disp)-1] == last {
			tail = append(tail, kp.String())
		}
	}}.walk(reflect.ValueOf(c).Elem(), keyPath{})
	if len(tail) > 0 {
		return "; did you mean " + strings.Join(tail, " or ") + "?"
	}
	return didYouMean(path, all)
}

// override records that --set or a sweep axis set a path, so errors about
// it name the --set or the axis rather than the file.
type override struct {
	path  []string
	file  string
	line  int
	sweep bool
}

func hasPrefix(s, prefix []string) bool {
	return len(prefix) <= len(s) && slices.Equal(s[:len(prefix)], prefix)
}

// validator checks one resolved config: ranges, then cross-field rules.
type validator struct {
	p         *parser
	overrides []override
	label     string   // sweep point, named in messages about swept keys
	splits    []string // splits the family offers, once built
}

// errorf reports a problem with kp. subtree says the problem is about the
// table kp as a whole, so an override anywhere inside it is the cause.
func (v *validator) errorf(kp keyPath, subtree bool, format string, args ...any) {
	e := &ConfigError{File: v.p.file, Key: kp.String(), Msg: fmt.Sprintf(format, args...)}
	found := false
	for i := len(v.overrides) - 1; i >= 0 && !found; i-- {
		o := v.overrides[i]
		if hasPrefix(kp.disp, o.path) || (subtree && hasPrefix(o.path, kp.disp)) {
			e.File, e.Line, found = o.file, o.line, true
			if o.sweep && v.label != "" {
				e.Msg += " (sweep point " + v.label + ")"
			}
		}
	}
	if !found && rawHas(v.p.raw, kp.loc) {
		e.Line = v.p.loc.nearest(kp.loc) // else a default: line 0
	}
	v.p.add(e)
}

// rawHas reports whether the file defines the key at loc.
func rawHas(raw map[string]any, loc []string) bool {
	_, ok := rawValue(raw, loc)
	return ok
}

func parseIndex(s string) (int, bool) {
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return 0, false
	}
	i, err := strconv.Atoi(s[1 : len(s)-1])
	return i, err == nil && i >= 0
}

func simple(segs ...string) keyPath { return keyPath{disp: segs, loc: segs} }

// validate checks c and reports every problem.
func (v *validator) validate(c *Config) {
	switch why := checkName(c.Experiment); {
	case c.Experiment == "" && !rawHas(v.p.raw, []string{"experiment"}):
		v.errorf(simple("experiment"), false, "missing: every config names its experiment, e.g. experiment = \"my-test\"; it names the results folder out/<experiment>")
	case why != "" && !mistypedAs[string](v.p.raw, []string{"experiment"}):
		v.errorf(simple("experiment"), false, "invalid name %s: %s. The name becomes the results folder out/<experiment>: %s", shortQuote(c.Experiment), why, nameRule)
	}
	if len(c.Agents) == 0 && !agentsMistyped(v.p.raw) {
		v.errorf(simple("agent"), false, "no agents, so the config would make no runs: add at least one [[agent]] table with a name and mechanisms, e.g. [[agent]] name = \"base\" mechanisms = [\"frozen\"]")
	}
	names := map[string]int{}
	var agentNames []string
	for i, a := range c.Agents {
		akp := keyPath{disp: agentSeg(i, a.Name), loc: agentLoc(i)}
		// A missing key is located at its [[agent]] block.
		missing := func(key string) keyPath { return keyPath{disp: akp.add(key).disp, loc: akp.loc} }
		switch why := checkName(a.Name); {
		case a.Name == "" && !rawHas(v.p.raw, akp.add("name").loc):
			v.errorf(missing("name"), false, "missing: every agent has a name, e.g. name = \"rlvr\"; it names the agent's result files")
		case why != "" && !mistypedAs[string](v.p.raw, akp.add("name").loc):
			v.errorf(akp.add("name"), false, "invalid agent name %s: %s. The name becomes part of the agent's result file names: %s", shortQuote(a.Name), why, nameRule)
		}
		if j, dup := names[a.Name]; dup && a.Name != "" {
			v.errorf(akp.add("name"), false, "duplicate agent name %q (also agent #%d): give each agent its own name", a.Name, j+1)
		} else {
			names[a.Name] = i
			agentNames = append(agentNames, a.Name)
		}
		if len(a.Mechanisms) == 0 && !mistypedAs[[]string](v.p.raw, akp.add("mechanisms").loc) {
			v.errorf(missing("mechanisms"), false, "missing or empty: list the mechanisms the agent composes, e.g. mechanisms = [\"rlvr\"] (known: %s)", strings.Join(agents.MechanismNames(), ", "))
		}
		for j, m := range a.Mechanisms {
			if _, err := agents.LookupMechanism(m); err != nil {
				known := agents.MechanismNames()
				v.errorf(akp.add("mechanisms"), false, "unknown mechanism %s (known: %s)%s", shortQuote(m), strings.Join(known, ", "), didYouMean(m, known))
			} else if slices.Index(a.Mechanisms, m) < j {
				v.errorf(akp.add("mechanisms"), false, "mechanism %q is listed twice: list it once", m)
			}
		}
		v.conflicts(&a, akp)
	}
	v.check(reflect.ValueOf(c).Elem(), keyPath{})
	if v.splits != nil {
		for i, s := range c.Eval.Splits {
			if !slices.Contains(v.splits, s) {
				v.errorf(simple("eval", "splits"), false, "unknown split %s (family %s offers: %s)%s", shortQuote(s), c.Env.Family, strings.Join(v.splits, ", "), didYouMean(s, v.splits))
			} else if slices.Index(c.Eval.Splits, s) < i {
				v.errorf(simple("eval", "splits"), false, "split %q is listed twice: list it once", s)
			}
		}
	}
	if b := c.Report.Baseline; b != "" && !slices.Contains(agentNames, b) {
		v.errorf(simple("report", "baseline"), false, "unknown agent %s: the baseline must be one of this config's agents (%s)%s", shortQuote(b), strings.Join(agentNames, ", "), didYouMean(b, agentNames))
	}
}

// agentsMistyped reports whether the file's agent key is not an array, an
// error already reported: "no agents" would only repeat it.
func agentsMistyped(raw map[string]any) bool {
	x, ok := raw["agent"]
	if !ok {
		return false
	}
	switch x := x.(type) {
	case []map[string]any:
		return false
	case []any:
		for _, it := range x {
			if _, ok := it.(map[string]any); !ok {
				return true
			}
		}
		return false
	}
	return true
}

// mistypedAs reports whether the file gives the key at loc a value that
// does not convert to a T: the decoder reported that already, and a
// message about the knob's zero value would only repeat it.
func mistypedAs[T any](raw map[string]any, loc []string) bool {
	val, ok := rawValue(raw, loc)
	if !ok {
		return false
	}
	_, err := convert(reflect.TypeFor[T](), val)
	return err != nil
}

// rawValue returns the value the file gives the key at loc.
func rawValue(raw map[string]any, loc []string) (any, bool) {
	var cur any = raw
	for _, s := range loc {
		switch x := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = x[s]; !ok {
				return nil, false
			}
		case []map[string]any:
			i, ok := parseIndex(s)
			if !ok || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		case []any:
			i, ok := parseIndex(s)
			if !ok || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// conflicts reports knobs of agent a that contradict one another: a
// frozen agent that learns, a KL penalty on an agent whose updates are
// switched off.
func (v *validator) conflicts(a *agents.Config, akp keyPath) {
	if slices.Contains(a.Mechanisms, "frozen") {
		for _, m := range a.Mechanisms {
			if f, err := agents.LookupMechanism(m); err == nil && f.Learns {
				v.errorf(akp.add("mechanisms"), false, "frozen means the agent never learns, but %q learns: drop \"frozen\" to let the agent learn, or drop %q to keep it frozen", m, m)
			}
		}
	}
	if r, ok := a.Knobs["rlvr"].(*agents.RLVRConfig); ok && slices.Contains(a.Mechanisms, "rlvr") && r.KL > 0 && r.LR == 0 {
		v.errorf(akp.add("rlvr").add("kl"), false, "a KL penalty (kl = %s) on an agent that does not learn: with rlvr.lr = 0 there are no updates for the penalty to act on. Set rlvr.lr > 0, or kl = 0.0", formatTOML(reflect.ValueOf(r.KL)))
	}
}

// check validates the knobs under table t by their range tags and then, if
// they are all in range, the table's own rules: a Validate method, building
// the family, building an agent's mechanisms. It reports whether t is valid.
func (v *validator) check(t reflect.Value, kp keyPath) bool {
	ok := true
	for _, n := range children(t) {
		nkp := kp.join(n)
		if isTable(n.v) {
			ok = v.check(n.v, nkp) && ok
		} else if msg := checkRange(n); msg != "" {
			v.errorf(nkp, false, "%s", msg)
			ok = false
		}
	}
	if !ok || t.Type() == configType {
		return ok
	}
	if val, has := t.Addr().Interface().(interface{ Validate() error }); has {
		if err := val.Validate(); err != nil {
			for _, e := range unjoin(err) {
				v.errorf(kp, true, "%v", e)
			}
			return false
		}
	}
	switch t.Type() {
	case envType:
		return v.buildFamily(t.Addr().Interface().(*EnvConfig), kp)
	case agentType:
		a := t.Addr().Interface().(*agents.Config)
		for _, m := range a.Mechanisms {
			f, err := agents.LookupMechanism(m)
			if err != nil {
				continue // reported by validate
			}
			var knobs any
			mkp := kp.add("mechanisms")
			if f.NewConfig != nil {
				knobs, mkp = a.Knobs[m], kp.add(m)
			}
			if _, err := f.New(knobs); err != nil {
				v.errorf(mkp, true, "mechanism %s: %v", m, err)
				ok = false
			}
		}
	}
	return ok
}

// unjoin splits an errors.Join error into its parts, one message each.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// buildFamily builds the family at seed 0 (once per distinct knobs) to learn
// its splits and to catch knobs it cannot be built from.
func (v *validator) buildFamily(e *EnvConfig, kp keyPath) bool {
	fkp := kp.add(e.Family)
	f, err := envs.Lookup(e.Family)
	if err != nil {
		v.errorf(kp.add("family"), false, "%v", err)
		return false
	}
	key := e.Family + "\x00" + formatTOML(reflect.ValueOf(e.Knobs))
	res, done := v.p.families[key]
	if !done {
		fam, err := f.New(e.Knobs, 0)
		res.err = err
		if err == nil {
			res.splits = fam.Splits()
		}
		v.p.families[key] = res
	}
	if res.err != nil {
		v.errorf(fkp, true, "cannot build the family: %v", res.err)
		return false
	}
	v.splits = res.splits
	return true
}

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
