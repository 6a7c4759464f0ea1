package results

import (
	"bytes"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/grindbench/grindbench/results/stats"
)

// fakeRecords returns checkpoint records for agents over seeds, splits and
// days 0..days-1, in a deterministic order. Each agent's success rises with
// the day by its own slope; runs at the same seed share a seed effect.
func fakeRecords(agents []string, slopes []float64, splits []string, seeds, days int) []Checkpoint {
	var recs []Checkpoint
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 99))
		seedEffect := 0.1 * r.NormFloat64()
		for day := range days {
			for si, split := range splits {
				for a, agent := range agents {
					noise := 0.03 * r.NormFloat64()
					v := 0.3 + slopes[a]*float64(day) - 0.1*float64(si) + seedEffect + noise
					v = math.Max(0, math.Min(1, v))
					recs = append(recs, Checkpoint{
						Header: Header{
							Schema: SchemaVersion, Kind: KindCheckpoint,
							Run: agent + "/" + string(rune('a'+seed)), Point: "default",
							Agent: agent, Seed: seed, Day: day,
						},
						Split:          split,
						Tasks:          50,
						SuccessGreedy:  v,
						ScoreGreedy:    math.Min(1, v+0.1),
						StepAccGreedy:  math.Min(1, v+0.2),
						SuccessSampled: v * 0.9,
						ScoreSampled:   math.Min(1, v*0.9+0.1),
						VerdictReward:  math.Min(1, v+0.15),
					})
				}
			}
		}
	}
	return recs
}

func TestSummarizeOrderAndCells(t *testing.T) {
	recs := fakeRecords([]string{"base", "rlvr"}, []float64{0.02, 0.08}, []string{"train", "heldout"}, 6, 3)
	s := summarize(recs, summaryOptions{Baseline: "base", Resamples: 500, Seed: 1})
	if !slices.Equal(s.Agents, []string{"base", "rlvr"}) || !slices.Equal(s.Splits, []string{"train", "heldout"}) ||
		!slices.Equal(s.Points, []string{"default"}) || !slices.Equal(s.Days, []int{0, 1, 2}) {
		t.Fatalf("orders: %v %v %v %v", s.Agents, s.Splits, s.Points, s.Days)
	}
	// Optional columns the records do not hold have no cells.
	present := 0
	for _, m := range summaryMetrics() {
		if !m.Optional {
			present++
		}
	}
	if want := 2 * 2 * 3 * present; len(s.Cells) != want {
		t.Errorf("%d cells, want %d", len(s.Cells), want)
	}
	if want := 1 * 2 * 3 * present; len(s.Diffs) != want {
		t.Errorf("%d diffs, want %d", len(s.Diffs), want)
	}
	if s.Level != 0.95 {
		t.Errorf("default level %v", s.Level)
	}

	// A cell's statistics are those of its runs' values in seed order.
	var vals []float64
	for _, r := range recs {
		if r.Agent == "rlvr" && r.Split == "heldout" && r.Day == 2 {
			vals = append(vals, r.SuccessGreedy)
		}
	}
	c, ok := s.cell("default", "heldout", 2, "rlvr", "success_greedy")
	if !ok {
		t.Fatal("missing cell")
	}
	if c.N != 6 || c.Mean != stats.Mean(vals) || c.Median != stats.Median(vals) || c.IQM != stats.IQM(vals) {
		t.Errorf("cell %+v, want N=6 mean %v median %v IQM %v", c, stats.Mean(vals), stats.Median(vals), stats.IQM(vals))
	}
	if !(c.Lo <= c.IQM && c.IQM <= c.Hi) {
		t.Errorf("IQM outside its CI: %+v", c)
	}

	// Cells are sorted by point, split, day, agent, metric.
	for i := 1; i < len(s.Cells); i++ {
		if cellLess(s, s.Cells[i], s.Cells[i-1]) {
			t.Fatalf("cells out of order at %d: %+v after %+v", i, s.Cells[i], s.Cells[i-1])
		}
	}
}

func cellLess(s *Summary, a, b Cell) bool {
	ka := []int{slices.Index(s.Points, a.Point), slices.Index(s.Splits, a.Split), a.Day, slices.Index(s.Agents, a.Agent), slices.IndexFunc(summaryMetrics(), func(m Metric) bool { return m.Name == a.Metric })}
	kb := []int{slices.Index(s.Points, b.Point), slices.Index(s.Splits, b.Split), b.Day, slices.Index(s.Agents, b.Agent), slices.IndexFunc(summaryMetrics(), func(m Metric) bool { return m.Name == b.Metric })}
	return slices.Compare(ka, kb) < 0
}

