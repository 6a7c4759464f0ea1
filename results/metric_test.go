package results

import (
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestMetricTableCoversCheckpoint fails when a numeric column of a
// checkpoint record (found by reflection over Checkpoint's JSON tags; the
// embedded Header holds identity columns, not metrics) has no entry in the
// metric table, or an entry that reads another field. No numeric column is
// exempt: the task count and the compute counters are in the table too,
// with no direction and no default output.
func TestMetricTableCoversCheckpoint(t *testing.T) {
	typ := reflect.TypeFor[Checkpoint]()
	columns := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		var set func(v reflect.Value)
		switch f.Type.Kind() {
		case reflect.Float64:
			set = func(v reflect.Value) { v.SetFloat(0.25) }
		case reflect.Int, reflect.Int64:
			set = func(v reflect.Value) { v.SetInt(7) }
		case reflect.Pointer:
			if f.Type.Elem().Kind() != reflect.Float64 {
				continue
			}
			// An optional column: absent reads NaN, present its value.
			set = func(v reflect.Value) { x := 0.25; v.Set(reflect.ValueOf(&x)) }
		default:
			continue
		}
		columns[name] = true
		m, ok := LookupMetric(name)
		if !ok || m.Value == nil {
			t.Errorf("checkpoint column %s (%s) has no entry in the metric table (results/metric.go)", name, f.Name)
			continue
		}
		// The accessor reads this field and no other.
		var c Checkpoint
		set(reflect.ValueOf(&c).Elem().Field(i))
		want := reflect.ValueOf(&c).Elem().Field(i)
		if want.Kind() == reflect.Pointer {
			if !m.Optional || !math.IsNaN(m.Value(&Checkpoint{})) {
				t.Errorf("optional column %s: want Optional and NaN when absent", name)
			}
			want = want.Elem()
		}
		got := m.Value(&c)
		if want.Kind() == reflect.Pointer {
			want = want.Elem()
		}
		if (want.CanFloat() && got != want.Float()) || (want.CanInt() && got != float64(want.Int())) {
			t.Errorf("metric %s reads %v, want field %s = %v", name, got, f.Name, want)
		}
		if other := m.Value(&Checkpoint{}); other != 0 && !m.Optional {
			t.Errorf("metric %s reads %v from an empty record", name, other)
		}
	}
	seen := map[string]bool{}
	for _, m := range metricTable {
		if seen[m.Name] {
			t.Errorf("metric %s listed twice", m.Name)
		}
		seen[m.Name] = true
		switch {
		case m.Value != nil && !columns[m.Name] && len(m.From) == 0:
			t.Errorf("metric %s reads a record but no numeric checkpoint column has its name", m.Name)
		case m.Value != nil && len(m.From) > 0:
			if columns[m.Name] {
				t.Errorf("derived metric %s is named like a column", m.Name)
			}
			for _, f := range m.From {
				if base, ok := LookupMetric(f); !ok || base.Value == nil || len(base.From) > 0 {
					t.Errorf("derived metric %s: From %q is not a column metric", m.Name, f)
				}
			}
		case m.Value == nil && columns[m.Name]:
			t.Errorf("derived metric %s is named like a column", m.Name)
		case m.Value == nil:
			if base, ok := LookupMetric(m.ForgettingOf); !ok || base.Value == nil {
				t.Errorf("derived metric %s: ForgettingOf %q is not a column metric", m.Name, m.ForgettingOf)
			}
		case m.ForgettingOf != "":
			t.Errorf("column metric %s sets ForgettingOf", m.Name)
		}
	}
}

// TestMetricTableEntries checks each entry is complete and its flags
// coherent.
func TestMetricTableEntries(t *testing.T) {
	for _, m := range metricTable {
		if m.Doc == "" {
			t.Errorf("%s has no doc", m.Name)
		}
		if !(m.Min < m.Max) || math.IsNaN(m.Min) || math.IsNaN(m.Max) {
			t.Errorf("%s: bounds [%v, %v]", m.Name, m.Min, m.Max)
		}
		if (m.Plotted || m.Tabulated) && !m.Summarized {
			t.Errorf("%s is plotted or tabulated but not summarized", m.Name)
		}
		if m.Summarized && m.Value == nil {
			t.Errorf("%s is summarized but reads no column", m.Name)
		}
		if m.Compared && m.Direction == NoDirection {
			t.Errorf("%s is compared by default but has no direction: it can never regress", m.Name)
		}
	}
	head, ok := LookupMetric(headlineMetric)
	if !ok || !head.Summarized || !head.Tabulated || !head.Plotted || !head.Compared || head.Direction != HigherIsBetter {
		t.Errorf("the headline metric %s: %+v", headlineMetric, head)
	}
	if m, _ := LookupMetric("forgetting"); m.Direction != LowerIsBetter {
		t.Error("forgetting should be lower-is-better")
	}
	// A learner's belief is not its score: a rising verdict reward with
	// falling true success is reward hacking, not an improvement.
	if m, _ := LookupMetric("verdict_reward"); m.Direction != NoDirection || !strings.Contains(m.Doc, "reward hacking") {
		t.Errorf("verdict_reward: direction %v, doc %q", m.Direction, m.Doc)
	}
	if got := DefaultCompareMetrics(); len(got) == 0 || got[0] != headlineMetric {
		t.Errorf("default compare metrics %q", got)
	}
	if !slices.Equal(names(summaryMetrics()), []string{"success_greedy", "score_greedy", "step_acc_greedy", "success_sampled", "score_sampled", "verdict_reward",
		"coverage", "kl_base_current", "kl_current_base", "kl_base_current_job", "kl_current_base_job", "l2_from_base", "l2_shared", "l2_memorizing",
		"dream_reward", "dream_success", "dream_disagreement", "dream_gap"}) {
		t.Errorf("summarized metrics %q: their order is summary.csv's", names(summaryMetrics()))
	}
	// Metrics returns a copy.
	Metrics()[0].Name = "changed"
	if metricTable[0].Name == "changed" {
		t.Error("Metrics exposes the table itself")
	}
}

