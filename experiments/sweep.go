package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/grindbench/grindbench/agents"
)

// MaxPoints bounds the number of points a sweep may expand to, whatever
// max_runs says: every point holds a resolved copy of the config.
const MaxPoints = 10000

// DefaultMaxRuns is the default of the max_runs knob: the most runs (sweep
// points x agents x seeds) a config may make. A typo such as a long list on
// every axis should fail at load time, not after hours of running.
const DefaultMaxRuns = 10000

// Defaults of the guards on a config's estimated cost (Estimate). Each is
// well above what the shipped configs need at ten times their seeds and
// well below what a typo such as a million evaluation tasks makes.
const (
	DefaultMaxSteps       = 10_000_000_000  // one to a few hours of one core
	DefaultMaxRecordBytes = 20_000_000_000  // 20 GB
	DefaultMaxMemory      = 1_000_000_000   // 1 GB
	DefaultMaxDraws       = 100_000_000_000 // ten minutes to an hour building the summary
)

// maxLabel bounds a point label's length in bytes. A run's record file is
// named <label>__<agent>__s<seed>.jsonl.gz and written through a temporary
// file with a longer name: with agent names of at most maxNameLen bytes the
// whole stays well below the usual 255-byte limit on file names.
const maxLabel = 120

// sweepAxes reads the [sweep] table in file order. Keys may be quoted
// ("env.verifier.coverage") or dotted (env.verifier.coverage, which TOML
// reads as nested tables); both name the same knob path.
func (d *decoder) sweepAxes(raw map[string]any, md toml.MetaData) []Axis {
	sw, ok := raw["sweep"]
	if !ok {
		return nil
	}
	if _, isMap := sw.(map[string]any); !isMap {
		d.errorf(simple("sweep"), "wrong type: want table, got %s%s; write one [sweep] table whose keys are knob paths, each with a list of values", valueTypeName(sw), showScalar(sw))
		return nil
	}
	var axes []Axis
	for _, k := range md.Keys() {
		if len(k) < 2 || k[0] != "sweep" {
			continue
		}
		val, ok := lookupRaw(raw, k)
		if !ok {
			continue // a key inside a value, say an inline table in an axis's list
		}
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
			d.errorf(kp, "wrong type: a [sweep] axis wants a non-empty list of values, got %s%s; write [%s] for a single value, or set the knob outside [sweep]", valueTypeName(val), showScalar(val), showValue(val))
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

// sweepFlags adds the --sweep axes ("key=a,b,c", or "key=[a, b, c]" as in
// TOML) to the file's axes: a key the file sweeps too takes the flag's
// values in the file's place, a new key is appended.
func (p *parser) sweepFlags(axes []Axis, flags []string) []Axis {
	for _, f := range flags {
		key, val, ok := strings.Cut(f, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.TrimSpace(val) == "" {
			p.add(&ConfigError{File: sweepFile, Msg: fmt.Sprintf("%s: want key=a,b,c, e.g. --sweep env.verifier.coverage=0.25,0.5,1", shortQuote(f))})
			continue
		}
		if newLocator("v = "+val).depth > maxNesting {
			p.add(&ConfigError{File: sweepFile, Key: shortKey(key), Msg: fmt.Sprintf("the value nests more than %d deep: is a bracket unbalanced?", maxNesting)})
			continue
		}
		ax := Axis{Key: key, File: sweepFile}
		if v, isList := setValue(val).([]any); isList && strings.HasPrefix(strings.TrimSpace(val), "[") {
			ax.Values = v
		} else {
			for _, s := range strings.Split(val, ",") {
				ax.Values = append(ax.Values, setValue(s))
			}
		}
		if len(ax.Values) == 0 {
			p.add(&ConfigError{File: sweepFile, Key: shortKey(key), Msg: "empty list: an axis needs at least one value"})
			continue
		}
		if i := slices.IndexFunc(axes, func(a Axis) bool { return a.Key == key }); i >= 0 && axes[i].File == "" {
			axes[i] = ax
			continue
		}
		axes = append(axes, ax)
	}
	return axes
}

// agentPaths expands a sweep key "agent.*.<mechanism>.<knob>" into the
// same knob of every agent of c that lists the mechanism (every agent, for
// an agent-level table such as policy), so that one axis varies a knob
// shared by several agents, each compared at the same value; any other key
// is its own only path. A wildcard no agent matches is returned as it is,
// and reported as an unknown agent.
func agentPaths(c *Config, key string) []string {
	rest, ok := strings.CutPrefix(key, "agent.*.")
	if !ok {
		return []string{key}
	}
	mech, _, _ := strings.Cut(rest, ".")
	_, err := agents.LookupMechanism(mech)
	var out []string
	for _, a := range c.Agents {
		if err != nil || slices.Contains(a.Mechanisms, mech) {
			out = append(out, "agent."+a.Name+"."+rest)
		}
	}
	if len(out) == 0 {
		return []string{key}
	}
	return out
}

// lookupRaw returns the value at key in a decoded TOML map.
// ok is false when the path runs through something other than a table.
func lookupRaw(raw map[string]any, key []string) (val any, ok bool) {
	var cur any = raw
	for _, k := range key {
		m, isMap := cur.(map[string]any)
		if !isMap {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
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
		if len(axes) == 0 {
			p.checkRuns(base, nil, sets)
		}
		return axes, []Point{{Label: "default", Config: c}}
	}

	n, size := 1, 1.0 // size in floating point: the product may overflow an int
	for _, ax := range axes {
		n *= len(ax.Values)
		size *= float64(len(ax.Values))
	}
	if size > MaxPoints {
		p.add(&ConfigError{File: p.file, Line: p.loc.nearest([]string{"sweep"}), Key: "sweep",
			Msg: fmt.Sprintf("the grid has %s points (%s), more than the %d a sweep may have: shorten the lists or split the experiment", fmtNum(size), axisSizes(axes), MaxPoints)})
		return axes, nil
	}
	if !p.checkRuns(base, axes, sets) {
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
			file, _ := ax.source(p.file)
			d := &decoder{p: p, file: file, line: func([]string) int { return ax.Line },
				prefix: fmt.Sprintf("at sweep point %s: ", labels[i])}
			// Errors here come only from axes that depend on one another
			// (say, mechanisms and a mechanism's knob): checkAxes tried each
			// value on the base config.
			for _, path := range agentPaths(&c, ax.Key) {
				if kp, ok := d.setPath(&c, path, ax.Values[j]); ok {
					overrides = append(overrides, override{path: kp.disp, file: file, line: ax.Line, sweep: true})
				}
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
		file, where := ax.source(p.file)
		d := &decoder{p: p, file: file, line: func([]string) int { return ax.Line }, prefix: where + ": "}
		if where == "" {
			d.prefix = ""
		}
		kp := simple(strings.Split(ax.Key, ".")...)
		if slices.ContainsFunc(axes[:i], func(b Axis) bool { return b.Key == ax.Key }) {
			d.errorf(kp, "swept twice")
			continue
		}
		paths := agentPaths(base, ax.Key)
		if rest, wild := strings.CutPrefix(ax.Key, "agent.*."); wild && paths[0] == ax.Key {
			mech, _, _ := strings.Cut(rest, ".")
			d.errorf(kp, "no agent lists mechanism %q: agent.*.<mechanism>.<knob> sets the knob of every agent that lists the mechanism", mech)
			continue
		}
		t, ok := d.target(base, paths[0])
		if !ok {
			continue
		}
		switch t.tag.Get("sweep") {
		case "guard":
			d.errorf(kp, "%s cannot be swept: it bounds the whole sweep; set it once at the top of the file", t.kp)
			continue
		case "report":
			d.errorf(kp, "%s shapes the outputs of the whole experiment: it cannot be swept; set it once in [report]", t.kp)
			continue
		case "text":
			d.errorf(kp, "%s is free text about the whole experiment: it cannot be swept (a sweep varies what runs; label points by the values you sweep)", t.kp)
			continue
		}
		if slices.ContainsFunc(sets, func(o override) bool { return slices.Equal(o.path, t.kp.disp) }) {
			d.errorf(kp, "also set by --set: drop one of the two")
			continue
		}
		conv := Axis{Key: ax.Key, Line: ax.Line, File: ax.File}
		seen := map[string]bool{}
		for _, val := range ax.Values {
			c := copyConfig(base)
			vd := *d
			vd.prefix = fmt.Sprintf("%s, value %s: ", where, showValue(val))
			if where == "" {
				vd.prefix = fmt.Sprintf("value %s: ", showValue(val))
			}
			set := true
			for _, path := range paths {
				if _, ok := vd.setPath(&c, path, val); !ok {
					set = false
					break
				}
			}
			if !set || !vd.checkRanges(&c, paths[0]) {
				continue
			}
			x := getPath(&c, paths[0])
			if s := formatTOML(reflect.ValueOf(x)); seen[s] {
				d.errorf(kp, "value %s appears twice: list each value once", s)
			} else {
				seen[s] = true
			}
			conv.Values = append(conv.Values, x)
		}
		out = append(out, conv)
	}
	return out
}

// plural writes a count with its noun: "1 seed", "3 seeds".
func plural(n float64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmtNum(n) + " " + noun + "s"
}

// axisSizes writes the length of every axis: "3 x 4 x 2".
func axisSizes(axes []Axis) string {
	parts := make([]string, len(axes))
	for i, ax := range axes {
		parts[i] = fmt.Sprint(len(ax.Values))
	}
	return strings.Join(parts, " x ")
}

// checkRuns counts the runs the grid makes (sweep points x agents x seeds,
// where seeds may itself be an axis) before the grid is expanded, and
// reports a count above max_runs. It reports whether the count is within
// bounds; a config with no agents makes no runs, which validate reports.
func (p *parser) checkRuns(base *Config, axes []Axis, sets []override) bool {
	if base.MaxRuns < 1 || len(base.Agents) == 0 || base.Seeds < 1 {
		return true // out of range or missing: validate says so
	}
	agents := float64(len(base.Agents))
	points, others, seedSum, swept := 1.0, 1.0, 0.0, false
	for _, ax := range axes {
		points *= float64(len(ax.Values))
		if ax.Key != "seeds" {
			others *= float64(len(ax.Values))
			continue
		}
		swept = true
		for _, v := range ax.Values {
			if n, ok := v.(int); ok {
				seedSum += float64(n)
			}
		}
	}
	var runs float64
	var how string
	if swept {
		runs = agents * others * seedSum
		how = fmt.Sprintf("%s x %s summed over the %s", plural(agents, "agent"), plural(seedSum*others, "seed"), plural(points, "sweep point"))
	} else {
		runs = points * agents * float64(base.Seeds)
		how = fmt.Sprintf("%s x %s", plural(agents, "agent"), plural(float64(base.Seeds), "seed"))
		if len(axes) > 0 {
			how = plural(points, "sweep point") + " x " + how
		}
	}
	if runs <= float64(base.MaxRuns) {
		return true
	}
	e := &ConfigError{File: p.file, Key: "sweep", Line: p.loc.nearest([]string{"sweep"}),
		Msg: fmt.Sprintf("the config makes %s runs (%s), more than max_runs = %d: shorten the [sweep] lists or use fewer seeds, or raise max_runs if you mean it", fmtNum(runs), how, base.MaxRuns)}
	if len(axes) == 0 {
		e.Key, e.Line = "seeds", p.loc.nearest([]string{"seeds"})
		e.Msg = fmt.Sprintf("the config makes %s runs (%s), more than max_runs = %d: use fewer seeds or agents, or raise max_runs if you mean it", fmtNum(runs), how, base.MaxRuns)
		for _, o := range sets {
			if slices.Equal(o.path, []string{"seeds"}) {
				e.File, e.Line = o.file, 0
			}
		}
	}
	p.add(e)
	return false
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
// A label names files and folders, so labels are unique by construction,
// even on a file system that ignores case: a value written with
// characters a label cannot hold (anything but lowercase letters, digits,
// '.', '_' and '-'; ',' and '=' separate the parts) has them replaced by
// '_' and is followed by '=' and a hash of the exact value, which no value
// written as it is contains; a label too long for a file name keeps its
// start, then ',' and a hash of the whole label, which no label part is.
func pointLabels(axes []Axis, n int) []string {
	names := axisNames(axes)
	labels := make([]string, n)
	seen := map[string]bool{}
	for i := range labels {
		var parts []string
		for a, j := range gridIndex(axes, i) {
			v := reflect.ValueOf(axes[a].Values[j])
			text, exact := labelValue(v)
			if clean := sanitizeValue(text); !exact || clean != text {
				sum := sha256.Sum256([]byte(formatTOML(v)))
				text = clean + "=" + hex.EncodeToString(sum[:4])
			}
			parts = append(parts, sanitize(names[a])+"="+text)
		}
		l := strings.Join(parts, ",")
		if len(l) > maxLabel {
			sum := sha256.Sum256([]byte(l))
			l = l[:maxLabel-13] + "," + hex.EncodeToString(sum[:6])
		}
		if seen[strings.ToLower(l)] {
			// Two hashes collided: unreachable in practice, and a part
			// without '=' is still no other label's.
			l = fmt.Sprintf("%s,p%d", l, i)
		}
		seen[strings.ToLower(l)] = true
		labels[i] = l
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
// list elements joined by '_'. exact is false when two values could be
// written alike (a list element holding '_').
func labelValue(v reflect.Value) (text string, exact bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Float32, reflect.Float64:
		return fmtNum(v.Float()), true
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		exact = true
		for i := range parts {
			var ok bool
			parts[i], ok = labelValue(v.Index(i))
			exact = exact && ok && !strings.Contains(parts[i], "_")
		}
		return strings.Join(parts, "_"), exact
	}
	return formatTOML(v), true
}

// sanitize keeps a name to [A-Za-z0-9._=,-], which is safe in file names.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (isBare(byte(r)) || r == '.' || r == '=' || r == ',') {
			return r
		}
		return '_'
	}, s)
}

// sanitizeValue keeps a value to [a-z0-9._-]: what a label can hold, the
// same in any case, without the separators of its parts.
func sanitizeValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
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
			if t := n.tag.Get("sweep"); t == "guard" || t == "report" {
				return // a guard on the sweep's cost, or a choice of outputs: it changes no record
			}
			fmt.Fprintf(h, "%s = %s\n", kp, formatTOML(n.v))
		}}.walk(reflect.ValueOf(&pt.Config).Elem(), keyPath{})
	}
	return hex.EncodeToString(h.Sum(nil))
}
