// Package runs is the run history: every check stores its results under a
// results directory, one directory per run named by a time-sortable ID, with
// the JSON document, its JUnit and HTML renderings and the raw evidence of
// each failed probe. It lists, opens and compares stored runs.
package runs
