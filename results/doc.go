// Package results holds grindbench's records, their storage, the statistics
// computed over them, and the tables, plots and report made from them.
//
// It knows nothing of environments or agents beyond the record types in
// this package: everything it writes can be rebuilt from a results folder.
package results
