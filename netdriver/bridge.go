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
	return append(out, takes{}.check(n)...)
}

// Creates makes the network on each host that uses it.
func (Bridge) Creates(n *Network, s Site) []Create {
	return perHost(n.Name, s.Used, func(string) network.CreateOptions { return options(n, s) })
}

func (Bridge) Path() string {
	return "container eth0 → veth → Linux bridge on the host → veth → container (same host); to elsewhere: routed and masqueraded by the host (iptables)"
}