func TestSummarizeRecordOrderInvariant(t *testing.T) {
	recs := fakeRecords([]string{"base", "rlvr", "sft"}, []float64{0.02, 0.08, 0.05}, []string{"train", "heldout"}, 5, 2)
	opt := summaryOptions{Baseline: "base", Resamples: 300, Seed: 3}
	s := summarize(recs, opt)

	shuffled := slices.Clone(recs)
	r := rand.New(rand.NewPCG(5, 5))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	t2 := summarize(shuffled, opt)
	if len(t2.Cells) != len(s.Cells) || len(t2.Diffs) != len(s.Diffs) {
		t.Fatalf("sizes differ")
	}
	for _, c := range s.Cells {
		c2, ok := t2.cell(c.Point, c.Split, c.Day, c.Agent, c.Metric)
		if !ok || c2 != c {
			t.Errorf("cell differs after shuffling: %+v vs %+v", c, c2)
		}
	}
	for _, d := range s.Diffs {
		d2, ok := t2.diff(d.Point, d.Split, d.Day, d.Agent, d.Metric)
		if !ok || d2 != d {
			t.Errorf("diff differs after shuffling: %+v vs %+v", d, d2)
		}
	}

	// Another seed moves the intervals but not the point estimates.
	opt.Seed = 4
	u := summarize(recs, opt)
	moved := false
	for i, c := range s.Cells {
		if u.Cells[i].IQM != c.IQM || u.Cells[i].Mean != c.Mean {
			t.Fatalf("point estimate depends on the seed")
		}
		moved = moved || u.Cells[i].Lo != c.Lo
	}
	if !moved {
		t.Error("no interval changed with the seed")
	}
}

func TestSummarizeDiffs(t *testing.T) {
	recs := fakeRecords([]string{"base", "rlvr"}, []float64{0.02, 0.08}, []string{"train"}, 8, 2)
	// A clone of the baseline, missing seed 0 and with a NaN at seed 1.
	for _, r := range recs {
		if r.Agent != "base" || r.Seed == 0 {
			continue
		}
		r.Agent = "clone"
		if r.Seed == 1 {
			r.VerdictReward = math.NaN()
		}
		recs = append(recs, r)
	}
	// A duplicate: the first record wins.
	dup := recs[0]
	dup.SuccessGreedy = 42
	recs = append(recs, dup)

	s := summarize(recs, summaryOptions{Baseline: "base", Resamples: 200})
	d, ok := s.diff("default", "train", 1, "clone", "success_greedy")
	if !ok {
		t.Fatal("missing diff")
	}
	if d.N != 7 || d.Mean != 0 || d.Lo != 0 || d.Hi != 0 || d.ProbImprovement != 0.5 || d.Baseline != "base" {
		t.Errorf("clone diff %+v, want N=7 0 [0, 0] P=0.5", d)
	}
	if d, _ := s.diff("default", "train", 1, "clone", "verdict_reward"); d.N != 6 {
		t.Errorf("NaN not left out of the pairs: N=%d", d.N)
	}
	if c, _ := s.cell("default", "train", 1, "clone", "verdict_reward"); c.N != 6 {
		t.Errorf("NaN not left out of the cell: N=%d", c.N)
	}
	if c, _ := s.cell("default", "train", 0, "base", "success_greedy"); c.N != 8 || c.Hi > 1 {
		t.Errorf("duplicate record counted: %+v", c)
	}
	d, _ = s.diff("default", "train", 1, "rlvr", "success_greedy")
	if !(d.Mean > 0 && d.Lo > 0 && d.ProbImprovement > 0.5) {
		t.Errorf("rlvr should beat base on day 1: %+v", d)
	}
	if _, ok := s.diff("default", "train", 1, "base", "success_greedy"); ok {
		t.Error("baseline compared with itself")
	}

	if s := summarize(recs, summaryOptions{}); len(s.Diffs) != 0 {
		t.Error("diffs without a baseline")
	}
}

