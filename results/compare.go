package results

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/grindbench/grindbench/results/stats"
)

// This file compares two results folders metric by metric for regression
// tracking (DESIGN 10, grind compare BASE NEW): per (point, agent, split,
// metric) cell present in both, the difference NEW − BASE with a bootstrap
// CI and the probability of improvement, a permutation p-value, Holm's
// correction across all cells and a minimum effect size.

// Defaults of CompareOptions.
const (
	DefaultMinEffect    = 0.02
	DefaultAlpha        = 0.05
	DefaultPermutations = 10000
)

// CompareOptions steers CompareDirs. Zero values take defaults, except
// MinEffect (0 is a valid threshold) and the day (the zero value compares
// each folder's last checkpoint). DefaultCompareOptions gives the settings
// of grind compare.
type CompareOptions struct {
	Metrics []string // names in the metric table (Metrics); DefaultCompareMetrics() if empty

	// MinEffect is the smallest absolute difference, in the metric's
	// units, that can count as a regression or an improvement.
	MinEffect float64
	// Alpha is the family-wise error rate of Holm's procedure over all
	// cells (DefaultAlpha if 0).
	Alpha float64

	Level        float64 // confidence level of the CIs (0.95 if 0)
	Resamples    int     // bootstrap resamples per CI (2000 if 0)
	Permutations int     // permutations per test (DefaultPermutations if 0)

	// FixedDay compares the checkpoint at Day (days completed) in both
	// folders; otherwise each folder's last checkpoint is compared (per
	// sweep point, as a sweep may vary the number of days).
	FixedDay bool
	Day      int

	// Points and Agents, if given, set the order of the output; others
	// follow in order of first appearance in BASE, then NEW.
	Points, Agents []string

	// Seed seeds every bootstrap and permutation. Each cell draws from its
	// own streams, keyed by Seed and the cell's identity, so a cell's
	// result does not depend on which other cells exist.
	Seed uint64
}

// DefaultCompareOptions returns the options of grind compare: the default
// metrics, MinEffect DefaultMinEffect, each folder's last day, seed 1.
func DefaultCompareOptions() CompareOptions {
	return CompareOptions{MinEffect: DefaultMinEffect, Seed: 1}
}

