package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressEvery is how often plain progress lines are printed at most
// (the first and the last line of each phase always are).
var progressEvery = 5 * time.Second

// progress shows a run's two phases, the runs and the outputs: bars on a
// terminal, plain lines at a steady interval otherwise (a Slurm or CI log),
// nothing when quiet.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	start time.Time

	mu       sync.Mutex
	bar      *progressbar.ProgressBar
	last     time.Time
	stage    string
	outStart time.Time
	ranDone  int // the last runs count reported
	ranTotal int
}

func newProgress(stderr io.Writer, quiet bool) *progress {
	p := &progress{w: stderr, quiet: quiet, start: time.Now()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

// runs reports done of total runs finished.
func (p *progress) runs(done, total int) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if done == p.ranDone && total == p.ranTotal && done == total {
		return // reported already
	}
	p.ranDone, p.ranTotal = done, total
	if p.tty {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription("runs   "), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true))
		}
		p.bar.Set(done)
		if done == total {
			p.bar.Finish() // stays at 100%
			fmt.Fprintln(p.w)
			p.bar = nil
		}
		return
	}
	if now := time.Now(); done == 0 || done == total || now.Sub(p.last) >= progressEvery {
		p.last = now
		fmt.Fprintf(p.w, "grind run: runs %d/%d (%d%%), %s\n", done, total, percent(done, total), now.Sub(p.start).Round(100*time.Millisecond))
	}
}

// outputs reports the output phase's stages (BuildOptions.Progress).
func (p *progress) outputs(stage string, done, total int) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.outStart.IsZero() {
		p.outStart = now
	}
	if p.tty {
		if stage != "figures" {
			fmt.Fprintf(p.w, "\routputs: %-12s", stage)
			return
		}
		if p.bar == nil {
			fmt.Fprintln(p.w)
			p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription("figures"), progressbar.OptionShowCount())
		}
		p.bar.Set(done)
		if done == total {
			p.bar.Finish()
			fmt.Fprintln(p.w)
			p.bar = nil
		}
		return
	}
	switch {
	case stage != p.stage:
		p.stage, p.last = stage, now
		if total > 0 {
			fmt.Fprintf(p.w, "grind run: outputs: %s %d/%d\n", stage, done, total)
		} else {
			fmt.Fprintf(p.w, "grind run: outputs: %s\n", stage)
		}
	case done == total || now.Sub(p.last) >= progressEvery:
		p.last = now
		fmt.Fprintf(p.w, "grind run: outputs: %s %d/%d (%d%%)\n", stage, done, total, percent(done, total))
	}
}

// done closes the output phase.
func (p *progress) done() {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintln(p.w)
		return
	}
	if !p.outStart.IsZero() {
		fmt.Fprintf(p.w, "grind run: outputs written in %s\n", time.Since(p.outStart).Round(100*time.Millisecond))
	}
}

func percent(done, total int) int {
	if total == 0 {
		return 100
	}
	return 100 * done / total
}
