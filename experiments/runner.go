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
	// ForceNew starts the folder afresh when it holds results of another
	// config or shard (or an unreadable manifest): the files grind wrote
	// there are removed first. Without it such a folder is refused.
	ForceNew bool
	// AllowExternal allows the config's external agent programs to run;
	// without it each must be listed in AllowFile (external.go).
	AllowExternal bool
	AllowFile     string // default DefaultAllowFile
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
	Skipped  int                  // finished in an earlier invocation
	Ran      int                  // finished now
	Failed   map[string]string    // run key -> cause
	Damaged  []results.DamagedRun // record files moved aside to damaged/ (their runs ran again)
	Manifest *results.Manifest
	// Loaded holds the records of the runs finished now (up to
	// results.DefaultLoadedBudget), for results.BuildOptions.Loaded: the
	// output phase need not read back and decode the files it just wrote.
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

// Run executes every run of exp not already finished in the results folder.
// The caller holds the folder's exclusive lock (results.LockFolder).
//
// Before any run it checks the folder is this config's (and shard's),
// verifies every record file there (results.VerifyRun) and moves aside to
// damaged/ each one that is damaged, edited, of another config or not
// planned, then writes the planned manifest: from its first moment the
// folder says which config it holds. Each run streams its records to a
// temporary file renamed into place when the run ends, so a record file is
// whole or absent. The manifest is rewritten at the end from the runs
// themselves. Failed runs do not stop the others; they are listed in the
// manifest and in the returned Outcome. A sweep with no runs (a shard
// beyond the sweep's size) writes nothing.
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
	if err := checkExternalAllowed(exp, opt); err != nil {
		return nil, err
	}
	ctx = withRunOptions(ctx, opt)
	runs := opt.Shard.Select(Plan(exp))
	out := &Outcome{Out: opt.Out, Runs: runs, Failed: map[string]string{}, Loaded: results.NewLoadedRuns(results.DefaultLoadedBudget)}
	if len(runs) == 0 {
		return out, nil
	}
	old, err := prepareOut(opt.Out, exp, opt.Shard, opt.ForceNew)
	if err != nil {
		return nil, err
	}
	files, damaged, err := verifyFolder(opt.Out, exp, runs, old)
	if err != nil {
		return nil, err
	}
	out.Damaged = damaged
	for _, d := range damaged {
		log.Warn("damaged record file moved aside; its run runs again", "run", d.Key, "to", d.Path, "why", d.Err)
	}
	versions := runVersions(old, files)
	if n := len(versions); n > 0 {
		log.Warn("finished runs of this folder were made by another build; they are kept (--force-new redoes them)", "runs", n, "this build", CodeVersion())
	}
	// The planned manifest: the folder's identity before any run.
	if out.Manifest, err = writeManifest(opt.Out, exp, opt.Shard, runs, files, nil, versions); err != nil {
		return nil, err
	}
	var todo []RunSpec
	for _, r := range runs {
		if files[r.Key] != nil {
			out.Skipped++
		} else {
			todo = append(todo, r)
		}
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
		mu   sync.Mutex
		done = out.Skipped
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
			rf, lr, err := runOne(gctx, exp, cache, r, opt.Out)
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
				files[r.Key] = rf
				out.Loaded.Add(r.Key, lr)
				out.Ran++
			}
			done++
			if opt.Progress != nil {
				opt.Progress(done, len(runs))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		// The manifest says which runs finished before the interrupt.
		writeManifest(opt.Out, exp, opt.Shard, runs, files, out.Failed, versions)
		return out, fmt.Errorf("sweep interrupted after %d of %d runs (finished runs are kept; rerun to resume): %w", done, len(runs), err)
	}
	if err := ctx.Err(); err != nil {
		writeManifest(opt.Out, exp, opt.Shard, runs, files, out.Failed, versions)
		return out, err
	}
	if out.Manifest, err = writeManifest(opt.Out, exp, opt.Shard, runs, files, out.Failed, versions); err != nil {
		return out, err
	}
	return out, nil
}

