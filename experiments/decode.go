package experiments

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

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
	case policyType:
		d.policy(v.Addr().Interface().(*agents.PolicyConfig), m, kp)
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

// policy decodes [agent.policy]: model first, since it decides which knobs
// the rest of the table may hold.
func (d *decoder) policy(p *agents.PolicyConfig, m map[string]any, kp keyPath) {
	skip := []string{"model"}
	if raw, ok := m["model"]; ok {
		mkp := kp.add("model")
		x, err := convert(reflect.TypeFor[string](), raw)
		if err != nil {
			d.errorf(mkp, "%v", err)
		} else if name := x.String(); name != p.Model || p.Knobs == nil {
			f, err := agents.LookupModel(name)
			if err != nil {
				d.errorf(mkp, "unknown model %s (known: %s)%s", shortQuote(name), strings.Join(agents.ModelNames(), ", "), didYouMean(name, agents.ModelNames()))
			} else {
				p.Model, p.Knobs = name, f.NewConfig()
			}
		}
	}
	d.fields(reflect.ValueOf(p).Elem(), m, kp, skip...)
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
	tag  reflect.StructTag // the knob's tags (sweep:"guard" or "text" cannot be swept)
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
	t := target{kp: kp, v: n.v, parent: parent, tag: n.tag}
	switch last := segs[len(segs)-1]; {
	case parent.Type() == agentType && last == "name":
		d.errorf(kp, "agent names cannot be changed by --set or [sweep]: a name is the agent's address; add another [[agent]] instead")
		return target{}, false
	case parent.Type() == agentType && last == "mechanisms",
		parent.Type() == envType && last == "family",
		parent.Type() == policyType && last == "model":
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
