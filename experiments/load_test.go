package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

const validFile = "testdata/config/valid.toml"

func readValid(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(validFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf is the 1-based line of the first line of src containing marker.
func lineOf(t testing.TB, src, marker string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("marker %q not in source", marker)
	return 0
}

// replace replaces old in src, failing if it is absent.
func replace(t testing.TB, src, old, new string) string {
	t.Helper()
	if !strings.Contains(src, old) {
		t.Fatalf("%q not in source", old)
	}
	return strings.Replace(src, old, new, 1)
}

func configErrors(t testing.TB, err error) []*ConfigError {
	t.Helper()
	var out []*ConfigError
	for _, e := range unjoin(err) {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("error %v (%T) is not a *ConfigError", e, e)
		}
		out = append(out, ce)
	}
	return out
}

func TestParseValid(t *testing.T) {
	src := readValid(t)
	exp, err := Parse(validFile, []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := exp.Config
	if c.Experiment != "valid" || c.Seeds != 3 || c.SeedBase != 7 || c.Job.Days != 2 || c.Report.Resamples != 500 || c.Pretrain.LR != 0.2 {
		t.Errorf("top-level values not decoded: %+v", c)
	}
	if want := []string{"train", "inspan", "longer@2"}; !slices.Equal(c.Eval.Splits, want) {
		t.Errorf("eval.splits = %q, want %q", c.Eval.Splits, want)
	}
	sk, ok := c.Env.Knobs.(*envs.SkillsConfig)
	if !ok {
		t.Fatalf("env knobs have type %T", c.Env.Knobs)
	}
	def := envs.DefaultSkills()
	if sk.Conflict != 0.25 || !slices.Equal(sk.Outspan, []float64{0, 0.5}) || !slices.Equal(sk.Longer, []int{2}) || sk.D != def.D {
		t.Errorf("skills knobs = %+v", *sk)
	}
	if v := c.Env.Verifier; v.Coverage != 0.9 || v.FalsePositive != 0.05 {
		t.Errorf("verifier = %+v", v)
	}
	if g := c.Env.Grind; !g.Resets || g.GroupSize != 4 {
		t.Errorf("grind = %+v", g)
	}
	var names []string
	for _, a := range c.Agents {
		names = append(names, a.Name)
	}
	if want := []string{"frozen", "frozen-tuned", "rlvr"}; !slices.Equal(names, want) {
		t.Fatalf("agents = %q, want %q", names, want)
	}
	if tc := c.Agents[1].Knobs["frozen-tuned"].(*agents.TuneConfig); !slices.Equal(tc.Temperatures, []float64{0.5, 1, 2}) || tc.Attempts != 256 {
		t.Errorf("frozen-tuned knobs = %+v", *tc)
	}
	r := c.Agents[2]
	if rc := r.Knobs["rlvr"].(*agents.RLVRConfig); rc.LR != 0.25 || rc.KL != 0.1 || rc.BaselineRate != agents.DefaultRLVR().BaselineRate {
		t.Errorf("rlvr knobs = %+v", *rc)
	}
	if k := r.Policy.Knobs.(*agents.BilinearConfig); r.Policy.Model != "bilinear" || k.IDChannel || !k.Bias || r.Policy.Temperature != agents.DefaultPolicy().Temperature {
		t.Errorf("rlvr policy = %+v %+v", r.Policy, r.Policy.Knobs)
	}
	if len(exp.Points) != 1 || exp.Points[0].Label != "default" || len(exp.Sweep) != 0 {
		t.Errorf("points = %+v, want one point labelled default", exp.Points)
	}
	if len(exp.Hash) != 64 {
		t.Errorf("hash = %q", exp.Hash)
	}
	if again, _ := Parse(validFile, []byte(src), nil); again.Hash != exp.Hash {
		t.Error("hash is not deterministic")
	}
	if other, _ := Parse(validFile, []byte(src), []string{"seeds=4"}); other.Hash == exp.Hash {
		t.Error("hash does not see a --set")
	}
}

// TestRoundTrip writes every knob of the resolved valid config as a --set
// onto a skeleton that only names the experiment and agents, and checks
// that the result is the same config.
func TestRoundTrip(t *testing.T) {
	exp, err := Parse(validFile, []byte(readValid(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	skeleton := "experiment = \"valid\"\n"
	for _, a := range exp.Config.Agents {
		skeleton += "[[agent]]\nname = " + quoteTOML(a.Name) + "\nmechanisms = " + formatTOML(reflect.ValueOf(a.Mechanisms)) + "\n"
	}
	var sets []string
	walker{leaf: func(kp keyPath, n node) {
		if len(kp.disp) == 3 && kp.disp[0] == "agent" && kp.disp[2] == "name" {
			return // names are the agents' addresses, fixed by the skeleton
		}
		sets = append(sets, kp.String()+"="+formatTOML(n.v))
	}}.walk(reflect.ValueOf(&exp.Config).Elem(), keyPath{})
	back, err := Parse("skeleton.toml", []byte(skeleton), sets)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash != exp.Hash {
		t.Errorf("round trip changed the config:\n%+v\n%+v", exp.Config, back.Config)
	}
	if !reflect.DeepEqual(back.Config, exp.Config) {
		t.Errorf("round trip: configs differ")
	}
}

func TestParseErrors(t *testing.T) {
	valid := readValid(t)
	type tc struct {
		name   string
		src    string   // the config; valid if empty
		sets   []string // --set overrides
		file   string   // File of the error; the config's when empty
		key    string
		marker string   // the error's line contains this; line 0 when empty
		msg    []string // substrings of the message
	}
	cases := []tc{
		{name: "unknown top-level key", src: replace(t, valid, "seeds = 3", "seeds = 3\nseedz = 1"),
			key: "seedz", marker: "seedz", msg: []string{"unknown key", `did you mean "seeds"`}},
		{name: "unknown family knob", src: replace(t, valid, "K = 8", "KK = 8"),
			key: "env.skills.KK", marker: "KK = 8", msg: []string{"unknown key (known: K, d, actions", `did you mean "K"`}},
		{name: "keys are case-sensitive", src: replace(t, valid, "K = 8", "k = 8"),
			key: "env.skills.k", marker: "k = 8", msg: []string{`did you mean "K"`}},
		{name: "unknown key in second agent", src: replace(t, valid, `name = "frozen-tuned"`, "name = \"frozen-tuned\"\ntemprature = 2"),
			key: "agent.frozen-tuned.temprature", marker: "temprature", msg: []string{"unknown key (known: name, mechanisms, policy, frozen-tuned)"}},
		{name: "unknown mechanism knob", src: replace(t, valid, "kl = 0.1", "kl = 0.1\nlrr = 2"),
			key: "agent.rlvr.rlvr.lrr", marker: "lrr", msg: []string{"unknown key", `did you mean "lr"`}},
		{name: "unknown key in inline table", src: replace(t, valid, "[agent.policy]\nid_channel = false", "policy = {id_channel = false, biass = true}"),
			key: "agent.rlvr.policy.biass", marker: "biass", msg: []string{`did you mean "bias"`}},
		{name: "knob table of a mechanism the agent lacks", src: replace(t, valid, "[agent.rlvr]", "[agent.frozen-tuned]"),
			key: "agent.rlvr.frozen-tuned", marker: "[agent.frozen-tuned]\nlr = 0.25", msg: []string{`this agent's mechanisms are ["rlvr"], which do not include it`}},
		{name: "multi-line strings do not confuse the locator", src: replace(t, valid, `reading = "it loads"`, "reading = \"\"\"\nK = 1\n[env.skills]\n\"\"\"\nbogus = 1"),
			key: "bogus", marker: "bogus", msg: []string{"unknown key"}},
		{name: "wrong type", src: replace(t, valid, "seeds = 3", `seeds = "3"`),
			key: "seeds", marker: "seeds =", msg: []string{`wrong type: want integer, got string "3"`}},
		{name: "wrong element type", src: replace(t, valid, "longer = [2]", `longer = [2, "x"]`),
			key: "env.skills.longer", marker: "longer =", msg: []string{"element 1: wrong type: want integer, got string"}},
		{name: "syntax error", src: replace(t, valid, "seeds = 3", "seeds = = 3"),
			key: "seeds", marker: "seeds = =", msg: []string{"syntax error at column 9", "expected value"}},
		{name: "negative seeds", src: replace(t, valid, "seeds = 3", "seeds = -1"),
			key: "seeds", marker: "seeds =", msg: []string{"-1 is out of range: want an integer in [1, 100000]"}},
		{name: "coverage above 1", src: replace(t, valid, "coverage = 0.9", "coverage = 1.5"),
			key: "env.verifier.coverage", marker: "coverage =", msg: []string{"1.5 is out of range: want a number in [0, 1]"}},
		{name: "group size 0", src: replace(t, valid, "group_size = 4", "group_size = 0"),
			key: "env.grind.group_size", marker: "group_size", msg: []string{"0 is out of range: want an integer in [1, 256]"}},
		{name: "list element out of range", src: replace(t, valid, "longer = [2]", "longer = [2, 100]"),
			key: "env.skills.longer", marker: "longer =", msg: []string{"element 1: 100 is out of range: want an integer in [1, 64]"}},
		{name: "nan", src: replace(t, valid, "lr = 0.2", "lr = nan"),
			key: "pretrain.lr", marker: "lr = nan", msg: []string{"not a number"}},
		{name: "groups need resets", src: replace(t, valid, "resets = true", "resets = false"),
			key: "env.grind", marker: "[env.grind]", msg: []string{"needs grind.resets = true"}},
		{name: "family cross-field rule", src: replace(t, valid, "K = 8", "K = 4"),
			key: "env.skills", marker: "[env.skills]", msg: []string{"must not exceed K = 4"}},
		{name: "mechanism rejects its knobs", src: replace(t, valid, "temperatures = [0.5, 1, 2]", "temperatures = []"),
			key: "agent.frozen-tuned.frozen-tuned", marker: "[agent.frozen-tuned]", msg: []string{"temperatures is empty"}},
		{name: "unknown mechanism", src: replace(t, valid, `mechanisms = ["rlvr"]`, `mechanisms = ["rlvx"]`),
			key: "agent.rlvr.mechanisms", marker: `["rlvx"]`, msg: []string{`unknown mechanism "rlvx"`, `did you mean "rlvr"`}},
		{name: "missing mechanisms", src: replace(t, valid, "mechanisms = [\"frozen\"]\n", ""),
			key: "agent.frozen.mechanisms", marker: "[[agent]]\nname = \"frozen\"\n", msg: []string{"missing"}},
		{name: "unknown split", src: replace(t, valid, `"inspan"`, `"inspam"`),
			key: "eval.splits", marker: "inspam", msg: []string{`unknown split "inspam"`, `did you mean "inspan"`}},
		{name: "unknown family", src: replace(t, valid, `family = "skills"`, `family = "skils"`),
			key: "env.family", marker: "family =", msg: []string{`did you mean "skills"`}},
		{name: "unknown baseline", src: replace(t, valid, `baseline = "frozen-tuned"`, `baseline = "frozen-tune"`),
			key: "report.baseline", marker: "baseline", msg: []string{`did you mean "frozen-tuned"`}},
		{name: "path traversal in agent name", src: replace(t, valid, `name = "frozen"`, `name = "../x"`),
			key: "agent#1.name", marker: `"../x"`, msg: []string{"invalid agent name"}},
		{name: "absolute agent name", src: replace(t, valid, `name = "frozen"`, `name = "/tmp/x"`),
			key: "agent#1.name", marker: `"/tmp/x"`, msg: []string{"invalid agent name"}},
		{name: "duplicate agent name", src: replace(t, valid, `name = "frozen-tuned"`, `name = "frozen"`),
			key: "agent.frozen.name", marker: `name = "frozen"` + "\nmechanisms = [\"frozen-tuned\"]", msg: []string{"duplicate agent name"}},
		{name: "no agents", src: "experiment = \"x\"\n",
			key: "agent", msg: []string{"at least one [[agent]]"}},
		{name: "agent is not an array", src: "experiment = \"x\"\n[agent]\nname = \"a\"\n",
			key: "agent", marker: "[agent]", msg: []string{"want array of tables"}},
		{name: "bad experiment name", src: replace(t, valid, `experiment = "valid"`, `experiment = "a/b"`),
			key: "experiment", marker: "experiment =", msg: []string{"invalid name"}},
		{name: "--set unknown path", sets: []string{"env.verifier.coverag=1"},
			file: "--set", key: "env.verifier.coverag", msg: []string{`did you mean "coverage"`}},
		{name: "--set knob without its table", sets: []string{"coverage=1"},
			file: "--set", key: "coverage", msg: []string{"did you mean env.verifier.coverage?"}},
		{name: "--set unknown agent", sets: []string{"agent.rlvx.rlvr.lr=1"},
			file: "--set", key: "agent.rlvx", msg: []string{`did you mean "rlvr"`}},
		{name: "--set wrong type", sets: []string{"seeds=abc"},
			file: "--set", key: "seeds", msg: []string{`want integer, got string "abc"`}},
		{name: "--set out of range", sets: []string{"env.grind.group_size=0"},
			file: "--set", key: "env.grind.group_size", msg: []string{"out of range: want an integer in [1, 256]"}},
		{name: "--set breaks a cross-field rule", sets: []string{"env.grind.resets=false"},
			file: "--set", key: "env.grind", msg: []string{"needs grind.resets = true"}},
		{name: "--set without =", sets: []string{"seeds"},
			file: "--set", msg: []string{"want key=value"}},
		{name: "--set renames an agent", sets: []string{"agent.rlvr.name=x"},
			file: "--set", key: "agent.rlvr.name", msg: []string{"cannot be changed"}},
		{name: "empty sweep list", src: valid + "\n[sweep]\n\"agent.rlvr.rlvr.lr\" = []\n",
			key: "agent.rlvr.rlvr.lr", marker: `"agent.rlvr.rlvr.lr" = []`, msg: []string{"empty list"}},
		{name: "sweep value not a list", src: valid + "\n[sweep]\nseeds = 3 # not a list\n",
			key: "seeds", marker: "not a list", msg: []string{"non-empty list"}},
		{name: "sweep unknown path", src: valid + "\n[sweep]\n\"env.verifier.coverag\" = [1]\n",
			key: "env.verifier.coverag", marker: "coverag\"", msg: []string{"[sweep]", `did you mean "coverage"`}},
		{name: "sweep wrong type", src: valid + "\n[sweep]\n\"seeds\" = [1, \"x\"]\n",
			key: "seeds", marker: `"seeds" = [`, msg: []string{`value "x": wrong type`}},
		{name: "sweep out of range", src: valid + "\n[sweep]\n\"env.verifier.coverage\" = [0.5, 1.5]\n",
			key: "env.verifier.coverage", marker: `"env.verifier.coverage" = [`, msg: []string{"value 1.5: 1.5 is out of range: want a number in [0, 1]"}},
		{name: "sweep point breaks a cross-field rule", src: valid + "\n[sweep]\n\"env.grind.resets\" = [true, false]\n",
			key: "env.grind", marker: `"env.grind.resets"`, msg: []string{"needs grind.resets = true", "sweep point resets=false"}},
		{name: "sweep duplicate value", src: valid + "\n[sweep]\nseeds = [1, 1]\n",
			key: "seeds", marker: "seeds = [1, 1]", msg: []string{"appears twice"}},
		{name: "sweep and --set on one key", src: valid + "\n[sweep]\nseeds = [1, 2]\n", sets: []string{"seeds=4"},
			key: "seeds", marker: "seeds = [1, 2]", msg: []string{"also set by --set"}},
		{name: "sweep too large", src: valid + "\n[sweep]\nseeds = [" + seq(1, 101) + "]\n\"job.days\" = [" + seq(1, 101) + "]\n",
			key: "sweep", marker: "[sweep]", msg: []string{"the grid has 10201 points (101 x 101), more than the 10000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := c.src
			if src == "" {
				src = valid
			}
			_, err := Parse("case.toml", []byte(src), c.sets)
			if err == nil {
				t.Fatal("no error")
			}
			file, line := c.file, 0
			if file == "" {
				file = "case.toml"
			}
			if c.marker != "" {
				line = lineOf(t, src, strings.SplitN(c.marker, "\n", 2)[0])
				if strings.Contains(c.marker, "\n") { // a marker spanning lines: find it as a whole
					line = strings.Count(src[:strings.Index(src, c.marker)], "\n") + 1
				}
			}
			for _, e := range configErrors(t, err) {
				if e.File != file || e.Key != c.key || e.Line != line {
					continue
				}
				ok := true
				for _, m := range c.msg {
					ok = ok && strings.Contains(e.Msg, m)
				}
				if ok {
					if !strings.HasPrefix(e.Error(), file) {
						t.Errorf("Error() = %q does not start with the file", e.Error())
					}
					return
				}
			}
			t.Errorf("want an error %s:%d: %s: ...%q...; got\n%v", file, line, c.key, c.msg, err)
		})
	}
}

func seq(from, to int) string {
	var parts []string
	for i := from; i <= to; i++ {
		parts = append(parts, formatTOML(reflect.ValueOf(i)))
	}
	return strings.Join(parts, ", ")
}

func TestConfigErrorFormat(t *testing.T) {
	for _, c := range []struct {
		e    ConfigError
		want string
	}{
		{ConfigError{"a.toml", 3, "env.x", "bad"}, "a.toml:3: env.x: bad"},
		{ConfigError{"a.toml", 0, "env.x", "bad"}, "a.toml: env.x: bad"},
		{ConfigError{"--set", 0, "", "bad"}, "--set: bad"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

func TestSet(t *testing.T) {
	exp, err := Parse(validFile, []byte(readValid(t)), []string{
		"seeds=5",
		"question=a bare string",
		"env.skills.outspan=[0.25]",
		"env.verifier.coverage=1", // an integer for a float
		`agent.rlvr.mechanisms=["rlvr", "frozen-tuned"]`,
		"agent.rlvr.frozen-tuned.attempts=7",
		"agent.frozen-tuned.policy={temperature = 2.0}",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := exp.Config
	if c.Seeds != 5 || c.Question != "a bare string" || c.Env.Verifier.Coverage != 1 {
		t.Errorf("scalars not set: %+v", c)
	}
	if sk := c.Env.Knobs.(*envs.SkillsConfig); !slices.Equal(sk.Outspan, []float64{0.25}) || sk.Conflict != 0.25 {
		t.Errorf("family knobs = %+v", *sk)
	}
	r := c.Agents[2]
	if !slices.Equal(r.Mechanisms, []string{"rlvr", "frozen-tuned"}) {
		t.Errorf("mechanisms = %q", r.Mechanisms)
	}
	if tc, ok := r.Knobs["frozen-tuned"].(*agents.TuneConfig); !ok || tc.Attempts != 7 || len(tc.Temperatures) == 0 {
		t.Errorf("knobs of an added mechanism = %#v", r.Knobs["frozen-tuned"])
	}
	if rc := r.Knobs["rlvr"].(*agents.RLVRConfig); rc.LR != 0.25 {
		t.Errorf("setting mechanisms lost the rlvr knobs: %+v", *rc)
	}
	if p := c.Agents[1].Policy; p.Temperature != 2 || !p.Knobs.(*agents.BilinearConfig).Bias {
		t.Errorf("policy table overlay = %+v", p)
	}
}

func TestSweep(t *testing.T) {
	src := readValid(t) + `
[sweep]
"env.verifier.coverage" = [0.5, 1]
agent.rlvr.rlvr.lr = [0.1, 0.2, 0.3]
`
	exp, err := Parse("sweep.toml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Sweep) != 2 || exp.Sweep[0].Key != "env.verifier.coverage" || exp.Sweep[1].Key != "agent.rlvr.rlvr.lr" {
		t.Fatalf("axes = %+v", exp.Sweep)
	}
	if got, want := exp.Sweep[1].Line, lineOf(t, src, "agent.rlvr.rlvr.lr ="); got != want {
		t.Errorf("axis line = %d, want %d", got, want)
	}
	if len(exp.Points) != 6 {
		t.Fatalf("%d points, want 6", len(exp.Points))
	}
	labels := map[string]bool{}
	for i, p := range exp.Points {
		cov, lr := []float64{0.5, 1}[i/3], []float64{0.1, 0.2, 0.3}[i%3] // first axis slowest
		if got := p.Config.Env.Verifier.Coverage; got != cov {
			t.Errorf("point %d: coverage = %v, want %v", i, got, cov)
		}
		if got := p.Config.Agents[2].Knobs["rlvr"].(*agents.RLVRConfig).LR; got != lr {
			t.Errorf("point %d: lr = %v, want %v", i, got, lr)
		}
		if len(p.Assign) != 2 || p.Assign[0].Value != cov || p.Assign[1].Value != lr {
			t.Errorf("point %d: assignments = %+v", i, p.Assign)
		}
		if labels[p.Label] || sanitize(p.Label) != p.Label {
			t.Errorf("point %d: label %q repeated or unsafe", i, p.Label)
		}
		labels[p.Label] = true
	}
	if got := exp.Points[4].Label; got != "coverage=1,lr=0.2" {
		t.Errorf("label = %q", got)
	}
	if exp.Config.Env.Verifier.Coverage != 0.9 {
		t.Error("the base config was changed by the sweep")
	}

	// Points own their knob structs.
	p0, p1 := &exp.Points[0].Config, &exp.Points[1].Config
	p0.Env.Knobs.(*envs.SkillsConfig).K = 99
	p0.Env.Knobs.(*envs.SkillsConfig).Outspan[0] = 0.75
	p0.Agents[2].Knobs["rlvr"].(*agents.RLVRConfig).KL = 42
	p0.Agents[0].Mechanisms[0] = "changed"
	for _, c := range []*Config{p1, &exp.Config} {
		sk := c.Env.Knobs.(*envs.SkillsConfig)
		if sk.K != 8 || sk.Outspan[0] != 0 || c.Agents[2].Knobs["rlvr"].(*agents.RLVRConfig).KL != 0.1 || c.Agents[0].Mechanisms[0] != "frozen" {
			t.Fatal("sweep points share knob structs")
		}
	}
}

func TestSweepLabels(t *testing.T) {
	src := readValid(t) + `
[sweep]
"agent.rlvr.rlvr.lr" = [0.1]
"pretrain.lr" = [0.5]
"eval.splits" = [["train", "inspan"], ["compose"]]
`
	exp, err := Parse("labels.toml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range exp.Points {
		got = append(got, p.Label)
	}
	want := []string{"rlvr.lr=0.1,pretrain.lr=0.5,splits=train_inspan", "rlvr.lr=0.1,pretrain.lr=0.5,splits=compose"}
	if !slices.Equal(got, want) {
		t.Errorf("labels = %q, want %q", got, want)
	}
}

// TestSweepLabelsUniqueByConstruction (finding 7 of the folder issue):
// values that sanitize alike, or differ only in case, still make distinct
// labels, hence distinct run files; and free text cannot be swept at all.
func TestSweepLabelsUniqueByConstruction(t *testing.T) {
	tests := [][]any{
		{"a b", "a_b", "a_b,p1"},
		{"A", "a"},
		{"x=1", "x_1", "x,1"},
		{[]any{"a_b"}, []any{"a", "b"}},
		{1e20, 1e21, 1.5},
	}
	for _, values := range tests {
		labels := pointLabels([]Axis{{Key: "env.knob", Values: values}}, len(values))
		seen := map[string]bool{}
		for i, l := range labels {
			if seen[strings.ToLower(l)] {
				t.Errorf("values %q: label %q twice (%q)", values, l, labels)
			}
			seen[strings.ToLower(l)] = true
			if sanitize(l) != l {
				t.Errorf("value %v: label %q is not file-safe", values[i], l)
			}
		}
	}
	// Values a label holds as they are keep their labels.
	if got := pointLabels([]Axis{{Key: "agent.rlvr.rlvr.lr", Values: []any{0.5, 2.0}}}, 2); !slices.Equal(got, []string{"lr=0.5", "lr=2"}) {
		t.Errorf("labels %q", got)
	}
	for _, key := range []string{"question", "reading", "experiment"} {
		src := readValid(t) + "\n[sweep]\n" + key + ` = ["a b", "a_b", "a_b,p1"]` + "\n"
		_, err := Parse("text.toml", []byte(src), nil)
		if err == nil || !strings.Contains(err.Error(), key+" is free text") {
			t.Errorf("sweeping %s: %v, want a refusal", key, err)
		}
	}
}

func TestKnobDocs(t *testing.T) {
	docs := KnobDocs()
	if !slices.IsSortedFunc(docs, func(a, b KnobDoc) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("docs are not sorted by path")
	}
	byPath := map[string]KnobDoc{}
	for _, d := range docs {
		if d.Type == "" || d.Doc == "" || d.Default == "" {
			t.Errorf("incomplete doc %+v", d)
		}
		byPath[d.Path] = d
	}
	for _, p := range []string{"seeds", "env.skills.K", "env.verifier.coverage", "agent.<name>.rlvr.lr", "agent.<name>.policy.bias", "agent.<name>.mechanisms"} {
		if _, ok := byPath[p]; !ok {
			t.Errorf("no doc for %s", p)
		}
	}
	if d := byPath["env.verifier.coverage"]; d.Range != "[0, 1]" || d.Type != "float" || d.Default != "1.0" {
		t.Errorf("coverage doc = %+v", d)
	}

	// Every documented default can be given back as a --set.
	// Every mechanism but frozen, which cannot be combined with learning,
	// and external, which acts alone (its knobs: external_test.go).
	mechs := slices.DeleteFunc(agents.MechanismNames(), func(m string) bool { return m == "frozen" || m == agents.ExternalName })
	src := "experiment = \"docs\"\n[[agent]]\nname = \"a\"\nmechanisms = " + formatTOML(reflect.ValueOf(mechs)) + "\n"
	var sets []string
	for _, d := range docs {
		if strings.HasPrefix(d.Path, "agent.<name>."+agents.ExternalName+".") || strings.HasSuffix(d.Path, ".name") || strings.HasSuffix(d.Path, ".mechanisms") || d.Model != "" && d.Model != agents.DefaultPolicy().Model {
			continue // another model's knobs are tested below
		}
		if segs := strings.Split(d.Path, "."); d.Path == "experiment" ||
			segs[0] == "env" && !slices.Contains([]string{"family", "verifier", "grind", Default().Env.Family}, segs[1]) {
			continue // an empty name, or another family's knobs
		}
		sets = append(sets, strings.Replace(d.Path, "<name>", "a", 1)+"="+d.Default)
	}
	if _, err := Parse("docs.toml", []byte(src), sets); err != nil {
		t.Error(err)
	}
	// Each model's knobs can be set once the model is chosen, and only then.
	for _, model := range agents.ModelNames() {
		sets := []string{"agent.a.policy.model=\"" + model + "\""}
		var other []string
		for _, d := range docs {
			path := strings.Replace(d.Path, "<name>", "a", 1) + "=" + d.Default
			switch d.Model {
			case model:
				sets = append(sets, path)
			case "":
			default:
				other = append(other, path)
			}
		}
		if _, err := Parse("docs.toml", []byte(src), sets); err != nil {
			t.Errorf("model %s: %v", model, err)
		}
		for _, o := range other {
			if _, err := Parse("docs.toml", []byte(src), append(sets[:1:1], o)); err == nil {
				t.Errorf("model %s accepted another model's knob %s", model, o)
			}
		}
	}
}

func TestLoad(t *testing.T) {
	exp, err := Load(validFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exp.File != validFile || string(exp.Data) != readValid(t) {
		t.Errorf("file = %q", exp.File)
	}
	if _, err := Load("testdata/config/missing.toml", nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestShippedConfigsLoad(t *testing.T) {
	for _, name := range Shipped() {
		if _, err := LoadShipped(name, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLocator(t *testing.T) {
	src := `top = 1
[[agent]]
name = "a"
[agent.rlvr]
lr = 1
[[agent]]
name = "b"   # comment [x]
list = [
  "c = 1",
  { d = 2 },
]
text = """
e = 3
[f]
"""
"quoted.key" = 1
dotted . inner = 2
[agent.rlvr]
lr = 2
`
	l := newLocator(src)
	for _, c := range []struct {
		path []string
		want int
	}{
		{[]string{"top"}, 1},
		{[]string{"agent", "[0]", "name"}, 3},
		{[]string{"agent", "[0]", "rlvr", "lr"}, 5},
		{[]string{"agent", "[1]"}, 6},
		{[]string{"agent", "[1]", "name"}, 7},
		{[]string{"agent", "[1]", "list", "[1]", "d"}, 8}, // inside an array: its key's line
		{[]string{"agent", "[1]", "quoted.key"}, 16},
		{[]string{"agent", "[1]", "dotted", "inner"}, 17},
		{[]string{"agent", "[1]", "rlvr", "lr"}, 19},
		{[]string{"e"}, 0},
		{[]string{"f"}, 0},
	} {
		if got := l.nearest(c.path); got != c.want {
			t.Errorf("line of %q = %d, want %d", c.path, got, c.want)
		}
	}
}

// TestMaxRuns checks that the run count checked against max_runs is the
// count Plan makes, at the boundary, with and without seeds on an axis,
// and that max_runs, a guard, leaves the config hash alone.
func TestMaxRuns(t *testing.T) {
	valid := readValid(t)
	for _, c := range []struct {
		name, sweep string
		runs        int
	}{
		{"no sweep", "", 9}, // 3 agents x 3 seeds
		{"sweep", "\n[sweep]\n\"job.days\" = [1, 2]\n", 18},
		{"seeds swept", "\n[sweep]\nseeds = [1, 2]\n\"job.days\" = [1, 2]\n", 18}, // 3 agents x (1+2) seeds x 2 days
	} {
		src := valid + c.sweep
		exp, err := Parse("runs.toml", []byte(src), []string{"max_runs=" + fmt.Sprint(c.runs)})
		if err != nil {
			t.Errorf("%s: at the limit: %v", c.name, err)
			continue
		}
		if got := len(Plan(exp)); got != c.runs {
			t.Errorf("%s: Plan makes %d runs, want %d", c.name, got, c.runs)
		}
		_, err = Parse("runs.toml", []byte(src), []string{"max_runs=" + fmt.Sprint(c.runs-1)})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("makes %d runs", c.runs)) {
			t.Errorf("%s: one above the limit: err = %v", c.name, err)
		}
	}
	a, err := Parse("runs.toml", []byte(valid), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("runs.toml", []byte(valid), []string{"max_runs=50"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash != b.Hash {
		t.Error("max_runs changes the config hash")
	}
}
