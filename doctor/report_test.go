package doctor

import (
	"strings"
	"testing"

	"github.com/overlab/overlab/probe"
)

func TestProblemsGroupPairsByTarget(t *testing.T) {
	r := &Report{Hosts: []string{"node1", "node2", "node3"}}
	for _, from := range []string{"node1", "node2"} {
		x := Result{Check: CheckPorts, Host: "node3", From: from, Item: "4789/udp"}
		classifyPort(&x, planned{to: &target{}, port: port{4789, "udp", false, "VXLAN"}, l: listener{up: true}}, probe.Result{Error: "no reply from 10.0.0.13:4789 within 1.5s"})
		r.add(x)
	}
	r.add(Result{Check: CheckPorts, Host: "node1", From: "node3", Item: "4789/udp", Status: OK, State: Reachable})
	r.add(Result{Check: CheckFeatures, Host: "node1", Item: "ipvs", Status: Warning, Detail: "no", Fix: "modprobe ip_vs"},
		Result{Check: CheckFeatures, Host: "node2", Item: "ipvs", Status: Warning, Detail: "no", Fix: "modprobe ip_vs"})
	r.finish()
	want := "node3: 4789/udp from node1, node2 filtered: open UDP 4789 between the lab hosts (firewall or cloud security group)"
	if len(r.Problems) != 1 || r.Problems[0] != want {
		t.Errorf("problems %q, want [%q]", r.Problems, want)
	}
	if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], "node1, node2: ipvs") {
		t.Errorf("warnings %q", r.Warnings)
	}
	if r.ExitCode() != 1 || r.Summary.OK != 1 {
		t.Errorf("exit %d, summary %+v", r.ExitCode(), r.Summary)
	}
}

func TestClassifyPort(t *testing.T) {
	for _, tc := range []struct {
		err, state string
		reach      bool
	}{
		{"", Reachable, true},
		{"dial tcp 10.0.0.13:7946: connect: connection refused", Refused, false},
		{"connection refused (ICMP port unreachable)", Refused, false},
		{"dial tcp 10.0.0.13:7946: connect: no route to host", NoRoute, false},
		{"dial tcp 10.0.0.13:7946: i/o timeout", Filtered, false},
	} {
		x := Result{}
		classifyPort(&x, planned{to: &target{}, port: port{7946, "tcp", false, "gossip"}, l: listener{up: true}}, probe.Result{Reachable: tc.reach, Error: tc.err})
		if x.State != tc.state || (x.Status == OK) != tc.reach || (!tc.reach && x.Fix == "") {
			t.Errorf("%q: %+v, want state %s", tc.err, x, tc.state)
		}
	}
}

func TestMTUResultNamesBothHostsAndNumbers(t *testing.T) {
	s := &target{}
	s.Name = "node1"
	d := &target{}
	d.Name = "node3"
	r := mtuResult(s, d, 1500, 1304, "", nil)
	if r.Status != Problem || !strings.Contains(r.Detail, "1304 bytes from node1 (lab MTU 1500) to node3") || !strings.Contains(r.Fix, "1254") {
		t.Errorf("%+v", r)
	}
	if r := mtuResult(s, d, 1500, 1500, "", nil); r.Status != OK {
		t.Errorf("%+v", r)
	}
}

func TestFirewallNamesDroppedPortsAndCuts(t *testing.T) {
	rules := `-A OVERLAB-FAULT -i eth0 -p udp -m udp --dport 4789 -m comment --comment overlab-fault-1 -j DROP
-A OVERLAB-FAULT ! -s 10.0.0.1/32 -i eth0 -m comment --comment overlab-fault-2 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j REJECT --reject-with icmp-port-unreachable
-A OVERLAB-FAULT -i eth0 -p udp -m udp --dport 4789 -m length --length 1301:65535 -m comment --comment overlab-fault-3 -j DROP`
	got := firewallResults("node3", "eth0", rules)
	if len(got) != 3 || got[0].Item != "4789/udp" || got[1].Item != "lab interface eth0" || got[2].Item != "4789/udp of 1301 bytes or more" {
		t.Fatalf("%+v", got)
	}
}
