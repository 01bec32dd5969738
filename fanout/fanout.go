package fanout

import (
	"context"
	"sort"
	"sync"

	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"
)

// DefaultLimit bounds concurrency when neither the context nor an option does
// (the default of --parallel).
const DefaultLimit = 16

// Policy says what Each does when a host fails.
type Policy int

const (
	// CollectAll lets every host finish and reports every error.
	CollectAll Policy = iota
	// FailFast cancels the other hosts' work at the first error and reports
	// only that error (the others are its cancellation).
	FailFast
)

type limitKey struct{}

// WithLimit returns ctx carrying the concurrency bound for every Each below
// it, so that one --parallel flag bounds every package's fan-out.
func WithLimit(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, limitKey{}, n)
}

// Limit returns the bound WithLimit put in ctx, or DefaultLimit.
func Limit(ctx context.Context) int {
	if n, ok := ctx.Value(limitKey{}).(int); ok && n > 0 {
		return n
	}
	return DefaultLimit
}

type config struct {
	policy Policy
	limit  int
}

// Option changes how Each runs.
type Option func(*config)

// Stop makes Each FailFast (set-up) or CollectAll (checks, teardown).
func Stop(p Policy) Option { return func(c *config) { c.policy = p } }

// MaxParallel overrides the context's bound for one call (n < 1: no change).
func MaxParallel(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.limit = n
		}
	}
}

// Each runs fn(ctx, i) for every index of names, at most Limit(ctx) at once,
// and waits for all. Errors are prefixed with names[i] and sorted. Work not yet
// started when ctx ends is reported as ctx's error for that host.
func Each(ctx context.Context, names []string, fn func(ctx context.Context, i int) error, opts ...Option) error {
	c := config{policy: CollectAll, limit: Limit(ctx)}
	for _, o := range opts {
		o(&c)
	}
	errs := make([]error, len(names))
	var g *errgroup.Group
	if c.policy == FailFast {
		g, ctx = errgroup.WithContext(ctx)
	} else {
		g = &errgroup.Group{}
	}
	g.SetLimit(c.limit)
	var (
		first error // FailFast: the error that cancelled the rest
		once  sync.Once
	)
	for i := range names {
		g.Go(func() error {
			err := ctx.Err()
			if err == nil {
				err = fn(ctx, i)
			}
			if err == nil {
				return nil
			}
			errs[i] = multierror.Prefix(err, names[i]+":")
			if c.policy == FailFast && ctx.Err() == nil {
				once.Do(func() { first = errs[i] })
			}
			return errs[i]
		})
	}
	gerr := g.Wait()
	if c.policy == FailFast {
		if first != nil {
			return first
		}
		return gerr // no host failed on its own: a cancellation from outside
	}
	return collect(errs)
}

func collect(errs []error) error {
	var result *multierror.Error
	for _, err := range errs {
		if err != nil {
			result = multierror.Append(result, err)
		}
	}
	if result == nil {
		return nil
	}
	sort.SliceStable(result.Errors, func(a, b int) bool { return result.Errors[a].Error() < result.Errors[b].Error() })
	return result
}
