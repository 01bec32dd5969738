//go:build linux

package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
)

// TestReannounceMakesOnePeersTaskAnew runs the targeted repair of a lost
// network attachment on a real 3-host swarm lab: told that node1 lacks
// node2, it makes node2's probe task anew (a new container, running), and
// touches no other host's. The race it repairs cannot be caused on
// purpose; the hunts of docs/churn.md §2b show it repairing the real one.
func TestReannounceMakesOnePeersTaskAnew(t *testing.T) {
	l := labtest.Up(t, 3)
	inv, err := inventory.Load(l.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Resolve(inventory.WithoutSSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := cluster.Connect(ctx, hosts, cluster.WithConnectTimeout(3*time.Second), cluster.WithOpTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	swarmLab, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	r := New(WithProbeBinary(labtest.ProbeBinary(t)), WithWait(90*time.Second), WithEngineRestarter(local.New().Restarter(l.Lab)))
	t.Cleanup(func() { _, _ = r.Down(context.Background(), c, swarmLab, true) })
	if _, err := r.Up(ctx, c, hosts, swarmLab); err != nil {
		t.Fatalf("up: %v", err)
	}
	probe := func(host string) string {
		list, err := c.Node(host).Docker().ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(
			filters.Arg("label", "com.docker.swarm.service.name=overlab-probe"), filters.Arg("status", "running"))})
		if err != nil || len(list) != 1 {
			t.Fatalf("%s: running probes %d, %v", host, len(list), err)
		}
		return list[0].ID
	}
	before := map[string]string{"node1": probe("node1"), "node2": probe("node2"), "node3": probe("node3")}
	start := time.Now()
	acts, err := reannounce(ctx, c, settleLag{Unseen: map[string][]string{"node2": {"node1"}}}, []string{"overlab-probe"})
	if err != nil {
		t.Fatalf("reannounce: %v", err)
	}
	t.Logf("reannounce in %v: %q", time.Since(start).Round(time.Millisecond), acts)
	if len(acts) != 1 || !strings.HasPrefix(acts[0], "node2: made its task anew so that node1 learn") {
		t.Errorf("actions %q", acts)
	}
	if probe("node2") == before["node2"] {
		t.Error("node2's probe is the same container")
	}
	for _, h := range []string{"node1", "node3"} {
		if probe(h) != before[h] {
			t.Errorf("%s's probe was replaced too", h)
		}
	}
	if _, err := settleOverlays(ctx, c, swarmLab, map[string][]string{"overlab-probe": {"node1", "node2", "node3"}}, 30*time.Second); err != nil {
		t.Errorf("after the repair: %v", err)
	}
}
