package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/grindbench/grindbench/experiments"
)

// printExternal shows the external programs a config would run, so that a
// user can check them before allowing them.
func printExternal(w io.Writer, exp *experiments.Experiment) {
	cmds := experiments.ExternalCommands(exp)
	if len(cmds) == 0 {
		return
	}
	fmt.Fprintf(w, "external agents: grind run starts these programs (no shell) only with --allow-external or when %s lists their command line:\n", experiments.DefaultAllowFile)
	for _, c := range cmds {
		dir := c.Config.Dir
		if dir == "" {
			dir = "."
		}
		env := "(empty)"
		if len(c.Config.Env) > 0 {
			env = strings.Join(c.Config.Env, " ")
		}
		fmt.Fprintf(w, "  agent %s: %s\n    in %s, environment %s\n", c.Agent, c.Config.CommandLine(), dir, env)
	}
}
