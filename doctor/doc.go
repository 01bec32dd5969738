// Package doctor is overlab's preflight: it tests, for real and without a
// swarm, what Docker multi-host networking needs of the hosts and of the
// network between them, and says for each problem its cause and its fix.
//
//   - Between every ordered pair of hosts, on the lab addresses: 2377/tcp
//     (towards managers), 7946/tcp and 7946/udp, 4789/udp, each reachable,
//     refused or filtered. A short-lived overlab probe listens on the target
//     (the probe program of the host's architecture copied over SSH, removed
//     afterwards); a port that a running engine already holds counts as
//     answering.
//   - The path MTU of each pair (don't-fragment datagrams of decreasing size
//     to the probe's UDP echo) against the hosts' lab interface MTU.
//   - Per host: kernel features, engine version and API, clock skew against
//     the first manager, the lab address on an interface, the iptables
//     FORWARD policy, free address space for the lab's subnets.
package doctor
