package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
)

// settleOverlays returns, with its error, the services whose redeploy is the
// repair for what did not converge. It waits until every host's view of each lab overlay network
// knows every peer host and every task of the services on it. Tasks run
// before the overlay's gossip (networkdb over 7946) has told every host
// where the others' containers are; a check in that window finds pairs that
// are not broken, only not converged yet.
func settleOverlays(ctx context.Context, c *cluster.Cluster, l *lab.Lab, placed map[string][]string, wait time.Duration) ([]string, error) {
	type want struct {
		peers int
		tasks map[string]int // service -> tasks expected on the network
		hosts map[string]bool
	}
	wants := map[string]*want{}
	for _, n := range l.Networks {
		if !netdriver.Of(n.Driver).Traits().Tunnel || n.Default {
			continue
		}
		w := &want{tasks: map[string]int{}, hosts: map[string]bool{}}
		for _, wl := range l.Workloads {
			if wl.Kind != lab.KindService || wl.Replicated() {
				continue
			}
			for _, a := range wl.Networks {
				if a.Network == n.Name {
					w.tasks[wl.Name] = len(placed[wl.Name])
					for _, h := range placed[wl.Name] {
						w.hosts[h] = true
					}
				}
			}
		}
		w.peers = len(w.hosts)
		if w.peers > 1 {
			wants[n.Name] = w
		}
	}
	if len(wants) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var (
		mu       sync.Mutex
		lagging  []string
		services = map[string]bool{}
	)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, node *cluster.Node) error {
		for name, w := range wants {
			if !w.hosts[node.Name()] {
				continue
			}
			for {
				nw, err := node.Docker().NetworkInspect(ctx, name, network.InspectOptions{Verbose: true, Scope: "swarm"})
				missing, svcMissing := "", []string(nil)
				if err != nil {
					missing = err.Error()
				} else if len(nw.Peers) < w.peers {
					missing = fmt.Sprintf("knows %d of %d peers", len(nw.Peers), w.peers)
					// Re-attaching the network's tasks makes the host join
					// the network's gossip again.
					for svc := range w.tasks {
						svcMissing = append(svcMissing, svc)
					}
				} else {
					for svc, n := range w.tasks {
						if got := len(nw.Services[svc].Tasks); got < n {
							missing = fmt.Sprintf("knows %d of %d tasks of %s", got, n, svc)
							svcMissing = []string{svc}
							break
						}
					}
				}
				if missing == "" {
					break
				}
				select {
				case <-ctx.Done():
					mu.Lock()
					lagging = append(lagging, fmt.Sprintf("%s on %s: %s", name, node.Name(), missing))
					for _, svc := range svcMissing {
						services[svc] = true
					}
					mu.Unlock()
					return nil
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
		return nil
	})
	var lag []string
	for svc := range services {
		lag = append(lag, svc)
	}
	sort.Strings(lag)
	if len(lagging) > 0 {
		sort.Strings(lagging)
		return lag, fmt.Errorf("overlay networks did not converge within %v (check ports 7946/tcp+udp and 4789/udp between the hosts):\n  %s", wait, strings.Join(lagging, "\n  "))
	}
	return nil, err
}