func TestSummaryWriteCSV(t *testing.T) {
	recs := fakeRecords([]string{"base", "rlvr"}, []float64{0.02, 0.08}, []string{"train", "heldout", "pretrain"}, 4, 2)
	s := summarize(recs, summaryOptions{Baseline: "base", Resamples: 200, Seed: 1})
	var a, b bytes.Buffer
	if err := s.writeCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := s.writeCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("WriteCSV is not byte-stable")
	}
	rows, err := csv.NewReader(bytes.NewReader(a.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], summaryCSVHeader) {
		t.Errorf("header %v", rows[0])
	}
	want := 1 + len(s.Cells) + 2*len(s.Diffs) + len(s.Gaps) + len(s.Forgetting) + len(s.Transfer) + len(s.PIs)
	if len(rows) != want {
		t.Errorf("%d rows, want %d", len(rows), want)
	}
	golden(t, "summary.csv", a.Bytes())
	kinds := map[string]int{}
	for _, r := range rows[1:] {
		kinds[r[0]]++
	}
	for _, k := range []string{"cell", "diff", "pi", "gap", "forgetting", "acc", "bwt", "fwt", "pi_mean"} {
		if kinds[k] == 0 {
			t.Errorf("no %s rows", k)
		}
	}
	if !strings.HasPrefix(rows[len(rows)-1][0], "pi_mean") {
		t.Errorf("last row is not a pi_mean: %v", rows[len(rows)-1])
	}
}

// valuesOf returns metric of agent's records in one stratum, in seed order.
func valuesOf(recs []Checkpoint, split string, day int, agent, metric string) map[int]float64 {
	out := map[int]float64{}
	for i := range recs {
		r := &recs[i]
		if r.Split == split && r.Day == day && r.Agent == agent {
			out[r.Seed] = metricValue(metric)(r)
		}
	}
	return out
}

func TestSummarizeDerived(t *testing.T) {
	splits := []string{"train", "heldout", "pretrain"}
	recs := fakeRecords([]string{"base", "rlvr"}, []float64{0.02, 0.08}, splits, 6, 3)
	s := summarize(recs, summaryOptions{Baseline: "base", Resamples: 300, Seed: 2})
	if s.TrainSplit != "train" || !slices.Equal(s.PriorSplits, []string{"pretrain"}) || !slices.Equal(s.HeldOutSplits, []string{"heldout"}) {
		t.Fatalf("roles: %q %q %q", s.TrainSplit, s.PriorSplits, s.HeldOutSplits)
	}
	const m = "success_greedy"
	at := func(split string, day int) map[int]float64 { return valuesOf(recs, split, day, "rlvr", m) }

	// Gap: per run, train minus the split, then IQM.
	var want []float64
	train, held := at("train", 2), at("heldout", 2)
	for seed := range 6 {
		want = append(want, train[seed]-held[seed])
	}
	g, ok := s.gap("default", "heldout", 2, "rlvr", m)
	if !ok || g.N != 6 || g.IQM != stats.IQM(want) || g.Mean != stats.Mean(want) || !(g.Lo <= g.IQM && g.IQM <= g.Hi) {
		t.Errorf("gap %+v, want IQM %v", g, stats.IQM(want))
	}
	if _, ok := s.gap("default", "train", 2, "rlvr", m); ok {
		t.Error("a gap of train to itself")
	}

	// Forgetting at day 2 on pretrain.
	want = want[:0]
	p0, p1, p2 := at("pretrain", 0), at("pretrain", 1), at("pretrain", 2)
	for seed := range 6 {
		want = append(want, math.Max(p0[seed], p1[seed])-p2[seed])
	}
	var f Cell
	for _, c := range s.Forgetting {
		if c.Split == "pretrain" && c.Day == 2 && c.Agent == "rlvr" && c.Metric == m {
			f = c
		}
	}
	if f.N != 6 || f.IQM != stats.IQM(want) {
		t.Errorf("forgetting %+v, want IQM %v", f, stats.IQM(want))
	}
	for _, c := range s.Forgetting {
		if c.Day == 0 {
			t.Fatal("forgetting at the first checkpoint")
		}
	}

	// Transfer at day 2: ACC over all splits, BWT over pretrain, FWT over heldout.
	tr := map[string]Transfer{}
	for _, x := range s.Transfer {
		if x.Day == 2 && x.Agent == "rlvr" && x.Metric == m {
			tr[x.Kind] = x
		}
	}
	var acc, bwt, fwt []float64
	h0 := at("heldout", 0)
	for seed := range 6 {
		acc = append(acc, (train[seed]+held[seed]+p2[seed])/3)
		bwt = append(bwt, p2[seed]-p0[seed])
		fwt = append(fwt, held[seed]-h0[seed])
	}
	for kind, w := range map[string][]float64{TransferACC: acc, TransferBWT: bwt, TransferFWT: fwt} {
		if math.Abs(tr[kind].IQM-stats.IQM(w)) > 1e-12 || tr[kind].N != 6 {
			t.Errorf("%s: %+v, want IQM %v", kind, tr[kind], stats.IQM(w))
		}
	}
	if !slices.Equal(tr[TransferFWT].Splits, []string{"heldout"}) || !slices.Equal(tr[TransferACC].Splits, splits) {
		t.Errorf("transfer splits %q %q", tr[TransferFWT].Splits, tr[TransferACC].Splits)
	}

	// Probability of improvement: per stratum in Diffs, averaged over held-out in PIs.
	d, _ := s.diff("default", "heldout", 2, "rlvr", m)
	x, y := at("heldout", 2), valuesOf(recs, "heldout", 2, "base", m)
	var xs, ys []float64
	for seed := range 6 {
		xs, ys = append(xs, x[seed]), append(ys, y[seed])
	}
	if d.ProbImprovement != stats.ProbImprovement(xs, ys) || !(d.ProbLo <= d.ProbImprovement && d.ProbImprovement <= d.ProbHi) {
		t.Errorf("diff PI %+v", d)
	}
	var pi PI
	for _, p := range s.PIs {
		if p.Day == 2 && p.Agent == "rlvr" && p.Metric == m {
			pi = p
		}
	}
	if pi.P != d.ProbImprovement || !slices.Equal(pi.Splits, []string{"heldout"}) || pi.N != 12 {
		t.Errorf("PI %+v, want the held-out stratum's %v over 12 runs", pi, d.ProbImprovement)
	}
}

