package swarm

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/overlab/overlab/inventory"
)

// swarmState is one swarm as its managers see it.
type swarmState struct {
	labels  map[string]string
	nodes   []swarm.Node
	removed []string
	demoted []string
}

// member is one engine of that swarm.
type member struct {
	API
	sw      *swarmState
	id      string
	manager bool
	active  bool
	order   *[]string
	name    string
}

func (m *member) Info(context.Context) (system.Info, error) {
	if !m.active {
		return system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}}, nil
	}
	return system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, NodeID: m.id, ControlAvailable: m.manager}}, nil
}
func (m *member) SwarmInspect(context.Context) (swarm.Swarm, error) {
	return swarm.Swarm{ClusterInfo: swarm.ClusterInfo{Spec: swarm.Spec{Annotations: swarm.Annotations{Labels: m.sw.labels}}}}, nil
}
func (m *member) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return m.sw.nodes, nil
}

// fakeMu guards what members share: Leave calls them concurrently.
var fakeMu sync.Mutex

func (m *member) SwarmLeave(context.Context, bool) error {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	m.active = false
	*m.order = append(*m.order, m.name)
	return nil
}
func (m *member) NodeRemove(_ context.Context, id string, _ swarm.NodeRemoveOptions) error {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	m.sw.removed = append(m.sw.removed, id)
	return nil
}
func (m *member) NodeInspectWithRaw(_ context.Context, id string) (swarm.Node, []byte, error) {
	for _, n := range m.sw.nodes {
		if n.ID == id {
			return n, nil, nil
		}
	}
	return swarm.Node{}, nil, nil
}
func (m *member) NodeUpdate(_ context.Context, id string, _ swarm.Version, spec swarm.NodeSpec) error {
	if spec.Role == swarm.NodeRoleWorker {
		m.sw.demoted = append(m.sw.demoted, id)
	}
	return nil
}

// newSwarm builds hosts node1..nodeN (roles as given) all in one swarm;
// joined marks the nodes overlab made join.
func newSwarm(created bool, roles []string, joined map[string]bool) ([]Member, *swarmState, *[]string) {
	sw := &swarmState{labels: map[string]string{}}
	if created {
		sw.labels[CreatedLabel] = "true"
	}
	order := &[]string{}
	var ms []Member
	for i, role := range roles {
		name := "node" + string(rune('1'+i))
		m := &member{sw: sw, id: "id-" + name, manager: role == inventory.RoleManager, active: true, order: order, name: name}
		n := swarm.Node{ID: m.id, Spec: swarm.NodeSpec{Annotations: swarm.Annotations{Labels: map[string]string{}}, Role: swarm.NodeRoleWorker}}
		if m.manager {
			n.Spec.Role = swarm.NodeRoleManager
		}
		if joined[name] {
			n.Spec.Labels[JoinedLabel] = "true"
		}
		sw.nodes = append(sw.nodes, n)
		ms = append(ms, Member{Host: inventory.Host{Name: name, Role: role}, API: m, Shell: &fakeShell{}})
	}
	return ms, sw, order
}

func TestLeaveASwarmOverlabCreated(t *testing.T) {
	roles := []string{inventory.RoleManager, inventory.RoleManager, inventory.RoleManager, inventory.RoleWorker, inventory.RoleWorker}
	ms, sw, order := newSwarm(true, roles, nil)
	acts, err := Leave(context.Background(), ms)
	if err != nil {
		t.Fatal(err)
	}
	if len(*order) != 5 || len(acts) != 5 {
		t.Fatalf("left: %v, actions %v; want all 5", *order, acts)
	}
	// Workers first (in any order), then managers, the leading one last.
	last := (*order)[2:]
	if strings.Join(last, ",") != "node3,node2,node1" {
		t.Errorf("managers left in order %v, want node3,node2,node1 after the workers", last)
	}
	if len(sw.removed) != 0 || len(sw.demoted) != 0 {
		t.Errorf("a swarm being dismantled needs no demotion or removal: %v %v", sw.demoted, sw.removed)
	}
}

func TestLeaveKeepsTheUsersSwarm(t *testing.T) {
	// node1 (manager) and node2 were the user's swarm; overlab joined node3.
	roles := []string{inventory.RoleManager, inventory.RoleWorker, inventory.RoleWorker}
	ms, sw, order := newSwarm(false, roles, map[string]bool{"node3": true})
	acts, err := Leave(context.Background(), ms)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(*order, ",") != "node3" {
		t.Fatalf("left: %v, want only node3 (the one overlab joined)", *order)
	}
	if len(sw.removed) != 1 || sw.removed[0] != "id-node3" {
		t.Errorf("removed from the user's swarm: %v, want id-node3", sw.removed)
	}
	if len(acts) != 1 {
		t.Errorf("actions %v", acts)
	}
}

func TestLeaveWithoutAManagerTouchesNothing(t *testing.T) {
	roles := []string{inventory.RoleManager, inventory.RoleWorker}
	ms, _, order := newSwarm(true, roles, nil)
	ms[0].API.(*member).active = false // the manager is gone from the swarm
	_, err := Leave(context.Background(), ms)
	if err == nil || !strings.Contains(err.Error(), "node2") || len(*order) != 0 {
		t.Fatalf("got %v, left %v; want an error naming node2 and no leave", err, *order)
	}
}
