package cluster

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/inventory"
)

func fakeCluster(parallel int, names ...string) *Cluster {
	c := &Cluster{Down: map[string]error{}, opts: newOptions([]Option{WithParallel(parallel)})}
	for _, n := range names {
		c.Nodes = append(c.Nodes, &Node{Host: inventory.Host{Name: n}})
	}
	return c
}

func TestEachCollectAllReportsEveryHost(t *testing.T) {
	c := fakeCluster(2, "a", "b", "c", "d")
	var ran atomic.Int32
	err := c.Each(context.Background(), CollectAll, func(ctx context.Context, n *Node) error {
		ran.Add(1)
		if n.Name() == "b" || n.Name() == "d" {
			return errors.New("broken " + n.Name())
		}
		return nil
	})
	if ran.Load() != 4 {
		t.Errorf("ran %d hosts, want 4", ran.Load())
	}
	if err == nil || !strings.Contains(err.Error(), "b: broken b") || !strings.Contains(err.Error(), "d: broken d") || strings.Contains(err.Error(), "a:") {
		t.Errorf("err = %v", err)
	}
}

func TestEachFailFastCancelsTheRest(t *testing.T) {
	c := fakeCluster(4, "a", "b", "c", "d")
	start := time.Now()
	err := c.Each(context.Background(), FailFast, func(ctx context.Context, n *Node) error {
		if n.Name() == "c" {
			return errors.New("no swarm")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			return nil
		}
	})
	if err == nil || err.Error() != "c: no swarm" {
		t.Errorf("err = %v, want only the first failure", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the others were not cancelled: %s", d)
	}
}

func TestEachBoundsParallelism(t *testing.T) {
	c := fakeCluster(2, "a", "b", "c", "d", "e")
	var cur, peak atomic.Int32
	err := c.Each(context.Background(), CollectAll, func(ctx context.Context, n *Node) error {
		v := cur.Add(1)
		for {
			p := peak.Load()
			if v <= p || peak.CompareAndSwap(p, v) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		return nil
	})
	if err != nil || peak.Load() != 2 {
		t.Errorf("err %v, peak %d want 2", err, peak.Load())
	}
}

func TestEachErrorsUnwrap(t *testing.T) {
	c := fakeCluster(1, "a")
	err := c.Each(context.Background(), CollectAll, func(ctx context.Context, n *Node) error {
		return &execx.CommandError{Host: "a", Command: "x", ExitCode: 2}
	})
	var ce *execx.CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 2 {
		t.Errorf("errors.As through the host prefix: %v", err)
	}
}
