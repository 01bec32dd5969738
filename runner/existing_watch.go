package runner

import (
	"context"

	"github.com/overlab/overlab/swarm"
)

// HostsChanged tells a check whose probes stay up (watch) that its
// cluster's members changed between rounds: a host went away or came back.
// The swarm's manager is found again among the connected hosts (the one it
// had may be gone, or reconnected with a new client), and the hosts' facts
// and reachability are read again for the documents that follow.
func (x *ExistingCheck) HostsChanged(ctx context.Context) {
	x.e.lead = swarm.Controller(ctx, swarm.Members(x.e.c))
	x.e.manager = nil
	if x.e.lead >= 0 {
		x.e.manager = x.e.c.Nodes[x.e.lead].Docker()
	}
	x.facts, x.down = x.r.gather(ctx, x.e.c, x.e.hosts)
}