func (o CompareOptions) resolve() (CompareOptions, []Metric, error) {
	names := o.Metrics
	if len(names) == 0 {
		names = DefaultCompareMetrics()
	}
	o.Metrics = nil
	var infos []Metric
	for _, n := range names {
		info, ok := LookupMetric(n)
		if !ok {
			known := make([]string, len(metricTable))
			for i, m := range metricTable {
				known[i] = m.Name
			}
			return o, nil, fmt.Errorf("unknown metric %q (known: %s)", n, strings.Join(known, ", "))
		}
		if !slices.Contains(o.Metrics, n) {
			o.Metrics = append(o.Metrics, n)
			infos = append(infos, info)
		}
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Level == 0 {
		o.Level = defaultLevel
	}
	if o.Resamples == 0 {
		o.Resamples = defaultResamples
	}
	if o.Permutations == 0 {
		o.Permutations = DefaultPermutations
	}
	switch {
	case !(o.Alpha > 0 && o.Alpha < 1):
		return o, nil, fmt.Errorf("alpha %v not in (0, 1)", o.Alpha)
	case !(o.Level > 0 && o.Level < 1):
		return o, nil, fmt.Errorf("confidence level %v not in (0, 1)", o.Level)
	case !(o.MinEffect >= 0) || math.IsInf(o.MinEffect, 1):
		return o, nil, fmt.Errorf("minimum effect %v must be a finite number >= 0", o.MinEffect)
	case o.Resamples < 0:
		return o, nil, fmt.Errorf("resamples %d < 0", o.Resamples)
	case o.Permutations < 0:
		return o, nil, fmt.Errorf("permutations %d < 0", o.Permutations)
	case o.FixedDay && o.Day < 0:
		return o, nil, fmt.Errorf("day %d < 0", o.Day)
	}
	return o, infos, nil
}

// Verdict is the outcome of one compared cell.
type Verdict string

// Verdicts.
const (
	VerdictRegression  Verdict = "regression"  // significantly worse after Holm, by more than the minimum effect
	VerdictImprovement Verdict = "improvement" // significantly better after Holm, by more than the minimum effect
	VerdictChanged     Verdict = "changed"     // a metric with no direction changed significantly
	VerdictNoChange    Verdict = "no change"
)

// CompareKey identifies a compared cell.
type CompareKey struct {
	Point, Agent, Split, Metric string
}

// CompareCell is one metric of one agent in one stratum (point, split),
// compared between BASE and NEW at the compared checkpoints.
//
// A cell is Paired when every run of one side has its run key (point,
// agent, seed) in the other: the same seeds, or one folder's seeds a subset
// of the other's (a smoke run against a larger baseline). Runs at the same
// seed see the same tasks and noise, so the cell compares the NBase = NNew
// matched pairs, leaving out the larger side's extra seeds: Diff is the
// mean paired difference, its CI resamples pairs, and P comes from a
// sign-flip test (stats.SignFlipTest). Otherwise, with disjoint or partly
// overlapping seeds, every run is used: Diff is the difference of the
// means, its CI resamples each side independently (stats.UnpairedDiff),
// and P comes from a permutation test of the difference of means
// (stats.PermutationTest). Either way the CI is a percentile bootstrap and
// P is two-sided.
type CompareCell struct {
	CompareKey
	Direction Direction
	Paired    bool
	NBase     int     // BASE runs used
	NNew      int     // NEW runs used
	Base, New float64 // means over the runs used
	Diff      float64 // NEW − BASE
	Lo, Hi    float64 // CI of Diff

	// ProbImprovement is the probability that a NEW run beats a BASE run
	// in the metric's direction (ties count one half); NaN for a metric
	// with no direction.
	ProbImprovement float64

	P     float64 // two-sided permutation p-value
	PHolm float64 // P adjusted by Holm's procedure over all cells
	// MinP is the smallest p-value the test could give with these run
	// counts and distinct values: with too few runs no cell can survive
	// Holm's correction.
	MinP    float64
	Verdict Verdict
}

// CompareSide describes one of the two compared folders.
type CompareSide struct {
	Label       string   `json:"folder"`               // the folder, as given
	Experiment  string   `json:"experiment"`           // from the manifest or the records
	Runs        int      `json:"runs"`                 // run files read
	Day         int      `json:"day"`                  // checkpoint compared, in days completed (the largest if sweep points differ)
	Failed      int      `json:"failed"`               // runs the manifest lists as failed or pending
	CodeVersion string   `json:"code_version"`         // from the manifest; "" without one
	ConfigHash  string   `json:"config_hash"`          // from the manifest
	Sets        []string `json:"sets,omitempty"`       // --set overrides the folder was run with
	GOARCH      string   `json:"goarch,omitempty"`     // from the manifest
	GoVersion   string   `json:"go_version,omitempty"` // from the manifest
}

// ConfigDifference is a knob whose resolved value differs between the two
// folders' manifests (Point names the sweep point when there are several),
// or is set in one only ("" on the other side).
type ConfigDifference struct {
	Point string `json:"point,omitempty"`
	Key   string `json:"key"`
	Base  string `json:"base"`
	New   string `json:"new"`
}

// Comparison is the result of CompareDirs: cells in a fixed order (point,
// agent, split in the orders described at CompareOptions, then metric in
// the order of CompareOptions.Metrics).
type Comparison struct {
	Base, New CompareSide
	// Differences lists the knobs whose resolved values differ between the
	// folders' manifests, by point and key; empty when the configs agree or
	// a folder has no manifest.
	Differences []ConfigDifference
	Cells       []CompareCell
	// OnlyBase and OnlyNew list the cells with runs in one folder only;
	// they are not compared.
	OnlyBase, OnlyNew []CompareKey
	// Notes are warnings for the reader, in English, one per line.
	Notes   []string
	Options CompareOptions // as resolved, with defaults filled in
}

// ErrNothingToCompare is returned (wrapped) by CompareDirs when the two folders
// share no cell.
var ErrNothingToCompare = errors.New("no (point, agent, split, metric) cell has runs in both folders")

// compareRecords compares the checkpoint records of base and next metric by metric
// (see CompareCell for the statistics), corrects the p-values of all cells
// together with Holm's step-down procedure, and gives each cell a verdict: a
// regression if its Holm-adjusted p-value is at most opt.Alpha and it is
// worse by more than opt.MinEffect; an improvement likewise in the other
// direction.
//
// Each run contributes one value per cell: its record at the compared day
// (the first one if a run has several). NaN values are left out. It returns
// an error if opt is invalid, either side has no checkpoint records or lacks
// the requested day, or no cell has runs in both (ErrNothingToCompare).
func compareRecords(base, next *Records, opt CompareOptions) (*Comparison, error) {
	opt, infos, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	var sides [2]*cmpSide
	var dayNotes []string
	for i, r := range []*Records{base, next} {
		role := [2]string{"BASE", "NEW"}[i]
		if r == nil || len(r.Checkpoints) == 0 {
			return nil, fmt.Errorf("%s: no checkpoint records", role)
		}
		// The compared day of each point: its last checkpoint (a sweep
		// may vary the number of days), or opt.Day.
		days := make(map[string]int)
		last := -1
		for j := range r.Checkpoints {
			cp := &r.Checkpoints[j]
			if d, ok := days[cp.Point]; !ok || !opt.FixedDay && cp.Day > d {
				days[cp.Point] = cp.Day
			}
			if opt.FixedDay && cp.Day == opt.Day {
				last = opt.Day
			}
			if !opt.FixedDay {
				last = max(last, cp.Day)
			}
		}
		if last < 0 {
			return nil, fmt.Errorf("%s: no checkpoint at day %d", role, opt.Day)
		}
		if opt.FixedDay {
			for p := range days {
				days[p] = opt.Day
			}
		} else if note := pointDaysNote(role, days, last); note != "" {
			dayNotes = append(dayNotes, note)
		}
		sides[i] = newCmpSide(r, days)
		sides[i].last = last
	}
	c := &Comparison{Options: opt, Notes: dayNotes}
	for i, s := range []*CompareSide{&c.Base, &c.New} {
		r := []*Records{base, next}[i]
		s.Day = sides[i].last
		s.Runs = len(r.Runs)
		s.Experiment = r.Checkpoints[0].Experiment
	}

	// The orders of points, agents and splits.
	var points, agents, splits cmpOrder
	for _, p := range opt.Points {
		points.add(p)
	}
	for _, a := range opt.Agents {
		agents.add(a)
	}
	for _, r := range []*Records{base, next} {
		for i := range r.Checkpoints {
			cp := &r.Checkpoints[i]
			points.add(cp.Point)
			agents.add(cp.Agent)
			splits.add(cp.Split)
		}
	}
	ids := make(map[cmpStratum]bool)
	for _, s := range sides {
		for id := range s.at {
			ids[id] = true
		}
	}
	sorted := make([]cmpStratum, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.SortFunc(sorted, func(a, b cmpStratum) int {
		return cmp.Or(
			cmp.Compare(points.index[a.point], points.index[b.point]),
			cmp.Compare(agents.index[a.agent], agents.index[b.agent]),
			cmp.Compare(splits.index[a.split], splits.index[b.split]))
	})

	for _, id := range sorted {
		for _, info := range infos {
			key := CompareKey{id.point, id.agent, id.split, info.Name}
			b := sides[0].values(id, info)
			n := sides[1].values(id, info)
			switch {
			case len(b) > 0 && len(n) > 0:
				c.Cells = append(c.Cells, cmpCell(key, info.Direction, b, n, opt))
			case len(b) > 0:
				c.OnlyBase = append(c.OnlyBase, key)
			case len(n) > 0:
				c.OnlyNew = append(c.OnlyNew, key)
			}
		}
	}
	if len(c.Cells) == 0 {
		return nil, fmt.Errorf("BASE day %d vs NEW day %d, metrics %s: %w",
			c.Base.Day, c.New.Day, strings.Join(opt.Metrics, ", "), ErrNothingToCompare)
	}

	p := make([]float64, len(c.Cells))
	for i := range c.Cells {
		p[i] = c.Cells[i].P
	}
	stats.HolmAdjust(p, p)
	family, minP := 0, math.Inf(1)
	for i := range c.Cells {
		cell := &c.Cells[i]
		cell.PHolm = p[i]
		cell.Verdict = cmpVerdict(cell, opt)
		if !math.IsNaN(cell.P) {
			family++
			minP = math.Min(minP, cell.MinP)
		}
	}
	c.notes(family, minP)
	return c, nil
}

// cmpVerdict decides one cell after Holm's correction.
func cmpVerdict(c *CompareCell, opt CompareOptions) Verdict {
	if !(c.PHolm <= opt.Alpha) || !(math.Abs(c.Diff) > opt.MinEffect) {
		return VerdictNoChange
	}
	switch {
	case c.Direction == NoDirection:
		return VerdictChanged
	case c.Direction.orient(c.Diff) < 0:
		return VerdictRegression
	}
	return VerdictImprovement
}

// pointDaysNote says, when role's sweep points differ in their last
// checkpoint (a sweep of job.days), that each is compared at its own.
func pointDaysNote(role string, days map[string]int, last int) string {
	differ := false
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(days)) {
		parts = append(parts, fmt.Sprintf("%s: day %d", p, days[p]))
		differ = differ || days[p] != last
	}
	if !differ {
		return ""
	}
	return fmt.Sprintf("%s's sweep points differ in days: each is compared at its own last checkpoint (%s).", role, strings.Join(parts, ", "))
}

func (c *Comparison) notes(family int, minP float64) {
	if c.Base.Day != c.New.Day {
		c.Notes = append(c.Notes, fmt.Sprintf("BASE is compared at day %d and NEW at day %d.", c.Base.Day, c.New.Day))
	}
	if family > 0 && float64(family)*minP > c.Options.Alpha {
		c.Notes = append(c.Notes, fmt.Sprintf(
			"No cell can be significant: with these run counts the smallest possible p-value is %.2g, "+
				"and Holm over %d cells needs %.2g or less. Add seeds or compare fewer metrics.",
			minP, family, c.Options.Alpha/float64(family)))
	}
	if n, m := len(c.OnlyBase), len(c.OnlyNew); n+m > 0 {
		var ex CompareKey
		if n > 0 {
			ex = c.OnlyBase[0]
		} else {
			ex = c.OnlyNew[0]
		}
		c.Notes = append(c.Notes, fmt.Sprintf("Not compared: %d cells with runs only in BASE and %d only in NEW (e.g. %s).",
			n, m, ex.label(false)))
	}
}

// Regressions returns the cells whose verdict is a regression, in order.
func (c *Comparison) Regressions() []CompareCell { return c.withVerdict(VerdictRegression) }

// Improvements returns the cells whose verdict is an improvement, in order.
func (c *Comparison) Improvements() []CompareCell { return c.withVerdict(VerdictImprovement) }

func (c *Comparison) withVerdict(v Verdict) []CompareCell {
	var out []CompareCell
	for _, cell := range c.Cells {
		if cell.Verdict == v {
			out = append(out, cell)
		}
	}
	return out
}

// CompareDirs reads two results folders (their records, and their manifests
// if present) and compares them with compareRecords. The manifests, if opt does
// not set them, give the order of points and agents; the comparison notes
// runs a manifest lists as failed or pending and differing experiment
// names. A missing folder or one with no records is an error.
func CompareDirs(baseDir, newDir string, opt CompareOptions) (*Comparison, error) {
	if _, _, err := opt.resolve(); err != nil { // fail fast, before reading
		return nil, err
	}
	type folder struct {
		recs *Records
		man  *Manifest
	}
	dirs := [2]string{baseDir, newDir}
	roles := [2]string{"BASE", "NEW"}
	for i, dir := range dirs { // check both before reading either
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", roles[i], err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s: %s is not a folder", roles[i], dir)
		}
	}
	var f [2]folder
	for i, dir := range dirs {
		role := roles[i]
		if i == 1 && filepath.Clean(newDir) == filepath.Clean(baseDir) {
			f[1] = f[0] // one folder against itself: read it once
			break
		}
		var err error
		if f[i].recs, err = ReadDir(dir); err != nil {
			return nil, fmt.Errorf("%s: %w", role, err)
		}
		if len(f[i].recs.Checkpoints) == 0 {
			return nil, fmt.Errorf("%s: no checkpoint records in %s", role, RunPath(dir, "*"))
		}
		if f[i].man, err = ReadManifest(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", role, err)
		}
	}
	for _, x := range f {
		if x.man == nil {
			continue
		}
		if opt.Points == nil {
			opt.Points = x.man.Points
		}
		if opt.Agents == nil {
			opt.Agents = x.man.Agents
		}
	}
	c, err := compareRecords(f[0].recs, f[1].recs, opt)
	if err != nil {
		return nil, err
	}
	c.Base.Label, c.New.Label = baseDir, newDir
	var failed []string
	for i, s := range []*CompareSide{&c.Base, &c.New} {
		m := f[i].man
		if m == nil {
			continue
		}
		if m.Experiment != "" {
			s.Experiment = m.Experiment
		}
		s.CodeVersion, s.ConfigHash, s.Sets, s.GOARCH, s.GoVersion = m.CodeVersion, m.ConfigHash, m.Sets, m.GOARCH, m.GoVersion
		for _, r := range m.Runs {
			if r.Status == "failed" || r.Status == "pending" {
				s.Failed++
			}
		}
		if s.Failed > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d of %d runs failed or did not finish (see its %s).",
				roles[i], s.Failed, len(m.Runs), ManifestFile))
		}
	}
	if f[0].man != nil && f[1].man != nil {
		c.Differences = configDifferences(f[0].man, f[1].man)
	}
	if c.Base.GOARCH != "" && c.New.GOARCH != "" && c.Base.GOARCH != c.New.GOARCH {
		c.Notes = append(c.Notes, fmt.Sprintf("The folders were made on different architectures (%s, %s): records can differ in the last bits even for identical code and config.", c.Base.GOARCH, c.New.GOARCH))
	}
	if c.Base.Experiment != c.New.Experiment {
		c.Notes = append(c.Notes, fmt.Sprintf("The folders come from different experiments (%s, %s).", c.Base.Experiment, c.New.Experiment))
	}
	c.Notes = append(c.Notes, failed...)
	return c, nil
}

