package experiments

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/textdist"
)

// A knob path is a dotted list of segments: the toml tags of the config's
// structs, plus three things toml tags cannot describe, which the walker
// below adds by hand:
//
//	env.<family>.<knob>             the selected family's knobs (EnvConfig.Knobs)
//	agent.<name>.name|mechanisms    an agent, addressed by its name
//	agent.<name>.policy.<knob>      its policy
//	agent.<name>.<mechanism>.<knob> the knobs of one of its mechanisms
//
// The same walker serves the file decoder, --set, [sweep], range validation,
// KnobDocs and the hash, so they can never disagree about what a path means.

// safeName is what experiment and agent names must look like: they become
// folder and file names, so they are single path elements that cannot
// climb out of the results folder ('.' and '/' are not allowed).
var safeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// maxNameLen bounds experiment and agent names in bytes. Run files are
// named after the agent, and file names are limited (see maxLabel).
const maxNameLen = 64

// maxTextLen bounds every string knob in bytes (question and reading are
// the long ones): the text is copied into the manifest and the report.
const maxTextLen = 4096

// nameRule says what checkName accepts, for messages.
var nameRule = fmt.Sprintf("use 1 to %d lowercase letters, digits, '-' and '_', starting with a letter or digit", maxNameLen)

// checkName says why name cannot name a folder or file, or returns "".
func checkName(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len(name) > maxNameLen:
		return fmt.Sprintf("it is %d bytes long", len(name))
	case safeName.MatchString(name):
		return ""
	case !safeName.MatchString(name[:1]):
		return fmt.Sprintf("it starts with %s", showByte(name[0]))
	}
	for i := 0; i < len(name); i++ {
		if !safeName.MatchString("a" + name[i:i+1]) {
			return fmt.Sprintf("it contains %s", showByte(name[i]))
		}
	}
	return "it is not a plain name" // unreachable: some byte fails above
}

// showByte names a byte of a bad name, e.g. '/' or byte 0x00.
func showByte(b byte) string {
	if b >= 'A' && b <= 'Z' {
		return "the uppercase '" + string(rune(b)) + "'"
	}
	if b >= 0x21 && b < 0x7f {
		return "'" + string(rune(b)) + "'"
	}
	if b == ' ' {
		return "a space"
	}
	if b >= 0x80 {
		return "a non-ASCII character"
	}
	return fmt.Sprintf("byte 0x%02x", b)
}

