package netdriver

import (
	"net/netip"
	"testing"
)

func site(subnet string) Site {
	ranges := map[string]netip.Prefix{
		"node1": netip.MustParsePrefix("192.168.56.128/28"),
		"node2": netip.MustParsePrefix("192.168.56.144/28"),
	}
	return Site{
		Hosts:     []string{"node1", "node2"},
		Used:      []string{"node2"},
		Subnet:    netip.MustParsePrefix(subnet),
		HostRange: func(h string) netip.Prefix { return ranges[h] },
		Options: func(h string) HostOptions {
			if h == "node2" {
				return HostOptions{Parent: "eth1"}
			}
			return HostOptions{}
		},
		Parent: func(h string) string { return map[string]string{"node1": "eth0", "node2": "enp0s8"}[h] },
		Labels: map[string]string{"overlab.lab": "swarm"},
	}
}

func TestOverlayCreatesOnceThroughTheSwarm(t *testing.T) {
	n := &Network{Name: "ov", Driver: "overlay", Scope: ScopeSwarm, Attachable: true, Encrypted: true}
	cs := Overlay{}.Creates(n, site("10.200.0.0/24"))
	if len(cs) != 1 || !cs[0].OnManager() {
		t.Fatalf("creates %+v, want one through the swarm", cs)
	}
	o := cs[0].Options
	if o.Scope != "swarm" || !o.Attachable || o.Options["encrypted"] != "true" || o.Labels["overlab.lab"] != "swarm" {
		t.Errorf("overlay options: %+v", o)
	}
	if o.IPAM == nil || o.IPAM.Config[0].Subnet != "10.200.0.0/24" {
		t.Errorf("overlay subnet: %+v", o.IPAM)
	}
	want := "docker network create -d overlay --attachable --subnet 10.200.0.0/24 -o encrypted=true ov"
	if got := CommandLine(cs[0]); got != want {
		t.Errorf("command\n got %s\nwant %s", got, want)
	}
}

func TestSwarmMacvlanIsOneConfigPerHostThenTheSwarmNetwork(t *testing.T) {
	n := &Network{Name: "mv", Driver: "macvlan", Scope: ScopeSwarm, Attachable: true, Internal: true}
	cs := NewMacvlan().Creates(n, site("192.168.56.0/24"))
	if len(cs) != 3 || cs[0].Host != "node1" || cs[1].Host != "node2" || !cs[2].OnManager() {
		t.Fatalf("creates %+v", cs)
	}
	one, two := cs[0].Options, cs[1].Options
	if one.Options["parent"] != "eth0" || one.IPAM.Config[0].IPRange != "192.168.56.128/28" {
		t.Errorf("node1: parent %q range %q; want the interface holding its address and its own range", one.Options["parent"], one.IPAM.Config[0].IPRange)
	}
	if two.Options["parent"] != "eth1" || two.IPAM.Config[0].IPRange != "192.168.56.144/28" {
		t.Errorf("node2: parent %q range %q; want the lab's per-host parent and its own range", two.Options["parent"], two.IPAM.Config[0].IPRange)
	}
	// Docker refuses operator fields on a config-only network and any
	// configuration on one built from it, labels included.
	if !one.ConfigOnly || one.Internal || one.Attachable || one.Scope != "" || one.Driver != "" {
		t.Errorf("config-only options: %+v", one)
	}
	sw := cs[2].Options
	if !sw.Internal || !sw.Attachable || sw.Labels != nil || sw.IPAM != nil || sw.ConfigFrom.Network != "mv-config" {
		t.Errorf("swarm network options: %+v", sw)
	}
	want := "docker network create -d macvlan --scope swarm --attachable --internal --config-from mv-config mv"
	if got := CommandLine(cs[2]); got != want {
		t.Errorf("command\n got %s\nwant %s", got, want)
	}
}

func TestLocalNetworksExistWhereUsed(t *testing.T) {
	for _, d := range []Driver{Bridge{}, NewMacvlan()} {
		n := &Network{Name: "l", Driver: d.Name(), Scope: ScopeLocal, VLAN: 10}
		cs := d.Creates(n, site("192.168.56.0/24"))
		if len(cs) != 1 || cs[0].Host != "node2" {
			t.Errorf("%s: creates %+v, want one on node2, the host that uses it", d.Name(), cs)
		}
	}
	cs := NewMacvlan().Creates(&Network{Name: "l", Driver: "macvlan", VLAN: 10}, site("192.168.56.0/24"))
	if got := cs[0].Options.Options["parent"]; got != "eth1.10" {
		t.Errorf("parent %q, want the per-host parent on the VLAN", got)
	}
}

func TestCommandLineQuotesWhatTheShellWouldRead(t *testing.T) {
	c := Create{Host: "node1", Name: "n", Options: NewMacvlan().onHost(&Network{Name: "n", Driver: "macvlan", Parent: "a;id>pw1"}, site("192.168.56.0/24"), "node1")}
	want := "docker network create -d macvlan --subnet 192.168.56.0/24 --ip-range 192.168.56.128/28 -o macvlan_mode=bridge -o 'parent=a;id>pw1' n"
	if got := CommandLine(c); got != want {
		t.Errorf("command\n got %s\nwant %s", got, want)
	}
}

func TestRegistryListsTheShippedDriversFirst(t *testing.T) {
	r := NewRegistry(None{}, Host{}, Bridge{}, NewMacvlan(), Overlay{})
	r.Register(testDriver{})
	got := r.Names()
	want := []string{"overlay", "macvlan", "bridge", "host", "none", "zz-test"}
	if len(got) != len(want) {
		t.Fatalf("names %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("names %v, want %v", got, want)
		}
	}
	if d := Of("no-such-driver"); d.Name() != "no-such-driver" || d.Creates(&Network{}, Site{}) != nil {
		t.Errorf("an unknown driver must create nothing: %+v", d)
	}
}

type testDriver struct{ base }

func (testDriver) Name() string                    { return "zz-test" }
func (testDriver) Traits() Traits                  { return Traits{} }
func (testDriver) Check(*Network) []Problem        { return nil }
func (testDriver) Creates(*Network, Site) []Create { return nil }
func (testDriver) Path() string                    { return "" }
