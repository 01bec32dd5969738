// Package parselimit bounds what a small file can cost overlab to read: a
// size limit, a nesting limit, and a limit on the YAML nodes a document
// expands to through its aliases (&anchor / *alias), counted the way the
// decoders will walk them. Lab files and inventories are tiny; a hostile or
// broken one must be refused in milliseconds, with a clear error, before
// any decoder walks it (issue 22: a 110 KB lab file once took 20 s, a
// 54 KB TOML inventory 3.5 s).
package parselimit