// shortQuote quotes a value from a config for a message, cutting long ones.
func shortQuote(s string) string {
	const max = 40
	if len(s) <= max {
		return quoteTOML(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return quoteTOML(s[:cut]) + "..."
}

var (
	configType = reflect.TypeFor[Config]()
	envType    = reflect.TypeFor[EnvConfig]()
	agentType  = reflect.TypeFor[agents.Config]()
	policyType = reflect.TypeFor[agents.PolicyConfig]()
)

// node is one child of a table: a knob or a nested table.
type node struct {
	disp []string          // path segments that name it (two for an agent: "agent", name)
	loc  []string          // segments that locate it in the file; nil means disp
	v    reflect.Value     // addressable
	tag  reflect.StructTag // range and doc
}

// keyPath is a node's full path: disp is what messages and --set use, loc
// what the line locator uses (agents are located by their position in the
// [[agent]] array, not by name).
type keyPath struct{ disp, loc []string }

func (p keyPath) add(seg string) keyPath {
	return keyPath{append(slices.Clip(p.disp), seg), append(slices.Clip(p.loc), seg)}
}

func (p keyPath) join(n node) keyPath {
	loc := n.loc
	if loc == nil {
		loc = n.disp
	}
	return keyPath{append(slices.Clip(p.disp), n.disp...), append(slices.Clip(p.loc), loc...)}
}

// String joins the segments with dots. A segment that could not be typed
// as a bare key (a space, a quote, a control character) is quoted as in
// TOML, so that a message stays on one line and shows what the file said.
func (p keyPath) String() string {
	parts := make([]string, len(p.disp))
	for i, seg := range p.disp {
		parts[i] = seg
		if !plainSegment(seg) {
			parts[i] = quoteTOML(seg)
		}
	}
	return strings.Join(parts, ".")
}

// plainSegment reports whether a path segment prints as it is: bare-key
// bytes, plus the '.' of a quoted dotted [sweep] key, the '#' of agent#N and
// the <> of agent.<name>.
func plainSegment(seg string) bool {
	if seg == "" {
		return false
	}
	for i := 0; i < len(seg); i++ {
		if c := seg[i]; !isBare(c) && !strings.ContainsRune(".#<>", rune(c)) {
			return false
		}
	}
	return true
}

// Synthetic tags for agents.Config, which has no toml tags of its own.
const (
	agentNameTag  = `doc:"agent name: lowercase letters, digits, '-' and '_'; names its result files"`
	agentMechsTag = `doc:"mechanisms the agent composes, in order; each may have a table [agent.<mechanism>] of knobs"`
	agentPolTag   = `doc:"the agent's policy model, its temperature and the model's knobs"`
)

// agentSeg is how messages name agent i: by name when it is usable as a
// path segment, else by its position among the [[agent]] blocks.
func agentSeg(i int, name string) []string {
	if checkName(name) == "" {
		return []string{"agent", name}
	}
	return []string{fmt.Sprintf("agent#%d", i+1)}
}

func agentLoc(i int) []string { return []string{"agent", "[" + strconv.Itoa(i) + "]"} }

// knobValue returns the struct a knob pointer (from a NewConfig) points to,
// or an invalid Value when there is none.
func knobValue(k any) reflect.Value {
	v := reflect.ValueOf(k)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.Elem()
}

// children lists the knobs and tables of the addressable struct v.
func children(v reflect.Value) []node {
	if v.Type() == agentType {
		a := v.Addr().Interface().(*agents.Config)
		out := []node{
			{disp: []string{"name"}, v: v.FieldByName("Name"), tag: agentNameTag},
			{disp: []string{"mechanisms"}, v: v.FieldByName("Mechanisms"), tag: agentMechsTag},
			{disp: []string{"policy"}, v: v.FieldByName("Policy"), tag: agentPolTag},
		}
		seen := map[string]bool{}
		for _, m := range a.Mechanisms {
			if kv := knobValue(a.Knobs[m]); kv.IsValid() && !seen[m] {
				seen[m] = true
				out = append(out, node{disp: []string{m}, v: kv})
			}
		}
		return out
	}
	var out []node
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("toml")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, node{disp: []string{name}, v: v.Field(i), tag: f.Tag})
	}
	switch t {
	case policyType:
		// The model's knobs sit in the policy table itself, beside model
		// and temperature.
		p := v.Addr().Interface().(*agents.PolicyConfig)
		if kv := knobValue(p.Knobs); kv.IsValid() {
			out = append(out, children(kv)...)
		}
	case envType:
		e := v.Addr().Interface().(*EnvConfig)
		if kv := knobValue(e.Knobs); kv.IsValid() {
			out = append(out, node{disp: []string{e.Family}, v: kv})
		}
	case configType:
		c := v.Addr().Interface().(*Config)
		for i := range c.Agents {
			out = append(out, node{disp: agentSeg(i, c.Agents[i].Name), loc: agentLoc(i), v: reflect.ValueOf(&c.Agents[i]).Elem()})
		}
	}
	return out
}

// isTable reports whether v is decoded from a TOML table.
func isTable(v reflect.Value) bool { return v.Kind() == reflect.Struct }

// pathError is a path that does not resolve: n is how many of its segments,
// up to and including the bad one, the message is about.
type pathError struct {
	n   int
	msg string
}

func commonPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// step resolves the child of table v that segs starts with.
func step(v reflect.Value, segs []string) (node, *pathError) {
	kids := children(v)
	best := 0
	for _, k := range kids {
		m := commonPrefix(k.disp, segs)
		if m == len(k.disp) {
			return k, nil
		}
		best = max(best, m)
	}
	switch v.Type() {
	case configType:
		if segs[0] == "agent" {
			if len(segs) == 1 {
				return node{}, &pathError{1, "name an agent: agent.<name>.<key>"}
			}
			c := v.Addr().Interface().(*Config)
			var names []string
			for _, a := range c.Agents {
				names = append(names, a.Name)
			}
			if len(names) == 0 {
				return node{}, &pathError{2, fmt.Sprintf("unknown agent %q: the config has no agents", segs[1])}
			}
			return node{}, &pathError{2, fmt.Sprintf("unknown agent %q (agents: %s)%s", segs[1], strings.Join(names, ", "), didYouMean(segs[1], names))}
		}
	case envType:
		e := v.Addr().Interface().(*EnvConfig)
		if _, err := envs.Lookup(segs[0]); err == nil && segs[0] != e.Family {
			return node{}, &pathError{1, fmt.Sprintf("table for family %q does not match env.family = %q", segs[0], e.Family)}
		}
	case policyType:
		p := v.Addr().Interface().(*agents.PolicyConfig)
		for _, name := range agents.ModelNames() {
			if f, err := agents.LookupModel(name); err == nil && name != p.Model && knobTags(f.NewConfig())[segs[0]] {
				return node{}, &pathError{1, fmt.Sprintf("%q is a knob of model %q, but this agent's model is %q: set model = %q, or remove this key", segs[0], name, p.Model, name)}
			}
		}
	case agentType:
		a := v.Addr().Interface().(*agents.Config)
		if f, err := agents.LookupMechanism(segs[0]); err == nil {
			if f.NewConfig == nil {
				return node{}, &pathError{1, fmt.Sprintf("mechanism %q has no knobs: remove this table or key", segs[0])}
			}
			if !slices.Contains(a.Mechanisms, segs[0]) {
				return node{}, &pathError{1, mechanismMissing(a, segs[0], f)}
			}
		}
	}
	var known []string
	for _, k := range kids {
		if commonPrefix(k.disp, segs) == best && !slices.Contains(known, k.disp[best]) {
			known = append(known, k.disp[best])
		}
	}
	if v.Type() == configType {
		for _, k := range []string{"agent", "sweep"} {
			if !slices.Contains(known, k) {
				known = append(known, k)
			}
		}
	}
	return node{}, &pathError{best + 1, fmt.Sprintf("unknown key (known: %s)%s", strings.Join(known, ", "), didYouMean(segs[best], known))}
}

// mechanismMissing explains knobs given for a mechanism m the agent does
// not list: they would do nothing.
func mechanismMissing(a *agents.Config, m string, f agents.MechanismFactory) string {
	msg := fmt.Sprintf("knobs of mechanism %q, but this agent's mechanisms are %s, which do not include it, so these knobs would have no effect", m, formatTOML(reflect.ValueOf(a.Mechanisms)))
	if f.Learns && !agentLearns(a) {
		msg = fmt.Sprintf("knobs of the learning mechanism %q, but this agent's mechanisms are %s: it does not learn, so these knobs (a KL penalty, a learning rate, ...) would have no effect", m, formatTOML(reflect.ValueOf(a.Mechanisms)))
	}
	return msg + fmt.Sprintf(". Add %q to the agent's mechanisms, or remove these knobs", m)
}

// agentLearns reports whether any of a's known mechanisms learns.
func agentLearns(a *agents.Config) bool {
	for _, m := range a.Mechanisms {
		if f, err := agents.LookupMechanism(m); err == nil && f.Learns {
			return true
		}
	}
	return false
}

