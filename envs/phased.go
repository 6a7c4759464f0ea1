package envs

import "strconv"

// Phased is implemented by families whose job can drift (DESIGN 5): the
// train split's skills cut into n groups, each with a pool of tasks that
// draw on its group alone. The family says what the groups are; the job
// says on which days each is practised (experiments' job.phase_days), so a
// family knows nothing of days or phases.
//
// Group g of n is named PhaseSplit(g) in tasks and records. Its tasks are
// the same at every seed whatever else the config says, and (like the train
// split's) are practised by the job, so they are not held out.
//
// Families that do not implement it cannot run a drifting job: the config
// is rejected at job.phase_days. A family implements it by cutting its
// training distribution into n parts (skills: the job's skills; bandit: its
// arms; maze: its layouts) and drawing each part's pool like its train pool.
type Phased interface {
	// MaxPhases is the largest number of groups the train split can be cut
	// into (each group non-empty).
	MaxPhases() int
	// PhasePool is the number of distinct tasks in each group's pool when
	// the train split is cut into n groups.
	PhasePool(n int) int
	// PhaseTask returns task i of group g (from 0) of n: indices below
	// PhasePool(n) are the group's pool, indices in [FreshIndex,
	// PrivateIndex) fresh instances of it (for jobs without resets).
	PhaseTask(n, g, i int) (Task, error)
}

// PhaseSplit names group g (from 0) of a drifting job: "phase@1" for the
// first.
func PhaseSplit(g int) string { return "phase@" + strconv.Itoa(g+1) }
