package workload

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/hashicorp/go-multierror"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/fanout"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/log"
	swarmpkg "github.com/overlab/overlab/swarm"
)

// ServiceAPI is what this package needs of the swarm manager.
type ServiceAPI interface {
	ServiceCreate(ctx context.Context, service swarm.ServiceSpec, options swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error)
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
	ServiceRemove(ctx context.Context, serviceID string) error
	ServiceUpdate(ctx context.Context, serviceID string, version swarm.Version, service swarm.ServiceSpec, options swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
}

// ContainerAPI is what this package needs of each host's engine.
type ContainerAPI interface {
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
	NetworkConnect(ctx context.Context, networkID, containerID string, config *network.EndpointSettings) error
}

// Host is one engine.
type Host struct {
	Name string
	Role string
	API  ContainerAPI
}

// Spec is a lab's workloads on a set of hosts.
type Spec struct {
	// Blueprint holds the lab, where each workload runs and its specs.
	Blueprint *blueprint.Blueprint
	Hosts     []Host
	Manager   ServiceAPI // nil when the lab needs no swarm
	// NodeHosts maps swarm node IDs to inventory hosts for a swarm whose
	// nodes carry no overlab.host label (one overlab did not make).
	NodeHosts map[string]string
	Wait      time.Duration
	// Logger hears of long waits; nil is silent.
	Logger log.Logger
}

func (s Spec) lab() *lab.Lab { return s.Blueprint.Lab }

// Ensure creates missing or changed workloads and waits until every
// instance runs. A task that fails is reported with the engine's message.
func Ensure(ctx context.Context, s Spec) ([]string, error) {
	var actions []string
	var services, created []lab.Workload
	for _, bw := range s.Blueprint.Workloads {
		w := *bw.Workload
		var (
			did []string
			err error
		)
		if w.Kind == lab.KindService {
			// One service's tasks attach their networks before the next
			// is created: two network attachments at once on one engine
			// can stall one of them 30 s (docs/churn.md). A task past
			// preparing has attached them (and synced the network's
			// peers); it need not be running yet.
			if len(created) > 0 {
				if err := s.waitServices(ctx, created, swarm.TaskStateReady); err != nil {
					return actions, err
				}
				created = nil
			}
			did, err = s.ensureService(ctx, bw)
			services = append(services, w)
			if len(did) > 0 {
				created = append(created, w)
			}
		} else {
			did, err = s.ensureContainers(ctx, bw)
		}
		actions = append(actions, did...)
		if err != nil {
			return actions, fmt.Errorf("workload %q: %w", w.Name, err)
		}
	}
	if len(services) > 0 {
		if err := s.waitServices(ctx, services, swarm.TaskStateRunning); err != nil {
			return actions, err
		}
	}
	return actions, nil
}

func (s Spec) ensureService(ctx context.Context, bw blueprint.Workload) ([]string, error) {
	if s.Manager == nil {
		return nil, fmt.Errorf("a service needs a swarm")
	}
	w, spec := bw.Workload, *bw.Service
	list, err := s.Manager.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("name", w.Name))})
	if err != nil {
		return nil, err
	}
	for _, svc := range list {
		if svc.Spec.Name != w.Name {
			continue
		}
		if svc.Spec.Labels[blueprint.SpecLabel] == spec.Labels[blueprint.SpecLabel] {
			return nil, nil
		}
		if svc.Spec.Labels[lab.Label] == "" {
			return nil, fmt.Errorf("a service %q that overlab did not create exists: remove it with `docker service rm %s`", w.Name, w.Name)
		}
		// Changed: replace it (an update would keep the old tasks' networks).
		if err := s.Manager.ServiceRemove(ctx, svc.ID); err != nil {
			return nil, err
		}
		if err := s.waitTasksGone(ctx, w.Name); err != nil {
			return nil, err
		}
	}
	if _, err := s.Manager.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false}); err != nil {
		return nil, err
	}
	mode := "global"
	if w.Replicated() {
		mode = fmt.Sprintf("%d replicas", w.Replicas)
	}
	return []string{fmt.Sprintf("created service %s (%s, endpoint %s)", w.Name, mode, spec.EndpointSpec.Mode)}, nil
}

