package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/overlab/overlab/results"
)

// hosts finds hosts that every remaining failure of theirs points at: they
// fail with at least two peers while those peers reach each other.
func (c *classifier) hosts() {
	for {
		x, peers := c.culprit()
		if x == "" {
			return
		}
		os := c.remaining(func(o obs) bool { return o.involves(x) && o.other(x) != "" })
		d := c.hostDiagnosis(x, peers, os) // before consume: it tells x's failures from those explained already
		c.consume(os)
		c.add(d)
	}
}

// culprit is the host in most remaining failures, if it fails with
// two or more peers and some pair without it passes.
func (c *classifier) culprit() (string, []string) {
	peers := map[string]map[string]bool{}
	count := map[string]int{}
	for _, o := range c.remaining(func(o obs) bool { return o.from != "" && o.to != "" && o.from != o.to }) {
		for _, h := range []string{o.from, o.to} {
			count[h]++
			if peers[h] == nil {
				peers[h] = map[string]bool{}
			}
			peers[h][o.other(h)] = true
		}
	}
	best := ""
	for _, h := range sortedKeys(keysOf(peers)) {
		if len(peers[h]) >= 2 && (best == "" || count[h] > count[best]) {
			best = h
		}
	}
	if best == "" || !c.othersPass(best, c.remaining(func(o obs) bool { return o.involves(best) })) {
		return "", nil
	}
	return best, sortedKeys(peers[best])
}

// othersPass: a probe of the same network and kind as one of x's failures
// passed between two hosts other than x.
func (c *classifier) othersPass(x string, failed []obs) bool {
	like := map[[2]string]bool{}
	for _, o := range failed {
		like[[2]string{o.Network, o.Kind}] = true
	}
	for _, o := range c.v.all {
		if o.OK && like[[2]string{o.Network, o.Kind}] && o.from != "" && o.to != "" && o.from != o.to && !o.involves(x) {
			return true
		}
	}
	return false
}

// hostDiagnosis names what is wrong with host x, which fails with peers in
// os, from which of its probes fail and which pass.
func (c *classifier) hostDiagnosis(x string, peers []string, os []obs) results.Diagnosis {
	d := results.Diagnosis{Hosts: []string{x}, Networks: networksOf(os), Evidence: c.hostEvidence(x, peers, os)}
	s := c.hostSignals(x, d.Networks, os)
	switch {
	case onlyKinds(os, results.KindDNS):
		d.Pattern = DNS
		d.Cause = fmt.Sprintf("names of %s's containers do not resolve (or %s cannot resolve the others') while addresses answer: Docker's embedded DNS has not learnt them; gossip (7946/tcp+udp) with %s has not converged or is blocked", x, x, x)
		d.Fix = fmt.Sprintf("wait a few seconds and check again; if it stays, open TCP+UDP 7946 between %s and the others", x)
		d.Ambiguous, d.Doctor = true, []string{DoctorPorts}
	case s.big && s.icmpOK:
		d.Pattern = MTU
		d.Cause = fmt.Sprintf("small packets to and from %s pass but large ones do not: the path MTU to %s is smaller than the network's MTU (an overlay adds 50 bytes of VXLAN to each packet)", x, x)
		d.Fix = fmt.Sprintf("give %s's lab interface the same MTU as the other hosts (ip link set dev IFACE mtu 1500), or set the overlay's com.docker.network.driver.mtu 50 below the smallest", x)
		d.Doctor = []string{DoctorMTU}
	case s.asDst > 0 && s.asSrc == 0:
		d.Pattern = Target
		d.Cause = fmt.Sprintf("probes to %s fail from %s while its own probes pass: a firewall on %s drops what comes in, or its containers do not listen", x, joinHosts(peers), x)
		d.Fix = fmt.Sprintf("look at %s's firewall (iptables -S INPUT; iptables -S FORWARD) and its containers (docker ps)", x)
		d.Ambiguous, d.Doctor = true, []string{DoctorPorts}
	case s.asSrc > 0 && s.asDst == 0:
		d.Pattern = Row
		d.Cause = fmt.Sprintf("every probe from %s fails while probes to it pass: the source container on %s (not running or not attached) or what leaves its host", x, x)
		d.Fix = fmt.Sprintf("docker ps and docker network inspect on %s; its outbound firewall (iptables -S OUTPUT)", x)
	case s.onlyOverlay:
		overlayHostDiagnosis(&d, x, s)
	default:
		d.Pattern = HostIsolated
		where := "every network"
		if len(d.Networks) < len(c.networksOf(x)) {
			where = strings.Join(d.Networks, ", ")
		}
		d.Cause = fmt.Sprintf("%s fails on %s, in both directions, with %s: its lab link is down or a firewall drops its traffic", x, where, joinHosts(peers))
		d.Fix = fmt.Sprintf("check %s's lab interface (ip link, ip addr) and its firewall (iptables -S)", x)
		d.Ambiguous, d.Doctor = true, []string{DoctorPorts, DoctorLabAddr, DoctorMTU}
	}
	return d
}

// hostSignals is what hostDiagnosis tells a host's faults apart by.
type hostSignals struct {
	asSrc, asDst     int  // x's failures as the probe's source, as its target
	passOther        bool // x passes on some network that is not an overlay
	icmpOK           bool // every icmp probe of x on the failing networks passed
	dnsOK, dnsSeen   bool // likewise for dns, and whether there was one
	onlyOverlay, big bool // every failure is on an overlay; is tcp, udp or http
}

