package existing

import (
	"context"
	"fmt"
	"sort"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/fanout"
)

// unprobeable are Docker's own networks that no probe may join, with why.
var unprobeable = map[string]string{
	"ingress":         "it is the swarm's routing mesh, which only Docker's own load balancer joins",
	"docker_gwbridge": "it is Docker's link from overlay containers to their host, not a network of yours",
	"host":            "it is each host's own network stack: there is nothing between containers to probe",
	"none":            "it has no network at all",
}

// network finds one named network: swarm-scoped on the manager, else a
// local network of that name on each host that has one.
func (d *discovery) network(ctx context.Context, name string) error {
	if why, ok := unprobeable[name]; ok {
		d.f.problem("network %q cannot be checked: %s", name, why)
		return nil
	}
	if d.mgr != nil {
		list, err := d.mgr.NetworkList(ctx, nameFilter(name))
		if err != nil {
			return fmt.Errorf("networks on %s: %w", d.mgrName, err)
		}
		for _, n := range exact(list, name) {
			if n.Scope == "swarm" {
				d.f.Networks = append(d.f.Networks, asNetwork(n, d.f.SwarmHosts))
				return nil
			}
		}
	}
	return d.localNetwork(ctx, name)
}

// localNetwork finds a network of that name on each reachable host.
func (d *discovery) localNetwork(ctx context.Context, name string) error {
	found := make([][]network.Summary, len(d.hosts))
	names := make([]string, len(d.hosts))
	for i, h := range d.hosts {
		names[i] = h.Name
	}
	err := fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		if d.hosts[i].API == nil {
			return nil
		}
		list, err := d.hosts[i].API.NetworkList(ctx, nameFilter(name))
		found[i] = exact(list, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("networks: %w", err)
	}
	var on []string
	var first *network.Summary
	for i, list := range found {
		for j := range list {
			n := &list[j]
			if n.ConfigOnly {
				d.f.problem("network %q on %s is a config-only network (settings for a swarm macvlan network): name the swarm network made from it", name, d.hosts[i].Name)
				return nil
			}
			on = append(on, d.hosts[i].Name)
			if first == nil {
				first = n
			}
		}
	}
	if first == nil {
		d.missing(name)
		return nil
	}
	d.f.Networks = append(d.f.Networks, asNetwork(*first, on))
	return nil
}

// missing says a network was found nowhere, and where it was looked for.
func (d *discovery) missing(name string) {
	where := "no host has a local network of that name"
	if d.mgr != nil {
		where = fmt.Sprintf("the swarm (managed by %s) has no network of that name, and %s", d.mgrName, where)
	}
	d.f.problem("network %q not found: %s (docker network ls on a host lists them)", name, where)
}

// netName names a network of the manager's by its ID (or name).
func (d *discovery) netName(ctx context.Context, idOrName string) (string, error) {
	if d.netNames == nil {
		list, err := d.mgr.NetworkList(ctx, network.ListOptions{})
		if err != nil {
			return "", err
		}
		d.netNames = map[string]string{}
		for _, n := range list {
			d.netNames[n.ID], d.netNames[n.Name] = n.Name, n.Name
		}
	}
	if n, ok := d.netNames[idOrName]; ok {
		return n, nil
	}
	return idOrName, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
