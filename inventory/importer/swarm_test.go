package importer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/overlab/overlab/inventory"
)

// The node1 of the recorded fixtures: `GET /nodes` of a 3-node swarm made
// with the CLI on local hosts (Engine 20.10), trimmed of plugins and TLS.
const recordedSelf = "l8dnenmoo5v4d3ka0e4a13ttr"

func swarmFixture(t *testing.T, name string) []swarm.Node {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "swarm", name))
	if err != nil {
		t.Fatal(err)
	}
	var nodes []swarm.Node
	if err := json.Unmarshal(data, &nodes); err != nil {
		t.Fatal(err)
	}
	return nodes
}

var labDefaults = inventory.Defaults{User: "root", Port: 22, IdentityFile: "/var/lib/overlab/hscale/hscale/id_ed25519", KnownHosts: "/var/lib/overlab/hscale/hscale/known_hosts"}

func TestFromSwarm(t *testing.T) {
	tests := []struct {
		name, fixture string
		opts          SwarmOptions
		notes         []string // each a substring of one note, in order
	}{
		{name: "recorded-3", fixture: "recorded-3.json", opts: SwarmOptions{Defaults: labDefaults, SelfDial: "192.168.70.11", SelfPort: 22},
			notes: []string{`node2: node label "Rack" is left out`}},
		{name: "through-a-forward", fixture: "recorded-3.json", opts: SwarmOptions{Defaults: inventory.Defaults{User: "vagrant"}, SelfDial: "127.0.0.1", SelfPort: 2222, ProxyJump: "ops@bastion:2200"},
			notes: []string{`node2: node label "Rack"`}},
		{name: "troubled", fixture: "troubled.json", opts: SwarmOptions{Defaults: labDefaults, SelfDial: "192.168.70.11", SelfPort: 22},
			notes: []string{
				`clone: 2 live nodes have this hostname (cloned machines?); node c1clone00000 is named clone-c1clone00000`,
				`clone: 2 live nodes have this hostname (cloned machines?); node c2clone00000 is named clone-c2clone00000`,
				`manager-2: hostname "manager-2.very-long-subdomain-name-that-goes-on.very-long-subdomain-name-that-goes-on.example.com" is not a plain name overlab can give containers; it is named manager-2`,
				`node1: the swarm reports its address as "0.0.0.0"; its manager address 192.168.70.11 is used instead`,
				`node2: node label "Rack" is left out`,
				`node3: node x3stale00000 is left out: a stale entry (down) of a host that is in the swarm again under another ID; ` + "`docker node rm x3stale00000`",
				`node4 (node n4zeroaddr00) is left out: the swarm reports address 0.0.0.0 for it`,
				`node5: drained (availability drain)`,
				`node6: the swarm sees it down (heartbeat failure); it is imported`,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, notes, err := FromSwarm(Swarm{From: "node1", Self: recordedSelf, Nodes: swarmFixture(t, tc.fixture)}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(notes) != len(tc.notes) {
				t.Errorf("%d notes, want %d:\n%s", len(notes), len(tc.notes), strings.Join(notes, "\n"))
			}
			for i, want := range tc.notes {
				if i < len(notes) && !strings.Contains(notes[i], want) {
					t.Errorf("note %d: %q\nwant it to contain %q", i, notes[i], want)
				}
			}
			if err := inv.Validate(inventory.WithLookup(offline)); err != nil && !strings.Contains(err.Error(), "identity_file") {
				t.Errorf("the imported inventory does not validate: %v", err)
			}
			roundTrip(t, "swarm-"+tc.name+".yaml", inv, SwarmHeader("node1", notes))
		})
	}
}

func offline(context.Context, string) ([]string, error) {
	return nil, errors.New("no lookups in tests")
}

func TestFromSwarmNoneUsable(t *testing.T) {
	_, _, err := FromSwarm(Swarm{From: "mgr", Nodes: swarmFixture(t, "none-usable.json")}, SwarmOptions{})
	if err == nil || !strings.Contains(err.Error(), "mgr lists 1 nodes and none can be imported:\n- node4 (node n4zeroaddr00) is left out") {
		t.Errorf("err %v", err)
	}
}

// fakeManager answers Info and NodeList as an engine would; every other
// call of the embedded interface would panic: ReadSwarm makes none.
type fakeManager struct {
	info  system.Info
	nodes []swarm.Node
	err   error
	lists int
}

func (f *fakeManager) Info(context.Context) (system.Info, error) { return f.info, f.err }

func (f *fakeManager) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	f.lists++
	return f.nodes, nil
}

func TestReadSwarm(t *testing.T) {
	nodes := swarmFixture(t, "recorded-3.json")
	tests := []struct {
		name  string
		f     *fakeManager
		err   string
		lists int
	}{
		{name: "a manager", f: &fakeManager{info: system.Info{Swarm: swarm.Info{NodeID: recordedSelf, LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true}}, nodes: nodes}, lists: 1},
		{name: "a worker", f: &fakeManager{info: system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateActive,
			RemoteManagers: []swarm.Peer{{Addr: "192.168.70.11:2377"}, {Addr: "192.168.70.10:2377"}}}}},
			err: "node2 is a worker: only a manager lists the swarm's nodes; --from one of its managers (at 192.168.70.10, 192.168.70.11)"},
		{name: "no swarm", f: &fakeManager{info: system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}}},
			err: "node2: its engine is in no swarm (swarm state inactive); --from a manager"},
		{name: "a swarm in error", f: &fakeManager{info: system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateError, Error: "raft: lost quorum"}}},
			err: "(swarm state error: raft: lost quorum)"},
		{name: "the engine does not answer", f: &fakeManager{err: errors.New("Cannot connect to the Docker daemon")},
			err: "node2: docker info: Cannot connect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadSwarm(context.Background(), tc.f, "node2")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
			} else if err != nil || s.Self != recordedSelf || len(s.Nodes) != 3 {
				t.Fatalf("%+v %v", s, err)
			}
			if tc.f.lists != tc.lists {
				t.Errorf("%d node lists, want %d", tc.f.lists, tc.lists)
			}
		})
	}
}
