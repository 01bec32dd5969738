// Package workload deploys a lab's workloads (swarm services and plain
// containers, by default running the probe), waits until they run, finds
// where each instance runs and its address on each network, and removes them.
package workload
