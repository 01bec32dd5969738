package runner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/network"
)

// A host whose view of an overlay lacks a peer did not learn, through
// NetworkDB's gossip, that the peer attached the network: the attachment
// travels only as a network event, relayed a bounded number of times, and
// a host that misses it rejects every entry of that peer for the network
// (its tasks' addresses, its VXLAN endpoint). Docker repairs it only by
// memberlist's push/pull, one random peer every 30 s; moby/moby#53437
// (carry network attachments in bulk syncs) is its fix, in no release yet.
// docs/churn.md §2 has the evidence.
const lostAttachment = "Docker's overlay control plane (NetworkDB) lost the gossip of a network attachment: the host rejects that peer's entries on the network until memberlist's push/pull repairs it (one random peer every 30 s; Docker's fix moby/moby#53437 is in no release yet)"

// missingPeers names the hosts of want that a host's view of a network
// lacks, by their advertise address (a peer's Name is its engine's
// hostname, not always the inventory's); addrs maps addresses to hosts.
func missingPeers(view []network.PeerInfo, want map[string]bool, addrs map[string]string) []string {
	known := map[string]bool{}
	for _, p := range view {
		if h, ok := addrs[p.IP]; ok {
			known[h] = true
		}
	}
	var out []string
	for h := range want {
		if !known[h] {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// peersLag says which peers a host's view lacks: "knows 7 of 8 peers, not
// node3".
func peersLag(view []network.PeerInfo, want map[string]bool, addrs map[string]string) string {
	msg := fmt.Sprintf("knows %d of %d peers", len(view), len(want))
	if miss := missingPeers(view, want, addrs); len(miss) > 0 {
		msg += ", not " + strings.Join(miss, ", ")
	}
	return msg
}

// settleLag is what settleOverlays found lagging when its wait ended.
type settleLag struct {
	// Services are those whose redeploy is the blanket repair.
	Services []string
	// Unseen maps a peer to the hosts whose view lacks its attachment or
	// its task: the peer whose re-announcement is the targeted repair.
	Unseen map[string][]string
}

// missingTaskHosts names the placed hosts whose task a view lacks, from the
// hosts of the tasks it knows (their overlay entry's "Host IP"); nothing
// when a known task's host cannot be told, rather than a guess.
func missingTaskHosts(tasks []network.Task, placed []string, addrs map[string]string) []string {
	known := map[string]bool{}
	for _, t := range tasks {
		h, ok := addrs[t.Info["Host IP"]]
		if !ok {
			return nil
		}
		known[h] = true
	}
	var out []string
	for _, h := range placed {
		if !known[h] {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// lagSeen is what one look at a host's view of a network found lagging.
type lagSeen struct {
	missing  string
	services []string
	peers    []string
	// lostPeers: the host lacks peers of the network (not only tasks).
	lostPeers bool
}
