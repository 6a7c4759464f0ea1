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
	}
	fmt.Fprintln(stdout, "\nMechanisms:")
	for _, name := range agents.MechanismNames() {
		m, _ := agents.LookupMechanism(name)
		fmt.Fprintf(stdout, "  %s: %s\n", name, m.Doc)
	}
	return nil
}
