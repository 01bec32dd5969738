package report

import (
	"fmt"
	"time"

	"github.com/overlab/overlab/diagnose"
	"github.com/overlab/overlab/results"
)

// synthDoc is a check of n hosts (node01..node30, node001..node100) made
// in the test rather than kept in testdata (at 100 hosts the document is
// about 50 000 probes, 12 MB of JSON). It holds what a big swarm shows:
//
//   - overlab-overlay: icmp, tcp, udp and dns between every two hosts;
//     host V (about 2/5 in) cannot send or receive VXLAN: its icmp, tcp and
//     udp fail both ways while its names resolve;
//   - host M (third from last) drops large packets: tcp and udp to it fail
//     on the overlay while icmp passes;
//   - overlab-macvlan: icmp between every two hosts, and from each host to
//     itself, expected unreachable with the macvlan note; hosts P and Q
//     (7th and 13th) do not reach each other;
//   - the last host, D, does not answer SSH: every probe from it fails with
//     that error, every probe to it times out.
//
// Round trips are deterministic, from 0.05 ms to a few ms, with one slow
// host (the middle one) at about 12 ms so the heatmap's scale shows.
// Diagnoses come from diagnose.Classify, as check adds them.
func synthDoc(n int) *results.Document {
	name := func(i int) string { return fmt.Sprintf("node%0*d", len(fmt.Sprint(n)), i+1) }
	v, m, p, q, dn, slow := n*2/5, n-3, 6, 9, n-1, n/2
	d := &results.Document{
		SchemaVersion: results.SchemaVersion,
		Lab:           fmt.Sprintf("swarm-%d", n),
		StartedAt:     time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		DurationMS:    int64(1000 + 90*n),
		Networks: []results.Network{
			{Name: "overlab-overlay", Driver: "overlay", Scope: "swarm", Subnet: "10.20.0.0/22"},
			{Name: "overlab-macvlan", Driver: "macvlan", Scope: "swarm", Subnet: "192.168.64.0/22"},
		},
	}
	for i := 0; i < n; i++ {
		h := results.Host{Name: name(i), Address: fmt.Sprintf("192.168.%d.%d", 64+(i+10)/250, (i+10)%250), EngineVersion: "20.10.24+dfsg1",
			Docker0Subnet: "172.17.0.0/16", Docker0Gateway: "172.17.0.1", SwarmRole: "worker"}
		if i < 3 {
			h.SwarmRole = "manager"
		}
		if i == dn {
			h.EngineVersion, h.Docker0Subnet, h.Docker0Gateway = "", "", ""
			h.Error = fmt.Sprintf("ssh: dial tcp %s:22: i/o timeout", h.Address)
		}
		d.Hosts = append(d.Hosts, h)
	}
	rtt := func(i, j int) float64 {
		ms := 0.05 + float64((i*31+j*17)%97)/97*0.9
		if i == slow || j == slow {
			ms += 12
		}
		return float64(int(ms*100)) / 100
	}
	downErr := fmt.Sprintf("host %s unreachable: %s", name(dn), d.Hosts[dn].Error)
	probe := func(net string, i, j int, kind, target string) results.Probe {
		pr := results.Probe{Network: net, From: name(i), To: name(j), Target: target, Kind: kind,
			Expect: results.ExpectReachable, Reachable: true, OK: true, RTTMS: rtt(i, j), Tries: 1}
		if kind == results.KindDNS {
			pr.RTTMS = 0.1
		}
		return pr
	}
	fail := func(pr *results.Probe, err string) {
		pr.Reachable, pr.OK, pr.RTTMS, pr.Tries, pr.Error = false, false, 0, 3, err
	}
	overlayAddr := func(j int) string { return fmt.Sprintf("10.20.%d.%d", (j+2)/250, (j+2)%250) }
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j {
				continue
			}
			for _, kind := range []string{results.KindICMP, results.KindTCP, results.KindUDP, results.KindDNS} {
				target := overlayAddr(j)
				switch kind {
				case results.KindTCP:
					target += ":7946"
				case results.KindUDP:
					target += ":7947"
				case results.KindDNS:
					target = "overlab-probe." + name(j)
				}
				pr := probe("overlab-overlay", i, j, kind, target)
				switch {
				case i == dn:
					fail(&pr, downErr)
					pr.Tries = 0
				case j == dn && kind != results.KindDNS:
					fail(&pr, "no echo reply: 100% packet loss")
				case (i == v || j == v) && kind != results.KindDNS:
					fail(&pr, "no echo reply: 100% packet loss")
					if kind == results.KindTCP {
						pr.Error = "dial tcp " + target + ": i/o timeout"
					}
				case j == m && (kind == results.KindTCP || kind == results.KindUDP):
					fail(&pr, "connected to "+target+" but the 1400-byte echo did not come back")
				}
				d.Probes = append(d.Probes, pr)
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			pr := probe("overlab-macvlan", i, j, results.KindICMP, fmt.Sprintf("192.168.68.%d", j+10))
			if i == j {
				pr.Target = d.Hosts[j].Address
				pr.Expect, pr.Reachable, pr.RTTMS = results.ExpectUnreachable, false, 0
				pr.Note = "A macvlan container cannot reach its own host's underlay address."
			}
			switch {
			case i == dn:
				fail(&pr, downErr)
				pr.Tries = 0
			case i == j:
			case j == dn:
				fail(&pr, "no echo reply: 100% packet loss")
			case (i == p && j == q) || (i == q && j == p):
				fail(&pr, "no echo reply: 100% packet loss")
			}
			d.Probes = append(d.Probes, pr)
		}
	}
	d.Summarize()
	d.Findings = []results.Finding{
		{Severity: results.SeverityError, Host: name(dn), Message: "cannot reach the host over SSH: " + d.Hosts[dn].Error},
		{Severity: results.SeverityInfo, Message: "kernel has no IPVS: probe services use endpoint_mode dnsrr and published ports mode host"},
	}
	d.Diagnoses = diagnose.Classify(d)
	return d
}
