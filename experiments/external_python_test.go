package experiments

import (
	"context"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// debianPython is the interpreter with Debian's python3-numpy.
const debianPython = "/usr/bin/python3"

// needPython skips without Debian's Python and NumPy, except under CI
// (which installs them), where their absence fails.
func needPython(t testing.TB, numpy bool) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Python agents")
	}
	args := []string{"-c", "import json"}
	if numpy {
		args = []string{"-c", "import numpy"}
	}
	if err := exec.Command(debianPython, args...).Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s %v: %v (CI installs python3-numpy)", debianPython, args, err)
		}
		t.Skipf("no %s with what the agent needs: %v", debianPython, err)
	}
}

func pythonAgent(name, script, extra string) string {
	return `
[[agent]]
name = "` + name + `"
mechanisms = ["external"]
[agent.external]
command = ["` + debianPython + `", "clients/python/` + script + `"]
dir = ".."
timeout = 30
` + extra
}

// The Python random agent through the bridge succeeds as often as the Go
// random policy on every split, and at (1/A)^L overall.
func TestExternalPythonRandomMatchesGoRandom(t *testing.T) {
	needPython(t, false)
	src := strings.Replace(calibrationConfig(`
[env.skills]
actions = 2
length = 3
[[agent]]
name = "random"
mechanisms = ["frozen"]
[agent.policy]
bilinear = false
id_channel = false
bias = false
`+pythonAgent("python-random", "random_agent.py", "")), "seeds = 24", "seeds = 8", 1)
	_, recs := mustRunWith(t, mustParse(t, src), RunOptions{Workers: 2, AllowExternal: true})
	type tally struct{ wins, n float64 }
	by := map[[2]string]*tally{}
	var pyAll tally
	for _, c := range recs.Checkpoints {
		for _, s := range []float64{c.SuccessGreedy, c.SuccessSampled} {
			k := [2]string{c.Agent, c.Split}
			if by[k] == nil {
				by[k] = &tally{}
			}
			by[k].wins += s * float64(c.Tasks)
			by[k].n += float64(c.Tasks)
			if c.Agent == "python-random" && !strings.HasPrefix(c.Split, "longer@") {
				pyAll.wins += s * float64(c.Tasks)
				pyAll.n += float64(c.Tasks)
			}
		}
	}
	splits := 0
	for k, py := range by {
		if k[0] != "python-random" {
			continue
		}
		splits++
		gor := by[[2]string{"random", k[1]}]
		p1, p2 := py.wins/py.n, gor.wins/gor.n
		pp := (py.wins + gor.wins) / (py.n + gor.n)
		se := math.Sqrt(pp*(1-pp)*(1/py.n+1/gor.n)) + 1e-9
		if math.Abs(p1-p2) > 4*se {
			t.Errorf("split %s: Python random %.4f, Go random %.4f: differ by more than 4 SE (%.4f)", k[1], p1, p2, se)
		}
	}
	if splits < 3 {
		t.Fatalf("only %d splits compared", splits)
	}
	p := 1.0 / 8
	if got, se := pyAll.wins/pyAll.n, math.Sqrt(p*(1-p)/pyAll.n); math.Abs(got-p) > 4*se {
		t.Fatalf("Python random success %.4f over %.0f attempts, want (1/A)^L = %.4f +- %.4f", got, pyAll.n, p, 4*se)
	}
}

