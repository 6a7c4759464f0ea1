package results

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cmpRecords builds the records of agents at seeds over days 0..days-1 and
// the given splits; value gives every metric of a record (success_greedy,
// and the others derived from it).
func cmpRecords(agents []string, seeds []int, splits []string, days int, value func(agent, split string, seed, day int) float64) *Records {
	r := &Records{Hashes: map[string]string{}}
	for _, a := range agents {
		for _, s := range seeds {
			key := a + "__s" + string(rune('A'+s%26)) + strings.Repeat("x", s/26)
			r.Runs = append(r.Runs, key)
			for d := range days {
				for _, sp := range splits {
					v := value(a, sp, s, d)
					r.Checkpoints = append(r.Checkpoints, Checkpoint{
						Header: Header{Schema: SchemaVersion, Kind: KindCheckpoint, Run: key, Experiment: "t",
							Point: "default", Agent: a, Seed: s, Day: d},
						Split: sp, Tasks: 32,
						SuccessGreedy: v, SuccessSampled: v, ScoreGreedy: v, StepAccGreedy: v,
						Temperature: 1 + v,
					})
				}
			}
		}
	}
	return r
}

// cmpNoise is a deterministic per-(agent, split, seed, day) perturbation.
func cmpNoise(agent, split string, seed, day int, scale float64) float64 {
	h := cmpSeed(uint64(seed), "noise", CompareKey{"", agent, split, string(rune('0' + day))})
	return scale * rand.New(rand.NewPCG(h, 1)).NormFloat64()
}

func cmpSeedRange(lo, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = lo + i
	}
	return s
}

