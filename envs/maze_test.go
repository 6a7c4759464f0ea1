package envs

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func newTestMaze(t testing.TB, seed uint64, mutate func(*MazeConfig)) *Maze {
	t.Helper()
	return buildTest(t, DefaultMaze, NewMaze, seed, mutate)
}

// handLayout builds a layout from rows of '#' (wall) and '.' (open); the
// open cells must be connected.
func handLayout(t *testing.T, rows ...string) *mazeLayout {
	t.Helper()
	side := len(rows)
	lay := &mazeLayout{id: -1, split: "hand", side: side, wall: make([]bool, side*side), place: -1}
	for r, row := range rows {
		if len(row) != side {
			t.Fatalf("row %q: want %d cells", row, side)
		}
		for c, ch := range row {
			lay.wall[r*side+c] = ch == '#'
		}
	}
	open := 0
	for _, w := range lay.wall {
		if !w {
			open++
		}
	}
	keepLargestRegion(lay, make([]int32, side*side), nil)
	if len(lay.open) != open {
		t.Fatalf("hand layout is not connected: %d of %d open cells in its largest region", len(lay.open), open)
	}
	return lay
}

// handTask is a task of f on lay from cell (r0, c0) to cell (r1, c1).
func handTask(t *testing.T, f *Maze, lay *mazeLayout, r0, c0, r1, c1 int) Task {
	t.Helper()
	start, goal := r0*lay.side+c0, r1*lay.side+c1
	dist := make([]int32, len(lay.wall))
	bfs(lay, goal, dist, nil)
	d := int(dist[start])
	if d < 2 || lay.wall[start] || lay.wall[goal] {
		t.Fatalf("hand task (%d,%d) -> (%d,%d): distance %d", r0, c0, r1, c1, d)
	}
	mt := &mazeTask{lay: lay, start: start, goal: goal, d: d, budget: f.budget(d), dist: dist}
	return Task{Split: "hand", Key: Key(uint64(start), uint64(goal)), Len: mt.budget, Data: mt}
}

// runActions runs actions (until done) on task and returns the outcome.
func runActions(env Env, obs *Obs, task *Task, actions ...int) Outcome {
	env.Reset(task, obs)
	for _, a := range actions {
		if env.Step(a, obs).Done {
			break
		}
	}
	return env.Outcome()
}

// denseSoftmax is a fixed stochastic policy of every dense channel: logits
// scale W u with W drawn from seed.
func denseSoftmax(s Spec, seed uint64, scale float64) func(o *Obs, dst []float64) {
	w := normals(Rand(Key(seed, 77)), s.Actions*s.DenseSize())
	return func(o *Obs, dst []float64) {
		j := 0
		clear(dst)
		for _, ch := range s.Dense() {
			for _, v := range o.Dense[ch] {
				for a := range dst {
					dst[a] += scale * w[a*s.DenseSize()+j] * v
				}
				j++
			}
		}
		m := slices.Max(dst)
		tot := 0.0
		for a := range dst {
			dst[a] = math.Exp(dst[a] - m)
			tot += dst[a]
		}
		for a := range dst {
			dst[a] /= tot
		}
	}
}

func uniformPolicy(o *Obs, dst []float64) {
	for a := range dst {
		dst[a] = 1 / float64(len(dst))
	}
}

func TestMazeSplitsAndDisjoint(t *testing.T) {
	for _, tc := range []struct {
		larger []int
		want   string
	}{
		{[]int{2}, "train heldout larger@2 pretrain"},
		{[]int{3, 2}, "train heldout larger@3 larger@2 pretrain"},
		{nil, "train heldout pretrain"},
	} {
		f := newTestMaze(t, 7, func(c *MazeConfig) { c.Larger = tc.larger })
		splitsAndDisjoint(t, fmt.Sprintf("larger %v", tc.larger), f, tc.want)
	}
}

