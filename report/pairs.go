package report

import (
	"slices"
	"strings"

	"github.com/overlab/overlab/results"
)

// pairs are a network's probes between two hosts, by ordered pair: what
// the pictures draw between hosts.
type pairs struct {
	hosts  []string // in document order
	probes map[[2]string][]results.Probe
}

// pairOutcome is what the probes of one ordered pair show.
type pairOutcome struct {
	total, broken int
	kinds         []string // of the broken probes, in probe order
}

// hostPairs groups the probes of network (every network when "") between
// two different hosts of d; a probe to a host's underlay address counts for
// that host, a probe to a name for none.
func hostPairs(d *results.Document, network string) *pairs {
	ps := &pairs{probes: map[[2]string][]results.Probe{}}
	names := map[string]bool{}
	byAddr := map[string]string{}
	for _, h := range d.Hosts {
		ps.hosts = append(ps.hosts, h.Name)
		names[h.Name] = true
		if h.Address != "" {
			byAddr[h.Address] = h.Name
		}
	}
	host := func(ep string) string {
		if _, h, ok := strings.Cut(ep, "@"); ok {
			ep = h
		}
		if names[ep] {
			return ep
		}
		return byAddr[ep]
	}
	for _, p := range d.Probes {
		if network != "" && p.Network != network {
			continue
		}
		from, to := host(p.From), host(p.To)
		if from == "" || to == "" || from == to {
			continue
		}
		k := [2]string{from, to}
		ps.probes[k] = append(ps.probes[k], p)
	}
	return ps
}

func (ps *pairs) outcome(from, to string) pairOutcome {
	var o pairOutcome
	for _, p := range ps.probes[[2]string{from, to}] {
		// A probe the lab expects unreachable is no path that breaks.
		if p.Expect == results.ExpectUnreachable && p.Healthy != results.ExpectReachable && p.OK {
			continue
		}
		o.total++
		if p.Broken() {
			o.broken++
			if !slices.Contains(o.kinds, p.Kind) {
				o.kinds = append(o.kinds, p.Kind)
			}
		}
	}
	return o
}

// involved lists the hosts with probes on the network, in host order.
func (ps *pairs) involved() []string {
	var out []string
	for _, h := range ps.hosts {
		for k := range ps.probes {
			if k[0] == h || k[1] == h {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// peers are the hosts h has probes with, in host order.
func (ps *pairs) peers(h string) []string {
	var out []string
	for _, o := range ps.hosts {
		if o == h {
			continue
		}
		if len(ps.probes[[2]string{h, o}])+len(ps.probes[[2]string{o, h}]) > 0 {
			out = append(out, o)
		}
	}
	return out
}
