package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// MaxPoints bounds the number of points a sweep may expand to: a typo such
// as a long list on every axis should fail at load time, not at run time.
const MaxPoints = 10000

// maxLabel bounds a point label's length in bytes, well below file-name
// limits.
const maxLabel = 200

// sweepAxes reads the [sweep] table in file order. Keys may be quoted
// ("env.verifier.coverage") or dotted (env.verifier.coverage, which TOML
// reads as nested tables); both name the same knob path.
func (d *decoder) sweepAxes(raw map[string]any, md toml.MetaData) []Axis {
	sw, ok := raw["sweep"]
	if !ok {
		return nil
	}
	if _, isMap := sw.(map[string]any); !isMap {
		d.errorf(simple("sweep"), "wrong type: want table, got %s", valueTypeName(sw))
		return nil
	}
	var axes []Axis
	for _, k := range md.Keys() {
		if len(k) < 2 || k[0] != "sweep" {
			continue
		}
		val := lookupRaw(raw, k)
		if _, isMap := val.(map[string]any); isMap {
			continue // a table of axes: its keys come next
		}
		ax := Axis{Key: strings.Join(k[1:], "."), Line: d.line(k)}
		kp := keyPath{disp: k[1:], loc: k}
		switch x := val.(type) {
		case []any:
			ax.Values = x
		case []map[string]any:
			for _, m := range x {
				ax.Values = append(ax.Values, m)
			}
		default:
			d.errorf(kp, "wrong type: a [sweep] axis wants a non-empty list of values, got %s%s", valueTypeName(val), showScalar(val))
			continue
		}
		if len(ax.Values) == 0 {
			d.errorf(kp, "empty list: a [sweep] axis needs at least one value")
			continue
		}
		axes = append(axes, ax)
	}
	return axes
}

