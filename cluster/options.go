package cluster

import (
	"time"

	"github.com/overlab/overlab/log"
)

// Option configures Dial and Connect.
type Option func(*options)

type options struct {
	log            log.Logger
	connectTimeout time.Duration
	opTimeout      time.Duration
	trustNewHosts  bool
	parallel       int
	keepAlive      time.Duration
	agentSocket    string // "" means $SSH_AUTH_SOCK
	agentSet       bool
}

func newOptions(opts []Option) *options {
	o := &options{
		log:            log.NoOp{},
		connectTimeout: 10 * time.Second,
		opTimeout:      60 * time.Second,
		keepAlive:      15 * time.Second,
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithLogger sets the logger (default: discard).
func WithLogger(l log.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithConnectTimeout bounds TCP connect plus the SSH handshake, per hop (default 10s).
func WithConnectTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.connectTimeout = d
		}
	}
}

// WithOpTimeout bounds each remote operation: a command, or a Docker socket
// channel open (default 60s). A context deadline that comes sooner wins.
func WithOpTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.opTimeout = d
		}
	}
}

// WithTrustNewHosts accepts a host key that no known_hosts file lists and
// records it in the first known_hosts file. A key that differs from a
// recorded one is always refused.
func WithTrustNewHosts(on bool) Option { return func(o *options) { o.trustNewHosts = on } }

// WithParallel bounds how many hosts Connect and Each work on at once
// (default: the context's fanout limit, itself 16 unless --parallel says).
func WithParallel(n int) Option { return func(o *options) { o.parallel = n } }

// WithAgentSocket uses this ssh-agent socket instead of $SSH_AUTH_SOCK; ""
// disables the agent (tests, and callers that must not use one).
func WithAgentSocket(path string) Option {
	return func(o *options) { o.agentSocket, o.agentSet = path, true }
}
