package blueprint

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"

	"github.com/overlab/overlab/lab"
	"github.com/overlab/overlab/netdriver"
)

// testnet is a driver written for this test only: one file, registered in
// the test. Nothing else of overlab is told about it, yet a lab can use it
// and be validated, planned, compiled and walked through.
type testnet struct{}

func (testnet) Name() string { return "testnet" }
func (testnet) Traits() netdriver.Traits {
	return netdriver.Traits{Underlay: true, OwnHostUnreachable: true}
}
func (testnet) DefaultScope(bool) string { return netdriver.ScopeLocal }
func (testnet) Check(n *netdriver.Network) []netdriver.Problem {
	if n.Encrypted {
		return []netdriver.Problem{{Field: "encrypted", Message: "testnet cannot encrypt"}}
	}
	return nil
}
func (testnet) Needs(*netdriver.Network) []netdriver.Need { return nil }
func (testnet) Parts(*netdriver.Network) []string         { return nil }
func (testnet) Creates(n *netdriver.Network, s netdriver.Site) []netdriver.Create {
	var out []netdriver.Create
	for _, h := range s.Used {
		o := network.CreateOptions{Driver: "testnet", Labels: s.Labels,
			IPAM:    &network.IPAM{Config: []network.IPAMConfig{{Subnet: s.Subnet.String(), IPRange: s.HostRange(h).String()}}},
			Options: map[string]string{"parent": s.Parent(h)}}
		out = append(out, netdriver.Create{Host: h, Name: n.Name, Options: o})
	}
	return out
}
func (testnet) Note(*netdriver.Network) string { return "testnet note" }
func (testnet) Path() string                   { return "container → testnet → wire" }

func TestADriverIsOneFileAndARegistration(t *testing.T) {
	netdriver.Default.Register(testnet{})
	t.Cleanup(func() { netdriver.Default.Unregister("testnet") })

	if _, err := lab.Parse([]byte("name: t\nnetworks:\n  - {name: tn, driver: testnet, encrypted: true}\n"), "t.yaml"); err == nil ||
		!strings.Contains(err.Error(), "encrypted: testnet cannot encrypt") {
		t.Fatalf("the driver's own validation did not run: %v", err)
	}
	l, err := lab.Parse([]byte(`name: t
networks:
  - {name: tn, driver: testnet}
workloads:
  - {name: p, networks: [tn]}
expect:
  - {from: {workload: p}, to: {workload: p, host: others}, kinds: [icmp], reachable: true}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bp, err := Compile(l, ExampleHosts())
	if err != nil {
		t.Fatal(err)
	}
	n := bp.Network("tn")
	if len(n.Creates) != 3 || n.Subnet.String() != "192.168.56.0/24" {
		t.Fatalf("creates %+v on subnet %v: want one per host on the underlay (the driver's traits)", n.Creates, n.Subnet)
	}
	if r := n.Creates[1].Options.IPAM.Config[0].IPRange; r == "" || r == "invalid Prefix" {
		t.Errorf("node2 got no range of its own: %q", r)
	}
	var lines []string
	for _, s := range bp.Walkthrough() {
		for _, c := range s.Commands {
			lines = append(lines, c.Host+"$ "+c.Line)
		}
	}
	want := "node2$ docker network create -d testnet --subnet 192.168.56.0/24 --ip-range " + n.Creates[1].Options.IPAM.Config[0].IPRange + " -o parent=eth0 tn"
	if !strings.Contains(strings.Join(lines, "\n"), want) {
		t.Errorf("walkthrough lacks %q:\n%s", want, strings.Join(lines, "\n"))
	}
	if len(bp.Checks) != 6 {
		t.Errorf("%d checks, want 6 (3 hosts x 2 others)", len(bp.Checks))
	}
}