// lookupRaw returns the value at key in a decoded TOML map.
func lookupRaw(raw map[string]any, key []string) any {
	var cur any = raw
	for _, k := range key {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// expand checks the axes against base, expands the grid and validates every
// point. Without axes the grid is the single point "default". It returns
// the axes with values converted to their knobs' types.
func (p *parser) expand(base *Config, axes []Axis, sets []override) ([]Axis, []Point) {
	before := len(p.errs)
	axes = p.checkAxes(base, axes, sets)
	axesOK := len(p.errs) == before

	if len(axes) == 0 || !axesOK {
		c := copyConfig(base)
		(&validator{p: p, overrides: sets}).validate(&c)
		return axes, []Point{{Label: "default", Config: c}}
	}

	n, size := 1, 1.0 // size in floating point: the product may overflow an int
	for _, ax := range axes {
		n *= len(ax.Values)
		size *= float64(len(ax.Values))
	}
	if size > MaxPoints {
		p.add(&ConfigError{File: p.file, Line: p.loc.nearest([]string{"sweep"}), Key: "sweep",
			Msg: fmt.Sprintf("the grid has %.0f points, more than MaxPoints = %d", size, MaxPoints)})
		return axes, nil
	}
	if n == 0 {
		p.add(&ConfigError{File: p.file, Line: p.loc.nearest([]string{"sweep"}), Key: "sweep", Msg: "the grid has no points"})
		return axes, nil
	}

	labels := pointLabels(axes, n)
	points := make([]Point, n)
	for i := range points {
		c := copyConfig(base)
		overrides := slices.Clone(sets)
		var assign []Assignment
		for a, j := range gridIndex(axes, i) {
			ax := axes[a]
			d := &decoder{p: p, file: p.file, line: func([]string) int { return ax.Line },
				prefix: fmt.Sprintf("at sweep point %s: ", labels[i])}
			// Errors here come only from axes that depend on one another
			// (say, mechanisms and a mechanism's knob): checkAxes tried each
			// value on the base config.
			if kp, ok := d.setPath(&c, ax.Key, ax.Values[j]); ok {
				overrides = append(overrides, override{path: kp.disp, file: p.file, line: ax.Line, sweep: true})
			}
			assign = append(assign, Assignment{Key: ax.Key, Value: deepCopy(reflect.ValueOf(ax.Values[j])).Interface()})
		}
		(&validator{p: p, overrides: overrides, label: labels[i]}).validate(&c)
		points[i] = Point{Label: labels[i], Assign: assign, Config: c}
	}
	return axes, points
}

// checkAxes resolves every axis path on base and converts each value to
// the knob's type, so that path and type errors are reported once per
// axis and value rather than once per point.
func (p *parser) checkAxes(base *Config, axes []Axis, sets []override) []Axis {
	out := make([]Axis, 0, len(axes))
	for i, ax := range axes {
		d := &decoder{p: p, file: p.file, line: func([]string) int { return ax.Line }, prefix: "in [sweep]: "}
		kp := simple(strings.Split(ax.Key, ".")...)
		if slices.ContainsFunc(axes[:i], func(b Axis) bool { return b.Key == ax.Key }) {
			d.errorf(kp, "swept twice")
			continue
		}
		t, ok := d.target(base, ax.Key)
		if !ok {
			continue
		}
		if slices.ContainsFunc(sets, func(o override) bool { return slices.Equal(o.path, t.kp.disp) }) {
			d.errorf(kp, "also set by --set: drop one of the two")
			continue
		}
		conv := Axis{Key: ax.Key, Line: ax.Line}
		seen := map[string]bool{}
		for _, val := range ax.Values {
			c := copyConfig(base)
			vd := *d
			vd.prefix = fmt.Sprintf("in [sweep], value %s: ", showValue(val))
			if _, ok := vd.setPath(&c, ax.Key, val); !ok {
				continue
			}
			if !vd.checkRanges(&c, ax.Key) {
				continue
			}
			x := getPath(&c, ax.Key)
			if s := formatTOML(reflect.ValueOf(x)); seen[s] {
				d.errorf(kp, "value %s appears twice", s)
			} else {
				seen[s] = true
			}
			conv.Values = append(conv.Values, x)
		}
		out = append(out, conv)
	}
	return out
}

// checkRanges range-checks the knob or table at path, so that a value out
// of range is reported once for its axis, not at every point.
func (d *decoder) checkRanges(c *Config, path string) bool {
	n, kp, _, perr := resolve(reflect.ValueOf(c).Elem(), strings.Split(path, "."))
	if perr != nil {
		return false
	}
	ok := true
	check := func(kp keyPath, n node) {
		if msg := checkRange(n); msg != "" {
			d.errorf(kp, "%s", msg)
			ok = false
		}
	}
	if isTable(n.v) {
		walker{leaf: check}.walk(n.v, kp)
	} else {
		check(kp, n)
	}
	return ok
}

// showValue prints a raw TOML value for a message.
func showValue(v any) string {
	if s := showScalar(v); s != "" {
		return s[1:]
	}
	return valueTypeName(v)
}

// gridIndex returns the value index of every axis at point i; the last axis
// varies fastest.
func gridIndex(axes []Axis, i int) []int {
	idx := make([]int, len(axes))
	for a := len(axes) - 1; a >= 0; a-- {
		n := len(axes[a].Values)
		idx[a] = i % n
		i /= n
	}
	return idx
}

// pointLabels names the n points of the grid: "name=value,..." where each
// name is the shortest tail of its axis's path that tells the axes apart.
func pointLabels(axes []Axis, n int) []string {
	names := axisNames(axes)
	labels := make([]string, n)
	count := map[string]int{}
	for i := range labels {
		var parts []string
		for a, j := range gridIndex(axes, i) {
			parts = append(parts, names[a]+"="+labelValue(reflect.ValueOf(axes[a].Values[j])))
		}
		l := sanitize(strings.Join(parts, ","))
		if len(l) > maxLabel {
			sum := sha256.Sum256([]byte(l))
			l = l[:maxLabel-13] + "," + hex.EncodeToString(sum[:6])
		}
		labels[i] = l
		count[l]++
	}
	// Sanitizing can make two labels equal: number those.
	for i, l := range labels {
		if count[l] > 1 {
			labels[i] = fmt.Sprintf("%s,p%d", l, i)
		}
	}
	return labels
}

// axisNames gives each axis the last segment of its path, or more segments
// where two axes would otherwise share a name.
func axisNames(axes []Axis) []string {
	segs := make([][]string, len(axes))
	k := make([]int, len(axes))
	for i, ax := range axes {
		segs[i], k[i] = strings.Split(ax.Key, "."), 1
	}
	name := func(i int) string { return strings.Join(segs[i][len(segs[i])-k[i]:], ".") }
	for grew := true; grew; {
		grew = false
		for i := range axes {
			for j := i + 1; j < len(axes); j++ {
				if name(i) != name(j) {
					continue
				}
				for _, x := range []int{i, j} {
					if k[x] < len(segs[x]) {
						k[x]++
						grew = true
					}
				}
			}
		}
	}
	names := make([]string, len(axes))
	for i := range names {
		names[i] = name(i)
	}
	return names
}

// labelValue writes a value for a label: like TOML, but strings bare and
// list elements joined by '_'.
func labelValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Float32, reflect.Float64:
		return fmtNum(v.Float())
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = labelValue(v.Index(i))
		}
		return strings.Join(parts, "_")
	}
	return formatTOML(v)
}

// sanitize keeps a label to [A-Za-z0-9._=,-], which is safe in file names.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (isBare(byte(r)) || r == '.' || r == '=' || r == ',') {
			return r
		}
		return '_'
	}, s)
}

// hashPoints hashes every point's label and resolved knobs, written as
// "path = value" lines in schema order: a canonical text with no map order
// in it, independent of Go field names.
func hashPoints(points []Point) string {
	h := sha256.New()
	for _, pt := range points {
		fmt.Fprintf(h, "[point %s]\n", quoteTOML(pt.Label))
		walker{leaf: func(kp keyPath, n node) {
			fmt.Fprintf(h, "%s = %s\n", kp, formatTOML(n.v))
		}}.walk(reflect.ValueOf(&pt.Config).Elem(), keyPath{})
	}
	return hex.EncodeToString(h.Sum(nil))
}
