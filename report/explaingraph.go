package report

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/overlab/overlab/explain"
	"github.com/overlab/overlab/report/graph"
	"github.com/overlab/overlab/results"
)

// ExplainGraph draws the Linux objects behind one network on every host:
// per host, each container's interface, its veth's other end, the bridge
// (for an overlay inside the network's own namespace, with the vxlan
// device and its VNI) or the macvlan parent, and the interface of the
// host's lab address; between hosts, the VXLAN tunnels that the FDB
// entries point at. Every box carries the command that shows it by hand.
// With a check's document, tunnels are coloured by the probes between
// their hosts on that network.
func ExplainGraph(v explain.View, d *results.Document) *graph.Graph {
	g := &graph.Graph{ID: "explain-" + safeID(v.Network), Title: explainHead(v)}
	eg := explainGraph{g: g, v: v, addrs: map[string]string{}}
	for _, h := range v.Hosts {
		eg.column(h)
	}
	eg.tunnels(d)
	eg.faults(d)
	if len(eg.lab) > 0 {
		g.Buses = append(g.Buses, &graph.Bus{ID: "lab", Label: "lab network", Lines: eg.lab, State: graph.Neutral,
			Tooltip: "the underlay: the network of the hosts' lab addresses"})
		for _, c := range g.Columns {
			for _, n := range c.Nodes {
				if n.Kind == graph.KindUnderlay {
					g.Edges = append(g.Edges, graph.Edge{From: n.ID, To: "lab", Kind: graph.EdgeLink})
				}
			}
		}
	}
	return g
}

func explainHead(v explain.View) string {
	head := fmt.Sprintf("%s: %s network", v.Network, v.Driver)
	if v.Subnet != "" {
		head += " " + v.Subnet
	}
	if v.VNI != "" {
		head += ", VXLAN ID " + v.VNI
	}
	return head
}

type explainGraph struct {
	g     *graph.Graph
	v     explain.View
	addrs map[string]string // lab address → host
	lab   []string          // the underlay's subnets
	fdb   map[[2]string][]string
	rules map[string]int // iptables rules per box and kind
}

// Ranks of the boxes in a host's column, top to bottom.
const (
	rankContainer = iota
	rankPeer
	rankBridge
	rankTunnel
	rankUnderlay
)

// column draws one host's objects.
func (eg *explainGraph) column(h explain.HostView) {
	c := &graph.Column{ID: h.Host, Label: h.Host, Tooltip: "host " + h.Host}
	eg.g.Columns = append(eg.g.Columns, c)
	if h.Error != "" {
		c.State = graph.Fail
		c.Nodes = append(c.Nodes, &graph.Node{ID: h.Host + "/error", Kind: graph.KindNote, State: graph.Fail, Label: "could not look", Lines: wrapLines(h.Error, 40, 3), Tooltip: h.Error})
		return
	}
	id := func(kind, name string) string { return h.Host + "/" + kind + "/" + name }
	var ns *graph.Group
	for _, o := range h.Objects {
		switch o.Kind {
		case "netns":
			c.Groups = append(c.Groups, graph.Group{ID: id("netns", o.Name), Label: "netns " + o.Name, Tooltip: o.Detail + "\n$ " + o.Command})
			ns = &c.Groups[len(c.Groups)-1]
		case "bridge":
			c.Nodes = append(c.Nodes, &graph.Node{ID: id("bridge", o.Name), Rank: rankBridge, Kind: graph.KindBridge, Label: o.Name, Lines: mtuLine(o.MTU), Tooltip: byHand(o)})
			eg.inNS(ns, o, id("bridge", o.Name))
		case "vxlan":
			c.Nodes = append(c.Nodes, &graph.Node{ID: id("vxlan", o.Name), Rank: rankTunnel, Kind: graph.KindTunnel, Label: o.Name, Lines: []string{"VXLAN ID " + eg.v.VNI, "UDP 4789"}, Tooltip: byHand(o)})
			eg.inNS(ns, o, id("vxlan", o.Name))
			if o.Master != "" {
				eg.link(id("bridge", o.Master), id("vxlan", o.Name), graph.EdgeLink, "")
			}
		case "parent", "underlay":
			eg.underlay(c, o, id("underlay", o.Name))
		case "fdb":
			eg.addFDB(h.Host, o)
		case "neigh":
			if t := tunnelOf(c); t != nil {
				t.Tooltip += "\nneighbour " + o.Name + ": " + o.Detail
			}
		case "iptables", "nat":
			eg.rule(c, o, id("rules", "iptables"))
		}
	}
	eg.members(c, h, ns, id)
}

