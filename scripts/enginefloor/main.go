// Command enginefloor measures the engines' own floor for the work of the
// swarm lab's up, check and down, with nothing of overlab in between: the
// same Docker API calls in the shortest order (swarm init, the joins at
// once; the overlay and macvlan networks; one global service on both,
// timed to the last task's container start from every engine's event
// stream), the 0.5 s that proves an expected-unreachable probe, then the
// service's removal with its task containers removed at once, as overlab's
// down does (to the last container's destroy event), and the leaves
// (workers at once, then the manager). scripts/bench.sh runs it
// with BENCH_FLOOR=1 on the hosts it has just measured overlab on; the
// figures go beside overlab's in docs/figures.md.
//
//	go run ./scripts/enginefloor -i INVENTORY [-image overlab-probe:TAG]
//
// The hosts must be in no swarm and have the probe image (overlab up and
// down leave it). It removes everything it creates.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
)

const (
	service  = "floor-probe"
	overlayN = "floor-overlay"
	macvlanN = "floor-macvlan"
	// unreachProof is overlab's default --unreachable-timeout: the silence
	// that proves an expected-unreachable probe, a floor of check.
	unreachProof = 500 * time.Millisecond
	// subscribe is left between subscribing to the events and the call
	// whose events are awaited, outside the time measured.
	subscribe = 300 * time.Millisecond
)

func main() {
	inv := flag.String("i", "", "inventory of the hosts (in no swarm)")
	img := flag.String("image", "", "image of the service (default: the hosts' overlab-probe image)")
	timeout := flag.Duration("timeout", 3*time.Minute, "bound of the whole measurement")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *inv, *img); err != nil {
		fmt.Fprintln(os.Stderr, "enginefloor:", err)
		os.Exit(1)
	}
}

type floor struct {
	c        *cluster.Cluster
	image    string
	underlay netip.Prefix
	swarm    time.Duration // init + joins until every node is ready
	networks time.Duration
	tasks    time.Duration // service create → last container start event
	remove   time.Duration // service remove → last container destroy event
	leave    time.Duration // workers at once, then the manager
}

func run(ctx context.Context, invPath, img string) error {
	inv, err := inventory.Load(invPath)
	if err != nil {
		return err
	}
	hosts, err := inv.Resolve(inventory.WithoutSSHConfig())
	if err != nil {
		return err
	}
	c, err := cluster.Connect(ctx, hosts, cluster.WithConnectTimeout(5*time.Second), cluster.WithOpTimeout(60*time.Second))
	if err != nil {
		return err
	}
	defer c.Close()
	f := &floor{c: c, image: img}
	if err := f.prepare(ctx); err != nil {
		return err
	}
	defer f.cleanup()
	for _, step := range []func(context.Context) error{f.doSwarm, f.doNetworks, f.doTasks, f.doRemove, f.doLeave} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	up := f.swarm + f.networks + f.tasks
	fmt.Printf("floor hosts=%d swarm=%.2f networks=%.2f tasks=%.2f up=%.2f up+check=%.2f remove=%.2f leave=%.2f down=%.2f\n",
		len(c.Nodes), f.swarm.Seconds(), f.networks.Seconds(), f.tasks.Seconds(), up.Seconds(), (up + unreachProof).Seconds(),
		f.remove.Seconds(), f.leave.Seconds(), (f.remove + f.leave).Seconds())
	return nil
}

// prepare finds the image and the underlay, and checks no host is in a swarm.
func (f *floor) prepare(ctx context.Context) error {
	first := f.c.Nodes[0]
	if f.image == "" {
		imgs, err := first.Docker().ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", "overlab-probe"))})
		if err != nil || len(imgs) == 0 || len(imgs[0].RepoTags) == 0 {
			return fmt.Errorf("%s: no overlab-probe image (run overlab up and down first, or give -image): %v", first.Name(), err)
		}
		f.image = imgs[0].RepoTags[0]
	}
	addr, err := netip.ParseAddr(first.Host.Address)
	if err != nil {
		return err
	}
	f.underlay = netip.PrefixFrom(addr, 24).Masked()
	for _, n := range f.c.Nodes {
		info, err := n.Docker().Info(ctx)
		if err != nil {
			return err
		}
		if info.Swarm.LocalNodeState != swarm.LocalNodeStateInactive {
			return fmt.Errorf("%s is in a swarm: run overlab down first", n.Name())
		}
	}
	return nil
}

