package envs

import (
	"hash/fnv"
	"math/rand/v2"
)

// Every random draw in grindbench is keyed: its source is seeded by a hash of
// (seed, task, attempt, step, purpose), so two agents at one seed meet the
// same tasks and the same noise even after their trajectories diverge, and
// results do not depend on worker count or scheduling order.

// Purpose names what a draw is for; it is one component of a key.
type Purpose uint64

// PurposeOf hashes a name to a Purpose. Call it at package init, not in a
// hot loop.
func PurposeOf(name string) Purpose {
	h := fnv.New64a()
	h.Write([]byte(name))
	return Purpose(h.Sum64())
}

// Purposes used by the harness and the families shipped with it.
var (
	PurposeBasis      = PurposeOf("basis")
	PurposeSkill      = PurposeOf("skill")
	PurposeTask       = PurposeOf("task")
	PurposeStart      = PurposeOf("start")
	PurposeTransition = PurposeOf("transition")
	PurposeVerdict    = PurposeOf("verdict")
	PurposeAct        = PurposeOf("act")
	PurposeTie        = PurposeOf("tie")
	PurposeSchedule   = PurposeOf("schedule")
	// PurposeFlake draws whether a correct step fails anyway (grind.flakiness).
	PurposeFlake = PurposeOf("flake")
	// PurposeStepVerdict keys the verifier's noise on one step's verdict
	// (grind.granularity = "step").
	PurposeStepVerdict = PurposeOf("step-verdict")
)

// Mix returns a well-spread 64-bit hash of x (splitmix64's finalizer).
func Mix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// Key combines its parts, in order, into one key. Order matters:
// Key(a, b) != Key(b, a) in general.
func Key(parts ...uint64) uint64 {
	h := uint64(keyInit)
	for _, p := range parts {
		h = Mix(h ^ p)
	}
	return h
}

// keyInit is Key's state before its first part.
const keyInit = 0x6A09E667F3BCC909

// Key1 is Key(p), inline: Key1(p) == Key(p).
func Key1(p uint64) uint64 { return Mix(keyInit ^ p) }

// Then is Key with one more part: Key(parts..., p) == Then(Key(parts...),
// p). A loop drawing many keys that share their first parts computes
// those once.
func Then(k, p uint64) uint64 { return Mix(k ^ p) }

// StringKey hashes a string to a key component (for split names and the like).
func StringKey(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Uniform returns a uniform float64 in [0, 1) determined by key alone. It is
// the cheapest keyed draw: no state, no allocation.
func Uniform(key uint64) float64 {
	return float64(Mix(key)>>11) * 0x1p-53
}

// Stream is a reusable keyed random source: Reset re-seeds it in place, so a
// stream can serve many keys without allocating.
type Stream struct {
	pcg rand.PCG
	r   *rand.Rand
}

// NewStream returns a stream; seed it with Reset before use.
func NewStream() *Stream {
	s := &Stream{}
	s.r = rand.New(&s.pcg)
	return s
}

// Reset re-seeds the stream from key and returns its generator. The
// generator is valid until the next Reset.
func (s *Stream) Reset(key uint64) *rand.Rand {
	s.pcg.Seed(key, Mix(key^0xD1B54A32D192ED03))
	return s.r
}

// Rand returns a fresh generator seeded from key, for set-up code where an
// allocation does not matter.
func Rand(key uint64) *rand.Rand {
	return rand.New(rand.NewPCG(key, Mix(key^0xD1B54A32D192ED03)))
}
