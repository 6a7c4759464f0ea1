package results

import (
	"slices"
	"testing"
)

// TestSchemaDocumented fails when a record field has no entry in columnDocs
// or an entry documents a column no record has: the two cannot drift.
func TestSchemaDocumented(t *testing.T) {
	cols := Schema()
	seen := map[string]bool{}
	for _, c := range cols {
		if c.Doc == "" {
			t.Errorf("column %s.%s has no entry in columnDocs (results/schema.go)", c.Kind, c.Name)
		}
		if c.Type == "any" || c.Type == "" {
			t.Errorf("column %s.%s: no JSON type", c.Kind, c.Name)
		}
		key := c.Kind + "." + c.Name
		if seen[key] {
			t.Errorf("column %s listed twice", key)
		}
		seen[key] = true
	}
	for key := range columnDocs {
		if !seen[key] {
			t.Errorf("columnDocs documents %q, which no record has", key)
		}
	}
}

func TestSchemaShape(t *testing.T) {
	cols := Schema()
	tests := []struct {
		kind, name, typ string
	}{
		{KindAll, "schema", "integer"},
		{KindAll, "run", "string"},
		{KindAll, "day", "integer"},
		{KindCheckpoint, "success_greedy", "number"},
		{KindCheckpoint, "verdict_coverage", "number"},
		{KindCheckpoint, "grad_steps", "integer"},
		{KindAttempt, "verdict", "string"},
		{KindEnd, "checkpoints", "integer"},
	}
	for _, tt := range tests {
		i := slices.IndexFunc(cols, func(c Column) bool { return c.Kind == tt.kind && c.Name == tt.name })
		if i < 0 {
			t.Errorf("no column %q", tt.name)
			continue
		}
		if c := cols[i]; c.Kind != tt.kind || c.Type != tt.typ {
			t.Errorf("column %q: kind %s type %s, want %s %s", tt.name, c.Kind, c.Type, tt.kind, tt.typ)
		}
	}
	// Header columns come first, then checkpoint, then attempt.
	order := map[string]int{KindAll: 0, KindCheckpoint: 1, KindAttempt: 2, KindEnd: 3}
	for i := 1; i < len(cols); i++ {
		if order[cols[i].Kind] < order[cols[i-1].Kind] {
			t.Fatalf("column %d (%s) out of kind order", i, cols[i].Name)
		}
	}
}
