package lab

import (
	"net/netip"

	"github.com/overlab/overlab/addrplan"
)

// ConfigOnlyName is the name of a swarm-scoped macvlan network's per-host
// config-only network. Every host must use the same name: the swarm network
// is created once with --config-from NAME and each host resolves NAME locally
// to its own settings (subnet, parent, its own ip range).
func ConfigOnlyName(network string) string { return network + "-config" }

// NeedsSwarm reports whether the lab uses services or swarm-scoped networks.
func (l *Lab) NeedsSwarm() bool {
	for _, n := range l.Networks {
		if !n.Default && n.Scope == ScopeSwarm {
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
		if n.Default {
			continue
		}
		r := addrplan.Request{Name: n.Name, Driver: n.Driver}
		r.Subnet, _ = netip.ParsePrefix(n.Subnet)
		r.Gateway, _ = netip.ParseAddr(n.Gateway)
		r.IPRange, _ = netip.ParsePrefix(n.IPRange)
		if n.Driver == DriverMacvlan && n.Scope == ScopeSwarm {
			r.Own = []string{ConfigOnlyName(n.Name)}
		}
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

// ExampleHosts stand in for an inventory when there is none: three hosts
// on 192.168.56.0/24, as the Vagrantfile and the local provider make them.
func ExampleHosts() []HostInfo {
	return []HostInfo{
		{Name: "node1", Address: "192.168.56.11", Role: "manager"},
		{Name: "node2", Address: "192.168.56.12", Role: "worker"},
		{Name: "node3", Address: "192.168.56.13", Role: "worker"},
	}
}

// AssumedPlan is the address plan made without the hosts' facts: each
// host's underlay is the /24 around its address and Docker's defaults hold
// (docker0 172.17.0.0/16, docker_gwbridge 172.18.0.0/16). Good for showing
// commands; the engine plans with the real facts.
func AssumedPlan(l *Lab, hosts []HostInfo) *addrplan.Plan {
	in := PlanInput(l, hosts)
	for i := range in.Hosts {
		h := &in.Hosts[i]
		if h.Address.Is4() {
			h.Underlay = netip.PrefixFrom(h.Address, 24).Masked()
		}
		h.Docker0 = netip.MustParsePrefix("172.17.0.0/16")
		if in.Ingress.IsValid() {
			h.GWBridge = netip.MustParsePrefix("172.18.0.0/16")
		}
	}
	return addrplan.Compute(in)
}
