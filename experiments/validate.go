package experiments

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

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
	v.grindConflicts(c)
	if v.splits != nil {
		for i, s := range c.Eval.Splits {
			if !slices.Contains(v.splits, s) {
				v.errorf(simple("eval", "splits"), false, "unknown split %s (family %s offers: %s)%s", shortQuote(s), c.Env.Family, strings.Join(v.splits, ", "), didYouMean(s, v.splits))
			} else if slices.Index(c.Eval.Splits, s) < i {
				v.errorf(simple("eval", "splits"), false, "split %q is listed twice: list it once", s)
			}
		}
	}
	if res := v.p.families[familyKey(&c.Env)]; v.splits != nil && res.fam != nil {
		if err := checkPhased(res.fam, c.Job); err != nil {
			v.errorf(simple("job", "phase_days"), false, "%v", err)
		}
	}
	if b := c.Report.Baseline; b != "" && !slices.Contains(agentNames, b) {
		v.errorf(simple("report", "baseline"), false, "unknown agent %s: the baseline must be one of this config's agents (%s)%s", shortQuote(b), strings.Join(agentNames, ", "), didYouMean(b, agentNames))
	}
	for i, pr := range c.Report.Pairs {
		for _, a := range pr {
			if !slices.Contains(agentNames, a) {
				v.errorf(simple("report", "pairs"), false, "element %d: unknown agent %s: a pair names two of this config's agents (%s)%s", i, shortQuote(a), strings.Join(agentNames, ", "), didYouMean(a, agentNames))
			}
		}
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
// switched off. The rules between mechanisms live here, and only here.
func (v *validator) conflicts(a *agents.Config, akp keyPath) {
	for _, msg := range agents.CheckComposition(a.Mechanisms) {
		v.errorf(akp.add("mechanisms"), false, "%s", msg)
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
				// A rule about one knob names that knob.
				if ke, ok := e.(*agents.KnobError); ok {
					v.errorf(kp.add(ke.Knob), false, "%s", ke.Msg)
				} else {
					v.errorf(kp, true, "%v", e)
				}
			}
			return false
		}
	}
	switch t.Type() {
	case policyType:
		// The model's knobs sit in the policy table, so their own rules
		// are asked here.
		if val, has := t.Addr().Interface().(*agents.PolicyConfig).Knobs.(interface{ Validate() error }); has {
			if err := val.Validate(); err != nil {
				for _, e := range unjoin(err) {
					if ke, ok := e.(*agents.KnobError); ok {
						v.errorf(kp.add(ke.Knob), false, "%s", ke.Msg)
					} else {
						v.errorf(kp, true, "%v", e)
					}
				}
				return false
			}
		}
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

// familyKey names a family and its knobs: points with the same key build
// the same family.
func familyKey(e *EnvConfig) string {
	return e.Family + "\x00" + formatTOML(reflect.ValueOf(e.Knobs))
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
	key := familyKey(e)
	res, done := v.p.families[key]
	if !done {
		fam, err := f.New(e.Knobs, 0)
		res.err = err
		if err == nil {
			res.fam, res.splits = fam, fam.Splits()
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

// grindConflicts reports grindability knobs that contradict the rest of the
// config (GrindConfig.Validate has the rules among the knobs themselves).
func (v *validator) grindConflicts(c *Config) {
	g := &c.Env.Grind
	if g.Granularity != envs.GranularityStep {
		return
	}
	gkp := simple("env", "grind", "granularity")
	if c.Env.Verifier.Loophole > 0 {
		v.errorf(gkp, false, "%q with env.verifier.loophole = %v: the loophole is a property of whole attempts and step verdicts never read it; set granularity = %q, or loophole = 0",
			g.Granularity, c.Env.Verifier.Loophole, envs.GranularityAttempt)
	}
	for i, a := range c.Agents {
		if slices.Contains(a.Mechanisms, agents.ExternalName) {
			v.errorf(gkp, false, "%q with agent %s, whose mechanism external is sent one verdict per attempt: the external protocol carries no step verdicts; set granularity = %q, or drop agent #%d",
				g.Granularity, shortQuote(a.Name), envs.GranularityAttempt, i+1)
		}
	}
}
