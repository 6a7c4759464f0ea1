package results

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/grindbench/grindbench/results/stats"
)

// cell returns the cell of the given identity, if s has one.
func (s *Summary) cell(point, split string, day int, agent, metric string) (Cell, bool) {
	return findCell(s.Cells, point, split, day, agent, metric)
}

// gap returns the generalization-gap cell of the given identity, if s has
// one.
func (s *Summary) gap(point, split string, day int, agent, metric string) (Cell, bool) {
	return findCell(s.Gaps, point, split, day, agent, metric)
}

func findCell(cells []Cell, point, split string, day int, agent, metric string) (Cell, bool) {
	for _, c := range cells {
		if c.Point == point && c.Split == split && c.Day == day && c.Agent == agent && c.Metric == metric {
			return c, true
		}
	}
	return Cell{}, false
}

// diff returns the difference of agent against any baseline in the given
// stratum and metric, if s has one.
func (s *Summary) diff(point, split string, day int, agent, metric string) (Diff, bool) {
	for _, d := range s.Diffs {
		if d.Point == point && d.Split == split && d.Day == day && d.Agent == agent && d.Metric == metric {
			return d, true
		}
	}
	return Diff{}, false
}

// lastDay returns the last checkpoint, or 0 if s has none.
func (s *Summary) lastDay() int {
	if len(s.Days) == 0 {
		return 0
	}
	return s.Days[len(s.Days)-1]
}

// lastCheckpoint, as a day, stands for each point's own last checkpoint
// (see dayAt): a sweep of job.days gives points different last days.
const lastCheckpoint = -1

// lastDayAt returns point's own last checkpoint (the last day any of its
// records has), or the last checkpoint of s if point has no records.
func (s *Summary) lastDayAt(point string) int {
	if d, ok := s.lastDays[point]; ok {
		return d
	}
	return s.lastDay()
}

// dayAt resolves day for point: lastCheckpoint is the point's own last
// checkpoint; any other day is itself.
func (s *Summary) dayAt(point string, day int) int {
	if day == lastCheckpoint {
		return s.lastDayAt(point)
	}
	return day
}

// viewDay is the day views across points read: the last checkpoint if
// every point has it as its own, else lastCheckpoint (each point's own).
func (s *Summary) viewDay() int {
	last := s.lastDay()
	for _, p := range s.Points {
		if s.lastDayAt(p) != last {
			return lastCheckpoint
		}
	}
	return last
}

// dayShort names day in a figure's title: "day 8", or "each point's last
// day".
func dayShort(day int) string {
	if day == lastCheckpoint {
		return "each point's last day"
	}
	return fmt.Sprintf("day %d", day)
}

// dayText names day in a caption: "day 8", or for lastCheckpoint each
// point's own last day, named per point.
func (s *Summary) dayText(day int) string {
	if day != lastCheckpoint {
		return fmt.Sprintf("day %d", day)
	}
	parts := make([]string, len(s.Points))
	for i, p := range s.Points {
		parts[i] = fmt.Sprintf("day %d at %s", s.lastDayAt(p), p)
	}
	return "each point's own last checkpoint (the points differ in days: " + strings.Join(parts, ", ") + ")"
}

// profileBand is a performance profile of one agent: for each threshold Tau[t],
// Band[t].Point is the fraction of runs whose Metric exceeds it, pooled
// over Splits (each run contributes the fraction of its splits above the
// threshold), and Band[t].Lo and Hi bound it pointwise (see stats.ProfileCI). N
// is the number of runs.
type profileBand struct {
	Point         string
	Day           int
	Agent, Metric string
	Splits        []string
	N             int
	Tau           []float64
	Band          []stats.Interval
}

// profile returns the performance profile of agent on metric at one point
// and day over splits, at thresholds tau, with a percentile-bootstrap band
// over runs at s.Level with s.Resamples resamples, seeded from s.Seed and
// the profile's identity. N is 0 if the agent has no values there.
func (s *Summary) profile(point string, day int, agent, metric string, splits []string, tau []float64) profileBand {
	pr := profileBand{Point: point, Day: day, Agent: agent, Metric: metric, Splits: splits, Tau: tau}
	k := slices.Index(s.Days, day)
	value := metricValue(metric)
	var runs [][]float64
	if k >= 0 {
		for _, r := range s.runs[pointAgent{point, agent}] {
			v := make([]float64, len(splits))
			for i, sp := range splits {
				v[i] = math.NaN()
				if j := slices.Index(s.Splits, sp); j >= 0 {
					v[i] = r.value(j, k, len(s.Days), value)
				}
			}
			runs = append(runs, v)
		}
	}
	seed := cellSeed(s.Seed, "profile", point, strings.Join(splits, "\x00"), day, agent, "", metric)
	pr.Band = stats.ProfileCI(nil, runs, tau, s.level(), s.resamples(), seed)
	if len(pr.Band) > 0 {
		pr.N = pr.Band[0].N
	}
	return pr
}

func (s *Summary) level() float64 {
	if s.Level == 0 {
		return defaultLevel
	}
	return s.Level
}

func (s *Summary) resamples() int {
	if s.Resamples == 0 {
		return defaultResamples
	}
	return s.Resamples
}
