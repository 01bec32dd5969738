// Package cluster reaches the lab's hosts the way a careful operator would:
// one SSH connection per host for the whole command (key files or ssh-agent,
// strict known_hosts checking, optional jump hosts), remote commands with a
// rich error, the host's Docker Engine through that same connection (no
// Docker TCP port, no docker CLI on the host), bounded fan-out over all hosts
// with a fail-fast or collect-all policy, and the facts every later step
// reads (engine, swarm, addresses, underlay interface, kernel features).
package cluster
