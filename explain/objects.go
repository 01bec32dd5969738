package explain

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/shellquote"
)

func (g gatherer) objects(s map[string]string) []Object {
	host := parseLinks(s["host"])
	var out []Object
	switch g.objectKind() {
	case netdriver.ObjectsOverlay:
		out = g.overlay(s)
	case netdriver.ObjectsBridge:
		out = g.bridge(host)
	case netdriver.ObjectsParent:
		out = g.parent(host)
	}
	out = append(out, g.members(s, host)...)
	out = append(out, g.underlay(s, host)...)
	return append(out, g.rules(s)...)
}

// underlay is the interface that holds the host's lab address: where the
// VXLAN packets of an overlay, a macvlan's frames and the answers of
// published ports leave and arrive.
func (g gatherer) underlay(s map[string]string, host []link) []Object {
	self := ""
	for addr, name := range g.peers {
		if name == g.host {
			self = addr
		}
	}
	if self == "" {
		return nil
	}
	for _, line := range strings.Split(s["addr"], "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "inet" {
			continue
		}
		if a, _, _ := strings.Cut(f[3], "/"); a != self {
			continue
		}
		name := strings.TrimSuffix(f[1], ":")
		mtu := 0
		if l, ok := byName(host, name); ok {
			mtu = l.MTU
		}
		why := "the host's lab address"
		switch t := netdriver.Of(g.nw.Driver).Traits(); {
		case t.Tunnel:
			why = "VXLAN packets to and from the other hosts (UDP 4789) and the swarm's gossip (7946) go through it"
		case t.Underlay:
			why = "the lab network, shared with the containers' macvlan children"
		case t.PerHostSegment:
			why = "the host's lab address: published ports answer on it; other traffic leaves through it with NAT"
		}
		return []Object{{Kind: "underlay", Name: name, Where: "host", Addr: f[3], MTU: mtu, Detail: fmt.Sprintf("%s, MTU %d: %s", f[3], mtu, why), Command: "ip -d addr show " + name}}
	}
	return nil
}

func ports(ls []link, master string) []string {
	var ps []string
	for _, l := range ls {
		if l.Master == master {
			ps = append(ps, l.Name)
		}
	}
	return ps
}

func (g gatherer) overlay(s map[string]string) []Object {
	ns := g.nsPath()
	nsName := "netns " + ns[strings.LastIndex(ns, "/")+1:]
	enter := "nsenter --net=" + ns + " "
	links := parseLinks(s["ns"])
	out := []Object{{Kind: "netns", Name: ns[strings.LastIndex(ns, "/")+1:], Where: "host",
		Detail: "the overlay's own network namespace on this host: its bridge, VXLAN device and the containers' veth ends", Command: enter + "ip -d link show"}}
	if br, ok := byName(links, "br0"); ok {
		out = append(out, Object{Kind: "bridge", Name: "br0", Where: nsName, MTU: br.MTU,
			Detail:  fmt.Sprintf("MTU %d, ports: %s", br.MTU, strings.Join(ports(links, "br0"), ", ")),
			Command: enter + "ip link show master br0"})
	}
	for _, l := range links {
		if l.Kind == "vxlan" {
			out = append(out, Object{Kind: "vxlan", Name: l.Name, Where: nsName, MTU: l.MTU, Master: l.Master,
				Detail:  fmt.Sprintf("VNI %d, UDP port %d, MTU %d: wraps br0's frames in UDP to the other hosts' lab addresses", l.VNI, l.Port, l.MTU),
				Command: enter + "ip -d link show " + l.Name})
		}
	}
	for _, line := range strings.Split(s["fdb"], "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "dst" {
			out = append(out, Object{Kind: "fdb", Name: f[0], Where: nsName,
				Detail:  fmt.Sprintf("frames for %s go in VXLAN to %s%s", f[0], f[2], g.peerName(f[2])),
				Command: enter + "bridge fdb show dev vxlan0", Dest: f[2]})
		}
	}
	for _, line := range strings.Split(s["neigh"], "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "lladdr" {
			out = append(out, Object{Kind: "neigh", Name: f[0], Where: nsName,
				Detail: "answers for " + f[0] + " with " + f[2] + " (a container on another host, filled in by Docker from gossip)", Command: enter + "ip neigh show dev vxlan0"})
		}
	}
	return out
}

func (g gatherer) peerName(ip string) string {
	if n := g.peers[ip]; n != "" {
		return " (" + n + ")"
	}
	return ""
}

