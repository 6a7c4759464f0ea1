package experiments

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/results"
)

// External agents (agents/external.go) are child processes. A config that
// names one runs it only when the user allows it: RunOptions.AllowExternal
// (grind run --allow-external), or its command line listed in the allow
// file, so reproducing someone else's config never starts a program
// unannounced.

// DefaultAllowFile is the local allow file: one external command line a
// line, exactly as grind validate shows it; '#' starts a comment.
const DefaultAllowFile = ".grind-allow-external"

// LogsDir holds per-run logs (an external agent's standard error).
const LogsDir = "logs"

// ExternalCommand is one agent's external command at one sweep point.
type ExternalCommand struct {
	Point, Agent string
	Config       agents.ExternalConfig
}

// ExternalCommands lists every distinct external command an experiment
// would run, in sweep and agent order.
func ExternalCommands(exp *Experiment) []ExternalCommand {
	var out []ExternalCommand
	seen := map[string]bool{}
	for _, p := range exp.Points {
		for _, a := range p.Config.Agents {
			if !slices.Contains(a.Mechanisms, agents.ExternalName) {
				continue
			}
			c, ok := a.Knobs[agents.ExternalName].(*agents.ExternalConfig)
			if !ok {
				d := agents.DefaultExternal()
				c = &d
			}
			id := a.Name + "\x00" + c.CommandLine() + "\x00" + c.Dir + "\x00" + strings.Join(c.Env, "\x00")
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, ExternalCommand{Point: p.Label, Agent: a.Name, Config: *c})
		}
	}
	return out
}

// readAllowFile returns the command lines an allow file lists; a missing
// file lists none.
func readAllowFile(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("allow file: %w", err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out[l] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("allow file %s: %w", path, err)
	}
	return out, nil
}

// checkExternalAllowed refuses an experiment whose external commands the
// user has not allowed.
func checkExternalAllowed(exp *Experiment, opt RunOptions) error {
	cmds := ExternalCommands(exp)
	if len(cmds) == 0 || opt.AllowExternal {
		return nil
	}
	file := opt.AllowFile
	if file == "" {
		file = DefaultAllowFile
	}
	allowed, err := readAllowFile(file)
	if err != nil {
		return err
	}
	var refused []string
	for _, c := range cmds {
		if l := c.Config.CommandLine(); !allowed[l] && !slices.Contains(refused, l) {
			refused = append(refused, l)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return fmt.Errorf("the config runs external programs that were not allowed: %s. Check them (grind validate shows them), then pass --allow-external or list each command line in %s", strings.Join(refused, "; "), file)
}

type runOptionsKey struct{}

// withRunOptions carries the run options to the runs (the results folder
// for the external agents' logs).
func withRunOptions(ctx context.Context, opt RunOptions) context.Context {
	return context.WithValue(ctx, runOptionsKey{}, opt)
}

// bindRun tells the agent's mechanisms which run they are in.
func bindRun(ctx context.Context, a *agents.Agent, w *world, h results.Header) error {
	info := agents.RunInfo{Context: ctx, Run: h.Run, Agent: h.Agent, Seed: h.Seed, Family: w.fam}
	if opt, ok := ctx.Value(runOptionsKey{}).(RunOptions); ok && opt.Out != "" {
		info.LogDir = filepath.Join(opt.Out, LogsDir)
	}
	return a.Bind(info)
}
