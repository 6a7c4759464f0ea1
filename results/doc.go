// Package results holds grindbench's records, their storage, the
// aggregates computed over them (with the statistics of package
// results/stats), and the tables, plots and report made from them.
//
// It knows nothing of environments or agents beyond the record types in
// this package: everything it writes can be rebuilt from a results folder.
package results
