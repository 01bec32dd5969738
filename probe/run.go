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
	token       Token
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

// WithToken proves the requests of the targets that ask for it (Auth) with
// the run's token, and checks the probes' proofs of their answers.
func WithToken(t Token) RunOption { return func(c *runConfig) { c.token = t } }

// withPinger replaces the ICMP socket choice (tests).
func withPinger(p *pinger) RunOption { return func(c *runConfig) { c.icmp = p } }

// Run reaches every target concurrently and returns one Result per target,
// in the order of targets. Each target gets at most the configured tries,
// spread over its own deadline and each listening until it; Run itself
// never fails: problems are in Result.Error.
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
		try = func(ctx context.Context, n int) (outcome, error) { return cfg.icmp.ping(ctx, t.Address, t.Family, n) }
	case KindTCP:
		try = func(ctx context.Context, n int) (outcome, error) { return tryTCP(ctx, t, cfg.prover(t)) }
	case KindUDP:
		try = func(ctx context.Context, n int) (outcome, error) { return tryUDP(ctx, t, n, cfg.prover(t)) }
	case KindDNS:
		try = func(ctx context.Context, n int) (outcome, error) { return tryDNS(ctx, t) }
	case KindHTTP:
		try = func(ctx context.Context, n int) (outcome, error) { return tryHTTP(ctx, t, cfg.prover(t)) }
	}

	timeout := cfg.timeout
	if t.TimeoutMS > 0 {
		timeout = time.Duration(t.TimeoutMS) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	a := tryUntilAnswer(ctx, try, cfg.tries, timeout/time.Duration(cfg.tries))
	res.Tries = a.tries
	if a.err == nil {
		res.Reachable = true
		res.RTTMS = float64(a.out.rtt.Microseconds()) / 1000
		res.Via, res.Output, res.Peer, res.Addrs, res.Status = a.out.via, clip(a.out.output), a.out.peer, a.out.addrs, a.out.status
		return res
	}
	res.Error = failure(t, a.tries, timeout, a.err, ctx.Err())
	if res.Error == "" {
		res.Error = "not tried"
	}
	return res
}

// prover is the token that proves t's requests, or nil when t asks for
// none or the run has none.
func (c *runConfig) prover(t Target) *Token {
	if !t.Auth || c.token.IsZero() {
		return nil
	}
	return &c.token
}

// answer is the outcome of try n, and how many tries had started by then.
type answer struct {
	n, tries int
	out      outcome
	err      error
}

// tryUntilAnswer starts try n+1 one interval after try n, or retryPause
// after try n failed at once, whichever comes first. Every try listens
// until the target's deadline, so a slow answer to an early try still
// counts: a peer is called unreachable only when nothing answered any try
// within the whole deadline, never because one try's share ran out. The
// first success wins; otherwise the error of the latest try is returned.
func tryUntilAnswer(ctx context.Context, try tryFunc, tries int, interval time.Duration) answer {
	answers := make(chan answer, tries)
	started, pending := 0, 0
	t0 := time.Now()
	// Try n+1 is due n intervals after the first, on a fixed schedule, so
	// that a late wake-up on a busy machine does not drop a try.
	due := func() time.Duration { return time.Until(t0.Add(time.Duration(started) * interval)) }
	start := func() {
		started++
		pending++
		go func(n int) {
			out, err := try(ctx, n)
			answers <- answer{n: n, out: out, err: err}
		}(started)
	}
	start()
	next := time.NewTimer(interval)
	defer next.Stop()
	latest := answer{}
	for pending > 0 || (started < tries && ctx.Err() == nil) {
		var expired <-chan struct{}
		if pending == 0 {
			expired = ctx.Done() // nothing in flight: only a new try or the deadline
		}
		select {
		case <-expired:
		case <-next.C:
			if started < tries && ctx.Err() == nil {
				start()
				next.Reset(due())
			}
		case a := <-answers:
			pending--
			a.tries = started
			if a.err == nil {
				return a
			}
			if a.n >= latest.n {
				latest = a
			}
			if started < tries && a.n == started && ctx.Err() == nil {
				// Failed at once (connection refused): the retry is a
				// second observation a moment later, not the same instant.
				next.Reset(min(retryPause, due()))
			}
		}
	}
	latest.tries = started
	return latest
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
