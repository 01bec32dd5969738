package runner

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"golang.org/x/sync/errgroup"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/lab"
)

// LabsUp names the labs that have something on the hosts: every value of
// the lab label on networks, containers and (through a manager) services.
// What carries no label is not overlab's and is not counted.
func LabsUp(ctx context.Context, c *cluster.Cluster) ([]string, error) {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	add := func(labels map[string]string) {
		if name := labels[lab.Label]; name != "" {
			mu.Lock()
			seen[name] = true
			mu.Unlock()
		}
	}
	has := filters.NewArgs(filters.Arg("label", lab.Label))
	// The three questions to each engine go at once: this runs before
	// every check and down that names no lab.
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		api := n.Docker()
		var g errgroup.Group
		g.Go(func() error {
			nets, err := api.NetworkList(ctx, network.ListOptions{Filters: has})
			for _, nw := range nets {
				add(nw.Labels)
			}
			return wrapIf(err, "network list")
		})
		g.Go(func() error {
			ctrs, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: has})
			for _, ct := range ctrs {
				add(ct.Labels)
			}
			return wrapIf(err, "container list")
		})
		g.Go(func() error {
			info, err := api.Info(ctx)
			if err != nil || !info.Swarm.ControlAvailable {
				return err
			}
			svcs, err := api.ServiceList(ctx, swarm.ServiceListOptions{Filters: has})
			for _, s := range svcs {
				add(s.Spec.Labels)
			}
			return wrapIf(err, "service list")
		})
		return g.Wait()
	})
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, err
}

func wrapIf(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// othersUp are the labs up besides this one.
func othersUp(ctx context.Context, c *cluster.Cluster, this string) []string {
	all, _ := LabsUp(ctx, c)
	var out []string
	for _, name := range all {
		if name != this {
			out = append(out, name)
		}
	}
	return out
}
