package blueprint

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/go-connections/nat"

	"github.com/overlab/overlab/shellquote"
)

// workloads render each workload from the very specs up gives the
// engines. What is overlab's bookkeeping (labels, restart and stop
// policies) is left out: it changes nothing a person sees on the network.
func (r *renderer) workloads() []Step {
	var steps []Step
	m := r.manager()
	noted := false // the --open note goes with the first probe only
	for _, w := range r.bp.Workloads {
		s := Step{Title: fmt.Sprintf("Start the %s %q", w.Kind, w.Name)}
		var open []string
		if w.Image == "" {
			// Started by hand, a probe has no check to give it a token;
			// the one difference from what up makes.
			open = []string{"--open"}
		}
		if w.Service != nil {
			s.Note = serviceNote(w.Service)
			s.Commands = append(s.Commands,
				Command{Host: m.Name, Line: serviceLine(w.Service, open...)},
				Command{Host: m.Name, Line: "docker service ps " + shellquote.Quote(w.Name), Comment: "wait until every task is Running"})
		}
		for _, c := range w.Containers {
			s.Commands = append(s.Commands, Command{Host: c.Host, Line: runLine(w.Name, c, open...)})
			for _, cn := range c.Connect {
				s.Commands = append(s.Commands, Command{Host: c.Host, Line: connectLine(w.Name, cn)})
			}
		}
		if open != nil && !noted {
			s.Note, noted = strings.TrimSpace(s.Note+" "+openNote), true
		}
		steps = append(steps, s)
	}
	return steps
}

// openNote says why a probe started by hand gets --open.
const openNote = "--open: a probe started by hand answers anyone (its UDP echo never with more bytes than it got); the probes overlab starts answer only the requests of its checks, proven with a token each check gives them."

func serviceNote(spec *swarm.ServiceSpec) string {
	if spec.EndpointSpec.Mode == swarm.ResolutionModeDNSRR {
		return "--endpoint-mode dnsrr: the service name resolves to every task's address; the default virtual IP needs IPVS in the kernel. --no-resolve-image: no registry is asked, each host uses its local image."
	}
	return "The default endpoint mode, a virtual IP balanced by IPVS (this lab needs it). --no-resolve-image: no registry is asked, each host uses its local image."
}

// serviceLine is `docker service create` for spec, extra after its
// arguments.
func serviceLine(spec *swarm.ServiceSpec, extra ...string) string {
	args := []string{"docker", "service", "create", "--name", spec.Name}
	if spec.Mode.Replicated != nil {
		args = append(args, "--replicas", fmt.Sprint(*spec.Mode.Replicated.Replicas))
	} else {
		args = append(args, "--mode", "global")
	}
	if spec.EndpointSpec.Mode == swarm.ResolutionModeDNSRR {
		args = append(args, "--endpoint-mode", "dnsrr")
	}
	for _, a := range spec.TaskTemplate.Networks {
		n := a.Target
		if len(a.Aliases) > 0 {
			n = "name=" + a.Target + ",alias=" + strings.Join(a.Aliases, ",alias=")
		}
		args = append(args, "--network", n)
	}
	for _, p := range spec.EndpointSpec.Ports {
		args = append(args, "--publish", fmt.Sprintf("published=%d,target=%d,protocol=%s,mode=%s", p.PublishedPort, p.TargetPort, p.Protocol, p.PublishMode))
	}
	for _, c := range spec.TaskTemplate.Placement.Constraints {
		args = append(args, "--constraint", c)
	}
	cs := spec.TaskTemplate.ContainerSpec
	args = append(args, "--hostname", cs.Hostname, "--no-resolve-image", cs.Image)
	return shellquote.Join(append(append(args, extra...), cs.Args...)...)
}

// runLine is `docker run` for one container: its first network at create;
// extra come right after the image.
func runLine(name string, c Container, extra ...string) string {
	args := []string{"docker", "run", "-d", "--name", name}
	if c.Config.Hostname != "" {
		args = append(args, "--hostname", c.Config.Hostname)
	}
	args = append(args, "--network", string(c.HostConfig.NetworkMode))
	if es := c.Networking.EndpointsConfig[string(c.HostConfig.NetworkMode)]; es != nil {
		args = append(args, endpointFlags(es, "--ip", "--network-alias")...)
	}
	ports := make([]string, 0, len(c.HostConfig.PortBindings))
	for p := range c.HostConfig.PortBindings {
		ports = append(ports, string(p))
	}
	sort.Strings(ports)
	for _, p := range ports {
		target := strings.TrimSuffix(p, "/tcp")
		for _, b := range c.HostConfig.PortBindings[nat.Port(p)] {
			spec := b.HostPort + ":" + target
			if b.HostIP != "" {
				// -p alone listens on every address of the host.
				spec = hostIP(b.HostIP) + ":" + spec
			}
			args = append(args, "-p", spec)
		}
	}
	return shellquote.Join(append(append(append(args, c.Config.Image), extra...), c.Config.Cmd...)...)
}

// hostIP writes an address as docker run -p takes it ([v6] in brackets).
func hostIP(a string) string {
	if ip, err := netip.ParseAddr(a); err == nil && ip.Is6() {
		return "[" + a + "]"
	}
	return a
}

// connectLine is `docker network connect` for a container's other network.
func connectLine(name string, cn Connect) string {
	args := append([]string{"docker", "network", "connect"}, endpointFlags(cn.Endpoint, "--ip", "--alias")...)
	return shellquote.Join(append(args, cn.Network, name)...)
}

func endpointFlags(es *network.EndpointSettings, ipFlag, aliasFlag string) []string {
	var args []string
	if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address != "" {
		args = append(args, ipFlag, es.IPAMConfig.IPv4Address)
	}
	for _, a := range es.Aliases {
		args = append(args, aliasFlag, a)
	}
	return args
}
