package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/grindbench/grindbench/results"
)

// RunOptions steers Run.
type RunOptions struct {
	Out      string // results folder; default out/<experiment>
	Workers  int    // parallel runs; default all cores
	Shard    Shard  // the subset of the sweep to run; zero for all of it
	Log      *slog.Logger
	Progress func(done, total int) // called after every finished run; may be nil
}

// RunSpec is one (point, agent, seed) run with its stable key.
type RunSpec struct {
	Key   string
	Point int // index into Experiment.Points
	Agent int // index into the point's Config.Agents
	Seed  int
}

// Outcome is what Run did.
type Outcome struct {
	Out      string
	Runs     []RunSpec
	Skipped  int               // finished in an earlier invocation
	Ran      int               // finished now
	Failed   map[string]string // run key -> cause
	Manifest *results.Manifest
	// Loaded holds the records of the runs finished now (up to
	// results.DefaultLoadedBudget), for results.BuildOptions.Loaded: the
	// output phase need not read back the files it just wrote.
	Loaded *results.LoadedRuns
}

var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9._=,-]+`)

// RunKey is the stable key of a run: it names the run's record file.
func RunKey(point, agent string, seed int) string {
	return unsafeKey.ReplaceAllString(fmt.Sprintf("%s__%s__s%04d", point, agent, seed), "_")
}

// Plan lists every run of the experiment, sorted by key.
func Plan(exp *Experiment) []RunSpec {
	var runs []RunSpec
	for pi, p := range exp.Points {
		c := &p.Config
		for s := c.SeedBase; s < c.SeedBase+c.Seeds; s++ {
			for ai, a := range c.Agents {
				runs = append(runs, RunSpec{Key: RunKey(p.Label, a.Name, s), Point: pi, Agent: ai, Seed: s})
			}
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Key < runs[j].Key })
	return runs
}

// DefaultOut is the results folder used when none is given.
func DefaultOut(exp *Experiment) string { return filepath.Join("out", exp.Config.Experiment) }

// worldCache builds each (point, seed) world once and frees it when its last
// run is done, so memory stays flat over long sweeps.
type worldCache struct {
	mu      sync.Mutex
	entries map[[2]int]*worldEntry
}

type worldEntry struct {
	once    sync.Once
	w       *world
	err     error
	pending int
}

func (c *worldCache) get(exp *Experiment, point, seed int) (*world, error) {
	c.mu.Lock()
	e := c.entries[[2]int{point, seed}]
	c.mu.Unlock()
	e.once.Do(func() {
		e.w, e.err = newWorld(&exp.Points[point].Config, seed)
		if e.w != nil {
			e.w.info.Point = exp.Points[point].Label
		}
	})
	return e.w, e.err
}

func (c *worldCache) release(point, seed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]int{point, seed}
	if e := c.entries[k]; e != nil {
		e.pending--
		if e.pending == 0 {
			delete(c.entries, k)
		}
	}
}

// Run executes every run of exp not already finished in the results folder,
// writing each finished run's records atomically, then the manifest and the
// outputs built from the records. Failed runs do not stop the others; they
// are listed in the manifest and in the returned Outcome.
func Run(ctx context.Context, exp *Experiment, opt RunOptions) (*Outcome, error) {
	if opt.Out == "" {
		opt.Out = DefaultOut(exp)
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := prepareOut(opt.Out, exp); err != nil {
		return nil, err
	}
	runs := opt.Shard.Select(Plan(exp))
	out := &Outcome{Out: opt.Out, Runs: runs, Failed: map[string]string{}, Loaded: results.NewLoadedRuns(results.DefaultLoadedBudget)}
	var todo []RunSpec
	for _, r := range runs {
		path := results.RunPath(opt.Out, r.Key)
		if _, err := os.Stat(path); err == nil {
			if err := results.CheckRunFile(path); err == nil {
				out.Skipped++
				continue
			} else {
				// Runs are deterministic: rerunning restores what was there.
				log.Warn("damaged record file: running it again", "run", r.Key, "err", err)
			}
		}
		todo = append(todo, r)
	}
	// Run seed by seed so that a world is built, shared and freed quickly.
	sort.SliceStable(todo, func(i, j int) bool {
		if todo[i].Point != todo[j].Point {
			return todo[i].Point < todo[j].Point
		}
		return todo[i].Seed < todo[j].Seed
	})
	cache := &worldCache{entries: map[[2]int]*worldEntry{}}
	for _, r := range todo {
		k := [2]int{r.Point, r.Seed}
		if cache.entries[k] == nil {
			cache.entries[k] = &worldEntry{}
		}
		cache.entries[k].pending++
	}
	log.Info("run", "experiment", exp.Config.Experiment, "runs", len(runs), "skipped", out.Skipped, "workers", opt.Workers, "out", opt.Out)

	var (
		mu        sync.Mutex
		done      = out.Skipped
		pretrains = map[[2]int]results.PretrainEntry{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opt.Workers)
	for _, r := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			defer cache.release(r.Point, r.Seed)
			if gctx.Err() != nil {
				return gctx.Err()
			}
			loaded, err := runOne(gctx, exp, cache, r, opt.Out, func(info results.PretrainEntry) {
				mu.Lock()
				pretrains[[2]int{r.Point, r.Seed}] = info
				mu.Unlock()
			})
			if errors.Is(err, context.Canceled) {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				log.Warn("run failed", "run", r.Key, "err", err)
				out.Failed[r.Key] = err.Error()
				if werr := writeFailure(opt.Out, r, err); werr != nil {
					return werr // the folder is unwritable: stop the sweep
				}
			} else {
				out.Ran++
				out.Loaded.Add(r.Key, loaded)
			}
			done++
			if opt.Progress != nil {
				opt.Progress(done, len(runs))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return out, fmt.Errorf("sweep interrupted after %d of %d runs (finished runs are kept; rerun to resume): %w", done, len(runs), err)
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	m, err := writeManifest(opt.Out, exp, opt.Shard, runs, out.Failed, pretrains)
	if err != nil {
		return out, err
	}
	out.Manifest = m
	return out, nil
}

// runOne runs one job and writes its record file atomically. A panic in a
// run fails that run, not the sweep.
func runOne(ctx context.Context, exp *Experiment, cache *worldCache, r RunSpec, dir string, info func(results.PretrainEntry)) (loaded *results.LoadedRun, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	w, err := cache.get(exp, r.Point, r.Seed)
	if err != nil {
		return nil, err
	}
	info(w.info)
	p := &exp.Points[r.Point]
	acfg := p.Config.Agents[r.Agent]
	h := results.Header{Run: r.Key, Experiment: p.Config.Experiment, Point: p.Label,
		Family: p.Config.Env.Family, Agent: acfg.Name, Seed: r.Seed}
	data, loaded, err := runJob(ctx, w, &p.Config, acfg, h)
	if err != nil {
		return nil, err
	}
	if err := results.WriteFileAtomic(results.RunPath(dir, r.Key), data); err != nil {
		return nil, err
	}
	os.Remove(failurePath(dir, r.Key)) // a retry that succeeded clears the old failure
	return loaded, nil
}

// FailedDir holds one file per failed run, naming its cause. Failed runs
// are retried by the next invocation.
const FailedDir = "failed"

func failurePath(dir, key string) string { return filepath.Join(dir, FailedDir, key+".json") }

func writeFailure(dir string, r RunSpec, cause error) error {
	if err := os.MkdirAll(filepath.Join(dir, FailedDir), 0o755); err != nil {
		return err
	}
	return results.WriteJSONAtomic(failurePath(dir, r.Key), map[string]any{"run": r.Key, "seed": r.Seed, "error": cause.Error()})
}

// prepareOut creates the results folder, refusing one that holds results of
// a different config.
func prepareOut(dir string, exp *Experiment) error {
	if err := os.MkdirAll(filepath.Join(dir, results.RunsDir), 0o755); err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	m, err := results.ReadManifest(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case m.ConfigHash != exp.Hash:
		return fmt.Errorf("%s holds results of another config (hash %.12s, this one %.12s): choose another --out or remove it", dir, m.ConfigHash, exp.Hash)
	}
	return nil
}

// CodeVersion is the VCS revision the binary was built from, with
// "+modified" when the work tree had changes, or "unknown".
func CodeVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, mod := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				mod = "+modified"
			}
		}
	}
	if rev == "" {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		// `go run` does not stamp VCS information: ask git, when the
		// working folder is a checkout of this module.
		if v := gitVersion(bi.Main.Path); v != "" {
			return v
		}
		return "unknown"
	}
	return rev + mod
}

var gitVersionOnce = sync.OnceValue(func() [2]string {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return [2]string{}
	}
	gomod, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(top)), "go.mod"))
	if err != nil {
		return [2]string{}
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return [2]string{}
	}
	v := strings.TrimSpace(string(rev))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		v += "+modified"
	}
	return [2]string{string(gomod), v}
})

// gitVersion returns the checkout's revision if its go.mod declares module.
func gitVersion(module string) string {
	g := gitVersionOnce()
	if module == "" || !strings.Contains(g[0], "module "+module+"\n") {
		return ""
	}
	return g[1]
}

func writeManifest(dir string, exp *Experiment, shard Shard, runs []RunSpec, failed map[string]string, pretrains map[[2]int]results.PretrainEntry) (*results.Manifest, error) {
	m, err := buildManifest(dir, exp, shard, runs, failed, pretrains)
	if err != nil {
		return nil, err
	}
	return m, results.WriteJSONAtomic(filepath.Join(dir, results.ManifestFile), m)
}

// buildManifest describes the folder's runs as they stand on disk.
func buildManifest(dir string, exp *Experiment, shard Shard, runs []RunSpec, failed map[string]string, pretrains map[[2]int]results.PretrainEntry) (*results.Manifest, error) {
	c := &exp.Config
	m := &results.Manifest{
		Schema: results.SchemaVersion, Experiment: c.Experiment, Question: c.Question, Reading: c.Reading,
		ConfigFile: exp.File, ConfigHash: exp.Hash, ConfigText: string(exp.Data), Sets: exp.Sets,
		Baseline: c.Report.Baseline, Resamples: c.Report.Resamples,
		CodeVersion: CodeVersion(), GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		Shard: shard.String(),
	}
	resolved := make([]results.ResolvedPoint, len(exp.Points))
	for i, p := range exp.Points {
		resolved[i] = results.ResolvedPoint{Point: p.Label, Config: KnobMap(&p.Config)}
		m.Points = append(m.Points, p.Label)
	}
	b, err := json.Marshal(resolved)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m.Resolved = b
	for _, a := range exp.Sweep {
		m.Sweep = append(m.Sweep, results.SweepAxis{Key: a.Key, Values: a.Values})
	}
	for _, a := range c.Agents {
		m.Agents = append(m.Agents, a.Name)
	}
	for s := c.SeedBase; s < c.SeedBase+c.Seeds; s++ {
		m.Seeds = append(m.Seeds, s)
	}
	for _, r := range runs {
		e := results.RunEntry{Key: r.Key, Point: exp.Points[r.Point].Label, Agent: exp.Points[r.Point].Config.Agents[r.Agent].Name, Seed: r.Seed}
		if cause, bad := failed[r.Key]; bad {
			e.Status, e.Error = "failed", cause
		} else if h, err := results.HashFile(results.RunPath(dir, r.Key)); err == nil {
			e.Status, e.Hash = "done", h
		} else {
			e.Status = "pending"
		}
		m.Runs = append(m.Runs, e)
	}
	// Pretraining figures of runs skipped on resume come from the old manifest.
	if old, err := results.ReadManifest(dir); err == nil {
		for _, p := range old.Pretrain {
			for pi, pt := range exp.Points {
				if pt.Label == p.Point {
					if _, ok := pretrains[[2]int{pi, p.Seed}]; !ok {
						pretrains[[2]int{pi, p.Seed}] = p
					}
				}
			}
		}
	}
	keys := make([][2]int, 0, len(pretrains))
	for k := range pretrains {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		m.Pretrain = append(m.Pretrain, pretrains[k])
	}
	return m, nil
}
