// Package execx runs commands on the local machine and returns a rich error
// (command line, exit status, captured output) when they fail.
package execx