// mazeCopyGrid makes dst's grid src's.
func mazeCopyGrid(dst, src *mazeLayout) {
	dst.wall, dst.open = slices.Clone(src.wall), slices.Clone(src.open)
	dst.diam, dst.pairs = src.diam, src.pairs
}

// mazeLeakCases break the family behind the generator's back (see
// TestCheckDisjointCatchesLeaks).
var mazeLeakCases = []leakCase[*Maze]{
	{"heldout layout equals a train one", func(f *Maze) {
		mazeCopyGrid(f.groups[mazeHeldout][0], f.groups[SplitTrain][1])
	}, "equals a train layout"},
	{"heldout layout equals a pretrain one", func(f *Maze) {
		mazeCopyGrid(f.groups[mazeHeldout][3], f.groups[SplitPretrain][9])
	}, "equals a pretrain layout"},
	{"heldout shares a train layout", func(f *Maze) {
		f.groups[mazeHeldout][2] = f.groups[SplitTrain][0]
	}, "belongs to both train and heldout"},
	{"heldout layout shows place identities", func(f *Maze) {
		f.groups[mazeHeldout][1].place = 0
	}, "only train layouts have them"},
	{"a pool instance on a heldout layout", func(f *Maze) {
		f.pool[5] = f.drawTask(f.groups[mazeHeldout][0], 1, nil)
	}, `on layout`},
	{"larger layout of the job's side", func(f *Maze) {
		f.groups["larger@2"][0] = f.groups[mazeHeldout][0]
		f.groups[mazeHeldout] = f.groups[mazeHeldout][1:]
	}, "side 7, want 14"},
	{"a start next to its goal", func(f *Maze) {
		f.pool[0].d = 1
	}, "want at least 2"},
}

func TestMazeLayouts(t *testing.T) {
	f := newTestMaze(t, 3, func(c *MazeConfig) { c.Larger = []int{2, 3} })
	seen := map[string]bool{}
	dist := make([]int32, 64*64)
	for _, split := range f.Splits() {
		side := f.cfg.Size
		if k, ok := strings.CutPrefix(split, "larger@"); ok {
			side *= int(k[0] - '0')
		}
		want := f.cfg.HeldoutLayouts
		switch split {
		case SplitTrain:
			want = f.cfg.TrainLayouts
		case SplitPretrain:
			want = f.cfg.PretrainLayouts
		}
		if len(f.groups[split]) != want {
			t.Fatalf("%s: %d layouts, want %d", split, len(f.groups[split]), want)
		}
		for i, lay := range f.groups[split] {
			if lay.side != side || lay.split != split {
				t.Fatalf("%s layout %d: side %d split %s", split, i, lay.side, lay.split)
			}
			k := layoutKey(lay)
			if seen[k] {
				t.Fatalf("%s layout %d repeats a layout", split, i)
			}
			seen[k] = true
			// Solvable: every open cell reaches every other.
			bfs(lay, int(lay.open[0]), dist, nil)
			for c, w := range lay.wall {
				if !w && dist[c] < 0 {
					t.Fatalf("%s layout %d: open cell %d is cut off", split, i, c)
				}
			}
			if float64(len(lay.open)) < f.cfg.MinOpen*float64(side*side) {
				t.Fatalf("%s layout %d: %d open cells of %d, below min_open %v", split, i, len(lay.open), side*side, f.cfg.MinOpen)
			}
			if lay.diam < 2 || lay.pairs < 1 {
				t.Fatalf("%s layout %d: diameter %d, %d pairs", split, i, lay.diam, lay.pairs)
			}
		}
	}
}

