package results

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// writeResults writes a results folder: a manifest and one run file per
// (agent, seed) with checkpoints from fakeRecords and attempts.
func writeResults(t *testing.T, dir string, agents []string, splits []string, seeds, days int) {
	t.Helper()
	writeResultsWith(t, dir, agents, splits, seeds, days, nil)
}

// writeResultsWith is writeResults with each checkpoint record passed
// through mod first (if not nil).
func writeResultsWith(t *testing.T, dir string, agents []string, splits []string, seeds, days int, mod func(*Checkpoint)) {
	t.Helper()
	slopes := []float64{0.02, 0.02, 0.08}
	recs := fakeRecords(agents, slopes[:len(agents)], splits, seeds, days)
	if mod != nil {
		for i := range recs {
			mod(&recs[i])
		}
	}
	byRun := map[string]*Encoder{}
	counts := map[string][2]int{}
	var keys []string
	key := func(agent string, seed int) string { return "default__" + agent + "__s000" + string(rune('0'+seed)) }
	enc := func(k string) *Encoder {
		if byRun[k] == nil {
			byRun[k] = NewEncoder()
			keys = append(keys, k)
		}
		return byRun[k]
	}
	for _, r := range recs {
		k := key(r.Agent, r.Seed)
		r.Run, r.Experiment, r.Family = k, "fixture", "skills"
		if err := enc(k).Write(r); err != nil {
			t.Fatal(err)
		}
		c := counts[k]
		c[0]++
		counts[k] = c
	}
	for _, agent := range agents {
		for seed := range seeds {
			k := key(agent, seed)
			for day := 1; day < days; day++ {
				for slot := range 16 {
					succ := 0.0
					if agent != agents[0] && (slot+seed+day)%4 == 0 {
						succ = 1
					}
					a := Attempt{Header: Header{Schema: SchemaVersion, Kind: KindAttempt, Run: k, Experiment: "fixture", Point: "default",
						Family: "skills", Agent: agent, Seed: seed, Day: day}, Slot: slot, Success: succ, Verdict: "pass"}
					if err := enc(k).Write(a); err != nil {
						t.Fatal(err)
					}
					c := counts[k]
					c[1]++
					counts[k] = c
				}
			}
		}
	}
	for _, k := range keys {
		end := End{Header: Header{Schema: SchemaVersion, Kind: KindEnd, Run: k, Experiment: "fixture", Point: "default"},
			Checkpoints: counts[k][0], Attempts: counts[k][1]}
		if err := byRun[k].Write(end); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, plainRun(dir, k), byRun[k].Bytes())
	}
	m := &Manifest{Schema: SchemaVersion, Experiment: "fixture", Points: []string{"default"},
		Agents: agents, Baseline: agents[1], Resamples: 100}
	if err := WriteJSONAtomic(filepath.Join(dir, ManifestFile), m); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, files []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	writeResults(t, dir, []string{"frozen", "frozen-tuned", "rlvr"}, []string{"train", "inspan", "pretrain"}, 5, 3)
	// Leftovers of an earlier layout are removed; other files stay.
	writeTestFile(t, filepath.Join(dir, "plots", "old", "stale.png"), []byte("x"))
	writeTestFile(t, filepath.Join(dir, "plots", "old.pdf"), []byte("x"))
	writeTestFile(t, filepath.Join(dir, "tables", "stale.md"), []byte("x"))
	writeTestFile(t, filepath.Join(dir, "plots", "notes.json"), []byte("{}"))

	opt := BuildOptions{PlotFormats: []string{".svg"}} // PNG and PDF: see TestPlots
	b, err := Build(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	first := readAll(t, b.Files)

	for _, p := range []string{"plots/old/stale.png", "plots/old", "plots/old.pdf", "tables/stale.md"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s not removed", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "plots", "notes.json")); err != nil {
		t.Error("a file Build does not write was removed")
	}

	// Every file listed once; tables and figures listed in Files.
	rel := func(f string) string { r, _ := filepath.Rel(dir, f); return filepath.ToSlash(r) }
	seen := map[string]bool{}
	for _, f := range b.Files {
		if seen[f] {
			t.Errorf("%s listed twice", f)
		}
		seen[f] = true
	}
	if rel(b.Files[0]) != "summary.csv" {
		t.Errorf("first file %s", b.Files[0])
	}
	var names []string
	for _, f := range b.figures {
		names = append(names, f.Name)
		if f.Title == "" || f.Caption == "" || f.Section == "" || !strings.HasSuffix(f.Path, ".svg") || len(f.Files) != 1 {
			t.Errorf("figure %+v", f)
		}
		for _, x := range f.Files {
			if !seen[x] {
				t.Errorf("figure file %s not in Files", x)
			}
		}
	}
	wantFigures := []string{
		"splits_success_greedy", "curves/train", "curves/inspan", "curves/pretrain",
		"gap_success_greedy", "forgetting/frozen", "forgetting/frozen-tuned", "forgetting/rlvr",
		"profiles/train", "profiles/held-out", "session_success", "session_slots", "success_sampled/splits_success_sampled", "reward_vs_success",
	}
	if !slices.Equal(names, wantFigures) {
		t.Errorf("figures %q, want %q", names, wantFigures)
	}
	var tables []string
	for _, tf := range b.tables {
		tables = append(tables, tf.Name)
		if tf.Table == nil || !strings.HasSuffix(tf.Files[0], ".md") || len(tf.Files) != 4 || !strings.Contains(tf.Table.Caption, "percentile-bootstrap") {
			t.Errorf("table %+v", tf)
			continue
		}
		if !strings.Contains(tf.Table.Caption, "100 resamples") {
			t.Errorf("table %s caption does not state the manifest's resamples: %q", tf.Name, tf.Table.Caption)
		}
	}
	wantTables := []string{"splits_success_greedy", "splits_step_acc_greedy", "splits_success_sampled", "splits_verdict_reward",
		"gap_success_greedy", "transfer_success_greedy", "pi_success_greedy", "session_slots", "session_metrics"}
	if !slices.Equal(tables, wantTables) {
		t.Errorf("tables %q, want %q", tables, wantTables)
	}
	if !strings.Contains(b.Headline, "success_greedy at day 2") || !strings.Contains(b.Headline, "rlvr − frozen-tuned") {
		t.Errorf("headline:\n%s", b.Headline)
	}

	// A second Build writes the same files, byte for byte: tables and
	// CSV, and the SVG figures too.
	b2, err := Build(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Files, b2.Files) {
		t.Fatalf("file lists differ:\n%q\n%q", b.Files, b2.Files)
	}
	for f, data := range readAll(t, b2.Files) {
		if !bytes.Equal(data, first[f]) {
			t.Errorf("%s differs between two Builds", rel(f))
		}
	}
}

