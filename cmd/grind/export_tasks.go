package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/experiments"
)

// cmdExportTasks writes a config's family's tasks as single-step questions
// in reasoning-gym's shape (question, answer, metadata a line).
func cmdExportTasks(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export-tasks", "[CONFIG] [--split S] [--tasks N] [--seed K] [--out FILE] [--set key=value ...]", stderr)
	split := fs.String("split", envs.SplitTrain, "the split whose tasks to export")
	tasks := fs.Int("tasks", 100, "tasks to export (each of its steps is one question)")
	seed := fs.Int("seed", 0, "the seed the family is built for")
	outPath := fs.String("out", "", "output file (default: standard output)")
	var sets multiFlag
	fs.Var(&sets, "set", "override a knob (repeatable)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return badInput(fmt.Errorf("at most one CONFIG, got %d", len(pos)))
	}
	if *tasks < 1 || *seed < 0 {
		return badInput(fmt.Errorf("--tasks %d and --seed %d: need at least 1 task and a seed >= 0", *tasks, *seed))
	}
	path := ""
	if len(pos) == 1 {
		path = pos[0]
	}
	exp, err := loadExperiment(path, experiments.Overrides{Sets: sets})
	if err != nil {
		return err
	}
	env := exp.Config.Env
	f, err := envs.Lookup(env.Family)
	if err != nil {
		return badInput(err)
	}
	fam, err := f.New(env.Knobs, uint64(*seed))
	if err != nil {
		return fmt.Errorf("building %s: %w", env.Family, err)
	}
	known := false
	for _, s := range fam.Splits() {
		known = known || s == *split
	}
	if !known {
		return badInput(fmt.Errorf("--split %s: family %s has splits %v", *split, env.Family, fam.Splits()))
	}
	w := stdout
	if *outPath != "" {
		file, err := os.Create(*outPath)
		if err != nil {
			return fmt.Errorf("export-tasks: %w", err)
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriter(w)
	n, err := envs.ExportTasks(bw, fam, uint64(*seed), *split, *tasks)
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export-tasks: %w", err)
	}
	fmt.Fprintf(stderr, "export-tasks: %d questions from %d %s tasks of %s\n", n, *tasks, *split, env.Family)
	return nil
}

// cmdScoreAnswer scores answers against exported questions, as
// reasoning-gym's score_answer: 1 accepted, 0 not.
func cmdScoreAnswer(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score-answer", "TASKS.jsonl ANSWERS (one answer a line, in the tasks' order; - for standard input)", stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return badInput(fmt.Errorf("want TASKS.jsonl and ANSWERS, got %d arguments", len(pos)))
	}
	tf, err := os.Open(pos[0])
	if err != nil {
		return badInput(err)
	}
	defer tf.Close()
	var af io.Reader = os.Stdin
	if pos[1] != "-" {
		f, err := os.Open(pos[1])
		if err != nil {
			return badInput(err)
		}
		defer f.Close()
		af = f
	}
	ts, as := bufio.NewScanner(tf), bufio.NewScanner(af)
	ts.Buffer(nil, 1<<24)
	as.Buffer(nil, 1<<24)
	sum, n := 0.0, 0
	for ts.Scan() {
		n++
		var e envs.ExportedTask
		if err := json.Unmarshal(ts.Bytes(), &e); err != nil {
			return badInput(fmt.Errorf("%s:%d: %w", pos[0], n, err))
		}
		if !as.Scan() {
			return badInput(fmt.Errorf("%s: no answer for question %d", pos[1], n))
		}
		s, err := envs.ScoreAnswer(&e, as.Text())
		note := ""
		if err != nil {
			note = "\t" + err.Error()
		}
		fmt.Fprintf(stdout, "%d\t%g%s\n", n, s, note)
		sum += s
	}
	if err := ts.Err(); err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	if n == 0 {
		return badInput(fmt.Errorf("%s: no questions", pos[0]))
	}
	fmt.Fprintf(stdout, "mean score %.4f over %d questions\n", sum/float64(n), n)
	return nil
}
