package lab

import (
	"net/netip"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/netdriver"
)

// NeedsSwarm reports whether the lab uses services or swarm-scoped networks.
func (l *Lab) NeedsSwarm() bool {
	for _, n := range l.Networks {
		if n.Scope == ScopeSwarm && !n.Default {
			return true
		}
	}
	for _, w := range l.Workloads {
		if w.Kind == KindService {
			return true
		}
	}
	return false
}

// PlanInput starts the address plan's input from the lab: its networks as
// requests, the hosts by name and address, and the swarm's ingress when the
// lab needs a swarm. The caller adds what it knows of the hosts (underlay
// prefix, routes, docker0, docker_gwbridge) and the existing networks.
// Host references in per-host options must resolve (Expand checks them).
func PlanInput(l *Lab, hosts []HostInfo) addrplan.Input {
	var in addrplan.Input
	for _, h := range hosts {
		a, _ := netip.ParseAddr(h.Address)
		in.Hosts = append(in.Hosts, addrplan.Host{Name: h.Name, Address: a})
	}
	if l.NeedsSwarm() {
		in.Ingress = addrplan.DefaultIngress
	}
	for _, n := range l.Networks {
		if !n.Made() {
			continue
		}
		d := netdriver.Of(n.Driver)
		r := addrplan.Request{Name: n.Name, Driver: n.Driver, Underlay: d.Traits().Underlay, Own: d.Parts(&n)}
		r.Subnet, _ = netip.ParsePrefix(n.Subnet)
		r.Gateway, _ = netip.ParseAddr(n.Gateway)
		r.IPRange, _ = netip.ParsePrefix(n.IPRange)
		for ref, o := range n.Hosts {
			name, err := ResolveHost(ref, hosts)
			if err != nil || o.IPRange == "" {
				continue
			}
			if p, err := netip.ParsePrefix(o.IPRange); err == nil {
				if r.HostRanges == nil {
					r.HostRanges = map[string]netip.Prefix{}
				}
				r.HostRanges[name] = p
			}
		}
		in.Networks = append(in.Networks, r)
	}
	return in
}
