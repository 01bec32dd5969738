package probe

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/overlab/overlab/fanout"
)

// Defaults of Run: a lost packet is retried, a dead peer costs 2 s at most.
const (
	DefaultTries       = 3
	DefaultTimeout     = 2 * time.Second
	DefaultConcurrency = 64
	// retryPause spaces tries that failed at once (connection refused), so
	// that a retry is a second observation and not the same instant again.
	retryPause = 100 * time.Millisecond
)

type runConfig struct {
	tries       int
	timeout     time.Duration
	concurrency int
	icmp        *pinger
}

// RunOption configures Run.
type RunOption func(*runConfig)

// WithTries sets how many times a target is tried at most (default 3).
func WithTries(n int) RunOption {
	return func(c *runConfig) {
		if n > 0 {
			c.tries = n
		}
	}
}

// WithTimeout sets each target's total deadline across its tries (default 2 s).
func WithTimeout(d time.Duration) RunOption {
	return func(c *runConfig) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithConcurrency bounds how many targets are in flight at once (default 64).
func WithConcurrency(n int) RunOption {
	return func(c *runConfig) {
		if n > 0 {
			c.concurrency = n
		}
	}
}

// withPinger replaces the ICMP socket choice (tests).
func withPinger(p *pinger) RunOption { return func(c *runConfig) { c.icmp = p } }

// Run reaches every target concurrently and returns one Result per target,
// in the order of targets. Each target gets at most the configured tries
// within its own deadline; Run itself never fails: problems are in Result.Error.
func Run(ctx context.Context, targets []Target, opts ...RunOption) []Result {
	cfg := runConfig{tries: DefaultTries, timeout: DefaultTimeout, concurrency: DefaultConcurrency}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.icmp == nil {
		cfg.icmp = &pinger{}
	}
	results := make([]Result, len(targets))
	ran := make([]bool, len(targets))
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.String()
	}
	_ = fanout.Each(ctx, names, func(ctx context.Context, i int) error {
		ran[i] = true
		results[i] = runOne(ctx, targets[i], &cfg)
		return nil
	}, fanout.MaxParallel(cfg.concurrency))
	for i, t := range targets {
		if !ran[i] { // ctx ended before its turn
			results[i] = Result{ID: t.ID, Kind: t.Kind, Target: t.String(), Error: "not run: " + shortErr(ctx.Err())}
		}
	}
	return results
}

// outcome is what one successful try observed.
type outcome struct {
	rtt    time.Duration
	via    string
	output string
	peer   string
	addrs  []string
	status int
}

// tryFunc makes one attempt within ctx's deadline.
type tryFunc func(ctx context.Context, try int) (outcome, error)

func runOne(ctx context.Context, t Target, cfg *runConfig) Result {
	res := Result{ID: t.ID, Kind: t.Kind, Target: t.String()}
	if err := t.Validate(); err != nil {
		res.Error = "invalid target: " + err.Error()
		return res
	}
	var try tryFunc
	switch t.Kind {
	case KindICMP:
		try = func(ctx context.Context, n int) (outcome, error) { return cfg.icmp.ping(ctx, t.Address, n) }
	case KindTCP:
		try = func(ctx context.Context, n int) (outcome, error) { return tryTCP(ctx, t) }
	case KindUDP:
		try = func(ctx context.Context, n int) (outcome, error) { return tryUDP(ctx, t, n) }
	case KindDNS:
		try = func(ctx context.Context, n int) (outcome, error) { return tryDNS(ctx, t) }
	case KindHTTP:
		try = func(ctx context.Context, n int) (outcome, error) { return tryHTTP(ctx, t) }
	}

	timeout := cfg.timeout
	if t.TimeoutMS > 0 {
		timeout = time.Duration(t.TimeoutMS) * time.Millisecond
	}
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var last error
	for n := 1; n <= cfg.tries; n++ {
		remaining := time.Until(deadline)
		if remaining <= 0 || ctx.Err() != nil {
			break
		}
		// Split what is left evenly over the tries left, so that a slow first
		// try cannot eat the others' time.
		slot := remaining / time.Duration(cfg.tries-n+1)
		start := time.Now()
		tctx, tcancel := context.WithTimeout(ctx, slot)
		out, err := try(tctx, n)
		tcancel()
		res.Tries = n
		if err == nil {
			res.Reachable = true
			res.RTTMS = float64(out.rtt.Microseconds()) / 1000
			res.Via, res.Output, res.Peer, res.Addrs, res.Status = out.via, clip(out.output), out.peer, out.addrs, out.status
			return res
		}
		last = err
		if n < cfg.tries {
			pause := min(retryPause, time.Until(start.Add(slot)))
			if pause > 0 {
				select {
				case <-time.After(pause):
				case <-ctx.Done():
				}
			}
		}
	}
	res.Error = failure(t, res.Tries, timeout, last, ctx.Err())
	if res.Error == "" {
		res.Error = "not tried"
	}
	return res
}

// failure words the last error of a target that never answered.
func failure(t Target, tries int, timeout time.Duration, last, ctxErr error) string {
	if last == nil {
		if ctxErr != nil {
			return shortErr(ctxErr)
		}
		return ""
	}
	if isTimeout(last) {
		switch t.Kind {
		case KindICMP:
			return fmt.Sprintf("no reply to %d ICMP echo request%s in %s", tries, plural(tries), timeout)
		case KindUDP:
			return fmt.Sprintf("no reply to %d UDP datagram%s in %s", tries, plural(tries), timeout)
		}
	}
	return shortErr(last)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func clip(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}

// dialer is shared by every kind; deadlines come from the contexts.
var dialer = net.Dialer{}
