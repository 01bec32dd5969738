package report

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/blueprint"
	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/report/graph"
)

// LabGraph draws a lab before anything runs, from its blueprint: the hosts
// side by side with the containers or tasks each runs and the ports they
// publish; a network that spans hosts (overlay, macvlan) as a bus below
// them; a network each host has on its own (bridge) inside each host; the
// lab network the hosts share at the bottom. example says the hosts are
// stand-ins for an inventory.
func LabGraph(bp *blueprint.Blueprint, example bool) *graph.Graph {
	title := "Lab " + bp.Lab.Name + " on " + plural(len(bp.Hosts), "host")
	if example {
		title += " (example hosts: pass -i FILE for yours)"
	}
	g := &graph.Graph{ID: "lab-" + safeID(bp.Lab.Name), Title: title}
	for _, h := range bp.Hosts {
		g.Columns = append(g.Columns, &graph.Column{ID: h.Name, Label: h.Name, Lines: []string{h.Address, h.Role}, Tooltip: "lab address " + h.Address})
	}
	for _, n := range bp.Networks {
		if spans(n) {
			g.Buses = append(g.Buses, &graph.Bus{ID: "net-" + n.Name, Label: n.Name, Lines: []string{networkLine(n)}, Tooltip: n.Driver.Path()})
		}
	}
	g.Buses = append(g.Buses, &graph.Bus{ID: "lab", Label: "lab network", Lines: []string{"the hosts' lab addresses"}, State: graph.Neutral,
		Tooltip: "the underlay: swarm traffic, VXLAN, macvlan frames and published ports go over it"})
	for _, w := range bp.Workloads {
		for _, h := range w.Hosts {
			drawWorkload(g, bp, w, h)
		}
	}
	for _, h := range bp.Hosts {
		g.Edges = append(g.Edges, graph.Edge{From: h.Name, To: "lab", Kind: graph.EdgeLink, Label: h.Parent})
	}
	labFaultNotes(g, bp)
	return g
}

// labFaultNotes puts a fault lab's faults on their hosts.
func labFaultNotes(g *graph.Graph, bp *blueprint.Blueprint) {
	faults, _, err := bp.Lab.PlanFaults(bp.Infos())
	if err != nil {
		return
	}
	for i, f := range faults {
		c := column(g, f.Host)
		if c == nil {
			continue
		}
		what := bp.Lab.Faults[i]
		line := map[bool]string{true: "its lab link cut"}[what.Cut]
		switch {
		case what.Block != "":
			line = what.Block + " blocked"
		case what.MTU != 0:
			line = fmt.Sprintf("lab MTU %d", what.MTU)
		case what.Delay != "":
			line = what.Delay + " delay"
		case what.Loss != 0:
			line = fmt.Sprintf("%g%% loss", what.Loss)
		}
		c.Nodes = append(c.Nodes, &graph.Node{ID: fmt.Sprintf("%s/fault/%d", f.Host, i), Rank: 0, Kind: graph.KindNote,
			Label: "⚡ fault", Lines: []string{line}, Tooltip: "made by lab run for the check, healed after it\n" + what.Note})
	}
}

// spans: the network is one segment across the hosts (not one per host,
// not the host's own stack, not none).
func spans(n blueprint.Network) bool {
	t := n.Driver.Traits()
	return !t.PerHostSegment && !t.HostStack && !t.NoEndpoint
}

func networkLine(n blueprint.Network) string {
	parts := []string{n.Network.Driver}
	if n.Subnet.IsValid() {
		parts = append(parts, n.Subnet.String())
	} else if n.Default && n.Driver.Traits().Builtin == "bridge" {
		parts = append(parts, "docker0")
	}
	if n.Encrypted {
		parts = append(parts, "encrypted")
	}
	return strings.Join(parts, " · ")
}

// drawWorkload draws w's container or task on host h and its attachments.
func drawWorkload(g *graph.Graph, bp *blueprint.Blueprint, w blueprint.Workload, h string) {
	c := column(g, h)
	id := h + "/" + w.Name
	kind := "container"
	if w.Kind == lab.KindService {
		kind = "service " + w.Mode + " task"
	}
	n := &graph.Node{ID: id, Rank: 0, Kind: graph.KindContainer, Label: w.Name, Lines: []string{kind}, Tooltip: workloadTip(w)}
	if w.Replicated() {
		n.State, n.Lines = graph.Quiet, []string{fmt.Sprintf("replica of %d: may run here", w.Replicas)}
	}
	c.Nodes = append(c.Nodes, n)
	for _, p := range w.Ports {
		n.Lines = append(n.Lines, fmt.Sprintf("publishes %d→%d/%s", p.Published, p.Target, p.Protocol))
		g.Edges = append(g.Edges, graph.Edge{From: id, To: "lab", Kind: graph.EdgeLink, Arrow: false, Label: fmt.Sprintf(":%d", p.Published),
			Tooltip: fmt.Sprintf("%s:%d on %s's lab address reaches port %d/%s of %s (%s mode)", h, p.Published, h, p.Target, p.Protocol, w.Name, p.Mode)})
	}
	for _, a := range w.Networks {
		bn := bp.Network(a.Network)
		if bn == nil {
			continue
		}
		label := a.IP
		switch t := bn.Driver.Traits(); {
		case t.NoEndpoint && t.HostStack:
			n.Lines = append(n.Lines, "on the host's own network stack")
			g.Edges = append(g.Edges, graph.Edge{From: id, To: "lab", Kind: graph.EdgeLink, State: graph.Quiet, Label: "host network"})
		case t.NoEndpoint:
			n.Lines = append(n.Lines, "network none: loopback only")
		case t.PerHostSegment:
			br := localBridge(c, bn, h)
			g.Edges = append(g.Edges, graph.Edge{From: id, To: br, Kind: graph.EdgeLink, Label: label})
		default:
			g.Edges = append(g.Edges, graph.Edge{From: id, To: "net-" + a.Network, Kind: graph.EdgeLink, Label: label})
		}
	}
}

// localBridge is the box of a per-host network on host h, made once.
func localBridge(c *graph.Column, bn *blueprint.Network, h string) string {
	id := h + "/net/" + bn.Name
	if nodeOf(c, id) == nil {
		label := bn.Name
		if bn.Default {
			label = bn.Name + " (docker0)"
		}
		c.Nodes = append(c.Nodes, &graph.Node{ID: id, Rank: 1, Kind: graph.KindBridge, Label: label, Lines: []string{networkLine(*bn)}, Tooltip: bn.Driver.Path()})
	}
	return id
}

func workloadTip(w blueprint.Workload) string {
	var nets []string
	for _, a := range w.Networks {
		s := a.Network
		if a.IP != "" {
			s += " (" + a.IP + ")"
		}
		nets = append(nets, s)
	}
	return fmt.Sprintf("%s %s on %s; networks: %s", w.Kind, w.Name, strings.Join(w.Hosts, ", "), strings.Join(nets, ", "))
}
