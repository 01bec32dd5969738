package swarm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/hashicorp/go-multierror"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/interrupt"
	"github.com/overlab/overlab/inventory"
	"github.com/overlab/overlab/log"
)

// HostLabel is the node label that maps a swarm node to its inventory host,
// so placement works whatever the machine's hostname is.
const HostLabel = "overlab.host"

// CreatedLabel, on the swarm's own spec, records that overlab initialised
// the swarm; JoinedLabel, on a node, that overlab made that node join. Leave
// undoes exactly that and nothing the user made.
const (
	CreatedLabel = "overlab.created"
	JoinedLabel  = "overlab.joined"
)

// API is what this package needs of one engine.
type API interface {
	Info(ctx context.Context) (system.Info, error)
	SwarmInit(ctx context.Context, req swarm.InitRequest) (string, error)
	SwarmJoin(ctx context.Context, req swarm.JoinRequest) error
	SwarmInspect(ctx context.Context) (swarm.Swarm, error)
	SwarmLeave(ctx context.Context, force bool) error
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
	NodeInspectWithRaw(ctx context.Context, nodeID string) (swarm.Node, []byte, error)
	NodeUpdate(ctx context.Context, nodeID string, version swarm.Version, node swarm.NodeSpec) error
	NodeRemove(ctx context.Context, nodeID string, options swarm.NodeRemoveOptions) error
}

// Member is one host as the swarm package sees it.
type Member struct {
	Host  inventory.Host
	API   API
	Shell Shell // nil: the gossip port is not checked
}

// Members maps connected cluster nodes to members.
func Members(c *cluster.Cluster) []Member {
	out := make([]Member, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		out = append(out, Member{Host: n.Host, API: n.Docker(), Shell: n})
	}
	return out
}

// Controller returns the index of the member whose engine controls the swarm
// (a manager that has the quorum), trying inventory managers first, or -1
// when none does. It is the one way overlab finds the manager to ask about
// services, tasks and nodes.
func Controller(ctx context.Context, members []Member) int {
	order := make([]int, 0, len(members))
	for i, m := range members {
		if m.Host.IsManager() {
			order = append(order, i)
		}
	}
	for i, m := range members {
		if !m.Host.IsManager() {
			order = append(order, i)
		}
	}
	for _, i := range order {
		if info, err := members[i].API.Info(ctx); err == nil && info.Swarm.ControlAvailable {
			return i
		}
	}
	return -1
}

type options struct {
	logger      log.Logger
	force       bool
	readyWait   time.Duration
	restarter   EngineRestarter
	finishBound time.Duration
	pendingWait time.Duration
}

// Option configures Ensure and Leave.
type Option func(*options)

// WithLogger injects the logger.
func WithLogger(l log.Logger) Option { return func(o *options) { o.logger = l } }

// WithForce makes a host that is in another swarm leave it first.
func WithForce(f bool) Option { return func(o *options) { o.force = f } }

// WithReadyTimeout bounds the wait for every node to be Ready.
func WithReadyTimeout(d time.Duration) Option { return func(o *options) { o.readyWait = d } }

// WithFinishBound bounds how long Ensure goes on after the first Ctrl-C
// to finish what it began (default 30 s; see Ensure).
func WithFinishBound(d time.Duration) Option { return func(o *options) { o.finishBound = d } }

// WithEngineRestarter lets Ensure and Leave restart the engine of a host
// that kept its gossip port after leaving a swarm (see StaleGossipError).
func WithEngineRestarter(r EngineRestarter) Option { return func(o *options) { o.restarter = r } }

