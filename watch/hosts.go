package watch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/log"
	"github.com/overlab/overlab/results"
)

// hostTracker keeps the cluster's members true between rounds: it pings
// every connected host, drops one that does not answer (closing its
// connection) and redials it in the background with backoff, putting it
// back once both its SSH and its engine answer. Only the loop calls
// refresh and close; the redialers only report through pending.
type hostTracker struct {
	c       *cluster.Cluster
	hosts   map[string]inventory.Host
	order   []string
	nodes   map[string]*cluster.Node
	down    map[string]error
	timeout time.Duration // of each ping
	backoff backoff
	logger  log.Logger

	ctx    context.Context // the redialers'
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending map[string]redialed // the latest word of each redialer
}

type redialed struct {
	node *cluster.Node // connected and answering; nil: err says why not
	err  error
}

func newHostTracker(c *cluster.Cluster, hosts []inventory.Host, timeout time.Duration, b backoff, logger log.Logger) *hostTracker {
	t := &hostTracker{c: c, hosts: map[string]inventory.Host{}, nodes: map[string]*cluster.Node{}, down: map[string]error{},
		timeout: timeout, backoff: b, logger: logger, pending: map[string]redialed{}}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	for _, h := range hosts {
		t.hosts[h.Name] = h
		t.order = append(t.order, h.Name)
	}
	for _, n := range c.Nodes {
		t.nodes[n.Name()] = n
	}
	for name, err := range c.Down {
		t.down[name] = err
		t.startRedial(name)
	}
	return t
}

// refresh takes in the hosts that came back, pings the others and drops
// those that do not answer. It returns the hosts lost or back, and whether
// the cluster's members changed.
func (t *hostTracker) refresh(ctx context.Context, now time.Time) ([]results.Event, bool) {
	var evs []results.Event
	changed := false
	t.mu.Lock()
	pending := t.pending
	t.pending = map[string]redialed{}
	t.mu.Unlock()
	for _, name := range t.order {
		r, ok := pending[name]
		if !ok || t.down[name] == nil {
			continue
		}
		if r.node == nil {
			t.down[name] = r.err // a newer cause: SSH back, engine not yet
			continue
		}
		t.nodes[name] = r.node
		delete(t.down, name)
		changed = true
		evs = append(evs, hostEvent(now, name, results.OutcomeDown, results.OutcomeUp, ""))
	}
	errs := t.pingAll(ctx)
	if ctx.Err() != nil {
		return evs, changed // interrupted: nothing is known of the others
	}
	for _, name := range t.order {
		err := errs[name]
		if err == nil {
			continue
		}
		t.logger.V(1).Infof("%s: lost: %v", name, err)
		_ = t.nodes[name].Close()
		delete(t.nodes, name)
		t.down[name] = err
		changed = true
		evs = append(evs, hostEvent(now, name, results.OutcomeUp, results.OutcomeDown, err.Error()))
		t.startRedial(name)
	}
	if changed {
		t.c.SetMembers(t.order, t.nodes, t.down)
	}
	return evs, changed
}

func hostEvent(at time.Time, host, was, now, cause string) results.Event {
	return results.Event{Time: at.UTC(), Type: results.EventHost, Host: host, Was: was, Now: now, Cause: cause}
}

// pingAll pings every connected host at once.
func (t *hostTracker) pingAll(ctx context.Context) map[string]error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := map[string]error{}
	for name, n := range t.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ping(ctx, n, t.timeout); err != nil {
				mu.Lock()
				errs[name] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// ping asks the host's engine through its SSH connection and, when that
// fails, the host's shell, so that the cause says which one is gone.
func ping(ctx context.Context, n *cluster.Node, timeout time.Duration) error {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, perr := n.Docker().Ping(pctx)
	if perr == nil || ctx.Err() != nil {
		return ctx.Err()
	}
	sctx, cancel2 := context.WithTimeout(ctx, timeout)
	defer cancel2()
	if _, err := n.Run(sctx, "true"); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ce *execx.CommandError
		if errors.As(err, &ce) && ce.Err != nil {
			err = ce.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("SSH: no answer within %v", timeout)
		}
		return fmt.Errorf("SSH: %v", err)
	}
	var se *cluster.DockerSocketError
	if errors.As(perr, &se) {
		return fmt.Errorf("engine: cannot open the Docker socket %s: %s", se.Socket, se.Reason)
	}
	if errors.Is(perr, context.DeadlineExceeded) {
		return fmt.Errorf("engine: no answer within %v", timeout)
	}
	return fmt.Errorf("engine: %v", perr)
}

// startRedial redials a lost host in the background until it answers.
func (t *hostTracker) startRedial(name string) {
	h := t.hosts[name]
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for try := 0; ; try++ {
			select {
			case <-t.ctx.Done():
				return
			case <-time.After(t.backoff.delay(try)):
			}
			n, err := t.c.Redial(t.ctx, h)
			if err != nil {
				err = fmt.Errorf("SSH: %w", err)
			} else if err = ping(t.ctx, n, t.timeout); err != nil {
				_ = n.Close()
			}
			if t.ctx.Err() != nil {
				if err == nil {
					_ = n.Close()
				}
				return
			}
			t.mu.Lock()
			if old := t.pending[name]; old.node != nil {
				_ = old.node.Close() // not taken in yet; cannot happen twice, but never leak
			}
			if err == nil {
				t.pending[name] = redialed{node: n}
			} else {
				t.pending[name] = redialed{err: err}
			}
			t.mu.Unlock()
			if err == nil {
				return
			}
		}
	}()
}

// statuses are every host's state, in inventory order.
func (t *hostTracker) statuses() []HostStatus {
	out := make([]HostStatus, 0, len(t.order))
	for _, name := range t.order {
		hs := HostStatus{Name: name, Up: t.down[name] == nil}
		if !hs.Up {
			hs.Cause = t.down[name].Error()
		}
		out = append(out, hs)
	}
	return out
}

// close stops the redialers and closes the connections they made that
// were not taken in; the cluster's own are the session's to close.
func (t *hostTracker) close() {
	t.cancel()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.pending {
		if r.node != nil {
			_ = r.node.Close()
		}
	}
	t.pending = map[string]redialed{}
}

// backoff is the wait before each redial: min, doubling, at most max.
type backoff struct{ min, max time.Duration }

func (b backoff) delay(try int) time.Duration {
	d := b.min
	for i := 0; i < try && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}

// backoffFor redials from 1 s up to one interval (at most a minute): a
// host that is down costs one SSH handshake per round at most.
func backoffFor(interval time.Duration) backoff {
	return backoff{min: time.Second, max: min(max(interval, time.Second), time.Minute)}
}
