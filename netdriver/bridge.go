package netdriver

import "github.com/docker/docker/api/types/network"

// Bridge is a Linux bridge on each host: containers of one host reach each
// other; other hosts only through published ports (or routing).
type Bridge struct{ base }

func (Bridge) Name() string { return "bridge" }

func (Bridge) Traits() Traits {
	return Traits{Builtin: "bridge", PerHostSegment: true, Objects: ObjectsBridge}
}

func (Bridge) Check(n *Network) []Problem {
	var out []Problem
	if n.Scope == ScopeSwarm {
		out = append(out, Problem{"scope", "a bridge network is local to its host; use an overlay network to span hosts"})
	}
	return append(out, takes{ipv6: true, ipv6Only: true, gateways: true}.check(n)...)
}

// Needs: IPv6 and gateway modes need a kernel or engine that has them.
func (Bridge) Needs(n *Network) []Need { return append(ipv6Needs(n), gatewayNeeds(n)...) }

// Creates makes the network on each host that uses it.
func (Bridge) Creates(n *Network, s Site) []Create {
	return perHost(n.Name, s.Used, func(string) network.CreateOptions {
		o := options(n, s)
		gatewayModes(&o, n)
		return o
	})
}

// RouteScope: another host reaches a bridge's containers through a route
// to its subnet via their host (direct routing), as far as the host's
// firewall (the gateway mode) lets it.
func (Bridge) RouteScope(*Network) RouteScope { return RouteSubnet }

func (Bridge) Path() string {
	return "container eth0 → veth → Linux bridge on the host → veth → container (same host); to elsewhere: routed and masqueraded by the host (iptables)"
}

// BridgeName is the Linux bridge of the bridge network with this ID, name
// and options: the one its options name, docker0 for the default network,
// else br- and the ID's first 12 characters.
func BridgeName(id, name string, options map[string]string) string {
	if b := options["com.docker.network.bridge.name"]; b != "" {
		return b
	}
	if name == "bridge" {
		return "docker0"
	}
	return "br-" + id[:min(12, len(id))]
}