// inNS puts a box in the overlay's namespace frame when it is there.
func (eg *explainGraph) inNS(ns *graph.Group, o explain.Object, node string) {
	if ns != nil && strings.HasPrefix(o.Where, "netns ") {
		ns.Nodes = append(ns.Nodes, node)
	}
}

func byHand(o explain.Object) string {
	s := o.Detail
	if o.Command != "" {
		s += "\n$ " + o.Command
	}
	return s
}

func mtuLine(mtu int) []string {
	if mtu == 0 {
		return nil
	}
	return []string{fmt.Sprintf("MTU %d", mtu)}
}

// underlay draws the host's lab interface (a macvlan parent is the same
// box when it is the same interface) and records the lab's subnet.
func (eg *explainGraph) underlay(c *graph.Column, o explain.Object, node string) {
	if p, err := netip.ParsePrefix(o.Addr); err == nil {
		eg.addrs[p.Addr().String()] = c.ID
		if s := p.Masked().String(); !slices.Contains(eg.lab, s) {
			eg.lab = append(eg.lab, s)
		}
		c.Lines = append(c.Lines, p.Addr().String())
	}
	if n := nodeOf(c, node); n != nil {
		n.Tooltip += "\n" + byHand(o)
		if o.Addr != "" {
			n.Lines = append([]string{o.Addr}, n.Lines...)
		}
		return
	}
	lines := mtuLine(o.MTU)
	if o.Addr != "" {
		lines = append([]string{o.Addr}, lines...)
	}
	if o.Kind == "parent" {
		lines = append(lines, "macvlan parent")
	}
	c.Nodes = append(c.Nodes, &graph.Node{ID: node, Rank: rankUnderlay, Kind: graph.KindUnderlay, Label: o.Name, Lines: lines, Tooltip: byHand(o)})
	if vx := tunnelOf(c); vx != nil {
		eg.link(vx.ID, node, graph.EdgeTunnel, "UDP 4789")
	}
	for _, n := range c.Nodes {
		if n.Kind == graph.KindBridge && !strings.Contains(n.ID, "/bridge/br0") {
			eg.g.Edges = append(eg.g.Edges, graph.Edge{From: n.ID, To: node, Kind: graph.EdgeLink, State: graph.Quiet, Label: "routed, NAT"})
		}
	}
}