func (s Spec) waitTasksGone(ctx context.Context, name string) error {
	deadline := time.Now().Add(s.Wait)
	for time.Now().Before(deadline) {
		tasks, err := s.Manager.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", name))})
		if err != nil || len(tasks) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// waitServices polls the manager until every service has one running task
// per host it is placed on (or its replicas). A rejected task ends the wait
// at once with the engine's error; others are reported when the wait ends.
// taskProgress orders the states a task passes through on its way to
// running; the others (failed, rejected, shutdown...) rank 0.
var taskProgress = map[swarm.TaskState]int{
	swarm.TaskStateNew: 1, swarm.TaskStateAllocated: 2, swarm.TaskStatePending: 3, swarm.TaskStateAssigned: 4,
	swarm.TaskStateAccepted: 5, swarm.TaskStatePreparing: 6, swarm.TaskStateReady: 7, swarm.TaskStateStarting: 8,
	swarm.TaskStateRunning: 9,
}

// reached says whether a task in state st has got as far as until.
func reached(st, until swarm.TaskState) bool { return taskProgress[st] >= taskProgress[until] }

func (s Spec) waitServices(ctx context.Context, services []lab.Workload, until swarm.TaskState) error {
	ctx, cancel := context.WithTimeout(ctx, s.Wait)
	defer cancel()
	nodeHost, err := s.nodeHosts(ctx)
	if err != nil {
		return err
	}
	start, reported := time.Now(), time.Now()
	for {
		var pending []string
		var fatal *multierror.Error
		for _, w := range services {
			tasks, err := s.Manager.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", w.Name))})
			if err != nil && ctx.Err() == nil && managerBusy(err) {
				// The manager gave up within its own deadline (raft is slow on
				// VMs under emulation): ask again until ours ends.
				pending = append(pending, fmt.Sprintf("%s: the manager did not answer in time (%v)", w.Name, err))
				continue
			}
			if err != nil {
				return fmt.Errorf("task list of %s: %w", w.Name, err)
			}
			p, f := s.pendingTasks(w, tasks, nodeHost, until)
			pending = append(pending, p...)
			fatal = multierror.Append(fatal, f...)
		}
		if err := fatal.ErrorOrNil(); err != nil {
			return err
		}
		if len(pending) == 0 {
			return nil
		}
		sort.Strings(pending)
		// Slow engines (VMs under emulation) take minutes: say what is
		// awaited rather than seem to hang.
		if time.Since(reported) >= waitReport {
			reported = time.Now()
			s.logger().V(0).Infof("waiting %s for tasks to be %s:\n  %s", time.Since(start).Round(time.Second), until, strings.Join(pending, "\n  "))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tasks not %s after %v:\n  %s", until, s.Wait, strings.Join(pending, "\n  "))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitReport is how often a long wait for tasks says what it awaits.
const waitReport = 15 * time.Second

// pendingTasks says, for one service, each host (or the replica count)
// whose task has not reached until, with its state or last error; a task
// the engine rejected is fatal.
func (s Spec) pendingTasks(w lab.Workload, tasks []swarm.Task, nodeHost map[string]string, until swarm.TaskState) (pending []string, fatal []error) {
	running := map[string]bool{}
	lastErr := map[string]string{}
	state := map[string]string{}
	nRunning := 0
	for _, t := range tasks {
		host := nodeHost[t.NodeID]
		if t.DesiredState == swarm.TaskStateRunning {
			state[host] = fmt.Sprintf("task %s since %s", t.Status.State, t.Status.Timestamp.Format("15:04:05.000"))
			if t.Status.Message != "" {
				state[host] += " (" + t.Status.Message + ")"
			}
		}
		if reached(t.Status.State, until) && t.DesiredState == swarm.TaskStateRunning {
			running[host] = true
			nRunning++
			continue
		}
		if t.Status.Err != "" {
			lastErr[host] = fmt.Sprintf("%s (task %s)", t.Status.Err, t.Status.State)
			if t.Status.State == swarm.TaskStateRejected && t.DesiredState == swarm.TaskStateRunning {
				fatal = append(fatal, fmt.Errorf("service %s on %s: %s", w.Name, orAny(host), t.Status.Err))
			}
		}
	}
	if w.Replicated() {
		if nRunning < w.Replicas {
			pending = append(pending, fmt.Sprintf("%s: %d of %d replicas running%s", w.Name, nRunning, w.Replicas, errSuffix(lastErr)))
		}
		return pending, fatal
	}
	for _, h := range s.Blueprint.Placed[w.Name] {
		if running[h] {
			continue
		}
		msg := fmt.Sprintf("%s on %s: not running yet (no task)", w.Name, h)
		if st := state[h]; st != "" {
			msg = fmt.Sprintf("%s on %s: %s", w.Name, h, st)
		}
		if e := lastErr[h]; e != "" {
			msg = fmt.Sprintf("%s on %s: %s", w.Name, h, e)
		}
		pending = append(pending, msg)
	}
	return pending, fatal
}

func (s Spec) logger() log.Logger {
	if s.Logger == nil {
		return log.NoOp{}
	}
	return s.Logger
}

func orAny(h string) string {
	if h == "" {
		return "an unassigned node"
	}
	return h
}

func errSuffix(m map[string]string) string {
	for _, e := range m {
		return ": " + e
	}
	return ""
}

func (s Spec) ensureContainers(ctx context.Context, bw blueprint.Workload) ([]string, error) {
	on := map[string]blueprint.Container{}
	for _, c := range bw.Containers {
		on[c.Host] = c
	}
	var (
		mu      sync.Mutex
		actions []string
	)
	err := s.eachHost(ctx, func(ctx context.Context, h Host) error {
		c, ok := on[h.Name]
		if !ok {
			return nil
		}
		started, err := s.ensureContainer(ctx, h, bw.Name, c)
		if started {
			mu.Lock()
			actions = append(actions, fmt.Sprintf("%s: started container %s", h.Name, bw.Name))
			mu.Unlock()
		}
		return err
	})
	sort.Strings(actions)
	return actions, err
}

// ensureContainer makes the container called name on h unless it runs
// with the same spec, and says whether it started one.
func (s Spec) ensureContainer(ctx context.Context, h Host, name string, c blueprint.Container) (bool, error) {
	existing, err := h.API.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", "^/"+name+"$"))})
	if err != nil {
		return false, err
	}
	for _, ex := range existing {
		if ex.Labels[blueprint.SpecLabel] == c.Hash && ex.State == "running" {
			return false, nil
		}
		if ex.Labels[lab.Label] == "" {
			return false, fmt.Errorf("a container %q that overlab did not create exists: remove it with `docker rm -f %s`", name, name)
		}
		if err := h.API.ContainerRemove(ctx, ex.ID, container.RemoveOptions{Force: true}); err != nil {
			return false, err
		}
	}
	create := func(ctx context.Context) (string, error) {
		created, err := h.API.ContainerCreate(ctx, c.Config, c.HostConfig, c.Networking, nil, name)
		if err != nil {
			return "", fmt.Errorf("create: %w", err)
		}
		for _, a := range c.Connect {
			if err := h.API.NetworkConnect(ctx, a.Network, created.ID, a.Endpoint); err != nil {
				return "", fmt.Errorf("connect to %s: %w", a.Network, err)
			}
		}
		return created.ID, nil
	}
	again := func(err error) {
		s.logger().Warnf("%s: container %s: %v; making it anew", h.Name, name, err)
	}
	if err := runContainer(ctx, h.API, create, 2*time.Second, again); err != nil {
		return false, fmt.Errorf("container %s: %w", name, err)
	}
	return true, nil
}

func (s Spec) eachHost(ctx context.Context, fn func(context.Context, Host) error) error {
	names := make([]string, len(s.Hosts))
	for i, h := range s.Hosts {
		names[i] = h.Name
	}
	return fanout.Each(ctx, names, func(ctx context.Context, i int) error { return fn(ctx, s.Hosts[i]) })
}

// Instances finds every running instance of the lab's workloads: service
// tasks through the manager (so a host that cannot be reached still has its
// addresses known), containers on each reachable host. Errors per host are
// collected; the instances found are returned with them.
func Instances(ctx context.Context, s Spec) ([]lab.Instance, error) {
	var result *multierror.Error
	tasks, err := s.taskInstances(ctx)
	result = multierror.Append(result, err)
	s.fillTaskAddresses(ctx, tasks)
	containers, err := s.containerInstances(ctx)
	result = multierror.Append(result, err)
	out := append(tasks, containers...)
	sort.Slice(out, func(a, b int) bool {
		if out[a].Workload != out[b].Workload {
			return out[a].Workload < out[b].Workload
		}
		return out[a].Host < out[b].Host
	})
	return out, result.ErrorOrNil()
}

// taskInstances are the running tasks of the lab's services, as the manager
// sees them (nil without a manager or services).
func (s Spec) taskInstances(ctx context.Context) ([]lab.Instance, error) {
	hasServices := slices.ContainsFunc(s.lab().Workloads, func(w lab.Workload) bool { return w.Kind == lab.KindService })
	if !hasServices || s.Manager == nil {
		return nil, nil
	}
	var (
		out    []lab.Instance
		result *multierror.Error
	)
	nodes, err := s.nodes(ctx)
	if err != nil {
		result = multierror.Append(result, fmt.Errorf("swarm nodes: %w", err))
	}
	for _, w := range s.lab().Workloads {
		if w.Kind != lab.KindService {
			continue
		}
		tasks, err := s.Manager.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", w.Name), filters.Arg("desired-state", "running"))})
		if err != nil {
			result = multierror.Append(result, fmt.Errorf("tasks of %s: %w", w.Name, err))
			continue
		}
		for _, t := range tasks {
			if t.Status.State == swarm.TaskStateRunning {
				out = append(out, taskInstance(w, t, nodes[t.NodeID]))
			}
		}
	}
	return out, result.ErrorOrNil()
}

func taskInstance(w lab.Workload, t swarm.Task, node swarmpkg.NodeInfo) lab.Instance {
	in := lab.Instance{Workload: w.Name, Host: node.Host, Hostname: w.Name + "-" + node.Hostname, IPs: map[string]string{}}
	if t.Status.ContainerStatus != nil {
		in.ContainerID = t.Status.ContainerStatus.ContainerID
	}
	in.Name = fmt.Sprintf("%s.%s.%s", w.Name, t.NodeID, t.ID)
	if t.Slot > 0 {
		in.Name = fmt.Sprintf("%s.%d.%s", w.Name, t.Slot, t.ID)
	}
	for _, na := range t.NetworksAttachments {
		for _, a := range na.Addresses {
			if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
				in.IPs[na.Network.Spec.Name] = p.Addr().String()
			}
		}
	}
	return in
}

// fillTaskAddresses asks each task's own engine for the addresses the swarm
// does not know: networks whose IPAM is local to each node (swarm macvlan
// built from config-only networks) leave task attachments without them.
// Best effort: a task whose engine does not answer keeps what the swarm gave.
func (s Spec) fillTaskAddresses(ctx context.Context, out []lab.Instance) {
	apis := map[string]ContainerAPI{}
	for _, h := range s.Hosts {
		apis[h.Name] = h.API
	}
	var fill []int
	for i, in := range out {
		w := s.lab().Workload(in.Workload)
		if w != nil && in.ContainerID != "" && apis[in.Host] != nil && len(in.IPs) < len(w.Networks) {
			fill = append(fill, i)
		}
	}
	names := make([]string, len(fill))
	for k, i := range fill {
		names[k] = out[i].Host
	}
	_ = fanout.Each(ctx, names, func(ctx context.Context, k int) error {
		in := &out[fill[k]]
		ci, err := apis[in.Host].ContainerInspect(ctx, in.ContainerID)
		if err != nil || ci.NetworkSettings == nil {
			return err
		}
		for name, es := range ci.NetworkSettings.Networks {
			if es != nil && es.IPAddress != "" && in.IPs[name] == "" {
				in.IPs[name] = es.IPAddress
			}
		}
		return nil
	})
}

// containerInstances are the lab's containers on every reachable host.
func (s Spec) containerInstances(ctx context.Context) ([]lab.Instance, error) {
	var (
		mu  sync.Mutex
		out []lab.Instance
	)
	err := s.eachHost(ctx, func(ctx context.Context, h Host) error {
		for _, w := range s.lab().Workloads {
			if w.Kind == lab.KindService {
				continue
			}
			list, err := h.API.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("name", "^/"+w.Name+"$"), filters.Arg("label", lab.LabelSelector(s.lab().Name)))})
			if err != nil {
				return err
			}
			for _, c := range list {
				in := containerInstance(ctx, h, w, c)
				mu.Lock()
				out = append(out, in)
				mu.Unlock()
			}
		}
		return nil
	})
	return out, err
}

func containerInstance(ctx context.Context, h Host, w lab.Workload, c container.Summary) lab.Instance {
	in := lab.Instance{Workload: w.Name, Host: h.Name, ContainerID: c.ID, Name: w.Name, Hostname: blueprint.ContainerHostname(w.Name, h.Name), IPs: map[string]string{}}
	if c.HostConfig.NetworkMode == "host" {
		// It answers with the host's own name, which Docker copies into
		// the container's configuration.
		in.Hostname = ""
		if ci, err := h.API.ContainerInspect(ctx, c.ID); err == nil && ci.Config != nil {
			in.Hostname = ci.Config.Hostname
		}
	}
	if c.NetworkSettings != nil {
		for name, es := range c.NetworkSettings.Networks {
			if es != nil && es.IPAddress != "" {
				in.IPs[name] = es.IPAddress
			}
		}
	}
	return in
}

// Remove deletes the lab's services (on the manager) and containers (on
// every host), carrying on past errors.
func Remove(ctx context.Context, labName string, manager ServiceAPI, hosts []Host) ([]string, error) {
	var (
		mu      sync.Mutex
		actions []string
		result  *multierror.Error
	)
	if manager != nil {
		svcs, err := manager.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", lab.LabelSelector(labName)))})
		if err != nil {
			result = multierror.Append(result, fmt.Errorf("service list: %w", err))
		}
		for _, svc := range svcs {
			if err := manager.ServiceRemove(ctx, svc.ID); err != nil {
				result = multierror.Append(result, fmt.Errorf("removing service %s: %w", svc.Spec.Name, err))
				continue
			}
			actions = append(actions, "removed service "+svc.Spec.Name)
		}
	}
	s := Spec{Hosts: hosts}
	err := s.eachHost(ctx, func(ctx context.Context, h Host) error {
		list, err := h.API.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", lab.LabelSelector(labName)))})
		if err != nil {
			return err
		}
		var result *multierror.Error
		for _, c := range list {
			if err := h.API.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) { // gone, or its removal already in progress
				result = multierror.Append(result, err)
				continue
			}
			if c.Labels["com.docker.swarm.service.name"] == "" {
				mu.Lock()
				actions = append(actions, fmt.Sprintf("%s: removed container %s", h.Name, strings.TrimPrefix(firstName(c.Names), "/")))
				mu.Unlock()
			}
		}
		return result.ErrorOrNil()
	})
	if err != nil {
		result = multierror.Append(result, err)
	}
	sort.Strings(actions)
	return actions, result.ErrorOrNil()
}

