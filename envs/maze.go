package envs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The maze family: navigation to a goal on procedurally generated grids.
//
// Layouts. A layout is a side x side grid of open cells and walls. Every cell
// is a wall with probability `walls`; then every open cell outside the
// largest 4-connected open region is walled up too (ties go to the region
// holding the first open cell in row-major order), so every open cell
// reaches every other: a layout is solvable by construction (tests check it
// by BFS, and every task's distances come from a BFS from its goal). A layout is drawn from keys of (seed, split, layout
// index, try); a draw whose open region covers less than `min_open` of the
// grid, or that equals a layout the family already holds in any split, is
// redrawn. The rule is the same for every split, so held-out layouts come
// from the job's distribution (larger ones from the same rule at a larger
// side).
//
// Tasks. A task is a layout, a goal and a start, drawn uniformly among the
// ordered pairs of open cells at BFS distance d >= 2 (so that starting out
// is never the loophole below). Actions are north, east, south, west and
// stop; a move into a wall or off the grid leaves the agent where it is.
// The attempt ends when the agent stops, or after
// budget = ceil(budget (d + 1)) steps: the shortest attempt is d moves and a
// stop. A step is correct when it is a move that lowers the BFS distance to
// the goal, or a stop on the goal; Correct() answers the first such move in
// the order north, east, south, west (a fixed rule, so pretraining
// demonstrations are consistent), or stop on the goal.
//
// Outcome. Success: the agent stopped on the goal. Score: partial credit by
// distance, 1 - d_end/d clipped to [0, 1], with d_end the BFS distance to
// the goal where the attempt ended (a wanderer that ends farther than it
// started scores 0; one that runs out of steps on the goal scores 1 without
// succeeding). The loophole: the attempt ends within one cell of the goal
// without stopping on it, which a verifier that checks only the final
// position's distance would pass.
//
// Splits: train (the job's pool of train_tasks instances over train_layouts
// layouts, and fresh instances on the same layouts), heldout (new layouts of
// the same side), larger@k (new layouts of side k size) and pretrain (the
// layouts pretraining sees). Every layout belongs to one split and no two
// are equal.
//
// What the models can represent. The channels are local: the goal's
// direction and the walls around the agent. A shortest path depends on the
// whole layout, so no policy of these channels is optimal on every layout;
// the maze measures how far local rules learnt on some layouts carry to new
// and larger ones. The bilinear model's shared terms are products of one
// goal feature and one view cell (a constant 1 in each channel adds the
// terms of each alone): for a given goal its logits are linear in the walls,
// enough for "head for the goal, not into a wall" and for fixed priorities
// between moves. The MLP's hidden layer can also respond to combinations of
// walls (a dead end, a corridor), which logits linear in the walls cannot.
// The memorizing channel names the agent's cell of a train layout: with it
// either model can learn a route per cell of the job's layouts, which a new
// layout does not share.
//
// Calibration (Maze.Expected): the exact expected outcome of any memoryless
// policy on a task, by dynamic programming over the agent's cell; on an open
// grid with budget 1 the uniformly random policy succeeds with probability
// C(|dx|+|dy|, |dx|) / 5^(d+1), since its only successes are the monotone
// shortest paths followed by a stop.

func init() {
	Register(Factory{
		Name:      "maze",
		Doc:       "navigation to a goal on procedurally generated grids, seen through a local window; held out: new and larger layouts (envs/maze.go)",
		NewConfig: func() any { c := DefaultMaze(); return &c },
		New: func(cfg any, seed uint64) (Family, error) {
			c, ok := cfg.(*MazeConfig)
			if !ok {
				return nil, fmt.Errorf("maze: config has type %T, want *MazeConfig", cfg)
			}
			return NewMaze(*c, seed)
		},
	})
}