// runOne runs one job, streaming its records to a temporary file that
// becomes the run's record file when the job ends, and keeping them as
// values for the output phase (nil if they cannot be held). A panic in a
// run fails that run, not the sweep; a failed or interrupted run leaves no
// file.
func runOne(ctx context.Context, exp *Experiment, cache *worldCache, r RunSpec, dir string) (rf *results.RunFile, lr *results.LoadedRun, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	w, err := cache.get(exp, r.Point, r.Seed)
	if err != nil {
		return nil, nil, err
	}
	p := &exp.Points[r.Point]
	acfg := p.Config.Agents[r.Agent]
	h := results.Header{Schema: results.SchemaVersion, Run: r.Key, Experiment: p.Config.Experiment, Config: results.ConfigID(exp.Hash),
		Point: p.Label, Family: p.Config.Env.Family, Agent: acfg.Name, Seed: r.Seed}
	enc, err := results.CreateRun(results.RunPath(dir, r.Key))
	if err != nil {
		return nil, nil, err
	}
	enc.Keep()
	committed := false
	defer func() {
		if !committed {
			enc.Abort()
		}
	}()
	start := &results.Start{Header: h, ConfigHash: exp.Hash, PretrainFigures: w.info.PretrainFigures}
	start.Kind = results.KindStart
	if err := enc.Write(start); err != nil {
		return nil, nil, err
	}
	if err := runJob(ctx, w, &p.Config, acfg, h, enc); err != nil {
		return nil, nil, err
	}
	sum, err := enc.Commit()
	if err != nil {
		return nil, nil, err
	}
	committed = true
	os.Remove(failurePath(dir, r.Key)) // a retry that succeeded clears the old failure
	return &results.RunFile{Key: r.Key, Hash: sum, Start: start}, enc.Loaded(), nil
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

// FolderError is a results folder that cannot be used: a file in its
// place, or a folder that cannot be created or written. It is bad input:
// nothing has run.
type FolderError struct {
	Dir string
	Err error
}

func (e *FolderError) Error() string { return fmt.Sprintf("results folder %s: %v", e.Dir, e.Err) }
func (e *FolderError) Unwrap() error { return e.Err }

// MismatchError is a results folder that holds results of another config
// or another shard of it: resuming it would mix two sweeps under one
// manifest.
type MismatchError struct {
	Dir   string
	What  string   // "config" or "shard"
	Diffs []string // what differs, one line each
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s holds results of another %s: %s; choose another --out, or pass --force-new to start the folder afresh",
		e.Dir, e.What, strings.Join(e.Diffs, "; "))
}

// prepareOut checks that results folder dir can hold exp's shard: a folder
// (or nothing yet) whose manifest, if any, is of the same config hash and
// shard. With forceNew a folder of another config is emptied of grind's
// files instead. It creates dir/runs and returns the folder's manifest
// (nil for a new folder).
func prepareOut(dir string, exp *Experiment, shard Shard, forceNew bool) (*results.Manifest, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, &FolderError{Dir: dir, Err: errors.New("a file is in the way: name a folder")}
	}
	m, err := results.ReadManifest(dir)
	var mismatch error
	switch {
	case errors.Is(err, os.ErrNotExist):
		m = nil
	case err != nil:
		mismatch = fmt.Errorf("%w; choose another --out, or pass --force-new to start the folder afresh", err)
	case m.ConfigHash != exp.Hash:
		mismatch = &MismatchError{Dir: dir, What: "config", Diffs: configDiffs(m, exp)}
	case m.Shard != shard.String():
		mismatch = &MismatchError{Dir: dir, What: "shard", Diffs: []string{fmt.Sprintf("it holds %s, this is %s", shardName(m.Shard), shardName(shard.String()))}}
	}
	if mismatch != nil {
		if !forceNew {
			return nil, mismatch
		}
		if err := clearFolder(dir); err != nil {
			return nil, err
		}
		m = nil
	}
	if err := os.MkdirAll(filepath.Join(dir, results.RunsDir), 0o755); err != nil {
		return nil, &FolderError{Dir: dir, Err: err}
	}
	return m, nil
}

