package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

func cmdEnvs(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("envs", "[--check]", stderr)
	check := fs.Bool("check", false, "run the environment checker over every family at its default knobs; exit 1 if one fails")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("envs", pos); err != nil {
		return err
	}
	if *check {
		var facs []envs.Factory
		for _, name := range envs.Names() {
			f, _ := envs.Lookup(name)
			facs = append(facs, f)
		}
		return checkFamilies(stdout, facs)
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

// checkFamilies runs envs.CheckFactory over facs and prints one line per
// family: OK with what the checker played and the allocations per step it
// measured, or FAIL followed by its problems, indented.
func checkFamilies(stdout io.Writer, facs []envs.Factory) error {
	failed := 0
	for _, fac := range facs {
		start := time.Now()
		rep := envs.CheckFactory(fac, envs.CheckOptions{})
		took := time.Since(start).Round(time.Millisecond)
		allocs := "allocations not measured"
		if rep.Allocs >= 0 {
			allocs = fmt.Sprintf("%g allocations per step", rep.Allocs)
		}
		if rep.Err == nil {
			fmt.Fprintf(stdout, "%s: OK (%d attempts, %d steps, %s, %v)\n", fac.Name, rep.Attempts, rep.Steps, allocs, took)
			continue
		}
		failed++
		probs := []error{rep.Err}
		if j, ok := rep.Err.(interface{ Unwrap() []error }); ok {
			probs = j.Unwrap()
		}
		fmt.Fprintf(stdout, "%s: FAIL (%d problems, %s, %v)\n", fac.Name, len(probs), allocs, took)
		for _, p := range probs {
			fmt.Fprintf(stdout, "    %s\n", strings.ReplaceAll(p.Error(), "\n", "\n      "))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d families fail the environment checker", failed, len(facs))
	}
	return nil
}
