package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/overlab/overlab/report/graph"
	"github.com/overlab/overlab/results"
)

// TopologyGraph draws a check's lab: the hosts side by side; each network
// a bus below them, with how many of its probes went as expected; a host's
// line to a network broken where every probe to it, from it, or both
// failed on that network; the other failing pairs as arcs above the hosts;
// each diagnosis beside its network; a fault lab's faults on their host.
// A fault lab's expected failures are drawn broken too: they are what the
// class is meant to see.
func TopologyGraph(d *results.Document) *graph.Graph {
	g := &graph.Graph{ID: "topology", Title: "Lab " + labName(d) + " on " + plural(len(d.Hosts), "host"), Compact: len(d.Hosts) > 5}
	for _, h := range d.Hosts {
		g.Columns = append(g.Columns, hostColumn(d, h))
	}
	for _, n := range d.Networks {
		networkBus(g, d, n)
	}
	for _, diag := range d.Diagnoses {
		if len(diag.Networks) > 0 {
			continue
		}
		for _, h := range diag.Hosts {
			if c := column(g, h); c != nil {
				c.State = graph.Fail
				c.Nodes = append(c.Nodes, &graph.Node{ID: h + "/diag/" + diag.Pattern, Rank: len(c.Nodes), Kind: graph.KindNote, State: graph.Fail,
					Label: diag.Pattern, Lines: wrapLines(diag.Cause, 30, 4), Tooltip: diag.Cause + "\nfix: " + diag.Fix})
			}
		}
	}
	return g
}

func labName(d *results.Document) string {
	if d.Lab == "" {
		return "(unnamed)"
	}
	return d.Lab
}

func hostColumn(d *results.Document, h results.Host) *graph.Column {
	c := &graph.Column{ID: h.Name, Label: h.Name, Lines: []string{h.Address}}
	if h.SwarmRole != "" {
		c.Lines = append(c.Lines, h.SwarmRole)
	}
	var tip []string
	if h.EngineVersion != "" {
		tip = append(tip, "Docker Engine "+h.EngineVersion)
	}
	if h.Docker0Subnet != "" {
		tip = append(tip, "docker0 "+h.Docker0Subnet)
	}
	if h.Error != "" {
		c.State = graph.Fail
		tip = append(tip, "unreachable: "+h.Error)
	}
	c.Tooltip = strings.Join(tip, "\n")
	if d.Faults == nil {
		return c
	}
	for i, f := range d.Faults.Faults {
		if f.Host != h.Name {
			continue
		}
		width := 30
		if len(d.Hosts) > 5 { // compact: keep the host's column narrow
			width = 18
		}
		n := &graph.Node{ID: fmt.Sprintf("%s/fault/%d", h.Name, i), Rank: len(c.Nodes), Kind: graph.KindNote, Label: "⚡ " + f.Kind,
			Lines: wrapLines(f.What, width, 4), Tooltip: strings.TrimSpace(f.What + "\n" + f.Note)}
		if f.Error != "" {
			n.State, n.Lines = graph.Fail, wrapLines("not made: "+f.Error, 30, 3)
		}
		c.Nodes = append(c.Nodes, n)
	}
	return c
}

// networkBus draws one network, its hosts' lines to it, and its failing
// pairs that no broken line says already.
func networkBus(g *graph.Graph, d *results.Document, n results.Network) {
	ps := hostPairs(d, n.Name)
	b := &graph.Bus{ID: "net-" + n.Name, Label: n.Name, Lines: []string{strings.TrimSuffix(n.Driver+" · "+n.Subnet, " · ")}}
	g.Buses = append(g.Buses, b)
	total, ok, expected := 0, 0, 0
	for _, p := range d.Probes {
		if p.Network != n.Name {
			continue
		}
		total++
		if p.OK {
			ok++
		}
		if p.OK && p.Broken() {
			expected++
		}
	}
	switch {
	case total == 0:
		b.Lines = append(b.Lines, "no probes")
	case ok == total && expected == 0:
		b.State = graph.OK
		b.Lines = append(b.Lines, fmt.Sprintf("✓ %d/%d as expected", ok, total))
	default:
		b.State = graph.Fail
		b.Lines = append(b.Lines, fmt.Sprintf("%d/%d as expected", ok, total))
	}
	if expected > 0 {
		b.Lines = append(b.Lines, fmt.Sprintf("%d broken by the faults", expected))
	}
	for _, diag := range d.Diagnoses {
		if slices.Contains(diag.Networks, n.Name) {
			b.Notes = append(b.Notes, diagnosisNote(diag))
		}
	}
	covered := map[[2]string]bool{}
	for _, h := range attachedHosts(d, ps, n.Name) {
		g.Edges = append(g.Edges, attachment(ps, h, b.ID, covered))
	}
	g.Edges = append(g.Edges, failingPairs(ps, n.Name, covered)...)
}

