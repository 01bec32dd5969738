package netdriver

import (
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/network"
)

// takes says which of the driver-specific lab fields a driver accepts.
type takes struct {
	encrypted  bool
	attachable func(n *Network) bool // nil: never
	parent     bool                  // parent, vlan and per-host options
	modes      []string              // the modes it takes; none: no mode
}

// check lists the fields n sets that its driver does not take, in the
// order a lab file lists them.
func (t takes) check(n *Network) []Problem {
	var out []Problem
	add := func(field, format string, args ...any) {
		out = append(out, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if n.Encrypted && !t.encrypted {
		add("encrypted", "only overlay networks can be encrypted (IPsec between hosts)")
	}
	if n.Attachable && (t.attachable == nil || !t.attachable(n)) {
		add("attachable", "only swarm-scoped networks (overlay, macvlan with scope: swarm) are attachable; containers attach to local networks anyway")
	}
	if n.VLAN != 0 && (!t.parent || n.VLAN < 1 || n.VLAN > 4094 || strings.Contains(n.Parent, ".")) {
		add("vlan", "%d: a VLAN id from 1 to 4094, on a macvlan network whose parent is not a sub-interface already", n.VLAN)
	}
	if !t.parent && n.Parent != "" {
		add("parent", "only macvlan and ipvlan networks have a parent interface")
	}
	if !t.parent && len(n.Hosts) > 0 {
		add("hosts", "per-host options apply to macvlan and ipvlan networks only")
	}
	if n.Mode != "" && !slices.Contains(t.modes, n.Mode) {
		if len(t.modes) == 0 {
			add("mode", "only ipvlan networks have a mode (l2, l3 or l3s)")
		} else {
			add("mode", "%q: want %s", n.Mode, strings.Join(t.modes, ", "))
		}
	}
	return out
}

func swarmScoped(n *Network) bool { return n.Scope == ScopeSwarm }

func always(*Network) bool { return true }

// base holds what most drivers answer alike.
type base struct{}

func (base) DefaultScope(bool) string { return ScopeLocal }
func (base) Needs(*Network) []Need    { return nil }
func (base) Note(*Network) string     { return "" }
func (base) Parts(*Network) []string  { return nil }

// options are the Docker create options every driver starts from: the
// lab's labels, attachable and internal, and the subnet with the gateway
// and range the lab gives.
func options(n *Network, s Site) network.CreateOptions {
	o := network.CreateOptions{Driver: n.Driver, Attachable: n.Attachable, Internal: n.Internal, Labels: s.Labels}
	if s.Subnet.IsValid() {
		o.IPAM = &network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: s.Subnet.String(), Gateway: n.Gateway, IPRange: n.IPRange}}}
	}
	return o
}

// setOption sets a driver option, making the map on first use.
func setOption(o *network.CreateOptions, k, v string) {
	if o.Options == nil {
		o.Options = map[string]string{}
	}
	o.Options[k] = v
}

// perHost is one Create of the same options on each host.
func perHost(name string, hosts []string, opts func(host string) network.CreateOptions) []Create {
	out := make([]Create, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, Create{Host: h, Name: name, Options: opts(h)})
	}
	return out
}
