package addrplan

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

var (
	pfx  = netip.MustParsePrefix
	addr = netip.MustParseAddr
)

// hosts returns n hosts on 192.168.56.0/24 at .11, .12, ... with the default
// docker0 and docker_gwbridge.
func hosts(n int) []Host {
	var out []Host
	for i := 0; i < n; i++ {
		out = append(out, Host{
			Name:     fmt.Sprintf("node%d", i+1),
			Address:  addr(fmt.Sprintf("192.168.56.%d", 11+i)),
			Underlay: pfx("192.168.56.0/24"),
			Routes:   []netip.Prefix{pfx("0.0.0.0/0"), pfx("192.168.56.0/24")},
			Docker0:  pfx("172.17.0.0/16"),
			GWBridge: pfx("172.18.0.0/16"),
		})
	}
	return out
}

func TestIngressCollision(t *testing.T) {
	p := Compute(Input{
		Hosts:    hosts(3),
		Ingress:  DefaultIngress,
		Networks: []Request{{Name: "my_bridge", Driver: "bridge", Subnet: pfx("10.0.0.0/24")}},
	})
	want := `lab network "my_bridge" subnet 10.0.0.0/24 overlaps the swarm's ingress network 10.0.0.0/24; pick a free one such as 10.200.0.0/24 (set subnet: on the network in the lab file)`
	if len(p.Conflicts) != 1 || p.Conflicts[0].Message != want {
		t.Fatalf("conflicts %+v\nwant %s", p.Conflicts, want)
	}
	if p.Conflicts[0].With.Kind != KindIngress || p.Conflicts[0].Network != "my_bridge" {
		t.Errorf("conflict %+v", p.Conflicts[0])
	}
	if err := p.Err(); err == nil || err.Error() != "address plan: "+want {
		t.Errorf("Err() = %v", err)
	}
	// Without a swarm the same subnet is fine.
	p = Compute(Input{Hosts: hosts(3), Networks: []Request{{Name: "my_bridge", Driver: "bridge", Subnet: pfx("10.0.0.0/24")}}})
	if p.Err() != nil {
		t.Errorf("no swarm: %v", p.Err())
	}
}

