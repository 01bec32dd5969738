package cmd

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/inventory/importer"
)

// Vagrant turns host-key checking off in its own ssh-config. overlab keeps
// checking, against a known_hosts file that belongs to the lab alone, and
// trusts keys on first contact for that file only.

// connectVagrantLab connects to VMs whose KnownHosts is the lab's own file,
// recording unknown host keys in it. A changed key is still refused.
func connectVagrantLab(ctx context.Context, g *Globals, inv *inventory.Inventory) (*cluster.Cluster, []inventory.Host, error) {
	// Vagrant's ssh-config says everything; a user's "Host node1" block must
	// not redirect the lab.
	hosts, err := inv.Resolve(inventory.WithoutSSHConfig())
	if err != nil {
		return nil, nil, err
	}
	c, err := cluster.Connect(ctx, hosts,
		cluster.WithLogger(g.Logger()),
		cluster.WithParallel(g.Parallel),
		cluster.WithConnectTimeout(g.ConnectTimeout),
		cluster.WithOpTimeout(g.OpTimeout),
		cluster.WithTrustNewHosts(true),
	)
	return c, hosts, err
}

// recordVagrantHostKeys is the first contact with freshly made VMs: connect
// once to each, so that their host keys land in the lab's known_hosts.
func recordVagrantHostKeys(ctx context.Context, g *Globals, inv *inventory.Inventory) error {
	c, _, err := connectVagrantLab(ctx, g, inv)
	if c != nil {
		c.Close()
	}
	return err
}

// discoverFunc finds each VM's lab address inside subnet.
type discoverFunc func(ctx context.Context, g *Globals, inv *inventory.Inventory, subnet netip.Prefix) (map[string]string, error)

// discoverVagrantAddresses asks each VM for its one address inside subnet,
// the lab address that ssh-config output does not tell.
func discoverVagrantAddresses(ctx context.Context, g *Globals, inv *inventory.Inventory, subnet netip.Prefix) (map[string]string, error) {
	c, hosts, err := connectVagrantLab(ctx, g, inv)
	if c == nil {
		return nil, err
	}
	defer c.Close()
	runner := importer.RunnerFunc(func(ctx context.Context, h inventory.Host, command string) ([]byte, error) {
		n := c.Node(h.Name)
		if n == nil {
			return nil, fmt.Errorf("not connected: %w", c.Down[h.Name])
		}
		return n.Run(ctx, command)
	})
	return importer.DiscoverAddresses(ctx, runner, hosts, subnet)
}
