package swarm

import (
	"context"
	"slices"
	"strings"
	"testing"

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
