package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/envs"
)

func TestExportTasksAndScoreAnswer(t *testing.T) {
	dir := t.TempDir()
	tasks := filepath.Join(dir, "q.jsonl")
	var out, errb bytes.Buffer
	if code := realMain([]string{"export-tasks", "arith", "--tasks", "3", "--out", tasks}, &out, &errb); code != 0 {
		t.Fatalf("export-tasks: exit %d: %s", code, errb.String())
	}
	data, _ := os.ReadFile(tasks)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var answers []string
	for i, l := range lines {
		var e envs.ExportedTask
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			answers = append(answers, "The answer: "+e.Answer)
		} else {
			answers = append(answers, "gibberish")
		}
	}
	ans := filepath.Join(dir, "a.txt")
	os.WriteFile(ans, []byte(strings.Join(answers, "\n")+"\n"), 0o644)
	short := filepath.Join(dir, "short.txt")
	os.WriteFile(short, []byte("1\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"scores", []string{"score-answer", tasks, ans}, 0, fmt.Sprintf("mean score %.4f over %d questions", 1/float64(len(lines)), len(lines))},
		{"unreadable answers say why", []string{"score-answer", tasks, ans}, 0, "is not a legal action"},
		{"too few answers", []string{"score-answer", tasks, short}, 2, "no answer for question 2"},
		{"unknown split", []string{"export-tasks", "arith", "--split", "nope"}, 2, "family arith has splits"},
		{"bad task count", []string{"export-tasks", "arith", "--tasks", "0"}, 2, "need at least 1 task"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := realMain(tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Fatalf("exit %d (want %d), output %s%s\nwant it to contain %q", code, tc.code, out.String(), errb.String(), tc.want)
			}
		})
	}
}
