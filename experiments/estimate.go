package experiments

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// Estimate is what a config will cost, worked out at validation from its
// knobs, one sample task per split and the models it builds: an estimate
// (an upper bound within a small factor, since every attempt is counted at
// its task's full length), not a measurement. The max_steps,
// max_record_bytes, max_memory and max_draws knobs bound it.
type Estimate struct {
	Runs int
	// Steps is the environment steps of the whole sweep: pretraining and
	// the base model's figures once per (point, seed), and per run the
	// job's attempts, the attempts mechanisms make through the harness and
	// every checkpoint's evaluation (greedy and sampled).
	Steps float64
	// RecordBytes is the size of every run's record file together.
	RecordBytes float64
	// RunMemory is the peak memory of the largest run beyond the program's
	// own: its world's tasks, its models, its session log and buffers.
	// Records are streamed to disk, so it does not grow with them.
	RunMemory float64
	// OutputMemory is the peak memory of building the outputs: every run's
	// checkpoint records and its attempts folded per task slot.
	OutputMemory float64
	// Draws is the bootstrap draws the summary makes (resamples x runs in
	// every cell of every summarized metric, split and checkpoint).
	Draws float64

	// the largest term of each figure, for messages
	steps, records, memory, draws term
}

// String writes the estimate on one line, as grind validate prints it.
func (e Estimate) String() string {
	return fmt.Sprintf("%s environment steps, %s of records (JSON lines before compression), peak memory %s per run and %s building the outputs, %s bootstrap draws",
		fmtCount(e.Steps), fmtBytes(e.RecordBytes), fmtBytes(e.RunMemory), fmtBytes(e.OutputMemory), fmtCount(e.Draws))
}

// fmtCount writes a count with three significant digits: 1.23e+09, 4500.
func fmtCount(x float64) string {
	if x < 1e6 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3g", x)
}

// fmtBytes writes a size in B, kB, MB, GB or TB (powers of 1000).
func fmtBytes(x float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for x >= 1000 && i < len(units)-1 {
		x /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", x)
	}
	return fmt.Sprintf("%.3g %s", x, units[i])
}

// term is one part of an estimate: its size, what it is, and the knobs
// that drive it (key locates the message; fix says what to lower).
type term struct {
	v   float64
	why string
	key string
	fix string
}

// largest returns the largest of terms.
func largest(terms ...term) term {
	best := terms[0]
	for _, t := range terms[1:] {
		if t.v > best.v {
			best = t
		}
	}
	return best
}

// pointCost is what one sweep point costs.
type pointCost struct {
	perSeed             term   // pretraining and the base model's figures, once per seed
	runSteps            []term // per agent: the largest term of its run
	runStepsTotal       []float64
	recordBytes         []float64 // per agent
	recordWhy           []term
	runMemory           []term // per agent
	checkpoints, folded float64
}

// estimate works out exp's cost. fams holds the family of each point,
// built at seed 0 by validation.
func estimate(exp *Experiment, fams []envs.Family) (Estimate, error) {
	var e Estimate
	var steps, records, memory, draws []term
	var outRecords float64
	for i := range exp.Points {
		p := &exp.Points[i]
		c := &p.Config
		// Optional columns count only where the config records them.
		summarized := 0
		for _, m := range results.Metrics() {
			if m.Summarized && (!m.Optional || recordsOptional(c, m.Name)) {
				summarized++
			}
		}
		pc, err := costOf(p, fams[i])
		if err != nil {
			return e, fmt.Errorf("sweep point %s: %w", p.Label, err)
		}
		seeds := float64(c.Seeds)
		e.Runs += c.Seeds * len(c.Agents)
		e.Steps += seeds * pc.perSeed.v
		steps = append(steps, pc.perSeed)
		for a := range c.Agents {
			e.Steps += seeds * pc.runStepsTotal[a]
			steps = append(steps, pc.runSteps[a])
			e.RecordBytes += seeds * pc.recordBytes[a]
			records = append(records, pc.recordWhy[a])
			memory = append(memory, pc.runMemory[a])
			e.RunMemory = max(e.RunMemory, pc.runMemory[a].v)
		}
		runs := seeds * float64(len(c.Agents))
		outRecords += runs * (pc.checkpoints*float64(unsafe.Sizeof(results.Checkpoint{})) + pc.folded*float64(unsafe.Sizeof(results.Attempt{})))
		cells := pc.checkpoints * float64(summarized) * 3 // cells, paired differences, probabilities of improvement and the like
		d := float64(c.Report.Resamples) * runs * cells
		e.Draws += d
		draws = append(draws, term{d, fmt.Sprintf("report.resamples = %d x %s runs x %s checkpoint records per run x %d metrics x ~3 statistics",
			c.Report.Resamples, fmtCount(runs), fmtCount(pc.checkpoints), summarized), "report.resamples", "lower report.resamples"})
	}
	// Building the outputs holds every record once, with about as much
	// again in passing while files are decoded and cells summarized.
	e.OutputMemory = 2 * outRecords
	memory = append(memory, term{e.OutputMemory, "building the outputs holds every run's checkpoint records (one per checkpoint and split) and its attempts folded per task slot",
		"job", "use fewer runs, or lower job.days, job.sessions or job.tasks"})
	e.steps, e.records, e.memory, e.draws = largest(steps...), largest(records...), largest(memory...), largest(draws...)
	return e, nil
}