// MazeConfig holds the maze family's knobs.
type MazeConfig struct {
	Size            int     `toml:"size" range:"3,32" doc:"side of the job's square grids, in cells"`
	Walls           float64 `toml:"walls" range:"0,0.5" doc:"probability that a cell is drawn as a wall (cells cut off from the largest open region are walled up after); above 0, so that layouts differ"`
	MinOpen         float64 `toml:"min_open" range:"0,0.9" doc:"fraction of the grid the open region must cover, else the layout is redrawn: keeps a layout from collapsing into a pocket; at most 1 - walls"`
	View            int     `toml:"view" range:"1,4" doc:"radius r of the local view: the walls of the (2r+1)^2 cells around the agent"`
	TrainLayouts    int     `toml:"train_layouts" range:"1,1024" doc:"layouts the job's tasks are on"`
	HeldoutLayouts  int     `toml:"heldout_layouts" range:"1,1024" doc:"new layouts in heldout and in each larger@k split"`
	PretrainLayouts int     `toml:"pretrain_layouts" range:"1,65536" doc:"layouts pretraining demonstrations are on"`
	TrainTasks      int     `toml:"train_tasks" range:"1,1000000" doc:"task instances in the job's pool (layouts times start/goal pairs)"`
	Larger          []int   `toml:"larger" range:"2,8" doc:"side multiples k: one larger@k split each, of new k size x k size layouts"`
	Budget          float64 `toml:"budget" range:"1,10" doc:"steps an attempt may take, as a multiple of the shortest attempt (d moves and a stop), rounded up"`
}

// DefaultMaze returns small, fast defaults: 7x7 grids, each cell drawn as a
// wall with probability 0.3, four layouts for the job.
func DefaultMaze() MazeConfig {
	return MazeConfig{
		Size: 7, Walls: 0.3, MinOpen: 0.5, View: 2,
		TrainLayouts: 4, HeldoutLayouts: 16, PretrainLayouts: 64,
		TrainTasks: 128, Larger: []int{2}, Budget: 2,
	}
}

// mazeMaxSide bounds the side of every layout: the diameter computation at
// build is quadratic in the cells.
const mazeMaxSide = 64

// mazeMaxPlaces bounds the place identities (train_layouts x size^2): the
// memorizing terms of a model grow with them.
const mazeMaxPlaces = 65536

// Validate reports knobs the family cannot be built from. It repeats the
// range checks a config loader makes, since NewMaze may be called directly.
func (c MazeConfig) Validate() error {
	var errs []error
	if c.Size < 3 || c.Size > 32 {
		errs = append(errs, fmt.Errorf("size = %d: need 3 to 32", c.Size))
	}
	if !(c.Walls > 0 && c.Walls <= 0.5) {
		errs = append(errs, fmt.Errorf("walls = %v: need a probability in (0, 0.5]: at 0 every layout is the open grid, so held-out layouts could not be new", c.Walls))
	}
	if !(c.MinOpen >= 0 && c.MinOpen <= 0.9) {
		errs = append(errs, fmt.Errorf("min_open = %v: need 0 to 0.9", c.MinOpen))
	} else if c.MinOpen > 1-c.Walls {
		errs = append(errs, fmt.Errorf("min_open = %v exceeds 1 - walls = %v, the open fraction of an average draw: layouts would rarely qualify", c.MinOpen, 1-c.Walls))
	}
	if c.View < 1 || c.View > 4 {
		errs = append(errs, fmt.Errorf("view = %d: need 1 to 4", c.View))
	}
	for _, k := range []struct {
		name string
		n    int
	}{{"train_layouts", c.TrainLayouts}, {"heldout_layouts", c.HeldoutLayouts}, {"pretrain_layouts", c.PretrainLayouts}} {
		if k.n < 1 {
			errs = append(errs, fmt.Errorf("%s = %d: need at least 1", k.name, k.n))
		}
	}
	if c.TrainTasks < c.TrainLayouts || c.TrainTasks > FreshIndex {
		errs = append(errs, fmt.Errorf("train_tasks = %d: need train_layouts = %d to %d, so that every job layout has an instance and the pool ends before the fresh instances start", c.TrainTasks, c.TrainLayouts, FreshIndex))
	}
	// Every layout keeps m >= min_open size^2 (and >= 3) open cells, so at
	// least minPairs(m) ordered pairs 2 steps apart: the pool fits if it
	// takes at most half of them, and NewMaze cannot fail on it.
	if m := max(3, int(math.Ceil(c.MinOpen*float64(c.Size*c.Size)-1e-9))); c.TrainLayouts >= 1 && c.TrainTasks >= 1 {
		share := (c.TrainTasks + c.TrainLayouts - 1) / c.TrainLayouts
		if 2*share > minPairs(m) {
			errs = append(errs, fmt.Errorf("train_tasks = %d puts up to %d instances on a train layout, which may have as few as %d open cells and %d start/goal pairs: fresh instances need as many left over; lower train_tasks, or raise train_layouts, size or min_open", c.TrainTasks, share, m, minPairs(m)))
		}
	}
	if n := c.TrainLayouts * c.Size * c.Size; n > mazeMaxPlaces {
		errs = append(errs, fmt.Errorf("train_layouts x size^2 = %d place identities: at most %d, since a model's memorizing terms grow with them", n, mazeMaxPlaces))
	}
	seen := map[int]bool{}
	for _, k := range c.Larger {
		switch {
		case k < 2:
			errs = append(errs, fmt.Errorf("larger = %d: need multiples of at least 2", k))
		case k*c.Size > mazeMaxSide:
			errs = append(errs, fmt.Errorf("larger = %d: side %d x %d = %d exceeds %d", k, k, c.Size, k*c.Size, mazeMaxSide))
		case seen[k]:
			errs = append(errs, fmt.Errorf("larger = %d is listed twice: split names must be unique", k))
		}
		seen[k] = true
	}
	if !(c.Budget >= 1 && c.Budget <= 10) {
		errs = append(errs, fmt.Errorf("budget = %v: need 1 to 10 times the shortest attempt", c.Budget))
	}
	return errors.Join(errs...)
}