func TestBuildWithoutBaselineOrAttempts(t *testing.T) {
	dir := t.TempDir()
	writeResults(t, dir, []string{"a", "b"}, []string{"heldout"}, 3, 1)
	m, _ := ReadManifest(dir)
	m.Baseline = ""
	if err := WriteJSONAtomic(filepath.Join(dir, ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	b, err := Build(dir, BuildOptions{PlotFormats: []string{".svg"}})
	if err != nil {
		t.Fatal(err)
	}
	// One checkpoint, no train split, no baseline, no attempts: only what
	// the data support.
	var names []string
	for _, f := range b.figures {
		names = append(names, f.Name)
	}
	if want := []string{"splits_success_greedy", "curves/heldout", "profiles/held-out", "success_sampled/splits_success_sampled", "reward_vs_success"}; !slices.Equal(names, want) {
		t.Errorf("figures %q, want %q", names, want)
	}
	for _, tf := range b.tables {
		if strings.HasPrefix(tf.Name, "pi_") || strings.HasPrefix(tf.Name, "gap_") {
			t.Errorf("table %s without a baseline or train split", tf.Name)
		}
	}
	if b.sessions != nil {
		t.Error("session summary without attempts")
	}
}

func TestBuildScatterWithMeasured(t *testing.T) {
	dir := t.TempDir()
	writeResults(t, dir, []string{"frozen", "frozen-tuned", "rlvr"}, []string{"train"}, 3, 2)
	b, err := Build(dir, BuildOptions{PlotFormats: []string{".svg"}, Measured: []EnvMeasure{{Point: "default", V: 0.7, G: 0.4}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range b.figures {
		if f.Section == sectionEnvs {
			names = append(names, f.Name)
		}
	}
	if !slices.Equal(names, []string{"vg_frozen", "vg_rlvr"}) {
		t.Errorf("scatters %q", names)
	}
}

// Build bootstraps only the intervals its outputs read: the tables are
// byte-identical to those of a Build that bootstraps every interval, and
// every row of summary.csv that has an interval has the same one.
func TestBuildBootstrapsWhatItReads(t *testing.T) {
	dirs := [2]string{t.TempDir(), t.TempDir()}
	var built [2]*Built
	for i, dir := range dirs {
		writeResults(t, dir, []string{"frozen", "rlvr"}, []string{"train", "heldout", "pretrain"}, 6, 4)
		b, err := Build(dir, BuildOptions{Resamples: 200, AllCIs: i == 1, PlotFormats: []string{".svg"}})
		if err != nil {
			t.Fatal(err)
		}
		built[i] = b
	}
	for _, f := range built[0].Files {
		if !strings.Contains(f, string(filepath.Separator)+"tables"+string(filepath.Separator)) {
			continue
		}
		rel, _ := filepath.Rel(dirs[0], f)
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(dirs[1], rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from the table of a Build with every interval (%v)", rel, err)
		}
	}
	read := func(dir string) [][]string {
		data, err := os.ReadFile(filepath.Join(dir, "summary.csv"))
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			rows = append(rows, strings.Split(l, ","))
		}
		return rows
	}
	some, all := read(dirs[0]), read(dirs[1])
	if len(some) != len(all) {
		t.Fatalf("%d rows, %d with every interval", len(some), len(all))
	}
	with := 0
	for i := range some {
		if some[i][11] == "" { // lo: no interval; the point estimates agree
			if !slices.Equal(some[i][:11], all[i][:11]) || some[i][14] != all[i][14] {
				t.Errorf("row %d: %v, with every interval %v", i, some[i], all[i])
			}
			continue
		}
		with++
		if !slices.Equal(some[i], all[i]) {
			t.Errorf("row %d: %v, with every interval %v", i, some[i], all[i])
		}
	}
	if with == 0 || with == len(some)-1 {
		t.Errorf("%d of %d rows have an interval: want some, not all", with, len(some)-1)
	}
}

// The closing table grind run prints keeps agents' point estimates and the
// differences' intervals, and wraps its caption, so the default
// experiment's fits a 100-column terminal.
func TestCompactTableFits(t *testing.T) {
	tb := &table{Name: "splits_success_greedy", Caption: "success_greedy at day 8. Rows are splits, columns agents: a long method sentence that would not fit.",
		Header: []string{"split", "frozen", "frozen-tuned", "rlvr", "frozen − frozen-tuned", "rlvr − frozen-tuned"},
		Rows:   [][]string{{"outspan-pre@0.75", "0.35 [0.32, 0.38]", "0.35 [0.31, 0.38]", "0.48 [0.45, 0.51] *", "+0.00 [+0.00, +0.00]", "+0.13 [+0.11, +0.15]"}}}
	var b strings.Builder
	if err := compactTable(tb).Write(&b, FormatText); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line of %d columns: %s", n, line)
		}
	}
	if !strings.Contains(b.String(), "│ 0.48 │") || !strings.Contains(b.String(), "+0.13 [+0.11, +0.15]") {
		t.Errorf("compact table lost a value:\n%s", b.String())
	}
}