// The NumPy REINFORCE agent learns on skills (its train gain over frozen's,
// paired by seed, has a confidence interval above 0), and its records are
// the same across two invocations and across --workers 1 and 2.
func TestExternalPythonReinforceLearns(t *testing.T) {
	needPython(t, true)
	src := `
experiment = "reinforce"
seeds = 6
[job]
days = 2
sessions = 2
tasks = 64
[eval]
tasks = 64
splits = ["train"]
[pretrain]
tasks = 500
[env]
family = "skills"
[env.skills]
length = 2
[env.grind]
group_size = 4
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
` + pythonAgent("python-reinforce", "reinforce_agent.py", `options = ["lr=0.5"]`)
	exp := mustParse(t, src)
	var dirs []string
	var recs *results.Records
	for _, workers := range []int{1, 2, 2} {
		dir, r := mustRunWith(t, exp, RunOptions{Workers: workers, AllowExternal: true})
		if recs == nil {
			recs = r
		}
		dirs = append(dirs, dir)
	}
	for _, r := range Plan(exp) {
		a, _ := os.ReadFile(results.RunPath(dirs[0], r.Key))
		for _, d := range dirs[1:] {
			if b, _ := os.ReadFile(results.RunPath(d, r.Key)); len(a) == 0 || string(a) != string(b) {
				t.Fatalf("run %s: records differ between invocations or worker counts", r.Key)
			}
		}
	}
	gain := map[string]map[int]float64{}
	for _, c := range recs.Checkpoints {
		if gain[c.Agent] == nil {
			gain[c.Agent] = map[int]float64{}
		}
		switch c.Day {
		case 0:
			gain[c.Agent][c.Seed] -= c.SuccessGreedy
		case exp.Config.Job.Days:
			gain[c.Agent][c.Seed] += c.SuccessGreedy
		}
	}
	var d []float64
	for seed, g := range gain["python-reinforce"] {
		d = append(d, g-gain["frozen"][seed])
	}
	mean, sd := meanSD(d)
	// t(0.975, 5) = 2.571.
	if lo := mean - 2.571*sd/math.Sqrt(float64(len(d))); !(lo > 0) {
		t.Fatalf("REINFORCE's train gain over frozen: mean %.3f, 95%% CI lower end %.3f, want above 0 (paired: %v)", mean, lo, d)
	}
}

func meanSD(x []float64) (float64, float64) {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return m, math.Sqrt(s / float64(len(x)-1))
}

// The protocol's overhead: steps per second of the Python random agent
// through the bridge against the Go random policy, on skills' default
// observations (go test -run Overhead -v prints them; docs/protocol.md
// states them).
func TestExternalOverhead(t *testing.T) {
	needPython(t, false)
	fam, err := envs.NewSkills(envs.DefaultSkills(), 1)
	if err != nil {
		t.Fatal(err)
	}
	spec := fam.Spec()
	pol := agents.DefaultPolicy()
	base, err := agents.NewModel(spec, pol, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := agents.DefaultExternal()
	cfg.Command = []string{debianPython, "clients/python/random_agent.py"}
	cfg.Dir = ".."
	ext, err := agents.New(agents.Config{Name: "py", Mechanisms: []string{"external"}, Policy: pol, Knobs: map[string]any{"external": &cfg}}, base, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	if err := ext.Bind(agents.RunInfo{Context: context.Background(), Run: "overhead", Agent: "py", Family: fam}); err != nil {
		t.Fatal(err)
	}
	goAgent, err := agents.New(agents.Config{Name: "go", Mechanisms: []string{"frozen"}, Policy: pol}, base, 1)
	if err != nil {
		t.Fatal(err)
	}
	rate := func(a *agents.Agent, n int) float64 {
		env, obs := fam.NewEnv(), envs.NewObs(spec)
		task, _ := fam.Task(envs.SplitTrain, 0)
		start := time.Now()
		env.Reset(&task, &obs)
		for i := 0; i < n; i++ {
			if env.Step(a.ActEval(&obs, false, uint64(i)), &obs).Done {
				env.Reset(&task, &obs)
			}
		}
		if err := a.Err(); err != nil {
			t.Fatal(err)
		}
		return float64(n) / time.Since(start).Seconds()
	}
	rate(ext, 100) // start the child
	py, gor := rate(ext, 20000), rate(goAgent, 200000)
	t.Logf("steps/s: Python random agent through the bridge %.0f, Go random policy %.0f: %.0fx", py, gor, gor/py)
	if py <= 0 || gor <= py {
		t.Fatalf("implausible rates: bridge %.0f, Go %.0f", py, gor)
	}
}