func TestSummarizeAgentsKeepConfigOrder(t *testing.T) {
	recs := fakeRecords([]string{"b", "a"}, []float64{0.02, 0.08}, []string{"train"}, 3, 2)
	s := summarize(recs, summaryOptions{Agents: []string{"a", "ghost", "b"}, Resamples: 100})
	if !slices.Equal(s.Agents, []string{"a", "ghost", "b"}) {
		t.Errorf("agents %q: config order, including agents without records", s.Agents)
	}
	for _, c := range s.Cells {
		if c.Agent == "ghost" {
			t.Fatal("a cell for an agent without records")
		}
	}
}

func TestSummarizeAttempts(t *testing.T) {
	var atts []Attempt
	// Two agents, three seeds, two days, one session of 8 slots, 2 rollouts;
	// "learner" succeeds from slot 4 on, "frozen" never.
	for _, agent := range []string{"frozen", "learner"} {
		for seed := range 3 {
			for day := 1; day <= 2; day++ {
				for slot := range 8 {
					for member := range 2 {
						succ := 0.0
						if agent == "learner" && slot >= 4 {
							succ = 1
						}
						atts = append(atts, Attempt{
							Header: Header{Schema: SchemaVersion, Kind: KindAttempt, Point: "default", Agent: agent, Seed: seed, Day: day},
							Slot:   slot, Member: member, Success: succ,
						})
					}
				}
			}
		}
	}
	ss := summarizeAttempts(atts, summaryOptions{Agents: []string{"learner", "frozen"}, Resamples: 100}, 4)
	if !slices.Equal(ss.Agents, []string{"learner", "frozen"}) || ss.Slots["default"] != 8 || ss.Sessions["default"] != 1 || ss.Bin["default"] != 4 {
		t.Fatalf("%q %v %v %v", ss.Agents, ss.Slots, ss.Sessions, ss.Bin)
	}
	if len(ss.Points) != 2*2*2 {
		t.Fatalf("%d points, want 8", len(ss.Points))
	}
	p := ss.Points[1] // learner, day 1, slots 4-8
	if p.Agent != "learner" || p.Day != 1 || p.SlotLo != 4 || p.SlotHi != 8 || p.IQM != 1 || p.N != 3 || p.X != 0.75 {
		t.Errorf("%+v", p)
	}
	if q := ss.Points[2]; q.Day != 2 || q.X != 1.25 || q.IQM != 0 {
		t.Errorf("%+v", q)
	}
	if summarizeAttempts(nil, summaryOptions{}, 0) != nil {
		t.Error("no attempts, not nil")
	}
	if ss := summarizeAttempts(atts, summaryOptions{Resamples: 10}, 0); ss.Bin["default"] != 1 {
		t.Errorf("default bin %d, want 1 (8 slots / 8)", ss.Bin["default"])
	}
}

// BenchmarkSummarize aggregates 3 agents x 10 seeds x 4 splits x 5 days.
func BenchmarkSummarize(b *testing.B) {
	recs := fakeRecords([]string{"base", "tuned", "rlvr"}, []float64{0.01, 0.01, 0.06}, []string{"train", "inspan", "longer@2", "pretrain"}, 10, 5)
	b.ReportAllocs()
	for b.Loop() {
		summarize(recs, summaryOptions{Baseline: "tuned", Resamples: 1000, Seed: 1})
	}
}