// minPairs is the fewest ordered pairs of cells at least 2 steps apart in a
// connected region of m grid cells: m (m-1) less the ordered pairs of
// neighbours, of which there are at most 2 (2m - ceil(2 sqrt m)) (Harary
// and Harborth's bound on the edges of a polyomino of m cells, attained by
// the most compact shapes).
func minPairs(m int) int {
	return m*(m-1) - 2*(2*m-int(math.Ceil(2*math.Sqrt(float64(m))-1e-9)))
}

// The maze's actions.
const (
	mazeNorth = iota
	mazeEast
	mazeSouth
	mazeWest
	mazeStop
	mazeActions
)

// The maze family's observation channels, in its Spec's order. The goal
// comes first: the bilinear model pairs its first dense channel with the
// others and keys its memorizing terms by it, so a place's terms can tell
// goals apart.
const (
	mazeGoal = iota
	mazeView
	mazePlace
)

// The goal channel's features.
const (
	mazeGoalOne   = iota // the constant 1
	mazeGoalHere         // the agent is on the goal
	mazeGoalNorth        // the goal is in a row above
	mazeGoalEast         // in a column to the right
	mazeGoalSouth        // in a row below
	mazeGoalWest         // in a column to the left
	mazeGoalDX           // dx / (|dx| + |dy|), east positive
	mazeGoalDY           // dy / (|dx| + |dy|), south positive
	mazeGoalSize
)

// The maze's held-out split of same-sized layouts.
const mazeHeldout = "heldout"

var (
	purposeMazeLayout = PurposeOf("maze-layout")
	purposeMazePair   = PurposeOf("maze-pair")
)

// mazeTries bounds the draws of one layout.
const mazeTries = 1000

// mazeLayout is one grid. Its cells are numbered row-major.
type mazeLayout struct {
	id    int // identity among all the family's layouts
	split string
	side  int
	wall  []bool
	open  []int32 // open cells, ascending
	place int     // first place identity of a train layout, else -1
	diam  int     // the largest BFS distance between two open cells
	pairs int     // ordered pairs of open cells at distance >= 2
}

// mazeTask is one instance: a layout, a start and a goal.
type mazeTask struct {
	lay         *mazeLayout
	start, goal int
	d           int     // BFS distance from start to goal, >= 2
	budget      int     // steps the attempt may take
	dist        []int32 // BFS distance of every cell to the goal; -1 for walls
}

// Maze is the maze family for one seed.
type Maze struct {
	cfg     MazeConfig
	seed    uint64
	spec    Spec
	splits  []string
	layouts []*mazeLayout
	groups  map[string][]*mazeLayout // split -> its layouts
	pool    []*mazeTask              // the job's instances
	inPool  map[[3]int]bool          // (layout id, start, goal) of the pool
}

