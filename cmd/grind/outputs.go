package main

import (
	"runtime/debug"

	"github.com/grindbench/grindbench/results"
)

// writeOutputs rebuilds a results folder's summary, tables, plots and
// report page from its records: the one output step of run, report and
// merge, so each leaves the same folder.
func writeOutputs(dir string, opt results.BuildOptions) (built *results.Built, page string, err error) {
	// Reading records makes much short-lived garbage next to a large live
	// set; a tighter GC target keeps peak memory near the live set, for a
	// few more collections (well under a second at 10x the default sweep).
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	if built, err = results.Build(dir, opt); err != nil {
		return nil, "", err
	}
	if page, err = results.WriteReport(dir, built); err != nil {
		return nil, "", err
	}
	if outputsBuilt != nil {
		outputsBuilt(built)
	}
	return built, page, nil
}

// outputsBuilt, if set (by tests), is handed what each output step built.
var outputsBuilt func(*results.Built)
