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
