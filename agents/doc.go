// Package agents holds grindbench's learners: a softmax policy over the
// observation channels every family speaks (envs.Obs), supervised
// pretraining, and mechanisms that compose into agents (frozen,
// frozen-tuned, rlvr, ...).
//
// Learners see verdicts only: a mechanism is handed the transcript of its own
// attempts and the verifier's verdicts on them, never the true outcome.
// Pretraining and privileged arms (demonstrations) are the documented
// exceptions and say so.
//
// A new mechanism is one file with a RegisterMechanism call in its init.
package agents
