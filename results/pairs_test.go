package results

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"
)

// A [report] pairs entry [A, B] gives exactly the differences (means, CIs,
// probabilities of improvement, at every stratum and metric) that making B
// the baseline gives A; summary.csv writes them as diff and pi rows naming
// B, once even when B is the baseline; the table shows them.
func TestPairsEqualBaselineDiffs(t *testing.T) {
	recs := fakeRecords([]string{"frozen", "rlvr", "sft"}, []float64{0, 0.05, 0.08}, []string{"train", "inspan", "pretrain"}, 6, 3)
	paired := summarize(recs, summaryOptions{Baseline: "frozen", Pairs: [][2]string{{"sft", "rlvr"}, {"rlvr", "frozen"}}, Resamples: 300, Seed: 1, OnlyRead: true})
	based := summarize(recs, summaryOptions{Baseline: "rlvr", Resamples: 300, Seed: 1, OnlyRead: true})
	same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	n := 0
	for _, d := range paired.PairDiffs {
		if d.Agent != "sft" {
			continue
		}
		n++
		b, ok := based.diff(d.Point, d.Split, d.Day, "sft", d.Metric)
		if !ok || b.Baseline != "rlvr" {
			t.Fatalf("no sft - rlvr diff with rlvr the baseline at %s day %d %s", d.Split, d.Day, d.Metric)
		}
		if d != b && !(d.N == b.N && same(d.Mean, b.Mean) && same(d.Lo, b.Lo) && same(d.Hi, b.Hi) &&
			same(d.ProbImprovement, b.ProbImprovement) && same(d.ProbLo, b.ProbLo) && same(d.ProbHi, b.ProbHi)) {
			t.Errorf("pair %+v\nbaseline %+v", d, b)
		}
	}
	per := 0 // sft's differences with rlvr the baseline: every stratum and metric with values
	for _, d := range based.Diffs {
		if d.Agent == "sft" {
			per++
		}
	}
	if n != per || per < 3*3*4 {
		t.Errorf("%d sft - rlvr differences, want %d (and at least splits x days x 4 metrics)", n, per)
	}
	// The pair's CI at the last day is computed, and the pair is a real
	// difference (sft's slope is larger).
	if d, ok := findPair(paired, "sft", "rlvr", "train", 2, "success_greedy"); !ok || math.IsNaN(d.Lo) || d.Mean <= 0 {
		t.Errorf("sft - rlvr on train at day 2: %+v", d)
	}

	var buf bytes.Buffer
	if err := paired.writeCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows[1:] {
		if r[0] == "diff" || r[0] == "pi" {
			count[r[0]+" "+r[4]+" - "+r[5]]++
		}
	}
	for k, want := range map[string]int{"diff sft - rlvr": per, "pi sft - rlvr": per, "diff rlvr - frozen": per, "diff sft - frozen": per} {
		if count[k] != want {
			t.Errorf("summary.csv: %d rows %q, want %d (a pair repeating the baseline's written once)", count[k], k, want)
		}
	}

	tb, err := pairsTable(paired, "default", 2, "success_greedy")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tb.Header, "|") != "split|sft − rlvr|rlvr − frozen" || len(tb.Rows) != 3 {
		t.Errorf("pairs table header %q, %d rows", tb.Header, len(tb.Rows))
	}
	d, _ := findPair(paired, "sft", "rlvr", "inspan", 2, "success_greedy")
	if got, want := tb.Rows[1][1], formatCI(d.Mean, d.Lo, d.Hi, true); got != want {
		t.Errorf("table cell %q, want %q", got, want)
	}
	if _, err := pairsTable(based, "default", 2, "success_greedy"); err == nil {
		t.Error("a pairs table without pairs")
	}
}

func findPair(s *Summary, a, b, split string, day int, metric string) (Diff, bool) {
	for _, d := range s.PairDiffs {
		if d.Agent == a && d.Baseline == b && d.Split == split && d.Day == day && d.Metric == metric {
			return d, true
		}
	}
	return Diff{}, false
}