func TestOverlapsOfEveryKind(t *testing.T) {
	hs := hosts(3)
	hs[1].Routes = append(hs[1].Routes, pfx("10.8.0.0/16"))
	hs[2].Docker0 = pfx("172.19.0.0/16")
	in := Input{
		Hosts:   hs,
		Ingress: DefaultIngress,
		Existing: []Existing{
			{Name: "ingress", Driver: "overlay", Prefix: DefaultIngress},
			{Name: "bridge", Driver: "bridge", Prefix: pfx("172.17.0.0/16"), Host: "node1"},
			{Name: "app", Driver: "bridge", Prefix: pfx("10.50.0.0/24"), Host: "node2"},
			{Name: "web", Driver: "overlay", Prefix: pfx("10.60.0.0/24")},
		},
		Networks: []Request{
			{Name: "u", Driver: "bridge", Subnet: pfx("192.168.56.0/25")},
			{Name: "r", Driver: "bridge", Subnet: pfx("10.8.1.0/24")},
			{Name: "d", Driver: "bridge", Subnet: pfx("172.17.5.0/24")},
			{Name: "d3", Driver: "bridge", Subnet: pfx("172.19.0.0/24")},
			{Name: "g", Driver: "overlay", Subnet: pfx("172.18.0.0/24")},
			{Name: "i", Driver: "overlay", Subnet: pfx("10.0.0.0/16")},
			{Name: "e", Driver: "bridge", Subnet: pfx("10.50.0.0/24")},
			{Name: "s", Driver: "overlay", Subnet: pfx("10.60.0.128/25")},
			{Name: "l1", Driver: "overlay", Subnet: pfx("10.70.0.0/24")},
			{Name: "l2", Driver: "bridge", Subnet: pfx("10.70.0.0/23")},
			{Name: "ok", Driver: "bridge", Subnet: pfx("10.90.0.0/24")},
		},
	}
	p := Compute(in)
	const hint = "; pick a free one such as %s (set subnet: on the network in the lab file)"
	want := []string{
		`lab network "u" subnet 192.168.56.0/25 overlaps the underlay network 192.168.56.0/24 on hosts node1, node2, node3` + fmt.Sprintf(hint, "10.200.0.0/25"),
		`lab network "r" subnet 10.8.1.0/24 overlaps the route to 10.8.0.0/16 on host "node2"` + fmt.Sprintf(hint, "10.200.0.0/24"),
		`lab network "d" subnet 172.17.5.0/24 overlaps docker0 172.17.0.0/16 on hosts node1, node2` + fmt.Sprintf(hint, "10.200.0.0/24"),
		`lab network "d3" subnet 172.19.0.0/24 overlaps docker0 172.19.0.0/16 on host "node3"` + fmt.Sprintf(hint, "10.200.0.0/24"),
		`lab network "g" subnet 172.18.0.0/24 overlaps docker_gwbridge 172.18.0.0/16 on hosts node1, node2, node3` + fmt.Sprintf(hint, "10.200.0.0/24"),
		`lab network "i" subnet 10.0.0.0/16 overlaps the swarm's ingress network 10.0.0.0/24` + fmt.Sprintf(hint, "10.200.0.0/16"),
		`lab network "e" subnet 10.50.0.0/24 overlaps the existing network "app" 10.50.0.0/24 on host "node2"` + fmt.Sprintf(hint, "10.200.0.0/24"),
		`lab network "s" subnet 10.60.0.128/25 overlaps the existing network "web" 10.60.0.0/24 in the swarm` + fmt.Sprintf(hint, "10.200.0.0/25"),
		`lab network "l2" subnet 10.70.0.0/23 overlaps lab network "l1" 10.70.0.0/24` + fmt.Sprintf(hint, "10.200.0.0/23"),
	}
	var got []string
	for _, c := range p.Conflicts {
		got = append(got, c.Message)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("conflicts\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Subnets["ok"] != pfx("10.90.0.0/24") {
		t.Errorf("ok: %v", p.Subnets["ok"])
	}
	// Every conflict is also an error finding, so that the check reports it.
	errs := 0
	for _, f := range p.Findings {
		if f.Severity == SeverityError {
			errs++
		}
	}
	if errs != len(want) {
		t.Errorf("%d error findings for %d conflicts: %+v", errs, len(want), p.Findings)
	}
}

func TestAutomaticChoice(t *testing.T) {
	in := Input{
		Hosts:   hosts(2),
		Ingress: DefaultIngress,
		Existing: []Existing{
			{Name: "other", Prefix: pfx("10.200.0.0/24"), Host: "node1"},
			{Name: "big", Prefix: pfx("10.200.2.0/23"), Host: "node2"},
			{Name: "overlab-b", Prefix: pfx("10.200.9.0/24")}, // the lab's own, from a previous run
		},
		Networks: []Request{
			{Name: "overlab-a", Driver: "overlay"},
			{Name: "overlab-fixed", Driver: "bridge", Subnet: pfx("10.200.1.0/24")},
			{Name: "overlab-b", Driver: "overlay"},
			{Name: "overlab-c", Driver: "bridge"},
		},
	}
	p := Compute(in)
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"overlab-a":     "10.200.4.0/24", // .0 existing, .1 fixed by the lab, .2-.3 existing /23
		"overlab-fixed": "10.200.1.0/24",
		"overlab-b":     "10.200.9.0/24", // reused: a second run changes nothing
		"overlab-c":     "10.200.5.0/24",
	}
	for n, w := range want {
		if p.Subnets[n].String() != w {
			t.Errorf("%s: %v, want %s", n, p.Subnets[n], w)
		}
	}
	if !p.Chosen["overlab-a"] || !p.Chosen["overlab-c"] || p.Chosen["overlab-b"] || p.Chosen["overlab-fixed"] {
		t.Errorf("chosen %v", p.Chosen)
	}
	// The same input gives the same plan.
	again := Compute(in)
	for n := range want {
		if again.Subnets[n] != p.Subnets[n] {
			t.Errorf("not deterministic: %s %v then %v", n, p.Subnets[n], again.Subnets[n])
		}
	}
}

