package runner

import (
	"errors"
	"strings"
	"testing"
	"time"

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

// What settleOverlays reports when its wait ends: every lagging view
// sorted, the services to redeploy once each, the hosts lacking each peer,
// and the lost-attachment hint only when a view lacks a peer.
func TestSettleTallyReportsWhatLagged(t *testing.T) {
	tally := func() *settleTally {
		return &settleTally{services: map[string]bool{}, unseen: map[string][]string{}}
	}
	tl := tally()
	tl.add("net-b", "node2", lagSeen{missing: "knows 2 of 3 tasks of web", services: []string{"web"}, peers: []string{"node3"}})
	tl.add("net-a", "node1", lagSeen{missing: "knows 2 of 3 peers, not node3", services: []string{"web", "api"}, peers: []string{"node3"}, lostPeers: true})
	lag, err := tl.result(5*time.Second, nil)
	if err == nil {
		t.Fatal("no error for lagging views")
	}
	want := "overlay networks did not converge within 5s (check ports 7946/tcp+udp and 4789/udp between the hosts; with those open, " + lostAttachment + "):\n" +
		"  net-a on node1: knows 2 of 3 peers, not node3\n  net-b on node2: knows 2 of 3 tasks of web"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	if strings.Join(lag.Services, ",") != "api,web" {
		t.Errorf("services %v, want api,web", lag.Services)
	}
	if got := strings.Join(lag.Unseen["node3"], ","); got != "node2,node1" {
		t.Errorf("node3 unseen by %q, want node2,node1 (in the order seen)", got)
	}

	// Only tasks lagging: no lost-attachment hint.
	tl = tally()
	tl.add("net", "node1", lagSeen{missing: "knows 1 of 2 tasks of web", services: []string{"web"}})
	if _, err := tl.result(time.Second, nil); err == nil || strings.Contains(err.Error(), "NetworkDB") {
		t.Errorf("tasks lagging: %v", err)
	}

	// Nothing lagged: the fan-out's error, and nothing to repair.
	lag, err = tally().result(time.Second, errors.New("node2: connection refused"))
	if err == nil || err.Error() != "node2: connection refused" || lag.Services != nil || lag.Unseen != nil {
		t.Errorf("nothing lagging: %v, %+v", err, lag)
	}
}
