package results

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BuildOptions steers Build. Zero values take the manifest's settings.
type BuildOptions struct {
	Resamples int
	Seed      uint64 // seeds every bootstrap; default 1
}

// Built lists what Build wrote.
type Built struct {
	Summary  *Summary
	Files    []string // every file written, in writing order
	Headline string   // the main table as plain text, for the terminal
}

// HeadlineMetric is the metric of the main table and plots.
const HeadlineMetric = "success_greedy"

// tableMetrics get a split table each.
var tableMetrics = []string{"success_greedy", "success_sampled", "step_acc_greedy", "verdict_reward"}

// Build regenerates summary.csv, tables and plots of results folder dir
// from its records alone (and the manifest's report settings). Running it
// twice gives byte-identical tables and CSV.
func Build(dir string, opt BuildOptions) (*Built, error) {
	m, err := ReadManifest(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if m == nil {
		m = &Manifest{}
	}
	recs, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(recs.Checkpoints) == 0 {
		return nil, fmt.Errorf("%s: no checkpoint records under %s", dir, RunsDir)
	}
	if opt.Resamples == 0 {
		opt.Resamples = m.Resamples
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	s := Summarize(recs.Checkpoints, SummaryOptions{Baseline: m.Baseline, Resamples: opt.Resamples, Seed: opt.Seed, Agents: m.Agents})
	b := &Built{Summary: s}

	write := func(path string, data []byte) error {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := WriteFileAtomic(path, data); err != nil {
			return err
		}
		b.Files = append(b.Files, path)
		return nil
	}
	var buf bytes.Buffer
	if err := s.WriteCSV(&buf); err != nil {
		return nil, err
	}
	if err := write(filepath.Join(dir, "summary.csv"), buf.Bytes()); err != nil {
		return nil, err
	}
	last := s.Days[len(s.Days)-1]
	for _, point := range s.Points {
		prefix := ""
		if len(s.Points) > 1 {
			prefix = point + "_"
		}
		for _, metric := range tableMetrics {
			for _, f := range []struct{ format, ext string }{{"markdown", ".md"}, {"text", ".txt"}, {"csv", ".csv"}} {
				buf.Reset()
				if err := WriteSplitTable(&buf, s, f.format, point, last, metric); err != nil {
					return nil, fmt.Errorf("table %s %s: %w", point, metric, err)
				}
				if err := write(filepath.Join(dir, "tables", prefix+metric+f.ext), buf.Bytes()); err != nil {
					return nil, err
				}
				if metric == HeadlineMetric && f.format == "text" {
					if len(s.Points) > 1 {
						b.Headline += "point " + point + "\n"
					}
					b.Headline += buf.String()
				}
			}
		}
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(dir, "plots", prefix+"splits_"+HeadlineMetric+ext)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, err
			}
			if err := PlotSplitBars(s, point, last, HeadlineMetric, s.Splits, path); err != nil {
				return nil, fmt.Errorf("plot %s: %w", path, err)
			}
			b.Files = append(b.Files, path)
			for _, split := range s.Splits {
				path := filepath.Join(dir, "plots", "curves", prefix+safeName(split)+ext)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					return nil, err
				}
				if err := PlotLearningCurves(s, point, split, HeadlineMetric, path); err != nil {
					return nil, fmt.Errorf("plot %s: %w", path, err)
				}
				b.Files = append(b.Files, path)
			}
		}
	}
	return b, nil
}

// safeName maps a split or point label to a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '=', r == '@':
			return r
		}
		return '_'
	}, s)
}
