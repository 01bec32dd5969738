package blueprint

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/netdriver"
)

// Route is one of the lab's routes on one host: Dest, the lab network's
// containers on Via, through Via's inventory address.
type Route struct {
	Host    string       `json:"host"`
	Network string       `json:"network"`
	Dest    netip.Prefix `json:"destination"`
	Via     string       `json:"via"`
	ViaAddr netip.Addr   `json:"via_address"`
	Note    string       `json:"note,omitempty"`
}

// String is the route as `ip route` writes it.
func (r Route) String() string { return fmt.Sprintf("%s via %s", r.Dest, r.ViaAddr) }

// routes resolves the lab's routes on these hosts: a bridge network's
// subnet, or an ipvlan l3 network's range of the via host. A network that
// no container uses on the via host has nothing there to route to; one
// that no host runs at all (its workloads' placement.engines leave it out
// on these engines) takes its route with it.
func (bp *Blueprint) routes() error {
	bp.Routes = nil
	addr := map[string]netip.Addr{}
	for _, h := range bp.Hosts {
		addr[h.Name], _ = netip.ParseAddr(h.Address)
	}
	var errs []string
	for _, p := range bp.planned {
		n := bp.Network(p.Network)
		if n == nil {
			continue // validation said so
		}
		used := bp.UsedOn(p.Network)
		if len(used) == 0 && bp.engineLimited(p.Network) {
			continue
		}
		if !contains(used, p.Via) {
			errs = append(errs, fmt.Sprintf("route #%d: network %q has no container on %s, so %s holds nothing of it to route to (place a workload of the network there)", p.Index+1, p.Network, p.Via, p.Via))
			continue
		}
		var dest netip.Prefix
		switch netdriver.RouteScopeOf(n.Network) {
		case netdriver.RouteSubnet:
			dest = n.Subnet
		case netdriver.RouteHostRange:
			dest = bp.Plan.MacvlanRanges[n.Name][p.Via]
		}
		if !dest.IsValid() {
			continue // the plan says why
		}
		bp.Routes = append(bp.Routes, Route{Host: p.Host, Network: p.Network, Dest: dest, Via: p.Via, ViaAddr: addr[p.Via], Note: p.Note})
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(errs, "\n"))
}

// engineLimited says whether the network's workloads are all kept off
// some hosts by their placement.engines.
func (bp *Blueprint) engineLimited(network string) bool {
	any := false
	for i := range bp.Lab.Workloads {
		w := &bp.Lab.Workloads[i]
		if w.Attached(network) {
			if w.Placement.Engines == "" {
				return false
			}
			any = true
		}
	}
	return any
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ownRoutes leaves out of the address plan the routes the lab itself added
// on a host: each goes to the subnet of one of its own networks on another
// host, which is no conflict with that network.
func (bp *Blueprint) ownRoutes(in *addrplan.Input, facts map[string]*cluster.Facts) {
	own := map[string]map[netip.Prefix]bool{} // host -> its routes to the lab's networks
	for _, p := range bp.planned {
		f := facts[p.Via]
		if f == nil {
			continue
		}
		for _, nw := range f.Networks {
			if nw.Name != p.Network {
				continue
			}
			for _, s := range nw.Subnets {
				if pfx, err := netip.ParsePrefix(s); err == nil {
					if own[p.Host] == nil {
						own[p.Host] = map[netip.Prefix]bool{}
					}
					own[p.Host][pfx.Masked()] = true
				}
			}
		}
	}
	for i := range in.Hosts {
		h := &in.Hosts[i]
		kept := h.Routes[:0]
		for _, r := range h.Routes {
			if !own[h.Name][r.Masked()] {
				kept = append(kept, r)
			}
		}
		h.Routes = kept
	}
}