func names(ms []Metric) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// TestMetricNamesInOnePlace fails when a file of this package other than
// record.go and metric.go names a weight-mass column (the columns whose
// JSON names end in "_mass", found by reflection so that this test names
// none): such diagnostics must be read through the metric table, never
// special-cased.
func TestMetricNamesInOnePlace(t *testing.T) {
	var masses []string
	typ := reflect.TypeFor[Checkpoint]()
	for i := range typ.NumField() {
		if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); strings.HasSuffix(name, "_mass") {
			masses = append(masses, name)
		}
	}
	if len(masses) < 2 {
		t.Fatalf("mass columns %q: the record changed, update this test", masses)
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.IsDir() || !strings.HasSuffix(f.Name(), ".go") || f.Name() == "record.go" || f.Name() == "metric.go" {
			continue
		}
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range masses {
			if strings.Contains(string(b), name) {
				t.Errorf("%s names %s: read it through the metric table", f.Name(), name)
			}
		}
	}
}

func TestSchemaDocOfMetrics(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"success_greedy", "fraction of tasks fully solved with greedy actions (in [0, 1], higher is better)"},
		{"attempts", "compute counter: cumulative real attempts up to this checkpoint (>= 0, no direction)"},
	} {
		m, _ := LookupMetric(tc.name)
		if got := m.schemaDoc(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, c := range Schema() {
		if m, ok := LookupMetric(c.Name); ok && c.Kind == KindCheckpoint && c.Doc != m.schemaDoc() {
			t.Errorf("schema of %s does not come from the metric table: %q", c.Name, c.Doc)
		}
		if _, ok := LookupMetric(c.Name); ok && c.Kind == KindCheckpoint {
			if _, dup := columnDocs[c.Kind+"."+c.Name]; dup {
				t.Errorf("%s is documented both in columnDocs and in the metric table", c.Name)
			}
		}
	}
}

// TestCompareVerdictRewardHasNoDirection: a verdict reward that rises
// while true success falls is a change to look at, not an improvement.
func TestCompareVerdictRewardHasNoDirection(t *testing.T) {
	v := func(a, sp string, s, d int) float64 { return 0.5 + cmpNoise(a, sp, s, d, 0.01) }
	base := cmpRecords([]string{"rlvr"}, cmpSeedRange(0, 12), []string{"train"}, 2, v)
	next := cmpRecords([]string{"rlvr"}, cmpSeedRange(0, 12), []string{"train"}, 2, v)
	for i := range base.Checkpoints {
		base.Checkpoints[i].VerdictReward = base.Checkpoints[i].SuccessSampled
	}
	for i := range next.Checkpoints { // a loophole: reward up, true success down
		c := &next.Checkpoints[i]
		c.SuccessSampled -= 0.2
		c.VerdictReward = c.SuccessSampled + 0.4
	}
	c, err := compareRecords(base, next, CompareOptions{Metrics: []string{"success_sampled", "verdict_reward"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Verdict{}
	for _, cell := range c.Cells {
		got[cell.Metric] = cell.Verdict
	}
	if got["success_sampled"] != VerdictRegression || got["verdict_reward"] != VerdictChanged {
		t.Errorf("verdicts %v, want success_sampled a regression and verdict_reward changed", got)
	}
}

// TestBuildPlotsEveryPlottedMetric: marking another metric Plotted draws
// its figures in a folder named after it.
func TestBuildPlotsEveryPlottedMetric(t *testing.T) {
	i := slices.IndexFunc(metricTable, func(m Metric) bool { return m.Name == "score_greedy" })
	metricTable[i].Plotted = true
	defer func() { metricTable[i].Plotted = false }()
	dir := t.TempDir()
	writeResults(t, dir, []string{"frozen", "rlvr"}, []string{"train", "inspan"}, 3, 2)
	b, err := Build(dir, BuildOptions{PlotFormats: []string{".svg"}})
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, f := range b.figures {
		if strings.HasPrefix(f.Name, "score_greedy/") {
			extra = append(extra, f.Name)
			if !strings.Contains(f.Title, "score_greedy") {
				t.Errorf("figure %s: title %q does not name its metric", f.Name, f.Title)
			}
		}
	}
	want := []string{"score_greedy/splits_score_greedy", "score_greedy/curves/train", "score_greedy/curves/inspan",
		"score_greedy/gap_score_greedy", "score_greedy/forgetting/frozen", "score_greedy/forgetting/rlvr",
		"score_greedy/profiles/train", "score_greedy/profiles/held-out"}
	if !slices.Equal(extra, want) {
		t.Errorf("figures of score_greedy %q, want %q", extra, want)
	}
}
