package results

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"

	"github.com/grindbench/grindbench/results/stats"
)

// This file reads each compared cell's values from the two folders' runs
// and computes its statistics (package stats does the arithmetic).

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