func nodeOf(c *graph.Column, id string) *graph.Node {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func (eg *explainGraph) link(from, to, kind, label string) {
	eg.g.Edges = append(eg.g.Edges, graph.Edge{From: from, To: to, Kind: kind, Label: label})
}

// tunnelOf is the host's VXLAN device.
func tunnelOf(c *graph.Column) *graph.Node {
	for _, n := range c.Nodes {
		if n.Kind == graph.KindTunnel {
			return n
		}
	}
	return nil
}

// rule gathers a host's iptables rules for the network in one box.
func (eg *explainGraph) rule(c *graph.Column, o explain.Object, node string) {
	n := nodeOf(c, node)
	if n == nil {
		n = &graph.Node{ID: node, Rank: rankTunnel, Kind: graph.KindRule, Label: "iptables"}
		c.Nodes = append(c.Nodes, n)
		for _, b := range c.Nodes {
			if b.Kind == graph.KindBridge {
				eg.g.Edges = append(eg.g.Edges, graph.Edge{From: b.ID, To: node, Kind: graph.EdgeLink, State: graph.Quiet, Label: "filtered by"})
			}
		}
	}
	if eg.rules == nil {
		eg.rules = map[string]int{}
	}
	eg.rules[node+"/"+o.Kind]++
	n.Lines = nil
	if k := eg.rules[node+"/iptables"]; k > 0 {
		n.Lines = append(n.Lines, plural(k, "isolation rule"))
	}
	if k := eg.rules[node+"/nat"]; k > 0 {
		n.Lines = append(n.Lines, plural(k, "NAT rule (published port)"))
	}
	n.Tooltip = strings.TrimPrefix(n.Tooltip+"\n"+o.Detail+"\n$ "+o.Command, "\n")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if i := strings.Index(what, " ("); i > 0 {
		return fmt.Sprintf("%d %ss%s", n, what[:i], what[i:])
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (eg *explainGraph) addFDB(host string, o explain.Object) {
	if eg.fdb == nil {
		eg.fdb = map[[2]string][]string{}
	}
	k := [2]string{host, o.Dest}
	eg.fdb[k] = append(eg.fdb[k], o.Name)
}

// members draws each container's interface and the other end of its veth
// (or, for a macvlan child, its link to the parent).
func (eg *explainGraph) members(c *graph.Column, h explain.HostView, ns *graph.Group, id func(kind, name string) string) {
	for _, o := range h.Objects {
		name, ok := strings.CutPrefix(o.Where, "container ")
		if !ok {
			continue
		}
		label, task := shortContainer(name)
		lines := []string{strings.TrimSpace(o.Name + " " + o.Addr)}
		if task != "" {
			lines = append([]string{task}, lines...)
		}
		lines = append(lines, mtuLine(o.MTU)...)
		cid := id("container", name)
		c.Nodes = append(c.Nodes, &graph.Node{ID: cid, Rank: rankContainer, Kind: graph.KindContainer, Label: label, Lines: lines,
			Tooltip: "container " + name + "\n" + byHand(o)})
		switch {
		case o.Kind == "veth" && o.PeerName != "":
			pid := id("peer", o.PeerName)
			c.Nodes = append(c.Nodes, &graph.Node{ID: pid, Rank: rankPeer, Kind: graph.KindIface, Label: o.PeerName, Lines: []string{"veth, in " + o.PeerWhere},
				Tooltip: o.Peer + "\n$ " + peerCommand(o)})
			eg.link(cid, pid, graph.EdgeLink, "veth pair")
			if ns != nil && strings.HasPrefix(o.PeerWhere, "netns ") {
				ns.Nodes = append(ns.Nodes, pid)
			}
			if o.Master != "" && nodeOf(c, id("bridge", o.Master)) != nil {
				eg.link(pid, id("bridge", o.Master), graph.EdgeLink, "")
			}
		case o.PeerName != "" && nodeOf(c, id("underlay", o.PeerName)) != nil:
			eg.link(cid, id("underlay", o.PeerName), graph.EdgeLink, o.Kind+" child")
		}
	}
}

// peerCommand shows the other end of a veth by hand, in its namespace.
func peerCommand(o explain.Object) string {
	if ns, ok := strings.CutPrefix(o.PeerWhere, "netns "); ok {
		return "nsenter --net=/var/run/docker/netns/" + ns + " ip -d link show " + o.PeerName
	}
	return "ip -d link show " + o.PeerName
}

// shortContainer names a container as a person reads it: a swarm task's
// name (SERVICE.NODE-ID.TASK-ID, 60 characters) is its service, and "task
// abcdef".
func shortContainer(name string) (label, task string) {
	p := strings.Split(name, ".")
	if len(p) >= 3 && len(p[len(p)-1]) >= 20 {
		return strings.Join(p[:len(p)-2], "."), "task " + p[len(p)-1][:6]
	}
	return name, ""
}

// tunnels draws a VXLAN tunnel between two hosts for the FDB entries that
// point from one to the other (an arrow when only one side has them), and
// a missing one where two hosts of the overlay know nothing of each other.
func (eg *explainGraph) tunnels(d *results.Document) {
	if eg.v.VNI == "" {
		return
	}
	var ps *pairs
	if d != nil {
		ps = hostPairs(d, eg.v.Network)
	}
	hosts := []string{}
	for _, c := range eg.g.Columns {
		if underlayOf(c) != "" && tunnelOf(c) != nil {
			hosts = append(hosts, c.ID)
		}
	}
	for i, a := range hosts {
		for _, b := range hosts[i+1:] {
			eg.tunnel(a, b, ps)
		}
	}
}

func underlayOf(c *graph.Column) string {
	for _, n := range c.Nodes {
		if n.Kind == graph.KindUnderlay {
			return n.ID
		}
	}
	return ""
}

func (eg *explainGraph) macsTo(from, to string) []string {
	var out []string
	for k, macs := range eg.fdb {
		if k[0] == from && eg.addrs[k[1]] == to {
			out = append(out, macs...)
		}
	}
	slices.Sort(out)
	return out
}

func (eg *explainGraph) tunnel(a, b string, ps *pairs) {
	ab, ba := eg.macsTo(a, b), eg.macsTo(b, a)
	e := graph.Edge{From: underlayOf(column(eg.g, a)), To: underlayOf(column(eg.g, b)), Kind: graph.EdgeTunnel, Label: "VXLAN " + eg.v.VNI}
	var tip []string
	if len(ab) > 0 {
		tip = append(tip, fmt.Sprintf("%s's FDB: %s → %s", a, strings.Join(ab, ", "), b))
	}
	if len(ba) > 0 {
		tip = append(tip, fmt.Sprintf("%s's FDB: %s → %s", b, strings.Join(ba, ", "), a))
	}
	switch {
	case len(ab) > 0 && len(ba) > 0:
		e.Both = true
	case len(ab) > 0:
		e.Arrow = true
		tip = append(tip, b+" has no FDB entry for "+a)
	case len(ba) > 0:
		e.From, e.To, e.Arrow = e.To, e.From, true
		tip = append(tip, a+" has no FDB entry for "+b)
	default:
		e.State, e.Label = graph.Quiet, "no FDB entry"
		tip = append(tip, "neither host's FDB points at the other: Docker learns a peer's containers by gossip (7946)")
	}
	if ps != nil {
		o1, o2 := ps.outcome(a, b), ps.outcome(b, a)
		switch {
		case o1.broken+o2.broken > 0:
			e.State = graph.Fail
			tip = append(tip, fmt.Sprintf("probes %s → %s: %d of %d failed; %s → %s: %d of %d failed", a, b, o1.broken, o1.total, b, a, o2.broken, o2.total))
		case o1.total+o2.total > 0 && e.State != graph.Quiet:
			e.State = graph.OK
		}
	}
	e.Tooltip = strings.Join(tip, "\n")
	eg.g.Edges = append(eg.g.Edges, e)
}

func column(g *graph.Graph, id string) *graph.Column {
	for _, c := range g.Columns {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// wrapLines cuts s into at most n lines of about w characters.
func wrapLines(s string, w, n int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > w {
			out = append(out, line)
			line = ""
		}
		line = strings.TrimSpace(line + " " + word)
	}
	if line != "" {
		out = append(out, line)
	}
	if len(out) > n {
		out = append(out[:n-1], out[n-1]+" …")
	}
	return out
}

// safeID keeps letters, digits and '-' of s, for ids in a page.
func safeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// faults puts a fault lab's faults under the lab interface of their host:
// what the picture shows broken, and why.
func (eg *explainGraph) faults(d *results.Document) {
	if d == nil || d.Faults == nil {
		return
	}
	for i, f := range d.Faults.Faults {
		c := column(eg.g, f.Host)
		if c == nil || f.Error != "" {
			continue
		}
		c.Nodes = append(c.Nodes, &graph.Node{ID: fmt.Sprintf("%s/fault/%d", f.Host, i), Rank: rankUnderlay + 1, Kind: graph.KindNote,
			Label: "⚡ fault: " + f.Kind, Lines: wrapLines(f.What, 30, 3), Tooltip: strings.TrimSpace(f.What + "\n" + f.Note)})
	}
}
