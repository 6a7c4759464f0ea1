package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/results"
)

func cmdEnvs(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("envs", "[CONFIG] [--format text|markdown|csv] [--plot FILE] [--seeds N] [--set key=value ...] | --list | --check", stderr)
	check := fs.Bool("check", false, "run the environment checker over every family at its default knobs; exit 1 if one fails")
	list := fs.Bool("list", false, "list the families (splits, loophole, observation channels), policy models and mechanisms")
	format := fs.String("format", results.FormatText, "table format: text, markdown or csv")
	plotPath := fs.String("plot", "", "also draw the V x G scatter to this file (.svg, .png or .pdf)")
	seeds := fs.Int("seeds", 0, "probe seeds (0: the config's seeds, at most 8)")
	attempts := fs.Int("attempts", 0, "V: probe attempts per reference policy per seed (0: 256)")
	slots := fs.Int("slots", 0, "G: probe slots per seed (0: 1024)")
	var sets multiFlag
	fs.Var(&sets, "set", "override a knob of CONFIG, or of every family's default config (repeatable)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
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
	if *list {
		return listFamilies(stdout)
	}
	if len(pos) > 1 {
		return badInput(fmt.Errorf("envs takes at most one CONFIG, got %d arguments", len(pos)))
	}
	switch *format {
	case results.FormatText, results.FormatMarkdown, results.FormatCSV:
	default:
		return badInput(fmt.Errorf("--format %q: want text, markdown or csv", *format))
	}
	if *seeds < 0 || *attempts < 0 || *slots < 0 {
		return badInput(fmt.Errorf("--seeds, --attempts and --slots must not be negative"))
	}
	opt := experiments.ProbeOptions{Seeds: *seeds, Attempts: *attempts, Slots: *slots}
	var scores []results.EnvScore
	title := "Measured V and G of every family (default knobs)"
	if len(pos) == 1 {
		exp, err := loadExperiment(pos[0], sets)
		if err != nil {
			return err
		}
		title = "Measured V and G: " + exp.Config.Experiment
		if scores, err = experiments.MeasureExperiment(context.Background(), exp, opt); err != nil {
			return err
		}
	} else {
		for _, name := range envs.Names() {
			exp, err := familyDefaults(name, sets)
			if err != nil {
				return err
			}
			s, err := experiments.MeasureEnv(context.Background(), &exp.Config, opt)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			s.Point = name
			scores = append(scores, s)
		}
	}
	if err := results.WriteEnvScores(stdout, scores, *format); err != nil {
		return err
	}
	if *plotPath != "" {
		if err := results.PlotEnvScores(scores, title, *plotPath); err != nil {
			return err
		}
	}
	return nil
}

// familyDefaults is the default config with family name at its default
// knobs, with the --set overrides applied, loaded as a config file is.
func familyDefaults(name string, sets []string) (*experiments.Experiment, error) {
	src := fmt.Sprintf("experiment = \"envs-%s\"\n[env]\nfamily = %q\n[[agent]]\nname = \"base\"\nmechanisms = [\"frozen\"]\n", name, name)
	exp, err := experiments.Parse("<envs "+name+">", []byte(src), sets)
	if err != nil {
		return nil, badInput(err)
	}
	return exp, nil
}

// listFamilies prints the families with their splits, loophole and
// observation channels, then the policy models and mechanisms.
func listFamilies(stdout io.Writer) error {
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