func TestPoolFallbackAndExhaustion(t *testing.T) {
	pools := WithPools(pfx("10.201.0.0/23"), pfx("10.202.0.0/24"))
	in := Input{Hosts: hosts(1), Networks: []Request{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}}}
	p := Compute(in, pools)
	got := fmt.Sprint(p.Subnets["a"], " ", p.Subnets["b"], " ", p.Subnets["c"])
	if got != "10.201.0.0/24 10.201.1.0/24 10.202.0.0/24" {
		t.Errorf("subnets %s", got)
	}
	want := `address plan: lab network "d": no free /24 left in 10.201.0.0/23, 10.202.0.0/24; set its subnet (set subnet: on the network in the lab file)`
	if err := p.Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v\nwant %s", err, want)
	}
	// A conflict with nowhere to go says so instead of suggesting.
	p = Compute(Input{Hosts: hosts(1), Existing: []Existing{{Name: "x", Prefix: pfx("10.201.0.0/16")}},
		Networks: []Request{{Name: "a", Subnet: pfx("10.201.0.0/24")}}}, WithPools(pfx("10.201.0.0/16")), WithHint("(use --subnet)"))
	want = `address plan: lab network "a" subnet 10.201.0.0/24 overlaps the existing network "x" 10.201.0.0/16 in the swarm; pick a free subnet (use --subnet)`
	if err := p.Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v\nwant %s", err, want)
	}
	// Smaller pool prefixes.
	p = Compute(Input{Hosts: hosts(1), Networks: []Request{{Name: "a"}, {Name: "b"}}}, WithPools(pfx("10.203.0.0/24")), WithPoolBits(26))
	if p.Subnets["a"] != pfx("10.203.0.0/26") || p.Subnets["b"] != pfx("10.203.0.64/26") {
		t.Errorf("/26 choices %v", p.Subnets)
	}
}

func TestOwnExistingNetwork(t *testing.T) {
	in := Input{
		Hosts:    hosts(1),
		Existing: []Existing{{Name: "overlab-overlay", Driver: "overlay", Prefix: pfx("10.200.0.0/24")}},
		Networks: []Request{{Name: "overlab-overlay", Driver: "overlay", Subnet: pfx("10.200.0.0/24")}},
	}
	if err := Compute(in).Err(); err != nil {
		t.Errorf("the network itself is no conflict: %v", err)
	}
	in.Networks[0].Subnet = pfx("10.200.7.0/24")
	want := `address plan: lab network "overlab-overlay" wants subnet 10.200.7.0/24 but a network of that name already exists with 10.200.0.0/24; remove it first (overlab down, or docker network rm overlab-overlay)`
	if err := Compute(in).Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v\nwant %s", err, want)
	}
}

