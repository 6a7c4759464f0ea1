package envs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

func TestExportTasksAndScore(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			fam := buildDefault(t, name)
			var buf bytes.Buffer
			n, err := ExportTasks(&buf, fam, 1, SplitTrain, 3)
			if err != nil || n < 3 {
				t.Fatalf("wrote %d questions: %v", n, err)
			}
			sc := bufio.NewScanner(&buf)
			sc.Buffer(nil, 1<<20)
			lines := 0
			for sc.Scan() {
				lines++
				var e ExportedTask
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatal(err)
				}
				if e.Question == "" || e.Metadata.Family != name || len(e.Metadata.Accepted) == 0 {
					t.Fatalf("incomplete question: %+v", e)
				}
				if s, err := ScoreAnswer(&e, "Answer: "+e.Answer); s != 1 || err != nil {
					t.Fatalf("the answer itself scores %v, %v", s, err)
				}
				wrong := ""
				for _, a := range e.Metadata.ActionNames {
					acc := false
					for _, b := range e.Metadata.Accepted {
						acc = acc || a == b
					}
					if !acc {
						wrong = a
					}
				}
				if s, err := ScoreAnswer(&e, wrong); s != 0 || err != nil {
					t.Fatalf("wrong answer %q scores %v, %v", wrong, s, err)
				}
				if s, err := ScoreAnswer(&e, "no idea"); s != 0 || err == nil {
					t.Fatalf("an unreadable answer scores %v with no reason", s)
				}
			}
			if lines != n {
				t.Fatalf("%d lines for %d questions", lines, n)
			}
		})
	}
}
