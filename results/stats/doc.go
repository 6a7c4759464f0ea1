// Package stats holds the statistics grindbench computes over per-run
// scores: one value per run (for example the success rate of one agent at
// one seed on one split), never the 0/1 outcomes of single tasks.
//
// It offers point estimates (Mean, Median and the interquartile mean IQM),
// seeded percentile-bootstrap confidence intervals (BootstrapCI, and
// PairedDiff and UnpairedDiff for differences of two samples), the
// probability of improvement with its interval (ProbImprovement,
// ProbImprovementCI and their averages over strata), performance profiles
// with a pointwise band (ProfileCI), and the tests grind compare relies on
// (SignFlipTest, PermutationTest and Holm's correction, HolmAdjust).
//
// Every function is deterministic: random draws come from a math/rand/v2
// PCG source seeded by the caller, so the same arguments give the same
// result bit for bit, whatever the machine's core count. No function
// modifies its arguments, except the destination slices named dst.
//
// Empty or degenerate samples give NaN estimates, never a panic. The
// functions panic only on programmer errors, each stated in its
// documentation: a confidence level outside (0, 1), fewer than one
// resample or permutation, paired inputs or a destination of the wrong
// length, or an empty sample handed to BootstrapReplicates.
package stats
