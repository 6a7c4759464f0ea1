package experiments

import (
	"errors"
	"fmt"
	"slices"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
)

// Config is one experiment, resolved: every knob has a value.
type Config struct {
	Experiment string `toml:"experiment" sweep:"text" doc:"name of the experiment: letters, digits, '-' and '_'; names the output folder"`
	Question   string `toml:"question" sweep:"text" doc:"the question this experiment answers"`
	Reading    string `toml:"reading" sweep:"text" doc:"how to read its result"`
	Seeds      int    `toml:"seeds" range:"1,100000" doc:"number of seeds; runs use seeds seed_base .. seed_base+seeds-1"`
	SeedBase   int    `toml:"seed_base" range:"0,1000000000" doc:"first seed"`

	// Guards: they refuse a config before any work, and change no result,
	// so they are not part of the config hash and cannot be swept.
	MaxRuns        int   `toml:"max_runs" range:"1,1000000" sweep:"guard" doc:"refuse a config that makes more runs than this (sweep points x agents x seeds): a guard against a typo in [sweep]; not part of the config hash"`
	MaxSteps       int64 `toml:"max_steps" range:"1,1e18" sweep:"guard" doc:"refuse a config whose estimated environment steps (pretraining, job, harness and checkpoints over the sweep; grind validate prints it) exceed this; not part of the config hash"`
	MaxRecordBytes int64 `toml:"max_record_bytes" range:"1,1e18" sweep:"guard" doc:"refuse a config whose records would exceed this many bytes together as JSON lines before compression (estimated; the files are gzip-compressed, typically 20 to 40 times smaller); not part of the config hash"`
	MaxMemory      int64 `toml:"max_memory" range:"1,1e18" sweep:"guard" doc:"refuse a config whose estimated peak memory, of one run or of building the outputs, exceeds this many bytes; not part of the config hash"`
	MaxDraws       int64 `toml:"max_draws" range:"1,1e18" sweep:"guard" doc:"refuse a config whose summary would make more bootstrap draws than this (report.resamples x runs x cells, estimated); not part of the config hash"`

	Job      JobConfig             `toml:"job"`
	Eval     EvalConfig            `toml:"eval"`
	Report   ReportConfig          `toml:"report"`
	Pretrain agents.PretrainConfig `toml:"pretrain"`
	Env      EnvConfig             `toml:"env"`
	// Agents come from [[agent]] tables.
	Agents []agents.Config `toml:"-"`
}

// JobConfig is the deployment protocol (DESIGN 5).
type JobConfig struct {
	Days     int `toml:"days" range:"1,10000" doc:"days in the job; a checkpoint closes each"`
	Sessions int `toml:"sessions" range:"1,10000" doc:"sessions per day"`
	Tasks    int `toml:"tasks" range:"1,1000000" doc:"job tasks per session"`
	// Attempts records every job attempt online; off only for configs whose
	// record files are committed (the CI baseline), to keep them small.
	RecordAttempts bool `toml:"record_attempts" doc:"write a record per job attempt (true score and verdict), for within-session curves"`

	// Job drift (phases.go): the family's training skills cut into one
	// group per phase, each introduced on its day.
	PhaseDays []int `toml:"phase_days" range:"1,10000" doc:"job drift: the day each phase begins, ascending, the first 1; the family's training skills are cut into one group per phase and phase k's group joins the job on its day (empty: no drift, the job draws from the train pool)"`
	Withdraw  bool  `toml:"withdraw" doc:"job drift: each phase's group leaves the job when the next phase begins (false: groups accumulate)"`
	// UnverifiedPhases are the phases whose tasks are attempted without a
	// verifier: the unverified split.
	UnverifiedPhases []int `toml:"unverified_phases" range:"1,10000" doc:"job drift: phases (from 1) whose tasks are attempted with verdict coverage 0, so only learning that needs no verifier can use them; evaluated as the unverified split"`
}

// EvalConfig says what each checkpoint evaluates.
type EvalConfig struct {
	Tasks  int      `toml:"tasks" range:"1,1000000" doc:"tasks per split per checkpoint"`
	Splits []string `toml:"splits" doc:"splits to evaluate; empty means every split the family offers"`

	// Off by default: the headline stays as fast, its records unchanged.
	PassKSamples int   `toml:"passk_samples" range:"0,100000" doc:"sampled attempts per task and split at every checkpoint for pass@k and coverage (tasks solved at least once); 0 for none"`
	PassK        []int `toml:"passk" range:"1,100000" doc:"the k of the recorded pass@k, ascending, each in [1, passk_samples]; empty for 1, 2, 4, ... up to passk_samples"`
	PassKDays    []int `toml:"passk_days" range:"0,100000" doc:"the checkpoints (days) pass@k is measured at; empty for every checkpoint"`
	Distance     bool  `toml:"distance" doc:"record the distance from the base model at every checkpoint: KL(base||current) and KL(current||base) on the states the policy visits on the job's tasks and on each split, and the weights' L2 distance from the base per term"`
}

