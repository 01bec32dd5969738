package blueprint

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/overlab/overlab/cluster"
	"github.com/overlab/overlab/netdriver"
)

func engineMap(version string) map[string]string {
	return map[string]string{"node1": version, "node2": version, "node3": version}
}

// TestDirectRoutingPerGeneration: the direct-routing lab compiled for an
// engine generation has that generation's rows, networks and routes.
func TestDirectRoutingPerGeneration(t *testing.T) {
	l := builtinOr(t, "direct-routing")
	for _, tc := range []struct {
		engine string
		routes int
		rows   []int // rows probed
		made   []string
	}{
		{"20.10.24+dfsg1", 1, []int{1, 2, 3, 5}, []string{"overlab-dr-nat"}},
		{"26.1.5+dfsg1", 1, []int{1, 2, 3, 5}, []string{"overlab-dr-nat"}},
		{"28.5.2+dfsg4", 4, []int{1, 2, 4, 5, 6, 7, 8, 9, 10, 11}, []string{"overlab-dr-nat", "overlab-dr-unprotected", "overlab-dr-routed", "overlab-dr-isolated"}},
	} {
		t.Run(tc.engine, func(t *testing.T) {
			bp, err := Compile(l, threeHosts, WithEngines(engineMap(tc.engine)))
			if err != nil {
				t.Fatal(err)
			}
			if err := bp.Err(); err != nil {
				t.Fatalf("refused: %v", err)
			}
			if len(bp.Routes) != tc.routes {
				t.Errorf("routes %+v, want %d", bp.Routes, tc.routes)
			}
			for _, r := range bp.Routes {
				if r.Host != "node2" || r.Via != "node1" || r.ViaAddr != netip.MustParseAddr("192.168.56.11") || r.Dest != bp.Network(r.Network).Subnet {
					t.Errorf("route %+v: want node2 to the network's subnet via node1", r)
				}
			}
			seen := map[int]bool{}
			for _, c := range bp.Checks {
				seen[c.Row] = true
			}
			for _, row := range tc.rows {
				if !seen[row] {
					t.Errorf("row %d not probed", row)
				}
				delete(seen, row)
			}
			if len(seen) > 0 {
				t.Errorf("rows probed beyond %v: %v", tc.rows, seen)
			}
			var made []string
			for _, n := range bp.Networks {
				if len(n.Creates) > 0 {
					made = append(made, n.Name)
				}
			}
			if strings.Join(made, ",") != strings.Join(tc.made, ",") {
				t.Errorf("networks made %v, want %v", made, tc.made)
			}
			if fs := bp.EngineFindings(); len(fs) != 2 || !strings.Contains(fs[1].Message, "as the lab says: expect #") {
				t.Errorf("findings %+v: want the note for this generation and what is left out", fs)
			}
		})
	}
	old, _ := Compile(l, threeHosts, WithEngines(engineMap("20.10.24")))
	want := "not probed on these engines (node1 20.10, node2 20.10, node3 20.10), as the lab says: expect #4: for engines >= 28.0; not probed here: node1 20.10.24, node2 20.10.24; " +
		"expect #6, #7: workload overlab-dr-web-unprotected runs on engines >= 28.0 only, which no host here runs; expect #8, #9, #10: workload overlab-dr-web-routed runs on engines >= 28.0 only, which no host here runs; " +
		"expect #11: workload overlab-dr-web-isolated runs on engines >= 28.0 only, which no host here runs"
	if got := old.EngineFindings()[1].Message; got != want {
		t.Errorf("what 20.10 leaves out:\n got %s\nwant %s", got, want)
	}
	bp, _ := Compile(l, threeHosts, WithEngines(engineMap("28.5.2")))
	if o := bp.Network("overlab-dr-routed").Creates[0].Options.Options[netdriver.OptionGatewayModeIPv4]; o != "routed" {
		t.Errorf("the routed network's gateway mode option is %q", o)
	}
}

// TestGatewayModeOnAnOldEngineIsRefused: an engine that would take the
// option without a word and make a NAT network is refused up front.
func TestGatewayModeOnAnOldEngineIsRefused(t *testing.T) {
	l := parse(t, `
name: old
networks:
  - {name: r, driver: bridge, gateway_mode_ipv4: routed}
  - {name: v6, driver: bridge, ipv6: true, ipv4: false}
workloads:
  - {name: a, networks: [r], placement: {hosts: [$1]}}
  - {name: b, networks: [v6], placement: {hosts: [$2]}}
`)
	bp, err := Compile(l, threeHosts, WithEngines(map[string]string{"node1": "26.1.5", "node2": "20.10.24"}))
	if err != nil {
		t.Fatal(err)
	}
	msg := bp.Err().Error()
	for _, want := range []string{
		`network "r" sets gateway_mode_ipv4 routed, which Docker Engine has from 27.0 (an older one ignores the option without a word, and the network is plain NAT); node1 (26.1.5) run older engines`,
		`network "v6" is IPv6-only (ipv4: false), which Docker Engine has from 28.0 (an older one ignores it and adds IPv4); node2 (20.10.24) run older engines`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal does not say %q:\n%s", want, msg)
		}
	}
	if bp, _ := Compile(l, threeHosts); bp.Err() != nil {
		t.Errorf("without known engines nothing is refused: %v", bp.Err())
	}
}

