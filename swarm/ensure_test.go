package swarm

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/overlab/overlab/inventory"
)

func membersWithRoles(roles ...string) []Member {
	out := make([]Member, len(roles))
	for i, r := range roles {
		out[i] = Member{Host: inventory.Host{Name: "h" + string(rune('1'+i)), Role: r}}
	}
	return out
}

func TestJoinOrder(t *testing.T) {
	const m, w = inventory.RoleManager, inventory.RoleWorker
	for _, tc := range []struct {
		name              string
		roles             []string
		lead              int
		managers, workers []int
	}{
		{"leader only", []string{m}, 0, nil, nil},
		{"one manager, two workers", []string{m, w, w}, 0, nil, []int{1, 2}},
		{"managers in inventory order", []string{w, m, m, w, m}, 1, []int{2, 4}, []int{0, 3}},
	} {
		ms, ws := joinOrder(membersWithRoles(tc.roles...), tc.lead)
		if !slices.Equal(ms, tc.managers) || !slices.Equal(ws, tc.workers) {
			t.Errorf("%s: managers %v workers %v, want %v %v", tc.name, ms, ws, tc.managers, tc.workers)
		}
	}
}

func TestFirstManager(t *testing.T) {
	const m, w = inventory.RoleManager, inventory.RoleWorker
	for _, tc := range []struct {
		roles []string
		want  int
	}{
		{[]string{m, w}, 0},
		{[]string{w, w, m, m}, 2},
		{[]string{w, w}, -1},
		{nil, -1},
	} {
		if got := firstManager(membersWithRoles(tc.roles...)); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.roles, got, tc.want)
		}
	}
}

// TestInitLeader drives the one step that decides whether the first
// manager inits, keeps or leaves a swarm.
func TestInitLeader(t *testing.T) {
	for _, tc := range []struct {
		name          string
		state         swarm.Info
		force         bool
		inits, leaves bool
		err           string
	}{
		{"no swarm: init", swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}, false, true, false, ""},
		{"leads already: keep", swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true}, false, false, false, ""},
		{"a worker elsewhere: refuse", swarm.Info{LocalNodeState: swarm.LocalNodeStateActive}, false, false, false, "--force"},
		{"locked: refuse", swarm.Info{LocalNodeState: swarm.LocalNodeStateLocked}, false, false, false, "locked"},
		{"a worker elsewhere, --force: leave and init", swarm.Info{LocalNodeState: swarm.LocalNodeStateActive}, true, true, true, ""},
	} {
		f := &fakeEngine{info: system.Info{Swarm: tc.state}}
		e := &ensure{o: newOptions([]Option{WithForce(tc.force)}), members: members(f), lead: 0, joined: map[string]bool{}}
		e.infos = []system.Info{f.info}
		err := e.initLeader(context.Background())
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
		if f.inited != tc.inits || f.left != tc.leaves || e.joined["node1"] != tc.inits {
			t.Errorf("%s: inited %v left %v joined %v, want %v %v %v", tc.name, f.inited, f.left, e.joined["node1"], tc.inits, tc.leaves, tc.inits)
		}
		if tc.inits && !e.infos[0].Swarm.ControlAvailable {
			t.Errorf("%s: the leader's info was not read again after init", tc.name)
		}
	}
}

// A host that an interrupted up left pending (its engine went on with the
// init or join) is waited for and taken as it turns out: the next up goes
// on without --force.
func TestSettlePending(t *testing.T) {
	pending := system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStatePending}}
	leads := system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, ControlAvailable: true, NodeID: "n1"}}
	joined := system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateActive, NodeID: "n2"}}
	lead := &fakeEngine{info: pending, later: []system.Info{pending, pending, leads}}
	worker := &fakeEngine{info: pending, later: []system.Info{pending, joined}}
	idle := &fakeEngine{info: system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}}}
	ms := members(lead, worker, idle)
	e := &ensure{o: newOptions(nil), members: ms, lead: 0, joined: map[string]bool{}, pending: map[string]bool{}}
	if err := e.readInfos(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.settlePending(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.infos[0].Swarm.NodeID != "n1" || e.infos[1].Swarm.NodeID != "n2" || !e.pending["node1"] || !e.pending["node2"] || e.pending["node3"] {
		t.Errorf("infos %+v %+v, pending %v", e.infos[0].Swarm, e.infos[1].Swarm, e.pending)
	}
	// The leader now leads: initLeader keeps that swarm, no --force needed.
	if err := e.initLeader(context.Background()); err != nil || lead.inited || lead.left {
		t.Errorf("initLeader after a pending init: %v (inited %v, left %v)", err, lead.inited, lead.left)
	}

	// A host that stays pending is named, with the ways out.
	stuck := &fakeEngine{info: pending}
	e = &ensure{o: newOptions([]Option{func(o *options) { o.pendingWait = 300 * time.Millisecond }}), members: members(stuck), lead: 0, pending: map[string]bool{}}
	_ = e.readInfos(context.Background())
	if err := e.settlePending(context.Background()); err == nil || !strings.Contains(err.Error(), "node1") || !strings.Contains(err.Error(), "still pending") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a host stuck pending: %v", err)
	}
}
