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
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		api := n.Docker()
		nets, err := api.NetworkList(ctx, network.ListOptions{Filters: has})
		if err != nil {
			return fmt.Errorf("network list: %w", err)
		}
		for _, nw := range nets {
			add(nw.Labels)
		}
		ctrs, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: has})
		if err != nil {
			return fmt.Errorf("container list: %w", err)
		}
		for _, ct := range ctrs {
			add(ct.Labels)
		}
		info, err := api.Info(ctx)
		if err != nil || !info.Swarm.ControlAvailable {
			return err
		}
		svcs, err := api.ServiceList(ctx, swarm.ServiceListOptions{Filters: has})
		if err != nil {
			return fmt.Errorf("service list: %w", err)
		}
		for _, s := range svcs {
			add(s.Spec.Labels)
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, err
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
