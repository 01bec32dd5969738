// Package runner runs a lab on a cluster: `up` (facts, address plan, swarm,
// networks, probe image, workloads), `check` (probes into a result
// document) and `down` (everything overlab created, in a safe order). It
// holds the order of the phases and the policies between them; each phase's
// work lives in its own package.
package runner
