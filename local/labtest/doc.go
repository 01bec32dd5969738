// Package labtest brings up real local lab hosts for integration tests: a
// lab with a name and an underlay subnet of its own per test, so that test
// packages running in parallel never share or collide, removed at cleanup.
package labtest
