package addrplan

import (
	"strings"
	"testing"
)

// TestIPv6Subnets: dual-stack and IPv6-only networks get their IPv6
// subnets from the ULA pool, around the hosts' IPv6 routes, Docker's IPv6
// networks and each other; a network from a previous run keeps its own.
func TestIPv6Subnets(t *testing.T) {
	hs := hosts(2)
	hs[1].Routes = append(hs[1].Routes, pfx("fd00:6f6c:6162::/64")) // node2 routes the pool's first /64
	p := Compute(Input{
		Hosts: hs,
		Existing: []Existing{
			{Name: "other", Prefix: pfx("fd00:6f6c:6162:1::/64"), Host: "node1"}, // someone's IPv6 network
			{Name: "again", Prefix: pfx("10.200.0.0/24"), Host: "node1"},         // a previous run's, both families
			{Name: "again", Prefix: pfx("fd00:6f6c:6162:9::/64"), Host: "node1"},
		},
		Networks: []Request{
			{Name: "dual", IPv6: true},
			{Name: "v6only", IPv6: true, NoIPv4: true},
			{Name: "again", IPv6: true},
			{Name: "v4"},
		},
	})
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	want6 := map[string]string{"dual": "fd00:6f6c:6162:2::/64", "v6only": "fd00:6f6c:6162:3::/64", "again": "fd00:6f6c:6162:9::/64"}
	for name, w := range want6 {
		if got := p.SubnetsIPv6[name]; got != pfx(w) {
			t.Errorf("%s: IPv6 subnet %v, want %s", name, got, w)
		}
	}
	if !p.ChosenIPv6["dual"] || !p.ChosenIPv6["v6only"] || p.ChosenIPv6["again"] {
		t.Errorf("chosen %v: want dual and v6only, not the reused again", p.ChosenIPv6)
	}
	if _, ok := p.Subnets["v6only"]; ok {
		t.Errorf("the IPv6-only network got an IPv4 subnet %v", p.Subnets["v6only"])
	}
	if p.Subnets["again"] != pfx("10.200.0.0/24") || p.Subnets["dual"] != pfx("10.200.1.0/24") || p.Subnets["v4"] != pfx("10.200.2.0/24") {
		t.Errorf("IPv4 subnets %v", p.Subnets)
	}
	if _, ok := p.SubnetsIPv6["v4"]; ok {
		t.Error("an IPv4 network got an IPv6 subnet")
	}
}

// TestIPv6Conflicts: a fixed subnet_ipv6 over a host's IPv6 route is
// refused with a free /64 to use instead, and the field to set.
func TestIPv6Conflicts(t *testing.T) {
	hs := hosts(1)
	hs[0].Routes = append(hs[0].Routes, pfx("fd00:6f6c:6162::/56"))
	p := Compute(Input{
		Hosts:    hs,
		Existing: []Existing{{Name: "taken", Prefix: pfx("fd00:6f6c:6162:100::/64"), Host: "node1"}},
		Networks: []Request{
			{Name: "a", IPv6: true, SubnetIPv6: pfx("fd00:6f6c:6162:5::/64")},
			{Name: "taken", IPv6: true, SubnetIPv6: pfx("fd00:6f6c:6162:200::/64")},
		},
	})
	var got []string
	for _, c := range p.Conflicts {
		got = append(got, c.Message)
	}
	want := []string{
		`lab network "a" subnet fd00:6f6c:6162:5::/64 overlaps the route to fd00:6f6c:6162::/56 on host "node1"; pick a free one such as fd00:6f6c:6162:101::/64 (set subnet_ipv6: on the network in the lab file)`,
		`lab network "taken" wants IPv6 subnet fd00:6f6c:6162:200::/64 but a network of that name already exists with fd00:6f6c:6162:100::/64; remove it first (overlab down, or docker network rm taken)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("conflicts\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestIPv6PoolExhausted: no free /64 left is said, with the field to set.
func TestIPv6PoolExhausted(t *testing.T) {
	hs := hosts(1)
	hs[0].Routes = append(hs[0].Routes, pfx("fd00:6f6c:6162::/48"))
	p := Compute(Input{Hosts: hs, Networks: []Request{{Name: "a", IPv6: true}}})
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), `lab network "a": no free IPv6 /64 left in fd00:6f6c:6162::/48; set its subnet_ipv6`) {
		t.Errorf("err = %v", err)
	}
}