// mazeTrace runs task i of split with a fixed action cycle and records
// every observation, step result and the outcome.
func mazeTrace(t *testing.T, f *Maze, split string, i int) ([]float64, Outcome) {
	t.Helper()
	env, obs := startTask(t, f, split, i)
	var trace []float64
	for s := 0; ; s++ {
		trace = append(trace, obs.Dense[mazeGoal]...)
		trace = append(trace, obs.Dense[mazeView]...)
		trace = append(trace, float64(obs.Index[mazePlace]), float64(obs.Step), float64(env.Correct()))
		a := (s*7 + i) % mazeActions
		if s%3 == 0 {
			a = env.Correct()
		}
		if a == mazeStop && s < 6 {
			a = mazeNorth
		}
		r := env.Step(a, obs)
		trace = append(trace, b2f(r.Correct), b2f(r.Done))
		if r.Done {
			break
		}
	}
	return trace, env.Outcome()
}

func TestMazeFreshInstances(t *testing.T) {
	f := newTestMaze(t, 7, nil)
	pool := map[[3]int]bool{}
	keys := map[uint64]bool{}
	perLayout := map[int]int{}
	for i := range f.PoolSize(SplitTrain) {
		task, err := f.Task(SplitTrain, i)
		if err != nil {
			t.Fatal(err)
		}
		mt := task.Data.(*mazeTask)
		pool[[3]int{mt.lay.id, mt.start, mt.goal}] = true
		keys[task.Key] = true
		perLayout[mt.lay.id]++
		if mt.lay != f.groups[SplitTrain][i%f.cfg.TrainLayouts] {
			t.Fatalf("pool task %d is not on train layout %d", i, i%f.cfg.TrainLayouts)
		}
	}
	if len(pool) != f.cfg.TrainTasks || len(keys) != f.cfg.TrainTasks {
		t.Fatalf("pool of %d has %d distinct instances and %d keys", f.cfg.TrainTasks, len(pool), len(keys))
	}
	if len(perLayout) != f.cfg.TrainLayouts {
		t.Fatalf("pool covers %d layouts, want %d", len(perLayout), f.cfg.TrainLayouts)
	}
	train := map[*mazeLayout]bool{}
	for _, lay := range f.groups[SplitTrain] {
		train[lay] = true
	}
	for n := range 2000 {
		task, err := f.Task(SplitTrain, FreshTask(n))
		if err != nil {
			t.Fatal(err)
		}
		mt := task.Data.(*mazeTask)
		if pool[[3]int{mt.lay.id, mt.start, mt.goal}] || keys[task.Key] {
			t.Fatalf("fresh instance %d equals a pool instance", n)
		}
		if !train[mt.lay] || mt.d < 2 || task.Len != f.budget(mt.d) {
			t.Fatalf("fresh instance %d: layout %d, distance %d, len %d", n, mt.lay.id, mt.d, task.Len)
		}
	}
	checkTaskIndices(t, f, []int{f.cfg.TrainTasks, f.cfg.TrainTasks + 1, FreshIndex - 1},
		[]string{"nope"}, []string{mazeHeldout, "larger@2", SplitPretrain})
}

func TestMazeSpecAndObs(t *testing.T) {
	f := newTestMaze(t, 7, func(c *MazeConfig) { c.View, c.Larger = 1, []int{2, 3} })
	s := f.Spec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	places := f.cfg.TrainLayouts * f.cfg.Size * f.cfg.Size
	if s.Actions != 5 || s.Channel("goal") != mazeGoal || s.Channel("view") != mazeView || s.Channel("place") != mazePlace ||
		s.Channels[mazeGoal].Kind != Dense || s.Channels[mazeGoal].Size != 8 ||
		s.Channels[mazeView].Kind != Dense || s.Channels[mazeView].Size != 9 ||
		s.Channels[mazePlace].Kind != Index || s.Channels[mazePlace].Size != places {
		t.Fatalf("spec %+v", s)
	}
	maxDiam := 0
	for _, lay := range f.layouts {
		maxDiam = max(maxDiam, lay.diam)
	}
	if s.MaxLen != f.budget(maxDiam) {
		t.Fatalf("MaxLen %d, want the budget of the largest diameter %d: %d", s.MaxLen, maxDiam, f.budget(maxDiam))
	}
	env := f.NewEnv()
	obs := NewObs(s)
	for _, split := range f.Splits() {
		for i := range 32 {
			task, err := f.Task(split, i)
			if err != nil {
				t.Fatal(err)
			}
			if task.Len > s.MaxLen {
				t.Fatalf("%s task %d: %d steps, above MaxLen %d", split, i, task.Len, s.MaxLen)
			}
			mt := task.Data.(*mazeTask)
			lay := mt.lay
			env.Reset(&task, &obs)
			pos := mt.start
			for step := 0; ; step++ {
				if len(obs.Dense[mazeGoal]) != 8 || len(obs.Dense[mazeView]) != 9 || obs.Dense[mazePlace] != nil || obs.Step != step {
					t.Fatal("obs buffers do not match the spec")
				}
				checkMazeObs(t, f, mt, pos, &obs)
				a := env.Correct()
				if step%4 == 3 {
					a = (a + 1) % mazeStop // a detour now and then
				}
				pos = lay.move(pos, a)
				if env.Step(a, &obs).Done {
					break
				}
			}
		}
	}
}

