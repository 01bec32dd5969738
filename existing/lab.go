package existing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/results"
)

// probeName is the temporary probe workload of the i-th named network.
func probeName(run string, i int) string { return fmt.Sprintf("overlab-check-%s-%d", run, i) }

// LabName is the name the check's temporary probes carry as their lab
// label: what finds them again, and what `overlab down` would remove.
func LabName(run string) string { return "check-" + run }

// Lab is the lab that checks what was found: the networks as they are
// (external: never created, changed or removed), one hardened probe per
// network (a global service constrained to the inventory's swarm nodes on
// a swarm network, a container on each host that has a local one), and
// the expectations a working network meets.
func (f *Found) Lab(run string) *lab.Lab {
	l := &lab.Lab{Name: LabName(run), Source: "check --networks"}
	for i, n := range f.Networks {
		l.Networks = append(l.Networks, lab.Network{Name: n.Name, Driver: n.Driver, Scope: n.Scope, Subnet: n.Subnet,
			Internal: n.Internal, Attachable: n.Attachable, External: true})
		l.Workloads = append(l.Workloads, f.probe(run, i, n))
		l.Expect = append(l.Expect, within(probeName(run, i), n)...)
	}
	for i, a := range f.Networks {
		for j, b := range f.Networks {
			// A network on the underlay is reachable from any container
			// through its host (outbound NAT onto the LAN): no isolation.
			if i != j && !netdriver.Of(b.Driver).Traits().Underlay {
				l.Expect = append(l.Expect, isolated(probeName(run, i), probeName(run, j), a, b))
			}
		}
	}
	for _, s := range f.Services {
		l.Expect = append(l.Expect, f.serviceRows(run, s)...)
	}
	return l
}

// probe is the temporary probe workload on network n.
func (f *Found) probe(run string, i int, n Network) lab.Workload {
	w := lab.Workload{Name: probeName(run, i), Kind: lab.KindContainer, Hardened: true,
		Networks: []lab.Attachment{{Network: n.Name}}, Placement: lab.Placement{Hosts: n.Hosts}}
	if n.Scope == netdriver.ScopeSwarm {
		// A service, which joins an overlay whether it is attachable or
		// not, kept off the swarm's nodes outside the inventory (by node ID:
		// overlab may not label a swarm it did not make).
		w.Kind, w.Mode = lab.KindService, lab.ModeGlobal
		w.Constraints = []string{}
		for _, id := range f.Others {
			w.Constraints = append(w.Constraints, "node.id!="+id)
		}
	}
	return w
}

// within are the expectations inside one network: across hosts on a
// network that spans them, not across on one whose every host has its own.
func within(probe string, n Network) []lab.Expectation {
	t := netdriver.Of(n.Driver).Traits()
	peers := lab.Target{Workload: probe, Host: lab.HostOthers}
	if t.PerHostSegment {
		// Not ICMP: each host's network tends to get the same subnet, so the
		// other host's container has the source's own address, and a ping
		// to it answers from the source itself. TCP and UDP name who answers.
		return []lab.Expectation{{From: lab.Endpoint{Workload: probe}, To: peers, Network: n.Name, Kinds: []string{lab.ProbeTCP, lab.ProbeUDP}, Reachable: false,
			Note: fmt.Sprintf("Each host has a %s network of its own called %s: containers on two hosts are on two networks that share a name, not on one, so they cannot reach each other (an address of the other host's often belongs to a container of this one as well, and that one answers). To span hosts, use an overlay network.", n.Driver, n.Name)}}
	}
	kinds := []string{lab.ProbeICMP, lab.ProbeTCP, lab.ProbeUDP}
	if !t.Underlay {
		kinds = append(kinds, lab.ProbeDNS)
	}
	out := []lab.Expectation{{From: lab.Endpoint{Workload: probe}, To: peers, Network: n.Name, Kinds: kinds, Reachable: true,
		Note: fmt.Sprintf("%s spans the hosts: every host's probe reaches every other host's, by each kind of probe.", n.Name)}}
	if t.OwnHostUnreachable {
		out = append(out,
			lab.Expectation{From: lab.Endpoint{Workload: probe}, To: lab.Target{Underlay: true, Host: lab.HostOthers}, Network: n.Name, Kinds: []string{lab.ProbeICMP}, Reachable: true,
				Note: "A container on the underlay reaches the other hosts' underlay addresses like any machine on the LAN."},
			lab.Expectation{From: lab.Endpoint{Workload: probe}, To: lab.Target{Underlay: true, Host: lab.HostSelf}, Network: n.Name, Kinds: []string{lab.ProbeICMP}, Reachable: false,
				Note: "Expected: a container cannot reach its own host's underlay address: the parent interface does not hairpin traffic between its children and its own address."})
	}
	return out
}

// isolated is the expectation between two networks: from a's probe, b's
// probes cannot be reached.
func isolated(from, to string, a, b Network) lab.Expectation {
	return lab.Expectation{From: lab.Endpoint{Workload: from}, To: lab.Target{Workload: to, Host: lab.HostAll}, Network: b.Name,
		Kinds: []string{lab.ProbeICMP, lab.ProbeTCP}, Reachable: false,
		Note: fmt.Sprintf("Networks are isolated: a container on %s alone cannot reach one on %s.", a.Name, b.Name)}
}

// Tidy names a check's probes for people: a probe is its host (every
// network has one probe, named after the run), and a probe from one
// network to another's probe (isolation) goes under "A ⇸ B" instead of B,
// so that each network's matrix holds its own probes only.
func (f *Found) Tidy(run string, probes []results.Probe) {
	prefix := "overlab-check-" + run + "-"
	strip := func(name string) (string, int) {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return name, -1
		}
		idx, host, ok := strings.Cut(rest, "@")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil {
			return name, -1
		}
		return host, i
	}
	for k := range probes {
		p := &probes[k]
		var from int
		p.From, from = strip(p.From)
		p.To, _ = strip(p.To)
		if from >= 0 && from < len(f.Networks) && f.Networks[from].Name != p.Network {
			p.Network = IsolationName(f.Networks[from].Name, p.Network)
		}
	}
}

// IsolationName is the matrix of the probes from network a to network b.
func IsolationName(a, b string) string { return a + " ⇸ " + b }
