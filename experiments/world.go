package experiments

import (
	"fmt"
	"sync"

	"github.com/grindbench/grindbench/agents"
	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/results"
)

// world is what every agent at one (point, seed) shares: the family, its
// tasks and the pretrained base models (one per distinct pretraining key of
// the point's agents).
type world struct {
	fam    envs.Family
	bases  map[string]agents.Model // pretraining key -> base model
	pool   []envs.Task             // the job's training pool
	phases [][]envs.Task           // each phase's pool in a drifting job (phases.go)
	eval   map[string][]envs.Task  // tasks evaluated at each checkpoint
	splits []string                // evaluated splits, in the family's order
	seed   uint64                  // root key of every draw at this seed
	info   results.PretrainEntry

	fisherMu sync.Mutex
	fishers  map[string]*fisherEntry // pretraining key -> its base's Fisher, made on first use
}

type fisherEntry struct {
	once sync.Once
	f    []float64
	err  error
}

// fisher returns the Fisher information of agent a's base model on
// pretraining data, computing it on first use; the world is shared by
// concurrent runs, so each base's is computed once.
func (w *world) fisher(cfg *Config, a agents.Config) ([]float64, error) {
	key, err := agents.PretrainKey(a.Policy)
	if err != nil {
		return nil, err
	}
	w.fisherMu.Lock()
	if w.fishers == nil {
		w.fishers = map[string]*fisherEntry{}
	}
	e := w.fishers[key]
	if e == nil {
		e = &fisherEntry{}
		w.fishers[key] = e
	}
	w.fisherMu.Unlock()
	e.once.Do(func() {
		base, err := w.base(a)
		if err != nil {
			e.err = err
			return
		}
		e.f, e.err = agents.PretrainFisher(w.fam, base, cfg.Pretrain)
	})
	return e.f, e.err
}

// Purposes the job protocol draws for.
var (
	purposeEval  = envs.PurposeOf("eval")
	purposeJob   = envs.PurposeOf("job")
	purposeTune  = envs.PurposeOf("tune")
	purposeModel = envs.PurposeOf("model")
)

// newWorld builds the family at seed, checks its splits are disjoint,
// generates tasks and pretrains a base model for every distinct model the
// agents use. The pretraining figures describe the first agent's base.
func newWorld(cfg *Config, seed int) (*world, error) {
	fam, err := buildFamily(cfg, seed)
	if err != nil {
		return nil, err
	}
	w := &world{fam: fam, eval: map[string][]envs.Task{}, bases: map[string]agents.Model{}, seed: envs.Key(uint64(seed))}
	if err := fam.CheckDisjoint(cfg.Eval.Tasks); err != nil {
		return nil, fmt.Errorf("held-out splits are not disjoint from training: %w", err)
	}
	w.splits = fam.Splits()
	if len(cfg.Eval.Splits) > 0 {
		w.splits = cfg.Eval.Splits
	}
	for _, split := range w.splits {
		n := cfg.Eval.Tasks
		if p := fam.PoolSize(split); p > 0 {
			n = min(n, p)
		}
		for i := 0; i < n; i++ {
			t, err := fam.Task(split, i)
			if err != nil {
				return nil, err
			}
			w.eval[split] = append(w.eval[split], t)
		}
	}
	if err := w.phaseTasks(cfg); err != nil {
		return nil, err
	}
	if w.pool, err = trainPool(fam, cfg); err != nil {
		return nil, err
	}
	var first agents.Model
	for _, a := range cfg.Agents {
		key, err := agents.PretrainKey(a.Policy)
		if err != nil {
			return nil, err
		}
		if _, done := w.bases[key]; done {
			continue
		}
		base, err := agents.Pretrain(fam, cfg.Pretrain, a.Policy, w.modelSeed())
		if err != nil {
			return nil, err
		}
		w.bases[key] = base
		if first == nil {
			first = base
		}
	}
	w.info = results.PretrainEntry{Seed: seed, PretrainFigures: results.PretrainFigures{EvaluatedOn: cfg.Eval.Tasks, PretrainTask: cfg.Pretrain.Tasks}}
	if first != nil {
		ev := newEvaluator(w, cfg)
		if ts, ok := w.eval[envs.SplitPretrain]; ok {
			w.info.PretrainAcc = ev.model(first, ts).stepAcc
		}
		r := ev.model(first, w.pool[:min(len(w.pool), cfg.Eval.Tasks)])
		w.info.JobSuccess, w.info.JobStepAcc = r.success, r.stepAcc
	}
	return w, nil
}

// modelSeed keys the construction of models at this seed.
func (w *world) modelSeed() uint64 { return envs.Key(w.seed, uint64(purposeModel)) }

// modelSeedOf is world.modelSeed of the world at seed.
func modelSeedOf(seed int) uint64 { return envs.Key(envs.Key(uint64(seed)), uint64(purposeModel)) }

// buildFamily builds the config's family at seed.
func buildFamily(cfg *Config, seed int) (envs.Family, error) {
	fac, err := envs.Lookup(cfg.Env.Family)
	if err != nil {
		return nil, err
	}
	return fac.New(cfg.Env.Knobs, uint64(seed))
}

// trainPool is the job's pool of train instances: the family's finite
// pool, or eval.tasks instances of a family without one.
func trainPool(fam envs.Family, cfg *Config) ([]envs.Task, error) {
	n := fam.PoolSize(envs.SplitTrain)
	if n == 0 {
		n = cfg.Eval.Tasks
	}
	pool := make([]envs.Task, 0, n)
	for i := 0; i < n; i++ {
		t, err := fam.Task(envs.SplitTrain, i)
		if err != nil {
			return nil, err
		}
		pool = append(pool, t)
	}
	return pool, nil
}

// base returns the pretrained base model of an agent.
func (w *world) base(a agents.Config) (agents.Model, error) {
	key, err := agents.PretrainKey(a.Policy)
	if err != nil {
		return nil, err
	}
	b, ok := w.bases[key]
	if !ok {
		return nil, fmt.Errorf("no base model pretrained for %s", key)
	}
	return b, nil
}