func newOptions(opts []Option) options {
	o := options{logger: log.NoOp{}, readyWait: 60 * time.Second, finishBound: 30 * time.Second, pendingWait: 30 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Result says what Ensure did.
type Result struct {
	ClusterID string
	Leader    string   // the inventory name of the manager that was used
	Actions   []string // human-readable changes; empty when nothing changed
	// NodeIDs maps inventory names to swarm node IDs.
	NodeIDs map[string]string
}

// Ensure makes every member part of one swarm led from the first manager.
// Hosts already in this swarm are left alone; a host in another swarm is an
// error unless WithForce. It runs the steps of ensureSteps in order.
//
// Once it begins to change the swarm (the init), it finishes what it began
// (joins, node labels) even after a first Ctrl-C, within a bound it
// announces; a second Ctrl-C stops it at once. An engine goes on with an
// init or a join whose client went away, so stopping half-way would leave a
// host "pending" in a swarm without overlab's labels; and a host that an
// earlier, hard-stopped run left pending is waited for and taken as it
// turns out (settlePending), so the next up carries on without --force.
func Ensure(ctx context.Context, members []Member, opts ...Option) (Result, error) {
	e := &ensure{o: newOptions(opts), members: members, lead: firstManager(members), joined: map[string]bool{}, pending: map[string]bool{}}
	if e.lead < 0 {
		return e.res, errors.New("no manager among the reachable hosts: give one host role: manager in the inventory")
	}
	e.res.Leader = members[e.lead].Host.Name
	stepCtx := ctx
	for i, step := range ensureSteps {
		if i == firstChange {
			if err := ctx.Err(); err != nil {
				return e.res, err // nothing begun: nothing to finish
			}
			fctx, cancel := interrupt.Finish(ctx, e.o.finishBound, e.announceFinish)
			defer cancel()
			stepCtx = fctx
		}
		if err := step(e, stepCtx); err != nil {
			return e.res, err
		}
	}
	return e.res, nil
}

func (e *ensure) announceFinish(bound time.Duration) {
	e.o.logger.V(0).Infof("interrupted: finishing the swarm step that began (init on %s, joins, node labels), at most %v; Ctrl-C again to stop now", e.leader().Host.Name, bound)
}

// ensureSteps are the phases of Ensure, in order; each stops it on error.
// From firstChange on they change the swarm, and finish once begun.
var ensureSteps = []func(*ensure, context.Context) error{
	(*ensure).readInfos,
	(*ensure).settlePending,
	(*ensure).releaseStale,
	(*ensure).initLeader,
	(*ensure).inspect,
	(*ensure).joinAll,
	(*ensure).waitReady,
	(*ensure).label,
}

// firstChange is the index in ensureSteps of initLeader.
const firstChange = 3

// ensure is what the steps of Ensure share.
type ensure struct {
	o       options
	members []Member
	lead    int           // index of the first manager
	infos   []system.Info // each member's engine, as last read
	sw      swarm.Swarm   // the leader's swarm, with its join tokens
	inSwarm map[string]bool
	remote  string          // the address the others join at
	joined  map[string]bool // hosts overlab made join (or init)
	pending map[string]bool // hosts found pending: an interrupted init or join
	res     Result
}

// firstManager returns the index of the first inventory manager, or -1.
func firstManager(members []Member) int {
	for i, m := range members {
		if m.Host.IsManager() {
			return i
		}
	}
	return -1
}

func (e *ensure) leader() Member { return e.members[e.lead] }

func (e *ensure) readInfos(ctx context.Context) error {
	e.infos = make([]system.Info, len(e.members))
	return each(ctx, e.members, func(ctx context.Context, i int, m Member) error {
		info, err := m.API.Info(ctx)
		e.infos[i] = info
		return err
	})
}

// settlePending waits for every member found pending: an init or join that
// an interrupted up began and its engine went on with (or a join that
// cannot reach its manager). Each settles as active (in this swarm or not:
// the steps after decide) or inactive, within pendingWait.
func (e *ensure) settlePending(ctx context.Context) error {
	var idx []int
	for i := range e.members {
		if e.infos[i].Swarm.LocalNodeState == swarm.LocalNodeStatePending {
			idx = append(idx, i)
		}
	}
	var mu sync.Mutex
	return eachOf(ctx, e.members, idx, func(ctx context.Context, i int, m Member) error {
		start := time.Now()
		deadline := start.Add(e.o.pendingWait)
		for {
			info, err := m.API.Info(ctx)
			if err != nil {
				return err
			}
			if st := info.Swarm.LocalNodeState; st != swarm.LocalNodeStatePending {
				e.infos[i] = info
				e.o.logger.V(0).Infof("%s: was pending in a swarm (an init or join that an interrupted up began?); now %s after %v", m.Host.Name, st, time.Since(start).Round(10*time.Millisecond))
				mu.Lock()
				e.pending[m.Host.Name] = true
				mu.Unlock()
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("still pending in a swarm after %v (a join whose manager it cannot reach?): run `overlab up --force` to make it leave, or `docker swarm leave --force` on it", e.o.pendingWait)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}

// releaseStale: a host out of any swarm that still holds the gossip port
// would join and never gossip: repair it or stop before anything is created.
func (e *ensure) releaseStale(ctx context.Context) error {
	released, err := releaseStale(ctx, e.members, e.infos, e.o)
	e.res.Actions = append(e.res.Actions, released...)
	return err
}

// initLeader makes the first manager lead a swarm: the one it already leads,
// or a new one (after leaving a swarm it does not lead, with --force).
func (e *ensure) initLeader(ctx context.Context) error {
	leader := e.leader()
	li := e.infos[e.lead].Swarm
	switch {
	case li.LocalNodeState == swarm.LocalNodeStateActive && li.ControlAvailable:
		// The first manager already leads a swarm: that swarm is "this" one.
		return nil
	case li.LocalNodeState == swarm.LocalNodeStateActive || li.LocalNodeState == swarm.LocalNodeStatePending || li.LocalNodeState == swarm.LocalNodeStateLocked:
		if !e.o.force {
			return fmt.Errorf("%s: already in a swarm as a worker (or %s), but it must lead the lab's swarm: run `overlab up --force` to make it leave, or `docker swarm leave --force` on it", leader.Host.Name, li.LocalNodeState)
		}
		if err := leader.API.SwarmLeave(ctx, true); err != nil {
			return fmt.Errorf("%s: leaving its old swarm: %w", leader.Host.Name, err)
		}
		e.res.Actions = append(e.res.Actions, leader.Host.Name+": left its old swarm (--force)")
	}
	return e.initSwarm(ctx)
}

func (e *ensure) initSwarm(ctx context.Context) error {
	leader := e.leader()
	interrupt.Point("swarm.init")
	id, err := leader.API.SwarmInit(ctx, swarm.InitRequest{
		ListenAddr:      ListenAddr(leader.Host),
		AdvertiseAddr:   leader.Host.Address,
		DataPathAddr:    leader.Host.Address,
		ForceNewCluster: false,
		Spec:            swarm.Spec{Annotations: swarm.Annotations{Labels: map[string]string{CreatedLabel: "true"}}},
	})
	if err != nil {
		return fmt.Errorf("%s: swarm init advertising %s: %w", leader.Host.Name, leader.Host.Address, err)
	}
	e.joined[leader.Host.Name] = true
	e.res.Actions = append(e.res.Actions, fmt.Sprintf("%s: initialised the swarm, advertising %s", leader.Host.Name, leader.Host.Address))
	e.o.logger.V(1).Infof("%s: swarm initialised (node %s)", leader.Host.Name, id)
	e.infos[e.lead], err = leader.API.Info(ctx)
	return err
}

// inspect reads the leader's swarm: its ID, join tokens, nodes and the
// address the others join at.
func (e *ensure) inspect(ctx context.Context) error {
	leader := e.leader()
	sw, err := leader.API.SwarmInspect(ctx)
	if err != nil {
		return fmt.Errorf("%s: swarm inspect: %w", leader.Host.Name, err)
	}
	e.sw = sw
	e.res.ClusterID = sw.ID
	nodes, err := leader.API.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return fmt.Errorf("%s: node list: %w", leader.Host.Name, err)
	}
	e.inSwarm = map[string]bool{}
	for _, n := range nodes {
		e.inSwarm[n.ID] = true
	}
	e.remote = net.JoinHostPort(leader.Host.Address, "2377")
	if rm := e.infos[e.lead].Swarm.RemoteManagers; len(rm) > 0 {
		e.remote = rm[0].Addr
	}
	return nil
}

// joinOrder splits the members other than the leader into managers and
// workers, in inventory order.
func joinOrder(members []Member, lead int) (managers, workers []int) {
	for i, m := range members {
		if i == lead {
			continue
		}
		if m.Host.IsManager() {
			managers = append(managers, i)
		} else {
			workers = append(workers, i)
		}
	}
	return managers, workers
}

// joinAll joins the managers one at a time (each changes the raft
// membership), then the workers all at once.
func (e *ensure) joinAll(ctx context.Context) error {
	var (
		acts []string
		mu   sync.Mutex
	)
	record := func(i int) {
		if !e.inThisSwarm(i) {
			mu.Lock()
			acts = append(acts, fmt.Sprintf("%s: joined as %s", e.members[i].Host.Name, roleOf(e.members[i].Host)))
			e.joined[e.members[i].Host.Name] = true
			mu.Unlock()
		}
	}
	managers, workers := joinOrder(e.members, e.lead)
	interrupt.Point("swarm.join")
	for _, i := range managers {
		if err := e.join(ctx, i, e.members[i]); err != nil {
			return multierror.Prefix(err, e.members[i].Host.Name+":")
		}
		record(i)
	}
	if err := eachOf(ctx, e.members, workers, func(ctx context.Context, i int, m Member) error {
		if err := e.join(ctx, i, m); err != nil {
			return err
		}
		record(i)
		return nil
	}); err != nil {
		return err
	}
	sort.Strings(acts)
	e.res.Actions = append(e.res.Actions, acts...)
	return nil
}

// inThisSwarm says whether member i was in the leader's swarm before
// joinAll.
func (e *ensure) inThisSwarm(i int) bool {
	si := e.infos[i].Swarm
	return si.LocalNodeState == swarm.LocalNodeStateActive && e.inSwarm[si.NodeID]
}

// join makes member i join the leader's swarm with its role's token,
// leaving another swarm first if --force.
func (e *ensure) join(ctx context.Context, i int, m Member) error {
	if i == e.lead || e.inThisSwarm(i) {
		return nil // the leader, or already in this swarm: leave it alone
	}
	si := e.infos[i].Swarm
	if si.LocalNodeState != swarm.LocalNodeStateInactive && si.LocalNodeState != "" {
		if !e.o.force {
			return fmt.Errorf("in another swarm (state %s, node %s): run `overlab up --force` to make it leave, or `docker swarm leave --force` on it", si.LocalNodeState, short(si.NodeID))
		}
		if err := m.API.SwarmLeave(ctx, true); err != nil {
			return fmt.Errorf("leaving its old swarm: %w", err)
		}
	}
	token := e.sw.JoinTokens.Worker
	if m.Host.IsManager() {
		token = e.sw.JoinTokens.Manager
	}
	err := m.API.SwarmJoin(ctx, swarm.JoinRequest{
		ListenAddr:    ListenAddr(m.Host),
		AdvertiseAddr: m.Host.Address,
		DataPathAddr:  m.Host.Address,
		RemoteAddrs:   []string{e.remote},
		JoinToken:     token,
	})
	if err != nil {
		return fmt.Errorf("joining the swarm at %s as %s: %w", e.remote, roleOf(m.Host), redact(err, e.sw.JoinTokens))
	}
	return nil
}

// waitReady learns every member's node ID and waits until all are Ready.
func (e *ensure) waitReady(ctx context.Context) error {
	ids, err := nodeIDs(ctx, e.members)
	if err != nil {
		return err
	}
	e.res.NodeIDs = ids
	return waitReady(ctx, e.leader().API, ids, e.o.readyWait)
}

func (e *ensure) label(ctx context.Context) error {
	// In a swarm overlab made, every lab host is one it made join; a host
	// found pending that is now in this swarm was joined by an interrupted
	// up. Both get the label an interruption may have kept them from.
	created := e.sw.Spec.Labels[CreatedLabel] == "true"
	for _, m := range e.members {
		if created || e.pending[m.Host.Name] {
			e.joined[m.Host.Name] = true
		}
	}
	interrupt.Point("swarm.labels")
	labelled, err := applyLabels(ctx, e.leader().API, e.members, e.res.NodeIDs, e.joined)
	e.res.Actions = append(e.res.Actions, labelled...)
	return err
}

// ListenAddr is where a host's swarm manager port listens: its lab address
// (the one it advertises), not every address (Docker's default 0.0.0.0:2377)
// that would expose the swarm's control plane on the host's other networks.
func ListenAddr(h inventory.Host) string { return net.JoinHostPort(h.Address, "2377") }

func roleOf(h inventory.Host) string {
	if h.IsManager() {
		return inventory.RoleManager
	}
	return inventory.RoleWorker
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// redact removes join tokens from an engine's error message: tokens are
// secrets and never reach output or logs.
func redact(err error, t swarm.JoinTokens) error {
	msg := err.Error()
	for _, tok := range []string{t.Worker, t.Manager} {
		if tok != "" {
			msg = strings.ReplaceAll(msg, tok, "<join token>")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// nodeIDs asks every member for its own swarm node ID.
func nodeIDs(ctx context.Context, members []Member) (map[string]string, error) {
	ids := make(map[string]string, len(members))
	var mu sync.Mutex
	err := each(ctx, members, func(ctx context.Context, _ int, m Member) error {
		info, err := m.API.Info(ctx)
		if err != nil {
			return err
		}
		if info.Swarm.NodeID == "" {
			return fmt.Errorf("not in the swarm after joining (state %s)", info.Swarm.LocalNodeState)
		}
		mu.Lock()
		ids[m.Host.Name] = info.Swarm.NodeID
		mu.Unlock()
		return nil
	})
	return ids, err
}

// waitReady polls the leader until every member's node is Ready.
func waitReady(ctx context.Context, api API, ids map[string]string, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		nodes, err := api.NodeList(ctx, swarm.NodeListOptions{})
		if err != nil {
			return fmt.Errorf("node list: %w", err)
		}
		state := map[string]swarm.Node{}
		for _, n := range nodes {
			state[n.ID] = n
		}
		var notReady []string
		for name, id := range ids {
			n, ok := state[id]
			if !ok || n.Status.State != swarm.NodeStateReady {
				msg := name + " (unknown)"
				if ok {
					msg = fmt.Sprintf("%s (%s %s)", name, n.Status.State, n.Status.Message)
				}
				notReady = append(notReady, msg)
			}
		}
		if len(notReady) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			sort.Strings(notReady)
			return fmt.Errorf("swarm nodes not ready after %v: %s", d, strings.Join(notReady, ", "))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// applyLabels sets the inventory's labels and overlab.host on each node,
// touching only nodes whose labels differ.
func applyLabels(ctx context.Context, api API, members []Member, ids map[string]string, joined map[string]bool) ([]string, error) {
	var actions []string
	var result *multierror.Error
	for _, m := range members {
		id := ids[m.Host.Name]
		node, _, err := api.NodeInspectWithRaw(ctx, id)
		if err != nil {
			result = multierror.Append(result, fmt.Errorf("%s: node inspect: %w", m.Host.Name, err))
			continue
		}
		want := map[string]string{HostLabel: m.Host.Name}
		if joined[m.Host.Name] {
			want[JoinedLabel] = "true"
		}
		for k, v := range m.Host.Labels {
			want[k] = v
		}
		spec := node.Spec
		if spec.Labels == nil {
			spec.Labels = map[string]string{}
		}
		changed := false
		for k, v := range want {
			if spec.Labels[k] != v {
				spec.Labels[k] = v
				changed = true
			}
		}
		if !changed {
			continue
		}
		if err := api.NodeUpdate(ctx, id, node.Version, spec); err != nil {
			result = multierror.Append(result, fmt.Errorf("%s: node labels: %w", m.Host.Name, err))
			continue
		}
		actions = append(actions, m.Host.Name+": node labels set")
	}
	return actions, result.ErrorOrNil()
}

func each(ctx context.Context, members []Member, fn func(context.Context, int, Member) error) error {
	idx := make([]int, len(members))
	for i := range idx {
		idx[i] = i
	}
	return eachOf(ctx, members, idx, fn)
}

// eachOf runs fn concurrently for the given members and collects every
// error, prefixed with the host's name.
func eachOf(ctx context.Context, members []Member, idx []int, fn func(context.Context, int, Member) error) error {
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = members[i].Host.Name
	}
	return fanout.Each(ctx, names, func(ctx context.Context, k int) error { return fn(ctx, idx[k], members[idx[k]]) })
}

// NodeHosts maps swarm node IDs to inventory names using the overlab.host
// label (set by Ensure).
func NodeHosts(ctx context.Context, api NodeLister) (map[string]string, error) {
	nodes, err := Nodes(ctx, api)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for id, n := range nodes {
		if n.Host != "" {
			out[id] = n.Host
		}
	}
	return out, nil
}

// NodeInfo is what the swarm says of one node.
type NodeInfo struct {
	Host     string // inventory name (overlab.host label)
	Hostname string // the machine's hostname
	State    string // ready, down, unknown, disconnected
	Role     string // manager or worker
	Leader   bool
	Addr     string
}

// Nodes lists the swarm's nodes by ID.
func Nodes(ctx context.Context, api NodeLister) (map[string]NodeInfo, error) {
	nodes, err := api.NodeList(ctx, swarm.NodeListOptions{Filters: filters.NewArgs()})
	if err != nil {
		return nil, err
	}
	out := map[string]NodeInfo{}
	for _, n := range nodes {
		ni := NodeInfo{Host: n.Spec.Labels[HostLabel], Hostname: n.Description.Hostname, State: string(n.Status.State), Role: string(n.Spec.Role), Addr: n.Status.Addr}
		if n.ManagerStatus != nil {
			ni.Leader = n.ManagerStatus.Leader
		}
		out[n.ID] = ni
	}
	return out, nil
}

// NodeLister is the part of the API that NodeHosts needs.
type NodeLister interface {
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
}
