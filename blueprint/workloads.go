package blueprint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/go-connections/nat"

	"github.com/overlab/overlab/lab"
	swarmpkg "github.com/overlab/overlab/swarm"
)

// SpecLabel holds a hash of what overlab asked for, so that a second `up`
// with nothing changed touches nothing.
const SpecLabel = "overlab.spec"

// Workload is one lab workload with the exact Docker specs that run it.
type Workload struct {
	*lab.Workload
	// Hosts it runs on (a replicated service: where it may run).
	Hosts []string
	// Service is the swarm service spec of a service workload.
	Service *swarm.ServiceSpec
	// Containers are a container workload's, one per host, in Hosts order.
	Containers []Container
}

// Container is one container of a workload on one host.
type Container struct {
	Host       string
	Config     *container.Config
	HostConfig *container.HostConfig
	// Networking attaches the first network at create; Connect the others
	// after it, in order.
	Networking *network.NetworkingConfig
	Connect    []Connect
	// Hash is the SpecLabel value: equal hashes, nothing to change.
	Hash string
}

// Connect attaches a created container to one more network.
type Connect struct {
	Network  string
	Endpoint *network.EndpointSettings
}

// workloads are the lab's workloads with their specs.
func (bp *Blueprint) workloads() []Workload {
	out := make([]Workload, 0, len(bp.Lab.Workloads))
	for i := range bp.Lab.Workloads {
		w := &bp.Lab.Workloads[i]
		bw := Workload{Workload: w, Hosts: bp.Placed[w.Name]}
		if w.Kind == lab.KindService {
			spec := bp.serviceSpec(w)
			bw.Service = &spec
		} else {
			for _, h := range bw.Hosts {
				bw.Containers = append(bw.Containers, bp.container(w, h))
			}
		}
		out = append(out, bw)
	}
	return out
}

func (bp *Blueprint) image(w *lab.Workload) string {
	if w.Image != "" {
		return w.Image
	}
	return bp.Image
}

func specHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (bp *Blueprint) serviceSpec(w *lab.Workload) swarm.ServiceSpec {
	grace := time.Second
	labels := bp.labels()
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: w.Name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:           bp.image(w),
				Args:            w.Command,
				Hostname:        "{{.Service.Name}}-{{.Node.Hostname}}",
				StopGracePeriod: &grace,
				Labels:          bp.labels(),
			},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny},
			Placement:     &swarm.Placement{Constraints: bp.constraints(w)},
			Resources:     probeLimits(w),
		},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP, Ports: servicePorts(w)},
	}
	if bp.DNSRR {
		spec.EndpointSpec.Mode = swarm.ResolutionModeDNSRR
	}
	for _, a := range w.Networks {
		spec.TaskTemplate.Networks = append(spec.TaskTemplate.Networks, swarm.NetworkAttachmentConfig{Target: a.Network, Aliases: a.Aliases})
	}
	if w.Hardened {
		harden(spec.TaskTemplate.ContainerSpec)
	}
	if w.Replicated() {
		n := uint64(w.Replicas)
		spec.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &n}}
	} else {
		spec.Mode = swarm.ServiceMode{Global: &swarm.GlobalService{}}
	}
	labels[SpecLabel] = specHash(spec)
	return spec
}

func servicePorts(w *lab.Workload) []swarm.PortConfig {
	var out []swarm.PortConfig
	for _, p := range w.Ports {
		mode := swarm.PortConfigPublishModeHost
		if p.Mode == lab.PortModeIngress {
			mode = swarm.PortConfigPublishModeIngress
		}
		proto := swarm.PortConfigProtocolTCP
		if p.Protocol == "udp" {
			proto = swarm.PortConfigProtocolUDP
		}
		out = append(out, swarm.PortConfig{Protocol: proto, TargetPort: uint32(p.Target), PublishedPort: uint32(p.Published), PublishMode: mode})
	}
	return out
}