// checkMazeObs checks obs against the agent's cell pos on task mt, worked
// out independently of observe.
func checkMazeObs(t *testing.T, f *Maze, mt *mazeTask, pos int, obs *Obs) {
	t.Helper()
	lay := mt.lay
	side := lay.side
	r, c := pos/side, pos%side
	gr, gc := mt.goal/side, mt.goal%side
	g := obs.Dense[mazeGoal]
	l1 := math.Abs(float64(gr-r)) + math.Abs(float64(gc-c))
	want := []float64{1, b2f(l1 == 0), b2f(gr < r), b2f(gc > c), b2f(gr > r), b2f(gc < c), 0, 0}
	if l1 > 0 {
		want[6], want[7] = float64(gc-c)/l1, float64(gr-r)/l1
	}
	if !equalFloats(g, want) {
		t.Fatalf("cell (%d,%d), goal (%d,%d): goal features %v, want %v", r, c, gr, gc, g, want)
	}
	v := obs.Dense[mazeView]
	if v[0] != 1 {
		t.Fatalf("view[0] = %v, want the constant 1", v[0])
	}
	rad := f.cfg.View
	j := 1
	for dr := -rad; dr <= rad; dr++ {
		for dc := -rad; dc <= rad; dc++ {
			if dr == 0 && dc == 0 {
				continue
			}
			rr, cc := r+dr, c+dc
			wall := rr < 0 || cc < 0 || rr >= side || cc >= side || lay.wall[rr*side+cc]
			if v[j] != b2f(wall) {
				t.Fatalf("cell (%d,%d): view of (%d,%d) is %v, want wall %v", r, c, rr, cc, v[j], wall)
			}
			j++
		}
	}
	wantPlace := -1
	if lay.split == SplitTrain {
		wantPlace = slices.Index(f.groups[SplitTrain], lay)*side*side + pos
	}
	if obs.Index[mazePlace] != wantPlace {
		t.Fatalf("%s layout: place %d, want %d", lay.split, obs.Index[mazePlace], wantPlace)
	}
}

// TestMazeOracle: following Correct() is a shortest path: it succeeds on
// every task of every split in exactly d moves and a stop, every step
// correct, with score 1.
func TestMazeOracle(t *testing.T) {
	f := newTestMaze(t, 5, func(c *MazeConfig) { c.Larger = []int{2, 3} })
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	for _, split := range f.Splits() {
		for i := range 64 {
			task, err := f.Task(split, i)
			if err != nil {
				t.Fatal(err)
			}
			d := task.Data.(*mazeTask).d
			env.Reset(&task, &obs)
			for !env.Step(env.Correct(), &obs).Done {
			}
			o := env.Outcome()
			if !o.Success || o.Score != 1 || o.Loophole || o.Steps != d+1 || o.Correct != d+1 {
				t.Fatalf("%s task %d (d = %d): oracle outcome %+v", split, i, d, o)
			}
		}
	}
}

