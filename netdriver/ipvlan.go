package netdriver

import "github.com/overlab/overlab/feature"

// Ipvlan puts containers on a parent interface of the underlay sharing
// the parent's MAC: in l2 mode they are peers of the hosts on the lab
// network (one MAC for all, which a switch limiting MACs per port
// tolerates); in l3 mode the parent routes for them, so other hosts reach
// them only through a route to their subnet via this host.
type Ipvlan struct{ underlay }

// NewIpvlan is the ipvlan driver; the lab's mode is l2 (default), l3 or l3s.
func NewIpvlan() Ipvlan {
	return Ipvlan{underlay{name: "ipvlan", feature: feature.IPVLAN, modeOption: "ipvlan_mode", modes: []string{"l2", "l3", "l3s"}}}
}

func (Ipvlan) Traits() Traits {
	return Traits{Underlay: true, OwnHostUnreachable: true, Objects: ObjectsParent}
}

func (Ipvlan) Path() string {
	return "container ipvlan child (the parent's MAC) → parent interface → the lab network (l2: switched; l3: routed by the parent), bypassing the host's iptables"
}
