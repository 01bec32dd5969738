package runner

import (
	"context"
	"errors"
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

// settleOverlays returns, with its error, what did not converge: the
// services whose redeploy is the repair, and the peers some host lacks. It waits until every host's view of each lab overlay network
// knows every peer host and every task of the services on it. Tasks run
// before the overlay's gossip (networkdb over 7946) has told every host
// where the others' containers are; a check in that window finds pairs that
// are not broken, only not converged yet.
func settleOverlays(ctx context.Context, c *cluster.Cluster, l *lab.Lab, placed map[string][]string, wait time.Duration) (settleLag, error) {
	wants := overlayWants(l, placed)
	if len(wants) == 0 {
		return settleLag{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	addrs := map[string]string{}
	for _, n := range c.Nodes {
		addrs[n.Host.Address] = n.Name()
	}
	t := &settleTally{services: map[string]bool{}, unseen: map[string][]string{}}
	names := make([]string, 0, len(wants))
	for name := range wants {
		names = append(names, name)
	}
	sort.Strings(names)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, node *cluster.Node) error {
		lagged := false
		for _, name := range names {
			w := wants[name]
			if !w.hosts[node.Name()] {
				continue
			}
			var seen lagSeen
			if !lagged {
				seen = waitOverlay(ctx, node, name, w, placed, addrs)
			} else {
				seen = lookAfterWait(ctx, node, name, w, placed, addrs)
			}
			if seen.missing != "" {
				t.add(name, node.Name(), seen)
				lagged = true
			}
		}
		return nil
	})
	return t.result(wait, err)
}

// overlayWant is what a converged host's view of one lab overlay network
// holds.
type overlayWant struct {
	peers int
	tasks map[string]int // service -> tasks expected on the network
	hosts map[string]bool
}

// overlayWants lists the lab's tunnel networks that span more than one host
// (a single host has no gossip to wait for), with the non-replicated
// services' tasks placed on them.
func overlayWants(l *lab.Lab, placed map[string][]string) map[string]*overlayWant {
	wants := map[string]*overlayWant{}
	for _, n := range l.Networks {
		if !netdriver.Of(n.Driver).Traits().Tunnel || n.Default {
			continue
		}
		w := &overlayWant{tasks: map[string]int{}, hosts: map[string]bool{}}
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
	return wants
}

// waitOverlay looks at node's view of network name every 50ms until it
// holds what w wants or ctx ends; it returns what lagged at the end, or a
// zero lagSeen once the view converged.
func waitOverlay(ctx context.Context, node *cluster.Node, name string, w *overlayWant, placed map[string][]string, addrs map[string]string) lagSeen {
	var last lagSeen // what lagged at the previous look
	for {
		seen := lookOverlay(ctx, node, name, w, placed, addrs, last)
		if seen.missing == "" {
			return lagSeen{}
		}
		last = seen
		select {
		case <-ctx.Done():
			return last
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// lookAfterWait looks once at a network of a host whose wait for another
// network ran out, so that the repair knows every network the host lags on;
// not after Ctrl-C.
func lookAfterWait(ctx context.Context, node *cluster.Node, name string, w *overlayWant, placed map[string][]string, addrs map[string]string) lagSeen {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return lagSeen{}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return lookOverlay(ctx, node, name, w, placed, addrs, lagSeen{})
}

// lookOverlay looks once at node's view of network name and says what it
// lacks; last is what the previous look found.
func lookOverlay(ctx context.Context, node *cluster.Node, name string, w *overlayWant, placed map[string][]string, addrs map[string]string, last lagSeen) lagSeen {
	nw, err := node.Docker().NetworkInspect(ctx, name, network.InspectOptions{Verbose: true, Scope: "swarm"})
	switch {
	case err != nil && ctx.Err() != nil && last.missing != "":
		// The wait ended during this look: what lagged is
		// what the previous look saw, not the cut request.
		return last
	case err != nil:
		return lagSeen{missing: err.Error()}
	case len(nw.Peers) < w.peers:
		seen := lagSeen{missing: peersLag(nw.Peers, w.hosts, addrs), peers: missingPeers(nw.Peers, w.hosts, addrs), lostPeers: true}
		// Re-attaching the network's tasks makes the host join
		// the network's gossip again.
		for svc := range w.tasks {
			seen.services = append(seen.services, svc)
		}
		return seen
	}
	for svc, n := range w.tasks {
		if got := len(nw.Services[svc].Tasks); got < n {
			return lagSeen{
				missing:  fmt.Sprintf("knows %d of %d tasks of %s", got, n, svc),
				services: []string{svc},
				peers:    missingTaskHosts(nw.Services[svc].Tasks, placed[svc], addrs),
			}
		}
	}
	return lagSeen{}
}

// settleTally gathers, from every host's goroutine, what still lagged when
// the wait ended.
type settleTally struct {
	mu       sync.Mutex
	lagging  []string
	lost     bool // a host lacks a peer's attachment (settle_peers.go)
	services map[string]bool
	unseen   map[string][]string // a peer -> the hosts that lack it
}

func (t *settleTally) add(name, node string, seen lagSeen) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lagging = append(t.lagging, fmt.Sprintf("%s on %s: %s", name, node, seen.missing))
	t.lost = t.lost || seen.lostPeers
	for _, svc := range seen.services {
		t.services[svc] = true
	}
	for _, p := range seen.peers {
		t.unseen[p] = append(t.unseen[p], node)
	}
}

// result turns the tally into settleOverlays' answer; err is the fan-out's.
func (t *settleTally) result(wait time.Duration, err error) (settleLag, error) {
	lag := settleLag{Unseen: t.unseen}
	for svc := range t.services {
		lag.Services = append(lag.Services, svc)
	}
	sort.Strings(lag.Services)
	if len(t.lagging) > 0 {
		sort.Strings(t.lagging)
		why := "check ports 7946/tcp+udp and 4789/udp between the hosts"
		if t.lost {
			why += "; with those open, " + lostAttachment
		}
		return lag, fmt.Errorf("overlay networks did not converge within %v (%s):\n  %s", wait, why, strings.Join(t.lagging, "\n  "))
	}
	return settleLag{}, err
}
