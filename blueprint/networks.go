package blueprint

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
)

// networks are the lab's networks with the Docker networks that make each.
func (bp *Blueprint) networks() []Network {
	out := make([]Network, 0, len(bp.Lab.Networks))
	for i := range bp.Lab.Networks {
		n := &bp.Lab.Networks[i]
		bn := Network{Network: n, Driver: netdriver.Of(n.Driver)}
		if !n.Made() {
			bn.Subnet, _ = netip.ParsePrefix(n.Subnet) // the engine's, for an external one
			out = append(out, bn)
			continue
		}
		bn.Subnet = bp.Plan.Subnets[n.Name]
		bn.Creates = bn.Driver.Creates(n, bp.site(n, bn.Subnet))
		out = append(out, bn)
	}
	return out
}

// site is what a driver needs to know of the hosts for network n.
func (bp *Blueprint) site(n *lab.Network, subnet netip.Prefix) netdriver.Site {
	parents := map[string]string{}
	for _, h := range bp.Hosts {
		parents[h.Name] = h.Parent
	}
	opts := map[string]netdriver.HostOptions{}
	for ref, o := range n.Hosts {
		if name, err := lab.ResolveHost(ref, bp.Infos()); err == nil {
			opts[name] = o
		}
	}
	return netdriver.Site{
		Hosts:     bp.HostNames(),
		Used:      bp.UsedOn(n.Name),
		Subnet:    subnet,
		HostRange: func(h string) netip.Prefix { return bp.Plan.MacvlanRanges[n.Name][h] },
		Options:   func(h string) netdriver.HostOptions { return opts[h] },
		Parent:    func(h string) string { return parents[h] },
		Labels:    bp.labels(),
	}
}

// UsedOn lists, in inventory order, the hosts where a container of the lab
// attaches to the network: a local network exists only there.
func (bp *Blueprint) UsedOn(network string) []string {
	on := map[string]bool{}
	for i := range bp.Lab.Workloads {
		w := &bp.Lab.Workloads[i]
		if w.Attached(network) {
			for _, h := range bp.Placed[w.Name] {
				on[h] = true
			}
		}
	}
	var out []string
	for _, h := range bp.Hosts {
		if on[h.Name] {
			out = append(out, h.Name)
		}
	}
	return out
}

// Network returns the blueprint's network called name, or nil.
func (bp *Blueprint) Network(name string) *Network {
	for i := range bp.Networks {
		if bp.Networks[i].Name == name {
			return &bp.Networks[i]
		}
	}
	return nil
}

// sharedParents refuses two lab networks on one parent interface of a host:
// Docker allows one macvlan network per parent ("network ... is already
// using parent interface"), and would say so only when a task fails.
func (bp *Blueprint) sharedParents() error {
	users := map[[2]string]string{} // host, parent -> the first network on it
	var errs []string
	for _, n := range bp.Networks {
		for _, c := range n.Creates {
			parent := c.Options.Options["parent"]
			if c.OnManager() || parent == "" {
				continue
			}
			k := [2]string{c.Host, parent}
			if other, ok := users[k]; ok && other != n.Name {
				errs = append(errs, fmt.Sprintf("networks %q and %q both use parent interface %s on %s: Docker allows one macvlan network per parent; give one of them another parent (or a VLAN: vlan: N)", other, n.Name, parent, c.Host))
				continue
			}
			users[k] = n.Name
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(errs, "\n"))
}