func TestHostFindings(t *testing.T) {
	hs := hosts(3)
	p := Compute(Input{Hosts: hs})
	if len(p.Findings) != 1 || p.Findings[0].Severity != SeverityInfo ||
		p.Findings[0].Message != "docker0 is 172.17.0.0/16 on hosts node1, node2, node3: normal, each host's default bridge is private to it and nothing routes between them" {
		t.Errorf("findings %+v", p.Findings)
	}
	hs[1].Docker0 = pfx("192.168.56.0/25")
	hs[2].GWBridge = pfx("192.168.0.0/16")
	p = Compute(Input{Hosts: hs, Ingress: pfx("192.168.56.128/25")})
	var got []string
	for _, f := range p.Findings {
		got = append(got, f.Severity+" "+f.Host+": "+f.Message)
	}
	want := []string{
		`info : docker0 is 172.17.0.0/16 on hosts node1, node3: normal, each host's default bridge is private to it and nothing routes between them`,
		`info node2: docker0 is 192.168.56.0/25 on host "node2"`,
		`error node2: docker0 192.168.56.0/25 on host "node2" overlaps the underlay network 192.168.56.0/24 on hosts node1, node2, node3: containers on docker0 cannot reach those addresses; give Docker another bridge subnet ("bip" in /etc/docker/daemon.json)`,
		`error node3: docker_gwbridge 192.168.0.0/16 on host "node3" overlaps the underlay network 192.168.56.0/24 on hosts node1, node2, node3: swarm containers cannot reach those addresses; recreate docker_gwbridge with another subnet`,
		`error : the swarm's ingress network 192.168.56.128/25 overlaps the underlay network 192.168.56.0/24 on hosts node1, node2, node3: recreate the ingress network with another subnet (docker network rm ingress; docker network create --driver overlay --ingress --subnet ...)`,
		`error node3: the swarm's ingress network 192.168.56.128/25 overlaps docker_gwbridge 192.168.0.0/16 on host "node3"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Err() != nil {
		t.Errorf("host findings are not lab conflicts: %v", p.Err())
	}
}

func TestIPv6(t *testing.T) {
	hs := hosts(2)
	hs[0].Routes = append(hs[0].Routes, pfx("fd00::/64"), pfx("::/0"))
	p := Compute(Input{
		Hosts:    hs,
		Existing: []Existing{{Name: "v6", Prefix: pfx("fd00:1::/64")}},
		Networks: []Request{
			{Name: "a"},                               // chosen from the IPv4 pool, untouched by IPv6
			{Name: "b", Subnet: pfx("fd00:2::/64")},   // fine
			{Name: "c", Subnet: pfx("fd00::/16")},     // overlaps the route and the existing network
			{Name: "d", Subnet: pfx("10.200.0.0/24")}, // IPv4 unaffected by IPv6 neighbours
		},
	})
	if p.Subnets["a"] != pfx("10.200.1.0/24") || p.Subnets["b"] != pfx("fd00:2::/64") {
		t.Errorf("subnets %v", p.Subnets)
	}
	var got []string
	for _, c := range p.Conflicts {
		got = append(got, c.Message)
	}
	want := []string{
		`lab network "c" subnet fd00::/16 overlaps the route to fd00::/64 on host "node1"; pick a free subnet (set subnet: on the network in the lab file)`,
		`lab network "c" subnet fd00::/16 overlaps the existing network "v6" fd00:1::/64 in the swarm; pick a free subnet (set subnet: on the network in the lab file)`,
		`lab network "c" subnet fd00::/16 overlaps lab network "b" fd00:2::/64; pick a free subnet (set subnet: on the network in the lab file)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("conflicts\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMacvlanThreeHosts(t *testing.T) {
	p := Compute(Input{Hosts: hosts(3), Ingress: DefaultIngress, Networks: []Request{{Name: "overlab-macvlan", Driver: "macvlan", Underlay: true}}})
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	if p.Subnets["overlab-macvlan"] != pfx("192.168.56.0/24") {
		t.Errorf("subnet %v, want the underlay", p.Subnets["overlab-macvlan"])
	}
	got := p.MacvlanRanges["overlab-macvlan"]
	want := map[string]string{"node1": "192.168.56.128/28", "node2": "192.168.56.144/28", "node3": "192.168.56.160/28"}
	for h, w := range want {
		if got[h].String() != w {
			t.Errorf("%s: %v, want %s", h, got[h], w)
		}
	}
}

func TestMacvlanRanges1To20Hosts(t *testing.T) {
	for n := 1; n <= 20; n++ {
		hs := hosts(n)
		p := Compute(Input{Hosts: hs, Networks: []Request{{Name: "mv", Driver: "macvlan", Underlay: true, Gateway: addr("192.168.56.1")}}})
		if err := p.Err(); err != nil {
			t.Fatalf("%d hosts: %v", n, err)
		}
		rs := p.MacvlanRanges["mv"]
		if len(rs) != n {
			t.Fatalf("%d hosts: %d ranges", n, len(rs))
		}
		for i, h := range hs {
			r := rs[h.Name]
			if !pfx("192.168.56.0/24").Contains(r.Addr()) || r.Bits() > 30 || r.Bits() < 28 {
				t.Errorf("%d hosts: %s range %v", n, h.Name, r)
			}
			for _, h2 := range hs {
				if r.Contains(h2.Address) {
					t.Errorf("%d hosts: %s range %v holds %s's address", n, h.Name, r, h2.Name)
				}
			}
			for _, a := range []string{"192.168.56.0", "192.168.56.1", "192.168.56.255"} {
				if r.Contains(addr(a)) {
					t.Errorf("%d hosts: range %v holds %s", n, r, a)
				}
			}
			for j := 0; j < i; j++ {
				if r.Overlaps(rs[hs[j].Name]) {
					t.Errorf("%d hosts: %s %v overlaps %s %v", n, h.Name, r, hs[j].Name, rs[hs[j].Name])
				}
			}
		}
	}
	// /28 while they fit in the upper half (7 blocks: .240/28 holds the broadcast), then smaller.
	sizes := map[int]int{7: 28, 8: 29, 15: 29, 16: 30, 20: 30}
	for n, bits := range sizes {
		p := Compute(Input{Hosts: hosts(n), Networks: []Request{{Name: "mv", Driver: "macvlan", Underlay: true}}})
		if b := p.MacvlanRanges["mv"]["node1"].Bits(); b != bits {
			t.Errorf("%d hosts: /%d ranges, want /%d", n, b, bits)
		}
	}
}

func TestMacvlanFixedRangesAndIPRange(t *testing.T) {
	p := Compute(Input{Hosts: hosts(3), Networks: []Request{
		{Name: "mv", Driver: "macvlan", Underlay: true, HostRanges: map[string]netip.Prefix{"node2": pfx("192.168.56.128/28")}},
		{Name: "mv2", Driver: "macvlan", Underlay: true, IPRange: pfx("192.168.56.192/26")},
	}})
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(p.MacvlanRanges["mv"]["node1"], " ", p.MacvlanRanges["mv"]["node2"], " ", p.MacvlanRanges["mv"]["node3"])
	if got != "192.168.56.144/28 192.168.56.128/28 192.168.56.160/28" {
		t.Errorf("mv ranges %s", got)
	}
	got = fmt.Sprint(p.MacvlanRanges["mv2"]["node1"], " ", p.MacvlanRanges["mv2"]["node2"], " ", p.MacvlanRanges["mv2"]["node3"])
	if got != "192.168.56.192/28 192.168.56.208/28 192.168.56.224/28" {
		t.Errorf("mv2 ranges %s", got)
	}
}

func TestMacvlanErrors(t *testing.T) {
	hs := hosts(10)
	for i := range hs {
		hs[i].Underlay = pfx("192.168.56.0/28")
		hs[i].Address = addr(fmt.Sprintf("192.168.56.%d", 2+i))
	}
	want := `address plan: macvlan network "mv": no room for 10 per-host ranges of at least 4 addresses in 192.168.56.0/28 that avoid the hosts' own addresses; set ip_range for each host`
	if err := Compute(Input{Hosts: hs, Networks: []Request{{Name: "mv", Driver: "macvlan", Underlay: true}}}).Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v\nwant %s", err, want)
	}
	hs = hosts(3)
	hs[2].Underlay = pfx("192.168.57.0/24")
	want = `address plan: macvlan network "mv" needs the hosts on one underlay subnet, but they are on 192.168.56.0/24 (node1, node2), 192.168.57.0/24 (node3); set its subnet in the lab file`
	if err := Compute(Input{Hosts: hs, Networks: []Request{{Name: "mv", Driver: "macvlan", Underlay: true}}}).Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v\nwant %s", err, want)
	}
	// A fixed macvlan subnet still must not overlap docker0.
	want = `address plan: lab network "mv" subnet 172.17.0.0/24 overlaps docker0 172.17.0.0/16 on hosts node1, node2, node3; pick a free one such as 10.200.0.0/24 (set subnet: on the network in the lab file)`
	if err := Compute(Input{Hosts: hosts(3), Networks: []Request{{Name: "mv", Driver: "macvlan", Underlay: true, Subnet: pfx("172.17.0.0/24")}}}).Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v\nwant %s", err, want)
	}
}