func TestComparePairing(t *testing.T) {
	splits := []string{"train"}
	v := func(a, sp string, s, d int) float64 { return 0.5 + cmpNoise(a, sp, s, d, 0.1) }
	base := cmpRecords([]string{"rlvr"}, cmpSeedRange(0, 10), splits, 2, v)
	for _, tc := range []struct {
		name       string
		seeds      []int
		paired     bool
		nBase, nNw int
	}{
		{"same seeds", cmpSeedRange(0, 10), true, 10, 10},
		{"disjoint seeds", cmpSeedRange(100, 8), false, 10, 8},
		{"NEW a subset of BASE", cmpSeedRange(2, 5), true, 5, 5},
		{"BASE a subset of NEW", cmpSeedRange(0, 14), true, 10, 10},
		{"partial overlap", cmpSeedRange(5, 10), false, 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := cmpRecords([]string{"rlvr"}, tc.seeds, splits, 2, v)
			c, err := compareRecords(base, next, CompareOptions{Metrics: []string{"success_greedy"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Cells) != 1 {
				t.Fatalf("%d cells", len(c.Cells))
			}
			cell := c.Cells[0]
			if cell.Paired != tc.paired || cell.NBase != tc.nBase || cell.NNew != tc.nNw {
				t.Errorf("paired %v, n %d vs %d; want %v, %d vs %d", cell.Paired, cell.NBase, cell.NNew, tc.paired, tc.nBase, tc.nNw)
			}
			if math.Abs(cell.Diff-(cell.New-cell.Base)) > 1e-12 {
				t.Errorf("diff %v != new %v - base %v", cell.Diff, cell.New, cell.Base)
			}
			if tc.name == "same seeds" && (cell.Diff != 0 || cell.Lo != 0 || cell.Hi != 0 || cell.P != 1 || cell.ProbImprovement != 0.5) {
				t.Errorf("identical runs: %+v", cell)
			}
		})
	}
}

func TestCompareDirections(t *testing.T) {
	splits := []string{"train", "heldout"}
	agents := []string{"frozen", "rlvr"}
	seeds := cmpSeedRange(0, 16)
	// BASE: rlvr gains 0.1 a day on train, and keeps heldout flat.
	base := cmpRecords(agents, seeds, splits, 3, func(a, sp string, s, d int) float64 {
		v := 0.4 + cmpNoise(a, sp, s, d, 0.02)
		if a == "rlvr" && sp == "train" {
			v += 0.1 * float64(d)
		}
		return v
	})
	// NEW: rlvr gains only 0.05 a day on train, and on heldout it peaks at
	// day 1 and falls back 0.1 by day 2 (forgetting).
	next := cmpRecords(agents, seeds, splits, 3, func(a, sp string, s, d int) float64 {
		v := 0.4 + cmpNoise(a, sp, s, d, 0.02)
		if a == "rlvr" && sp == "train" {
			v += 0.05 * float64(d)
		}
		if a == "rlvr" && sp == "heldout" && d == 1 {
			v += 0.1
		}
		return v
	})
	opt := DefaultCompareOptions()
	opt.Metrics = []string{"success_greedy", "forgetting", "temperature"}
	c, err := compareRecords(base, next, opt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Base.Day != 2 || c.New.Day != 2 {
		t.Errorf("days %d, %d; want the last, 2", c.Base.Day, c.New.Day)
	}
	// At day 2 rlvr's train success is 0.6 in BASE and 0.5 in NEW, and its
	// forgetting (best earlier success minus now) is -0.1 and -0.05 on
	// train, about 0.02 and 0.1 on heldout: lower is better, so those are
	// regressions too. Temperature (1 + success) has no direction.
	want := map[CompareKey]Verdict{
		{"default", "rlvr", "train", "success_greedy"}: VerdictRegression,
		{"default", "rlvr", "train", "forgetting"}:     VerdictRegression,
		{"default", "rlvr", "train", "temperature"}:    VerdictChanged,
		{"default", "rlvr", "heldout", "forgetting"}:   VerdictRegression,
	}
	for _, cell := range c.Cells {
		w, ok := want[cell.CompareKey]
		if !ok {
			w = VerdictNoChange
		}
		if cell.Verdict != w {
			t.Errorf("%v: %s (diff %+.3f, p %.3g, Holm %.3g), want %s", cell.CompareKey, cell.Verdict, cell.Diff, cell.P, cell.PHolm, w)
		}
		if !cell.Paired || cell.NNew != 16 {
			t.Errorf("%v: not paired over 16 seeds", cell.CompareKey)
		}
		switch cell.Direction {
		case NoDirection:
			if !math.IsNaN(cell.ProbImprovement) {
				t.Errorf("%v: PI %v for a metric with no direction", cell.CompareKey, cell.ProbImprovement)
			}
		default:
			if cell.Verdict == VerdictRegression && cell.ProbImprovement > 0.2 {
				t.Errorf("%v: a regression with PI %v", cell.CompareKey, cell.ProbImprovement)
			}
		}
	}
	reg := c.Regressions()
	if len(reg) != 3 || len(c.Improvements()) != 0 {
		t.Errorf("%d regressions, %d improvements", len(reg), len(c.Improvements()))
	}
	if s := c.summary(); !strings.HasPrefix(s, "3 regressions: rlvr train success_greedy -0.100") {
		t.Errorf("summary: %s", s)
	}

	// Swapping the folders turns the regressions into improvements.
	back, err := compareRecords(next, base, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Improvements()) != 3 || len(back.Regressions()) != 0 {
		t.Errorf("swapped: %d improvements, %d regressions", len(back.Improvements()), len(back.Regressions()))
	}
}

func TestCompareMinEffect(t *testing.T) {
	seeds := cmpSeedRange(0, 16)
	base := cmpRecords([]string{"rlvr"}, seeds, []string{"train"}, 2, func(a, sp string, s, d int) float64 {
		return 0.5 + cmpNoise(a, sp, s, d, 0.001)
	})
	next := cmpRecords([]string{"rlvr"}, seeds, []string{"train"}, 2, func(a, sp string, s, d int) float64 {
		return 0.49 + cmpNoise(a, sp, s, d, 0.001) // consistently 0.01 worse
	})
	for _, tc := range []struct {
		minEffect float64
		want      Verdict
	}{{0.02, VerdictNoChange}, {0.005, VerdictRegression}, {0, VerdictRegression}} {
		c, err := compareRecords(base, next, CompareOptions{Metrics: []string{"success_greedy"}, MinEffect: tc.minEffect})
		if err != nil {
			t.Fatal(err)
		}
		if v := c.Cells[0].Verdict; v != tc.want || c.Cells[0].PHolm > 0.05 {
			t.Errorf("min effect %v: %s (p %v), want %s", tc.minEffect, v, c.Cells[0].PHolm, tc.want)
		}
	}
}

// TestCompareHolmFamily checks that the correction counts every cell: one
// clear regression survives among few cells and not among many.
func TestCompareHolmFamily(t *testing.T) {
	seeds := cmpSeedRange(0, 8) // smallest exact p-value: 2/256
	mk := func(drop float64, splits []string) *Records {
		return cmpRecords([]string{"rlvr"}, seeds, splits, 1, func(a, sp string, s, d int) float64 {
			v := 0.5 + cmpNoise(a, sp, s, d, 0.01)
			if sp == "s0" {
				v -= drop
			}
			return v
		})
	}
	var splits []string
	for i := range 12 {
		splits = append(splits, "s"+string(rune('a'+i)))
	}
	splits[0] = "s0"
	opt := CompareOptions{Metrics: []string{"success_greedy"}, MinEffect: 0.02}
	few, err := compareRecords(mk(0, splits[:2]), mk(0.2, splits[:2]), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(few.Regressions()) != 1 || len(few.Notes) != 0 {
		t.Errorf("2 cells: %d regressions, notes %v", len(few.Regressions()), few.Notes)
	}
	many, err := compareRecords(mk(0, splits), mk(0.2, splits), opt)
	if err != nil {
		t.Fatal(err)
	}
	c := many.Cells[0]
	if c.P != 2.0/256 || math.Abs(c.PHolm-12*2.0/256) > 1e-12 || c.Verdict != VerdictNoChange {
		t.Errorf("12 cells: p %v, Holm %v, %s", c.P, c.PHolm, c.Verdict)
	}
	if len(many.Notes) != 1 || !strings.Contains(many.Notes[0], "No cell can be significant") {
		t.Errorf("notes: %v", many.Notes)
	}
}

// TestCompareErrorRates simulates comparisons where nothing changed (NEW
// draws fresh noise at the same seeds, so cells are paired) and checks
// that a single cell's test rejects at about alpha and that Holm keeps the
// chance of any false regression among 10 cells at most alpha.
func TestCompareErrorRates(t *testing.T) {
	const reps, cells, alpha = 400, 10, 0.05
	var splits []string
	for i := range cells {
		splits = append(splits, "s"+string(rune('a'+i)))
	}
	seeds := cmpSeedRange(0, 10)
	rejected, anyFalse := 0, 0
	for rep := range reps {
		tag := func(side string) string { return side + string(rune('A'+rep%26)) + strings.Repeat("z", rep/26) }
		mk := func(side string) *Records {
			return cmpRecords([]string{"rlvr"}, seeds, splits, 1, func(a, sp string, s, d int) float64 {
				return 0.5 + cmpNoise(tag(side), sp, s, d, 0.05)
			})
		}
		c, err := compareRecords(mk("base"), mk("new"), CompareOptions{Metrics: []string{"success_greedy"}, Resamples: 100, Seed: uint64(rep)})
		if err != nil {
			t.Fatal(err)
		}
		for _, cell := range c.Cells {
			if !cell.Paired {
				t.Fatal("cells should be paired")
			}
			if cell.P <= alpha {
				rejected++
			}
		}
		if len(c.Regressions())+len(c.Improvements()) > 0 {
			anyFalse++
		}
	}
	perCell := float64(rejected) / (reps * cells)
	fwer := float64(anyFalse) / reps
	t.Logf("per-cell rejection rate %.3f, family-wise false verdict rate %.3f (alpha %v)", perCell, fwer, alpha)
	// The exact sign-flip test over 10 pairs is conservative only through
	// its discreteness; 4000 tests give a standard error near 0.0035.
	if perCell < 0.03 || perCell > 0.06 {
		t.Errorf("per-cell rejection rate %.3f, want about %v", perCell, alpha)
	}
	// 400 replicates: standard error 0.011 at 0.05.
	if fwer > alpha+3*math.Sqrt(alpha*(1-alpha)/reps) {
		t.Errorf("family-wise false verdict rate %.3f exceeds %v", fwer, alpha)
	}
}

func TestCompareDeterministicAndOrderInvariant(t *testing.T) {
	agents := []string{"frozen", "rlvr", "sft"}
	splits := []string{"train", "inspan", "pretrain"}
	v := func(a, sp string, s, d int) float64 { return 0.4 + cmpNoise(a, sp, s, d, 0.05) }
	base := cmpRecords(agents, cmpSeedRange(0, 10), splits, 2, v)
	next := cmpRecords(agents, cmpSeedRange(50, 12), splits, 2, v)
	opt := DefaultCompareOptions()
	c1, err := compareRecords(base, next, opt)
	if err != nil {
		t.Fatal(err)
	}
	shuffled := *next
	shuffled.Checkpoints = slices.Clone(next.Checkpoints)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled.Checkpoints), func(i, j int) {
		shuffled.Checkpoints[i], shuffled.Checkpoints[j] = shuffled.Checkpoints[j], shuffled.Checkpoints[i]
	})
	opt.Agents, opt.Points = agents, []string{"default"} // record order no longer gives it
	c2, err := compareRecords(base, &shuffled, opt)
	if err != nil {
		t.Fatal(err)
	}
	var b1, b2 bytes.Buffer
	if err := c1.Write(&b1, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	if err := c2.Write(&b2, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Errorf("record order changed the output:\n%s\n%s", b1.String(), b2.String())
	}
	// Cells come in agent, split, metric order.
	var order []string
	for _, c := range c1.Cells {
		if c.Metric == "success_greedy" {
			order = append(order, c.Agent+"/"+c.Split)
		}
	}
	want := []string{"frozen/train", "frozen/inspan", "frozen/pretrain", "rlvr/train", "rlvr/inspan", "rlvr/pretrain", "sft/train", "sft/inspan", "sft/pretrain"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v", order)
	}
	// A cell does not depend on which other cells exist.
	opt.Metrics = []string{"score_greedy"}
	only, err := compareRecords(base, next, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range c1.Cells {
		if c.Metric == "score_greedy" && c.Agent == "rlvr" && c.Split == "inspan" {
			o := only.Cells[4]
			if o.CompareKey != c.CompareKey || o.Lo != c.Lo || o.Hi != c.Hi || o.P != c.P {
				t.Errorf("cell changed with the metric set: %+v vs %+v", o, c)
			}
		}
	}
}

func TestCompareLastDayPerPoint(t *testing.T) {
	// A sweep over the number of days: point "short" ends at day 1, "long"
	// at day 3. Each point is compared at its own last checkpoint.
	v := func(a, sp string, s, d int) float64 { return 0.1 * float64(d) }
	mk := func() *Records {
		r := cmpRecords([]string{"rlvr"}, cmpSeedRange(0, 3), []string{"train"}, 4, v)
		var keep []Checkpoint
		for _, c := range r.Checkpoints {
			c.Point = "long"
			keep = append(keep, c)
			if c.Day <= 1 {
				c.Point = "short"
				keep = append(keep, c)
			}
		}
		r.Checkpoints = keep
		return r
	}
	c, err := compareRecords(mk(), mk(), CompareOptions{Metrics: []string{"success_greedy"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Cells) != 2 || c.Base.Day != 3 {
		t.Fatalf("%d cells, day %d", len(c.Cells), c.Base.Day)
	}
	for _, cell := range c.Cells {
		want := map[string]float64{"long": 0.3, "short": 0.1}[cell.Point]
		if math.Abs(cell.Base-want) > 1e-12 {
			t.Errorf("%s compared at success %v, want %v (its last day)", cell.Point, cell.Base, want)
		}
	}
	if !c.multiPoint() || !strings.HasPrefix(c.table(false).Header[0], "point") {
		t.Error("no point column for a sweep")
	}
	// A fixed day must exist somewhere, and compares only points that have it.
	c, err = compareRecords(mk(), mk(), CompareOptions{Metrics: []string{"success_greedy"}, FixedDay: true, Day: 2})
	if err != nil || len(c.Cells) != 1 || c.Cells[0].Point != "long" {
		t.Errorf("day 2: %v, %+v", err, c)
	}
}

func TestCompareErrors(t *testing.T) {
	v := func(a, sp string, s, d int) float64 { return 0.5 }
	recs := cmpRecords([]string{"rlvr"}, cmpSeedRange(0, 3), []string{"train"}, 2, v)
	other := cmpRecords([]string{"sft"}, cmpSeedRange(0, 3), []string{"train"}, 2, v)
	for _, tc := range []struct {
		name       string
		base, next *Records
		opt        CompareOptions
		want       string
	}{
		{"unknown metric", recs, recs, CompareOptions{Metrics: []string{"sucess_greedy"}}, `unknown metric "sucess_greedy"`},
		{"empty BASE", &Records{}, recs, CompareOptions{}, "BASE: no checkpoint records"},
		{"nil NEW", recs, nil, CompareOptions{}, "NEW: no checkpoint records"},
		{"missing day", recs, recs, CompareOptions{FixedDay: true, Day: 5}, "BASE: no checkpoint at day 5"},
		{"no overlap", recs, other, CompareOptions{}, "no (point, agent, split, metric) cell"},
		{"forgetting at day 0", recs, recs, CompareOptions{FixedDay: true, Metrics: []string{"forgetting"}}, "no (point"},
		{"alpha", recs, recs, CompareOptions{Alpha: 2}, "alpha"},
		{"min effect", recs, recs, CompareOptions{MinEffect: -1}, "minimum effect"},
		{"min effect NaN", recs, recs, CompareOptions{MinEffect: math.NaN()}, "minimum effect"},
	} {
		_, err := compareRecords(tc.base, tc.next, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	_, err := compareRecords(recs, other, CompareOptions{})
	if !errors.Is(err, ErrNothingToCompare) {
		t.Errorf("no overlap: %v is not ErrNothingToCompare", err)
	}
	// Cells in one folder only are listed, not compared.
	both := cmpRecords([]string{"rlvr", "sft"}, cmpSeedRange(0, 3), []string{"train"}, 2, v)
	c, err := compareRecords(both, recs, CompareOptions{Metrics: []string{"success_greedy"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Cells) != 1 || len(c.OnlyBase) != 1 || c.OnlyBase[0].Agent != "sft" || len(c.OnlyNew) != 0 {
		t.Errorf("cells %d, only BASE %v, only NEW %v", len(c.Cells), c.OnlyBase, c.OnlyNew)
	}
}

// goldenComparison is a small comparison with a regression, an
// improvement, no change and an unpaired cell.
func goldenComparison(t *testing.T) *Comparison {
	seeds := cmpSeedRange(0, 12)
	base := cmpRecords([]string{"frozen", "rlvr"}, seeds, []string{"train", "pretrain"}, 3, func(a, sp string, s, d int) float64 {
		v := 0.3 + cmpNoise(a, sp, s, d, 0.03)
		if a == "rlvr" {
			v += 0.1 * float64(d)
		}
		return v
	})
	next := cmpRecords([]string{"frozen", "rlvr"}, seeds, []string{"train", "pretrain"}, 3, func(a, sp string, s, d int) float64 {
		v := 0.3 + cmpNoise(a+"/new", sp, s, d, 0.03)
		if a == "rlvr" && sp == "pretrain" {
			v += 0.15 * float64(d)
		}
		return v
	})
	// frozen's NEW runs use other seeds: unpaired.
	for i := range next.Checkpoints {
		if c := &next.Checkpoints[i]; c.Agent == "frozen" {
			c.Seed += 100
		}
	}
	c, err := compareRecords(base, next, CompareOptions{Metrics: []string{"success_greedy", "step_acc_greedy"}, MinEffect: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	c.Base.Label, c.New.Label = "out/baseline", "out/new"
	return c
}

func TestCompareGolden(t *testing.T) {
	c := goldenComparison(t)
	for _, format := range []string{FormatMarkdown, FormatText, FormatCSV} {
		var b bytes.Buffer
		if err := c.Write(&b, format); err != nil {
			t.Fatal(err)
		}
		cmpGolden(t, "comparison."+format, b.Bytes())
	}
	if err := c.Write(&bytes.Buffer{}, "html"); err == nil {
		t.Error("unknown format accepted")
	}
	if n := len(c.Regressions()); n != 2 {
		t.Errorf("%d regressions, want 2 (rlvr train)", n)
	}
}

// cmpGolden compares got with testdata/compare/name.golden, rewriting the
// file instead under -update.
func cmpGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "compare", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

func TestCompareDirs(t *testing.T) {
	v := func(a, sp string, s, d int) float64 { return 0.5 + cmpNoise(a, sp, s, d, 0.05) }
	recs := cmpRecords([]string{"rlvr", "frozen"}, cmpSeedRange(0, 4), []string{"train"}, 2, v)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, RunsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	byRun := map[string]*Encoder{}
	count := map[string]int{}
	for _, c := range recs.Checkpoints {
		if byRun[c.Run] == nil {
			byRun[c.Run] = NewEncoder()
		}
		if err := byRun[c.Run].Write(c); err != nil {
			t.Fatal(err)
		}
		count[c.Run]++
	}
	for _, key := range recs.Runs {
		e := byRun[key]
		end := End{Header: Header{Schema: SchemaVersion, Kind: KindEnd, Run: key}, Checkpoints: count[key]}
		if err := e.Write(end); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(plainRun(dir, key), e.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	// The manifest plans the folder's runs and one failed run.
	man := &Manifest{Schema: SchemaVersion, Experiment: "t", Agents: []string{"frozen", "rlvr"}, Points: []string{"default"},
		Runs: []RunEntry{{Key: "x", Status: StatusFailed}}}
	for _, c := range recs.Checkpoints {
		if c.Day == 0 {
			man.Runs = append(man.Runs, RunEntry{Key: c.Run, Point: c.Point, Agent: c.Agent, Seed: c.Seed, Status: StatusDone})
		}
	}
	if err := WriteJSONAtomic(filepath.Join(dir, ManifestFile), man); err != nil {
		t.Fatal(err)
	}
	c, err := CompareDirs(dir, dir, DefaultCompareOptions())
	if err != nil {
		t.Fatal(err)
	}
	if c.Cells[0].Agent != "frozen" {
		t.Errorf("the manifest's agent order was not used: first cell %v", c.Cells[0].CompareKey)
	}
	if c.Base.Experiment != "t" || c.Base.Runs != 8 || c.Base.Failed != 1 || c.Base.Label != dir {
		t.Errorf("BASE side %+v", c.Base)
	}
	if len(c.Regressions()) != 0 || !strings.Contains(strings.Join(c.Notes, "\n"), "1 of 9 runs failed") {
		t.Errorf("regressions %d, notes %v", len(c.Regressions()), c.Notes)
	}

	empty, emptyRuns := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(emptyRuns, RunsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		base, next string
		opt        CompareOptions
		want       string
	}{
		{dir, filepath.Join(empty, "missing"), CompareOptions{}, "NEW: stat"},
		{empty, dir, CompareOptions{}, "BASE: results folder"},
		{emptyRuns, dir, CompareOptions{}, "BASE: no checkpoint records"},
		{plainRun(dir, recs.Runs[0]), dir, CompareOptions{}, "is not a folder"},
		{filepath.Join(empty, "missing"), dir, CompareOptions{Metrics: []string{"nope"}}, "unknown metric"},
	} {
		if _, err := CompareDirs(tc.base, tc.next, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CompareDirs(%s, %s): %v, want %q", tc.base, tc.next, err, tc.want)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	agents := []string{"frozen", "frozen-tuned", "rlvr"}
	splits := make([]string, 16)
	for i := range splits {
		splits[i] = "split" + string(rune('a'+i))
	}
	v := func(a, sp string, s, d int) float64 { return 0.4 + cmpNoise(a, sp, s, d, 0.05) }
	base := cmpRecords(agents, cmpSeedRange(0, 20), splits, 2, v)
	next := cmpRecords(agents, cmpSeedRange(0, 20), splits, 2, func(a, sp string, s, d int) float64 { return v(a, sp, s, d) + 0.01 })
	opt := DefaultCompareOptions()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compareRecords(base, next, opt); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleCompare() {
	// BASE and NEW: rlvr at 12 seeds; NEW lost 0.1 of success on train.
	mk := func(loss float64, tag string) *Records {
		return cmpRecords([]string{"rlvr"}, cmpSeedRange(0, 12), []string{"train", "inspan"}, 2, func(a, sp string, s, d int) float64 {
			v := 0.4 + cmpNoise(a+tag, sp, s, d, 0.02)
			if sp == "train" {
				v -= loss
			}
			return v
		})
	}
	c, err := compareRecords(mk(0, "base"), mk(0.1, "new"), DefaultCompareOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range c.Regressions() {
		fmt.Printf("%s %s %s: %+.2f [%+.2f, %+.2f], p (Holm) %.3f\n", r.Agent, r.Split, r.Metric, r.Diff, r.Lo, r.Hi, r.PHolm)
	}
	fmt.Println(c.summary())
	// Output:
	// rlvr train success_greedy: -0.09 [-0.11, -0.07], p (Holm) 0.004
	// rlvr train score_greedy: -0.09 [-0.11, -0.07], p (Holm) 0.004
	// rlvr train step_acc_greedy: -0.09 [-0.11, -0.07], p (Holm) 0.004
	// rlvr train success_sampled: -0.09 [-0.11, -0.07], p (Holm) 0.004
	// 4 regressions: rlvr train success_greedy -0.094, rlvr train score_greedy -0.094, rlvr train step_acc_greedy -0.094, rlvr train success_sampled -0.094; no improvements; 4 of 8 cells no change.
}