// optionalRecordedBy says, for each optional metric of the metric table,
// whether a config's records hold it: pass@k's coverage with
// eval.passk_samples, the distances from the base with eval.distance, the
// dream columns where an agent dreams. TestOptionalMetricsHaveARule keeps it
// in step with results.Metrics.
var optionalRecordedBy = map[string]func(*Config) bool{
	"coverage":            func(c *Config) bool { return c.Eval.PassKSamples > 0 },
	"kl_base_current":     distanceOn,
	"kl_current_base":     distanceOn,
	"kl_base_current_job": distanceOn,
	"kl_current_base_job": distanceOn,
	"l2_from_base":        distanceOn,
	"l2_shared":           distanceOn,
	"l2_memorizing":       distanceOn,
	"dream_reward":        dreams,
	"dream_success":       dreams,
	"dream_disagreement":  dreams,
	"dream_gap":           dreams,
}

func distanceOn(c *Config) bool { return c.Eval.Distance }

func dreams(c *Config) bool {
	return slices.ContainsFunc(c.Agents, func(a agents.Config) bool { return slices.Contains(a.Mechanisms, "dream") })
}

// recordsOptional reports whether config c's records hold the optional
// metric name.
func recordsOptional(c *Config, name string) bool {
	rule, ok := optionalRecordedBy[name]
	return ok && rule(c)
}

