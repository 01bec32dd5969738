package swarm

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/hashicorp/go-multierror"
)

// leaveGossipWait is how long a host that left may still hold its gossip
// port before it counts as stale. The engine closes its control plane
// before the leave call returns (daemon.DaemonLeavesCluster waits for it),
// so this is only a margin, and it only delays the broken case.
const leaveGossipWait = 500 * time.Millisecond

// ownership is what overlab made of a swarm, read from the labels Ensure
// set: the swarm itself when overlab initialised it, else the nodes it
// joined.
type ownership struct {
	lead    int  // member index of a manager in control, -1 when none
	created bool // overlab initialised the swarm
	joined  map[string]bool
}

func (w ownership) owns(nodeID string) bool { return w.created || w.joined[nodeID] }

func readOwnership(ctx context.Context, members []Member, infos []system.Info) (ownership, error) {
	w := ownership{lead: -1, joined: map[string]bool{}}
	for i, m := range members {
		if m.Host.IsManager() && infos[i].Swarm.ControlAvailable {
			w.lead = i
			break
		}
	}
	if w.lead < 0 {
		return w, nil
	}
	api := members[w.lead].API
	sw, err := api.SwarmInspect(ctx)
	if err != nil {
		return w, fmt.Errorf("%s: swarm inspect: %w", members[w.lead].Host.Name, err)
	}
	w.created = sw.Spec.Labels[CreatedLabel] == "true"
	nodes, err := api.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return w, fmt.Errorf("%s: node list: %w", members[w.lead].Host.Name, err)
	}
	for _, n := range nodes {
		w.joined[n.ID] = n.Spec.Labels[JoinedLabel] == "true"
	}
	return w, nil
}

// Leave undoes what Ensure did: every member leaves a swarm that overlab
// initialised; in a swarm that was there before, only the nodes overlab
// joined leave (managers demoted first) and are removed from its node list,
// and the user's own nodes stay. Workers leave together, then managers one
// at a time, the leading one last. A host that keeps its gossip port after
// leaving is repaired or named (StaleGossipError). Every host's error is
// collected.
func Leave(ctx context.Context, members []Member, opts ...Option) ([]string, error) {
	o := newOptions(opts)
	infos := make([]system.Info, len(members))
	var result *multierror.Error
	if err := each(ctx, members, func(ctx context.Context, i int, m Member) error {
		info, err := m.API.Info(ctx)
		infos[i] = info
		return err
	}); err != nil {
		result = multierror.Append(result, err)
	}
	own, err := readOwnership(ctx, members, infos)
	if err != nil {
		return nil, multierror.Append(result, err)
	}
	l := &leaving{members: members, infos: infos, own: own, o: o}
	l.sort()
	if len(l.foreign) > 0 {
		result = multierror.Append(result, fmt.Errorf("%s: in a swarm whose manager is not reachable, so overlab cannot tell whether it made them join: leave by hand if so (`docker swarm leave --force`)", strings.Join(l.names(l.foreign), ", ")))
	}
	result = multierror.Append(result, l.leaveAll(ctx))
	// The user's own nodes stay, without the label up put on them.
	for _, i := range l.stay {
		if err := unlabel(ctx, members[own.lead].API, infos[i].Swarm.NodeID); err != nil {
			result = multierror.Append(result, fmt.Errorf("%s: removing label %s: %w", members[i].Host.Name, HostLabel, err))
		}
	}
	sort.Strings(l.actions)
	return l.actions, result.ErrorOrNil()
}

// leaving is one Leave: who leaves in which order, and what was done.
type leaving struct {
	members []Member
	infos   []system.Info
	own     ownership
	o       options

	workers, managers, foreign, stay []int

	mu      sync.Mutex
	actions []string
	left    []int
}

// sort puts each member in its group: workers leave together, managers one
// by one with the first one last, foreign ones (a swarm with no reachable
// manager) and the user's own nodes stay.
func (l *leaving) sort() {
	for i, m := range l.members {
		si := l.infos[i].Swarm
		switch {
		case si.LocalNodeState == swarm.LocalNodeStateInactive || si.LocalNodeState == "":
		case l.own.lead < 0:
			l.foreign = append(l.foreign, i)
		case !l.own.owns(si.NodeID):
			l.stay = append(l.stay, i)
		case i == l.own.lead:
			l.managers = append(l.managers, i)
		case m.Host.IsManager() || si.ControlAvailable:
			l.managers = append([]int{i}, l.managers...)
		default:
			l.workers = append(l.workers, i)
		}
	}
}

