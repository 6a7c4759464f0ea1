package results

// SchemaVersion is the version of the record format. Bump it when a column
// changes meaning or is removed, or when a reader must find a column older
// files lack. Version 2 added the config column, the start record and the
// end record's digest.
const SchemaVersion = 2

// Record kinds.
const (
	KindStart      = "start"
	KindCheckpoint = "checkpoint"
	KindAttempt    = "attempt"
	KindEnd        = "end"
)

// ConfigIDLen is how many leading hex digits of the config hash every
// record carries in its config column (64 bits: enough to tell configs
// apart; the start record and the manifest hold the whole hash).
const ConfigIDLen = 16

// ConfigID is the config column of the records of a config with hash h.
func ConfigID(h string) string {
	if len(h) > ConfigIDLen {
		return h[:ConfigIDLen]
	}
	return h
}

// Header is shared by every record: which run, and when in the job.
type Header struct {
	Schema     int    `json:"schema"`
	Kind       string `json:"kind"`
	Run        string `json:"run"`        // stable run key
	Experiment string `json:"experiment"` //
	Config     string `json:"config"`     // ConfigID of the config hash the run was made under
	Point      string `json:"point"`      // sweep point label ("default" without a sweep)
	Family     string `json:"family"`
	Agent      string `json:"agent"`
	Seed       int    `json:"seed"`
	Day        int    `json:"day"` // checkpoint: days completed (0 = before the job); attempt: the day, from 1
}

// Checkpoint is one (run, checkpoint, split) evaluation with learning off and
// the true scorer on.
type Checkpoint struct {
	Header
	Split          string  `json:"split"`
	Tasks          int     `json:"tasks"`           // tasks evaluated
	SuccessGreedy  float64 `json:"success_greedy"`  // fraction of tasks fully solved, greedy actions
	ScoreGreedy    float64 `json:"score_greedy"`    // mean partial credit, greedy
	StepAccGreedy  float64 `json:"step_acc_greedy"` // fraction of correct steps, greedy
	SuccessSampled float64 `json:"success_sampled"` // the same with sampled actions
	ScoreSampled   float64 `json:"score_sampled"`
	StepAccSampled float64 `json:"step_acc_sampled"`
	VerdictReward  float64 `json:"verdict_reward"`   // mean verdict on sampled attempts that got one: what a learner would believe
	VerdictCovered float64 `json:"verdict_coverage"` // fraction of sampled attempts that got a verdict
	SharedMass     float64 `json:"shared_mass"`      // squared norm of the model's shared terms (skills, bilinear: the x (x) c channel)
	MemorizingMass float64 `json:"memorizing_mass"`  // squared norm of its memorizing terms (per-identity weights)
	Temperature    float64 `json:"temperature"`
	Attempts       int64   `json:"attempts"`       // cumulative compute at this checkpoint
	EnvSteps       int64   `json:"env_steps"`      //
	VerifierCalls  int64   `json:"verifier_calls"` //
	GradSteps      int64   `json:"grad_steps"`     //
	// Phase is the job's current phase (from 1) in a drifting job: phase k
	// was learned by the last checkpoint with Phase k. 0 before the job and
	// without phases.
	Phase int `json:"phase,omitempty"`

	// Dreams (the dream mechanism), absent for agents that never dreamt:
	// cumulative compute, and over the dreams since the last checkpoint the
	// verdict learnt from, the true success of the same attempts and the
	// learned verifier's disagreement with the truth (nil: no dream then).
	DreamAttempts  int64 `json:"dream_attempts,omitempty"`
	DreamSteps     int64 `json:"dream_steps,omitempty"`
	DreamGradSteps int64 `json:"dream_grad_steps,omitempty"`
	// LearnedVerifierSteps: cumulative step gradients fitting the learned
	// verifier.
	LearnedVerifierSteps int64    `json:"learned_verifier_steps,omitempty"`
	DreamReward          *float64 `json:"dream_reward,omitempty"`
	DreamSuccess         *float64 `json:"dream_success,omitempty"`
	DreamDisagreement    *float64 `json:"dream_disagreement,omitempty"`

	// Time is the simulated time at the checkpoint and SkippedSlots the
	// task slots the day's time budget skipped; both only in clocked jobs
	// (a grindability knob beyond resets and group_size set).
	Time         float64 `json:"time,omitempty"`
	SkippedSlots int     `json:"skipped_slots,omitempty"`

	// Optional fields (absent unless the config asks for them, so records
	// of configs that do not stay byte-identical). Pointers: absent reads
	// as NaN in the metric table, not as zero.

	// pass@k ([eval] passk_samples = n): n sampled attempts per task; the
	// unbiased pass@k (Chen et al. 2021) averaged over the split's tasks,
	// for each configured k <= n, and the fraction solved at least once.
	PassKSamples int       `json:"passk_samples,omitempty"`
	PassAtK      []PassAtK `json:"pass_at_k,omitempty"`
	Coverage     *float64  `json:"coverage,omitempty"`

	// Distance from the base model ([eval] distance = true): KL both ways
	// per step, averaged over the states the acting policy visits in one
	// sampled attempt per task, on this split and on the job's own tasks;
	// the Euclidean distance of the weights from the base, in all and per
	// role and term of the model.
	KLBaseCurrent    *float64       `json:"kl_base_current,omitempty"`
	KLCurrentBase    *float64       `json:"kl_current_base,omitempty"`
	KLBaseCurrentJob *float64       `json:"kl_base_current_job,omitempty"`
	KLCurrentBaseJob *float64       `json:"kl_current_base_job,omitempty"`
	L2FromBase       *float64       `json:"l2_from_base,omitempty"`
	L2Shared         *float64       `json:"l2_shared,omitempty"`
	L2Memorizing     *float64       `json:"l2_memorizing,omitempty"`
	L2Terms          []TermDistance `json:"l2_terms,omitempty"`
}

