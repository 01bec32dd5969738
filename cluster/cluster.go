package cluster

import (
	"context"
	"sync"

	"github.com/hashicorp/go-multierror"

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
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			nodes[i], errs[i] = dial(ctx, h, o)
		}()
	}
	wg.Wait()
	c := &Cluster{Down: map[string]error{}, opts: o}
	var merr *multierror.Error
	for i, h := range hosts {
		if errs[i] != nil {
			c.Down[h.Name] = errs[i]
			merr = multierror.Append(merr, multierror.Prefix(errs[i], h.Name+":"))
			continue
		}
		c.Nodes = append(c.Nodes, nodes[i])
	}
	return c, merr.ErrorOrNil()
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

// Policy says what Each does when a host fails.
type Policy int

const (
	// FailFast cancels the other hosts' work at the first error (set-up steps:
	// no point building on a half-made lab).
	FailFast Policy = iota
	// CollectAll lets every host finish and reports every error (checks and
	// teardown: one broken host must not hide the others).
	CollectAll
)

// Each runs fn on every connected node concurrently, bounded by the parallel
// option. Errors are prefixed with the host's name. Under FailFast only the
// first error is returned (the others are its cancellation).
func (c *Cluster) Each(ctx context.Context, p Policy, fn func(ctx context.Context, n *Node) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parallel := 16
	if c.opts != nil {
		parallel = c.opts.parallel
	}
	sem := make(chan struct{}, parallel)
	errs := make([]error, len(c.Nodes))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i, n := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = multierror.Prefix(ctx.Err(), n.Name()+":")
				return
			}
			if err := ctx.Err(); err != nil {
				errs[i] = multierror.Prefix(err, n.Name()+":")
				return
			}
			if err := fn(ctx, n); err != nil {
				errs[i] = multierror.Prefix(err, n.Name()+":")
				if p == FailFast {
					once.Do(func() { first = errs[i]; cancel() })
				}
			}
		}()
	}
	wg.Wait()
	if p == FailFast {
		if first != nil {
			return first
		}
		// No host failed on its own: report a cancellation from outside.
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	var merr *multierror.Error
	for _, err := range errs {
		if err != nil {
			merr = multierror.Append(merr, err)
		}
	}
	return merr.ErrorOrNil()
}
