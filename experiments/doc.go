// Package experiments wires environments, agents and results together: the
// config schema and its strict validation, sweep expansion, the job protocol
// (DESIGN 5) and the runner that executes a sweep over a worker pool.
//
// Shipped experiment configs live in this folder as *.toml; headline.toml is
// embedded and is what `grind run` runs without a config.
package experiments
