package runner

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/overlay"
	"github.com/overlab/overlab/swarm"
	"github.com/overlab/overlab/workload"
)

// Status is what a lab has on the hosts: swarm nodes, the lab's networks
// per host, its running instances, and what could not be asked.
type Status struct {
	Lab      string          `json:"lab"`
	LabsUp   []string        `json:"labs_up"` // every lab with something on the hosts
	Nodes    []StatusNode    `json:"nodes"`
	Networks []StatusNetwork `json:"networks"`
	Tasks    []StatusTask    `json:"tasks"`
	Errors   []string        `json:"errors,omitempty"`
}

// StatusNode is one swarm node as the manager in control sees it.
type StatusNode struct {
	Host     string `json:"host"`
	Hostname string `json:"hostname"`
	Role     string `json:"role"`
	State    string `json:"state"`
	Leader   bool   `json:"leader"`
	Addr     string `json:"addr"`
}

// StatusNetwork is one of the lab's networks on one host.
type StatusNetwork struct {
	Host   string `json:"host"`
	Name   string `json:"name"`
	Driver string `json:"driver"` // "config-only" for a macvlan's per-host configuration
	Scope  string `json:"scope"`
	Subnet string `json:"subnet"`
}

// StatusTask is one running instance of a workload.
type StatusTask struct {
	Workload string            `json:"workload"`
	Host     string            `json:"host"`
	IPs      map[string]string `json:"ips"`
}

// Status asks every reachable host, concurrently, what of lab l it has. It
// never fails: what could not be asked is in Status.Errors, sorted.
func (r *Runner) Status(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, l *lab.Lab) *Status {
	st := &Status{Lab: l.Name, Nodes: []StatusNode{}, Networks: []StatusNetwork{}, Tasks: []StatusTask{}}
	for name, err := range c.Down {
		st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", name, err))
	}
	up, err := LabsUp(ctx, c)
	st.LabsUp = append([]string{}, up...)
	if err != nil {
		st.Errors = append(st.Errors, fmt.Sprintf("labs up: %v", err))
	}
	var manager workload.ServiceAPI
	if lead := swarm.Controller(ctx, swarm.Members(c)); lead >= 0 {
		n := c.Nodes[lead]
		manager = n.Docker()
		nodes, err := swarm.Nodes(ctx, n.Docker())
		if err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("%s: swarm nodes: %v", n.Name(), err))
		}
		for _, ni := range nodes {
			st.Nodes = append(st.Nodes, StatusNode{Host: ni.Host, Hostname: ni.Hostname, Role: ni.Role, State: ni.State, Leader: ni.Leader, Addr: ni.Addr})
		}
	}
	sort.Slice(st.Nodes, func(a, b int) bool { return st.Nodes[a].Host < st.Nodes[b].Host })
	nets, err := labNetworks(ctx, c, l.Name)
	st.Networks = append(st.Networks, nets...)
	if err != nil {
		st.Errors = append(st.Errors, err.Error())
	}
	bp, err := blueprint.Compile(l, blueprint.FromInventory(hosts))
	if err != nil {
		st.Errors = append(st.Errors, err.Error())
		bp = &blueprint.Blueprint{Lab: l}
	}
	inst, err := workload.Instances(ctx, workload.Spec{Blueprint: bp, Hosts: WorkloadHosts(c), Manager: manager})
	if err != nil {
		st.Errors = append(st.Errors, err.Error())
	}
	for _, in := range inst {
		st.Tasks = append(st.Tasks, StatusTask{Workload: in.Workload, Host: in.Host, IPs: in.IPs})
	}
	sort.Strings(st.Errors)
	return st
}

// labNetworks lists the lab's networks on every host at once, in host order.
func labNetworks(ctx context.Context, c *cluster.Cluster, labName string) ([]StatusNetwork, error) {
	var (
		mu     sync.Mutex
		byHost = map[string][]StatusNetwork{}
	)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		nets, err := n.Docker().NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", lab.LabelSelector(labName)))})
		if err != nil {
			return fmt.Errorf("networks: %w", err)
		}
		var out []StatusNetwork
		for _, nw := range nets {
			sn := StatusNetwork{Host: n.Name(), Name: nw.Name, Driver: nw.Driver, Scope: nw.Scope}
			if sub := overlay.SubnetOf(nw); sub.IsValid() {
				sn.Subnet = sub.String()
			}
			if nw.ConfigOnly {
				sn.Driver = "config-only"
			}
			out = append(out, sn)
		}
		mu.Lock()
		byHost[n.Name()] = out
		mu.Unlock()
		return nil
	})
	var all []StatusNetwork
	for _, n := range c.Nodes {
		all = append(all, byHost[n.Name()]...)
	}
	return all, err
}