var _ Family = (*Maze)(nil)

// NewMaze builds the family for a seed.
func NewMaze(c MazeConfig, seed uint64) (*Maze, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("maze: %w", err)
	}
	f := &Maze{cfg: c, seed: seed, groups: map[string][]*mazeLayout{}, inPool: map[[3]int]bool{}}
	seen := map[string]bool{}
	maxLen := 0
	add := func(split string, n, side int) error {
		f.splits = append(f.splits, split)
		for i := range n {
			lay, err := f.drawLayout(split, i, side, seen)
			if err != nil {
				return err
			}
			lay.place = -1
			if split == SplitTrain {
				lay.place = i * side * side
			}
			f.groups[split] = append(f.groups[split], lay)
			f.layouts = append(f.layouts, lay)
			maxLen = max(maxLen, f.budget(lay.diam))
		}
		return nil
	}
	// Train first, then the held-out splits, then pretraining: a split's
	// layouts depend only on its own keys and on collisions with earlier
	// splits, which are as rare as equal random grids.
	if err := add(SplitTrain, c.TrainLayouts, c.Size); err != nil {
		return nil, err
	}
	if err := add(mazeHeldout, c.HeldoutLayouts, c.Size); err != nil {
		return nil, err
	}
	for _, k := range c.Larger {
		if err := add("larger@"+strconv.Itoa(k), c.HeldoutLayouts, k*c.Size); err != nil {
			return nil, err
		}
	}
	if err := add(SplitPretrain, c.PretrainLayouts, c.Size); err != nil {
		return nil, err
	}

	// The pool: instance i is on train layout i mod train_layouts, with a
	// start/goal pair no earlier instance on that layout has. Validate
	// ensures each layout keeps at least as many pairs out of the pool as in
	// it, so fresh instances exist and are found in two draws on average.
	train := f.groups[SplitTrain]
	for l, lay := range train {
		if share := (c.TrainTasks + len(train) - 1 - l) / len(train); 2*share > lay.pairs {
			panic(fmt.Sprintf("maze: train layout %d has %d start/goal pairs for %d pool instances: minPairs does not bound it", l, lay.pairs, share))
		}
	}
	for i := range c.TrainTasks {
		lay := train[i%len(train)]
		t := f.drawTask(lay, Key(seed, StringKey(SplitTrain), uint64(i)), f.inPool)
		f.inPool[[3]int{lay.id, t.start, t.goal}] = true
		f.pool = append(f.pool, t)
	}

	view := 2*c.View + 1
	f.spec = Spec{Actions: mazeActions, MaxLen: maxLen, Channels: []Channel{
		mazeGoal:  {Name: "goal", Kind: Dense, Size: mazeGoalSize, Doc: "where the goal is: 1, on it, north, east, south, west of it (0/1 each), and (dx, dy)/(|dx|+|dy|), east and south positive; the same at every grid size"},
		mazeView:  {Name: "view", Kind: Dense, Size: view * view, Doc: "1, then the cells of the (2r+1)^2 window around the agent row by row, its own skipped: 1 for a wall or outside the grid"},
		mazePlace: {Name: "place", Kind: Index, Size: c.TrainLayouts * c.Size * c.Size, Doc: "the agent's cell on a train layout (-1 elsewhere): can only be memorized, since a new layout's cells are new"},
	}}
	return f, nil
}

// budget is the step budget of a task whose start is d steps from its goal.
func (f *Maze) budget(d int) int {
	// Less a hair, so that a product meant to be whole (1.1 x 10) is not
	// rounded up past it.
	return int(math.Ceil(f.cfg.Budget*float64(d+1) - 1e-9))
}

