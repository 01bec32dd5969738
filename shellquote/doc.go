// Package shellquote is overlab's one way of putting a value into a POSIX
// sh command line: every script run on a host and every command printed for
// a person to paste goes through it.
package shellquote
