package provider

import (
	"context"

	"github.com/overlab/overlab/inventory/importer"
	"github.com/overlab/overlab/vagrant"
)

type vagrantHosts struct {
	p     *vagrant.Provider
	c     vagrant.Cluster
	nodes int // for down: 0 means what up recorded
}

// Vagrant is a VM cluster of the repository's Vagrantfile; downNodes is
// how many VMs down destroys (0: what up recorded).
func Vagrant(p *vagrant.Provider, c vagrant.Cluster, downNodes int) Hosts {
	return &vagrantHosts{p: p, c: c, nodes: downNodes}
}

func (v *vagrantHosts) Up(ctx context.Context) (string, error) {
	if err := v.c.Validate(); err != nil {
		return "", err
	}
	if _, err := v.p.Up(ctx, v.c); err != nil {
		return "", err
	}
	return v.c.InventoryPath(), nil
}

func (v *vagrantHosts) Down(ctx context.Context) error { return v.p.Down(ctx, v.c, v.nodes) }

func (v *vagrantHosts) Inventory() string { return v.p.Inventory(v.c) }

func (v *vagrantHosts) Status(ctx context.Context) ([]Host, error) {
	ms, err := v.p.Status(ctx, v.c)
	if err != nil {
		return nil, err
	}
	plan := importer.VagrantPlan(len(ms))
	hosts := make([]Host, 0, len(ms))
	for _, m := range ms {
		hosts = append(hosts, Host{Name: m.Name, Address: plan[m.Name], State: m.State, Up: m.Running()})
	}
	return hosts, nil
}
