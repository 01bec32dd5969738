package cluster

import (
	"context"

	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/inventory"
)

// Cluster is the set of hosts that answered, each over its one connection.
type Cluster struct {
	Nodes []*Node          // connected, in inventory order
	Down  map[string]error // hosts that could not be reached, by name

	opts *options
}

// Connect dials every host concurrently (at most the parallel bound at
// once). It returns the hosts that connected even when others did not; the
// error then names each host that failed.
func Connect(ctx context.Context, hosts []inventory.Host, opts ...Option) (*Cluster, error) {
	o := newOptions(opts)
	nodes := make([]*Node, len(hosts))
	errs := make([]error, len(hosts))
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	err := fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		nodes[i], errs[i] = dial(ctx, hosts[i], o)
		return errs[i]
	}, fanout.MaxParallel(o.parallel))
	c := &Cluster{Down: map[string]error{}, opts: o}
	for i, h := range hosts {
		switch {
		case nodes[i] != nil && errs[i] == nil:
			c.Nodes = append(c.Nodes, nodes[i])
		case errs[i] != nil:
			c.Down[h.Name] = errs[i]
		default: // never started: ctx ended first
			c.Down[h.Name] = ctx.Err()
		}
	}
	return c, err
}

// Close closes every connection, reporting each failure by host.
func (c *Cluster) Close() error {
	var merr *multierror.Error
	for _, n := range c.Nodes {
		if err := n.Close(); err != nil {
			merr = multierror.Append(merr, multierror.Prefix(err, n.Name()+":"))
		}
	}
	return merr.ErrorOrNil()
}

// Node returns the connected node with that inventory name, or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name() == name {
			return n
		}
	}
	return nil
}

// Policy says what Each does when a host fails: fanout.FailFast for set-up
// steps, fanout.CollectAll for checks and teardown.
type Policy = fanout.Policy

const (
	FailFast   = fanout.FailFast
	CollectAll = fanout.CollectAll
)

// Each runs fn on every connected node concurrently, bounded by the parallel
// option, under policy p (see fanout.Each).
func (c *Cluster) Each(ctx context.Context, p Policy, fn func(ctx context.Context, n *Node) error) error {
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name()
	}
	limit := 0
	if c.opts != nil {
		limit = c.opts.parallel
	}
	return fanout.Each(ctx, names, func(ctx context.Context, i int) error { return fn(ctx, c.Nodes[i]) },
		fanout.Stop(p), fanout.MaxParallel(limit))
}
