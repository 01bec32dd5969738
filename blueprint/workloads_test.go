package blueprint

import (
	"slices"
	"testing"

	"github.com/docker/docker/api/types/swarm"

	"github.com/overlab/overlab/lab"
)

func TestServiceSpec(t *testing.T) {
	l := &lab.Lab{Name: "demo"}
	s := &Blueprint{Lab: l, Image: "overlab-probe:abc", DNSRR: true,
		Hosts:  []Host{{Name: "node1"}, {Name: "node2"}, {Name: "node3"}},
		Placed: map[string][]string{"web": {"node1", "node3"}, "all": {"node1", "node2", "node3"}},
	}
	web := &lab.Workload{Name: "web", Kind: lab.KindService, Mode: lab.ModeGlobal,
		Networks: []lab.Attachment{{Network: "ov", Aliases: []string{"www"}}},
		Ports:    []lab.Port{{Published: 5000, Target: 8080, Mode: lab.PortModeHost}}}
	spec := s.serviceSpec(web)
	if spec.EndpointSpec.Mode != swarm.ResolutionModeDNSRR {
		t.Errorf("endpoint mode %s without IPVS, want dnsrr", spec.EndpointSpec.Mode)
	}
	if spec.Mode.Global == nil || spec.TaskTemplate.ContainerSpec.Image != "overlab-probe:abc" {
		t.Errorf("mode/image: %+v %s", spec.Mode, spec.TaskTemplate.ContainerSpec.Image)
	}
	p := spec.EndpointSpec.Ports[0]
	if p.PublishMode != swarm.PortConfigPublishModeHost || p.PublishedPort != 5000 || p.TargetPort != 8080 {
		t.Errorf("port %+v, want 5000->8080 in host mode", p)
	}
	// Constraints are ANDed: the subset {node1, node3} is "not on node2".
	if got := spec.TaskTemplate.Placement.Constraints; !slices.Equal(got, []string{"node.labels.overlab.host!=node2"}) {
		t.Errorf("constraints %v", got)
	}
	if g := *spec.TaskTemplate.ContainerSpec.StopGracePeriod; g.Seconds() > 1 {
		t.Errorf("stop grace period %v: down would wait on each task", g)
	}
	// The same wish gives the same hash (second up changes nothing); another wish another one.
	if again := s.serviceSpec(web); again.Labels[SpecLabel] != spec.Labels[SpecLabel] {
		t.Error("spec hash is not stable")
	}
	s.Image = "overlab-probe:def"
	if other := s.serviceSpec(web); other.Labels[SpecLabel] == spec.Labels[SpecLabel] {
		t.Error("a new probe image does not change the spec hash")
	}
	all := s.serviceSpec(&lab.Workload{Name: "all", Kind: lab.KindService})
	if len(all.TaskTemplate.Placement.Constraints) != 0 {
		t.Errorf("a workload on every host got constraints %v", all.TaskTemplate.Placement.Constraints)
	}
	s.DNSRR = false
	if vip := s.serviceSpec(web); vip.EndpointSpec.Mode != swarm.ResolutionModeVIP {
		t.Errorf("with IPVS the endpoint mode is %s, want vip", vip.EndpointSpec.Mode)
	}
}

func TestContainerConfig(t *testing.T) {
	l := &lab.Lab{Name: "demo", Networks: []lab.Network{{Name: "host", Driver: "host", Default: true}, {Name: "ub", Driver: "bridge", Subnet: "10.10.10.0/24"}}}
	s, err := Compile(l, []Host{{Name: "node1", Address: "192.168.56.11", Role: "manager"}}, WithImage("overlab-probe:abc"))
	if err != nil {
		t.Fatal(err)
	}
	c := s.container(&lab.Workload{Name: "c", Networks: []lab.Attachment{{Network: "ub", IP: "10.10.10.254"}}, Ports: []lab.Port{{Published: 5000, Target: 8080, Protocol: "tcp"}}}, "node1")
	cfg, hc, nc := c.Config, c.HostConfig, c.Networking
	if cfg.Hostname != "c-node1" || string(hc.NetworkMode) != "ub" {
		t.Errorf("hostname %q network %q", cfg.Hostname, hc.NetworkMode)
	}
	if ip := nc.EndpointsConfig["ub"].IPAMConfig.IPv4Address; ip != "10.10.10.254" {
		t.Errorf("static address %q", ip)
	}
	if b := hc.PortBindings["8080/tcp"]; len(b) != 1 || b[0].HostPort != "5000" {
		t.Errorf("port bindings %v", hc.PortBindings)
	}
	c = s.container(&lab.Workload{Name: "h", Networks: []lab.Attachment{{Network: "host"}}}, "node1")
	cfg, hc = c.Config, c.HostConfig
	if cfg.Hostname != "" || !hc.NetworkMode.IsHost() {
		t.Errorf("host network: hostname %q (Docker refuses one there), mode %q", cfg.Hostname, hc.NetworkMode)
	}
}