// costOf works out one point's cost per seed and per agent's run.
func costOf(p *Point, fam envs.Family) (*pointCost, error) {
	c := &p.Config
	spec := fam.Spec()
	splits := fam.Splits()
	if len(c.Eval.Splits) > 0 {
		splits = c.Eval.Splits
	}
	type splitCost struct {
		name  string
		n     float64 // tasks evaluated
		steps float64 // per task
		bytes float64 // per task held in memory
	}
	sample := func(split string) (splitCost, error) {
		t, err := fam.Task(split, 0)
		if err != nil {
			return splitCost{}, err
		}
		n := c.Eval.Tasks
		if ps := fam.PoolSize(split); ps > 0 {
			n = min(n, ps)
		}
		return splitCost{split, float64(n), float64(t.Len), float64(deepSize(reflect.ValueOf(t), map[uintptr]bool{}))}, nil
	}
	var evalSteps, evalBytes, evalTasks float64
	var widest splitCost
	for _, s := range splits {
		sc, err := sample(s)
		if err != nil {
			return nil, err
		}
		evalSteps += sc.n * sc.steps
		evalBytes += sc.n * sc.bytes
		evalTasks += sc.n
		if len(s) > len(widest.name) {
			widest = sc
		}
	}
	train, err := sample(envs.SplitTrain)
	if err != nil {
		return nil, err
	}
	if ph, ok := fam.(envs.Phased); ok && len(c.Job.PhaseDays) > 0 {
		// A drifting job evaluates each phase's group, and the unverified
		// ones again together: tasks like the train split's.
		k := len(c.Job.PhaseDays)
		n := float64(min(c.Eval.Tasks, ph.PhasePool(k)))
		extra := float64(k + len(c.Job.UnverifiedPhases))
		evalSteps += extra * n * train.steps
		evalBytes += extra * n * train.bytes
		evalTasks += extra * n
		splits = append(slices.Clone(splits), make([]string, k)...)
		if len(c.Job.UnverifiedPhases) > 0 {
			splits = append(splits, envs.SplitUnverified)
		}
	}
	pool := float64(fam.PoolSize(envs.SplitTrain))
	if pool == 0 {
		pool = float64(c.Eval.Tasks)
	}
	pre, err := fam.Task(envs.SplitPretrain, envs.PrivateIndex)
	if err != nil {
		return nil, err
	}
	days, sessions, tasks, group := float64(c.Job.Days), float64(c.Job.Sessions), float64(c.Job.Tasks), float64(c.Env.Grind.GroupSize)
	// Every retry is one more group at the slot's instance: at most
	// 1 + retries groups per slot (fewer when a pass or the day's budget
	// stops them), so the estimate is an upper bound.
	group *= float64(1 + c.Env.Grind.Retries)
	checkpoints := days + 1

	pc := &pointCost{checkpoints: checkpoints * float64(len(splits))}
	if c.Job.RecordAttempts {
		pc.folded = days * sessions * tasks
	}
	// Pretraining, once per distinct base; the base's figures.
	bases := map[string]bool{}
	for _, a := range c.Agents {
		k, err := agents.PretrainKey(a.Policy)
		if err != nil {
			return nil, err
		}
		bases[k] = true
	}
	preSteps := float64(len(bases)) * float64(c.Pretrain.Tasks) * float64(pre.Len)
	pc.perSeed = term{preSteps + evalSteps + min(pool, float64(c.Eval.Tasks))*train.steps,
		fmt.Sprintf("pretraining at each seed: %d base models x pretrain.tasks = %d x %d steps", len(bases), c.Pretrain.Tasks, pre.Len), "pretrain.tasks", "lower pretrain.tasks"}

	jobSteps := days * sessions * tasks * group * train.steps
	// A greedy and a sampled attempt per task, and with the optional
	// measures their own sampled attempts (pass@k's n, one for the
	// distance from the base, and one on each of the job's tasks).
	perTask, perTaskText := 2.0, "2 (greedy, sampled)"
	passKCheckpoints := checkpoints
	if len(c.Eval.PassKDays) > 0 {
		passKCheckpoints = 0
		for _, d := range c.Eval.PassKDays {
			passKCheckpoints += b2f(d <= c.Job.Days)
		}
	}
	if c.Eval.PassKSamples > 0 || c.Eval.Distance {
		perTask += float64(c.Eval.PassKSamples)*passKCheckpoints/checkpoints + b2f(c.Eval.Distance)
		perTaskText = fmt.Sprintf("%.0f on average (greedy, sampled, eval.passk_samples = %d at %.0f checkpoints, eval.distance = %t)", perTask, c.Eval.PassKSamples, passKCheckpoints, c.Eval.Distance)
	}
	cpSteps := checkpoints * evalSteps * perTask
	if c.Eval.Distance {
		cpSteps += checkpoints * min(pool, float64(c.Eval.Tasks)) * train.steps
	}
	lastSeed := c.SeedBase + c.Seeds - 1
	header := results.Header{Schema: results.SchemaVersion, Experiment: c.Experiment, Config: results.ConfigID(strings.Repeat("f", 64)),
		Point: p.Label, Family: c.Env.Family, Seed: lastSeed, Day: c.Job.Days}
	worldBytes := evalBytes + pool*train.bytes
	if !c.Env.Grind.Resets {
		worldBytes += tasks * train.bytes // a session's fresh instances
	}
	for _, acfg := range c.Agents {
		header.Agent, header.Run = acfg.Name, RunKey(p.Label, acfg.Name, lastSeed)
		harness := 0.0
		for _, m := range acfg.Mechanisms {
			if h, ok := acfg.Knobs[m].(interface{ HarnessAttempts() int }); ok {
				harness += float64(h.HarnessAttempts()) * train.steps
			}
		}
		runs := fmt.Sprintf(" in each of its %d runs", c.Seeds)
		run := []term{
			{jobSteps, fmt.Sprintf("agent %s's job%s: job.days = %d x job.sessions = %d x job.tasks = %d x group_size = %d x (1 + retries = %d) attempts of %.0f steps",
				acfg.Name, runs, c.Job.Days, c.Job.Sessions, c.Job.Tasks, c.Env.Grind.GroupSize, c.Env.Grind.Retries, train.steps), "job", "lower job.days, job.sessions, job.tasks, env.grind.group_size or env.grind.retries"},
			{cpSteps, fmt.Sprintf("checkpoints%s: %.0f checkpoints x %d splits x up to eval.tasks = %d tasks x %s, %s steps",
				runs, checkpoints, len(splits), c.Eval.Tasks, perTaskText, fmtCount(cpSteps)), "eval.tasks", "lower eval.tasks or evaluate fewer eval.splits"},
			{harness, fmt.Sprintf("agent %s's mechanisms' attempts through the harness%s, %s steps", acfg.Name, runs, fmtCount(harness)), "agent." + acfg.Name,
				"lower the attempts or candidates of agent " + acfg.Name + "'s mechanisms"},
		}
		pc.runStepsTotal = append(pc.runStepsTotal, jobSteps+cpSteps+harness)
		pc.runSteps = append(pc.runSteps, largest(run...))

		cp, att, err := recordSizes(header, widest.name, c, pool, train.steps)
		if err != nil {
			return nil, err
		}
		attempts := 0.0
		if c.Job.RecordAttempts {
			attempts = days * sessions * tasks * group
		}
		bytes := 2*cp + pc.checkpoints*cp + attempts*att
		pc.recordBytes = append(pc.recordBytes, bytes)
		why := term{bytes, fmt.Sprintf("%s per run: %s checkpoint records of ~%.0f bytes (job.days + 1 checkpoints x splits)", fmtBytes(bytes), fmtCount(pc.checkpoints), cp),
			"job.days", "lower job.days or evaluate fewer eval.splits"}
		if attempts*att > pc.checkpoints*cp {
			why = term{bytes, fmt.Sprintf("%s per run: %s attempt records of ~%.0f bytes (job.days x job.sessions x job.tasks x group_size)", fmtBytes(bytes), fmtCount(attempts), att),
				"job", "set job.record_attempts = false, or lower job.days, job.sessions or job.tasks"}
		}
		pc.recordWhy = append(pc.recordWhy, why)

		mem, err := agentMemory(spec, acfg, len(bases), tasks*group*train.steps)
		if err != nil {
			return nil, err
		}
		memWhy := term{worldBytes + mem, fmt.Sprintf("a run holds its world's tasks: %s evaluation tasks and a pool of %.0f, about %s", fmtCount(evalTasks), pool, fmtBytes(worldBytes)),
			"eval.tasks", "lower eval.tasks"}
		if mem > worldBytes {
			memWhy.why = fmt.Sprintf("a run holds its models and its session log (job.tasks x group_size attempts of %.0f steps), about %s", train.steps, fmtBytes(mem))
			memWhy.key, memWhy.fix = "job.tasks", "lower job.tasks or the policy model's size"
		}
		pc.runMemory = append(pc.runMemory, memWhy)
	}
	return pc, nil
}

