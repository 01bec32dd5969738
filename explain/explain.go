package explain

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/hostcmd"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/shellquote"
)

// API is the part of a host's Docker engine explain reads.
type API interface {
	NetworkInspect(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, error)
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
}

// Host is one lab host: its shell over SSH and its engine.
type Host struct {
	hostcmd.Host
	API API
}

// Object is one Linux object behind the network on a host.
type Object struct {
	Kind    string `json:"kind"`  // bridge, veth, netns, vxlan, fdb, neigh, macvlan, parent, iptables, nat
	Name    string `json:"name"`  // its name (interface, chain, MAC)
	Where   string `json:"where"` // the namespace: host, netns 1-abc, container NAME
	Detail  string `json:"detail"`
	Command string `json:"command"` // shows it by hand on the host
	// Peer is the other end of a veth (or a macvlan's parent): "name in where".
	Peer string `json:"peer,omitempty"`

	// What pictures draw, beside the words above: the object's address
	// and MTU; the other end of a veth or a child's parent (PeerName, in
	// PeerWhere: "host" or "netns NAME") and the bridge that end is a port
	// of (Master); the lab address an FDB entry sends frames to (Dest).
	Addr      string `json:"addr,omitempty"`
	MTU       int    `json:"mtu,omitempty"`
	PeerName  string `json:"peer_name,omitempty"`
	PeerWhere string `json:"peer_where,omitempty"`
	Master    string `json:"master,omitempty"`
	Dest      string `json:"dest,omitempty"`
}

// HostView is one network on one host.
type HostView struct {
	Host    string   `json:"host"`
	Objects []Object `json:"objects"`
	Error   string   `json:"error,omitempty"`
}

// View is one network across the hosts.
type View struct {
	Network string     `json:"network"`
	Driver  string     `json:"driver"`
	Subnet  string     `json:"subnet,omitempty"`
	VNI     string     `json:"vni,omitempty"`
	Hosts   []HostView `json:"hosts"`
}

// member is a container of the network on this host.
type member struct {
	name, ip, mac string
	pid           int
	sandbox       string
}

// Gather explains network (a name or ID) on h. peers maps underlay
// addresses to host names, to say which host an FDB entry points at.
func Gather(ctx context.Context, h Host, name string, peers map[string]string) (View, HostView, error) {
	hv := HostView{Host: h.Name(), Objects: []Object{}}
	nw, err := h.API.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return View{}, hv, fmt.Errorf("%s: network %s: %w", h.Name(), name, err)
	}
	v := View{Network: nw.Name, Driver: nw.Driver, VNI: nw.Options["com.docker.network.driver.overlay.vxlanid_list"]}
	if len(nw.IPAM.Config) > 0 {
		v.Subnet = nw.IPAM.Config[0].Subnet
	}
	var ms []member
	for id, ep := range nw.Containers {
		if strings.HasPrefix(id, "lb-") || strings.HasPrefix(ep.Name, "lb-") {
			continue // the load balancer endpoint is no container
		}
		ci, err := h.API.ContainerInspect(ctx, id)
		if err != nil || ci.State == nil || ci.State.Pid == 0 {
			continue
		}
		ms = append(ms, member{name: ep.Name, ip: ep.IPv4Address, mac: ep.MacAddress, pid: ci.State.Pid, sandbox: ci.NetworkSettings.SandboxKey})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].name < ms[j].name })
	g := gatherer{nw: nw, ms: ms, peers: peers, host: h.Name()}
	out, err := hostcmd.RunRoot(ctx, h, g.script())
	if err != nil {
		return v, hv, fmt.Errorf("%s: reading the network's objects: %w", h.Name(), err)
	}
	hv.Objects = g.objects(sections(out))
	return v, hv, nil
}

type gatherer struct {
	nw    network.Inspect
	ms    []member
	peers map[string]string
	host  string // the host's name, to find its own lab address in peers
}

// nsPath is the overlay network's namespace, next to the containers'
// sandboxes (/var/run/docker/netns/1-<first 10 of the ID>).
func (g gatherer) nsPath() string {
	dir := "/var/run/docker/netns"
	for _, m := range g.ms {
		if m.sandbox != "" {
			dir = path.Dir(m.sandbox)
			break
		}
	}
	return dir + "/1-" + g.nw.ID[:min(10, len(g.nw.ID))]
}

// bridgeName is the Linux bridge of a bridge network.
func (g gatherer) bridgeName() string {
	return netdriver.BridgeName(g.nw.ID, g.nw.Name, g.nw.Options)
}

func (g gatherer) script() string {
	q := shellquote.Quote
	var b strings.Builder
	b.WriteString("echo '@@@ host'; ip -o -d link show\necho '@@@ addr'; ip -o -4 addr show\n")
	if g.objectKind() == netdriver.ObjectsOverlay {
		ns := "--net=" + q(g.nsPath())
		fmt.Fprintf(&b, "echo '@@@ ns'; nsenter %[1]s ip -o -d link show\necho '@@@ fdb'; nsenter %[1]s bridge fdb show dev vxlan0\necho '@@@ neigh'; nsenter %[1]s ip neigh show dev vxlan0\n", ns)
	}
	for _, m := range g.ms {
		fmt.Fprintf(&b, "echo '@@@ c %s'; nsenter -t %d -n ip -o -d link show\n", m.name, m.pid)
	}
	b.WriteString("echo '@@@ iso1'; iptables -w 5 -S DOCKER-ISOLATION-STAGE-1 2>/dev/null\necho '@@@ iso2'; iptables -w 5 -S DOCKER-ISOLATION-STAGE-2 2>/dev/null\necho '@@@ nat'; iptables -w 5 -t nat -S DOCKER 2>/dev/null\n")
	return b.String()
}
