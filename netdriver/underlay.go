package netdriver

import (
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/feature"
)

// underlay is what macvlan and ipvlan share: containers take addresses of
// the hosts' underlay through a parent interface (or its VLAN), each host
// from a range of its own; a swarm-scoped one is built from a config-only
// network on every host.
type underlay struct {
	base
	name    string
	feature feature.Name
	// modeOption is the driver option the lab's mode sets ("" when the
	// driver takes no mode), modes the values it takes (the first is the
	// default), fixed the options it always sets.
	modeOption string
	modes      []string
	fixed      map[string]string
}

func (d underlay) Name() string { return d.name }

// DefaultScope: swarm when a service attaches to it, which only a
// swarm-scoped network of the driver allows.
func (underlay) DefaultScope(byService bool) string {
	if byService {
		return ScopeSwarm
	}
	return ScopeLocal
}

func (d underlay) Check(n *Network) []Problem {
	return takes{attachable: swarmScoped, parent: true, modes: d.modes}.check(n)
}

func (d underlay) Needs(n *Network) []Need {
	out := []Need{{d.feature, "network %q is " + d.name + ", but %s have no " + d.name + " driver"}}
	if strings.Contains(n.Parent, ".") || n.VLAN > 0 {
		parent := strings.ReplaceAll(n.Parent, "%", "%%")
		out = append(out, Need{feature.VLAN, "network %q uses VLAN parent " + parent + ", but %s have no 802.1q support: use a plain parent interface"})
	}
	return out
}

// ConfigOnlyName is the name of a swarm-scoped underlay network's per-host
// config-only network. Every host must use the same name: the swarm network
// is created once with --config-from NAME and each host resolves NAME locally
// to its own settings (subnet, parent, its own ip range).
func ConfigOnlyName(network string) string { return network + "-config" }

// Parts: a swarm-scoped one is built from a config-only network on each host.
func (underlay) Parts(n *Network) []string {
	if n.SwarmScoped() {
		return []string{ConfigOnlyName(n.Name)}
	}
	return nil
}

// Creates makes a local network on each host that uses it; a swarm-scoped
// one from a config-only network on every host, then once through the swarm.
func (d underlay) Creates(n *Network, s Site) []Create {
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
		Driver: d.name, Scope: ScopeSwarm, Attachable: n.Attachable, Internal: n.Internal,
		ConfigFrom: &network.ConfigReference{Network: cfg},
	}})
}

// onHost is the network's settings on host h: its own range and parent.
func (d underlay) onHost(n *Network, s Site, h string) network.CreateOptions {
	o := options(n, s)
	if r := s.HostRange(h); r.IsValid() && o.IPAM != nil {
		o.IPAM.Config[0].IPRange = r.String()
	}
	setOption(&o, "parent", Parent(n, s, h))
	for k, v := range d.fixed {
		setOption(&o, k, v)
	}
	if d.modeOption != "" {
		setOption(&o, d.modeOption, orDefault(n.Mode, d.modes[0]))
	}
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

func (underlay) Note(n *Network) string {
	if !n.SwarmScoped() {
		return ""
	}
	return fmt.Sprintf("First a config-only network on every host, all called %s: the same subnet, the host's parent interface, and a range of its own so that two hosts never hand out the same address. Then the swarm network, once, from that config.", ConfigOnlyName(n.Name))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
