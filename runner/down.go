package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fault"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/overlay"
	"github.com/overlab/overlab/probeimage"
	"github.com/overlab/overlab/progress"
	"github.com/overlab/overlab/swarm"
	"github.com/overlab/overlab/workload"
)

// Down removes what Up made for lab l, carrying on past errors and
// returning them all; with images, the probe image too.
func (r *Runner) Down(ctx context.Context, c *cluster.Cluster, l *lab.Lab, images bool) ([]string, error) {
	d := &downRun{c: c, l: l}
	for name, err := range c.Down {
		d.fail(multierror.Prefix(err, name+":"))
	}
	if len(c.Nodes) == 0 {
		// Nothing can be removed: no phase may claim it was (no ✓ before the error).
		if d.result == nil {
			return nil, errors.New("no host in the inventory, nothing removed")
		}
		return nil, fmt.Errorf("no host answered, nothing removed: %w", d.result)
	}
	// Faults first: a blocked gossip port or a cut link would slow or
	// break the rest of the teardown.
	d.add(healFaults(ctx, c, r.progress, fault.ForLab(l.Name)))
	d.lead = leader(c)
	d.add(r.downWorkloads(ctx, d))
	// Labs share the swarm: the last one down takes it. Leaving first takes
	// the swarm's networks with it on every host that leaves, so nothing
	// waits for Docker to release their endpoints; the networks step then
	// removes the local ones, and the swarm's in a swarm overlab did not make.
	if others := othersUp(ctx, c, l.Name); len(others) > 0 {
		d.add(r.downNetworks(ctx, d))
		ph := r.progress.Start("swarm")
		ph.Infof("kept the swarm: lab %s still up", strings.Join(others, ", "))
		ph.End(nil)
	} else {
		d.add(r.downSwarm(ctx, d))
		d.add(r.downNetworks(ctx, d))
	}
	if images {
		d.add(r.downImages(ctx, d))
	}
	return d.actions, d.result.ErrorOrNil()
}

// downRun is what the steps of Down share: what they did and every error.
type downRun struct {
	c       *cluster.Cluster
	l       *lab.Lab
	lead    int
	actions []string
	result  *multierror.Error
}

func (d *downRun) add(acts []string, err error) {
	d.actions = append(d.actions, acts...)
	d.fail(err)
}

func (d *downRun) fail(err error) {
	if err != nil {
		d.result = multierror.Append(d.result, err)
	}
}

func (r *Runner) downWorkloads(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("workloads")
	var manager workload.ServiceAPI
	if d.lead >= 0 {
		if info, err := d.c.Nodes[d.lead].Docker().Info(ctx); err == nil && info.Swarm.ControlAvailable {
			manager = d.c.Nodes[d.lead].Docker()
		}
	}
	acts, err := workload.Remove(ctx, d.l.Name, manager, WorkloadHosts(d.c))
	ph.End(err)
	return acts, err
}

// downNetworks removes the lab's networks, waiting until their endpoints
// are released (service tasks take a moment to go).
func (r *Runner) downNetworks(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("networks")
	acts, err := overlay.Remove(ctx, d.l.Name, overlayHosts(d.c), d.lead, r.wait)
	ph.End(err)
	return acts, err
}

// downSwarm ends the swarm, for every lab's down and not only the labs
// that need one: Leave undoes only what overlab made (its labels say so),
// and a lab known by its name only (down --all) cannot say whether it did.
func (r *Runner) downSwarm(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("swarm")
	acts, err := swarm.Leave(ctx, swarm.Members(d.c), swarm.WithLogger(r.logger), swarm.WithEngineRestarter(r.restarter))
	ph.End(err)
	return acts, err
}

func (r *Runner) downImages(ctx context.Context, d *downRun) ([]string, error) {
	ph := r.progress.Start("images")
	var (
		mu      sync.Mutex
		actions []string
	)
	err := d.c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		removed, err := probeimage.Remove(ctx, n.Docker(), "")
		mu.Lock()
		for _, ref := range removed {
			actions = append(actions, fmt.Sprintf("%s: removed image %s", n.Name(), ref))
		}
		mu.Unlock()
		return err
	})
	ph.End(err)
	return actions, err
}

// healFaults undoes every fault `overlab fault` recorded on the hosts, and
// the lab's routes: the records that match.
func healFaults(ctx context.Context, c *cluster.Cluster, p *progress.Progress, match func(fault.Fault) bool) ([]string, error) {
	ph := p.Start("faults")
	var (
		mu      sync.Mutex
		actions []string
	)
	err := c.Each(ctx, cluster.CollectAll, func(ctx context.Context, n *cluster.Node) error {
		healed, err := fault.HealWhere(ctx, n, match)
		mu.Lock()
		for _, f := range healed {
			if f.Kind == fault.Route {
				actions = append(actions, fmt.Sprintf("%s: removed %s", n.Name(), f.What))
				continue
			}
			actions = append(actions, fmt.Sprintf("%s: healed fault %s (%s)", n.Name(), f.ID, f.What))
		}
		mu.Unlock()
		return err
	})
	sort.Strings(actions)
	ph.End(err)
	return actions, err
}
