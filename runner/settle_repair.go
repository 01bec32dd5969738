package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/overlab/overlab/cluster"
)

// reannounceWait bounds the wait after each peer's task is made anew: the
// swarm restarts it after its restart delay (5 s by default), and the views
// converge within a second of its start when nothing is lost again; its
// network join can itself wait out NetworkDB's 30 s bulk-sync race
// (workload/stall.go), which this wait covers rather than give up on.
const reannounceWait = 40 * time.Second

// reannounce is the targeted repair of a lost network attachment
// (settle_peers.go): each peer that some host's view lacks gets its tasks
// of the lagging services made anew, one peer at a time, so that its
// engine leaves the network and joins it again, which gossips the
// attachment afresh and bulk-syncs its entries. One peer at a time: many
// engines joining a network at once is what loses such gossip. It returns
// what it did; the caller checks the views again.
func reannounce(ctx context.Context, c *cluster.Cluster, lag settleLag, services []string) ([]string, error) {
	peers := make([]string, 0, len(lag.Unseen))
	for p := range lag.Unseen {
		peers = append(peers, p)
	}
	sort.Strings(peers)
	var acts []string
	for _, p := range peers {
		n := c.Node(p)
		if n == nil {
			continue
		}
		removed, err := removeTaskContainers(ctx, n, services)
		if err != nil {
			return acts, fmt.Errorf("%s: making its tasks anew: %w", p, err)
		}
		if removed == 0 {
			continue
		}
		lacking := lag.Unseen[p]
		sort.Strings(lacking)
		verb := "learns"
		if len(lacking) > 1 {
			verb = "learn"
		}
		acts = append(acts, fmt.Sprintf("%s: made its task anew so that %s %s its attachment again (NetworkDB lost its gossip; moby/moby#53437)", p, strings.Join(lacking, ", "), verb))
		if err := waitTaskBack(ctx, n, services, removed); err != nil {
			return acts, err
		}
	}
	return acts, nil
}

// removeTaskContainers removes the host's containers of the services'
// tasks; the swarm starts new ones in their place.
func removeTaskContainers(ctx context.Context, n *cluster.Node, services []string) (int, error) {
	removed := 0
	for _, svc := range services {
		list, err := n.Docker().ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.name="+svc))})
		if err != nil {
			return removed, err
		}
		for _, ctr := range list {
			if err := n.Docker().ContainerRemove(ctx, ctr.ID, container.RemoveOptions{Force: true}); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// waitTaskBack waits until the host runs as many task containers of the
// services as it had, for at most reannounceWait.
func waitTaskBack(ctx context.Context, n *cluster.Node, services []string, want int) error {
	ctx, cancel := context.WithTimeout(ctx, reannounceWait)
	defer cancel()
	for {
		running := 0
		for _, svc := range services {
			list, err := n.Docker().ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(
				filters.Arg("label", "com.docker.swarm.service.name="+svc), filters.Arg("status", "running"))})
			if err == nil {
				running += len(list)
			}
		}
		if running >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: its tasks did not run again within %v", n.Name(), reannounceWait)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