// recordSizes returns the bytes of a checkpoint and of an attempt record
// of header, with every index at its largest and every fraction written at
// full length.
func recordSizes(h results.Header, split string, c *Config, pool, steps float64) (checkpoint, attempt float64, err error) {
	const long = 0.12345678901234568 // 17 significant digits, as JSON writes most fractions
	h.Kind = results.KindCheckpoint
	cp := results.Checkpoint{Header: h, Split: split, Tasks: 1000000, SuccessGreedy: long, ScoreGreedy: long, StepAccGreedy: long,
		SuccessSampled: long, ScoreSampled: long, StepAccSampled: long, VerdictReward: long, VerdictCovered: long,
		SharedMass: 1000 + long, MemorizingMass: 1000 + long, Temperature: long, Attempts: 1e12, EnvSteps: 1e12, VerifierCalls: 1e12, GradSteps: 1e12}
	h.Kind = results.KindAttempt
	at := results.Attempt{Header: h, Session: c.Job.Sessions - 1, Slot: c.Job.Tasks - 1, Member: c.Env.Grind.GroupSize - 1,
		Task: int(pool) - 1, Success: 1, Score: long, Verdict: "none"}
	if c.Env.Grind.Clocked() {
		at.Retry, at.Time = c.Env.Grind.Retries, 1e6+long
		if c.Env.Grind.Granularity == envs.GranularityStep {
			at.StepVerdicts = strings.Repeat("p", int(steps))
		}
	}
	b1, err := json.Marshal(&cp)
	if err != nil {
		return 0, 0, err
	}
	b2, err := json.Marshal(&at)
	if err != nil {
		return 0, 0, err
	}
	return float64(len(b1) + 1), float64(len(b2) + 1), nil
}

