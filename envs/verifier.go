package envs

import "fmt"

// Verdict is what the verifier tells a learner about an attempt. A missing
// verdict (VerdictNone) is not a failure: learners must skip it, not score
// it as 0.
type Verdict int8

const (
	VerdictNone Verdict = iota // no verdict arrived
	VerdictFail
	VerdictPass
)

func (v Verdict) String() string {
	switch v {
	case VerdictPass:
		return "pass"
	case VerdictFail:
		return "fail"
	default:
		return "none"
	}
}

// Reward is the verdict as a reward and whether there is one.
func (v Verdict) Reward() (r float64, ok bool) {
	switch v {
	case VerdictPass:
		return 1, true
	case VerdictFail:
		return 0, true
	}
	return 0, false
}

// VerifierConfig holds the verifiability knobs. The harness applies them to
// every family, so any family can sit anywhere on the verifiability axis.
type VerifierConfig struct {
	Coverage      float64 `toml:"coverage" range:"0,1" doc:"probability that an attempt gets any verdict"`
	FalsePositive float64 `toml:"false_positive" range:"0,1" doc:"probability that a failed attempt is judged a pass"`
	FalseNegative float64 `toml:"false_negative" range:"0,1" doc:"probability that a successful attempt is judged a fail"`
	Loophole      float64 `toml:"loophole" range:"0,1" doc:"probability that an attempt showing the family's declared loophole behaviour passes"`
}

// DefaultVerifier is a perfect verifier: every attempt judged, no noise, no
// loophole.
func DefaultVerifier() VerifierConfig { return VerifierConfig{Coverage: 1} }

// Validate reports a knob outside [0, 1].
func (v VerifierConfig) Validate() error {
	for _, k := range []struct {
		name string
		val  float64
	}{{"coverage", v.Coverage}, {"false_positive", v.FalsePositive}, {"false_negative", v.FalseNegative}, {"loophole", v.Loophole}} {
		if !(k.val >= 0 && k.val <= 1) {
			return fmt.Errorf("verifier.%s = %v: must be a probability in [0, 1]", k.name, k.val)
		}
	}
	return nil
}

// Judge returns the verdict on a finished attempt. attemptKey identifies the
// attempt (seed, task, attempt) so that every agent at a seed meets the same
// verifier noise on the same attempt.
func (v VerifierConfig) Judge(o Outcome, attemptKey uint64) Verdict {
	// Draws are in [0, 1): a draw compared with a rate of 0 or 1 decides
	// nothing, so it is skipped (the verdicts are the same).
	if v.Coverage < 1 && Uniform(Key(attemptKey, uint64(PurposeVerdict), 0)) >= v.Coverage {
		return VerdictNone
	}
	if o.Success {
		if v.FalseNegative > 0 && Uniform(Key(attemptKey, uint64(PurposeVerdict), 1)) < v.FalseNegative {
			return VerdictFail
		}
		return VerdictPass
	}
	if o.Loophole && v.Loophole > 0 && Uniform(Key(attemptKey, uint64(PurposeVerdict), 2)) < v.Loophole {
		return VerdictPass
	}
	if v.FalsePositive > 0 && Uniform(Key(attemptKey, uint64(PurposeVerdict), 1)) < v.FalsePositive {
		return VerdictPass
	}
	return VerdictFail
}
