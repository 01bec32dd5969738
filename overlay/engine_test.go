package overlay

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
)

// fakeEngine is one host's networks, kept in memory.
type fakeEngine struct {
	mu     sync.Mutex
	nets   []network.Summary
	busy   map[string]int // network ID -> removals refused as in use before it goes
	failOn string         // network name whose creation fails
}

func (f *fakeEngine) NetworkCreate(_ context.Context, name string, o network.CreateOptions) (network.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == f.failOn {
		return network.CreateResponse{}, fmt.Errorf("pool overlaps")
	}
	n := network.Summary{ID: "id-" + name, Name: name, Driver: o.Driver, Scope: o.Scope, Labels: o.Labels, ConfigOnly: o.ConfigOnly}
	if o.ConfigFrom != nil {
		n.ConfigFrom = *o.ConfigFrom
	}
	if o.ConfigOnly {
		n.Driver = "null" // what the engine reports for a config-only network
	}
	f.nets = append(f.nets, n)
	return network.CreateResponse{ID: n.ID}, nil
}

func (f *fakeEngine) NetworkList(context.Context, network.ListOptions) ([]network.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]network.Summary(nil), f.nets...), nil
}

func (f *fakeEngine) NetworkRemove(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy[id] > 0 {
		f.busy[id]--
		return cerrdefs.ErrPermissionDenied.WithMessage("network has active endpoints")
	}
	for i, n := range f.nets {
		if n.ID == id {
			f.nets = append(f.nets[:i], f.nets[i+1:]...)
			return nil
		}
	}
	return cerrdefs.ErrNotFound
}

func (f *fakeEngine) names() []string {
	var out []string
	for _, n := range f.nets {
		out = append(out, n.Name)
	}
	return out
}

func twoHosts() ([]Host, []*fakeEngine) {
	e := []*fakeEngine{{busy: map[string]int{}}, {busy: map[string]int{}}}
	return []Host{{Name: "node1", API: e[0]}, {Name: "node2", API: e[1]}}, e
}

// testNetworks are the networks of a lab of an overlay, a bridge and a
// swarm macvlan, compiled for two hosts.
func testNetworks(t *testing.T) []Wanted {
	t.Helper()
	l, err := lab.Parse([]byte(`
name: t
networks:
  - {name: ov, driver: overlay, attachable: true}
  - {name: br, driver: bridge}
  - {name: mv, driver: macvlan, scope: swarm, attachable: true}
workloads:
  - {name: p, kind: container, networks: [br]}
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	bp, err := blueprint.Compile(l, []blueprint.Host{{Name: "node1", Address: "192.168.56.11", Role: "manager"}, {Name: "node2", Address: "192.168.56.12", Role: "worker"}})
	if err != nil {
		t.Fatal(err)
	}
	var out []Wanted
	for _, n := range bp.Networks {
		out = append(out, Wanted{Name: n.Name, Creates: n.Creates})
	}
	return out
}

func TestEnsureCreatesEachNetworkWhereItLivesOnce(t *testing.T) {
	hosts, e := twoHosts()
	s := Spec{Lab: "t", Networks: testNetworks(t), Hosts: hosts, Leader: 0}
	did, err := Ensure(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Swarm-scoped on the leader only; local and config-only on every host.
	if got := strings.Join(e[0].names(), " "); got != "ov br mv-config mv" && got != "ov br "+netdriver.ConfigOnlyName("mv")+" mv" {
		t.Errorf("leader has %q", got)
	}
	if got := strings.Join(e[1].names(), " "); got != "br "+netdriver.ConfigOnlyName("mv") {
		t.Errorf("node2 has %q", got)
	}
	if len(did) != 6 {
		t.Errorf("actions %q, want 6", did)
	}
	again, err := Ensure(context.Background(), s)
	if err != nil || len(again) != 0 {
		t.Errorf("second Ensure did %q, %v; want nothing", again, err)
	}
}

func TestEnsureRefusesAnotherLabsNetworkAndNamesTheHost(t *testing.T) {
	hosts, e := twoHosts()
	e[1].nets = []network.Summary{{ID: "x", Name: "br", Driver: "bridge", Labels: lab.Labels("other")}}
	_, err := Ensure(context.Background(), Spec{Lab: "t", Networks: testNetworks(t), Hosts: hosts})
	if err == nil || !strings.Contains(err.Error(), `node2: network "br" belongs to lab "other"`) {
		t.Fatalf("got %v, want the other lab's network refused, named by host", err)
	}
	if len(e[1].nets) != 1 {
		t.Errorf("the other lab's network was touched: %+v", e[1].nets)
	}
}

func TestRemoveTakesOnlyTheLabsNetworksAndWaitsForEndpoints(t *testing.T) {
	hosts, e := twoHosts()
	s := Spec{Lab: "t", Networks: testNetworks(t), Hosts: hosts}
	if _, err := Ensure(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	mine := network.Summary{ID: "user", Name: "users-own", Driver: "bridge"}
	e[1].nets = append(e[1].nets, mine)
	e[1].busy["id-br"] = 2 // its containers take a moment to go
	did, err := Remove(context.Background(), "t", hosts, 0, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(e[0].nets) != 0 || len(e[1].nets) != 1 || e[1].nets[0].Name != "users-own" {
		t.Errorf("left %q and %q; want only the user's own network", e[0].names(), e[1].names())
	}
	if len(did) != 6 {
		t.Errorf("actions %q", did)
	}
}

func TestEnsureStopsAtTheFirstHostThatFails(t *testing.T) {
	hosts, e := twoHosts()
	e[1].failOn = "br"
	_, err := Ensure(context.Background(), Spec{Lab: "t", Networks: testNetworks(t), Hosts: hosts})
	if err == nil || !strings.Contains(err.Error(), `network "br": node2: creating bridge network "br": pool overlaps`) {
		t.Fatalf("got %v", err)
	}
}

// A network of the lab's name that overlab did not make (no label) stops
// up: using it would make the matrix about someone else's network.
func TestEnsureRefusesANetworkOverlabDidNotMake(t *testing.T) {
	hosts, e := twoHosts()
	e[0].nets = []network.Summary{{ID: "u", Name: "ov", Driver: "overlay", Scope: "swarm", Attachable: true,
		IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: "10.99.0.0/24"}}}}}
	_, err := Ensure(context.Background(), Spec{Lab: "t", Networks: testNetworks(t), Hosts: hosts})
	want := `network "ov": node1: network "ov" on node1 is not overlab's (driver overlay, scope swarm, subnet 10.99.0.0/24, attachable true): overlab neither uses nor changes it; give the lab's network another name, or check that network read-only with ` + "`overlab check --networks ov`"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if len(e[0].nets) != 1 || len(e[1].nets) != 0 {
		t.Errorf("something was created or changed: %+v %+v", e[0].nets, e[1].nets)
	}
}
