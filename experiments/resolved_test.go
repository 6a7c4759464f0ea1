package experiments

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

// TestManifestResolvedByKnobPath checks that the manifest records every
// point's resolved config keyed by the knob paths `grind config --defaults`
// lists (KnobDocs, with an agent's name for <name>), with typed JSON values
// and sorted keys.
func TestManifestResolvedByKnobPath(t *testing.T) {
	exp := mustParse(t, smallConfig(`
[sweep]
"env.verifier.false_positive" = [0.0, 0.1]
`))
	m, err := buildManifest(exp, Shard{}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := m.ResolvedPoints()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != len(exp.Points) {
		t.Fatalf("%d resolved points, want %d", len(pts), len(exp.Points))
	}

	docs := map[string]bool{}
	types := map[string]string{}
	for _, d := range KnobDocs() {
		if d.Model != "" && d.Model != agents.DefaultPolicy().Model {
			continue // the agents use the default model
		}
		docs[d.Path] = true
		types[d.Path] = d.Type
	}
	for i, pt := range pts {
		p := exp.Points[i]
		if pt.Point != p.Label {
			t.Errorf("point %d is %q, want %q", i, pt.Point, p.Label)
		}
		knobs := Knobs(&p.Config)
		if len(pt.Config) != len(knobs) {
			t.Errorf("point %s: %d knobs, want %d", p.Label, len(pt.Config), len(knobs))
		}
		for key := range pt.Config {
			if generic := genericPath(key, &p.Config); !docs[generic] {
				t.Errorf("point %s: resolved key %q (as %q) is not a knob grind config --defaults lists", p.Label, key, generic)
			}
		}
		// Every knob the point's family and agents use is there: all of
		// KnobDocs but other families' tables and unused mechanisms'.
		for path := range docs {
			var paths []string
			if rest, ok := strings.CutPrefix(path, "agent.<name>."); ok {
				table, _, _ := strings.Cut(rest, ".")
				for _, a := range p.Config.Agents {
					if !slices.Contains(agents.MechanismNames(), table) || slices.Contains(a.Mechanisms, table) {
						paths = append(paths, "agent."+a.Name+"."+rest)
					}
				}
			} else if rest, ok := strings.CutPrefix(path, "env."); !ok || !slices.Contains(envs.Names(), strings.Split(rest, ".")[0]) ||
				strings.Split(rest, ".")[0] == p.Config.Env.Family {
				paths = append(paths, path)
			}
			for _, path := range paths {
				if _, ok := pt.Config[path]; !ok {
					t.Errorf("point %s: knob %s missing from the resolved config", p.Label, path)
				}
			}
		}
		// Values are typed JSON and equal the resolved knobs.
		for _, k := range knobs {
			got, want := pt.Config[k.Path], k.Value
			if rv := reflect.ValueOf(want); rv.Kind() == reflect.Slice && rv.IsNil() {
				want = []any{} // an empty list, written [] as in TOML
			}
			if !jsonEqual(got, want) {
				t.Errorf("point %s: %s = %#v, want %s", p.Label, k.Path, got, k.TOML)
			}
			var ok bool
			switch typ := types[genericPath(k.Path, &p.Config)]; {
			case typ == "float", typ == "integer":
				_, ok = got.(float64)
			case typ == "boolean":
				_, ok = got.(bool)
			case typ == "string":
				_, ok = got.(string)
			case strings.HasPrefix(typ, "array"):
				_, ok = got.([]any)
			}
			if !ok {
				t.Errorf("point %s: %s = %#v is not a JSON %s", p.Label, k.Path, got, types[genericPath(k.Path, &p.Config)])
			}
		}
		for key, w := range map[string]any{
			"env.verifier.false_positive": p.Assign[0].Value,
			"agent.rlvr.name":             "rlvr",
			"agent.rlvr.mechanisms":       []string{"rlvr"},
			"env.family":                  "skills",
			"seeds":                       3,
		} {
			if got := pt.Config[key]; !jsonEqual(got, w) {
				t.Errorf("point %s: %s = %#v, want %#v", p.Label, key, got, w)
			}
		}
	}

	// Keys are written sorted, and the encoding is deterministic.
	var raw []struct {
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(m.Resolved, &raw); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw[0].Config))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	if !sort.StringsAreSorted(keys) {
		t.Errorf("resolved keys are not sorted: %v", keys)
	}
	m2, err := buildManifest(exp, Shard{}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Resolved, m2.Resolved) {
		t.Error("the resolved config encodes differently on a second build")
	}
}

// genericPath writes an agent's knob path as KnobDocs does, with <name>
// for the agent's name.
func genericPath(path string, c *Config) string {
	for _, a := range c.Agents {
		if rest, ok := strings.CutPrefix(path, "agent."+a.Name+"."); ok {
			return "agent.<name>." + rest
		}
	}
	return path
}

// jsonEqual compares got, decoded from JSON, with want after a JSON round
// trip.
func jsonEqual(got, want any) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return bytes.Equal(a, b)
}