func (f *floor) doSwarm(ctx context.Context) error {
	start := time.Now()
	mgr := f.c.Nodes[0]
	if _, err := mgr.Docker().SwarmInit(ctx, swarm.InitRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: mgr.Host.Address}); err != nil {
		return fmt.Errorf("swarm init: %w", err)
	}
	sw, err := mgr.Docker().SwarmInspect(ctx)
	if err != nil {
		return err
	}
	err = f.each(ctx, f.c.Nodes[1:], func(ctx context.Context, n *cluster.Node) error {
		return n.Docker().SwarmJoin(ctx, swarm.JoinRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: n.Host.Address,
			RemoteAddrs: []string{mgr.Host.Address + ":2377"}, JoinToken: sw.JoinTokens.Worker})
	})
	if err != nil {
		return fmt.Errorf("swarm join: %w", err)
	}
	for {
		nodes, err := mgr.Docker().NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			return err
		}
		ready := 0
		for _, n := range nodes {
			if n.Status.State == swarm.NodeStateReady {
				ready++
			}
		}
		if ready == len(f.c.Nodes) {
			f.swarm = time.Since(start)
			return nil
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

// doNetworks makes an attachable overlay and a swarm macvlan (one
// config-only network per host, each with its own range) as overlab does.
func (f *floor) doNetworks(ctx context.Context) error {
	start := time.Now()
	mgr := f.c.Nodes[0].Docker()
	if _, err := mgr.NetworkCreate(ctx, overlayN, network.CreateOptions{Driver: "overlay", Attachable: true}); err != nil {
		return err
	}
	base := f.underlay.Addr().As4()
	err := f.each(ctx, f.c.Nodes, func(ctx context.Context, n *cluster.Node) error {
		i := f.index(n)
		r := base
		r[3] = byte(128 + 8*i)
		_, err := n.Docker().NetworkCreate(ctx, macvlanN+"-cfg", network.CreateOptions{ConfigOnly: true,
			IPAM:    &network.IPAM{Config: []network.IPAMConfig{{Subnet: f.underlay.String(), IPRange: netip.PrefixFrom(netip.AddrFrom4(r), 29).String()}}},
			Options: map[string]string{"parent": "eth0"}})
		return err
	})
	if err != nil {
		return err
	}
	if _, err := mgr.NetworkCreate(ctx, macvlanN, network.CreateOptions{Driver: "macvlan", Scope: "swarm", Attachable: true,
		ConfigFrom: &network.ConfigReference{Network: macvlanN + "-cfg"}}); err != nil {
		return err
	}
	f.networks = time.Since(start)
	return nil
}

// doTasks creates the global service and waits for a container start
// event from every engine.
func (f *floor) doTasks(ctx context.Context) error {
	grace := time.Second
	seen := f.watch(ctx, "start")
	if err := sleep(ctx, subscribe); err != nil {
		return err
	}
	start := time.Now()
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: service},
		TaskTemplate: swarm.TaskSpec{
			// overlab's own grace: the removal's floor is the same work.
			ContainerSpec: &swarm.ContainerSpec{Image: f.image, StopGracePeriod: &grace},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: overlayN}, {Target: macvlanN}},
		},
		Mode:         swarm.ServiceMode{Global: &swarm.GlobalService{}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
	if _, err := f.c.Nodes[0].Docker().ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false}); err != nil {
		return err
	}
	last, err := seen(ctx)
	f.tasks = last.Sub(start)
	return err
}

