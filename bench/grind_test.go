package bench

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/grindbench/grindbench/experiments"
	"github.com/grindbench/grindbench/internal/cputime"
	"github.com/grindbench/grindbench/results"
)

// The default grind run, phase by phase: the run phase (experiments.Run:
// worlds, pretraining, the job, checkpoints, record files, manifest) and
// the output phase (results.Build and results.WriteReport, handed the
// records in memory as grind run hands them).

func headline(tb testing.TB, seeds int) *experiments.Experiment {
	exp, err := experiments.LoadShipped("headline", []string{fmt.Sprintf("seeds=%d", seeds)})
	if err != nil {
		tb.Fatal(err)
	}
	return exp
}

// outputs writes dir's summary, tables, figures (the default formats) and
// report page from its records, as grind run's output phase does.
func outputs(tb testing.TB, dir string, loaded *results.LoadedRuns, workers int) {
	defer debug.SetGCPercent(debug.SetGCPercent(25)) // as cmd/grind's writeOutputs
	b, err := results.Build(dir, results.BuildOptions{Loaded: loaded, Workers: workers})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := results.WriteReport(dir, b); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkGrindRun is the default grind run (the headline at 20 seeds, 60
// runs) with workers=1 and workers=2 (as --workers: the runs' and the
// outputs' parallelism): one op is the whole command's work.
// run-cpu-s and output-cpu-s are the CPU seconds of the two phases per op
// (the process's, all threads), run-s and output-s their wall seconds.
func BenchmarkGrindRun(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("seeds=20/workers=%d", workers), func(b *testing.B) {
			var runCPU, outCPU, runWall, outWall time.Duration
			for range b.N {
				exp := headline(b, 20)
				dir := b.TempDir()
				c0, t0 := cputime.Self(), time.Now()
				res, err := experiments.Run(context.Background(), exp, experiments.RunOptions{Out: dir, Workers: workers})
				if err != nil || len(res.Failed) > 0 {
					b.Fatal(err, res.Failed)
				}
				c1, t1 := cputime.Self(), time.Now()
				outputs(b, dir, res.Loaded, workers)
				c2, t2 := cputime.Self(), time.Now()
				runCPU, outCPU = runCPU+c1-c0, outCPU+c2-c1
				runWall, outWall = runWall+t1.Sub(t0), outWall+t2.Sub(t1)
			}
			n := float64(b.N)
			b.ReportMetric(runCPU.Seconds()/n, "run-cpu-s")
			b.ReportMetric(outCPU.Seconds()/n, "output-cpu-s")
			b.ReportMetric(runWall.Seconds()/n, "run-s")
			b.ReportMetric(outWall.Seconds()/n, "output-s")
		})
	}
}

var (
	outputsMu  sync.Mutex
	outputsRun = map[int]*experiments.Outcome{} // by seeds, kept across a process's runs of a benchmark
	tempDirs   []string                         // removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// BenchmarkOutputs is the output phase alone at 20 seeds (the default
// run) and 200 seeds (ten times its runs): the headline's records are made
// once (not timed), and one op writes every output from them, handed in
// memory. cpu-s is the CPU seconds per op (all threads).
func BenchmarkOutputs(b *testing.B) {
	for _, seeds := range []int{20, 200} {
		b.Run(fmt.Sprintf("seeds=%d", seeds), func(b *testing.B) {
			outputsMu.Lock()
			res := outputsRun[seeds]
			if res == nil {
				dir, err := os.MkdirTemp("", "grindbench-outputs-")
				if err != nil {
					outputsMu.Unlock()
					b.Fatal(err)
				}
				tempDirs = append(tempDirs, dir)
				res, err = experiments.Run(context.Background(), headline(b, seeds), experiments.RunOptions{Out: dir})
				if err != nil || len(res.Failed) > 0 {
					outputsMu.Unlock()
					b.Fatal(err, res.Failed)
				}
				outputsRun[seeds] = res
			}
			outputsMu.Unlock()
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			for range b.N {
				b.StopTimer()
				loaded := res.Loaded.Clone() // Build takes the records it uses
				b.StartTimer()
				c0 := cputime.Self()
				outputs(b, res.Out, loaded, 0)
				cpu += cputime.Self() - c0
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
		})
	}
}
