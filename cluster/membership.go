package cluster

import (
	"context"

	"github.com/overlab/overlab/inventory"
)

// Redial opens a new connection to h with the options the cluster was
// connected with (timeouts, host key policy, logger): a long-running
// command (watch) reconnects to a host that went away and came back.
// It does not change the cluster; SetMembers does.
func (c *Cluster) Redial(ctx context.Context, h inventory.Host) (*Node, error) {
	o := c.opts
	if o == nil {
		o = newOptions(nil)
	}
	return dial(ctx, h, o)
}

// SetMembers makes the cluster's nodes the ones in up, in the order of
// order (inventory order, as Connect keeps them), and its down hosts the
// ones in down. The caller owns the nodes it drops (it closes them) and
// must not call it while another step uses the cluster.
func (c *Cluster) SetMembers(order []string, up map[string]*Node, down map[string]error) {
	nodes := make([]*Node, 0, len(up))
	for _, name := range order {
		if n := up[name]; n != nil {
			nodes = append(nodes, n)
		}
	}
	d := make(map[string]error, len(down))
	for name, err := range down {
		d[name] = err
	}
	c.Nodes, c.Down = nodes, d
}
