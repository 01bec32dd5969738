// Package validname holds the rules for the names that overlab hands to the
// kernel, to Docker and to the shell commands it prints: interface names,
// DNS names and image references. Each is checked for what it is, not only
// for being harmless in a shell, so that a typo is caught with a clear
// message before anything is created; quoting (package shellquote) is the
// second line of defence.
package validname