func (g gatherer) bridge(host []link) []Object {
	br := g.bridgeName()
	l, ok := byName(host, br)
	if !ok {
		return []Object{{Kind: "bridge", Name: br, Where: "host", Detail: "not found on this host (no container of the network here?)", Command: "ip -d link show " + br}}
	}
	return []Object{{Kind: "bridge", Name: br, Where: "host", MTU: l.MTU, Detail: fmt.Sprintf("MTU %d, ports: %s", l.MTU, strings.Join(ports(host, br), ", ")),
		Command: "ip link show master " + br + "   (brctl show " + br + ")"}}
}

// objectKind is which Linux objects carry the network, by its driver.
func (g gatherer) objectKind() netdriver.ObjectKind {
	return netdriver.Of(g.nw.Driver).Traits().Objects
}

func (g gatherer) parent(host []link) []Object {
	p := g.nw.Options["parent"]
	mtu := 0
	l, ok := byName(host, p)
	detail := "not found on this host"
	if ok {
		mtu = l.MTU
		detail = fmt.Sprintf("MTU %d: the parent interface; each container's %s child sends and receives through it, bypassing the host's IP stack", l.MTU, g.nw.Driver)
	}
	return []Object{{Kind: "parent", Name: p, Where: "host", MTU: mtu, Detail: detail, Command: "ip -d link show " + p}}
}

// members: each container's interface on the network and its other end.
func (g gatherer) members(s map[string]string, host []link) []Object {
	var out []Object
	ns := parseLinks(s["ns"])
	for _, m := range g.ms {
		cl := parseLinks(s["c "+m.name])
		var mine link
		for _, l := range cl {
			if strings.EqualFold(l.MAC, m.mac) {
				mine = l
			}
		}
		if mine.Name == "" {
			continue
		}
		o := Object{Kind: mine.Kind, Name: mine.Name, Where: "container " + m.name, Addr: m.ip, MTU: mine.MTU,
			Detail:  fmt.Sprintf("%s, MAC %s, MTU %d", m.ip, m.mac, mine.MTU),
			Command: fmt.Sprintf("nsenter -t $(docker inspect -f '{{.State.Pid}}' %s) -n ip -d link show %s", shellquote.Quote(m.name), shellquote.Quote(mine.Name))}
		switch {
		case mine.Kind == "macvlan" || mine.Kind == "ipvlan":
			if p, ok := byIndex(host, mine.Peer); ok {
				o.Peer = p.Name + " in host"
				o.PeerName, o.PeerWhere = p.Name, "host"
			}
			o.Detail += ", " + mine.Kind + " mode " + mine.Mode
		case g.objectKind() == netdriver.ObjectsOverlay:
			if p, ok := byIndex(ns, mine.Peer); ok {
				nsName := g.nsPath()[strings.LastIndex(g.nsPath(), "/")+1:]
				o.Peer = fmt.Sprintf("%s (if%d) in netns %s, on %s", p.Name, p.Index, nsName, p.Master)
				o.PeerName, o.PeerWhere, o.Master = p.Name, "netns "+nsName, p.Master
			}
		default:
			if p, ok := byIndex(host, mine.Peer); ok {
				o.Peer = fmt.Sprintf("%s (if%d) in host, on %s", p.Name, p.Index, p.Master)
				o.PeerName, o.PeerWhere, o.Master = p.Name, "host", p.Master
			}
		}
		out = append(out, o)
	}
	return out
}

// rules: the isolation rules of a bridge network and the NAT rules that
// publish its containers' ports.
func (g gatherer) rules(s map[string]string) []Object {
	if g.objectKind() != netdriver.ObjectsBridge {
		return nil
	}
	br := g.bridgeName()
	var out []Object
	for _, c := range []struct{ sec, chain string }{{"iso1", "DOCKER-ISOLATION-STAGE-1"}, {"iso2", "DOCKER-ISOLATION-STAGE-2"}} {
		for _, r := range strings.Split(s[c.sec], "\n") {
			if strings.HasPrefix(r, "-A ") && strings.Contains(r+" ", " "+br+" ") {
				out = append(out, Object{Kind: "iptables", Name: c.chain, Where: "host", Detail: r, Command: "iptables -S " + c.chain})
			}
		}
	}
	for _, m := range g.ms {
		ip, _, _ := strings.Cut(m.ip, "/")
		for _, r := range strings.Split(s["nat"], "\n") {
			if ip != "" && strings.Contains(r, "--to-destination "+ip+":") {
				out = append(out, Object{Kind: "nat", Name: "DOCKER", Where: "host", Detail: r + "   (publishes " + m.name + ")", Command: "iptables -t nat -S DOCKER"})
			}
		}
	}
	return out
}
