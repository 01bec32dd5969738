//go:build linux

package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/execx"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/runner"
)

// TestThreeManagers: an inventory naming three managers (and one worker)
// gets a swarm with three managers; with one manager's link cut the swarm
// keeps its quorum (a write through the leader succeeds) and the check
// names the cut host and only it; down then leaves nothing.
func TestThreeManagers(t *testing.T) {
	l := labtest.Up(t, 4)
	bin := labtest.ProbeBinary(t)
	inv, err := inventory.Load(l.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	for i := range inv.Hosts {
		if inv.Hosts[i].Name != "node4" {
			inv.Hosts[i].Role = inventory.RoleManager
		}
	}
	hosts, err := inv.Resolve(inventory.WithoutSSHConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dial := func(timeout time.Duration) *cluster.Cluster {
		c, _ := cluster.Connect(ctx, hosts, cluster.WithConnectTimeout(timeout), cluster.WithOpTimeout(20*time.Second))
		if c == nil {
			t.Fatal("no host reachable")
		}
		return c
	}
	c := dial(3 * time.Second)
	t.Cleanup(func() { c.Close() })
	swarmLab, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	r := runner.New(runner.WithProbeBinary(bin), runner.WithWait(90*time.Second),
		runner.WithEngineRestarter(local.New().Restarter(l.Lab)))
	t.Cleanup(func() { _, _ = r.Down(context.Background(), c, swarmLab, false) })
	if _, err := r.Up(ctx, c, hosts, swarmLab); err != nil {
		t.Fatalf("up: %v", err)
	}
	mgr := c.Node("node1").Docker()
	nodes, err := mgr.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	managers := 0
	for _, n := range nodes {
		if n.Spec.Role == swarm.NodeRoleManager && n.ManagerStatus != nil && n.ManagerStatus.Reachability == swarm.ReachabilityReachable {
			managers++
		}
	}
	if len(nodes) != 4 || managers != 3 {
		t.Fatalf("%d nodes, %d reachable managers; want 4 and 3", len(nodes), managers)
	}
	doc, err := r.Check(ctx, c, hosts, swarmLab)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	assertAllOK(t, doc)

	// Cut node2, a manager that does not lead, on the machine's side.
	veth := l.HostVeth(2)
	if err := execx.Run(ctx, "ip", "link", "set", veth, "down"); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			_ = execx.Run(context.Background(), "ip", "link", "set", veth, "up")
		}
	}
	defer restore()

	// Quorum: 2 of 3 managers commit a write (a node label) through raft.
	node1, _, err := mgr.NodeInspectWithRaw(ctx, nodeID(t, mgr, "node1"))
	if err != nil {
		t.Fatal(err)
	}
	node1.Spec.Labels["churn.quorum"] = "kept"
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err = mgr.NodeUpdate(wctx, node1.ID, node1.Version, node1.Spec)
	cancel()
	if err != nil {
		t.Fatalf("a write with node2 cut (2 of 3 managers): %v", err)
	}

	c2 := dial(2 * time.Second)
	cut, err := r.Check(ctx, c2, hosts, swarmLab)
	c2.Close()
	if err != nil {
		t.Fatalf("check with node2 cut: %v", err)
	}
	if !cut.Failed() {
		t.Fatal("check passed with node2 cut off")
	}
	for _, p := range cut.Probes {
		if !p.OK && p.From != "node2" && p.To != "node2" {
			t.Errorf("pair without node2 failed: %s %s→%s %s: %s", p.Network, p.From, p.To, p.Kind, p.Error)
		}
	}
	named := false
	for _, f := range cut.Findings {
		if strings.Contains(f.Host, "node2") {
			named = true
		}
	}
	for _, h := range cut.Hosts {
		if h.Name == "node2" && h.Error != "" {
			named = true
		}
	}
	if !named {
		t.Errorf("the check does not name node2: findings %v", cut.Findings)
	}
	restore()

	c3 := dial(3 * time.Second)
	defer c3.Close()
	if _, err := r.Down(ctx, c3, swarmLab, false); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertNothingLeft(t, c3, hosts)
}

func nodeID(t *testing.T, api interface {
	NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error)
}, host string) string {
	t.Helper()
	nodes, err := api.NodeList(context.Background(), swarm.NodeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Spec.Labels["overlab.host"] == host {
			return n.ID
		}
	}
	t.Fatalf("no swarm node labelled %s", host)
	return ""
}
