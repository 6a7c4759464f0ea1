package results

import (
	"cmp"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	Label      string // the folder, as given
	Experiment string // from the manifest or the records
	Runs       int    // run files read
	Day        int    // checkpoint compared, in days completed (the largest if sweep points differ)
	Failed     int    // runs the manifest lists as failed or pending
}

// Comparison is the result of CompareDirs: cells in a fixed order (point,
// agent, split in the orders described at CompareOptions, then metric in
// the order of CompareOptions.Metrics).
type Comparison struct {
	Base, New CompareSide
	Cells     []CompareCell
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
		}
		sides[i] = newCmpSide(r, days)
		sides[i].last = last
	}
	c := &Comparison{Options: opt}
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

// cmpCell computes one cell's statistics, before Holm's correction.
// b and n are sorted by seed.
func cmpCell(key CompareKey, dir Direction, b, n []cmpValue, opt CompareOptions) CompareCell {
	c := CompareCell{CompareKey: key, Direction: dir}
	ciSeed := cmpSeed(opt.Seed, "ci", key)
	testSeed := cmpSeed(opt.Seed, "test", key)

	var x, y []float64 // NEW, BASE values used
	pb, pn := cmpPairs(b, n)
	c.Paired = len(pb) > 0 && (len(pb) == len(b) || len(pn) == len(n))
	if c.Paired {
		x, y = pn, pb
		d := make([]float64, len(x))
		for i := range x {
			d[i] = x[i] - y[i]
		}
		ci := stats.BootstrapCI(d, stats.Mean, opt.Level, opt.Resamples, ciSeed)
		c.Diff, c.Lo, c.Hi = ci.Point, ci.Lo, ci.Hi
		c.P = stats.SignFlipTest(d, opt.Permutations, testSeed)
		c.MinP = stats.MinSignFlipP(len(d), opt.Permutations)
	} else {
		x, y = cmpValues(n), cmpValues(b)
		ci := stats.UnpairedDiff(x, y, opt.Level, opt.Resamples, ciSeed)
		c.Diff, c.Lo, c.Hi = ci.Point, ci.Lo, ci.Hi
		c.P = stats.PermutationTest(x, y, opt.Permutations, testSeed)
		c.MinP = stats.MinPermutationP(len(x), len(y), opt.Permutations)
	}
	c.NNew, c.NBase = len(x), len(y)
	c.New, c.Base = stats.Mean(x), stats.Mean(y)
	switch dir {
	case HigherIsBetter:
		c.ProbImprovement = stats.ProbImprovement(x, y)
	case LowerIsBetter:
		c.ProbImprovement = stats.ProbImprovement(y, x)
	default:
		c.ProbImprovement = math.NaN()
	}
	return c
}

// cmpSeed keys a cell's random stream: FNV-1a of the seed, the purpose
// and the cell's identity.
func cmpSeed(seed uint64, purpose string, k CompareKey) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	for _, f := range []string{"compare", purpose, k.Point, k.Agent, k.Split, k.Metric} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// cmpOrder numbers strings in order of first addition.
type cmpOrder struct {
	index map[string]int
}

func (o *cmpOrder) add(s string) {
	if o.index == nil {
		o.index = make(map[string]int)
	}
	if _, ok := o.index[s]; !ok {
		o.index[s] = len(o.index)
	}
}

// cmpStratum is a (point, agent, split) cell before the metric.
type cmpStratum struct{ point, agent, split string }

// cmpRunSplit is one run's split.
type cmpRunSplit struct {
	cmpStratum
	seed int
}

// cmpValue is one run's value in a cell.
type cmpValue struct {
	seed int
	v    float64
}

// cmpSide holds one folder's records at the compared day.
type cmpSide struct {
	day  map[string]int               // point -> compared day
	last int                          // the largest compared day
	at   map[cmpStratum][]*Checkpoint // records at day, sorted by seed, one per seed
	// before holds each run split's records before its compared day, in
	// record order, for forgetting.
	before map[cmpRunSplit][]*Checkpoint
}

func newCmpSide(r *Records, day map[string]int) *cmpSide {
	s := &cmpSide{day: day, at: make(map[cmpStratum][]*Checkpoint), before: make(map[cmpRunSplit][]*Checkpoint)}
	seen := make(map[cmpRunSplit]bool)
	for i := range r.Checkpoints {
		c := &r.Checkpoints[i]
		id := cmpStratum{c.Point, c.Agent, c.Split}
		rs := cmpRunSplit{id, c.Seed}
		switch d := day[c.Point]; {
		case c.Day == d && !seen[rs]:
			seen[rs] = true
			s.at[id] = append(s.at[id], c)
		case c.Day < d:
			s.before[rs] = append(s.before[rs], c)
		}
	}
	for _, cs := range s.at {
		slices.SortFunc(cs, func(a, b *Checkpoint) int { return cmp.Compare(a.Seed, b.Seed) })
	}
	return s
}

