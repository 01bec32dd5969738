package existing

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// service finds one --services entry: the swarm service, its networks
// among those named, its virtual IPs, and where its running tasks are.
func (d *discovery) service(ctx context.Context, ref ServiceRef) error {
	if d.mgr == nil {
		d.f.problem("service %s: the hosts are in no swarm, so it cannot be a swarm service", ref.Name)
		return nil
	}
	list, err := d.mgr.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("name", ref.Name))})
	if err != nil {
		return fmt.Errorf("services on %s: %w", d.mgrName, err)
	}
	i := slices.IndexFunc(list, func(s swarm.Service) bool { return s.Spec.Name == ref.Name })
	if i < 0 {
		d.f.problem("service %q not found in the swarm (docker service ls on %s lists them)", ref.Name, d.mgrName)
		return nil
	}
	svc := list[i]
	s := Service{Ref: ref, VIPs: map[string]string{}}
	s.VIP = svc.Spec.EndpointSpec == nil || svc.Spec.EndpointSpec.Mode != swarm.ResolutionModeDNSRR
	if err := d.serviceNetworks(ctx, svc, &s); err != nil {
		return err
	}
	if len(s.Networks) == 0 {
		return nil
	}
	if err := d.tasks(ctx, svc, &s); err != nil {
		return err
	}
	if !d.hasPort(ctx, svc, s) {
		d.f.problem("service %s: nothing says its containers listen on %d/%s (it publishes no such target port and its image exposes none): its DNS names are checked, not the port; name the port its containers listen on", ref.Name, ref.Port, ref.Proto)
		s.Ref.Port = 0
	}
	d.f.Services = append(d.f.Services, s)
	return nil
}

// serviceNetworks keeps the service's networks that were named, with their
// virtual IPs, and says so when it is on none of them.
func (d *discovery) serviceNetworks(ctx context.Context, svc swarm.Service, s *Service) error {
	var on []string
	for _, a := range svc.Spec.TaskTemplate.Networks {
		name, err := d.netName(ctx, a.Target)
		if err != nil {
			return fmt.Errorf("networks on %s: %w", d.mgrName, err)
		}
		on = append(on, name)
		if d.f.Network(name) != nil {
			s.Networks = append(s.Networks, name)
		}
	}
	for _, v := range svc.Endpoint.VirtualIPs {
		name, _ := d.netName(ctx, v.NetworkID)
		if p, err := netip.ParsePrefix(v.Addr); err == nil {
			s.VIPs[name] = p.Addr().String()
		}
	}
	if len(s.Networks) == 0 {
		d.f.problem("service %s is on %s, none of which you named: add one to --networks to check it from there", s.Ref.Name, joinOr(on, "no network"))
	}
	return nil
}

// tasks lists the service's running tasks and their addresses; networks
// whose addresses the swarm does not hold (a swarm macvlan's, allocated
// on each node) are read from the task's container.
func (d *discovery) tasks(ctx context.Context, svc swarm.Service, s *Service) error {
	tasks, err := d.mgr.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", svc.ID), filters.Arg("desired-state", "running"))})
	if err != nil {
		return fmt.Errorf("tasks of %s: %w", s.Ref.Name, err)
	}
	for _, t := range tasks {
		if t.Status.State != swarm.TaskStateRunning {
			continue
		}
		task := Task{Host: d.nodeHost[t.NodeID], Addrs: map[string]string{}}
		for _, na := range t.NetworksAttachments {
			for _, a := range na.Addresses {
				if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() {
					task.Addrs[na.Network.Spec.Name] = p.Addr().String()
				}
			}
		}
		d.fillAddrs(ctx, t, &task, s.Networks)
		s.Tasks = append(s.Tasks, task)
	}
	if len(s.Tasks) == 0 {
		d.f.problem("service %s has no running task: there is nothing to reach", s.Ref.Name)
	}
	return nil
}

func (d *discovery) hostAPI(name string) HostAPI {
	for _, h := range d.hosts {
		if h.Name == name {
			return h.API
		}
	}
	return nil
}

func (d *discovery) fillAddrs(ctx context.Context, t swarm.Task, task *Task, networks []string) {
	api := d.hostAPI(task.Host)
	if api == nil || t.Status.ContainerStatus == nil {
		return
	}
	for _, n := range networks {
		if task.Addrs[n] != "" {
			continue
		}
		ci, err := api.ContainerInspect(ctx, t.Status.ContainerStatus.ContainerID)
		if err != nil || ci.NetworkSettings == nil {
			return
		}
		for name, es := range ci.NetworkSettings.Networks {
			if es != nil && es.IPAddress != "" && task.Addrs[name] == "" {
				task.Addrs[name] = es.IPAddress
			}
		}
		return
	}
}

// hasPort says whether the service publishes the port as a target, or a
// container of one of its tasks exposes it.
func (d *discovery) hasPort(ctx context.Context, svc swarm.Service, s Service) bool {
	for _, p := range svc.Endpoint.Ports {
		if int(p.TargetPort) == s.Ref.Port && string(p.Protocol) == s.Ref.Proto {
			return true
		}
	}
	want := strconv.Itoa(s.Ref.Port) + "/" + s.Ref.Proto
	tasks, err := d.mgr.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", svc.ID), filters.Arg("desired-state", "running"))})
	if err != nil {
		return false
	}
	for _, t := range tasks {
		api := d.hostAPI(d.nodeHost[t.NodeID])
		if api == nil || t.Status.ContainerStatus == nil {
			continue
		}
		ci, err := api.ContainerInspect(ctx, t.Status.ContainerStatus.ContainerID)
		if err == nil && ci.Config != nil {
			for p := range ci.Config.ExposedPorts {
				if string(p) == want {
					return true
				}
			}
			return false
		}
	}
	return false
}