func firstName(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// Redeploy replaces every task of the named services (a forced update) and
// waits until they run again: the repair when a host's service discovery
// missed a peer's task, as Docker's gossip can after a network partition.
func Redeploy(ctx context.Context, s Spec, names []string) ([]string, error) {
	var actions []string
	var redeployed []lab.Workload
	for _, name := range names {
		w := s.lab().Workload(name)
		if w == nil || w.Kind != lab.KindService {
			continue
		}
		svcs, err := s.Manager.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
		if err != nil {
			return actions, err
		}
		for _, svc := range svcs {
			if svc.Spec.Name != name {
				continue
			}
			spec := svc.Spec
			spec.TaskTemplate.ForceUpdate++
			if _, err := s.Manager.ServiceUpdate(ctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{QueryRegistry: false}); err != nil {
				return actions, fmt.Errorf("redeploying %s: %w", name, err)
			}
			actions = append(actions, "redeployed service "+name)
			redeployed = append(redeployed, *w)
		}
	}
	if len(redeployed) == 0 {
		return actions, nil
	}
	// A forced update replaces the tasks one at a time: the old ones still
	// run until the engine says the update completed.
	if err := s.waitUpdated(ctx, redeployed); err != nil {
		return actions, err
	}
	return actions, s.waitServices(ctx, redeployed, swarm.TaskStateRunning)
}

// waitUpdated polls until every service's rolling update has completed.
func (s Spec) waitUpdated(ctx context.Context, ws []lab.Workload) error {
	deadline := time.Now().Add(s.Wait)
	for _, w := range ws {
		for {
			svcs, err := s.Manager.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("name", w.Name))})
			if err != nil {
				return err
			}
			state := swarm.UpdateState("")
			for _, svc := range svcs {
				if svc.Spec.Name == w.Name && svc.UpdateStatus != nil {
					state = svc.UpdateStatus.State
				}
			}
			if state == swarm.UpdateStateCompleted {
				break
			}
			if state == swarm.UpdateStatePaused || state == swarm.UpdateStateRollbackCompleted {
				return fmt.Errorf("redeploying %s: update %s", w.Name, state)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("redeploying %s: update still %q after %v", w.Name, state, s.Wait)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// nodes are the swarm's nodes, each named after its inventory host: by
// overlab's node label, else by NodeHosts.
func (s Spec) nodes(ctx context.Context) (map[string]swarmpkg.NodeInfo, error) {
	nodes, err := swarmpkg.Nodes(ctx, s.Manager)
	for id, n := range nodes {
		if n.Host == "" && s.NodeHosts[id] != "" {
			n.Host = s.NodeHosts[id]
			nodes[id] = n
		}
	}
	return nodes, err
}

// nodeHosts maps node IDs to inventory hosts.
func (s Spec) nodeHosts(ctx context.Context) (map[string]string, error) {
	nodes, err := s.nodes(ctx)
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