// drawLayout draws layout i of a split, redrawing grids whose open region
// is too small or that equal one in seen (to which it adds the result).
func (f *Maze) drawLayout(split string, i, side int, seen map[string]bool) (*mazeLayout, error) {
	n := side * side
	dist := make([]int32, n)
	queue := make([]int32, 0, n)
	for try := range mazeTries {
		key := Key(f.seed, uint64(purposeMazeLayout), StringKey(split), uint64(i), uint64(try))
		wall := make([]bool, n)
		for c := range wall {
			wall[c] = Uniform(Key(key, uint64(c))) < f.cfg.Walls
		}
		lay := &mazeLayout{id: len(f.layouts), split: split, side: side, wall: wall}
		queue = keepLargestRegion(lay, dist, queue)
		// Three connected cells always hold two 2 steps apart.
		if len(lay.open) < 3 || float64(len(lay.open)) < f.cfg.MinOpen*float64(n)-1e-9 {
			continue
		}
		k := layoutKey(lay)
		if seen[k] {
			continue
		}
		seen[k] = true
		// All-pairs BFS: the diameter bounds every task's budget (Spec's
		// MaxLen), the pair count the pool.
		for _, s := range lay.open {
			queue = bfs(lay, int(s), dist, queue)
			for _, c := range lay.open {
				if d := int(dist[c]); d >= 2 {
					lay.pairs++
					lay.diam = max(lay.diam, d)
				}
			}
		}
		return lay, nil
	}
	return nil, fmt.Errorf("maze: could not draw %s layout %d (side %d, walls %v) with an open region of at least %v of the grid, distinct from the others, in %d tries; lower walls or min_open, raise size, or lower the layout counts", split, i, side, f.cfg.Walls, f.cfg.MinOpen, mazeTries)
}

// keepLargestRegion walls up every open cell outside the largest
// 4-connected open region (the first found, in row-major order, on a tie)
// and lists the open cells left. It returns the queue for reuse.
func keepLargestRegion(lay *mazeLayout, label, queue []int32) []int32 {
	for c := range label {
		label[c] = -1
	}
	best, bestSize, regions := int32(-1), 0, int32(0)
	for c := range lay.wall {
		if lay.wall[c] || label[c] >= 0 {
			continue
		}
		queue = append(queue[:0], int32(c))
		label[c] = regions
		for h := 0; h < len(queue); h++ {
			x := int(queue[h])
			for a := range mazeStop {
				if y := lay.move(x, a); y != x && label[y] < 0 {
					label[y] = regions
					queue = append(queue, int32(y))
				}
			}
		}
		if len(queue) > bestSize {
			best, bestSize = regions, len(queue)
		}
		regions++
	}
	lay.open = lay.open[:0]
	for c := range lay.wall {
		if !lay.wall[c] && label[c] != best {
			lay.wall[c] = true
		}
		if !lay.wall[c] {
			lay.open = append(lay.open, int32(c))
		}
	}
	return queue[:0]
}

