package diagnose

import (
	"fmt"
	"strings"

	"github.com/overlab/overlab/hostlist"
	"github.com/overlab/overlab/results"
)

// Pattern names, part of the result document's contract.
const (
	HostUnreachable = "host-unreachable" // overlab cannot reach the host over SSH
	HostIsolated    = "host-isolated"    // every network fails to and from one host
	OverlayHost     = "overlay-host"     // one host fails only on overlay networks
	VXLANBlocked    = "vxlan-blocked"    // ... while names still resolve: 4789/udp
	MTU             = "mtu"              // small packets pass, large ones do not
	Target          = "target"           // one host fails only as a target
	Row             = "row"              // one source fails towards everyone
	NetworkDown     = "network-down"     // one network fails everywhere
	DNS             = "dns"              // names fail while addresses answer
	MacvlanOwnHost  = "macvlan-own-host" // the macvlan rule, expected
	IsolationLeak   = "isolation-leak"   // reachable where the lab expects isolation
	Unclassified    = "unclassified"
)

// Patterns are every pattern name, as a lab's expect_diagnoses may name them.
var Patterns = []string{HostUnreachable, HostIsolated, OverlayHost, VXLANBlocked, MTU, Target, Row, NetworkDown, DNS, MacvlanOwnHost, IsolationLeak, Unclassified}

// Doctor checks that tell causes apart.
const (
	DoctorPorts    = "ports"    // 2377/tcp, 7946/tcp+udp, 4789/udp between the hosts
	DoctorMTU      = "path-mtu" // path MTU against the lab interfaces' MTU
	DoctorLabAddr  = "lab-address"
	DoctorFeatures = "kernel-features"
)

// Classify returns the diagnoses of d's failed probes, most telling first.
// A passing document has none.
func Classify(d *results.Document) []results.Diagnosis {
	v := newView(d)
	c := &classifier{v: v, rem: map[int]bool{}}
	for _, o := range v.all {
		if o.failed() || (!o.OK && !o.leaked()) {
			c.rem[o.idx] = true
		}
	}
	c.leaks()
	c.unreachableHosts()
	c.networks()
	c.hosts()
	c.dnsOnly()
	c.mtuPairs()
	c.macvlanOwnHost()
	c.unclassified()
	return c.out
}

type classifier struct {
	v   *view
	rem map[int]bool // failed probes no diagnosis explains yet
	out []results.Diagnosis
}

func (c *classifier) remaining(keep func(obs) bool) []obs {
	var out []obs
	for _, o := range c.v.all {
		if c.rem[o.idx] && keep(o) {
			out = append(out, o)
		}
	}
	return out
}

func (c *classifier) consume(os []obs) {
	for _, o := range os {
		delete(c.rem, o.idx)
	}
}

func (c *classifier) add(d results.Diagnosis) {
	if d.Hosts == nil {
		d.Hosts = []string{}
	}
	if d.Networks == nil {
		d.Networks = []string{}
	}
	c.out = append(c.out, d)
}

func (c *classifier) leaks() {
	byNet := map[string][]obs{}
	for _, o := range c.v.all {
		if o.leaked() {
			byNet[o.Network] = append(byNet[o.Network], o)
		}
	}
	for _, n := range sortedKeys(keysOf(byNet)) {
		os := byNet[n]
		c.add(results.Diagnosis{
			Pattern: IsolationLeak, Networks: []string{n}, Hosts: hostsOf(os),
			Cause:    fmt.Sprintf("%d probes on %s reached what the lab expects to be isolated: an isolation rule (DOCKER-ISOLATION chains, macvlan hairpin) is missing or the lab expects the wrong thing", len(os), n),
			Evidence: sample(os, 3),
			Fix:      "compare `iptables -S DOCKER-ISOLATION-STAGE-1` on the hosts with a fresh Docker host, or correct the lab's expect entry",
		})
	}
}