// constraints place a service on the workload's hosts: swarm constraints
// are ANDed, so a subset is "not on each host outside it".
func (bp *Blueprint) constraints(w *lab.Workload) []string {
	if w.Constraints != nil {
		return w.Constraints
	}
	placed := map[string]bool{}
	for _, h := range bp.Placed[w.Name] {
		placed[h] = true
	}
	if len(placed) == len(bp.Hosts) {
		return nil
	}
	var out []string
	for _, h := range bp.Hosts {
		if !placed[h.Name] {
			out = append(out, fmt.Sprintf("node.labels.%s!=%s", swarmpkg.HostLabel, h.Name))
		}
	}
	return out
}

// ContainerHostname is a lab container's hostname: unique across hosts, so
// that a probe's answer says which peer answered.
func ContainerHostname(workload, host string) string { return workload + "-" + host }

func (bp *Blueprint) container(w *lab.Workload, host string) Container {
	stop := 1
	c := Container{Host: host,
		Config:     &container.Config{Image: bp.image(w), Hostname: ContainerHostname(w.Name, host), Cmd: w.Command, Labels: bp.labels(), StopTimeout: &stop},
		HostConfig: &container.HostConfig{NetworkMode: "none", PortBindings: nat.PortMap{}},
		Networking: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}},
	}
	if len(w.Networks) > 0 {
		first := w.Networks[0]
		c.HostConfig.NetworkMode = container.NetworkMode(first.Network)
		if c.HostConfig.NetworkMode.IsHost() {
			c.Config.Hostname = "" // Docker refuses a hostname on the host's network
		}
		if n := bp.Network(first.Network); n == nil || !n.Driver.Traits().NoEndpoint {
			c.Networking.EndpointsConfig[first.Network] = endpoint(first)
		}
		for _, a := range w.Networks[1:] {
			c.Connect = append(c.Connect, Connect{Network: a.Network, Endpoint: endpoint(a)})
		}
	}
	c.Config.ExposedPorts = nat.PortSet{}
	for _, p := range w.Ports {
		port := nat.Port(fmt.Sprintf("%d/%s", p.Target, p.Protocol))
		c.Config.ExposedPorts[port] = struct{}{}
		c.HostConfig.PortBindings[port] = append(c.HostConfig.PortBindings[port], nat.PortBinding{HostPort: fmt.Sprint(p.Published)})
	}
	if w.Hardened {
		hardenContainer(c.Config, c.HostConfig)
	}
	c.Hash = specHash([]any{c.Config, c.HostConfig, c.Networking, w.Networks})
	c.Config.Labels[SpecLabel] = c.Hash
	return c
}

func endpoint(a lab.Attachment) *network.EndpointSettings {
	es := &network.EndpointSettings{Aliases: a.Aliases}
	if a.IP != "" {
		es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: a.IP}
	}
	return es
}

// A hardened probe's limits: a tenth of a core and 32 MiB, enough for the
// probe program (6.5 MiB resident, idle between checks) and too little for
// it to hurt the services beside it.
const (
	probeNanoCPUs = 100_000_000
	probeMemory   = 32 << 20
	// probeUser is nobody: the probe needs no privilege (ICMP goes through
	// the ping socket that Docker opens to every group).
	probeUser = "65534:65534"
)

func probeLimits(w *lab.Workload) *swarm.ResourceRequirements {
	if !w.Hardened {
		return nil
	}
	return &swarm.ResourceRequirements{Limits: &swarm.Limit{NanoCPUs: probeNanoCPUs, MemoryBytes: probeMemory}}
}

// harden makes a service's probe a guest on someone else's network.
func harden(cs *swarm.ContainerSpec) {
	cs.ReadOnly = true
	cs.User = probeUser
	cs.CapabilityDrop = []string{"ALL"}
}

func hardenContainer(cfg *container.Config, hc *container.HostConfig) {
	cfg.User = probeUser
	hc.ReadonlyRootfs = true
	hc.CapDrop = []string{"ALL"}
	hc.Resources.NanoCPUs = probeNanoCPUs
	hc.Resources.Memory = probeMemory
}

// labels are the labels of every object made for the lab.
func (bp *Blueprint) labels() map[string]string {
	out := lab.Labels(bp.Lab.Name)
	for k, v := range bp.Lab.Labels {
		out[k] = v
	}
	return out
}
