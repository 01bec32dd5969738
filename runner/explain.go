package runner

import (
	"context"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/netdriver"
)

// explainNetworks gathers, after the probes (and under a fault lab's
// faults), what `overlab explain` shows of each lab network that has Linux
// objects of its own, on every connected host: the pictures of the report.
func (r *Runner) explainNetworks(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host, bp *blueprint.Blueprint) []explain.View {
	peers := map[string]string{}
	for _, h := range hosts {
		peers[h.Address] = h.Name
	}
	eh := make([]explain.Host, len(c.Nodes))
	for i, n := range c.Nodes {
		eh[i] = explain.Host{Host: n, API: n.Docker()}
	}
	var out []explain.View
	for _, n := range bp.Networks {
		if n.Default || n.Driver.Traits().Objects == netdriver.ObjectsNone {
			continue
		}
		out = append(out, explain.GatherAll(ctx, eh, n.Name, peers))
	}
	return out
}
