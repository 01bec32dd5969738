package swarm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/overlab/overlab/inventory"
)

// fakeEngine is one engine's swarm API: an embedded interface (calls not
// set panic) plus the state the decisions depend on.
type fakeEngine struct {
	API
	info    system.Info
	joined  *swarm.JoinRequest
	init    *swarm.InitRequest
	inited  bool
	left    bool
	nodes   []swarm.Node
	tokens  swarm.JoinTokens
	joinErr error
	later   []system.Info
}

func (f *fakeEngine) Info(context.Context) (system.Info, error) {
	if len(f.later) > 0 { // what the engine says next, then for ever
		f.info, f.later = f.later[0], f.later[1:]
	}
	return f.info, nil
}
func (f *fakeEngine) SwarmInit(_ context.Context, req swarm.InitRequest) (string, error) {
	f.inited = true
	f.init = &req
	f.info.Swarm = swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true, NodeID: "n-lead"}
	return "n-lead", nil
}
func (f *fakeEngine) SwarmJoin(_ context.Context, req swarm.JoinRequest) error {
	if f.joinErr != nil {
		return f.joinErr
	}
	f.joined = &req
	f.info.Swarm = swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, NodeID: "n-" + req.AdvertiseAddr}
	return nil
}
func (f *fakeEngine) SwarmLeave(context.Context, bool) error {
	f.left = true
	f.info.Swarm = swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}
	return nil
}
func (f *fakeEngine) SwarmInspect(context.Context) (swarm.Swarm, error) {
	return swarm.Swarm{ClusterInfo: swarm.ClusterInfo{ID: "cluster"}, JoinTokens: f.tokens}, nil
}
func (f *fakeEngine) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return f.nodes, nil
}

const (
	workerToken  = "SWMTKN-1-worker-secret"
	managerToken = "SWMTKN-1-manager-secret"
)

func members(engines ...*fakeEngine) []Member {
	roles := []string{inventory.RoleManager, inventory.RoleWorker, inventory.RoleWorker}
	var out []Member
	for i, e := range engines {
		out = append(out, Member{Host: inventory.Host{Name: "node" + string(rune('1'+i)), Address: "192.168.56.1" + string(rune('1'+i)), Role: roles[i]}, API: e})
	}
	return out
}

func TestEnsureRefusesForeignSwarm(t *testing.T) {
	lead := &fakeEngine{tokens: swarm.JoinTokens{Worker: workerToken, Manager: managerToken}}
	stranger := &fakeEngine{info: system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, NodeID: "elsewhere"}}}
	_, err := Ensure(context.Background(), members(lead, stranger), WithReadyTimeout(0))
	if err == nil || !strings.Contains(err.Error(), "node2") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a host in another swarm: got %v, want an error naming node2 and --force", err)
	}
	if stranger.left || stranger.joined != nil {
		t.Error("the host in another swarm was changed without --force")
	}
	if !lead.inited {
		t.Error("the first manager did not initialise the swarm")
	}
}

func TestEnsureJoinsWithTheRoleToken(t *testing.T) {
	lead := &fakeEngine{tokens: swarm.JoinTokens{Worker: workerToken, Manager: managerToken}}
	w := &fakeEngine{}
	_, _ = Ensure(context.Background(), members(lead, w), WithReadyTimeout(0))
	if w.joined == nil {
		t.Fatal("the worker did not join")
	}
	if w.joined.JoinToken != workerToken || w.joined.AdvertiseAddr != "192.168.56.12" {
		t.Errorf("worker joined with %+v; want the worker token and its inventory address", *w.joined)
	}
	if len(w.joined.RemoteAddrs) != 1 || w.joined.RemoteAddrs[0] != "192.168.56.11:2377" {
		t.Errorf("worker joined %v, want the first manager's lab address", w.joined.RemoteAddrs)
	}
}

func TestJoinErrorsNeverCarryTokens(t *testing.T) {
	lead := &fakeEngine{tokens: swarm.JoinTokens{Worker: workerToken, Manager: managerToken}}
	w := &fakeEngine{joinErr: errors.New("rpc error: invalid join token " + workerToken)}
	_, err := Ensure(context.Background(), members(lead, w), WithReadyTimeout(0))
	if err == nil {
		t.Fatal("a failed join was not reported")
	}
	if strings.Contains(err.Error(), "SWMTKN") {
		t.Fatalf("a join token reached the error: %v", err)
	}
	if !strings.Contains(err.Error(), "<join token>") {
		t.Errorf("error %q lost the engine's message", err)
	}
}

func TestControllerIsTheManagerWithTheQuorum(t *testing.T) {
	ctl := swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true}
	for _, tc := range []struct {
		name    string
		engines []*fakeEngine
		want    int
	}{
		{"the manager", []*fakeEngine{{info: system.Info{Swarm: ctl}}, {}, {}}, 0},
		{"a worker promoted outside the inventory", []*fakeEngine{{}, {}, {info: system.Info{Swarm: ctl}}}, 2},
		{"no swarm", []*fakeEngine{{}, {}, {}}, -1},
	} {
		if got := Controller(context.Background(), members(tc.engines...)); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// The swarm listens on each host's lab address, the one it advertises, not
// on every address.
func TestEnsureListensOnTheLabAddress(t *testing.T) {
	lead := &fakeEngine{tokens: swarm.JoinTokens{Worker: workerToken, Manager: managerToken}}
	worker := &fakeEngine{info: system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}}}
	ms := members(lead, worker)
	_, _ = Ensure(context.Background(), ms, WithReadyTimeout(0))
	if lead.init == nil || lead.init.ListenAddr != "192.168.56.11:2377" || lead.init.AdvertiseAddr != "192.168.56.11" {
		t.Errorf("swarm init: %+v, want it to listen on 192.168.56.11:2377", lead.init)
	}
	if worker.joined == nil || worker.joined.ListenAddr != "192.168.56.12:2377" {
		t.Errorf("swarm join: %+v, want it to listen on 192.168.56.12:2377", worker.joined)
	}
	if got := ListenAddr(inventory.Host{Address: "fd00::2"}); got != "[fd00::2]:2377" {
		t.Errorf("IPv6 listen address %s", got)
	}
}
