package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

func cmdEnvs(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("envs", "", stderr)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Families:")
	for _, name := range envs.Names() {
		f, _ := envs.Lookup(name)
		fmt.Fprintf(stdout, "  %s: %s\n", name, f.Doc)
		fam, err := f.New(f.NewConfig(), 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "    splits (defaults): %s\n", strings.Join(fam.Splits(), ", "))
		fmt.Fprintf(stdout, "    loophole: %s\n", fam.Loophole())
		spec := fam.Spec()
		var chans []string
		for _, c := range spec.Channels {
			chans = append(chans, fmt.Sprintf("%s (%s %d)", c.Name, c.Kind, c.Size))
		}
		fmt.Fprintf(stdout, "    observation channels: %s; %d actions; up to %d steps\n", strings.Join(chans, ", "), spec.Actions, spec.MaxLen)
	}
	fmt.Fprintln(stdout, "\nPolicy models ([agent.policy] model = ...):")
	for _, name := range agents.ModelNames() {
		m, _ := agents.LookupModel(name)
		fmt.Fprintf(stdout, "  %s: %s\n", name, m.Doc)
	}
	fmt.Fprintln(stdout, "\nMechanisms:")
	for _, name := range agents.MechanismNames() {
		m, _ := agents.LookupMechanism(name)
		fmt.Fprintf(stdout, "  %s: %s\n", name, m.Doc)
		if len(m.Requires)+len(m.Excludes) > 0 || m.ExcludesLearners {
			var rules []string
			if len(m.Requires) > 0 {
				rules = append(rules, "requires "+strings.Join(m.Requires, ", "))
			}
			if len(m.Excludes) > 0 {
				rules = append(rules, "excludes "+strings.Join(m.Excludes, ", "))
			}
			if m.ExcludesLearners {
				rules = append(rules, "excludes every learning mechanism")
			}
			fmt.Fprintf(stdout, "    %s\n", strings.Join(rules, "; "))
		}
	}
	return nil
}
