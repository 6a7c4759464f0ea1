package envs

import (
	"encoding/json"
	"fmt"
	"io"
)

// Single-step tasks in reasoning-gym's shape: one JSON object a line with a
// question, an answer and metadata. Each step of a task, reached by the
// correct actions before it, is one question: its text rendering; the
// answer is the correct action's name, and the metadata lists every
// accepted answer, so ScoreAnswer needs the line alone.

// ExportedTask is one exported question.
type ExportedTask struct {
	Question string         `json:"question"`
	Answer   string         `json:"answer"`
	Metadata ExportMetadata `json:"metadata"`
}

// ExportMetadata says where a question comes from and what it accepts.
type ExportMetadata struct {
	Source      string   `json:"source"` // "grindbench"
	Family      string   `json:"family"`
	Seed        uint64   `json:"seed"`
	Split       string   `json:"split"`
	Task        int      `json:"task"`
	Step        int      `json:"step"`
	ActionNames []string `json:"action_names"`
	Accepted    []string `json:"accepted"`
}

// ExportTasks writes the steps of the first n tasks of split as single-step
// questions, and returns how many it wrote.
func ExportTasks(w io.Writer, f Family, seed uint64, split string, n int) (int, error) {
	tx, ok := f.(Texter)
	if !ok {
		return 0, fmt.Errorf("family %s has no text rendering", f.Name())
	}
	if pool := f.PoolSize(split); pool > 0 && n > pool {
		n = pool
	}
	names := tx.ActionNames()
	env, obs := f.NewEnv(), NewObs(f.Spec())
	accepted := make([]bool, f.Spec().Actions)
	enc := json.NewEncoder(w)
	written := 0
	for i := range n {
		t, err := f.Task(split, i)
		if err != nil {
			return written, fmt.Errorf("export: %w", err)
		}
		env.Reset(&t, &obs)
		for step := 0; ; step++ {
			c := env.Correct()
			if acc, ok := env.(Acceptor); ok {
				acc.Accepted(accepted)
			} else {
				clear(accepted)
				accepted[c] = true
			}
			e := ExportedTask{Question: tx.Render(&obs), Answer: names[c], Metadata: ExportMetadata{
				Source: "grindbench", Family: f.Name(), Seed: seed, Split: split, Task: i, Step: step, ActionNames: names}}
			for a, ok := range accepted {
				if ok {
					e.Metadata.Accepted = append(e.Metadata.Accepted, names[a])
				}
			}
			if err := enc.Encode(&e); err != nil {
				return written, fmt.Errorf("export: %w", err)
			}
			written++
			if env.Step(c, &obs).Done {
				break
			}
		}
	}
	return written, nil
}

// ScoreAnswer scores an answer to an exported question as reasoning-gym's
// score_answer does: 1 for an accepted answer, 0 otherwise, with the reason
// an answer could not be read.
func ScoreAnswer(e *ExportedTask, answer string) (float64, error) {
	a, err := parseNamed(answer, e.Metadata.ActionNames)
	if err != nil {
		return 0, err
	}
	for _, ok := range e.Metadata.Accepted {
		if ok == e.Metadata.ActionNames[a] {
			return 1, nil
		}
	}
	return 0, nil
}