// layoutKey is a layout's content: its side and walls.
func layoutKey(lay *mazeLayout) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(lay.side))
	b.WriteByte(':')
	for _, w := range lay.wall {
		if w {
			b.WriteByte('#')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// move returns the cell action a leads to from cell c: c itself for a move
// into a wall or off the grid, and for stop.
func (lay *mazeLayout) move(c, a int) int {
	r, col := c/lay.side, c%lay.side
	switch a {
	case mazeNorth:
		r--
	case mazeEast:
		col++
	case mazeSouth:
		r++
	case mazeWest:
		col--
	default:
		return c
	}
	if r < 0 || r >= lay.side || col < 0 || col >= lay.side || lay.wall[r*lay.side+col] {
		return c
	}
	return r*lay.side + col
}

// bfs writes every cell's BFS distance from cell s into dist (-1 where
// unreachable) and returns the queue for reuse.
func bfs(lay *mazeLayout, s int, dist, queue []int32) []int32 {
	for c := range dist[:len(lay.wall)] {
		dist[c] = -1
	}
	dist[s] = 0
	queue = append(queue[:0], int32(s))
	for h := 0; h < len(queue); h++ {
		x := int(queue[h])
		for a := range mazeStop {
			if y := lay.move(x, a); y != x && dist[y] < 0 {
				dist[y] = dist[x] + 1
				queue = append(queue, int32(y))
			}
		}
	}
	return queue[:0]
}

// drawTask draws a start/goal pair on lay uniformly among the ordered pairs
// of open cells at distance >= 2 that are not in avoid, from key.
// Rejection: callers keep at least half the pairs out of avoid.
func (f *Maze) drawTask(lay *mazeLayout, key uint64, avoid map[[3]int]bool) *mazeTask {
	rng := Rand(Key(key, uint64(purposeMazePair)))
	dist := make([]int32, len(lay.wall))
	var queue []int32
	for {
		goal := int(lay.open[rng.IntN(len(lay.open))])
		start := int(lay.open[rng.IntN(len(lay.open))])
		if avoid[[3]int{lay.id, start, goal}] {
			continue
		}
		queue = bfs(lay, goal, dist, queue)
		if d := int(dist[start]); d >= 2 {
			return &mazeTask{lay: lay, start: start, goal: goal, d: d, budget: f.budget(d), dist: dist}
		}
	}
}

// Name implements Family.
func (f *Maze) Name() string { return "maze" }

// Spec implements Family.
func (f *Maze) Spec() Spec { return f.spec }

// Splits implements Family.
func (f *Maze) Splits() []string { return append([]string(nil), f.splits...) }

// Loophole implements Family.
func (f *Maze) Loophole() string {
	return "end within one cell of the goal without stopping on it: a sloppy verifier checks only that the final position is at most one step away"
}

// EarlyDone implements EarlyEnder: an attempt ends when the agent stops,
// before the step budget (the task's Len) runs out.
func (f *Maze) EarlyDone() bool { return true }

// PoolSize implements Family: the job's pool is finite, every other split
// unbounded.
func (f *Maze) PoolSize(split string) int {
	if split == SplitTrain {
		return f.cfg.TrainTasks
	}
	return 0
}

// Task implements Family. Pool instances are drawn at build; fresh ones
// (from FreshIndex on) draw a train layout and a pair the pool does not
// hold; other splits' task i is on their layout i mod their count, with a
// pair drawn from the task's key.
func (f *Maze) Task(split string, i int) (Task, error) {
	if i < 0 {
		return Task{}, fmt.Errorf("maze: task index %d < 0", i)
	}
	group, ok := f.groups[split]
	if !ok {
		return Task{}, fmt.Errorf("maze: unknown split %q (known: %s)", split, strings.Join(f.splits, ", "))
	}
	key := Key(f.seed, StringKey(split), uint64(i))
	var t *mazeTask
	switch {
	case split == SplitTrain && i < f.cfg.TrainTasks:
		t = f.pool[i]
	case split == SplitTrain && i < FreshIndex:
		return Task{}, fmt.Errorf("maze: train task %d is outside the job's pool of %d", i, f.cfg.TrainTasks)
	case split == SplitTrain:
		lay := group[int(Uniform(Key(key, uint64(PurposeTask)))*float64(len(group)))]
		t = f.drawTask(lay, key, f.inPool)
	default:
		t = f.drawTask(group[i%len(group)], key, nil)
	}
	return Task{Split: split, Index: i, Key: key, Len: t.budget, Data: t}, nil
}

// CheckDisjoint implements Family: every layout belongs to one split; the
// first n tasks of every split (the whole pool for train) are read back and
// must lie on their own split's layouts, of their split's side, with a
// start at least 2 steps from the goal; held-out tasks' layouts must equal
// no layout of the job's pool or of pretraining, by content; and only train
// layouts may show a place identity.
func (f *Maze) CheckDisjoint(n int) error {
	owner := map[int]string{}
	for _, split := range f.splits {
		for _, lay := range f.groups[split] {
			if prev, dup := owner[lay.id]; dup {
				return fmt.Errorf("maze: layout %d belongs to both %s and %s", lay.id, prev, split)
			}
			owner[lay.id] = split
		}
	}
	// The job's layouts as its tasks show them, not as the generator lists
	// them; pretraining's as the family holds them (its tasks are drawn
	// from PrivateIndex on, past anything evaluated).
	known := map[string]string{}
	for i := range f.cfg.TrainTasks {
		t, err := f.Task(SplitTrain, i)
		if err != nil {
			return fmt.Errorf("maze: check disjoint: %w", err)
		}
		known[layoutKey(t.Data.(*mazeTask).lay)] = SplitTrain
	}
	for _, lay := range f.groups[SplitPretrain] {
		known[layoutKey(lay)] = SplitPretrain
	}
	for _, split := range f.splits {
		side := f.cfg.Size
		if k, ok := strings.CutPrefix(split, "larger@"); ok {
			m, _ := strconv.Atoi(k)
			side *= m
		}
		heldout := split != SplitTrain && split != SplitPretrain
		m := n
		if p := f.PoolSize(split); p > 0 {
			m = p
		}
		for i := range m {
			t, err := f.Task(split, i)
			if err != nil {
				return fmt.Errorf("maze: check disjoint: %w", err)
			}
			mt := t.Data.(*mazeTask)
			lay := mt.lay
			switch {
			case owner[lay.id] != split:
				return fmt.Errorf("maze: %s task %d is on layout %d of split %q", split, i, lay.id, owner[lay.id])
			case lay.side != side:
				return fmt.Errorf("maze: %s task %d is on a layout of side %d, want %d", split, i, lay.side, side)
			case (lay.place >= 0) != (split == SplitTrain):
				return fmt.Errorf("maze: %s task %d is on layout %d with place identities from %d: only train layouts have them", split, i, lay.id, lay.place)
			case mt.d < 2 || mt.dist[mt.start] != int32(mt.d):
				return fmt.Errorf("maze: %s task %d starts %d steps from its goal, want at least 2", split, i, mt.dist[mt.start])
			}
			if prev, dup := known[layoutKey(lay)]; heldout && dup {
				return fmt.Errorf("maze: %s task %d is on layout %d, which equals a %s layout", split, i, lay.id, prev)
			}
		}
	}
	return nil
}

// observe writes the observation of an agent on cell pos of task t at the
// given step.
func (f *Maze) observe(t *mazeTask, pos, step int, obs *Obs) {
	lay := t.lay
	side := lay.side
	r, c := pos/side, pos%side
	dy, dx := t.goal/side-r, t.goal%side-c
	g := obs.Dense[mazeGoal]
	clear(g)
	g[mazeGoalOne] = 1
	if l1 := abs(dx) + abs(dy); l1 == 0 {
		g[mazeGoalHere] = 1
	} else {
		g[mazeGoalDX] = float64(dx) / float64(l1)
		g[mazeGoalDY] = float64(dy) / float64(l1)
	}
	g[mazeGoalNorth] = indicator(dy < 0)
	g[mazeGoalEast] = indicator(dx > 0)
	g[mazeGoalSouth] = indicator(dy > 0)
	g[mazeGoalWest] = indicator(dx < 0)
	v := obs.Dense[mazeView]
	v[0] = 1
	j := 1
	rad := f.cfg.View
	for i := r - rad; i <= r+rad; i++ {
		for k := c - rad; k <= c+rad; k++ {
			if i == r && k == c {
				continue
			}
			v[j] = indicator(i < 0 || i >= side || k < 0 || k >= side || lay.wall[i*side+k])
			j++
		}
	}
	obs.Index[mazePlace] = -1
	if lay.place >= 0 {
		obs.Index[mazePlace] = lay.place + pos
	}
	obs.Step = step
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// correctAt is the correct action on cell pos: stop on the goal, else the
// first move in the order north, east, south, west that lowers the
// distance.
func (t *mazeTask) correctAt(pos int) int {
	if pos == t.goal {
		return mazeStop
	}
	for a := range mazeStop {
		if y := t.lay.move(pos, a); t.dist[y] < t.dist[pos] {
			return a
		}
	}
	panic("maze: an open cell with no move towards the goal: the layout is not connected")
}

// score is the partial credit of an attempt that ended on cell pos.
func (t *mazeTask) score(pos int) float64 {
	return max(0, 1-float64(t.dist[pos])/float64(t.d))
}

// ExpectedOutcome is the exact expectation of an attempt's outcome.
type ExpectedOutcome struct {
	Success  float64 // probability of success
	Score    float64 // expected partial credit
	Loophole float64 // probability that the attempt shows the loophole
	Steps    float64 // expected steps
}

// Expected is the exact expected outcome of an attempt at t under the
// memoryless policy probs (a function of the observation alone), by
// dynamic programming over the agent's cell: probs is called with every
// observation the attempt can reach, at every step, with a zeroed dst of
// length 5, and must write a probability distribution into dst.
func (f *Maze) Expected(t *Task, probs func(o *Obs, dst []float64)) (ExpectedOutcome, error) {
	mt, ok := t.Data.(*mazeTask)
	if !ok {
		return ExpectedOutcome{}, fmt.Errorf("maze: task data has type %T, want a maze task", t.Data)
	}
	var e ExpectedOutcome
	cells := len(mt.lay.wall)
	mass, next := make([]float64, cells), make([]float64, cells)
	mass[mt.start] = 1
	obs := NewObs(f.spec)
	dst := make([]float64, mazeActions)
	end := func(pos int, stopped bool, w float64, steps int) {
		success := stopped && pos == mt.goal
		if success {
			e.Success += w
		}
		if !success && mt.dist[pos] <= 1 {
			e.Loophole += w
		}
		e.Score += w * mt.score(pos)
		e.Steps += w * float64(steps)
	}
	for step := range mt.budget {
		clear(next)
		for pos, m := range mass {
			if m == 0 {
				continue
			}
			f.observe(mt, pos, step, &obs)
			clear(dst)
			probs(&obs, dst)
			if err := checkProbs(dst); err != nil {
				return ExpectedOutcome{}, fmt.Errorf("maze: step %d, cell %d: %w", step, pos, err)
			}
			for a, pa := range dst {
				w := m * pa
				switch {
				case w == 0:
				case a == mazeStop:
					end(pos, true, w, step+1)
				case step+1 == mt.budget:
					end(mt.lay.move(pos, a), false, w, step+1)
				default:
					next[mt.lay.move(pos, a)] += w
				}
			}
		}
		mass, next = next, mass
	}
	return e, nil
}

// checkProbs reports a dst that is not a probability distribution.
func checkProbs(dst []float64) error {
	tot := 0.0
	for a, p := range dst {
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("policy gives action %d probability %v", a, p)
		}
		tot += p
	}
	if math.Abs(tot-1) > 1e-9 {
		return fmt.Errorf("policy probabilities sum to %v, want 1", tot)
	}
	return nil
}

// NewEnv implements Family.
func (f *Maze) NewEnv() Env { return &mazeEnv{f: f} }

type mazeEnv struct {
	f       *Maze
	t       *mazeTask
	pos     int
	step    int
	correct int
	stopped bool
}

func (e *mazeEnv) Reset(t *Task, obs *Obs) {
	e.t = t.Data.(*mazeTask)
	e.pos, e.step, e.correct, e.stopped = e.t.start, 0, 0, false
	e.f.observe(e.t, e.pos, 0, obs)
}

func (e *mazeEnv) Step(action int, obs *Obs) StepResult {
	if action < 0 || action >= mazeActions {
		panic(fmt.Sprintf("maze: action %d outside [0, %d)", action, mazeActions))
	}
	if e.stopped || e.step >= e.t.budget {
		panic("maze: Step after the attempt is done")
	}
	var ok bool
	if action == mazeStop {
		ok = e.pos == e.t.goal
		e.stopped = true
	} else {
		next := e.t.lay.move(e.pos, action)
		ok = e.t.dist[next] < e.t.dist[e.pos]
		e.pos = next
	}
	if ok {
		e.correct++
	}
	e.step++
	if e.stopped || e.step >= e.t.budget {
		return StepResult{Correct: ok, Done: true}
	}
	e.f.observe(e.t, e.pos, e.step, obs)
	return StepResult{Correct: ok}
}

// Correct is the correct action on the agent's cell.
func (e *mazeEnv) Correct() int { return e.t.correctAt(e.pos) }

func (e *mazeEnv) Outcome() Outcome {
	success := e.stopped && e.pos == e.t.goal
	return Outcome{
		Steps: e.step, Correct: e.correct, Success: success,
		Score:    e.t.score(e.pos),
		Loophole: !success && e.t.dist[e.pos] <= 1,
	}
}

var _ Brancher = (*mazeEnv)(nil)

// NewState implements Brancher. The state is the whole env (the cell, the step, the counts and whether it stopped: moves are deterministic;
// everything else it points to is the task's or the family's and never
// changes).
func (e *mazeEnv) NewState() EnvState { return new(mazeEnv) }

// Save implements Brancher.
func (e *mazeEnv) Save(s EnvState) { *s.(*mazeEnv) = *e }

// Load implements Brancher.
func (e *mazeEnv) Load(s EnvState) { *e = *s.(*mazeEnv) }
