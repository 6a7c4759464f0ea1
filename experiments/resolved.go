package experiments

import "reflect"

// KnobValue is one knob of a resolved config.
type KnobValue struct {
	Path  string // knob path, as --set and [sweep] take it
	Value any    // the Go value
	TOML  string // the value written as TOML
}

// Knobs lists every knob of c with its value, in schema order (the order
// of KnobDocs' walk, agents by name), for printing a resolved config.
func Knobs(c *Config) []KnobValue {
	cc := copyConfig(c)
	var out []KnobValue
	w := walker{leaf: func(kp keyPath, n node) {
		out = append(out, KnobValue{Path: kp.String(), Value: n.v.Interface(), TOML: formatTOML(n.v)})
	}}
	w.walk(reflect.ValueOf(&cc).Elem(), keyPath{})
	return out
}

// KnobMap returns every knob of c keyed by knob path, the paths `grind
// config --defaults` lists with an agent's name for <name>. Its values
// encode as typed JSON: numbers, bools, strings and arrays, an empty list
// as [] rather than null. encoding/json writes a map's keys sorted, so the
// encoding is deterministic.
func KnobMap(c *Config) map[string]any {
	ks := Knobs(c)
	m := make(map[string]any, len(ks))
	for _, k := range ks {
		v := k.Value
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
			v = reflect.MakeSlice(rv.Type(), 0, 0).Interface()
		}
		m[k.Path] = v
	}
	return m
}