func shardName(s string) string {
	if s == "" {
		return "the whole sweep"
	}
	return "shard " + s
}

// grindFiles are the entries of a results folder grind writes; --force-new
// removes them and nothing else.
var grindFiles = []string{results.ManifestFile, results.RunsDir, FailedDir, results.DamagedDir,
	"summary.csv", "tables", "plots", results.ReportFile}

func clearFolder(dir string) error {
	for _, f := range grindFiles {
		if err := os.RemoveAll(filepath.Join(dir, f)); err != nil {
			return &FolderError{Dir: dir, Err: err}
		}
	}
	return nil
}

// configDiffs names what differs between the config a folder's manifest
// recorded and exp: sweep points only in one of them, and every knob whose
// value differs, with both values.
func configDiffs(m *results.Manifest, exp *Experiment) []string {
	const most = 12
	var diffs []string
	add := func(format string, args ...any) {
		if len(diffs) <= most {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	add("the folder's config hash is %.12s, this one's %.12s", m.ConfigHash, exp.Hash)
	olds, err := m.ResolvedPoints()
	if err != nil || len(olds) == 0 {
		return diffs
	}
	oldAt := map[string]map[string]string{}
	for _, p := range olds {
		oldAt[p.Point] = jsonValues(p.Config)
	}
	type change struct{ was, now string }
	byKey := map[string]map[change][]string{} // knob -> change -> points
	newLabels := map[string]bool{}
	for _, p := range exp.Points {
		newLabels[p.Label] = true
		was, ok := oldAt[p.Label]
		if !ok {
			add("sweep point %s is not in the folder", p.Label)
			continue
		}
		now := jsonValues(KnobMap(&p.Config))
		for k := range unionKeys(was, now) {
			if was[k] != now[k] {
				c := change{orNone(was[k]), orNone(now[k])}
				if byKey[k] == nil {
					byKey[k] = map[change][]string{}
				}
				byKey[k][c] = append(byKey[k][c], p.Label)
			}
		}
	}
	for _, p := range olds {
		if !newLabels[p.Point] {
			add("sweep point %s is in the folder, not in this config", p.Point)
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		changes := make([]change, 0, len(byKey[k]))
		for c := range byKey[k] {
			changes = append(changes, c)
		}
		sort.Slice(changes, func(i, j int) bool { return changes[i].was+changes[i].now < changes[j].was+changes[j].now })
		for _, c := range changes {
			where := ""
			if pts := byKey[k][c]; len(pts) < len(exp.Points) {
				where = " at " + strings.Join(pts, ", ")
			}
			add("%s is %s in the folder, %s in this config%s", k, c.was, c.now, where)
		}
	}
	if len(diffs) > most {
		diffs = append(diffs[:most], "and more")
	}
	return diffs
}

// jsonValues writes each knob's value as JSON, so values decoded from a
// manifest and values resolved now compare alike.
func jsonValues(knobs map[string]any) map[string]string {
	out := make(map[string]string, len(knobs))
	for k, v := range knobs {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		var norm any
		if json.Unmarshal(b, &norm) == nil {
			b, _ = json.Marshal(norm)
		}
		out[k] = string(b)
	}
	return out
}

func unionKeys(a, b map[string]string) map[string]bool {
	u := make(map[string]bool, len(a))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func orNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// verifyFolder verifies every record file in dir/runs against exp's plan
// and the content hashes the folder's manifest old recorded. It returns
// the intact files of planned runs, and moves every other one aside to
// damaged/ (results.MoveAside), returning where each went and why.
func verifyFolder(dir string, exp *Experiment, runs []RunSpec, old *results.Manifest) (map[string]*results.RunFile, []results.DamagedRun, error) {
	planned := make(map[string]*results.Expect, len(runs))
	var recorded map[string]*results.Expect
	if old != nil {
		recorded = old.Plan()
	}
	for _, r := range runs {
		p := &exp.Points[r.Point]
		e := &results.Expect{Key: r.Key, Experiment: p.Config.Experiment, Point: p.Label, Agent: p.Config.Agents[r.Agent].Name,
			Seed: r.Seed, ConfigHash: exp.Hash}
		if rec := recorded[r.Key]; rec != nil {
			e.Hash = rec.Hash
		}
		planned[r.Key] = e
	}
	paths, err := results.RunFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]*results.RunFile{}
	var damaged []results.DamagedRun
	for _, path := range paths {
		key := results.RunKey(path)
		var why error
		if want := planned[key]; want == nil {
			why = errors.New("not a run of this config's plan (a file from another folder, experiment or shard)")
		} else if rf, err := results.VerifyRun(path, want); err != nil {
			why = err
		} else {
			files[key] = rf
			continue
		}
		d, err := results.MoveAside(dir, key, why)
		if err != nil {
			return nil, nil, err
		}
		damaged = append(damaged, d)
	}
	return files, damaged, nil
}

// runVersions returns, for each finished run that another build made, that
// build's code version, as the folder's manifest old records it: a run
// finished in an invocation that was interrupted was made by the build
// that wrote that invocation's planned manifest.
func runVersions(old *results.Manifest, files map[string]*results.RunFile) map[string]string {
	if old == nil {
		return nil
	}
	byKey := map[string]string{}
	for _, r := range old.Runs {
		byKey[r.Key] = r.CodeVersion
	}
	this := CodeVersion()
	versions := map[string]string{}
	for key := range files {
		v := byKey[key]
		if v == "" {
			v = old.CodeVersion
		}
		if v != "" && v != this {
			versions[key] = v
		}
	}
	return versions
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

func writeManifest(dir string, exp *Experiment, shard Shard, runs []RunSpec, files map[string]*results.RunFile, failed, versions map[string]string) (*results.Manifest, error) {
	m, err := buildManifest(exp, shard, runs, files, failed, versions)
	if err != nil {
		return nil, err
	}
	return m, results.WriteJSONAtomic(filepath.Join(dir, results.ManifestFile), m)
}

// buildManifest describes a folder whose intact record files are files:
// every planned run with its status (done with its content hash, failed
// with its cause, or pending), the code version of runs another build
// made, and the pretraining figures of every (point, seed), from the runs'
// own start records. It depends on nothing else, so a folder resumed after
// any interruption gets the manifest an uninterrupted run writes.
func buildManifest(exp *Experiment, shard Shard, runs []RunSpec, files map[string]*results.RunFile, failed, versions map[string]string) (*results.Manifest, error) {
	c := &exp.Config
	m := &results.Manifest{
		Schema: results.SchemaVersion, Experiment: c.Experiment, Question: c.Question, Reading: c.Reading,
		ConfigFile: exp.File, ConfigHash: exp.Hash, ConfigText: string(exp.Data), Sets: exp.Sets, Sweeps: exp.Sweeps,
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
	m.Capacity = capacityAxis(exp)
	for s := c.SeedBase; s < c.SeedBase+c.Seeds; s++ {
		m.Seeds = append(m.Seeds, s)
	}
	pretrains := map[[2]int]results.PretrainEntry{}
	for _, r := range runs {
		e := results.RunEntry{Key: r.Key, Point: exp.Points[r.Point].Label, Agent: exp.Points[r.Point].Config.Agents[r.Agent].Name, Seed: r.Seed}
		if rf := files[r.Key]; rf != nil {
			e.Status, e.Hash, e.CodeVersion = results.StatusDone, rf.Hash, versions[r.Key]
			if rf.Start != nil {
				pretrains[[2]int{r.Point, r.Seed}] = results.PretrainEntry{Point: e.Point, Seed: r.Seed, PretrainFigures: rf.Start.PretrainFigures}
			}
		} else if cause, bad := failed[r.Key]; bad {
			e.Status, e.Error = results.StatusFailed, cause
		} else {
			e.Status = results.StatusPending
		}
		m.Runs = append(m.Runs, e)
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
