// Package addrplan decides the subnets of a lab before anything is created:
// it lists every prefix in play (the hosts' underlay and routes, docker0,
// docker_gwbridge, the swarm's ingress, existing Docker networks, the lab's
// own networks), refuses overlaps with one message per conflict naming both
// sides and a free subnet to use instead, picks free subnets for lab networks
// that have none, and carves per-host macvlan ranges out of the underlay.
//
// It is pure logic over net/netip values and strings, independent of Docker's
// types: the engine maps the facts it gathered into an Input.
package addrplan
