package results

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// tables/profiles.csv holds every curve the profile figures draw: per
// (metric, pool, agent) 101 thresholds, the fraction non-increasing in τ
// and inside its band, n the agent's runs; and the same bytes again.
func TestProfilesCSV(t *testing.T) {
	dir := t.TempDir()
	writeResults(t, dir, []string{"frozen", "rlvr"}, []string{"train", "inspan", "pretrain"}, 5, 2)
	if _, err := Build(dir, BuildOptions{PlotFormats: []string{".svg"}}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ProfilesFile)
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows[0]) != len(ProfilesSchema()) {
		t.Fatalf("header %v, schema documents %d columns", rows[0], len(ProfilesSchema()))
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	type curve struct{ metric, pool, agent string }
	count := map[curve]int{}
	last := map[curve]float64{}
	num := func(r []string, c string) float64 {
		v, err := strconv.ParseFloat(r[col[c]], 64)
		if err != nil {
			t.Fatalf("%s %q: %v", c, r[col[c]], err)
		}
		return v
	}
	for _, r := range rows[1:] {
		k := curve{r[col["metric"]], r[col["pool"]], r[col["agent"]]}
		frac, lo, hi := num(r, "fraction"), num(r, "lo"), num(r, "hi")
		if lo > frac || frac > hi || frac < 0 || frac > 1 {
			t.Errorf("%v at τ %s: fraction %g outside [%g, %g]", k, r[col["tau"]], frac, lo, hi)
		}
		if prev, ok := last[k]; ok && frac > prev {
			t.Errorf("%v: fraction rises from %g to %g at τ %s", k, prev, frac, r[col["tau"]])
		}
		last[k] = frac
		count[k]++
		if r[col["n"]] != "5" {
			t.Errorf("%v: n %s, want the 5 runs", k, r[col["n"]])
		}
	}
	for _, want := range []curve{{"success_greedy", "train", "frozen"}, {"success_greedy", "held-out", "rlvr"}} {
		if count[want] != 101 {
			t.Errorf("%v: %d rows, want 101", want, count[want])
		}
	}
	if _, err := Build(dir, BuildOptions{PlotFormats: []string{".svg"}, Workers: 3}); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Error("profiles.csv differs between two builds")
	}
}
