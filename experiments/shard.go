package experiments

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard selects a deterministic subset of a sweep: run i of the sorted run
// keys belongs to shard i mod Count. The zero value is the whole sweep.
type Shard struct {
	Index, Count int
}

// Whole reports whether s is the whole sweep.
func (s Shard) Whole() bool { return s.Count <= 1 }

func (s Shard) String() string {
	if s.Whole() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Select keeps the runs of this shard, round-robin over runs sorted by key.
func (s Shard) Select(runs []RunSpec) []RunSpec {
	if s.Whole() {
		return runs
	}
	var out []RunSpec
	for i, r := range runs {
		if i%s.Count == s.Index {
			out = append(out, r)
		}
	}
	return out
}

// ParseShard reads a shard from the flag value "I/N" or, when flag is
// empty, from the environment of an array job: the index from
// SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs), the
// count from SLURM_ARRAY_TASK_COUNT. getenv is os.Getenv outside tests. An
// index without a count is an error, as is anything out of range.
func ParseShard(flag string, getenv func(string) string) (Shard, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if flag != "" {
		i, n, ok := strings.Cut(flag, "/")
		if !ok {
			return Shard{}, fmt.Errorf("--shard %q: want I/N, e.g. 0/4", flag)
		}
		return newShard(i, n, "--shard "+flag)
	}
	var idx, src string
	for _, name := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
		if v := getenv(name); v != "" {
			idx, src = v, name
			break
		}
	}
	if idx == "" {
		return Shard{}, nil
	}
	count := getenv("SLURM_ARRAY_TASK_COUNT")
	if count == "" {
		return Shard{}, fmt.Errorf("%s=%s is set but the shard count is not: pass --shard %s/N (or set SLURM_ARRAY_TASK_COUNT)", src, idx, idx)
	}
	return newShard(idx, count, fmt.Sprintf("%s=%s, SLURM_ARRAY_TASK_COUNT=%s", src, idx, count))
}

func newShard(index, count, src string) (Shard, error) {
	i, err1 := strconv.Atoi(strings.TrimSpace(index))
	n, err2 := strconv.Atoi(strings.TrimSpace(count))
	switch {
	case err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("%s: index and count must be whole numbers", src)
	case n < 1:
		return Shard{}, fmt.Errorf("%s: shard count %d must be at least 1", src, n)
	case i < 0 || i >= n:
		return Shard{}, fmt.Errorf("%s: shard index %d out of range 0..%d", src, i, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}
