// Package log is overlab's injected logger: an interface with verbosity
// levels, a no-op default and a plain writer implementation. Nothing in
// overlab logs through a global.
package log
