package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// summaryCSVHeader is the header row written by Summary.writeCSV.
var summaryCSVHeader = []string{
	"kind", "point", "split", "day", "agent", "baseline", "metric", "n",
	"mean", "median", "iqm", "lo", "hi", "level", "prob_improvement",
}

// writeCSV writes s as summary.csv: a header (summaryCSVHeader), then rows of
// these kinds, each kind in the order of its slice in s:
//
//   - "cell" (Cells): mean, median and iqm over runs, lo and hi bound the
//     IQM; baseline and prob_improvement are empty;
//   - "diff" (Diffs, then PairDiffs): mean, lo and hi are the paired mean
//     difference agent - baseline and its bounds, prob_improvement its
//     probability of improvement; median and iqm are empty; for a
//     [report] pairs entry, baseline is the pair's second agent (a pair
//     that repeats a difference with the configured baseline is written
//     once);
//   - "pi" (Diffs, then PairDiffs): mean, lo and hi are the probability of
//     improvement of agent over baseline in the stratum and its bounds;
//   - "gap" (Gaps) and "forgetting" (Forgetting): as "cell", for the
//     generalization gap train - split and for forgetting;
//   - "acc", "bwt", "fwt" (Transfer): as "cell", with split "all", "prior"
//     or "held-out" naming the splits averaged;
//   - "pi_mean" (PIs): as "pi", averaged over the held-out splits, with
//     split "held-out";
//   - "session" (SessionCells) and "session_diff" (SessionDiffs): as
//     "cell" and "diff", for the per-run metrics of the job's attempts
//     (morning_success, session_gain; sessiongain.go), split "job".
//
// A row whose interval was computed has the confidence level; one whose
// was not (Build bootstraps only the intervals its tables, figures and
// report read, unless BuildOptions.AllCIs: grind report --all) has lo, hi
// and level empty, as has an interval no resample could bound. Floats are written with six
// significant digits (strconv.FormatFloat(v, 'g', 6, 64)) so the output is
// byte-stable.
func (s *Summary) writeCSV(w io.Writer) error { return s.writeCSVSweep(w, sweepCols{}) }

// writeCSVSweep is writeCSV with one more column per swept knob, named by
// its knob path, holding the row's point's value of it: a sweep's
// independent variables as typed columns, ready to pivot on.
func (s *Summary) writeCSVSweep(w io.Writer, sweep sweepCols) error {
	cw := csv.NewWriter(w)
	header := slices.Clone(summaryCSVHeader)
	for _, c := range sweep.cols {
		header = append(header, c.name)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	cell := func(kind string, c Cell) []string {
		return []string{
			kind, c.Point, c.Split, strconv.Itoa(c.Day), c.Agent, "", c.Metric, strconv.Itoa(c.N),
			formatFloat(c.Mean), formatFloat(c.Median), formatFloat(c.IQM),
			ciCol(c.Lo, c.Hi, c.Lo), ciCol(c.Lo, c.Hi, c.Hi), ciCol(c.Lo, c.Hi, s.Level), "",
		}
	}
	var rows [][]string
	for _, c := range s.Cells {
		rows = append(rows, cell("cell", c))
	}
	diffs := slices.Clip(s.Diffs)
	for _, d := range s.PairDiffs {
		if d.Baseline != s.Baseline { // else Diffs holds it
			diffs = append(diffs, d) // a copy: Clip leaves s.Diffs alone
		}
	}
	for _, d := range diffs {
		rows = append(rows, []string{
			"diff", d.Point, d.Split, strconv.Itoa(d.Day), d.Agent, d.Baseline, d.Metric, strconv.Itoa(d.N),
			formatFloat(d.Mean), "", "",
			ciCol(d.Lo, d.Hi, d.Lo), ciCol(d.Lo, d.Hi, d.Hi), ciCol(d.Lo, d.Hi, s.Level), formatFloat(d.ProbImprovement),
		})
	}
	for _, d := range diffs {
		rows = append(rows, []string{
			"pi", d.Point, d.Split, strconv.Itoa(d.Day), d.Agent, d.Baseline, d.Metric, strconv.Itoa(d.N),
			formatFloat(d.ProbImprovement), "", "",
			ciCol(d.ProbLo, d.ProbHi, d.ProbLo), ciCol(d.ProbLo, d.ProbHi, d.ProbHi), ciCol(d.ProbLo, d.ProbHi, s.Level), formatFloat(d.ProbImprovement),
		})
	}
	for _, c := range s.Gaps {
		rows = append(rows, cell("gap", c))
	}
	for _, c := range s.Forgetting {
		rows = append(rows, cell("forgetting", c))
	}
	groups := map[string]string{TransferACC: "all", TransferBWT: "prior", TransferFWT: "held-out"}
	for _, t := range s.Transfer {
		rows = append(rows, cell(t.Kind, Cell{
			Point: t.Point, Split: groups[t.Kind], Day: t.Day, Agent: t.Agent, Metric: t.Metric,
			N: t.N, Mean: t.Mean, Median: t.Median, IQM: t.IQM, Lo: t.Lo, Hi: t.Hi,
		}))
	}
	for _, p := range s.PIs {
		rows = append(rows, []string{
			"pi_mean", p.Point, "held-out", strconv.Itoa(p.Day), p.Agent, p.Baseline, p.Metric, strconv.Itoa(p.N),
			formatFloat(p.P), "", "",
			ciCol(p.Lo, p.Hi, p.Lo), ciCol(p.Lo, p.Hi, p.Hi), ciCol(p.Lo, p.Hi, s.Level), formatFloat(p.P),
		})
	}
	for _, c := range s.SessionCells {
		rows = append(rows, cell("session", c))
	}
	for _, d := range s.SessionDiffs {
		rows = append(rows, []string{
			"session_diff", d.Point, d.Split, strconv.Itoa(d.Day), d.Agent, d.Baseline, d.Metric, strconv.Itoa(d.N),
			formatFloat(d.Mean), "", "",
			ciCol(d.Lo, d.Hi, d.Lo), ciCol(d.Lo, d.Hi, d.Hi), ciCol(d.Lo, d.Hi, s.Level), formatFloat(d.ProbImprovement),
		})
	}
	if len(sweep.cols) > 0 {
		for i, r := range rows {
			vals := sweep.values[r[1]] // r[1] is the point
			for _, c := range sweep.cols {
				rows[i] = append(rows[i], formatSweepValue(vals[c.name]))
			}
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// ciCol formats v, a column of the interval [lo, hi]: empty when the
// interval is missing (both bounds NaN).
func ciCol(lo, hi, v float64) string {
	if math.IsNaN(lo) && math.IsNaN(hi) {
		return ""
	}
	return formatFloat(v)
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// formatSweepValue writes a swept knob's value for summary.csv.
func formatSweepValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return x
	}
	return fmt.Sprint(v)
}
