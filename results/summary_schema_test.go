package results

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

// Every column of summary.csv and every row kind in a real summary is
// documented.
func TestSummarySchemaDocumented(t *testing.T) {
	cols, kinds := SummarySchema()
	for _, c := range cols {
		if c.Doc == "" {
			t.Errorf("summary.csv column %s has no doc", c.Name)
		}
	}
	known := map[string]bool{}
	for _, k := range kinds {
		known[k.Kind] = k.Doc != "" && k.LoHi != "" && k.N != ""
	}
	f, err := os.Open(filepath.Join("testdata", "summary.csv.golden"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if !known[r[0]] && !seen[r[0]] {
			t.Errorf("summary.csv kind %q is not documented (or lacks lo/hi or n)", r[0])
		}
		seen[r[0]] = true
	}
	if len(seen) < 5 {
		t.Fatalf("the golden summary has only kinds %v: the test would be weak", seen)
	}
}
