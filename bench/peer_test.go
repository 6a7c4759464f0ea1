// Package bench holds benchmarks of whole workloads that compare grindbench
// with peers outside it: BenchmarkPeerWork does the work of the NumPy peer
// in peer/numpy_skills.py (make bench-peer runs both and prints the ratio).
package bench

import (
	"fmt"
	"sync"
	"testing"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/cputime"
)

// peerGroup is the group size of the peer's workload.
const peerGroup = 8

// peerWorld is one seed of the peer workload: the default skills family,
// its job pool and the pretrained bilinear base (4000 tasks, lr 0.1, the
// shipped experiments' pretraining).
type peerWorld struct {
	fam  *envs.Skills
	pool []envs.Task
	base agents.Model
}

var (
	peerMu     sync.Mutex
	peerWorlds = map[int]*peerWorld{}
)

func peerWorldAt(tb testing.TB, seed int) *peerWorld {
	peerMu.Lock()
	defer peerMu.Unlock()
	if w := peerWorlds[seed]; w != nil {
		return w
	}
	f, err := envs.NewSkills(envs.DefaultSkills(), uint64(seed))
	if err != nil {
		tb.Fatal(err)
	}
	w := &peerWorld{fam: f}
	for i := range f.PoolSize(envs.SplitTrain) {
		t, err := f.Task(envs.SplitTrain, i)
		if err != nil {
			tb.Fatal(err)
		}
		w.pool = append(w.pool, t)
	}
	if w.base, err = agents.Pretrain(f, agents.DefaultPretrain(), agents.DefaultPolicy(), uint64(seed)); err != nil {
		tb.Fatal(err)
	}
	peerWorlds[seed] = w
	return w
}

// peerRun is the RLVR phase of one seed: tasks slots, each a pool task
// drawn by key, peerGroup members acting with sampled actions through the
// environment, perfect all-or-nothing verdicts, then rlvr's update (lr 2,
// the shipped configs'). The members are stepped as the job steps them: a
// tree of their distinct states (agents.Rollouts). It returns the step-updates (every step of every
// member), the steps whose advantage was non-zero and the successes.
func peerRun(tb testing.TB, w *peerWorld, seed, tasks int) (steps, nonzero, successes int64) {
	rl := agents.DefaultRLVR()
	rl.LR = 2
	a, err := agents.New(agents.Config{Name: "rlvr", Mechanisms: []string{"rlvr"}, Policy: agents.DefaultPolicy(),
		Knobs: map[string]any{"rlvr": &rl}}, w.base, uint64(seed))
	if err != nil {
		tb.Fatal(err)
	}
	env := w.fam.NewEnv().(envs.Brancher)
	ro := agents.NewRollouts(w.fam.Spec())
	ver := envs.DefaultVerifier()
	verdicts := make([]envs.Verdict, peerGroup)
	keys := make([]uint64, peerGroup)
	grad0 := a.Compute.GradSteps
	for slot := range tasks {
		slotKey := envs.Key(uint64(seed), uint64(slot))
		t := &w.pool[int(envs.Uniform(slotKey)*float64(len(w.pool)))]
		a.Log.Reset()
		for m := range keys {
			keys[m] = envs.Key(slotKey, uint64(m))
		}
		ro.Run(a, env, t, keys)
		for m, key := range keys {
			steps += int64(ro.Steps(m))
			o := ro.Outcome(m)
			if o.Success {
				successes++
			}
			verdicts[m] = ver.Judge(o, key)
		}
		a.Learn(&agents.Feedback{Task: t, Attempts: ro.Attempts(), Verdicts: verdicts})
	}
	return steps, a.Compute.GradSteps - grad0, successes
}

// BenchmarkPeerWork does the NumPy peer's work (bench/peer/numpy_skills.py)
// with grindbench's own agent, model and environment: for each seed, the
// RLVR phase of a fresh rlvr agent from the pretrained base, tasks slots of
// peerGroup members of the default skills family's L = 4 steps. One op is
// every seed's phase; building the worlds and pretraining are not timed
// (nor are they in the peer). step-updates/cpu-s counts every step of every
// member (as the peer does) per CPU-second of the process (run it with
// -cpu 1 for one core); nonzero-frac is the fraction of them whose group
// advantage was non-zero (those whose gradient rlvr computes; the peer
// multiplies the others by 0), success the attempts' success rate. The
// 2-seed size is for counting instructions under callgrind (README,
// Performance), where the 20-seed one would take minutes.
func BenchmarkPeerWork(b *testing.B) {
	for _, c := range []struct{ seeds, tasks int }{{20, 2000}, {200, 200}, {2, 2000}} {
		b.Run(fmt.Sprintf("seeds=%d/tasks=%d", c.seeds, c.tasks), func(b *testing.B) {
			worlds := make([]*peerWorld, c.seeds)
			for s := range worlds {
				worlds[s] = peerWorldAt(b, s)
			}
			var steps, nonzero, successes int64
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cputime.Self()
			for range b.N {
				for s, w := range worlds {
					st, nz, su := peerRun(b, w, s, c.tasks)
					steps, nonzero, successes = steps+st, nonzero+nz, successes+su
				}
			}
			cpu := (cputime.Self() - cpu0).Seconds()
			b.StopTimer()
			b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "step-updates/s")
			if cpu > 0 {
				b.ReportMetric(float64(steps)/cpu, "step-updates/cpu-s")
			}
			b.ReportMetric(float64(steps)/float64(b.N), "step-updates/op")
			b.ReportMetric(float64(nonzero)/float64(steps), "nonzero-frac")
			b.ReportMetric(float64(successes)*float64(envs.DefaultSkills().Length)/float64(steps), "success")
		})
	}
}
