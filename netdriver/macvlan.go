package netdriver

import "github.com/overlab/overlab/feature"

// Macvlan gives each container a MAC of its own on a parent interface of
// the underlay: containers are peers of the hosts on the lab network.
type Macvlan struct{ underlay }

// NewMacvlan is the macvlan driver, in bridge mode (children switch to
// each other; the parent does not hairpin to its own address).
func NewMacvlan() Macvlan {
	return Macvlan{underlay{name: "macvlan", feature: feature.Macvlan, fixed: map[string]string{"macvlan_mode": "bridge"}}}
}

func (Macvlan) Traits() Traits {
	return Traits{Underlay: true, OwnHostUnreachable: true, Objects: ObjectsParent}
}

func (Macvlan) Path() string {
	return "container macvlan child (own MAC) → parent interface → the lab network, bypassing the host's IP stack and iptables"
}