// doRemove removes the service and, as overlab's down does, its task
// containers at once on every host, rather than wait for the swarm to stop
// them; timed to the last container's destroy event.
func (f *floor) doRemove(ctx context.Context) error {
	seen := f.watch(ctx, "destroy")
	if err := sleep(ctx, subscribe); err != nil {
		return err
	}
	start := time.Now()
	if err := f.c.Nodes[0].Docker().ServiceRemove(ctx, service); err != nil {
		return err
	}
	err := f.each(ctx, f.c.Nodes, func(ctx context.Context, n *cluster.Node) error {
		list, err := n.Docker().ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.name="+service))})
		if err != nil {
			return err
		}
		for _, c := range list {
			if err := n.Docker().ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil && !strings.Contains(err.Error(), "No such container") && !strings.Contains(err.Error(), "already in progress") {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	last, err := seen(ctx)
	f.remove = last.Sub(start)
	return err
}

func (f *floor) doLeave(ctx context.Context) error {
	start := time.Now()
	if err := f.each(ctx, f.c.Nodes[1:], func(ctx context.Context, n *cluster.Node) error {
		return n.Docker().SwarmLeave(ctx, false)
	}); err != nil {
		return err
	}
	if err := f.c.Nodes[0].Docker().SwarmLeave(ctx, true); err != nil {
		return err
	}
	f.leave = time.Since(start)
	return nil
}

// watch subscribes to every engine's container events of the service and
// returns a wait for the given action from all of them, with the time of
// the last one (engine clocks: the local hosts share the machine's).
func (f *floor) watch(ctx context.Context, action string) func(context.Context) (time.Time, error) {
	wctx, cancel := context.WithCancel(ctx)
	got := make(chan time.Time, len(f.c.Nodes))
	for _, n := range f.c.Nodes {
		msgs, errs := n.Docker().Events(wctx, events.ListOptions{Filters: filters.NewArgs(
			filters.Arg("type", "container"), filters.Arg("event", action),
			filters.Arg("label", "com.docker.swarm.service.name="+service))})
		go func() {
			select {
			case m := <-msgs:
				got <- time.Unix(0, m.TimeNano)
			case <-errs:
			case <-wctx.Done():
			}
		}()
	}
	return func(ctx context.Context) (time.Time, error) {
		defer cancel()
		var last time.Time
		for range f.c.Nodes {
			select {
			case t := <-got:
				if t.After(last) {
					last = t
				}
			case <-ctx.Done():
				return last, fmt.Errorf("waiting for container %s events: %w", action, ctx.Err())
			}
		}
		return last, nil
	}
}

// cleanup removes what the measurement made, whatever step it reached.
func (f *floor) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mgr := f.c.Nodes[0].Docker()
	_ = mgr.ServiceRemove(ctx, service)
	_ = f.each(ctx, f.c.Nodes[1:], func(ctx context.Context, n *cluster.Node) error { return n.Docker().SwarmLeave(ctx, true) })
	_ = mgr.SwarmLeave(ctx, true)
	_ = f.each(ctx, f.c.Nodes, func(ctx context.Context, n *cluster.Node) error {
		for _, nw := range []string{macvlanN + "-cfg", macvlanN, overlayN} {
			_ = n.Docker().NetworkRemove(ctx, nw)
		}
		return nil
	})
}

func (f *floor) index(n *cluster.Node) int {
	for i, m := range f.c.Nodes {
		if m == n {
			return i
		}
	}
	return 0
}

// each runs fn on every node at once and collects the errors by host.
func (f *floor) each(ctx context.Context, nodes []*cluster.Node, fn func(context.Context, *cluster.Node) error) error {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all *multierror.Error
	)
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx, n); err != nil {
				mu.Lock()
				all = multierror.Append(all, fmt.Errorf("%s: %w", n.Name(), err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return all.ErrorOrNil()
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
