// Package envs defines the environment interface of grindbench, the family
// registry, the verifier and grindability knobs the harness applies to every
// family, and keyed randomness.
//
// A Family is a procedural generator of tasks for one seed. An Env runs
// attempts at those tasks: Reset and Step write observations into
// caller-owned buffers so the hot loop does not allocate. The true outcome of
// an attempt (Outcome) is kept apart from what a learner is told about it
// (Verdict): learners only ever see verdicts.
//
// This package depends on no other package of the project.
package envs
