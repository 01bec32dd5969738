package blueprint

import (
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
)

// Host is an inventory host as the blueprint needs it.
type Host struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Role    string `json:"role"`
	// Parent is the interface underlay networks (macvlan) hang from: the
	// inventory's macvlan_parent, else the one that holds Address.
	Parent string `json:"parent,omitempty"`
	// Engine is the host's engine version, when known (engines.go).
	Engine string `json:"engine,omitempty"`
}

// FromInventory converts the inventory's hosts, once for every command:
// a host without a role is a worker.
func FromInventory(hosts []inventory.Host) []Host {
	out := make([]Host, len(hosts))
	for i, h := range hosts {
		role := h.Role
		if role == "" {
			role = inventory.RoleWorker
		}
		out[i] = Host{Name: h.Name, Address: h.Address, Role: role, Parent: h.MacvlanParent}
	}
	return out
}

// ExampleHosts stand in for an inventory when there is none: three hosts
// on 192.168.56.0/24, as the Vagrantfile and the local provider make them.
func ExampleHosts() []Host {
	return []Host{
		{Name: "node1", Address: "192.168.56.11", Role: "manager"},
		{Name: "node2", Address: "192.168.56.12", Role: "worker"},
		{Name: "node3", Address: "192.168.56.13", Role: "worker"},
	}
}

// infos are the hosts as the lab model expands them.
func infos(hosts []Host) []lab.HostInfo {
	out := make([]lab.HostInfo, len(hosts))
	for i, h := range hosts {
		out[i] = lab.HostInfo{Name: h.Name, Address: h.Address, Role: h.Role, Engine: h.Engine}
	}
	return out
}

// withParents fills each host's parent from its facts where the inventory
// names none; without facts, eth0 (as on the Vagrant and local hosts).
func withParents(hosts []Host, facts map[string]*cluster.Facts) []Host {
	out := append([]Host(nil), hosts...)
	for i := range out {
		h := &out[i]
		if h.Parent != "" {
			continue
		}
		if f := facts[h.Name]; f != nil && f.UnderlayIface != "" {
			h.Parent = f.UnderlayIface
		} else if facts == nil {
			h.Parent = "eth0"
		}
	}
	return out
}
