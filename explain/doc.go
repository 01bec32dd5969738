// Package explain shows the Linux objects behind a Docker network on each
// host: the bridge and its ports, each container's veth pair (which end in
// which namespace), for an overlay the network namespace with its br0, the
// vxlan device, its VNI and the FDB and neighbour entries that point at the
// other hosts, for macvlan the parent and its children, the iptables chains
// that isolate networks and the NAT rules behind published ports. Each
// object comes with the command that shows it by hand.
//
// It only reads: the Docker API, and ip, bridge, nsenter and iptables -S
// run as root over the host's SSH connection.
package explain
