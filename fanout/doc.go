// Package fanout is overlab's one way to do something on many hosts at once.
//
// Each runs one function per named host, at most a limit at a time (the
// --parallel flag, carried in the context by WithLimit), under one of two
// policies: CollectAll (the default: checks and teardown, where one broken
// host must not hide the others) or FailFast (set-up: no point building on a
// half-made lab). Every error is prefixed with its host's name and the list is
// sorted, so a report reads the same whatever order the hosts finished in.
package fanout