func diagnosisNote(d results.Diagnosis) string {
	s := fmt.Sprintf("✗ %s (%s): %s", d.Pattern, strings.Join(d.Hosts, ", "), d.Cause)
	if d.Ambiguous {
		s += " (ambiguous)"
	}
	if r := []rune(s); len(r) > 240 {
		s = string(r[:239]) + "…"
	}
	return s
}

// attachedHosts are the hosts with a probe on the network, in host order.
func attachedHosts(d *results.Document, ps *pairs, network string) []string {
	on := map[string]bool{}
	for _, h := range ps.involved() {
		on[h] = true
	}
	for _, p := range d.Probes {
		if p.Network == network {
			from := p.From
			if _, h, ok := strings.Cut(from, "@"); ok {
				from = h
			}
			on[from] = true
		}
	}
	var out []string
	for _, h := range ps.hosts {
		if on[h] {
			out = append(out, h)
		}
	}
	return out
}

// attachment is host h's line to the bus: broken when every pair towards
// h, from h, or both has a failed probe (names may still resolve over a
// broken data path); those pairs are then covered.
func attachment(ps *pairs, h, bus string, covered map[[2]string]bool) graph.Edge {
	e := graph.Edge{From: h, To: bus, Kind: graph.EdgeLink, State: graph.OK}
	in, out := true, true
	var kinds []string
	n := 0
	for _, p := range ps.peers(h) {
		for _, pair := range [][2]string{{p, h}, {h, p}} {
			o := ps.outcome(pair[0], pair[1])
			if o.total == 0 {
				continue
			}
			n++
			if o.broken == 0 {
				if pair[1] == h {
					in = false
				} else {
					out = false
				}
			}
			for _, k := range o.kinds {
				if !slices.Contains(kinds, k) {
					kinds = append(kinds, k)
				}
			}
		}
	}
	if n == 0 || (!in && !out) {
		return e
	}
	e.State = graph.Fail
	switch {
	case in && out:
		e.Label = "to and from " + h
	case in:
		e.Label = "to " + h
	default:
		e.Label = "from " + h
	}
	e.Label += ": " + strings.Join(kinds, ", ")
	for _, p := range ps.peers(h) {
		covered[[2]string{p, h}] = covered[[2]string{p, h}] || in
		covered[[2]string{h, p}] = covered[[2]string{h, p}] || out
	}
	e.Tooltip = "every probe on this network " + e.Label + " failed"
	return e
}

// failingPairs are arcs between hosts for the failing pairs not covered by
// a broken line, one arc per pair of hosts (both ways when both failed).
func failingPairs(ps *pairs, network string, covered map[[2]string]bool) []graph.Edge {
	var out []graph.Edge
	for i, a := range ps.hosts {
		for _, b := range ps.hosts[i+1:] {
			ab, ba := ps.outcome(a, b), ps.outcome(b, a)
			fab, fba := ab.broken > 0 && !covered[[2]string{a, b}], ba.broken > 0 && !covered[[2]string{b, a}]
			if !fab && !fba {
				continue
			}
			e := graph.Edge{From: a, To: b, Kind: graph.EdgePath, State: graph.Fail, Above: true, Arrow: true}
			kinds := ab.kinds
			switch {
			case fab && fba:
				e.Both, kinds = true, union(ab.kinds, ba.kinds)
			case fba:
				e.From, e.To, kinds = b, a, ba.kinds
			}
			e.Label = network + ": " + strings.Join(kinds, ", ")
			e.Tooltip = fmt.Sprintf("%s → %s: %d of %d failed; %s → %s: %d of %d failed", a, b, ab.broken, ab.total, b, a, ba.broken, ba.total)
			out = append(out, e)
		}
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
