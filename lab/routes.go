package lab

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/netdriver"
)

// Route is a route the lab adds on a host after up, and removes at down:
// on Host, the lab network's containers on Via are reached through Via's
// inventory address. A route is no Docker object; overlab records it on
// the host as it records faults (package fault), so that a run that ends
// half-way is cleaned up by the next down.
type Route struct {
	Host    string `yaml:"host" json:"host"`
	Network string `yaml:"network" json:"network"`
	Via     string `yaml:"via" json:"via"`
	Note    string `yaml:"note,omitempty" json:"note,omitempty"`
}

// PlannedRoute is a lab route on an inventory's hosts.
type PlannedRoute struct {
	Host, Network, Via string
	Note               string
	// Index is the route's 0-based place in the lab.
	Index int
}

func (l *Lab) validateRoutes(ps *problems) {
	seen := map[[3]string]bool{}
	for i, r := range l.Routes {
		at := func(field string) string { return fmt.Sprintf("routes[%d].%s", i, field) }
		it := fmt.Sprintf("route #%d", i+1)
		for _, f := range []struct{ field, ref, what string }{{"host", r.Host, "the host that gets the route"}, {"via", r.Via, "the host the route goes through"}} {
			switch msg := checkHostRef(f.ref); {
			case f.ref == "":
				ps.add(at(f.field), it, f.field, "required: %s ($N or a name)", f.what)
			case msg != "":
				ps.add(at(f.field), it, f.field, "%s", msg)
			}
		}
		if r.Host != "" && r.Host == r.Via {
			ps.add(at("via"), it, "via", "a route through its own host reaches nothing new: via is another host")
		}
		k := [3]string{r.Host, r.Network, r.Via}
		if seen[k] {
			ps.add(fmt.Sprintf("routes[%d]", i), it, "", "the same route twice")
		}
		seen[k] = true
		l.validateRouteNetwork(ps, at("network"), it, r.Network)
	}
}

// validateRouteNetwork: a lab network that a route through a host reaches.
func (l *Lab) validateRouteNetwork(ps *problems, path, it, name string) {
	n := l.Network(name)
	switch {
	case name == "":
		ps.add(path, it, "network", "required: the lab network whose containers the route reaches")
	case n == nil:
		ps.add(path, it, "network", "unknown network %q (the lab defines: %s)", name, strings.Join(l.networkNames(), ", "))
	case n.Default:
		ps.add(path, it, "network", "%q is Docker's own: docker0 is 172.17.0.0/16 on every host, so a route to another host's collides with the host's own", name)
	case netdriver.RouteScopeOf(n) == netdriver.RouteNone:
		ps.add(path, it, "network", "a route through a host cannot reach the containers of %s network %q (routes reach bridge networks, and ipvlan in l3 or l3s mode)", n.Driver, name)
	case !n.HasIPv4():
		ps.add(path, it, "network", "network %q has no IPv4: routes go to IPv4 subnets through the hosts' inventory addresses", name)
	}
}

// routesTo says whether a route of the lab leads to network: then a host
// outside the network may reach its containers (direct routing).
func (l *Lab) routesTo(network string) bool {
	for _, r := range l.Routes {
		if r.Network == network {
			return true
		}
	}
	return false
}

// PlanRoutes resolves the lab's routes on hosts; its errors name the line
// of the reference that does not resolve.
func (l *Lab) PlanRoutes(hosts []HostInfo) ([]PlannedRoute, error) {
	ps := &problems{l: l}
	var out []PlannedRoute
	for i, r := range l.Routes {
		it := fmt.Sprintf("route #%d", i+1)
		p := PlannedRoute{Network: r.Network, Note: r.Note, Index: i}
		var err error
		if p.Host, err = ResolveHost(r.Host, hosts); err != nil {
			ps.add(fmt.Sprintf("routes[%d].host", i), it, "host", "%v", err)
		}
		if p.Via, err = ResolveHost(r.Via, hosts); err != nil {
			ps.add(fmt.Sprintf("routes[%d].via", i), it, "via", "%v", err)
		}
		if p.Host != "" && p.Host == p.Via {
			ps.add(fmt.Sprintf("routes[%d].via", i), it, "via", "%s is the host the route is on", p.Via)
		}
		out = append(out, p)
	}
	return out, ps.err()
}
