package swarm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GossipPort is where an engine's overlay control plane (NetworkDB, on
// hashicorp/memberlist) listens while the engine is in a swarm.
const GossipPort = 7946

// Shell runs a command on a host and returns its output.
type Shell interface {
	Run(ctx context.Context, command string) ([]byte, error)
}

// EngineRestarter restarts the Docker Engine of a host that overlab itself
// runs (the local provider); nil where overlab must not (anyone's VM).
type EngineRestarter interface {
	RestartEngine(ctx context.Context, host string) error
}

// socketTables prints the kernel's TCP socket tables: present on every
// Linux host, unlike ss or netstat.
const socketTables = "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null"

// listening reports whether /proc/net/tcp{,6} text has a socket in state
// LISTEN (0A) on port.
func listening(tables []byte, port int) bool {
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(bytes.NewReader(tables))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[0] == "sl" {
			continue
		}
		if strings.HasSuffix(f[1], want) && f[3] == "0A" {
			return true
		}
	}
	return false
}

// StaleGossipError means a host is in no swarm, yet its gossip port is still
// held. Docker Engine up to 28.1 skips shutting its memberlist down when the
// leave broadcast times out (moby/moby#47859, fixed by moby/moby#50115): the
// engine keeps the port for ever, its next swarm's NetworkDB cannot bind it
// ("address already in use" in the engine's log), and that host never joins
// any overlay's gossip ("knows 0 of N peers").
type StaleGossipError struct {
	Host string
}

func (e *StaleGossipError) Error() string {
	return fmt.Sprintf("out of any swarm, but port %d/tcp is still held (Docker Engine bug moby/moby#47859, fixed by moby/moby#50115 in 2025: a swarm leave whose gossip broadcast timed out never closed its overlay control plane); its overlay networks would never work in a new swarm. Restart its engine (`sudo systemctl restart docker` on %s), or stop whatever else listens on %d", GossipPort, e.Host, GossipPort)
}

// gossipHeld polls until the host's gossip port is free, for at most wait:
// a leave may still be closing it when the API call returns.
func gossipHeld(ctx context.Context, sh Shell, wait time.Duration) (bool, error) {
	deadline := time.Now().Add(wait)
	for {
		out, err := sh.Run(ctx, socketTables)
		if err != nil {
			return false, fmt.Errorf("reading the socket tables: %w", err)
		}
		if !listening(out, GossipPort) {
			return false, nil
		}
		if time.Now().After(deadline) {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// releaseGossip makes sure a host out of any swarm holds no gossip port:
// when it does, the engine is restarted if overlab runs it, else the error
// says what to run. It returns what it did.
func releaseGossip(ctx context.Context, m Member, o options, wait time.Duration) (string, error) {
	if m.Shell == nil {
		return "", nil
	}
	held, err := gossipHeld(ctx, m.Shell, wait)
	if err != nil || !held {
		return "", err
	}
	stale := &StaleGossipError{Host: m.Host.Name}
	if o.restarter == nil {
		return "", stale
	}
	o.logger.Warnf("%v: restarting it", stale)
	if err := o.restarter.RestartEngine(ctx, m.Host.Name); err != nil {
		return "", fmt.Errorf("%w; restarting its engine failed: %v", stale, err)
	}
	if held, err := gossipHeld(ctx, m.Shell, 0); err != nil || held {
		return "", fmt.Errorf("%w; still held after restarting its engine, so another program holds it", stale)
	}
	return m.Host.Name + ": restarted its engine, which kept the gossip port " + strconv.Itoa(GossipPort) + " after leaving a swarm (Docker bug moby/moby#47859)", nil
}
