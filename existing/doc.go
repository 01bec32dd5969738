// Package existing checks networks and services that overlab did not
// make: a user's own swarm. It finds the named networks and services on
// the engines, read-only, and turns them into a lab whose networks exist
// already (nothing of them is created, changed or removed) and whose only
// workloads are overlab's temporary probes, one per network, with the
// expectations a working network must meet.
package existing
