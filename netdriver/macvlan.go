package netdriver

import (
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/feature"
)

// Macvlan gives each container a MAC of its own on a parent interface of
// the underlay: containers are peers of the hosts on the lab network.
type Macvlan struct{ base }

func (Macvlan) Name() string { return "macvlan" }

func (Macvlan) Traits() Traits {
	return Traits{Underlay: true, OwnHostUnreachable: true, Objects: ObjectsParent}
}

// DefaultScope: swarm when a service attaches to it, which only a
// swarm-scoped macvlan allows.
func (Macvlan) DefaultScope(byService bool) string {
	if byService {
		return ScopeSwarm
	}
	return ScopeLocal
}

func (Macvlan) Check(n *Network) []Problem {
	return takes{attachable: swarmScoped, parent: true}.check(n)
}

func (Macvlan) Needs(n *Network) []Need {
	out := []Need{{feature.Macvlan, "network %q is macvlan, but %s have no macvlan driver"}}
	if strings.Contains(n.Parent, ".") || n.VLAN > 0 {
		parent := strings.ReplaceAll(n.Parent, "%", "%%")
		out = append(out, Need{feature.VLAN, "network %q uses VLAN parent " + parent + ", but %s have no 802.1q support: use a plain parent interface"})
	}
	return out
}

// ConfigOnlyName is the name of a swarm-scoped macvlan network's per-host
// config-only network. Every host must use the same name: the swarm network
// is created once with --config-from NAME and each host resolves NAME locally
// to its own settings (subnet, parent, its own ip range).
func ConfigOnlyName(network string) string { return network + "-config" }

// Parts: a swarm-scoped macvlan is built from a config-only network on
// each host.
func (Macvlan) Parts(n *Network) []string {
	if n.SwarmScoped() {
		return []string{ConfigOnlyName(n.Name)}
	}
	return nil
}

// Creates makes a local macvlan network on each host that uses it; a
// swarm-scoped one from a config-only network on every host, then once
// through the swarm.
func (d Macvlan) Creates(n *Network, s Site) []Create {
	if !n.SwarmScoped() {
		return perHost(n.Name, s.Used, func(h string) network.CreateOptions { return d.onHost(n, s, h) })
	}
	cfg := ConfigOnlyName(n.Name)
	out := perHost(cfg, s.Hosts, func(h string) network.CreateOptions {
		o := d.onHost(n, s, h)
		// A config-only network holds settings only: no driver, scope or
		// attachability of its own.
		o.ConfigOnly, o.Driver, o.Attachable, o.Internal = true, "", false, false
		return o
	})
	// No label: Docker refuses any user configuration, labels included, on
	// a network built --config-from; down finds it by its config source.
	return append(out, Create{Name: n.Name, Options: network.CreateOptions{
		Driver: "macvlan", Scope: ScopeSwarm, Attachable: n.Attachable, Internal: n.Internal,
		ConfigFrom: &network.ConfigReference{Network: cfg},
	}})
}

// onHost is the network's settings on host h: its own range and parent.
func (Macvlan) onHost(n *Network, s Site, h string) network.CreateOptions {
	o := options(n, s)
	if r := s.HostRange(h); r.IsValid() && o.IPAM != nil {
		o.IPAM.Config[0].IPRange = r.String()
	}
	setOption(&o, "parent", Parent(n, s, h))
	setOption(&o, "macvlan_mode", "bridge")
	return o
}

// Parent is the parent interface of an underlay network on host h: the
// lab's per-host parent, else the network's, else the host's own, on the
// network's VLAN when it has one.
func Parent(n *Network, s Site, h string) string {
	p := s.Options(h).Parent
	if p == "" {
		p = n.Parent
	}
	if p == "" {
		p = s.Parent(h)
	}
	if n.VLAN > 0 {
		p = fmt.Sprintf("%s.%d", p, n.VLAN)
	}
	return p
}

func (Macvlan) Note(n *Network) string {
	if !n.SwarmScoped() {
		return ""
	}
	return fmt.Sprintf("First a config-only network on every host, all called %s: the same subnet, the host's parent interface, and a range of its own so that two hosts never hand out the same address. Then the swarm network, once, from that config.", ConfigOnlyName(n.Name))
}

func (Macvlan) Path() string {
	return "container macvlan child (own MAC) → parent interface → the lab network, bypassing the host's IP stack and iptables"
}