// TestIPv6Creates: the create options of dual-stack and IPv6-only
// networks, with the plan's IPv6 subnets; a dual-stack overlay is made
// before 28.0 and refused from it.
func TestIPv6Creates(t *testing.T) {
	bp, err := Compile(builtinOr(t, "ipv6"), threeHosts, WithEngines(engineMap("28.5.2")))
	if err != nil || bp.Err() != nil {
		t.Fatal(err, bp.Err())
	}
	dual := bp.Network("overlab-v6-bridge").Creates[0].Options
	if dual.EnableIPv6 == nil || !*dual.EnableIPv6 || dual.EnableIPv4 != nil || len(dual.IPAM.Config) != 2 || dual.IPAM.Config[1].Subnet != "fd00:6f6c:6162::/64" {
		t.Errorf("dual stack: %+v %+v", dual, dual.IPAM)
	}
	only := bp.Network("overlab-v6-only").Creates[0].Options
	if only.EnableIPv4 == nil || *only.EnableIPv4 || len(only.IPAM.Config) != 1 || !strings.HasPrefix(only.IPAM.Config[0].Subnet, "fd00:6f6c:6162:") {
		t.Errorf("IPv6-only: %+v %+v", only, only.IPAM)
	}
	if line := netdriver.CommandLine(bp.Network("overlab-v6-only").Creates[0]); !strings.Contains(line, "--ipv6 --ipv4=false --subnet fd00:6f6c:6162:2::/64") {
		t.Errorf("command line %q", line)
	}
	old, _ := Compile(builtinOr(t, "ipv6"), threeHosts, WithEngines(engineMap("20.10.24")))
	if old.Err() != nil || len(old.Network("overlab-v6-only").Creates) != 0 {
		t.Errorf("20.10: %v, creates %+v: want the IPv6-only network left out", old.Err(), old.Network("overlab-v6-only").Creates)
	}
	forced := parse(t, `
name: forced
networks:
  - {name: ov, driver: overlay, attachable: true, ipv6: true}
workloads:
  - {name: s, kind: service, networks: [ov]}
`)
	if bp, _ := Compile(forced, threeHosts, WithEngines(engineMap("28.5.2"))); bp.Err() == nil || !strings.Contains(bp.Err().Error(), "fails to allocate") {
		t.Errorf("a dual-stack overlay on 28.5 is not refused: %v", bp.Err())
	}
	bp, _ = Compile(forced, threeHosts, WithEngines(engineMap("20.10.24")))
	ov := bp.Network("ov").Creates
	if bp.Err() != nil || len(ov) != 1 || ov[0].Options.EnableIPv6 == nil || !*ov[0].Options.EnableIPv6 || len(ov[0].Options.IPAM.Config) != 2 {
		t.Errorf("20.10: the dual-stack overlay's creates %+v (%v)", ov, bp.Err())
	}
}

// TestOwnRoutesAreNoConflict: a host's route to the subnet of the lab's
// own network on another host is the lab's route, not a conflict.
func TestOwnRoutesAreNoConflict(t *testing.T) {
	l := builtinOr(t, "direct-routing")
	facts := map[string]*cluster.Facts{}
	for i, h := range threeHosts {
		f := factsWith()
		f.EngineVersion, f.UnderlaySubnet, f.Docker0Subnet = "20.10.24", "192.168.56.0/24", "172.17.0.0/16"
		f.Routes = []netip.Prefix{netip.MustParsePrefix("192.168.56.0/24")}
		if i == 0 {
			f.Networks = []cluster.NetworkInfo{{Name: "overlab-dr-nat", Driver: "bridge", Scope: "local", Subnets: []string{"10.200.7.0/24"}}}
		}
		if i == 1 {
			f.Routes = append(f.Routes, netip.MustParsePrefix("10.200.7.0/24"))
		}
		facts[h.Name] = f
	}
	bp, err := Compile(l, threeHosts, WithFacts(facts))
	if err != nil {
		t.Fatal(err)
	}
	if err := bp.Err(); err != nil {
		t.Fatalf("the lab's own route is taken for a conflict: %v", err)
	}
	if len(bp.Routes) != 1 || bp.Routes[0].Dest != netip.MustParsePrefix("10.200.7.0/24") {
		t.Errorf("routes %+v: want the existing network's subnet kept", bp.Routes)
	}
}
