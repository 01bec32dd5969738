package netdriver

import (
	"github.com/overlab/overlab/engines"
	"github.com/overlab/overlab/feature"
)

// Overlay is VXLAN between the swarm's hosts: one network across them.
type Overlay struct{ base }

func (Overlay) Name() string { return "overlay" }

func (Overlay) Traits() Traits { return Traits{Tunnel: true, Objects: ObjectsOverlay} }

func (Overlay) DefaultScope(bool) string { return ScopeSwarm }

func (Overlay) Check(n *Network) []Problem {
	var out []Problem
	if n.Scope == ScopeLocal {
		out = append(out, Problem{"scope", "an overlay network is always swarm-scoped"})
	}
	return append(out, takes{encrypted: true, attachable: always, ipv6: true}.check(n)...)
}

func (Overlay) Needs(n *Network) []Need {
	var out []Need
	if n.Encrypted {
		out = append(out, Need{Feature: feature.ESP, Message: "network %q is encrypted, but %s have no ESP (xfrm) support: encrypted overlay traffic cannot pass; drop encrypted: true"})
	}
	out = append(out, ipv6Needs(n)...)
	if n.IPv6 {
		out = append(out, Need{Engines: SwarmIPv6, Message: "network %q is an overlay with IPv6, whose IPv6 subnet the swarm of Docker Engine 28.0 and later fails to allocate (\"cannot find address pool ... invalid Prefix\", moby#52469): every task on it stays pending; %s run such engines: place its workloads with placement.engines: \"< 28.0\""})
	}
	return append(out, Need{Feature: feature.VXLAN, Message: "network %q is an overlay, but %s have no VXLAN"})
}

// SwarmIPv6 is the engine range whose swarm allocates a dual-stack
// overlay: tested on 20.10 and 26.1; 28.5 logs "Failed allocation for
// network ...: cannot find address pool for poolID:fd00:...::/64/invalid
// Prefix" and never allocates it (the allocator asks for the IPv6 pool as
// an IPv4 one since 28.0's IPAM; fixed on moby's master in June 2026).
var SwarmIPv6 = engines.MustRange("< 28.0")

// Creates makes the network once, through the swarm.
func (Overlay) Creates(n *Network, s Site) []Create {
	o := options(n, s)
	o.Scope = ScopeSwarm
	if n.Encrypted {
		setOption(&o, "encrypted", "true")
	}
	return []Create{{Name: n.Name, Options: o}}
}

func (Overlay) Note(*Network) string {
	return "Created once, on a manager; it appears on a worker when a task or container there joins it."
}

func (Overlay) Path() string {
	return "container eth0 → veth → br0 (overlay netns) → vxlan0 (VNI) → UDP 4789 over the host's lab interface → the other host's vxlan0 → br0 → veth → container"
}
