package results

import (
	"fmt"
	"slices"
	"strconv"
)

// Paired differences between two named agents ([report] pairs): computed
// by summarize exactly as each agent's difference with the baseline
// (Summary.PairDiffs), written to summary.csv as diff and pi rows and to a
// table per tabulated metric, pairs_<metric>.

const sectionPairs = "Paired differences between agents"

// pairsOf returns the [report] pairs of a folder's config, from its
// manifest's resolved points (a report knob, outside the config hash, like
// report.competence).
func pairsOf(m *Manifest) [][2]string {
	pts, err := m.ResolvedPoints()
	if err != nil || len(pts) == 0 {
		return nil
	}
	list, _ := pts[0].Config["report.pairs"].([]any)
	var out [][2]string
	for _, x := range list {
		pr, _ := x.([]any)
		if len(pr) != 2 {
			continue
		}
		a, _ := pr[0].(string)
		b, _ := pr[1].(string)
		if a != "" && b != "" {
			out = append(out, [2]string{a, b})
		}
	}
	return out
}

// pairsTable returns the paired differences of [report] pairs in metric at
// one point and day: a row per split, a column "A − B" per pair (in the
// config's order), each cell the mean paired difference over matched
// seeds with its percentile-bootstrap CI resampling pairs, "+0.05 [+0.01,
// +0.09]". The CSV form is tidy, with the columns of summary.csv's diff
// rows. It returns an error if s has no pair difference there.
func pairsTable(s *Summary, point string, day int, metric string) (*table, error) {
	type key struct{ agent, against, split string }
	diffs := make(map[key]Diff)
	var cols [][2]string
	var n countRange
	for _, d := range s.PairDiffs {
		if d.Point != point || d.Day != day || d.Metric != metric {
			continue
		}
		diffs[key{d.Agent, d.Baseline, d.Split}] = d
		n.add(d.N)
		if pr := [2]string{d.Agent, d.Baseline}; !slices.Contains(cols, pr) {
			cols = append(cols, pr)
		}
	}
	if len(diffs) == 0 {
		return nil, fmt.Errorf("results: no pair differences for point %q, day %d, metric %q", point, day, metric)
	}
	t := &table{
		Name:       "pairs_" + metric,
		Title:      fmt.Sprintf("Paired differences between agents, %s at day %d%s", metric, day, pointSuffix(s, point)),
		Header:     []string{"split"},
		TidyHeader: []string{"kind", "point", "day", "metric", "split", "agent", "baseline", "n", "mean", "lo", "hi", "prob_improvement"},
	}
	for _, pr := range cols {
		t.Header = append(t.Header, pr[0]+" − "+pr[1])
	}
	for _, sp := range s.Splits {
		row := []string{sp}
		found := false
		for _, pr := range cols {
			v := "–"
			if d, ok := diffs[key{pr[0], pr[1], sp}]; ok {
				v, found = formatCI(d.Mean, d.Lo, d.Hi, true), true
				t.TidyRows = append(t.TidyRows, []string{"diff", point, strconv.Itoa(day), metric, sp, d.Agent, d.Baseline,
					strconv.Itoa(d.N), formatFloat(d.Mean), formatFloat(d.Lo), formatFloat(d.Hi), formatFloat(d.ProbImprovement)})
			}
			row = append(row, v)
		}
		if found {
			t.Rows = append(t.Rows, row)
		}
	}
	t.Caption = fmt.Sprintf("%s at day %d%s, for the pairs of agents named in [report] pairs: each column A − B is the mean over matched seeds (same tasks, same noise) of A's value minus B's, with a %s%% percentile-bootstrap CI resampling seed pairs (%d resamples), N = %s pairs; computed as the differences with the baseline are (summary.csv: kind diff, baseline B).",
		metric, day, pointClause(s, point), levelPercent(s.Level), s.resamples(), n)
	return t, nil
}