// article prefixes a type name with "a" or "an".
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// resolve walks a whole path from root. It returns the node, its full path
// and the table that holds it.
func resolve(root reflect.Value, segs []string) (node, keyPath, reflect.Value, *pathError) {
	cur, kp := root, keyPath{}
	var parent reflect.Value
	var n node
	for i := 0; i < len(segs); {
		if !isTable(cur) {
			return node{}, kp, parent, &pathError{i, fmt.Sprintf("%s is %s knob, not a table: it has nothing called %q", kp, article(tomlTypeName(cur.Type())), segs[i])}
		}
		var perr *pathError
		n, perr = step(cur, segs[i:])
		if perr != nil {
			perr.n += i
			return node{}, kp, parent, perr
		}
		parent, cur, kp = cur, n.v, kp.join(n)
		i += len(n.disp)
	}
	return n, kp, parent, nil
}

// walk calls fn for every knob (leaf) under table v, in schema order. For
// tables it calls enter before and leave after their knobs.
type walker struct {
	leaf  func(kp keyPath, n node)
	enter func(kp keyPath, v reflect.Value)
	leave func(kp keyPath, v reflect.Value)
}

func (w walker) walk(v reflect.Value, kp keyPath) {
	if w.enter != nil {
		w.enter(kp, v)
	}
	for _, n := range children(v) {
		if isTable(n.v) {
			w.walk(n.v, kp.join(n))
		} else if w.leaf != nil {
			w.leaf(kp.join(n), n)
		}
	}
	if w.leave != nil {
		w.leave(kp, v)
	}
}

// parseRange reads a `range:"min,max"` tag.
func parseRange(tag reflect.StructTag) (lo, hi float64, ok bool, err error) {
	r, has := tag.Lookup("range")
	if !has {
		return 0, 0, false, nil
	}
	a, b, cut := strings.Cut(r, ",")
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !cut || err1 != nil || err2 != nil {
		return 0, 0, false, fmt.Errorf("invalid range tag %q", r)
	}
	return lo, hi, true, nil
}

// checkRange checks one knob against its range tag; NaN is never allowed.
// It returns a message, or "" when the value is fine.
func checkRange(n node) string {
	lo, hi, ok, err := parseRange(n.tag)
	if err != nil {
		return err.Error()
	}
	check := func(x reflect.Value) string {
		var f float64
		switch x.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f = float64(x.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f = float64(x.Uint())
		case reflect.Float32, reflect.Float64:
			f = x.Float()
			if math.IsNaN(f) {
				if ok {
					return fmt.Sprintf("nan is not a number: want a number in [%s, %s]", fmtNum(lo), fmtNum(hi))
				}
				return "nan is not a number"
			}
		case reflect.String:
			if x.Len() > maxTextLen {
				return fmt.Sprintf("%d bytes long: at most %d; a config is not the place for a document", x.Len(), maxTextLen)
			}
			return ""
		default:
			return ""
		}
		if ok && !(f >= lo && f <= hi) {
			what := "a number"
			if x.Kind() != reflect.Float32 && x.Kind() != reflect.Float64 {
				what = "an integer"
			}
			return fmt.Sprintf("%s is out of range: want %s in [%s, %s]", formatTOML(x), what, fmtNum(lo), fmtNum(hi))
		}
		return ""
	}
	if n.v.Kind() == reflect.Slice || n.v.Kind() == reflect.Array {
		seen := map[string]int{}
		for i := range n.v.Len() {
			x := n.v.Index(i)
			if msg := check(x); msg != "" {
				return fmt.Sprintf("element %d: %s", i, msg)
			}
			// A repeated value would be evaluated (or tried) twice, and
			// counted twice wherever a list's entries are averaged. Lists
			// of names say so in their own words (validate).
			if x.Kind() == reflect.String {
				continue
			}
			s := formatTOML(x)
			if j, dup := seen[s]; dup {
				return fmt.Sprintf("element %d: %s appears twice (also element %d): list each value once", i, s, j)
			}
			seen[s] = i
		}
		return ""
	}
	return check(n.v)
}