func (c *classifier) unreachableHosts() {
	for _, h := range sortedKeys(boolsOf(c.v.down)) {
		os := c.remaining(func(o obs) bool { return o.involves(h) })
		c.consume(os)
		// Names resolve from the swarm's records even when the host is gone.
		in := c.all(func(o obs) bool { return o.to == h && o.from != h && o.from != "" && o.Kind != results.KindDNS })
		fix := fmt.Sprintf("check that %s is up and its SSH address answers (ssh to it by hand); then `overlab doctor`", h)
		if engineGone(c.v.down[h]) {
			fix = fmt.Sprintf("check the Docker engine on %s (`docker info` there, its service and its log); then `overlab doctor`", h)
		}
		c.add(results.Diagnosis{
			Pattern: HostUnreachable, Hosts: []string{h}, Networks: networksOf(os),
			Cause:    unreachableCause(h, c.v.down[h], in),
			Evidence: fmt.Sprintf("%s: %s; %d probes to or from it failed", h, c.v.down[h], len(os)),
			Fix:      fix,
		})
	}
}

// engineGone says whether a host was lost by its Docker engine while its
// SSH answers: the socket could not be opened through SSH, or a watch found
// the engine silent ("engine: ...").
func engineGone(hostErr string) bool {
	return strings.Contains(hostErr, "Docker socket") || strings.HasPrefix(hostErr, "engine:")
}

// unreachableCause says why a lost host's probes could not run, from what
// was lost (SSH or the engine) and what the probes to it found (in).
func unreachableCause(h, hostErr string, in []obs) string {
	engine := engineGone(hostErr)
	reached, silent := len(in) > 0 && !allFailed(in), len(in) > 0 && allFailed(in)
	switch {
	case engine && silent:
		return fmt.Sprintf("%s's Docker engine does not answer (its SSH does) and no probe reaches it: the engine is stopped or hung, and its containers with it", h)
	case engine && reached:
		return fmt.Sprintf("%s's Docker engine does not answer overlab (its SSH does), so its probes could not run; probes to it pass, so its containers still run", h)
	case engine:
		return fmt.Sprintf("%s's Docker engine does not answer overlab (its SSH does), so its probes could not run", h)
	case silent:
		return fmt.Sprintf("%s answers neither SSH nor any probe: the host is down or its link is cut", h)
	case reached:
		return fmt.Sprintf("overlab cannot reach %s over SSH, so its probes could not run; probes to it pass, so only overlab's SSH path to %s is broken", h, h)
	}
	return fmt.Sprintf("overlab cannot reach %s over SSH, so its probes could not run", h)
}

func (c *classifier) all(keep func(obs) bool) []obs {
	var out []obs
	for _, o := range c.v.all {
		if o.Expect == results.ExpectReachable && keep(o) {
			out = append(out, o)
		}
	}
	return out
}

func allFailed(os []obs) bool {
	for _, o := range os {
		if o.OK {
			return false
		}
	}
	return true
}

func keysOf[T any](m map[string]T) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func boolsOf(m map[string]string) map[string]bool { return keysOf(m) }

func hostsOf(os []obs) []string {
	m := map[string]bool{}
	for _, o := range os {
		m[o.from], m[o.to] = true, true
	}
	return sortedKeys(m)
}

// sample quotes up to n failed probes with their error.
func sample(os []obs, n int) string {
	var parts []string
	for i, o := range os {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(os)-n))
			break
		}
		why := o.Error
		if why == "" {
			why = "reachable"
			if !o.Reachable {
				why = "unreachable"
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s → %s %s: %s", o.Network, o.From, o.To, o.Kind, firstLine(why)))
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 140 {
		s = s[:140] + "…"
	}
	return s
}

// joinHosts lists hosts in order, runs of numbered names as ranges
// (node[001:040]): at 100 hosts a cause must still fit on a line.
func joinHosts(hs []string) string { return hostlist.Join(hs) }
