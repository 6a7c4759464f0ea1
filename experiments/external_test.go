package experiments

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// The test binary doubles as an external agent: with GRIND_FAKE_AGENT set
// it speaks the protocol on stdin/stdout, well or badly, instead of testing.
func TestMain(m *testing.M) {
	if mode := os.Getenv("GRIND_FAKE_AGENT"); mode != "" {
		os.Exit(fakeAgent(mode))
	}
	os.Exit(m.Run())
}

// fakeAgent is a uniformly random agent (its action a keyed function of the
// step's seed) that misbehaves as mode says once GRIND_FAKE_AFTER acts
// in the job have gone by: "sleep" past the timeout, "garbage" lines, an out-of-range
// "action", "exit" mid-session, an "error" message, "stderr" then exit.
// "random" behaves.
func fakeAgent(mode string) int {
	after, _ := strconv.Atoi(os.Getenv("GRIND_FAKE_AFTER"))
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<24)
	out := bufio.NewWriter(os.Stdout)
	say := func(v any) {
		b, _ := json.Marshal(v)
		out.Write(append(b, '\n'))
		out.Flush()
	}
	actions, acts, names := 0, 0, []string(nil)
	for in.Scan() {
		var msg struct {
			Type   string `json:"type"`
			Seed   uint64 `json:"seed"`
			Eval   bool   `json:"eval"`
			Spec   struct{ Actions int }
			Config map[string]string `json:"config"`
			Names  []string          `json:"action_names"`
			Obs    struct {
				Text *string `json:"text"`
			} `json:"observation"`
		}
		if err := json.Unmarshal(in.Bytes(), &msg); err != nil {
			fmt.Fprintln(os.Stderr, "fake agent: bad message:", err)
			return 3
		}
		switch msg.Type {
		case "hello":
			actions, names = msg.Spec.Actions, msg.Names
			if msg.Config["echo"] != "" {
				fmt.Fprintln(os.Stderr, "echo:", msg.Config["echo"])
			}
			if wd, err := os.Getwd(); err == nil {
				fmt.Fprintln(os.Stderr, "cwd:", wd)
			}
			say(map[string]any{"type": "ready", "version": 1})
		case "act":
			if !msg.Eval {
				acts++ // misbehaviour starts in the job
			}
			if mode == "text" || mode == "textbad" {
				switch {
				case msg.Obs.Text == nil || len(names) != actions:
					say(map[string]any{"type": "error", "message": "no text rendering"})
				case mode == "textbad":
					say(map[string]any{"type": "action", "text": "I would rather not"})
				default:
					say(map[string]any{"type": "action", "text": "Answer: " + names[int(envs.Uniform(msg.Seed)*float64(actions))]})
				}
				continue
			}
			if acts > after {
				switch mode {
				case "sleep":
					time.Sleep(time.Minute)
				case "garbage":
					fmt.Fprintln(out, "this is not json")
					out.Flush()
					continue
				case "action":
					say(map[string]any{"type": "action", "action": actions})
					continue
				case "exit":
					fmt.Fprintln(os.Stderr, "fake agent: leaving mid-session")
					return 7
				case "error":
					say(map[string]any{"type": "error", "message": "out of cheese"})
					continue
				}
			}
			say(map[string]any{"type": "action", "action": int(envs.Uniform(msg.Seed) * float64(actions))})
		default:
			say(map[string]any{"type": "ok"})
		}
	}
	return 0
}

// externalConfig runs the fake agent (mode) beside a built-in frozen agent.
func externalConfig(mode string, after int, extra string) string {
	return fmt.Sprintf(`
experiment = "ext"
seeds = 2
[job]
days = 1
sessions = 2
tasks = 8
[eval]
tasks = 8
[pretrain]
tasks = 200
[env]
family = "skills"
[env.grind]
group_size = 2
[[agent]]
name = "frozen"
mechanisms = ["frozen"]
[[agent]]
name = "fake"
mechanisms = ["external"]
[agent.external]
command = [%q, "-test.run=^$"]
env = ["GRIND_FAKE_AGENT=%s", "GRIND_FAKE_AFTER=%d"]
timeout = 2
%s`, os.Args[0], mode, after, extra)
}

func runExternal(t *testing.T, src string, workers int) (string, *Outcome) {
	t.Helper()
	exp := mustParse(t, src)
	dir := t.TempDir()
	out, err := Run(context.Background(), exp, RunOptions{Out: dir, Workers: workers, AllowExternal: true})
	if err != nil {
		t.Fatal(err)
	}
	return dir, out
}