// PassAtK is one pass@k estimate of a checkpoint record.
type PassAtK struct {
	K     int     `json:"k"`
	Value float64 `json:"value"`
}

// TermDistance is the Euclidean distance from the base of one named term of
// the policy model's parameters.
type TermDistance struct {
	Term string  `json:"term"`
	Role string  `json:"role"`
	L2   float64 `json:"l2"`
}

// Attempt is one real attempt during the job, recorded online with its true
// outcome (never shown to the agent) and its verdict.
type Attempt struct {
	Header
	Session int     `json:"session"` // session within the day, from 0
	Slot    int     `json:"slot"`    // task slot within the session, from 0
	Member  int     `json:"member"`  // rollout within the group, from 0
	Task    int     `json:"task"`    // task index in the train pool
	Success float64 `json:"success"` // 1 if every step was correct
	Score   float64 `json:"score"`   // partial credit
	Verdict string  `json:"verdict"` // pass, fail or none
	// Phase is the job phase (from 1) of the task in a drifting job, whose
	// pool Task indexes; 0 without phases.
	Phase int `json:"phase,omitempty"`

	// Only in clocked jobs: which attempt at the instance (env.grind.retries),
	// the simulated time the attempt ended, and at granularity "step" its
	// step verdicts, one letter each (p, f, n).
	Retry        int     `json:"retry,omitempty"`
	Time         float64 `json:"time,omitempty"`
	StepVerdicts string  `json:"step_verdicts,omitempty"`

	// folded is set only in memory, by readOptions.foldAttempts: the number
	// of attempts whose Success and Score are summed here.
	folded int
}

// Start opens every run file that grind run writes: the run's provenance,
// so that a folder's manifest can be rebuilt from its runs alone, whatever
// interrupted the sweep.
type Start struct {
	Header
	ConfigHash string `json:"config_hash"` // the whole config hash; Header.Config is its first ConfigIDLen digits
	PretrainFigures
}

// PretrainFigures describe the base model a run started from (the first
// agent's base at the run's point and seed; every agent there shares the
// world that was pretrained).
type PretrainFigures struct {
	PretrainAcc  float64 `json:"pretrain_step_acc"` // greedy per-step accuracy on the pretrain split
	JobSuccess   float64 `json:"job_success"`       // greedy success on the job's train split
	JobStepAcc   float64 `json:"job_step_acc"`
	EvaluatedOn  int     `json:"evaluated_on"` // tasks per split
	PretrainTask int     `json:"pretrain_tasks"`
}

// End closes every run file: a file without it, or whose counts disagree
// with the records before it, was truncated or edited.
type End struct {
	Header
	Checkpoints int `json:"checkpoints"` // checkpoint records in the file
	Attempts    int `json:"attempts"`    // attempt records in the file
	// Digest is the hex sha256 of every byte of the file before the end
	// record's line, so an edit anywhere that keeps the JSON valid is
	// detected.
	Digest string `json:"digest"`
}