// values returns the non-NaN values of metric m in stratum id, by seed. A
// derived metric (forgetting) is the best value of its column at an
// earlier checkpoint of the run split minus the value now; a run split
// with no earlier value has none.
func (s *cmpSide) values(id cmpStratum, m Metric) []cmpValue {
	value := m.Value
	if value == nil {
		value = metricValue(m.ForgettingOf)
	}
	var out []cmpValue
	for _, c := range s.at[id] {
		v := value(c)
		if m.Value == nil {
			var best float64
			ok := false
			for _, e := range s.before[cmpRunSplit{id, c.Seed}] {
				if x := value(e); !math.IsNaN(x) && (!ok || x > best) {
					best, ok = x, true
				}
			}
			if !ok {
				continue
			}
			v = best - v
		}
		if !math.IsNaN(v) {
			out = append(out, cmpValue{c.Seed, v})
		}
	}
	return out
}

// cmpPairs returns the values of b and n at the seeds present in both,
// which are sorted by seed.
func cmpPairs(b, n []cmpValue) (vb, vn []float64) {
	i, j := 0, 0
	for i < len(b) && j < len(n) {
		switch {
		case b[i].seed < n[j].seed:
			i++
		case b[i].seed > n[j].seed:
			j++
		default:
			vb = append(vb, b[i].v)
			vn = append(vn, n[j].v)
			i++
			j++
		}
	}
	return vb, vn
}

func cmpValues(s []cmpValue) []float64 {
	v := make([]float64, len(s))
	for i := range s {
		v[i] = s[i].v
	}
	return v
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
	if c.Base.Experiment != c.New.Experiment {
		c.Notes = append(c.Notes, fmt.Sprintf("The folders come from different experiments (%s, %s).", c.Base.Experiment, c.New.Experiment))
	}
	c.Notes = append(c.Notes, failed...)
	return c, nil
}

// Output.

// label names a key for the summary line: agent split metric, with the
// point first when it is not "default" or all is set.
func (k CompareKey) label(all bool) string {
	s := k.Agent + " " + k.Split + " " + k.Metric
	if all || k.Point != "default" {
		s = k.Point + " " + s
	}
	return s
}

// multiPoint reports whether the output needs a point column.
func (c *Comparison) multiPoint() bool {
	for _, cell := range c.Cells {
		if cell.Point != c.Cells[0].Point || cell.Point != "default" {
			return true
		}
	}
	return false
}

// table returns the comparison as a table, one row per cell in order:
// point (only if there is more than one point or it is not "default"),
// agent, split, metric, runs ("N pairs" or "N vs M"), base and new means,
// diff [CI], PI, p (Holm) and verdict. markdown bolds regressions.
func (c *Comparison) table(markdown bool) *table {
	t := &table{}
	points := c.multiPoint()
	if points {
		t.Header = append(t.Header, "point")
	}
	t.Header = append(t.Header, "agent", "split", "metric", "runs", "base", "new", "diff [CI]", "PI", "p (Holm)", "verdict")
	for _, cell := range c.Cells {
		var row []string
		if points {
			row = append(row, cell.Point)
		}
		runs := fmt.Sprintf("%d vs %d", cell.NBase, cell.NNew)
		if cell.Paired {
			runs = fmt.Sprintf("%d pairs", cell.NNew)
		}
		v := string(cell.Verdict)
		if markdown && cell.Verdict == VerdictRegression {
			v = "**" + v + "**"
		}
		row = append(row, cell.Agent, cell.Split, cell.Metric, runs,
			fmt.Sprintf("%.3f", cell.Base), fmt.Sprintf("%.3f", cell.New),
			fmt.Sprintf("%+.3f [%+.3f, %+.3f]", cell.Diff, cell.Lo, cell.Hi),
			cmpFormatPI(cell.ProbImprovement), cmpFormatP(cell.PHolm), v)
		t.Rows = append(t.Rows, row)
	}
	return t
}

func cmpFormatPI(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return fmt.Sprintf("%.2f", p)
}