func TestExternalMisbehavingAgentsFailAlone(t *testing.T) {
	for _, tc := range []struct {
		mode  string
		after int
		want  string
	}{
		{"sleep", 30, "did not answer act within the timeout of 2s"},
		{"garbage", 0, `answer to act is not a JSON object: "this is not json"`},
		{"action", 5, "answered action 4; the family has 4 actions, 0 to 3"},
		{"exit", 40, "exited: exit status 7 before answering act"},
		{"exit", 40, "day 1 session 0 slot 5: external: the agent exited"},
		{"exit", 40, "fake agent: leaving mid-session"},
		{"error", 3, "reported an error in answer to act: out of cheese"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			if testing.Short() && tc.mode == "sleep" {
				t.Skip("waits for the timeout")
			}
			dir, out := runExternal(t, externalConfig(tc.mode, tc.after, ""), 2)
			if len(out.Failed) != 2 || out.Ran != 2 {
				t.Fatalf("ran %d, failed %v: want the 2 frozen runs to finish and the 2 fake ones to fail", out.Ran, out.Failed)
			}
			for _, r := range out.Runs {
				b, err := os.ReadFile(failurePath(dir, r.Key))
				fake := strings.Contains(r.Key, "fake")
				if fake != (err == nil) {
					t.Fatalf("run %s: failure file present = %v", r.Key, err == nil)
				}
				if !fake {
					if _, err := results.VerifyRun(results.RunPath(dir, r.Key), nil); err != nil {
						t.Fatalf("frozen run %s not intact: %v", r.Key, err)
					}
					continue
				}
				var f struct{ Error string }
				if err := json.Unmarshal(b, &f); err != nil || !strings.Contains(f.Error, tc.want) {
					t.Fatalf("failure of %s: %s\nwant its error to contain %q", r.Key, b, tc.want)
				}
				if _, err := os.Stat(filepath.Join(dir, LogsDir, r.Key+".stderr")); err != nil {
					t.Fatalf("no stderr log beside run %s: %v", r.Key, err)
				}
			}
		})
	}
}

func TestExternalRandomAgentDeterministic(t *testing.T) {
	src := externalConfig("random", 0, "")
	dir1, o1 := runExternal(t, src, 1)
	dir2, o2 := runExternal(t, src, 2)
	if len(o1.Failed)+len(o2.Failed) > 0 {
		t.Fatalf("failed: %v %v", o1.Failed, o2.Failed)
	}
	for _, r := range o1.Runs {
		a, _ := os.ReadFile(results.RunPath(dir1, r.Key))
		b, _ := os.ReadFile(results.RunPath(dir2, r.Key))
		if len(a) == 0 || string(a) != string(b) {
			t.Fatalf("run %s differs between --workers 1 and 2", r.Key)
		}
	}
}

func TestExternalNeedsAllowing(t *testing.T) {
	exp := mustParse(t, externalConfig("random", 0, ""))
	allow := filepath.Join(t.TempDir(), "allow")
	line := ExternalCommands(exp)[0].Config.CommandLine()
	for _, tc := range []struct {
		name    string
		allow   bool
		file    string // allow file contents; "" for none
		refused bool
	}{
		{"neither", false, "", true},
		{"flag", true, "", false},
		{"file lists it", false, "# mine\n" + line + "\n", false},
		{"file lists another", false, "python3 other.py\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(allow)
			if tc.file != "" {
				os.WriteFile(allow, []byte(tc.file), 0o644)
			}
			err := checkExternalAllowed(exp, RunOptions{AllowExternal: tc.allow, AllowFile: allow})
			if (err != nil) != tc.refused {
				t.Fatalf("refused = %v, want %v (%v)", err != nil, tc.refused, err)
			}
			if err != nil && !strings.Contains(err.Error(), "--allow-external") {
				t.Fatalf("the refusal does not say how to allow: %v", err)
			}
		})
	}
	// Run refuses before starting anything.
	dir := t.TempDir()
	if _, err := Run(context.Background(), exp, RunOptions{Out: dir, AllowFile: allow + ".none"}); err == nil {
		t.Fatal("Run started an external agent nobody allowed")
	}
}

// Each knob of the external mechanism changes what the child sees or how
// the bridge treats it (timeout and env are exercised above: the modes come
// through env, the sleeper meets the timeout).
func TestExternalKnobs(t *testing.T) {
	wd := t.TempDir()
	for _, tc := range []struct {
		name, mode, extra string
		fails             string // a failure all fake runs share, or ""
		log               string // a line in every fake run's stderr log
	}{
		{"options", "random", `options = ["echo=hello there"]`, "", "echo: hello there"},
		{"no options", "random", ``, "", "cwd: "},
		{"dir", "random", fmt.Sprintf("dir = %q", wd), "", "cwd: " + wd},
		{"text on", "text", `text = true`, "", ""},
		{"text off", "text", ``, "no text rendering", ""},
		{"text unparseable", "textbad", `text = true`, `is not a legal action: answer one of 0, 1, 2, 3`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, out := runExternal(t, externalConfig(tc.mode, 0, tc.extra), 2)
			for _, r := range out.Runs {
				if !strings.Contains(r.Key, "fake") {
					continue
				}
				b, err := os.ReadFile(failurePath(dir, r.Key))
				switch {
				case tc.fails == "" && err == nil:
					t.Fatalf("run %s failed: %s", r.Key, b)
				case tc.fails != "" && (err != nil || !strings.Contains(string(b), tc.fails)):
					t.Fatalf("run %s: want a failure containing %q, got %s (%v)", r.Key, tc.fails, b, err)
				}
				logb, _ := os.ReadFile(filepath.Join(dir, LogsDir, r.Key+".stderr"))
				if !strings.Contains(string(logb), tc.log) || tc.name == "no options" && strings.Contains(string(logb), "echo:") {
					t.Fatalf("run %s stderr log: %q, want it to contain %q", r.Key, logb, tc.log)
				}
			}
		})
	}
}
