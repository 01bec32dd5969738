package runner

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"
)

func TestPeersLagNamesTheMissingPeer(t *testing.T) {
	addrs := map[string]string{"192.168.64.11": "node1", "192.168.64.12": "node2", "192.168.64.13": "node3"}
	want := map[string]bool{"node1": true, "node2": true, "node3": true}
	view := []network.PeerInfo{{Name: "vm-a", IP: "192.168.64.11"}, {Name: "node3", IP: "192.168.64.13"}}
	if got := peersLag(view, want, addrs); got != "knows 2 of 3 peers, not node2" {
		t.Errorf("peersLag = %q", got)
	}
	// A peer the inventory does not know (another swarm's node) counts in
	// the view but names nobody.
	view = append(view, network.PeerInfo{Name: "x", IP: "10.9.9.9"})
	if got := peersLag(view[:1], want, addrs); !strings.HasSuffix(got, "not node2, node3") {
		t.Errorf("peersLag = %q", got)
	}
}

func TestMissingTaskHosts(t *testing.T) {
	addrs := map[string]string{"192.168.64.11": "node1", "192.168.64.12": "node2", "192.168.64.13": "node3"}
	placed := []string{"node1", "node2", "node3"}
	tasks := []network.Task{{Name: "overlab-probe.a.1", Info: map[string]string{"Host IP": "192.168.64.11"}}, {Name: "overlab-probe.c.3", Info: map[string]string{"Host IP": "192.168.64.13"}}}
	if got := missingTaskHosts(tasks, placed, addrs); strings.Join(got, ",") != "node2" {
		t.Errorf("missing = %v, want node2", got)
	}
	// A known task whose host cannot be told: no guess.
	tasks[1].Info = nil
	if got := missingTaskHosts(tasks, placed, addrs); got != nil {
		t.Errorf("missing = %v, want nothing when a known task's host is unknown", got)
	}
}
