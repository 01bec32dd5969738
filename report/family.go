package report

import "github.com/overlab/overlab/results"

// The two address families are kept apart: a network's IPv6 probes are a
// matrix, a failure group and a JUnit suite of their own, named after the
// network with this suffix.
const ipv6Suffix = " (IPv6)"

// netLabel is the name of the matrix a probe belongs to.
func netLabel(p results.Probe) string {
	if p.IPv6() {
		return p.Network + ipv6Suffix
	}
	return p.Network
}

// familyNetworks are the matrices of a document's network: its IPv4 one
// (unless it is IPv6-only) and its IPv6 one when it has an IPv6 subnet.
func familyNetworks(n results.Network) []results.Network {
	var out []results.Network
	if n.Subnet != "" || n.SubnetIPv6 == "" {
		v4 := n
		v4.SubnetIPv6 = ""
		out = append(out, v4)
	}
	if n.SubnetIPv6 != "" {
		v6 := n
		v6.Name, v6.Subnet, v6.SubnetIPv6 = n.Name+ipv6Suffix, n.SubnetIPv6, ""
		out = append(out, v6)
	}
	return out
}
