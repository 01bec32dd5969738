//go:build linux

package runner_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/local"
	"github.com/overlab/overlab/local/labtest"
	"github.com/overlab/overlab/runner"
	swarmpkg "github.com/overlab/overlab/swarm"
)

// TestDownLeavesTheUsersOwn: a user's swarm (node1 leading, node2 in it),
// overlay network, service and bridge network exist before up; up adopts
// the swarm and adds node3; down takes away only what up made: node3 leaves
// and is forgotten, node1 and node2 stay in the user's swarm with the
// user's network and service, without overlab's labels.
func TestDownLeavesTheUsersOwn(t *testing.T) {
	l := labtest.Up(t, 3)
	bin := labtest.ProbeBinary(t)
	c, hosts := connect(t, l)
	ctx := context.Background()
	n1, n2, n3 := c.Node("node1").Docker(), c.Node("node2").Docker(), c.Node("node3").Docker()

	// The user's own things, made with the API as `docker` would.
	if _, err := n1.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: hosts[0].Address}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, api := range []interface {
			SwarmLeave(context.Context, bool) error
		}{n2, n1} {
			_ = api.SwarmLeave(context.Background(), true)
		}
	})
	sw, err := n1.SwarmInspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := n2.SwarmJoin(ctx, swarm.JoinRequest{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: hosts[1].Address,
		RemoteAddrs: []string{net.JoinHostPort(hosts[0].Address, "2377")}, JoinToken: sw.JoinTokens.Worker}); err != nil {
		t.Fatal(err)
	}
	if _, err := n1.NetworkCreate(ctx, "user-net", network.CreateOptions{Driver: "overlay", Attachable: true}); err != nil {
		t.Fatal(err)
	}
	zero := uint64(0)
	if _, err := n1.ServiceCreate(ctx, swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "user-svc"},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "user/app:1"}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &zero}}}, swarm.ServiceCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := n3.NetworkCreate(ctx, "user-bridge", network.CreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}

	swarmLab, err := lab.Get("swarm")
	if err != nil {
		t.Fatal(err)
	}
	r := runner.New(runner.WithProbeBinary(bin), runner.WithWait(90*time.Second),
		// As overlab down on local hosts: moby#47859 on 20.10 and 26.1.
		runner.WithEngineRestarter(local.New().Restarter(l.Lab)))
	if _, err := r.Up(ctx, c, hosts, swarmLab); err != nil {
		t.Fatalf("up: %v", err)
	}
	doc, err := r.Check(ctx, c, hosts, swarmLab)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	assertAllOK(t, doc)
	if up, err := runner.LabsUp(ctx, c); err != nil || strings.Join(up, ",") != "swarm" {
		t.Errorf("labs up: %v, %v; want swarm", up, err)
	}
	if _, err := r.Down(ctx, c, swarmLab, true); err != nil {
		t.Fatalf("down: %v", err)
	}

	for _, h := range []struct {
		name   string
		active bool
	}{{"node1", true}, {"node2", true}, {"node3", false}} {
		info, err := c.Node(h.name).Docker().Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Swarm.LocalNodeState == swarm.LocalNodeStateActive; got != h.active {
			t.Errorf("%s: in a swarm %v after down, want %v", h.name, got, h.active)
		}
	}
	again, err := n1.SwarmInspect(ctx)
	if err != nil {
		t.Fatalf("the user's swarm is gone: %v", err)
	}
	if again.ID != sw.ID {
		t.Errorf("swarm %s after down, want the user's %s", again.ID, sw.ID)
	}
	nodes, err := n1.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 {
		t.Errorf("the user's swarm lists %d nodes after down, want its own 2", len(nodes))
	}
	for _, n := range nodes {
		for k := range n.Spec.Labels {
			if strings.HasPrefix(k, "overlab.") {
				t.Errorf("node %s keeps label %s", n.Description.Hostname, k)
			}
		}
		if _, ok := n.Spec.Labels[swarmpkg.JoinedLabel]; ok {
			t.Errorf("a node of the user's swarm is marked as joined by overlab: %s", n.Description.Hostname)
		}
	}
	if _, err := n1.NetworkInspect(ctx, "user-net", network.InspectOptions{}); err != nil {
		t.Errorf("the user's overlay network: %v", err)
	}
	if _, _, err := n1.ServiceInspectWithRaw(ctx, "user-svc", swarm.ServiceInspectOptions{}); err != nil {
		t.Errorf("the user's service: %v", err)
	}
	if _, err := n3.NetworkInspect(ctx, "user-bridge", network.InspectOptions{}); err != nil {
		t.Errorf("the user's bridge network: %v", err)
	}
	if up, err := runner.LabsUp(ctx, c); err != nil || len(up) != 0 {
		t.Errorf("labs up after down: %v, %v; want none", up, err)
	}
	for _, n := range c.Nodes {
		nets, _ := n.Docker().NetworkList(ctx, network.ListOptions{})
		for _, nw := range nets {
			if strings.HasPrefix(nw.Name, "overlab-") {
				t.Errorf("%s: network %s left", n.Name(), nw.Name)
			}
		}
	}
}
