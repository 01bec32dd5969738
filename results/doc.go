// Package results holds the check's result document: the stable JSON shape
// (schema_version 1) that `overlab check` writes and that reports, run
// history and diffs read back.
package results
