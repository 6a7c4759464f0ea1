package results

import (
	"math"
	"slices"
	"strconv"

	"github.com/grindbench/grindbench/results/stats"
)

// sessionPoint aggregates the true success of one agent's real attempts in
// one bin of task slots of one session, over runs: each run contributes the
// mean success of its attempts in the bin (every rollout of every slot), and
// IQM, Lo and Hi are the IQM over runs and its percentile-bootstrap CI.
//
// X places the bin in the job, in days: day d's sessions fill [d-1, d), in
// equal parts, and the bin sits at the middle of its slots, so checkpoint d
// (the end of day d) is at X = d.
type sessionPoint struct {
	Point, Agent   string
	Day, Session   int
	SlotLo, SlotHi int // the bin's slots, [SlotLo, SlotHi)
	X              float64
	N              int
	Mean, Median   float64
	IQM, Lo, Hi    float64
}

// sessionSummary is the within-session learning curve of every agent: true
// success per real attempt, as recorded online (never shown to the agent).
// Points are ordered by point, agent (in the order of Agents), day,
// session and slot.
type sessionSummary struct {
	Points []sessionPoint
	Agents []string
	// Per sweep point: sessions per day, task slots per session and slots
	// per bin, as found in the records.
	Sessions, Slots, Bin map[string]int
	Level                float64
	Resamples            int
}

// summarizeAttempts aggregates Attempt records into within-session
// learning curves. bin is the number of task slots per bin; if it is 0 a
// session is cut into 8 bins (at least one slot each). Each (point, agent,
// day, session, bin) is a stratum; a run's value there is the mean Success
// of its attempts in it; summarize's options give the agent order, level,
// resamples and seed. It returns nil if there are no attempts.
func summarizeAttempts(atts []Attempt, opt summaryOptions, bin int) *sessionSummary {
	if len(atts) == 0 {
		return nil
	}
	opt = opt.withDefaults()
	checkBootstrap(opt.Level, opt.Resamples)
	ss := &sessionSummary{
		Sessions: map[string]int{}, Slots: map[string]int{}, Bin: map[string]int{},
		Level: opt.Level, Resamples: opt.Resamples,
	}
	agentIdx := map[string]int{}
	var points []string
	for _, a := range opt.Agents {
		if _, ok := agentIdx[a]; !ok {
			agentIdx[a] = len(ss.Agents)
			ss.Agents = append(ss.Agents, a)
		}
	}
	for i := range atts {
		a := &atts[i]
		if _, ok := agentIdx[a.Agent]; !ok {
			agentIdx[a.Agent] = len(ss.Agents)
			ss.Agents = append(ss.Agents, a.Agent)
		}
		if _, ok := ss.Slots[a.Point]; !ok {
			points = append(points, a.Point)
		}
		ss.Slots[a.Point] = max(ss.Slots[a.Point], a.Slot+1)
		ss.Sessions[a.Point] = max(ss.Sessions[a.Point], a.Session+1)
	}
	for _, p := range points {
		b := bin
		if b <= 0 {
			b = max(1, (ss.Slots[p]+7)/8)
		}
		ss.Bin[p] = b
	}

	type key struct {
		point, agent      int
		day, session, bin int
	}
	type runKey struct {
		key
		seed int
	}
	type acc struct {
		sum float64
		n   int
	}
	pointIdx := map[string]int{}
	for i, p := range points {
		pointIdx[p] = i
	}
	sums := map[runKey]*acc{}
	for i := range atts {
		a := &atts[i]
		if math.IsNaN(a.Success) {
			continue
		}
		k := runKey{key{pointIdx[a.Point], agentIdx[a.Agent], a.Day, a.Session, a.Slot / ss.Bin[a.Point]}, a.Seed}
		s := sums[k]
		if s == nil {
			s = &acc{}
			sums[k] = s
		}
		s.sum += a.Success
		s.n += max(1, a.folded) // Success of a folded attempt is a sum
	}
	// Per stratum, the runs' values in seed order.
	type run struct {
		seed int
		v    float64
	}
	strata := map[key][]run{}
	for k, s := range sums {
		strata[k.key] = append(strata[k.key], run{k.seed, s.sum / float64(s.n)})
	}
	keys := make([]key, 0, len(strata))
	for k := range strata {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return slices.Compare([]int{a.point, a.agent, a.day, a.session, a.bin}, []int{b.point, b.agent, b.day, b.session, b.bin})
	})
	var tasks []func()
	for _, k := range keys {
		runs := strata[k]
		slices.SortFunc(runs, func(a, b run) int { return a.seed - b.seed })
		vals := make([]float64, len(runs))
		for i, r := range runs {
			vals[i] = r.v
		}
		point := points[k.point]
		b, slots, sessions := ss.Bin[point], ss.Slots[point], ss.Sessions[point]
		lo, hi := k.bin*b, min((k.bin+1)*b, slots)
		i := len(ss.Points)
		ss.Points = append(ss.Points, sessionPoint{
			Point: point, Agent: ss.Agents[k.agent], Day: k.day, Session: k.session,
			SlotLo: lo, SlotHi: hi,
			X:    float64(k.day-1) + (float64(k.session)+float64(lo+hi)/2/float64(slots))/float64(sessions),
			N:    len(vals),
			Mean: stats.Mean(vals), Median: stats.Median(vals),
		})
		seed := cellSeed(opt.Seed, "session", point, strconv.Itoa(k.session)+"/"+strconv.Itoa(k.bin), k.day, ss.Agents[k.agent], "", "success")
		tasks = append(tasks, func() {
			ci := stats.BootstrapCI(vals, stats.IQM, opt.Level, opt.Resamples, seed)
			ss.Points[i].IQM, ss.Points[i].Lo, ss.Points[i].Hi = ci.Point, ci.Lo, ci.Hi
		})
	}
	parallelDo(opt.Workers, tasks)
	return ss
}