func (l *leaving) names(idx []int) []string {
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, l.members[i].Host.Name)
	}
	return out
}

func (l *leaving) note(acts ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.actions = append(l.actions, acts...)
}

// leaveAll makes the workers leave together, then the managers one by one,
// then checks that every host that left let go of its gossip port (all at
// once, after the last leave, so that no repair delays another leave).
func (l *leaving) leaveAll(ctx context.Context) error {
	var result *multierror.Error
	leave := func(ctx context.Context, i int, m Member) error {
		acts, err := leaveOne(ctx, m, l.infos[i].Swarm, l.own, l.members, l.o)
		l.note(acts...)
		if len(acts) > 0 {
			l.mu.Lock()
			l.left = append(l.left, i)
			l.mu.Unlock()
		}
		return err
	}
	if err := eachOf(ctx, l.members, l.workers, leave); err != nil {
		result = multierror.Append(result, err)
	}
	for _, i := range l.managers {
		if err := leave(ctx, i, l.members[i]); err != nil {
			result = multierror.Append(result, multierror.Prefix(err, l.members[i].Host.Name+":"))
		}
	}
	if err := eachOf(ctx, l.members, l.left, func(ctx context.Context, _ int, m Member) error {
		fixed, err := releaseGossip(ctx, m, l.o, leaveGossipWait)
		if fixed != "" {
			l.note(fixed)
		}
		return err
	}); err != nil {
		result = multierror.Append(result, err)
	}
	return result.ErrorOrNil()
}

func unlabel(ctx context.Context, api API, id string) error {
	n, _, err := api.NodeInspectWithRaw(ctx, id)
	if err != nil {
		return err
	}
	if _, ok := n.Spec.Labels[HostLabel]; !ok {
		return nil
	}
	delete(n.Spec.Labels, HostLabel)
	return api.NodeUpdate(ctx, id, n.Version, n.Spec)
}

// leaveOne takes one member out; in a swarm overlab did not create, the
// manager in control demotes it first and forgets it after.
func leaveOne(ctx context.Context, m Member, si swarm.Info, own ownership, members []Member, o options) ([]string, error) {
	var lead API
	if !own.created && own.lead >= 0 && members[own.lead].Host.Name != m.Host.Name {
		lead = members[own.lead].API
	}
	if lead != nil && si.ControlAvailable {
		if err := setRole(ctx, lead, si.NodeID, swarm.NodeRoleWorker); err != nil {
			return nil, fmt.Errorf("demoting it before it leaves: %w", err)
		}
	}
	if err := m.API.SwarmLeave(ctx, true); err != nil {
		return nil, fmt.Errorf("swarm leave: %w", err)
	}
	o.logger.V(1).Infof("%s: left the swarm", m.Host.Name)
	acts := []string{m.Host.Name + ": left the swarm"}
	if lead != nil {
		if err := removeNode(ctx, lead, si.NodeID); err != nil {
			return acts, fmt.Errorf("removing it from the swarm it joined: %w", err)
		}
	}
	return acts, nil
}

func setRole(ctx context.Context, api API, id string, role swarm.NodeRole) error {
	n, _, err := api.NodeInspectWithRaw(ctx, id)
	if err != nil {
		return err
	}
	if n.Spec.Role == role {
		return nil
	}
	n.Spec.Role = role
	return api.NodeUpdate(ctx, id, n.Version, n.Spec)
}

// removeNode drops a node that left from the swarm's list; the manager may
// still see it as up for a moment.
func removeNode(ctx context.Context, api API, id string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := api.NodeRemove(ctx, id, swarm.NodeRemoveOptions{Force: true})
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// releaseStale checks every member that is in no swarm for a held gossip
// port, before Ensure makes it join.
func releaseStale(ctx context.Context, members []Member, infos []system.Info, o options) ([]string, error) {
	var idle []int
	for i := range members {
		if st := infos[i].Swarm.LocalNodeState; st == swarm.LocalNodeStateInactive || st == "" {
			idle = append(idle, i)
		}
	}
	var (
		mu      sync.Mutex
		actions []string
	)
	err := eachOf(ctx, members, idle, func(ctx context.Context, _ int, m Member) error {
		fixed, err := releaseGossip(ctx, m, o, 0)
		if fixed != "" {
			mu.Lock()
			actions = append(actions, fixed)
			mu.Unlock()
		}
		return err
	})
	sort.Strings(actions)
	return actions, err
}
