package overlay

import (
	"net/netip"
	"testing"

	"github.com/overlab/overlab/addrplan"
	"github.com/overlab/overlab/lab"
)

func TestCreateOptions(t *testing.T) {
	l := &lab.Lab{Name: "swarm"}
	plan := &addrplan.Plan{
		Subnets: map[string]netip.Prefix{"ov": netip.MustParsePrefix("10.200.0.0/24"), "mv": netip.MustParsePrefix("192.168.56.0/24")},
		MacvlanRanges: map[string]map[string]netip.Prefix{"mv": {
			"node1": netip.MustParsePrefix("192.168.56.128/28"),
			"node2": netip.MustParsePrefix("192.168.56.144/28"),
		}},
	}
	s := Spec{Lab: l, Plan: plan, Hosts: []Host{{Name: "node1", Parent: "eth0"}, {Name: "node2", Parent: "enp0s8"}}}

	ov := s.createOptions(lab.Network{Name: "ov", Driver: lab.DriverOverlay, Attachable: true, Encrypted: true}, "")
	if ov.Scope != "swarm" || !ov.Attachable || ov.Options["encrypted"] != "true" || ov.Labels[lab.Label] != "swarm" {
		t.Errorf("overlay options: %+v", ov)
	}
	if ov.IPAM == nil || ov.IPAM.Config[0].Subnet != "10.200.0.0/24" {
		t.Errorf("overlay subnet: %+v", ov.IPAM)
	}

	mv := lab.Network{Name: "mv", Driver: lab.DriverMacvlan, Scope: lab.ScopeSwarm, Hosts: map[string]lab.HostOptions{"node2": {Parent: "eth1"}}}
	one := s.createOptions(mv, "node1")
	if one.Options["parent"] != "eth0" || one.IPAM.Config[0].IPRange != "192.168.56.128/28" {
		t.Errorf("node1: parent %q range %q; want the interface holding its address and its own range", one.Options["parent"], one.IPAM.Config[0].IPRange)
	}
	two := s.createOptions(mv, "node2")
	if two.Options["parent"] != "eth1" || two.IPAM.Config[0].IPRange != "192.168.56.144/28" {
		t.Errorf("node2: parent %q range %q; want the lab's per-host parent and its own range", two.Options["parent"], two.IPAM.Config[0].IPRange)
	}
	if one.IPAM.Config[0].Subnet != "192.168.56.0/24" {
		t.Errorf("macvlan subnet %q, want the underlay's", one.IPAM.Config[0].Subnet)
	}
}
