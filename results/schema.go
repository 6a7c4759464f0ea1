package results

import (
	"reflect"
	"strconv"
	"strings"
)

// Column documents one column of the record files (runs/*.jsonl).
type Column struct {
	Kind string `json:"kind"` // "all" for header columns, else the record kind that has it
	Name string `json:"name"` // JSON key
	Type string `json:"type"` // JSON type: integer, number or string
	Doc  string `json:"doc"`  // meaning, with units or range
}

// KindAll marks a column that every record kind has (the Header).
const KindAll = "all"

// columnDocs is the meaning of every record column that is not a metric,
// keyed "kind.name" (kind "all" for the header every record has); the
// numeric columns of a checkpoint record are documented in the metric
// table (metric.go) instead. Schema reads the columns themselves from the
// struct tags of Header, Checkpoint, Attempt and End, so a new field
// documented in neither shows up with an empty meaning and fails
// TestSchemaDocumented.
var columnDocs = map[string]string{
	// Header.
	"all.schema":     "record format version; this build reads version " + strconv.Itoa(SchemaVersion),
	"all.kind":       "record kind: start, checkpoint, attempt or end",
	"all.run":        "stable run key <point>__<agent>__s<seed>; names the run's file runs/<run>.jsonl",
	"all.experiment": "experiment name from the config",
	"all.config":     "the first " + strconv.Itoa(ConfigIDLen) + " hex digits of the config hash (manifest.json's config_hash) the run was made under: a record of another config is refused",
	"all.point":      "sweep point label (\"default\" without a [sweep])",
	"all.family":     "environment family (e.g. skills)",
	"all.agent":      "agent name from the config's [[agent]] table",
	"all.seed":       "seed of the run; agents at the same seed see the same tasks and noise (pair on it)",
	"all.day":        "checkpoint: days completed (0 = before the job); attempt: the day of the attempt, from 1",

	// Start.
	"start.config_hash":       "first record of every run file: the whole config hash the run was made under",
	"start.pretrain_step_acc": "the base model's greedy per-step accuracy on the pretrain split at this point and seed, in [0, 1] (the run's provenance: the manifest is rebuilt from it)",
	"start.job_success":       "the base model's greedy success on the job's train split, in [0, 1]",
	"start.job_step_acc":      "the base model's greedy per-step accuracy on the job's train split, in [0, 1]",
	"start.evaluated_on":      "tasks per split the base model was evaluated on",
	"start.pretrain_tasks":    "pretraining tasks the base model was fitted on",

	// Checkpoint.
	"checkpoint.split":     "evaluation split (train, inspan, outspan@w, compose, longer@k, pretrain, phase@j and unverified in a drifting job, ...)",
	"checkpoint.pass_at_k": "with [eval] passk_samples = n: a list of {k, value}, the unbiased pass@k (Chen et al. 2021) from n sampled attempts per task, averaged over the split's tasks, for each configured k <= n",
	"checkpoint.l2_terms":  "with [eval] distance: a list of {term, role, l2}, the Euclidean distance from the base model of each named term of the policy's parameters (role shared, memorizing or other)",

	// Attempt.
	"attempt.session":       "session within the day, from 0",
	"attempt.slot":          "task slot within the session, from 0",
	"attempt.member":        "rollout within the parallel group, from 0",
	"attempt.task":          "task index in the job's train pool",
	"attempt.success":       "true outcome, never shown to the agent: 1 if every step was correct, else 0",
	"attempt.score":         "true partial credit of the attempt, in [0, 1]",
	"attempt.verdict":       "what the verifier told the agent: pass, fail or none (none is not a fail)",
	"attempt.retry":         "which attempt at the slot's instance: 0 first, 1.. the env.grind.retries (written only when not 0)",
	"attempt.time":          "simulated time the attempt ended; only in clocked jobs (a grindability knob beyond resets and group_size set)",
	"attempt.step_verdicts": "at env.grind.granularity = step, the verdict on each step, one letter each: p(ass), f(ail), n(one); then verdict is none",
	"attempt.phase":         "a drifting job's phase (from 1) whose pool attempt.task indexes; absent without phases",

	// End.
	"end.checkpoints": "last record of every run file: the number of checkpoint records before it (a file without it was truncated)",
	"end.attempts":    "last record of every run file: the number of attempt records before it",
	"end.digest":      "hex sha256 of every byte of the file before the end record's line: an edit that keeps the JSON valid is detected",
}

var headerType = reflect.TypeFor[Header]()

// schemaKinds lists the record structs in the order Schema documents them.
var schemaKinds = []struct {
	kind string
	typ  reflect.Type
}{
	{KindAll, reflect.TypeFor[Header]()},
	{KindStart, reflect.TypeFor[Start]()},
	{KindCheckpoint, reflect.TypeFor[Checkpoint]()},
	{KindAttempt, reflect.TypeFor[Attempt]()},
	{KindEnd, reflect.TypeFor[End]()},
}

// Schema lists every record column: first the header columns every record
// has (kind "all"), then those of start, checkpoint, attempt and end
// records, each in struct order. A checkpoint metric's meaning comes from the metric
// table, with its bounds and direction. A name may recur under two kinds (checkpoint.attempts
// counts compute, end.attempts records). It is derived from the record types' JSON
// tags, so it always matches what the files hold.
func Schema() []Column {
	var cols []Column
	for _, k := range schemaKinds {
		for _, f := range reflect.VisibleFields(k.typ) {
			if f.Anonymous || !f.IsExported() || (k.kind != KindAll && len(f.Index) > 1 && f.Index[0] == 0 && k.typ.Field(0).Type == headerType) {
				continue // the embedded Header is listed once, as "all"; other embedded structs' fields are the record's own
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			doc := columnDocs[k.kind+"."+name]
			if m, ok := LookupMetric(name); ok && k.kind == KindCheckpoint && m.Value != nil {
				doc = m.schemaDoc()
			}
			cols = append(cols, Column{Kind: k.kind, Name: name, Type: jsonType(f.Type), Doc: doc})
		}
	}
	return cols
}

// jsonType names the JSON type a Go field encodes to.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array of " + jsonType(t.Elem())
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonType(t.Elem()) + " or null"
	}
	return "any"
}
