package existing

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

// HostAPI is what discovery reads of each host's engine.
type HostAPI interface {
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
}

// ManagerAPI is what discovery reads of a swarm manager.
type ManagerAPI interface {
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
}

// Host is one inventory host as discovery sees it.
type Host struct {
	Name   string
	API    HostAPI // nil when it could not be reached
	NodeID string  // its swarm node ("" when it is in no swarm)
}

// Network is one network found by name.
type Network struct {
	Name       string
	ID         string
	Driver     string
	Scope      string
	Subnet     string
	Internal   bool
	Attachable bool
	// Hosts are the inventory hosts it is on: every swarm member for a
	// swarm network, the hosts that have one of that name for a local one.
	Hosts []string
}

// Service is one swarm service found by name, on the named networks.
type Service struct {
	Ref      ServiceRef
	VIP      bool              // endpoint mode vip (else dnsrr)
	VIPs     map[string]string // network name -> virtual IP
	Networks []string          // the named networks it is attached to
	Tasks    []Task
}

// Task is one running task of a service.
type Task struct {
	Host  string            // inventory host, or the node's hostname when not in the inventory
	Addrs map[string]string // network name -> address
}

// Found is what discovery found, and every name it could not use, each
// said plainly: the rest is checked all the same.
type Found struct {
	Networks []Network
	Services []Service
	// SwarmHosts are the inventory hosts in the manager's swarm; Others
	// the IDs of its nodes that are not in the inventory (the probes stay
	// off them).
	SwarmHosts []string
	Others     []string
	// NodeHosts maps the swarm node ID of each inventory host to its name.
	NodeHosts map[string]string
	// IPVS: every host balances virtual IPs (set by the caller, from the
	// hosts' facts); without it a service's VIP is not probed.
	IPVS     bool
	Problems []string
}

// Network returns the network called name, or nil.
func (f *Found) Network(name string) *Network {
	for i := range f.Networks {
		if f.Networks[i].Name == name {
			return &f.Networks[i]
		}
	}
	return nil
}

func (f *Found) problem(format string, args ...any) {
	f.Problems = append(f.Problems, fmt.Sprintf(format, args...))
}

// Discover finds the networks and services req names, reading the
// engines only. mgr is a manager of the hosts' swarm (nil: no swarm), and
// mgrName the host it is on, for messages.
func Discover(ctx context.Context, hosts []Host, mgr ManagerAPI, mgrName string, req Request) (*Found, error) {
	f := &Found{}
	d := &discovery{f: f, hosts: hosts, mgr: mgr, mgrName: mgrName, nodeHost: map[string]string{}}
	if mgr != nil {
		if err := d.nodes(ctx); err != nil {
			return nil, fmt.Errorf("swarm nodes on %s: %w", mgrName, err)
		}
	}
	for _, name := range req.Networks {
		if err := d.network(ctx, name); err != nil {
			return nil, err
		}
	}
	for _, ref := range req.Services {
		if err := d.service(ctx, ref); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// discovery is one Discover's state.
type discovery struct {
	f        *Found
	hosts    []Host
	mgr      ManagerAPI
	mgrName  string
	nodeHost map[string]string // node ID -> inventory host or node hostname
	netNames map[string]string // network ID -> name, on the manager
}

// nodes maps the swarm's nodes to inventory hosts (by the node ID each
// host's engine reports) and says which hosts are not in that swarm.
func (d *discovery) nodes(ctx context.Context) error {
	nodes, err := d.mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return err
	}
	byID := map[string]bool{}
	for _, h := range d.hosts {
		if h.NodeID != "" {
			byID[h.NodeID] = true
		}
	}
	known := map[string]bool{}
	for _, n := range nodes {
		known[n.ID] = true
		d.nodeHost[n.ID] = n.Description.Hostname + " (not in the inventory)"
		if !byID[n.ID] {
			d.f.Others = append(d.f.Others, n.ID)
		}
	}
	d.f.NodeHosts = map[string]string{}
	for _, h := range d.hosts {
		if known[h.NodeID] {
			d.nodeHost[h.NodeID] = h.Name
			d.f.NodeHosts[h.NodeID] = h.Name
			d.f.SwarmHosts = append(d.f.SwarmHosts, h.Name)
		} else if h.API != nil {
			d.f.problem("host %s is not a node of the swarm that %s manages: it is left out of the swarm networks (join it, or take it out of the inventory)", h.Name, d.mgrName)
		}
	}
	sort.Strings(d.f.Others)
	return nil
}

func exact(list []network.Summary, name string) []network.Summary {
	var out []network.Summary
	for _, n := range list {
		if n.Name == name {
			out = append(out, n)
		}
	}
	return out
}

func nameFilter(name string) network.ListOptions {
	return network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))}
}

func firstSubnet(n network.Summary) string {
	for _, c := range n.IPAM.Config {
		if p, err := netip.ParsePrefix(c.Subnet); err == nil && p.Addr().Is4() {
			return p.String()
		}
	}
	return ""
}

func asNetwork(n network.Summary, hosts []string) Network {
	return Network{Name: n.Name, ID: n.ID, Driver: n.Driver, Scope: n.Scope, Subnet: firstSubnet(n),
		Internal: n.Internal, Attachable: n.Attachable, Hosts: hosts}
}

func joinOr(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(list, ", ")
}