// hostSignals reads the signals from x's failures os on the networks
// failing, and from x's probes that no earlier diagnosis explains.
func (c *classifier) hostSignals(x string, failing []string, os []obs) hostSignals {
	s := hostSignals{icmpOK: true, dnsOK: true, onlyOverlay: true}
	for _, o := range os {
		if o.from == x {
			s.asSrc++
		} else {
			s.asDst++
		}
		s.onlyOverlay = s.onlyOverlay && o.isOverlay()
	}
	failingNet := map[string]bool{}
	for _, n := range failing {
		failingNet[n] = true
	}
	for _, o := range c.unexplained(x) {
		if !o.isOverlay() && o.OK {
			s.passOther = true
		}
		if !failingNet[o.Network] {
			continue
		}
		switch o.Kind {
		case results.KindICMP:
			s.icmpOK = s.icmpOK && o.OK
		case results.KindDNS:
			s.dnsSeen = true
			s.dnsOK = s.dnsOK && o.OK
		}
	}
	s.big = onlyKinds(os, results.KindTCP, results.KindUDP, results.KindHTTP)
	return s
}

// overlayHostDiagnosis is hostDiagnosis for a host whose failures are all
// on overlay networks: VXLAN, gossip, or the host's whole link.
func overlayHostDiagnosis(d *results.Diagnosis, x string, s hostSignals) {
	switch {
	case s.dnsSeen && s.dnsOK && !s.icmpOK:
		d.Pattern = VXLANBlocked
		d.Cause = fmt.Sprintf("%s cannot receive VXLAN (4789/udp) from the other hosts, or cannot send it: its overlay data path fails while names still resolve (gossip on 7946 works)", x)
		d.Fix = fmt.Sprintf("open UDP 4789 between %s and the other lab hosts (firewall or cloud security group)", x)
		d.Doctor = []string{DoctorPorts}
		if !s.passOther {
			// Right after a cut, names resolve too (gossip has not noticed
			// yet); only another network's probes would tell the two apart.
			d.Cause += fmt.Sprintf("; or %s's whole lab link is cut, which the lab has no other network to tell apart", x)
			d.Ambiguous, d.Doctor = true, []string{DoctorPorts, DoctorLabAddr}
		}
	case s.passOther:
		d.Pattern = OverlayHost
		d.Cause = fmt.Sprintf("%s fails only on overlay networks while its other networks work: 4789/udp (VXLAN) or 7946/tcp+udp (gossip) is blocked between %s and the others", x, x)
		d.Fix = fmt.Sprintf("open UDP 4789 and TCP+UDP 7946 between %s and the other lab hosts", x)
		d.Ambiguous, d.Doctor = true, []string{DoctorPorts}
	default:
		d.Pattern = OverlayHost
		d.Cause = fmt.Sprintf("%s fails on every overlay it is on, names included, and the lab has no other network to compare: its lab link or firewall, or 4789/udp and 7946 to it", x)
		d.Fix = fmt.Sprintf("run `overlab doctor`: it tests %s's link, 4789/udp and 7946 one by one", x)
		d.Ambiguous, d.Doctor = true, []string{DoctorPorts, DoctorLabAddr}
	}
}

// unexplained are x's probes with other hosts, but for the failures an
// earlier diagnosis explains (a host that is down, another host cut off):
// with two faults in a big lab, the other host's failed pings must not
// turn x's MTU problem into another.
func (c *classifier) unexplained(x string) []obs {
	return c.all(func(o obs) bool {
		explained := !o.OK && !c.rem[o.idx]
		return o.involves(x) && o.other(x) != "" && o.from != o.to && !explained
	})
}

func onlyKinds(os []obs, kinds ...string) bool {
	for _, o := range os {
		ok := false
		for _, k := range kinds {
			ok = ok || o.Kind == k
		}
		if !ok {
			return false
		}
	}
	return len(os) > 0
}

func (c *classifier) hostEvidence(x string, peers []string, os []obs) string {
	var passing []string
	seen := map[string]bool{}
	for _, o := range c.v.all {
		if o.OK && o.from != "" && o.to != "" && o.from != o.to && !o.involves(x) {
			k := o.from + " → " + o.to
			if !seen[k] && len(passing) < 2 {
				seen[k] = true
				passing = append(passing, k)
			}
		}
	}
	return fmt.Sprintf("%d probes (%s) between %s and %s failed while %s passed; e.g. %s",
		len(os), strings.Join(kindsOf(os), ", "), x, joinHosts(peers), strings.Join(passing, ", "), sample(os, 2))
}

// pairs names failures confined to two hosts: either may be the cause.
func (c *classifier) pairs() {
	groups := map[[2]string][]obs{}
	for _, o := range c.remaining(func(o obs) bool { return o.from != "" && o.to != "" && o.from != o.to }) {
		k := [2]string{min(o.from, o.to), max(o.from, o.to)}
		groups[k] = append(groups[k], o)
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [2]string) int { return strings.Compare(x[0]+" "+x[1], y[0]+" "+y[1]) })
	for _, k := range keys {
		pair := groups[k]
		if len(pair) < 2 {
			continue
		}
		c.consume(pair)
		c.add(results.Diagnosis{
			Pattern: HostIsolated, Hosts: []string{k[0], k[1]}, Networks: networksOf(pair),
			Cause:     fmt.Sprintf("probes between %s and %s fail (%v): the link or a firewall on one of the two; the probes alone cannot say which", k[0], k[1], kindsOf(pair)),
			Evidence:  sample(pair, 3),
			Fix:       fmt.Sprintf("run `overlab doctor`: it tests the ports and path MTU between %s and %s in each direction", k[0], k[1]),
			Ambiguous: true, Doctor: []string{DoctorPorts, DoctorMTU},
		})
	}
}

// networksOf lists the networks on which x has probes with another host.
func (c *classifier) networksOf(x string) []string {
	return networksOf(c.all(func(o obs) bool { return o.involves(x) && o.other(x) != "" && o.from != o.to }))
}
