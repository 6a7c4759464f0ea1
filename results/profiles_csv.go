package results

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ProfilesFile holds the performance profiles as data: every point of
// every curve of the profile figures, with its band (see ProfilesSchema).
var ProfilesFile = filepath.Join("tables", "profiles.csv")

// The splits a profile pools: the train split, or the held-out splits.
const (
	profileTrain   = "train"
	profileHeldOut = "held-out"
)

// keptProfile is one drawn profile with the splits it pools.
type keptProfile struct {
	pool string // profileTrain or profileHeldOut
	band profileBand
}

// keepProfiles records the profiles a figure drew; figures draw
// concurrently.
func (w *builder) keepProfiles(pool string, bands []profileBand) {
	w.profMu.Lock()
	defer w.profMu.Unlock()
	for _, b := range bands {
		if b.N > 0 {
			w.profiles = append(w.profiles, keptProfile{pool, b})
		}
	}
}

var profilesCSVHeader = []string{"point", "day", "agent", "metric", "pool", "splits", "tau", "fraction", "lo", "hi", "level", "n"}

// ProfilesSchema documents tables/profiles.csv's columns in order.
func ProfilesSchema() []SummaryColumn {
	docs := map[string]string{
		"point":    "sweep point label; with a [sweep], one more column per swept knob follows the last column, as in summary.csv",
		"day":      "checkpoint: days completed (the last one, as the figures show)",
		"agent":    "agent name",
		"metric":   "metric name",
		"pool":     "\"train\" (the train split) or \"held-out\" (every held-out split, each weighing the same): the figure plots/.../profiles/<pool>",
		"splits":   "the splits pooled, separated by ';'",
		"tau":      "threshold τ on the metric (101 evenly spaced over its bounds)",
		"fraction": "fraction of runs whose metric exceeds τ (pooled: the mean over runs of the fraction of their splits above τ)",
		"lo":       "lower end of the pointwise percentile-bootstrap band at τ, resampling runs",
		"hi":       "upper end of the band",
		"level":    "confidence level of [lo, hi]",
		"n":        "runs (seeds) of the agent at the point",
	}
	out := make([]SummaryColumn, len(profilesCSVHeader))
	for i, name := range profilesCSVHeader {
		out[i] = SummaryColumn{name, docs[name]}
	}
	return out
}

// writeProfiles writes the kept profiles, sorted so that the file does not
// depend on the order figures were drawn in.
func (w *builder) writeProfiles(sweep sweepCols) error {
	if len(w.profiles) == 0 {
		return nil
	}
	s := w.b.Summary
	idx := func(list []string, v string) int { return slices.Index(list, v) }
	slices.SortFunc(w.profiles, func(a, b keptProfile) int {
		return cmp.Or(
			cmp.Compare(idx(s.Points, a.band.Point), idx(s.Points, b.band.Point)),
			cmp.Compare(a.band.Metric, b.band.Metric),
			cmp.Compare(a.pool, b.pool),
			cmp.Compare(idx(s.Agents, a.band.Agent), idx(s.Agents, b.band.Agent)),
		)
	})
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	header := slices.Clone(profilesCSVHeader)
	for _, c := range sweep.cols {
		header = append(header, c.name)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, k := range w.profiles {
		b := k.band
		var knobs []string
		for _, c := range sweep.cols {
			knobs = append(knobs, formatSweepValue(sweep.values[b.Point][c.name]))
		}
		for t, iv := range b.Band {
			row := []string{b.Point, strconv.Itoa(b.Day), b.Agent, b.Metric, k.pool, strings.Join(b.Splits, ";"),
				formatFloat(b.Tau[t]), formatFloat(iv.Point), formatFloat(iv.Lo), formatFloat(iv.Hi), formatFloat(s.level()), strconv.Itoa(b.N)}
			if err := cw.Write(append(row, knobs...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return w.write(filepath.Join(w.dir, ProfilesFile), buf.Bytes())
}