func cmpFormatP(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// method returns one paragraph stating how every number was computed.
func (c *Comparison) method() string {
	o := c.Options
	paired := 0
	for _, cell := range c.Cells {
		if cell.Paired {
			paired++
		}
	}
	return fmt.Sprintf("diff = NEW − BASE of the mean over runs at the compared checkpoint, "+
		"paired by seed where the same runs exist in both folders (%d of %d cells), else unpaired; "+
		"%s%% percentile-bootstrap CI (%d resamples; pairs resampled when paired, each side independently otherwise). "+
		"PI: probability that a NEW run beats a BASE run in the metric's direction. "+
		"p: two-sided sign-flip test (paired) or permutation test of the difference of means (unpaired), "+
		"exact up to %d relabellings, else %d seeded random ones; Holm-adjusted over all %d cells. "+
		"A cell is a regression (improvement) if p (Holm) <= %g and it is worse (better) by more than %g.",
		paired, len(c.Cells), levelPercent(o.Level), o.Resamples, o.Permutations, o.Permutations,
		len(c.Cells), o.Alpha, o.MinEffect)
}

// summary returns the one-line verdict, e.g. "2 regressions: rlvr inspan
// success_greedy -0.120, rlvr train success_greedy -0.300; no improvements;
// 190 of 192 cells no change." At most ten cells are named per verdict.
func (c *Comparison) summary() string {
	all := c.multiPoint()
	list := func(v Verdict, one, many string) string {
		cells := c.withVerdict(v)
		switch len(cells) {
		case 0:
			return "no " + many
		}
		word := many
		if len(cells) == 1 {
			word = one
		}
		var names []string
		for i, cell := range cells {
			if i == 10 {
				names = append(names, fmt.Sprintf("and %d more", len(cells)-10))
				break
			}
			names = append(names, fmt.Sprintf("%s %+.3f", cell.label(all), cell.Diff))
		}
		return fmt.Sprintf("%d %s: %s", len(cells), word, strings.Join(names, ", "))
	}
	parts := []string{
		list(VerdictRegression, "regression", "regressions"),
		list(VerdictImprovement, "improvement", "improvements"),
	}
	if n := len(c.withVerdict(VerdictChanged)); n > 0 {
		parts = append(parts, list(VerdictChanged, "change in a metric with no direction", "changes in metrics with no direction"))
	}
	parts = append(parts, fmt.Sprintf("%d of %d cells no change", len(c.withVerdict(VerdictNoChange)), len(c.Cells)))
	return strings.Join(parts, "; ") + "."
}

func (s CompareSide) describe(markdown bool) string {
	label := s.Label
	if label == "" {
		label = "(records)"
	}
	if markdown {
		label = "`" + label + "`"
	}
	d := fmt.Sprintf("%s (%s, %d runs, day %d", label, s.Experiment, s.Runs, s.Day)
	if s.Failed > 0 {
		d += fmt.Sprintf(", %d failed", s.Failed)
	}
	return d + ")"
}

// Write writes the comparison in a format:
//
//   - "markdown", for a pull request: a heading, the two folders, the
//     method, the table, the summary line and any notes;
//   - "text", for a terminal: the same with a box-drawn table;
//   - "csv", for machines: one row per cell with every field, floats with
//     six significant digits.
func (c *Comparison) Write(w io.Writer, format string) error {
	switch format {
	case FormatCSV:
		return c.writeCSV(w)
	case FormatMarkdown, FormatText:
	default:
		return fmt.Errorf("results: unknown comparison format %q (want markdown, text or csv)", format)
	}
	md := format == FormatMarkdown
	var b strings.Builder
	if md {
		b.WriteString("### grind compare\n\n")
	}
	fmt.Fprintf(&b, "BASE %s vs NEW %s.\n\n", c.Base.describe(md), c.New.describe(md))
	b.WriteString(c.method() + "\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := c.table(md).Write(w, format); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("\n")
	if md {
		b.WriteString("**Summary:** ")
	}
	b.WriteString(c.summary() + "\n")
	for _, n := range c.Notes {
		if md {
			b.WriteString("\n> " + n + "\n")
		} else {
			b.WriteString("Note: " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// compareCSVHeader is the header row of a comparison's CSV.
var compareCSVHeader = []string{
	"point", "agent", "split", "metric", "direction", "paired", "n_base", "n_new",
	"base", "new", "diff", "lo", "hi", "level", "prob_improvement", "p", "p_holm", "verdict",
}

func (c *Comparison) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(compareCSVHeader); err != nil {
		return err
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, cell := range c.Cells {
		err := cw.Write([]string{
			cell.Point, cell.Agent, cell.Split, cell.Metric, cell.Direction.String(),
			strconv.FormatBool(cell.Paired), strconv.Itoa(cell.NBase), strconv.Itoa(cell.NNew),
			g(cell.Base), g(cell.New), g(cell.Diff), g(cell.Lo), g(cell.Hi), g(c.Options.Level),
			g(cell.ProbImprovement), g(cell.P), g(cell.PHolm), string(cell.Verdict),
		})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
