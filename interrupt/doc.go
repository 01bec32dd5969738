// Package interrupt is how overlab ends on Ctrl-C (SIGINT) and SIGTERM: the
// first signal ends the command's context, so every step stops at once; a
// step that must not stop half-way (a swarm init or join, whose engine goes
// on without its client) runs under Finish, which outlives that first signal
// for a bound it announces; a second signal ends it too. A test hook sends
// the signal at a named step (Point), so that tests can interrupt every
// step of `up` for real.
package interrupt