// agentMemory is the memory of one run's agent: its bases (pretrained per
// distinct model at the run's seed), its weights with their base, context
// and gradient scratch, and its session log of logSteps steps.
func agentMemory(spec envs.Spec, acfg agents.Config, bases int, logSteps float64) (float64, error) {
	m, err := agents.NewModel(spec, acfg.Policy, 0)
	if err != nil {
		return 0, err
	}
	params := float64(len(m.Params())) * 8
	a, err := agents.New(acfg, m, 0)
	if err != nil {
		return 0, err
	}
	mem := float64(bases+4) * params
	if a.Log != nil {
		perStep := float64(spec.DenseSize()+len(spec.Indices())+1) * 8
		mem += logSteps * perStep
	}
	return mem + 64<<10, nil // and the record encoder's buffer
}

// deepSize is the memory v holds: its own size and everything it points
// to, each pointer counted once.
func deepSize(v reflect.Value, seen map[uintptr]bool) uintptr {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return v.Type().Size()
		}
		seen[v.Pointer()] = true
		return v.Type().Size() + deepSize(v.Elem(), seen)
	case reflect.Interface:
		if v.IsNil() {
			return v.Type().Size()
		}
		e := v.Elem()
		return v.Type().Size() + deepSize(e, seen)
	case reflect.Slice:
		if v.IsNil() || seen[v.Pointer()] {
			return v.Type().Size()
		}
		seen[v.Pointer()] = true
		n := v.Type().Size() + uintptr(v.Cap()-v.Len())*v.Type().Elem().Size()
		for i := range v.Len() {
			n += deepSize(v.Index(i), seen)
		}
		return n
	case reflect.String:
		return v.Type().Size() + uintptr(v.Len())
	case reflect.Struct:
		var n uintptr
		for i := range v.NumField() {
			n += deepSize(v.Field(i), seen)
		}
		// Padding between fields.
		return max(n, v.Type().Size())
	case reflect.Map:
		if v.IsNil() {
			return v.Type().Size()
		}
		n := v.Type().Size()
		it := v.MapRange()
		for it.Next() {
			n += deepSize(it.Key(), seen) + deepSize(it.Value(), seen)
		}
		return n
	case reflect.Array:
		var n uintptr
		for i := range v.Len() {
			n += deepSize(v.Index(i), seen)
		}
		return max(n, v.Type().Size())
	}
	return v.Type().Size()
}

// limit is a guard knob that bounds a figure of the estimate.
type limit struct {
	knob  string
	value func(*Config) int64
	est   func(Estimate) (float64, term)
	what  func(v float64) string
}

var limits = []limit{
	{"max_steps", func(c *Config) int64 { return c.MaxSteps },
		func(e Estimate) (float64, term) { return e.Steps, e.steps },
		func(v float64) string { return fmt.Sprintf("makes an estimated %s environment steps", fmtCount(v)) }},
	{"max_record_bytes", func(c *Config) int64 { return c.MaxRecordBytes },
		func(e Estimate) (float64, term) { return e.RecordBytes, e.records },
		func(v float64) string { return fmt.Sprintf("writes an estimated %s of records", fmtBytes(v)) }},
	{"max_memory", func(c *Config) int64 { return c.MaxMemory },
		func(e Estimate) (float64, term) { return max(e.RunMemory, e.OutputMemory), e.memory },
		func(v float64) string { return fmt.Sprintf("needs an estimated %s of memory", fmtBytes(v)) }},
	{"max_draws", func(c *Config) int64 { return c.MaxDraws },
		func(e Estimate) (float64, term) { return e.Draws, e.draws },
		func(v float64) string {
			return fmt.Sprintf("makes an estimated %s bootstrap draws building its summary", fmtCount(v))
		}},
}

// checkLimits reports every estimate above its guard knob, naming the
// term that dominates it and the knobs that drive that term.
func (p *parser) checkLimits(base *Config, e Estimate) {
	for _, l := range limits {
		v, t := l.est(e)
		bound := l.value(base)
		if v <= float64(bound) {
			continue
		}
		line := 0
		if segs := strings.Split(t.key, "."); rawHas(p.raw, segs) {
			line = p.loc.nearest(segs)
		} else if rawHas(p.raw, []string{l.knob}) {
			line = p.loc.nearest([]string{l.knob})
		}
		p.add(&ConfigError{File: p.file, Line: line, Key: t.key, Msg: fmt.Sprintf("the config %s, more than %s = %s (largest part, %s): %s, or raise %s if you mean it",
			l.what(v), l.knob, fmtNum(float64(bound)), t.why, t.fix, l.knob)})
	}
}