// fmtNum writes a number the short way, but integers in full (1000000, not
// 1e+06).
func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// tomlTypeName names the TOML type a Go knob type is decoded from.
func tomlTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array of " + tomlTypeName(t.Elem()) + "s"
	case reflect.Struct:
		return "table"
	case reflect.Pointer:
		return tomlTypeName(t.Elem())
	}
	return t.String()
}

// valueTypeName names the TOML type of a value decoded by BurntSushi/toml
// into an interface.
func valueTypeName(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case []any, []map[string]any:
		return "array"
	case map[string]any:
		return "table"
	case nil:
		return "nothing"
	}
	if _, ok := v.(fmt.Stringer); ok {
		return "datetime"
	}
	return fmt.Sprintf("%T", v)
}

// formatTOML writes a knob's value as TOML, so that what KnobDocs and
// messages print can be pasted back into a config or a --set.
func formatTOML(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			return "nan"
		case math.IsInf(f, 1):
			return "inf"
		case math.IsInf(f, -1):
			return "-inf"
		}
		s := fmtNum(f)
		if !strings.ContainsAny(s, ".e") {
			s += ".0" // keep it a TOML float
		}
		return s
	case reflect.String:
		return quoteTOML(v.String())
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatTOML(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "{}"
		}
		return formatTOML(v.Elem())
	case reflect.Struct:
		if !v.CanAddr() { // children needs an addressable struct
			p := reflect.New(v.Type()).Elem()
			p.Set(v)
			v = p
		}
		var parts []string
		for _, n := range children(v) {
			parts = append(parts, strings.Join(n.disp, ".")+" = "+formatTOML(n.v))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// quoteTOML writes a TOML basic string (Go's %q escapes are not all TOML).
func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// didYouMean suggests the known name nearest to bad, if one is close: a
// small edit away (a typo, two letters swapped), or else an abbreviation
// or extension of it (temp for temperature, learning_rate for lr).
func didYouMean(bad string, known []string) string {
	if len(bad) > 256 {
		return "" // no name is that long; spare the quadratic distance
	}
	lb := strings.ToLower(bad)
	best, bestD := "", math.MaxInt
	for _, k := range known {
		d := textdist.OSA(lb, strings.ToLower(k))
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || best == bad {
		return ""
	}
	if bestD <= max(1, min(len(bad), len(best))/3) {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	best, bestD = "", math.MaxInt
	for _, k := range known {
		if strings.Contains(k, ".") {
			continue // abbreviations are of single keys, not of paths
		}
		lk := strings.ToLower(k)
		short, long := lk, lb
		if len(short) > len(long) {
			short, long = long, short
		}
		if len(short) < 2 || short[0] != long[0] || !isSubsequence(short, long) {
			continue
		}
		if d := textdist.OSA(lb, lk); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && best != bad {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// isSubsequence reports whether the bytes of short appear in long in order.
func isSubsequence(short, long string) bool {
	i := 0
	for j := 0; j < len(long) && i < len(short); j++ {
		if long[j] == short[i] {
			i++
		}
	}
	return i == len(short)
}

// deepCopy copies v so that the copy shares no pointers, slices or maps
// with it: sweep points must not share knob structs. Unexported fields are
// copied shallowly (reflection cannot set them one by one).
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Interface:
		out := reflect.New(v.Type()).Elem()
		if !v.IsNil() {
			out.Set(deepCopy(v.Elem()))
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case reflect.Array:
		a := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			a.Index(i).Set(deepCopy(v.Index(i)))
		}
		return a
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return m
	case reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		s.Set(v)
		for i := range v.NumField() {
			if f := s.Field(i); f.CanSet() {
				f.Set(deepCopy(v.Field(i)))
			}
		}
		return s
	}
	return v
}

// copyConfig returns a deep copy of c.
func copyConfig(c *Config) Config {
	return deepCopy(reflect.ValueOf(c).Elem()).Interface().(Config)
}

// knobTags returns the toml names of a knob struct's fields.
func knobTags(k any) map[string]bool {
	out := map[string]bool{}
	if kv := knobValue(k); kv.IsValid() {
		for i := range kv.NumField() {
			if tag := kv.Type().Field(i).Tag.Get("toml"); tag != "" && tag != "-" {
				out[tag] = true
			}
		}
	}
	return out
}

// KnobDoc documents one knob for `grind config --defaults`.
type KnobDoc struct {
	Path    string // knob path, as in [sweep] and --set; agents appear as agent.<name>
	Type    string // TOML type
	Default string // default value, in TOML
	Range   string // allowed values; empty when any value of the type is allowed
	Doc     string
	// Model is the policy model whose knob this is ("" for every other
	// knob): such knobs sit in [agent.policy] only when model names it.
	Model string
}

// KnobDocs lists every knob: the defaults of Default(), every registered
// family's knobs under env.<family> and every registered mechanism's knobs
// under agent.<name>.<mechanism>, sorted by path.
func KnobDocs() []KnobDoc {
	var docs []KnobDoc
	w := walker{leaf: func(kp keyPath, n node) {
		d := KnobDoc{Path: kp.String(), Type: tomlTypeName(n.v.Type()), Default: formatTOML(n.v), Doc: n.tag.Get("doc")}
		if lo, hi, ok, _ := parseRange(n.tag); ok {
			d.Range = fmt.Sprintf("[%s, %s]", fmtNum(lo), fmtNum(hi))
		}
		docs = append(docs, d)
	}}
	c := Default()
	w.walk(reflect.ValueOf(&c).Elem(), keyPath{})
	for _, name := range envs.Names() {
		if name == c.Env.Family {
			continue // walked above
		}
		if f, err := envs.Lookup(name); err == nil && f.NewConfig != nil {
			if kv := knobValue(f.NewConfig()); kv.IsValid() {
				w.walk(kv, keyPath{disp: []string{"env", name}})
			}
		}
	}
	agent := agents.Config{Policy: agents.DefaultPolicy()}
	prefix := keyPath{disp: []string{"agent", "<name>"}}
	w.walk(reflect.ValueOf(&agent).Elem(), prefix)
	// Model knobs sit in [agent.policy] beside model and temperature; each
	// doc says which model it belongs to.
	for i := range docs {
		if rest, ok := strings.CutPrefix(docs[i].Path, "agent.<name>.policy."); ok && knobTags(agent.Policy.Knobs)[rest] {
			docs[i].Model = agent.Policy.Model
		}
	}
	for _, name := range agents.ModelNames() {
		if f, err := agents.LookupModel(name); err == nil && name != agent.Policy.Model {
			first := len(docs)
			if kv := knobValue(f.NewConfig()); kv.IsValid() {
				w.walk(kv, prefix.add("policy"))
			}
			for i := first; i < len(docs); i++ {
				docs[i].Model = name
			}
		}
	}
	for _, name := range agents.MechanismNames() {
		if f, err := agents.LookupMechanism(name); err == nil && f.NewConfig != nil {
			if kv := knobValue(f.NewConfig()); kv.IsValid() {
				w.walk(kv, prefix.add(name))
			}
		}
	}
	for i := range docs {
		switch docs[i].Path {
		case "env.family":
			docs[i].Range = "one of: " + strings.Join(envs.Names(), ", ")
		case "agent.<name>.mechanisms":
			docs[i].Range = "each one of: " + strings.Join(agents.MechanismNames(), ", ")
		case "agent.<name>.policy.model":
			docs[i].Range = "one of: " + strings.Join(agents.ModelNames(), ", ")
		}
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].Path < docs[j].Path })
	return docs
}