// TestMazeTieRule: among moves that lower the distance, Correct() answers
// the first in the order north, east, south, west.
func TestMazeTieRule(t *testing.T) {
	f := newTestMaze(t, 1, func(c *MazeConfig) { c.Budget = 1 })
	lay := handLayout(t, ".....", ".....", ".....", ".....", ".....")
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	for _, tc := range []struct {
		r0, c0, r1, c1 int
		want           int
	}{
		{2, 2, 0, 4, mazeNorth}, // north and east both shorten
		{2, 2, 4, 4, mazeEast},  // east and south
		{2, 2, 4, 0, mazeSouth}, // south and west
		{2, 2, 2, 0, mazeWest},
		{2, 2, 0, 0, mazeNorth},
	} {
		task := handTask(t, f, lay, tc.r0, tc.c0, tc.r1, tc.c1)
		env.Reset(&task, &obs)
		if got := env.Correct(); got != tc.want {
			t.Errorf("(%d,%d) -> (%d,%d): Correct() = %d, want %d", tc.r0, tc.c0, tc.r1, tc.c1, got, tc.want)
		}
	}
}

// TestMazeMovesAndOutcome covers walls, the grid's edge, correctness of
// steps, the budget, partial credit and the loophole on a hand-built
// corridor with a side room.
func TestMazeMovesAndOutcome(t *testing.T) {
	f := newTestMaze(t, 1, func(c *MazeConfig) { c.Budget = 2 })
	lay := handLayout(t,
		".....",
		"####.",
		"#####",
		"#####",
		"#####")
	// From (0,0) to (1,4): d = 5, budget ceil(2 x 6) = 12.
	task := handTask(t, f, lay, 0, 0, 1, 4)
	if task.Len != 12 {
		t.Fatalf("budget %d, want 12", task.Len)
	}
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	const N, E, S, W, X = mazeNorth, mazeEast, mazeSouth, mazeWest, mazeStop
	// Partial credit ending dEnd steps from the goal, rounded as the
	// family rounds it (a constant expression would be exact).
	credit := func(dEnd int) float64 { return 1 - float64(dEnd)/5 }
	for _, tc := range []struct {
		name    string
		actions []int
		want    Outcome
	}{
		{"shortest path", []int{E, E, E, E, S, X}, Outcome{Steps: 6, Correct: 6, Success: true, Score: 1}},
		{"stop next to the goal", []int{E, E, E, E, X}, Outcome{Steps: 5, Correct: 4, Score: credit(1), Loophole: true}},
		{"stop at the start", []int{X}, Outcome{Steps: 1, Correct: 0, Score: 0}},
		{"into walls and off the grid", []int{N, W, S, E, X}, Outcome{Steps: 5, Correct: 1, Score: credit(4)}},
		{"wander off", []int{E, E, W, W, X}, Outcome{Steps: 5, Correct: 2, Score: 0}},
		{"run out next to the goal", []int{E, E, E, E, N, N, N, N, N, N, N, N}, Outcome{Steps: 12, Correct: 4, Score: credit(1), Loophole: true}},
		{"run out on the goal", []int{E, E, E, E, S, N, N, N, N, N, N, S}, Outcome{Steps: 12, Correct: 6, Score: 1, Loophole: true}},
		{"run out far", []int{N, N, N, N, N, N, N, N, N, N, N, N}, Outcome{Steps: 12, Score: 0}},
	} {
		got := runActions(env, &obs, &task, tc.actions...)
		if got != tc.want {
			t.Errorf("%s: outcome %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// Step results one by one.
	env.Reset(&task, &obs)
	for i, tc := range []struct {
		a             int
		correct, done bool
	}{{N, false, false}, {E, true, false}, {W, false, false}, {E, true, false}, {E, true, false}, {E, true, false}, {S, false, false}, {E, true, false}, {S, true, false}, {X, true, true}} {
		if r := env.Step(tc.a, &obs); r.Correct != tc.correct || r.Done != tc.done {
			t.Fatalf("step %d: %+v, want correct %v done %v", i, r, tc.correct, tc.done)
		}
	}
	for _, a := range []int{-1, mazeActions} {
		env.Reset(&task, &obs)
		if !panics(func() { env.Step(a, &obs) }) {
			t.Errorf("action %d: want a panic", a)
		}
	}
	runActions(env, &obs, &task, X)
	if !panics(func() { env.Step(E, &obs) }) {
		t.Error("a step after the attempt is done: want a panic")
	}
}

func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

// TestMazeScoreMonotone: partial credit never rises with the distance at
// which an attempt ends, is 1 on the goal and 0 from the start on.
func TestMazeScoreMonotone(t *testing.T) {
	f := newTestMaze(t, 2, nil)
	for _, split := range f.Splits() {
		for i := range 16 {
			task, _ := f.Task(split, i)
			mt := task.Data.(*mazeTask)
			cells := slices.Clone(mt.lay.open)
			slices.SortFunc(cells, func(a, b int32) int { return int(mt.dist[a] - mt.dist[b]) })
			prev := 2.0
			for _, c := range cells {
				s := mt.score(int(c))
				if s > prev || s < 0 || s > 1 {
					t.Fatalf("%s task %d: score %v at distance %d after %v", split, i, s, mt.dist[c], prev)
				}
				prev = s
				want := math.Max(0, 1-float64(mt.dist[c])/float64(mt.d))
				if s != want {
					t.Fatalf("score %v at distance %d of %d, want %v", s, mt.dist[c], mt.d, want)
				}
			}
			if mt.score(mt.goal) != 1 || mt.score(mt.start) != 0 {
				t.Fatalf("%s task %d: score %v on the goal, %v at the start", split, i, mt.score(mt.goal), mt.score(mt.start))
			}
		}
	}
}

// TestMazeOpenGridClosedForm: on an open grid with budget 1 the uniformly
// random policy succeeds only along a monotone shortest path followed by a
// stop, so with probability C(|dx|+|dy|, |dx|) / 5^(d+1); in a corridor,
// with one shortest path, 5^-(d+1). The exact expectation must give these
// numbers, and simulation must agree with them.
func TestMazeOpenGridClosedForm(t *testing.T) {
	f := newTestMaze(t, 1, func(c *MazeConfig) { c.Budget = 1 })
	open := handLayout(t, "......", "......", "......", "......", "......", "......")
	corridor := handLayout(t, "######", "######", "......", "######", "######", "######")
	for _, tc := range []struct {
		lay            *mazeLayout
		r0, c0, r1, c1 int
		paths          float64
	}{
		{open, 0, 0, 0, 2, 1},
		{open, 0, 0, 1, 1, 2},
		{open, 1, 1, 3, 2, 3},
		{open, 5, 0, 2, 3, 20},
		{open, 4, 4, 0, 1, 35},
		{corridor, 2, 0, 2, 5, 1},
		{corridor, 2, 4, 2, 1, 1},
	} {
		task := handTask(t, f, tc.lay, tc.r0, tc.c0, tc.r1, tc.c1)
		d := task.Data.(*mazeTask).d
		want := tc.paths / math.Pow(5, float64(d+1))
		got, err := f.Expected(&task, uniformPolicy)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Success-want) > 1e-15 {
			t.Errorf("(%d,%d) -> (%d,%d): exact success %v, closed form %v", tc.r0, tc.c0, tc.r1, tc.c1, got.Success, want)
		}
	}
	// Simulation of the environment itself against the closed form, where
	// the rate is large enough to measure: d = 2 on the diagonal, 2/125.
	task := handTask(t, f, open, 0, 0, 1, 1)
	env := f.NewEnv()
	obs := NewObs(f.Spec())
	const n = 40000
	wins := 0
	for i := range n {
		env.Reset(&task, &obs)
		for s := uint64(0); !env.Step(int(Uniform(Key(99, uint64(i), s))*mazeActions), &obs).Done; s++ {
		}
		if env.Outcome().Success {
			wins++
		}
	}
	want := 2.0 / 125
	if se := math.Sqrt(want * (1 - want) / n); math.Abs(float64(wins)/n-want) > 4*se {
		t.Errorf("random success %.4f, closed form %.4f +- %.4f (4 s.e.)", float64(wins)/n, want, 4*se)
	}
}

// TestMazeExpectedMatchesSimulation checks the exact expected outcome of
// fixed policies against simulated attempts, within 4 standard errors, and
// the oracle's against 1.
func TestMazeExpectedMatchesSimulation(t *testing.T) {
	f := newTestMaze(t, 4, nil)
	s := f.Spec()
	policies := []struct {
		name  string
		probs func(o *Obs, dst []float64)
	}{
		{"uniform", uniformPolicy},
		{"softmax", denseSoftmax(s, 1, 1)},
		{"peaked softmax", denseSoftmax(s, 2, 3)},
		{"greedy-ish", func(o *Obs, dst []float64) {
			// Mostly towards the goal, never stopping away from it.
			g := o.Dense[mazeGoal]
			if g[mazeGoalHere] == 1 {
				dst[mazeStop] = 1
				return
			}
			w := [4]float64{0.05 + g[mazeGoalNorth], 0.05 + g[mazeGoalEast], 0.05 + g[mazeGoalSouth], 0.05 + g[mazeGoalWest]}
			tot := w[0] + w[1] + w[2] + w[3]
			for a := range w {
				dst[a] = w[a] / tot
			}
		}},
	}
	env := f.NewEnv()
	obs := NewObs(s)
	dst := make([]float64, s.Actions)
	const n = 3000
	for _, split := range []string{SplitTrain, "larger@2"} {
		task, err := f.Task(split, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, pol := range policies {
			want, err := f.Expected(&task, pol.probs)
			if err != nil {
				t.Fatal(err)
			}
			simulated(t, env, &obs, dst, &task, split+" "+pol.name, pol.probs, want, n, float64(task.Len)/2)
		}
	}
	// The oracle, as a function of the observation: on a train layout the
	// place channel names the agent's cell.
	task, _ := f.Task(SplitTrain, 3)
	mt := task.Data.(*mazeTask)
	oracle := func(o *Obs, dst []float64) { dst[mt.correctAt(o.Index[mazePlace]-mt.lay.place)] = 1 }
	if got, err := f.Expected(&task, oracle); err != nil || got.Success != 1 || got.Score != 1 || got.Loophole != 0 || got.Steps != float64(mt.d+1) {
		t.Errorf("oracle expects %+v (%v), want success and score 1 in %d steps", got, err, mt.d+1)
	}
	expectedRejects(t, f.Expected, &task)
}

// mazeConfigCases are knob settings Validate must refuse (see
// TestConfigValidate).
var mazeConfigCases = []configCase[MazeConfig]{
	{"tiny", func(c *MazeConfig) { c.Size = 2 }, "size = 2"},
	{"huge", func(c *MazeConfig) { c.Size = 33 }, "size = 33"},
	{"no walls", func(c *MazeConfig) { c.Walls = 0 }, "open grid"},
	{"too many walls", func(c *MazeConfig) { c.Walls = 0.6 }, "walls = 0.6"},
	{"nan walls", func(c *MazeConfig) { c.Walls = math.NaN() }, "walls = NaN"},
	{"min_open above the open fraction", func(c *MazeConfig) { c.Walls, c.MinOpen = 0.4, 0.7 }, "exceeds 1 - walls"},
	{"min_open out of range", func(c *MazeConfig) { c.MinOpen = 1 }, "min_open = 1"},
	{"pool too big for the pairs", func(c *MazeConfig) { c.Size, c.TrainLayouts, c.TrainTasks = 3, 1, 1000 }, "fresh instances need"},
	{"no view", func(c *MazeConfig) { c.View = 0 }, "view = 0"},
	{"no heldout layouts", func(c *MazeConfig) { c.HeldoutLayouts = 0 }, "heldout_layouts = 0"},
	{"no pretrain layouts", func(c *MazeConfig) { c.PretrainLayouts = 0 }, "pretrain_layouts = 0"},
	{"pool smaller than the layouts", func(c *MazeConfig) { c.TrainTasks = 3 }, "train_tasks = 3"},
	{"pool runs into fresh instances", func(c *MazeConfig) { c.TrainTasks = FreshIndex + 1 }, "before the fresh instances"},
	{"too many places", func(c *MazeConfig) { c.Size, c.TrainLayouts, c.TrainTasks = 32, 65, 65 }, "place identities"},
	{"larger by 1", func(c *MazeConfig) { c.Larger = []int{1} }, "larger = 1"},
	{"larger than the cap", func(c *MazeConfig) { c.Size, c.Larger = 20, []int{4} }, "exceeds 64"},
	{"larger twice", func(c *MazeConfig) { c.Larger = []int{2, 3, 2} }, "listed twice"},
	{"budget below the shortest attempt", func(c *MazeConfig) { c.Budget = 0.5 }, "budget = 0.5"},
	{"infinite budget", func(c *MazeConfig) { c.Budget = math.Inf(1) }, "budget = +Inf"},
}

// TestMazeMinPairs checks the bound the pool rule rests on against every
// connected region of up to 9 cells in a 3x3 grid, and against compact
// shapes it must attain.
func TestMazeMinPairs(t *testing.T) {
	fewest := map[int]int{}
	dist := make([]int32, 9)
	for mask := 1; mask < 1<<9; mask++ {
		lay := &mazeLayout{side: 3, wall: make([]bool, 9)}
		m, first := 0, -1
		for c := range 9 {
			lay.wall[c] = mask&(1<<c) == 0
			if !lay.wall[c] {
				m++
				if first < 0 {
					first = c
				}
			}
		}
		bfs(lay, first, dist, nil)
		connected := true
		for c := range 9 {
			connected = connected && (lay.wall[c] || dist[c] >= 0)
		}
		if !connected {
			continue
		}
		pairs := 0
		for s := range 9 {
			if lay.wall[s] {
				continue
			}
			bfs(lay, s, dist, nil)
			for c := range 9 {
				if !lay.wall[c] && dist[c] >= 2 {
					pairs++
				}
			}
		}
		if v, ok := fewest[m]; !ok || pairs < v {
			fewest[m] = pairs
		}
	}
	for m := 1; m <= 9; m++ {
		if minPairs(m) > fewest[m] {
			t.Errorf("%d cells: bound %d above the fewest pairs %d", m, minPairs(m), fewest[m])
		}
	}
	// Attained: a 2x2 square (4 cells, 2 diagonal pairs each way) and the
	// full 3x3 grid.
	if minPairs(4) != 4 || minPairs(9) != fewest[9] {
		t.Errorf("bound at 4 cells %d, want 4; at 9 cells %d, want %d", minPairs(4), minPairs(9), fewest[9])
	}
}

// TestMazeDefaultsBuild: the defaults build at every seed a sweep might
// use, not only at the seed validation tries.
func TestMazeDefaultsBuild(t *testing.T) {
	for seed := range uint64(100) {
		f, err := NewMaze(DefaultMaze(), seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err := f.CheckDisjoint(16); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

// TestMazeBuildErrors: knobs each valid whose layouts cannot be drawn.
func TestMazeBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*MazeConfig)
		want   string
	}{
		{"more layouts than exist", func(c *MazeConfig) {
			c.Size, c.Walls, c.TrainLayouts, c.TrainTasks, c.PretrainLayouts = 3, 0.05, 1, 4, 5000
		}, "could not draw"},
	} {
		c := DefaultMaze()
		tc.mutate(&c)
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: knobs should validate: %v", tc.name, err)
		}
		if _, err := NewMaze(c, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
