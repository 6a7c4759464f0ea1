package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeRun writes checkpoint records for one run and returns the file's hash.
func writeRun(t *testing.T, dir, agent string, seed int, success []float64, splits []string) string {
	t.Helper()
	key := "default__" + agent + "__s000" + string(rune('0'+seed))
	enc := NewEncoder()
	for day, s := range success {
		for i, split := range splits {
			c := Checkpoint{
				Header: Header{Schema: SchemaVersion, Kind: KindCheckpoint, Run: key, Experiment: "fixture", Point: "default",
					Family: "skills", Agent: agent, Seed: seed, Day: day},
				Split: split, Tasks: 8, SuccessGreedy: s / float64(i+1), ScoreGreedy: s, StepAccGreedy: s,
				SuccessSampled: s, ScoreSampled: s, StepAccSampled: s, VerdictReward: s, VerdictCovered: 1,
			}
			if err := enc.Write(c); err != nil {
				t.Fatal(err)
			}
		}
	}
	end := End{Header: Header{Schema: SchemaVersion, Kind: KindEnd, Run: key, Experiment: "fixture", Point: "default",
		Family: "skills", Agent: agent, Seed: seed, Day: len(success) - 1}, Checkpoints: len(success) * len(splits)}
	if err := enc.Write(end); err != nil {
		t.Fatal(err)
	}
	path := plainRun(dir, key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, enc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := HashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// reportFixture is a results folder made by hand, with one of everything
// the page shows: a failed run, a run whose file no longer matches its
// hash, --set overrides, text that needs escaping, a table with a pipe,
// markup and a best cell, a table without caption, a PNG plot, an SVG-only
// plot and a data file. The tables' files hold text the page must not
// show: it renders the tables Build hands it.
func reportFixture(t *testing.T) (string, *Built) {
	t.Helper()
	dir := t.TempDir()
	// WriteReport only hashes record files, so fixed bytes keep the golden
	// file independent of the record format.
	writeTestFile(t, plainRun(dir, "default__a__s0000"), []byte("run a\n"))
	writeTestFile(t, plainRun(dir, "default__b__s0000"), []byte("run b, edited after the manifest\n"))
	ha, err := HashFile(plainRun(dir, "default__a__s0000"))
	if err != nil {
		t.Fatal(err)
	}
	resolved, _ := json.Marshal([]ResolvedPoint{{Point: "default", Config: map[string]any{"seeds": 2, "env.verifier.coverage": 0.5}}})
	m := &Manifest{
		Schema: SchemaVersion, Experiment: "fixture",
		Question:   "Does <b>it</b> work?",
		Reading:    "Read & weep: cells are IQMs.",
		ConfigFile: "fixture.toml", ConfigHash: "c0ffee",
		ConfigText: "experiment = \"fixture\"\n# </pre><script>alert(1)</script>\nseeds = 2\n",
		Sets:       []string{"job.days=2"}, Shard: "1/2",
		Resolved: resolved,
		Sweep:    []SweepAxis{{Key: "env.verifier.coverage", Values: []any{0.5, 1.0}}},
		Points:   []string{"default"}, Agents: []string{"a", "b"}, Seeds: []int{0, 1},
		Baseline: "a", Resamples: 100,
		CodeVersion: "abc123", GoVersion: "go1.99", GOOS: "linux", GOARCH: "amd64",
		Runs: []RunEntry{
			{Key: "default__a__s0000", Point: "default", Agent: "a", Seed: 0, Status: "done", Hash: ha},
			{Key: "default__b__s0000", Point: "default", Agent: "b", Seed: 0, Status: "done", Hash: "deadbeef"},
			{Key: "default__b__s0001", Point: "default", Agent: "b", Seed: 1, Status: "failed", Error: "boom <b>"},
		},
		Pretrain: []PretrainEntry{
			{Point: "default", Seed: 0, PretrainFigures: PretrainFigures{PretrainAcc: 0.9, JobSuccess: 0.1, JobStepAcc: 0.5, EvaluatedOn: 16, PretrainTask: 500}},
			{Point: "default", Seed: 1, PretrainFigures: PretrainFigures{PretrainAcc: 0.8, JobSuccess: 0.2, JobStepAcc: 0.4, EvaluatedOn: 16, PretrainTask: 500}},
		},
	}
	if err := WriteJSONAtomic(filepath.Join(dir, ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join("testdata", "report", "plot.png"))
	if err != nil {
		t.Fatal(err)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="40pt" height="30pt"><rect width="40" height="30" fill="#009E73"/></svg>`)
	files := []struct {
		path string
		data []byte
	}{
		{"summary.csv", []byte("point,split\ndefault,train\n")},
		{"tables/success.md", []byte("not read\n")},
		{"tables/success.txt", []byte("not read\n")},
		{"tables/success.csv", []byte("not read\n")},
		{"tables/only.csv", []byte("not read\n")},
		{"plots/bars.png", png},
		{"plots/bars.svg", svg},
		{"plots/curves/train.svg", svg},
	}
	b := &Built{}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		writeTestFile(t, p, f.data)
		b.Files = append(b.Files, p)
	}
	path := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
	b.tables = []tableFile{
		{
			Name:  "tables/success",
			Files: []string{path("tables/success.md"), path("tables/success.txt"), path("tables/success.csv")},
			Table: &table{
				Title: "success", Caption: "success at day 1 (N = 1 run per cell).",
				Header: []string{"split", "a", "b"},
				Rows:   [][]string{{"train", "0.20", "0.50"}, {"x | y", "<1>", "–"}},
				Best:   [][]bool{{false, true, false}},
			},
		},
		{
			Name:  "tables/only",
			Files: []string{path("tables/only.csv")},
			Table: &table{Title: "only", Header: []string{"metric", "value"}, Rows: [][]string{{"a, b", "<1>"}}},
		},
	}
	return dir, b
}

func TestWriteReportGolden(t *testing.T) {
	dir, built := reportFixture(t)
	path, err := WriteReport(dir, built)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, ReportFile) {
		t.Errorf("path %s", path)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report/fixture.html", got)

	page := string(got)
	for _, want := range []string{
		"Does &lt;b&gt;it&lt;/b&gt; work?",         // escaped question
		"Read &amp; weep",                          // reading
		"&lt;/pre&gt;&lt;script&gt;",               // config text escaped
		"--set job.days=2",                         // overrides
		"boom &lt;b&gt;",                           // failed run's error
		`<td class="r"><strong>0.20</strong></td>`, // best cell
		`<td class="l">x | y</td>`,                 // a pipe in a cell
		`<td class="r">&lt;1&gt;</td>`,             // escaped cell
		`<td class="l">a, b</td>`,                  // table without caption
		"success at day 1 (N = 1 run per cell). Best value per row in bold.", // caption
		"0.850 [0.800, 0.900]",                 // pretraining mean [min, max]
		"differs",                              // hash check of the changed run
		"env.verifier.coverage = [0.5, 1]",     // sweep axis
		"&#34;env.verifier.coverage&#34;: 0.5", // resolved config, by knob path
		"abc123", "go1.99", "linux/amd64", "c0ffee", "0–1 (2 seeds)",
		"summary.csv", // listed among other files
		"1/2 (this folder holds one shard",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "<b>") {
		t.Error("page contains unescaped markup from the manifest")
	}
	if strings.Contains(page, "not read") {
		t.Error("the page read a table file back instead of rendering the table it was handed")
	}
	if n := strings.Count(page, `src="data:image/png;base64,`); n != 1 {
		t.Errorf("%d PNG images, want 1 (bars, PNG preferred over its SVG)", n)
	}
	if n := strings.Count(page, `src="data:image/svg+xml;base64,`); n != 1 {
		t.Errorf("%d SVG images, want 1 (curves/train has no PNG)", n)
	}
	checkSelfContained(t, page)
}

// checkSelfContained fails if the page refers to anything outside itself.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`(?i)\b(src|href|action|poster|data)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if v := m[2]; !strings.HasPrefix(v, "data:") && !strings.HasPrefix(v, "#") {
			t.Errorf("external reference %s=%q", m[1], v)
		}
	}
	for _, bad := range []string{"<script", "<link", "@import", "url(", "<iframe"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

// TestWriteReportMetadata: tables and figures Build describes keep its
// titles, captions and sections; sections follow Build's order; best cells
// are bold; a figure with no PNG or SVG is listed, not embedded.
func TestWriteReportMetadata(t *testing.T) {
	dir := t.TempDir()
	png, err := os.ReadFile(filepath.Join("testdata", "report", "plot.png"))
	if err != nil {
		t.Fatal(err)
	}
	file := func(rel string, data []byte) string {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		writeTestFile(t, p, data)
		return p
	}
	gapMD := file("tables/gap.md", []byte("ignored: the Table is rendered\n"))
	gapCSV := file("tables/gap.csv", []byte("x\n"))
	bars := file("plots/gap.png", png)
	barsPDF := file("plots/gap.pdf", []byte("%PDF"))
	onlyPDF := file("plots/other.pdf", []byte("%PDF"))
	headPNG := file("plots/head.png", png)
	built := &Built{
		Files: []string{gapMD, gapCSV, bars, barsPDF, onlyPDF, headPNG},
		tables: []tableFile{{
			Name: "gap", Section: sectionGap, Files: []string{gapMD, gapCSV},
			Table: &table{Title: "Gap table", Caption: "Gap <caption>.",
				Header: []string{"split", "a", "b"}, Rows: [][]string{{"inspan", "0.1", "0.2 <"}}, Best: [][]bool{{false, false, true}}},
		}},
		figures: []figureFile{
			{Name: "gap", Section: sectionGap, Title: "Gap bars", Caption: "Bars & whiskers.", Path: bars, Files: []string{bars, barsPDF}},
			{Name: "other", Section: sectionGap, Title: "PDF only", Path: onlyPDF, Files: []string{onlyPDF}},
			{Name: "head", Section: sectionHeadline, Title: "Headline bars", Path: headPNG, Files: []string{headPNG}},
		},
	}
	path, err := WriteReport(dir, built)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`<section id="sec-Success-per-split">`, `<section id="sec-Generalization-gap">`,
		"<h3>Gap table</h3>", "Gap &lt;caption&gt;. Best value per row in bold.",
		`<td class="r"><strong>0.2 &lt;</strong></td>`, `<td class="r">0.1</td>`,
		"<strong>Gap bars.</strong> Bars &amp; whiskers.", "plots/gap.png, plots/gap.pdf",
		"plots/other.pdf", // listed among other files
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "ignored: the Table is rendered") {
		t.Error("the Markdown file was read although Build gave the Table")
	}
	if i, j := strings.Index(page, "sec-Success-per-split"), strings.Index(page, "sec-Generalization-gap"); i > j {
		t.Error("sections out of Build's order")
	}
	if n := strings.Count(page, "<img "); n != 2 {
		t.Errorf("%d images, want 2", n)
	}
	checkSelfContained(t, page)
}

func TestWriteReportStable(t *testing.T) {
	dir := t.TempDir()
	splits := []string{"train", "heldout"}
	for seed := range 3 {
		writeRun(t, dir, "base", seed, []float64{0.1, 0.1 + 0.01*float64(seed)}, splits)
		writeRun(t, dir, "rlvr", seed, []float64{0.1, 0.4 + 0.02*float64(seed)}, splits)
	}
	// One Build (slow under -race); grind report's test builds twice.
	built, err := Build(dir, BuildOptions{Resamples: 100})
	if err != nil {
		t.Fatal(err)
	}
	var pages [2][]byte
	for i := range pages {
		path, err := WriteReport(dir, built)
		if err != nil {
			t.Fatal(err)
		}
		if pages[i], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Error("two reports of the same folder differ")
	}
	page := string(pages[0])
	plots := map[string]bool{}
	for _, f := range built.Files {
		if ext := filepath.Ext(f); ext == ".png" || ext == ".svg" {
			plots[strings.TrimSuffix(f, ext)] = true
		}
	}
	if n := strings.Count(page, "<img "); n != len(plots) || n == 0 {
		t.Errorf("%d images, want one per plot (%d)", n, len(plots))
	}
	if !strings.Contains(page, "no manifest.json") {
		t.Error("a folder without a manifest should say so")
	}
	checkSelfContained(t, page)
}

func TestWriteReportErrors(t *testing.T) {
	if _, err := WriteReport(t.TempDir(), nil); err == nil {
		t.Error("nil Built: no error")
	}
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, ManifestFile), []byte("{not json"))
	if _, err := WriteReport(dir, &Built{}); err == nil {
		t.Error("broken manifest: no error")
	}
	dir = t.TempDir()
	if _, err := WriteReport(dir, &Built{Files: []string{filepath.Join(dir, "plots", "gone.png")}}); err == nil {
		t.Error("missing plot file: no error")
	}
}

func TestSeedRange(t *testing.T) {
	tests := []struct {
		seeds []int
		want  string
	}{
		{nil, ""},
		{[]int{7}, "7 (1 seed)"},
		{[]int{0, 1, 2}, "0–2 (3 seeds)"},
		{[]int{1, 3, 4}, "1, 3, 4 (3 seeds)"},
	}
	for _, tt := range tests {
		if got := seedRange(tt.seeds); got != tt.want {
			t.Errorf("seedRange(%v) = %q, want %q", tt.seeds, got, tt.want)
		}
	}
}

func BenchmarkWriteReport(b *testing.B) {
	dir := b.TempDir()
	png, err := os.ReadFile(filepath.Join("testdata", "report", "plot.png"))
	if err != nil {
		b.Fatal(err)
	}
	built := &Built{}
	for i := range 20 {
		p := filepath.Join(dir, "plots", "p"+string(rune('a'+i))+".png")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, png, 0o644)
		built.Files = append(built.Files, p)
	}
	for b.Loop() {
		if _, err := WriteReport(dir, built); err != nil {
			b.Fatal(err)
		}
	}
}
