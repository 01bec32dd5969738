package diagnose

import (
	"fmt"

	"github.com/overlab/overlab/netdriver"
	"github.com/overlab/overlab/results"
)

// networks names networks whose every probe failed, from two or more hosts.
func (c *classifier) networks() {
	for _, n := range c.v.doc.Networks {
		on := c.all(func(o obs) bool { return o.Network == n.Name })
		failed := c.remaining(func(o obs) bool { return o.Network == n.Name })
		srcs := map[string]bool{}
		for _, o := range failed {
			srcs[o.From] = true
		}
		if len(on) < 2 || len(failed) != len(on) || len(srcs) < 2 {
			continue
		}
		c.consume(failed)
		c.add(results.Diagnosis{
			Pattern: NetworkDown, Networks: []string{n.Name}, Hosts: hostsOf(failed),
			Cause:    fmt.Sprintf("every probe on %s fails, from every host, while other networks work: the network itself (%s driver: its parent interface, subnet or options)", n.Name, dashIf(n.Driver)),
			Evidence: sample(failed, 3),
			Fix:      fmt.Sprintf("docker network inspect %s on each host; `overlab explain %s` shows the Linux objects behind it", n.Name, n.Name),
			Doctor:   []string{DoctorFeatures},
		})
	}
}

// dnsOnly names name lookups that fail while addresses answer.
func (c *classifier) dnsOnly() {
	byNet := map[string][]obs{}
	for _, o := range c.remaining(func(o obs) bool { return o.Kind == results.KindDNS }) {
		byNet[o.Network] = append(byNet[o.Network], o)
	}
	for _, n := range sortedKeys(keysOf(byNet)) {
		os := byNet[n]
		ipOK := c.all(func(o obs) bool { return o.Network == n && o.Kind != results.KindDNS && o.OK })
		if len(ipOK) == 0 {
			continue
		}
		c.consume(os)
		c.add(results.Diagnosis{
			Pattern: DNS, Networks: []string{n}, Hosts: hostsOf(os),
			Cause:     fmt.Sprintf("names on %s do not resolve while addresses answer: Docker's embedded DNS (127.0.0.11) has not learnt the other containers; on an overlay, gossip (7946/tcp+udp) has not converged or is blocked", n),
			Evidence:  sample(os, 3),
			Fix:       "wait a few seconds and check again; if it stays, open TCP+UDP 7946 between the lab hosts",
			Ambiguous: netdriver.Of(c.v.driver[n]).Traits().Tunnel, Doctor: []string{DoctorPorts},
		})
	}
}

// mtuPairs names TCP and UDP failures (their probes are 1400 bytes) where ICMP passes between the same endpoints.
func (c *classifier) mtuPairs() {
	icmpOK := map[[3]string]bool{}
	for _, o := range c.all(func(o obs) bool { return o.Kind == results.KindICMP && o.OK }) {
		icmpOK[[3]string{o.Network, o.From, o.To}] = true
	}
	os := c.remaining(func(o obs) bool {
		return (o.Kind == results.KindTCP || o.Kind == results.KindUDP || o.Kind == results.KindHTTP) && icmpOK[[3]string{o.Network, o.From, o.To}]
	})
	if len(os) == 0 {
		return
	}
	c.consume(os)
	tos := map[string]bool{}
	for _, o := range os {
		tos[o.to] = true
	}
	c.add(results.Diagnosis{
		Pattern: MTU, Networks: networksOf(os), Hosts: sortedKeys(tos),
		Cause:     "ping passes but TCP or UDP (1400-byte probes) does not between the same containers: packets above some size are dropped (an MTU smaller on the path than on the network; an overlay adds 50 bytes of VXLAN), or a firewall that lets ICMP through",
		Evidence:  sample(os, 3),
		Fix:       "give every host's lab interface the same MTU, or set the network's com.docker.network.driver.mtu 50 below the smallest",
		Ambiguous: true, Doctor: []string{DoctorMTU, DoctorPorts},
	})
}

// macvlanOwnHost names a macvlan container that fails to reach its own
// host's address: the macvlan rule, which a lab should expect.
func (c *classifier) macvlanOwnHost() {
	os := c.remaining(func(o obs) bool {
		return netdriver.Of(o.driver).Traits().OwnHostUnreachable && o.from != "" && o.from == o.to
	})
	if len(os) == 0 {
		return
	}
	c.consume(os)
	c.add(results.Diagnosis{
		Pattern: MacvlanOwnHost, Networks: networksOf(os), Hosts: hostsOf(os),
		Cause:    "a macvlan container cannot reach its own host's address: the parent interface does not carry traffic between its macvlan children and itself (expected Linux behaviour)",
		Evidence: sample(os, 3),
		Fix:      "expect unreachable for a container towards its own host on macvlan, or give the host a macvlan interface of its own on the same parent",
	})
}

// unclassified keeps what no pattern explains, so nothing failed goes unsaid.
func (c *classifier) unclassified() {
	c.pairs()
	os := c.remaining(func(obs) bool { return true })
	if len(os) == 0 {
		return
	}
	c.consume(os)
	c.add(results.Diagnosis{
		Pattern: Unclassified, Networks: networksOf(os), Hosts: hostsOf(os),
		Cause:     "these failures fit no known pattern",
		Evidence:  sample(os, 4),
		Fix:       "read each probe's error and its by-hand command; `overlab doctor` checks the hosts and the ports between them",
		Ambiguous: true, Doctor: []string{DoctorPorts, DoctorMTU, DoctorFeatures},
	})
}

func dashIf(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
