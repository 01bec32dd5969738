// Package cmd holds overlab's cobra commands: one constructor per command,
// a flags struct, RunE, and the logger and streams passed in. main only
// calls Execute.
package cmd