// configDifferences lists the knobs whose resolved values differ between
// two manifests, point by point (points in base's order, then new's), keys
// sorted. A point in one folder only is one difference with key "(point)".
func configDifferences(base, next *Manifest) []ConfigDifference {
	bp, err1 := base.ResolvedPoints()
	np, err2 := next.ResolvedPoints()
	if err1 != nil || err2 != nil {
		return nil
	}
	byLabel := func(pts []ResolvedPoint) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, p := range pts {
			m[p.Point] = p.Config
		}
		return m
	}
	bm, nm := byLabel(bp), byLabel(np)
	var labels []string
	for _, p := range bp {
		labels = append(labels, p.Point)
	}
	for _, p := range np {
		if _, ok := bm[p.Point]; !ok {
			labels = append(labels, p.Point)
		}
	}
	show := func(v any, ok bool) string {
		if !ok {
			return ""
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	multi := len(labels) > 1
	var out []ConfigDifference
	for _, label := range labels {
		point := ""
		if multi {
			point = label
		}
		b, inB := bm[label]
		n, inN := nm[label]
		if !inB || !inN {
			out = append(out, ConfigDifference{Point: point, Key: "(point)", Base: show(label, inB), New: show(label, inN)})
			continue
		}
		keys := map[string]bool{}
		for k := range b {
			keys[k] = true
		}
		for k := range n {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			bv, bok := b[k]
			nv, nok := n[k]
			if bs, ns := show(bv, bok), show(nv, nok); bs != ns {
				out = append(out, ConfigDifference{Point: point, Key: k, Base: bs, New: ns})
			}
		}
	}
	return out
}