// Validate checks the pass@k knobs agree.
func (c *EvalConfig) Validate() error {
	var errs []error
	if len(c.PassK) > 0 && c.PassKSamples == 0 {
		errs = append(errs, &agents.KnobError{Knob: "passk", Msg: "needs passk_samples > 0: pass@k is estimated from that many sampled attempts per task"})
	}
	if len(c.PassKDays) > 0 && c.PassKSamples == 0 {
		errs = append(errs, &agents.KnobError{Knob: "passk_days", Msg: "needs passk_samples > 0: pass@k is estimated from that many sampled attempts per task"})
	}
	for i, d := range c.PassKDays {
		if i > 0 && d <= c.PassKDays[i-1] {
			errs = append(errs, &agents.KnobError{Knob: "passk_days", Msg: fmt.Sprintf("day %d after %d: list each day once, ascending", d, c.PassKDays[i-1])})
		}
	}
	for i, k := range c.PassK {
		switch {
		case k < 1 || (c.PassKSamples > 0 && k > c.PassKSamples):
			errs = append(errs, &agents.KnobError{Knob: "passk", Msg: fmt.Sprintf("k = %d out of range: each k must be in [1, passk_samples = %d]", k, c.PassKSamples)})
		case i > 0 && k <= c.PassK[i-1]:
			errs = append(errs, &agents.KnobError{Knob: "passk", Msg: fmt.Sprintf("k = %d after %d: list each k once, ascending", k, c.PassK[i-1])})
		}
	}
	return errors.Join(errs...)
}

// passKAt reports whether the checkpoint at day measures pass@k.
func (c *EvalConfig) passKAt(day int) bool {
	return c.PassKSamples > 0 && (len(c.PassKDays) == 0 || slices.Contains(c.PassKDays, day))
}

// passKs returns the k of the recorded pass@k: the configured list, or 1,
// 2, 4, ... up to passk_samples (and passk_samples itself).
func (c *EvalConfig) passKs() []int {
	if c.PassKSamples == 0 || len(c.PassK) > 0 {
		return c.PassK
	}
	var ks []int
	for k := 1; k < c.PassKSamples; k *= 2 {
		ks = append(ks, k)
	}
	return append(ks, c.PassKSamples)
}

// ReportConfig steers the statistics of the summary.
type ReportConfig struct {
	Baseline  string `toml:"baseline" doc:"agent every other agent is compared against by paired differences; empty for none"`
	Resamples int    `toml:"resamples" range:"100,1000000" doc:"bootstrap resamples per confidence interval"`
	// Measure and Competence shape the outputs only: they change no record,
	// so they are not part of the config hash (sweep:"report").
	Measure       bool    `toml:"measure" sweep:"report" doc:"after the runs, measure V and G of every sweep point (as grind envs does) and place each agent's gain over the baseline on the (V, G) plane; not part of the config hash"`
	Competence    float64 `toml:"competence" range:"0,1" sweep:"report" doc:"days to competence: per run, the first day the agent's success_greedy on train reaches this threshold, as a table and a heatmap per agent (0: none); not part of the config hash"`
	CompetenceGap float64 `toml:"competence_gap" range:"0,1" sweep:"report" doc:"days to competence with a threshold relative to the base: per run, the first day success_greedy on train closes this fraction of the gap between its day-0 value (the base model's) and 1, so families with different base rates compare (0: none); not part of the config hash"`
	// Pairs adds paired differences between two learners (sft - rlvr,
	// regularized - unregularized), computed as those with the baseline.
	Pairs [][]string `toml:"pairs" sweep:"report" doc:"pairs of agents [A, B] compared by paired differences A - B at matched seeds, as every agent is with the baseline: summary.csv diff rows (baseline B), tables pairs_<metric> and the report; not part of the config hash"`
}

// Validate refuses two days-to-competence thresholds at once, and pairs
// that are not two different agents (their names are checked against the
// config's agents by validate).
func (r ReportConfig) Validate() error {
	if r.Competence > 0 && r.CompetenceGap > 0 {
		return &agents.KnobError{Knob: "competence_gap", Msg: fmt.Sprintf("%v set together with competence = %v: days to competence takes one threshold, absolute (competence) or relative to the base (competence_gap); set the other to 0", r.CompetenceGap, r.Competence)}
	}
	for i, pr := range r.Pairs {
		switch {
		case len(pr) != 2:
			return &agents.KnobError{Knob: "pairs", Msg: fmt.Sprintf("element %d lists %d agents: a pair is two agents [A, B], compared as A - B", i, len(pr))}
		case pr[0] == pr[1]:
			return &agents.KnobError{Knob: "pairs", Msg: fmt.Sprintf("element %d compares %q with itself: a pair is two different agents", i, pr[0])}
		}
	}
	return nil
}

// EnvConfig names a family with its knobs and the harness's verifier and
// grindability knobs.
type EnvConfig struct {
	Family   string              `toml:"family" doc:"registered family name"`
	Verifier envs.VerifierConfig `toml:"verifier"`
	Grind    envs.GrindConfig    `toml:"grind"`
	// Knobs is the family's knob struct (from its Factory.NewConfig), read
	// from the table [env.<family>].
	Knobs any `toml:"-"`
}

// Default returns the defaults every config starts from, before the file's
// values: no agents, the skills family.
func Default() Config {
	f, _ := envs.Lookup("skills")
	return Config{
		Seeds:          20,
		MaxRuns:        DefaultMaxRuns,
		MaxSteps:       DefaultMaxSteps,
		MaxRecordBytes: DefaultMaxRecordBytes,
		MaxMemory:      DefaultMaxMemory,
		MaxDraws:       DefaultMaxDraws,
		Job:            JobConfig{Days: 4, Sessions: 1, Tasks: 128, RecordAttempts: true, PhaseDays: []int{}, UnverifiedPhases: []int{}},
		Eval:           EvalConfig{Tasks: 64},
		Report: ReportConfig{
			Resamples: 2000,
		},
		Pretrain: agents.DefaultPretrain(),
		Env: EnvConfig{
			Family:   "skills",
			Verifier: envs.DefaultVerifier(),
			Grind:    envs.DefaultGrind(),
			Knobs:    f.NewConfig(),
		},
	}
}
