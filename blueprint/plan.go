package blueprint

import (
	"errors"
	"net/netip"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
)

// planInput is the lab's address-plan input completed with what the hosts
// say; without facts, with what Docker's defaults would be (good for
// showing commands; up plans with the real facts).
func planInput(l *lab.Lab, hosts []lab.HostInfo, facts map[string]*cluster.Facts) addrplan.Input {
	in := lab.PlanInput(l, hosts)
	if facts == nil {
		assumeDefaults(&in)
		return in
	}
	seen := map[string]bool{}
	for i := range in.Hosts {
		h := &in.Hosts[i]
		if f := facts[h.Name]; f != nil {
			hostFacts(h, f)
			existingNetworks(&in, h.Name, f, seen)
		}
	}
	return in
}

// assumeDefaults: each host's underlay is the /24 around its address,
// docker0 is 172.17.0.0/16 and docker_gwbridge 172.18.0.0/16.
func assumeDefaults(in *addrplan.Input) {
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
}

// hostFacts sets a host's own subnets and routes. A bridge network's subnet
// is a connected route on its host: it is that network (an existing one),
// not a route of the host's own.
func hostFacts(h *addrplan.Host, f *cluster.Facts) {
	h.Underlay, _ = netip.ParsePrefix(f.UnderlaySubnet)
	h.Docker0, _ = netip.ParsePrefix(f.Docker0Subnet)
	h.GWBridge, _ = netip.ParsePrefix(f.GWBridgeSubnet)
	dockerNet := map[netip.Prefix]bool{}
	for _, n := range f.Networks {
		for _, s := range n.Subnets {
			if p, err := netip.ParsePrefix(s); err == nil {
				dockerNet[p.Masked()] = true
			}
		}
	}
	own := func(p netip.Prefix) bool {
		m := p.Masked()
		return m == h.Underlay.Masked() || m == h.Docker0.Masked() || m == h.GWBridge.Masked() || dockerNet[m]
	}
	for _, p := range f.Routes {
		if p.Bits() > 0 && hostScoped(p) && !own(p) {
			h.Routes = append(h.Routes, p)
		}
	}
}

// hostScoped: a route that says something of the host's networks; every
// IPv6 interface has link-local, loopback and multicast routes.
func hostScoped(p netip.Prefix) bool {
	a := p.Addr()
	return a.Is4() || !(a.IsLinkLocalUnicast() || a.IsLoopback() || a.IsMulticast())
}

// existingNetworks adds the host's Docker networks (a swarm-scoped one
// once) and the swarm's ingress subnet.
func existingNetworks(in *addrplan.Input, host string, f *cluster.Facts, seen map[string]bool) {
	for _, n := range f.Networks {
		switch n.Name {
		case "bridge", "docker_gwbridge", "host", "none":
			continue
		case "ingress":
			if in.Ingress.IsValid() || n.Scope == "swarm" {
				if p, err := firstSubnet(n.Subnets); err == nil {
					in.Ingress = p
				}
			}
			continue
		}
		if n.Scope == "swarm" {
			if seen[n.Name] {
				continue
			}
			seen[n.Name] = true
		}
		for _, p := range subnetsByFamily(n.Subnets) {
			e := addrplan.Existing{Name: n.Name, Driver: n.Driver, Underlay: netdriver.Of(n.Driver).Traits().Underlay, Prefix: p, Host: host}
			if n.Scope == "swarm" {
				e.Host = ""
			}
			in.Existing = append(in.Existing, e)
		}
	}
}

// subnetsByFamily is a network's first IPv4 subnet and first IPv6 one,
// those it has.
func subnetsByFamily(subnets []string) []netip.Prefix {
	var out []netip.Prefix
	if p, err := firstSubnet(subnets); err == nil {
		out = append(out, p)
	}
	for _, s := range subnets {
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is6() {
			return append(out, p)
		}
	}
	return out
}

func firstSubnet(subnets []string) (netip.Prefix, error) {
	for _, s := range subnets {
		if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
			return p, nil
		}
	}
	return netip.Prefix{}, errors.New("no IPv4 subnet")
}
