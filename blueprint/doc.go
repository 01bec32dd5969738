// Package blueprint compiles a lab, the inventory's hosts and what the hosts
// say of themselves into one model: the address plan, where each workload
// runs, for each network and host the exact Docker networks to create, and
// every probe with its expectation. up applies it, check probes from it, and
// lab show prints it; nothing downstream decides any of it again.
package blueprint
