package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/progress"
)

// gather collects facts with a progress line per host.
func (r *Runner) gather(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host) (map[string]*cluster.Facts, map[string]error) {
	ph := r.progress.Start("facts")
	steps := map[string]*progress.Step{}
	for _, h := range hosts {
		steps[h.Name] = ph.Host(h.Name)
	}
	down := map[string]error{}
	for name, err := range c.Down {
		down[name] = err
		steps[name].Done(err)
	}
	facts, _ := c.FactsBy(ctx, r.gatherOne, func(host string, f *cluster.Facts, err error) {
		var addrErr *cluster.AddressNotOnHostError
		if err != nil && (f == nil || !errors.As(err, &addrErr)) {
			down[host] = err
		}
		steps[host].Done(err)
	})
	var all error
	if len(down) > 0 {
		all = fmt.Errorf("%d of %d hosts unreachable", len(down), len(hosts))
	}
	ph.End(all)
	return facts, down
}

// gatherOne gathers a node's facts, reusing its recent shell facts when the
// facts cache is on.
func (r *Runner) gatherOne(ctx context.Context, n *cluster.Node) (*cluster.Facts, error) {
	f, cached, err := r.factsCache.gatherFacts(ctx, n)
	if cached {
		r.logger.V(1).Infof("%s: host facts of the last %v reused, engine asked afresh", n.Name(), r.factsCache.ttl)
	}
	return f, err
}

type gathered struct {
	facts map[string]*cluster.Facts
	down  map[string]error
}

// gatherAsync gathers the hosts' facts in the background.
func (r *Runner) gatherAsync(ctx context.Context, c *cluster.Cluster, hosts []inventory.Host) <-chan gathered {
	done := make(chan gathered, 1)
	go func() {
		f, d := r.gather(ctx, c, hosts)
		done <- gathered{f, d}
	}()
	return done
}
