package workload

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/network"
)

// The race of stall.go needs two bulk syncs to one peer at once on one
// engine. One partner, seen on 28.5: the task's first network join racing
// the engine's own join of the swarm's ingress network, which each engine
// makes as it joins a swarm, in the same milliseconds when services are
// created right after the swarm formed. Waiting until every engine has
// finished its ingress join takes that partner away, and fewer joins at
// once also lose fewer attachments (runner/settle_peers.go): at 8 hosts,
// ups held 30 s fell from 3 in 24 to 2 in 42 and ups with a host lacking
// a peer from 9 in 24 to 10 in 42, for 0.3-1 s more per fresh up (0.4 s
// on 3 hosts); docs/churn.md §2c has the runs.

// ingressSandbox is the ingress network's endpoint that an engine attaches
// only once its join of the network (NetworkDB's bulk syncs included) has
// returned.
const ingressSandbox = "ingress-sbox"

// ingressWaitMax bounds the wait: an ingress join that itself waits out
// the race holds no task, and the services go ahead without it.
const ingressWaitMax = 5 * time.Second

// networkInspector is what the ingress wait needs of an engine.
type networkInspector interface {
	NetworkInspect(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, error)
}

// waitIngress waits, at most ingressWaitMax, until every engine's ingress
// network has its sandbox attached, and returns the hosts still joining it
// when the wait ended. Hosts whose API cannot inspect networks are skipped.
func (s Spec) waitIngress(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, ingressWaitMax)
	defer cancel()
	pending := map[string]networkInspector{}
	for _, h := range s.Hosts {
		if ni, ok := h.API.(networkInspector); ok {
			pending[h.Name] = ni
		}
	}
	for len(pending) > 0 {
		for name, ni := range pending {
			nw, err := ni.NetworkInspect(ctx, "ingress", network.InspectOptions{})
			if err == nil {
				if _, ok := nw.Containers[ingressSandbox]; ok {
					delete(pending, name)
				}
			}
		}
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			var left []string
			for name := range pending {
				left = append(left, name)
			}
			sort.Strings(left)
			return left
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// ingressOnce returns what runs before services are created: the ingress
// wait, once per Ensure, and only when a service is created at all (a
// second up with nothing to change asks nothing).
func (s Spec) ingressOnce() func(context.Context) {
	done := false
	return func(ctx context.Context) {
		if done || s.Manager == nil {
			return
		}
		done = true
		if left := s.waitIngress(ctx); len(left) > 0 {
			s.logger().V(1).Infof("ingress network still joining on %s after %v; creating the services anyway", strings.Join(left, ", "), ingressWaitMax)
		}
	}
}
